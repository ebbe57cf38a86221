// Drives examples/sleep.wat after asyncify, exactly as the original Asyncify write-up's
// JavaScript example does: `sleep` unwinds the stack, a timer fires, the stack is rewound.
//
//   node examples/sleep.mjs sleep.wasm [milliseconds]
import { readFileSync } from 'node:fs';

const [file, msArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node examples/sleep.mjs <asyncified.wasm> [milliseconds]');
  process.exit(2);
}
const scale = msArg === undefined ? 1 : Number(msArg) / 2000;

const DATA_ADDR = 16; // where the unwind/rewind data structure lives
let sleeping = false;
let view;
const { instance } = await WebAssembly.instantiate(readFileSync(file), {
  env: {
    before() {
      console.log('before!');
      setTimeout(() => console.log('(an event that happens during the sleep)'), 1000 * scale);
    },
    sleep(ms) {
      if (!sleeping) {
        // Start to sleep: fill in the data structure and unwind.
        console.log('sleep...');
        view[DATA_ADDR >> 2] = DATA_ADDR + 8; // stack starts right after the structure
        view[(DATA_ADDR + 4) >> 2] = 1024; // and ends here
        wasm.asyncify_start_unwind(DATA_ADDR);
        sleeping = true;
        setTimeout(() => {
          console.log('timeout ended, starting to rewind the stack');
          wasm.asyncify_start_rewind(DATA_ADDR);
          wasm.main(); // re-enter: the stack is rebuilt up to the sleep
        }, ms * scale);
      } else {
        // Called again while rewinding: the sleep is over.
        console.log('...resume');
        wasm.asyncify_stop_rewind();
        sleeping = false;
      }
    },
    after() {
      console.log('after!');
    },
  },
});
const wasm = instance.exports;
view = new Int32Array(wasm.memory.buffer);

wasm.main();
console.log('stack unwound');
wasm.asyncify_stop_unwind();
