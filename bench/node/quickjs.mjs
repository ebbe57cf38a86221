// node quickjs.mjs CACHE FILE SCRIPT WARMUP REPS [PAUSE]: quickjs-emscripten (the sync release
// build, 0.32.0) with the module FILE, through quickjs-emscripten-core's own API. Runs a small
// check (host functions, promises, exceptions), then evaluates SCRIPT in a fresh context each
// time. PAUSE: as in sqljs.mjs (every call of the imports that may pause pauses).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { compile, repeat, print } from './common.mjs';
import { pausingImports } from './pauses.mjs';

const [cache, file, scriptFile, warmup, reps, pause] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const core = require(`${cache}/node_modules/quickjs-emscripten-core`);
const release = require(`${cache}/node_modules/@jitl/quickjs-wasmfile-release-sync`);
const { module, compile: compileTime } = compile(file);
const pauser = pausingImports(pause);
let malloc = null;
const glue = fs.readFileSync(`${cache}/node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.cjs`, 'utf8');
const MALLOC = glue.match(/\b_malloc=\w+\.(\w+)/)?.[1];
if (pauser && !MALLOC) throw new Error('no `_malloc` in the glue (a different Emscripten version?)');
const variant = core.newVariant(release.default ?? release, {
  emscriptenModule: {
    instantiateWasm(imports, done) {
      if (!pauser) {
        done(new WebAssembly.Instance(module, imports), module);
      } else {
        const instance = pauser.wrapInstance(new WebAssembly.Instance(module, pauser.wrapImports(imports)));
        // The glue's name for `malloc` (its exports are minified).
        malloc = instance.exports[MALLOC];
        done(instance, module);
      }
      return {};
    },
  },
});
const QuickJS = await core.newQuickJSWASMModuleFromVariant(variant);
pauser?.start(malloc);

const check = (() => {
  const vm = QuickJS.newContext();
  const fn = vm.newFunction('host', (...args) => vm.newString(args.map((a) => vm.dump(a)).join('|')));
  vm.setProp(vm.global, 'host', fn);
  fn.dispose();
  const out = [];
  const result = vm.evalCode(`
    let order = [];
    Promise.resolve(1).then((x) => order.push('then' + x));
    order.push('sync');
    const r = host(1, 'two', [3]);
    let caught;
    try { null.x; } catch (e) { caught = e.constructor.name; }
    JSON.stringify({ r, caught, re: 'a1b22c333'.replace(/\\d+/g, (m) => m.length) });
  `);
  for (const step of [() => result, () => (vm.runtime.executePendingJobs(), vm.evalCode('order.join(",")'))]) {
    const handle = vm.unwrapResult(step());
    out.push(vm.dump(handle));
    handle.dispose();
  }
  vm.dispose();
  return out;
})();

const source = fs.readFileSync(scriptFile, 'utf8');
const { times, results } = repeat(Number(warmup), Number(reps), () => {
  const vm = QuickJS.newContext();
  const handle = vm.unwrapResult(vm.evalCode(source));
  const value = vm.dump(handle);
  handle.dispose();
  vm.dispose();
  return value;
});
print({ file, compile: compileTime, times, results, check, ...pauser?.stats() });
