// Behavioural driver for sql.js: runs a fixed workload and prints every result, so a run of
// the package's own wasm and a run with a transformed wasm swapped in (wasm-hook.cjs) can be
// compared line by line. Usage: node [--require wasm-hook.cjs] sqljs.cjs CORPUS_DIR
'use strict';
const path = require('path');
const corpus = process.argv[2];
const initSqlJs = require(path.join(corpus, 'node_modules/sql.js'));

(async () => {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  const out = [];
  const q = (sql, params) => {
    for (const r of db.exec(sql, params)) out.push(JSON.stringify(r));
  };
  q(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, blob BLOB)`);
  const insert = db.prepare('INSERT INTO t (name, score, blob) VALUES (?, ?, ?)');
  for (let i = 0; i < 2000; i++) {
    insert.run([`name-${(i * 7919) % 1000}`, Math.sin(i) * 1000, new Uint8Array([i & 255, i >> 8])]);
  }
  insert.free();
  q(`SELECT count(*), sum(score), min(name), max(name) FROM t`);
  q(`SELECT name, count(*) AS c, avg(score) FROM t GROUP BY name ORDER BY c DESC, name LIMIT 5`);
  q(`CREATE INDEX t_name ON t(name)`);
  q(`SELECT id, score FROM t WHERE name = 'name-42' ORDER BY id`);
  q(`WITH RECURSIVE fib(a, b, n) AS (SELECT 0, 1, 0 UNION ALL SELECT b, a + b, n + 1 FROM fib WHERE n < 60)
     SELECT max(a), count(*) FROM fib`);
  q(`SELECT printf('%.3f|%08x|%s', 3.14159, 48879, upper('asyncify')), hex(zeroblob(2)), length(zeroblob(1000))`);
  q(`SELECT json_object('a', 1, 'b', json_array(1, 2, 3))`);
  try {
    db.exec('SELECT * FROM missing_table');
  } catch (e) {
    out.push(`error: ${e.message}`);
  }
  const bytes = db.export();
  out.push(`export: ${bytes.length} bytes`);
  db.close();
  const copy = new SQL.Database(bytes);
  for (const r of copy.exec('SELECT count(*) FROM t')) out.push(JSON.stringify(r));
  copy.close();
  console.log(out.join('\n'));
})().catch((e) => {
  console.error(`driver failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
