// node pause.mjs FILE DEPTH: pause+resume at a stack depth (bench/kernels/deep.c), driven by
// the Asyncify host protocol. Prints the bytes one unwind saved and the time per run(DEPTH)
// without a pause and with one pause+resume at the bottom.
import { WASI } from 'node:wasi';
import { compile, now, seconds, print } from './common.mjs';

const [file, depthArg] = process.argv.slice(2);
const depth = Number(depthArg);

// Seconds per call of `body`: batches of at least 50 ms (the first ones, while the batch size
// is found, warm up), best of five.
function perCall(body) {
  let n = 1;
  for (;;) {
    const start = now();
    for (let i = 0; i < n; i++) body();
    if (seconds(start) >= 0.05) break;
    n *= 2;
  }
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = now();
    for (let i = 0; i < n; i++) body();
    best = Math.min(best, seconds(start) / n);
  }
  return best;
}
const { module } = compile(file);
const wasi = new WASI({ version: 'preview1', returnOnExit: true });
let pausing = false;
let exports;
let data;
let size;
const instance = new WebAssembly.Instance(module, {
  wasi_snapshot_preview1: wasi.wasiImport,
  env: {
    yield() {
      if (!pausing) return;
      if (exports.asyncify_get_state() === 2) {
        exports.asyncify_stop_rewind();
        return;
      }
      const view = new Uint32Array(exports.memory.buffer, data, 2);
      view[0] = data + 8;
      view[1] = data + size;
      exports.asyncify_start_unwind(data);
    },
  },
});
exports = instance.exports;
wasi.initialize(instance);
data = exports.buf();
size = exports.buf_size();

const expected = exports.run(depth);
const plain = perCall(() => exports.run(depth));

pausing = true;
function cycle() {
  const first = exports.run(depth);
  if (exports.asyncify_get_state() !== 1) throw new Error(`run(${depth}) = ${first} without unwinding`);
  exports.asyncify_stop_unwind();
  const used = new Uint32Array(exports.memory.buffer, data, 1)[0] - (data + 8);
  exports.asyncify_start_rewind(data);
  const result = exports.run(depth);
  if (exports.asyncify_get_state() !== 0) throw new Error('returned in the middle of a rewind');
  return { result, used };
}
const { result, used } = cycle();
if (result !== expected) throw new Error(`run(${depth}) = ${result} after a pause, ${expected} without`);
const paused = perCall(cycle);
print({ file, depth, bytes: used, plain, paused, result });
