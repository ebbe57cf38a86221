// Runs coroutines.c's asyncified module in node. No asyncify runtime is needed on this side:
// the coroutines pause and resume inside the module; this is a plain WASI start.
//
//   node examples/c/coroutines.mjs coroutines.async.wasm
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const file = process.argv[2];
if (!file) {
  console.error('usage: node examples/c/coroutines.mjs <coroutines.async.wasm>');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: ['coroutines'], env: {}, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file), wasi.getImportObject());
process.exitCode = wasi.start(instance);
