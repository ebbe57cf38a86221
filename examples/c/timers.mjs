// Runs timers.c's asyncified module with the JavaScript runtime in js/asyncify.mjs: the C
// loop pauses at every `sleep_ms` while real `setTimeout`s run.
//
//   node examples/c/timers.mjs timers.async.wasm
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { instantiate } from '../../js/asyncify.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node examples/c/timers.mjs <timers.async.wasm>');
  process.exit(2);
}

let fired = false;
const wasi = new WASI({ version: 'preview1', args: [], env: {} });
const { exports, instance } = await instantiate(readFileSync(file), {
  ...wasi.getImportObject(),
  env: {
    start_timer(ms) {
      setTimeout(() => { fired = true; }, ms);
    },
    check_timer: () => (fired ? 1 : 0),
    sleep_ms: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
}, { asyncImports: ['env.sleep_ms'] });

// A WASI reactor: run its constructors before calling exports.
wasi.initialize(instance);
const naps = await exports.run();
console.log(`slept ${naps} times`);
