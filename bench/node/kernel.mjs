// node kernel.mjs FILE N WARMUP REPS: run a C kernel's `run(N)` (bench/kernels) under node's
// WASI with a no-op `env.yield`; prints compile time, run times, results and stdout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WASI } from 'node:wasi';
import { compile, repeat, print } from './common.mjs';

const [file, n, warmup, reps] = process.argv.slice(2);
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'stdout');
const fd = fs.openSync(out, 'w+');
const wasi = new WASI({ version: 'preview1', stdout: fd, returnOnExit: true });
const { module, compile: compileTime } = compile(file);
let yields = 0;
const instance = new WebAssembly.Instance(module, {
  wasi_snapshot_preview1: wasi.wasiImport,
  env: { yield() { yields++; } },
});
wasi.initialize(instance);
const run = instance.exports.run;
const { times, results } = repeat(Number(warmup), Number(reps), () => run(Number(n)));
fs.closeSync(fd);
const stdout = fs.readFileSync(out, 'utf8');
fs.rmSync(path.dirname(out), { recursive: true });
print({ file, compile: compileTime, times, results, stdout, yields });
