// Shared by the node tests: build fixtures with our CLI (and clang for C), and small utilities.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtures = join(repo, 'tests/js/fixtures');

let cachedBin;

/**
 * The asyncify CLI: `$ASYNCIFY_BIN`, else the newer of target/debug and target/release, else
 * built with cargo.
 */
export function asyncifyBin() {
  if (cachedBin) return cachedBin;
  if (process.env.ASYNCIFY_BIN) return (cachedBin = process.env.ASYNCIFY_BIN);
  const candidates = ['debug', 'release']
    .map((profile) => join(repo, 'target', profile, 'asyncify'))
    .filter((path) => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (candidates.length === 0) {
    execFileSync('cargo', ['build', '--bin', 'asyncify'], { cwd: repo, stdio: 'inherit' });
    candidates.push(join(repo, 'target/debug/asyncify'));
  }
  return (cachedBin = candidates[0]);
}

/** A scratch directory removed when the process exits. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'asyncify-js-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const work = scratch();
let counter = 0;

/** Run the CLI on a file (a fixture name or a path) and return the output bytes. */
export function asyncify(input, args = []) {
  const path = input.includes('/') ? input : join(fixtures, input);
  const out = join(work, `out${counter++}.wasm`);
  const result = spawnSync(asyncifyBin(), [path, ...args, '-o', out], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`asyncify ${[path, ...args].join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return readFileSync(out);
}

/** The untransformed bytes of a WAT fixture, from wabt's `wat2wasm`. */
export function watToWasm(name) {
  const out = join(work, `plain${counter++}.wasm`);
  execFileSync('wat2wasm', [join(fixtures, name), '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(out);
}

/** Where clang-16 and wasm-ld live, as in the Rust tests (`ASYNCIFY_LLVM_BIN` overrides). */
export function llvmBin() {
  return process.env.ASYNCIFY_LLVM_BIN ?? '/usr/lib/llvm-16/bin';
}

/** Why C fixtures cannot be built here, or null if they can. */
export function clangMissing() {
  if (process.env.ASYNCIFY_SKIP_CLANG === '1') return 'ASYNCIFY_SKIP_CLANG=1';
  if (!existsSync(join(llvmBin(), 'clang')) || !existsSync(join(llvmBin(), 'wasm-ld'))) {
    return `no clang/wasm-ld in ${llvmBin()} (install clang-16 lld-16 wasi-libc, or set ASYNCIFY_LLVM_BIN)`;
  }
  return null;
}

/**
 * Compile a C fixture to a wasm32-wasi reactor. PATH holds only the LLVM directory so clang
 * cannot find a wasm-opt and run it on its own (see the book's C chapter).
 */
export function compileC(name, flags = []) {
  const out = join(work, `c${counter++}.wasm`);
  const bin = llvmBin();
  const sysroot = process.env.ASYNCIFY_WASI_SYSROOT ?? '/usr';
  execFileSync(
    join(bin, 'clang'),
    [
      '--target=wasm32-wasi',
      `--sysroot=${sysroot}`,
      `-fuse-ld=${join(bin, 'wasm-ld')}`,
      '-O2',
      '-mexec-model=reactor',
      '-Wall',
      '-Werror',
      `-I${join(repo, 'include')}`,
      ...flags,
      '-o',
      out,
      join(fixtures, name),
    ],
    { env: { ...process.env, PATH: bin }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return out;
}

/** A Promise that resolves after `ms` milliseconds. */
export const delay = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** Collects lines, for comparing transcripts. */
export function transcript() {
  const lines = [];
  const log = (line) => lines.push(String(line));
  return { lines, log };
}

/** Binaryen's wasm-opt, if installed (the reference implementation). */
export function wasmOptMissing() {
  const probe = spawnSync('wasm-opt', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? null : 'wasm-opt (binaryen) is not installed';
}

/** Transform a WAT fixture with `wasm-opt --asyncify` and the given pass arguments. */
export function wasmOptAsyncify(name, passArgs = [], flags = ['-O']) {
  const out = join(work, `binaryen${counter++}.wasm`);
  const args = [join(fixtures, name), '--asyncify', ...flags, ...passArgs.map((a) => `--pass-arg=${a}`), '-o', out];
  execFileSync('wasm-opt', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(out);
}

/** wabt's wat2wasm, if installed. */
export function wat2wasmMissing() {
  const probe = spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? null : 'wat2wasm (wabt) is not installed';
}
