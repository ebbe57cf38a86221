// node sqljs.mjs CACHE FILE SQL WARMUP REPS [PAUSE]: sql.js@1.16.0's own JS glue with the
// module FILE (given precompiled through Emscripten's `instantiateWasm` hook). Runs a few API
// checks (parameters, prepared statements, a JS function called from SQL), then the workload
// SQL (Database.run = sqlite3_exec) on a fresh database each time, timed, and its checksum
// query. PAUSE (`all`, or an import as `module.name`): the module was transformed so that
// those imports may pause, and every call of them does (see pauses.mjs).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { compile, repeat, print } from './common.mjs';
import { pausingImports } from './pauses.mjs';

const [cache, file, sqlFile, warmup, reps, pause] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const initSqlJs = require(`${cache}/node_modules/sql.js/dist/sql-wasm.js`);
const { module, compile: compileTime } = compile(file);
const pauser = pausingImports(pause);
const SQL = await initSqlJs({
  instantiateWasm(imports, done) {
    if (!pauser) {
      done(new WebAssembly.Instance(module, imports), module);
    } else {
      done(pauser.wrapInstance(new WebAssembly.Instance(module, pauser.wrapImports(imports))), module);
    }
    return {};
  },
});
pauser?.start(SQL._malloc);

const check = (() => {
  const db = new SQL.Database();
  db.create_function('twice', (x) => x * 2);
  db.run('CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER)');
  const insert = db.prepare('INSERT INTO kv VALUES (?, ?)');
  for (let i = 0; i < 100; i++) insert.run([`key${i}`, i * i]);
  insert.free();
  const out = [];
  const select = db.prepare('SELECT k, twice(v) FROM kv WHERE v % :m = 0 ORDER BY v DESC LIMIT 5');
  select.bind({ ':m': 7 });
  while (select.step()) out.push(select.get());
  select.free();
  out.push(db.exec("SELECT count(*), sum(v), group_concat(k, '') LIKE '%key99%' FROM kv")[0].values);
  out.push(db.exec('SELECT sqlite_version()')[0].values);
  db.close();
  return out;
})();

const [workload, checksum] = fs.readFileSync(sqlFile, 'utf8').split('-- checksum');
const { times, results } = repeat(Number(warmup), Number(reps), () => {
  const db = new SQL.Database();
  db.run(workload);
  const value = db.exec(checksum)[0].values[0][0];
  db.close();
  return value;
});
print({ file, compile: compileTime, times, results, check, ...pauser?.stats() });
