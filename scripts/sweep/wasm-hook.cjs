// Preload (`node --require wasm-hook.cjs ...`) that sees every WebAssembly module a package
// compiles, whatever its glue code does (file read, fetch, embedded base64):
//
// - ASYNCIFY_CAPTURE_DIR=dir  writes each module's bytes to dir/<size>.wasm (to get the wasm a
//                             package embeds in its JavaScript);
// - ASYNCIFY_SWAP_FROM=a.wasm ASYNCIFY_SWAP_TO=b.wasm  compiles b.wasm wherever the package
//                             compiles exactly the bytes of a.wasm (to run a package's glue with
//                             a transformed module). Prints one line to stderr when it swaps.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const captureDir = process.env.ASYNCIFY_CAPTURE_DIR;
const swapFrom = process.env.ASYNCIFY_SWAP_FROM;
const swapTo = process.env.ASYNCIFY_SWAP_TO;
const digest = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const fromDigest = swapFrom ? digest(fs.readFileSync(swapFrom)) : null;
const toBytes = swapTo ? fs.readFileSync(swapTo) : null;
let swaps = 0;

function asBytes(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return null;
}

// Returns the bytes to compile instead of `source` (or `source` itself).
function hook(source) {
  const bytes = asBytes(source);
  if (!bytes) return source;
  if (captureDir && bytes.length >= 1024) {
    fs.mkdirSync(captureDir, { recursive: true });
    fs.writeFileSync(path.join(captureDir, `${bytes.length}.wasm`), bytes);
  }
  if (fromDigest && digest(bytes) === fromDigest) {
    swaps += 1;
    if (process.env.ASYNCIFY_SWAP_QUIET !== '1') {
      process.stderr.write(`wasm-hook: compiling ${swapTo} instead of ${swapFrom}\n`);
    }
    return toBytes;
  }
  return source;
}

const W = WebAssembly;
const origInstantiate = W.instantiate;
const origCompile = W.compile;
const OrigModule = W.Module;
W.instantiate = function (source, imports) {
  if (source instanceof OrigModule) return origInstantiate.call(W, source, imports);
  return origInstantiate.call(W, hook(source), imports);
};
W.compile = function (source) {
  return origCompile.call(W, hook(source));
};
function Module(source) {
  return new OrigModule(hook(source));
}
Module.prototype = OrigModule.prototype;
Module.imports = OrigModule.imports;
Module.exports = OrigModule.exports;
Module.customSections = OrigModule.customSections;
Object.setPrototypeOf(Module, OrigModule);
W.Module = Module;
// Streaming variants: read the response and go through the hooked paths.
W.instantiateStreaming = async function (response, imports) {
  const r = await response;
  return W.instantiate(await r.arrayBuffer(), imports);
};
W.compileStreaming = async function (response) {
  const r = await response;
  return W.compile(await r.arrayBuffer());
};
process.on('exit', () => {
  if (fromDigest && swaps === 0) {
    process.stderr.write(`wasm-hook: ${swapFrom} was never compiled; nothing was swapped\n`);
    process.exitCode = 3;
  }
});
