// Print a module's function imports as `module.name`, one per line (reads the import section
// directly, so it works for modules node cannot compile). Usage: node imports.cjs FILE.wasm
'use strict';
const bytes = require('fs').readFileSync(process.argv[2]);
let pos = 8;
function leb() {
  let result = 0, shift = 0, b;
  do {
    b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return result;
}
function name() {
  const len = leb();
  const s = bytes.subarray(pos, pos + len).toString('utf8');
  pos += len;
  return s;
}
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = leb();
  const end = pos + size;
  if (id === 2) {
    const count = leb();
    for (let i = 0; i < count; i++) {
      const m = name(), n = name();
      const kind = bytes[pos++];
      if (kind === 0) { leb(); console.log(`${m}.${n}`); }
      else if (kind === 1) { pos++; const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 3) { pos++; pos++; }
      else if (kind === 4) { pos++; leb(); }
      else break;
    }
    break;
  }
  pos = end;
}
