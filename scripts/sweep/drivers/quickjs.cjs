// Behavioural driver for QuickJS (@jitl/quickjs-wasmfile-release-sync through
// quickjs-emscripten-core): evaluates scripts and prints their results, for comparing the
// package's wasm with a transformed one swapped in (wasm-hook.cjs).
// Usage: node [--require wasm-hook.cjs] quickjs.cjs CORPUS_DIR
'use strict';
const path = require('path');
const corpus = process.argv[2];
const core = require(path.join(corpus, 'node_modules/quickjs-emscripten-core'));
const variant = require(path.join(corpus, 'node_modules/@jitl/quickjs-wasmfile-release-sync')).default;

const scripts = [
  '1 + 2',
  `let s = 0; for (let i = 0; i < 100000; i++) { s = (s * 31 + i) | 0 } s`,
  `JSON.stringify([1, 'two', { three: [3] }, null, 4.5])`,
  `function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } fib(22)`,
  `[5, 3, 9, 1, 7].sort((a, b) => a - b).map(x => x * x).join(',')`,
  `new Map([[1, 'a'], [2, 'b']]).get(2) + String.fromCharCode(65 + 25)`,
  `'asyncify'.replace(/[aeiou]/g, c => c.toUpperCase()).split('').reverse().join('')`,
  `(() => { try { null.x } catch (e) { return e.constructor.name + ': ' + e.message } })()`,
  `Math.round(Math.sin(1) * 1e9) + ' ' + (0.1 + 0.2) + ' ' + (2 ** 53 + 1) + ' ' + 10n ** 30n`,
  `Object.entries({ b: 2, a: 1 }).map(([k, v]) => k + v).join()`,
  `throw new Error('boom')`,
  `let o = {}; for (let i = 0; i < 20000; i++) o['k' + i] = i; Object.keys(o).length`,
  `new Date(0).toISOString()`,
];

(async () => {
  const QuickJS = await core.newQuickJSWASMModuleFromVariant(variant);
  const out = [];
  for (const code of scripts) {
    const vm = QuickJS.newContext();
    const result = vm.evalCode(code);
    if (result.error) {
      out.push(`error: ${JSON.stringify(vm.dump(result.error))}`);
      result.error.dispose();
    } else {
      out.push(`value: ${JSON.stringify(vm.dump(result.value))}`);
      result.value.dispose();
    }
    vm.dispose();
  }
  console.log(out.join('\n'));
})().catch((e) => {
  console.error(`driver failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
