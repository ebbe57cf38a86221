// The benchmark driver. Run it through bench/run.sh, which installs and builds what it needs;
// `bench/run.sh --help` lists the options. Steps:
//   corpus     install the packages into the cache, compile the C kernels
//   transform  every module x flag set x tool: time, peak RSS, bytes, instrumented functions,
//              validity; plus a bare walrus round trip and `wasm-opt -O` of every module
//   runtime    steady-state run time with no pauses, node and wasmtime, with behaviour checks
//   compile    engine compile time of each variant
//   pause      bytes saved and time per pause+resume as a function of stack depth
// Results go to bench/results/<time>/ (JSON and CSV) and, as tables, into
// book/src/performance.md (between the generated-results markers).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CACHE, PACKAGES, KERNELS, install, wasmPath, buildKernels, sha256 } from './corpus.mjs';
import { measure, measureBest, why, parseLast, now, since } from './measure.mjs';
import { writeReport } from './report.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const TOOL = path.join(BENCH, 'tool/target/release/asyncify-bench');
// The binary under test is copied first, so that a rebuild of target/ while the benchmark
// runs (others may be working in the same tree) cannot mix two versions in one run.
const BUILT = path.join(ROOT, 'target/release/asyncify');
const ASYNCIFY = path.join(ROOT, 'bench/build/asyncify');
const NPM_WASM_OPT = path.join(CACHE, 'node_modules/binaryen/bin/wasm-opt');
const BUILD = path.join(BENCH, 'build');

const HELP = `usage: bench/run.sh [--quick] [options]

  --quick             Binaryen only on modules up to 1.1 MB (npm Binaryen only on the
                      kernels), one round, fewer repetitions, no TurboFan compile times
  --timeout SECONDS   limit per transform run (default 600; 180 with --quick); npm
                      Binaryen is not run where wasm-opt 108 took more than 40% of it
                      (the JS build is 2.5-4x slower, so it would only time out)
  --modules A,B       only these modules (names as in the tables; kernels: matmul,
                      fannkuch, nbody, interp)
  --steps A,B         only these steps: transform, runtime, compile, pause
  --rounds N          rounds over all variants in the runtime and compile steps (default
                      3; 1 with --quick): more rounds, less noise from a shared machine
  --no-npm-binaryen   leave out npm binaryen (wasm-opt 132, the slow JS build)
  --reuse-binaryen    reuse Binaryen's transform results from earlier runs with the same
                      input, version and flags (cached under the corpus cache), instead of
                      running wasm-opt again: for quick re-runs while working on asyncify;
                      the tables then say so
  --no-book           do not rewrite book/src/performance.md
`;

function parseOptions(argv) {
  const o = {
    quick: false, timeout: null, rounds: null, modules: null, steps: ['transform', 'runtime', 'compile', 'pause'],
    npmBinaryen: true, reuseBinaryen: false, book: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--timeout') o.timeout = Number(value());
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--modules') o.modules = value().split(',');
    else if (a === '--steps') o.steps = value().split(',');
    else if (a === '--no-npm-binaryen') o.npmBinaryen = false;
    else if (a === '--reuse-binaryen') o.reuseBinaryen = true;
    else if (a === '--no-book') o.book = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n\n${HELP}`);
  }
  o.timeout ??= o.quick ? 180 : 600;
  if (o.rounds !== null && !(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error('--rounds needs a whole number of at least 1');
  return o;
}

const options = parseOptions(process.argv.slice(2));
const started = now();
// The 1-minute load average at every progress line: how busy the machine was meanwhile.
const loadSamples = [];
function log(message) {
  loadSamples.push(os.loadavg()[0]);
  process.stderr.write(`[${since(started).toFixed(0).padStart(5)} s] ${message}\n`);
}

// The machine's CPU time so far, in clock ticks: all of it, and what the hypervisor gave to
// other guests while this one wanted to run ("steal", on a VM). A step whose steal share is a
// few percent or more ran on a host busy with other work: its times are less reliable.
function cpuTicks() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return null;
  }
}

// What a quick run still gives to Binaryen, and how hard each step works.
const QUICK_BINARYEN_BYTES = 1.1e6;
const EFFORT = options.quick
  ? { rounds: 1, reps: 3, warmup: 1, turbofan: false }
  : { rounds: 3, reps: 5, warmup: 2, turbofan: true };
if (options.rounds !== null) EFFORT.rounds = options.rounds;

const FLAGSETS = ['imports', 'all', 'ignore-indirect'];
// `asyncify-O3`: our speed level (each instrumented function split into a normal-mode copy and a
// rewind copy); `asyncify-huge`: `-O --split huge` (only functions past V8's register-allocator
// limit are split). The targets are checked on `-O`; the tables show all three.
const TOOLS = ['asyncify', 'asyncify-huge', 'asyncify-O3', 'wasm-opt-108', 'wasm-opt-132'];
const LEVEL_ARGS = { asyncify: ['-O'], 'asyncify-huge': ['-O', '--split', 'huge'], 'asyncify-O3': ['-O3'] };
// The variants the runtime and compile steps run.
const RUN_TOOLS = ['asyncify', 'asyncify-huge', 'asyncify-O3', 'wasm-opt-108'];
const ours = (tool) => tool.startsWith('asyncify');

// Command lines. `-O` everywhere (`-O3` for asyncify-O3): asyncify's own optimizer, and Binaryen's usual
// `--asyncify -O` (asyncify first, then the optimizer; `-all` accepts every feature).
function transformCommand(tool, flags, module, input, output) {
  if (ours(tool)) {
    const f = { imports: ['--imports', module.import], all: [], 'ignore-indirect': ['--ignore-indirect'] }[flags];
    return [ASYNCIFY, [input, ...LEVEL_ARGS[tool], ...f, '-o', output]];
  }
  const f = {
    imports: [`--pass-arg=asyncify-imports@${module.import}`],
    all: [],
    'ignore-indirect': ['--pass-arg=asyncify-ignore-indirect'],
  }[flags];
  const args = [input, '--asyncify', '-O', '-all', ...f, '-o', output];
  return tool === 'wasm-opt-108' ? ['wasm-opt', args] : ['node', [NPM_WASM_OPT, ...args]];
}

function inspect(file) {
  return parseLast(execFileSync(TOOL, ['inspect', file], { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

function outPath(module, name) {
  const dir = path.join(BUILD, 'out', module.name);
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.wasm`);
}

// Modules whose transformed outputs later steps run; other outputs are deleted once measured.
const RUN = new Set(['sql.js', 'quickjs', ...KERNELS.map((k) => k.name), 'deep']);

// Binaryen's results for a given input, version and command line do not change while
// asyncify is being worked on: they are cached (JSON, and the output for modules that are run
// later), keyed by the input's hash and the arguments other than file names.
const BINARYEN_CACHE = path.join(CACHE, 'binaryen-runs');
function binaryenKey(module, name, inputHash, [command, args], input, output) {
  const line = [command, ...args].filter((a) => a !== input && a !== output);
  const hash = crypto.createHash('sha256').update(JSON.stringify([inputHash, line])).digest('hex');
  return path.join(BINARYEN_CACHE, `${module.name}.${name}.${hash.slice(0, 16)}`);
}

function cached(key, keep) {
  if (!key || !options.reuseBinaryen || !fs.existsSync(`${key}.json`)) return null;
  if (keep && !fs.existsSync(`${key}.wasm`)) return null;
  const row = JSON.parse(fs.readFileSync(`${key}.json`, 'utf8'));
  // A timeout only stands for a limit at least as long as this run's.
  return row.status === 'timeout' && row.seconds < options.timeout ? null : row;
}

// Run one command that writes `output` (a transform, or Binaryen's -O alone), measure it and
// inspect the output. Binaryen's runs are cached under `key` (see --reuse-binaryen).
function produce(module, output, [command, args], key) {
  const keep = RUN.has(module.name);
  const reused = cached(key, keep);
  if (reused) {
    if (keep) fs.copyFileSync(`${key}.wasm`, output);
    return { ...reused, reused: true, output: keep ? output : null };
  }
  fs.rmSync(output, { force: true });
  const r = measureBest(command, args, { timeout: options.timeout });
  const row = { status: r.status, seconds: r.seconds, rssMB: r.rssMB, runs: r.runs };
  if (r.status === 'ok') {
    Object.assign(row, inspect(output), { sha256: sha256(output) });
    delete row.file;
    if (!row.valid) row.status = 'invalid';
  } else {
    row.error = why(r);
  }
  if (key) {
    fs.mkdirSync(BINARYEN_CACHE, { recursive: true });
    fs.writeFileSync(`${key}.json`, JSON.stringify(row));
    if (keep && row.status === 'ok') fs.copyFileSync(output, `${key}.wasm`);
  }
  if (!keep) fs.rmSync(output, { force: true });
  return { ...row, output: keep && row.status === 'ok' ? output : null };
}

function transformOne(module, tool, flags, input, inputHash) {
  const output = outPath(module, `${tool}.${flags}`);
  const command = transformCommand(tool, flags, module, input, output);
  const key = ours(tool) ? null : binaryenKey(module, `${tool}.${flags}`, inputHash, command, input, output);
  return produce(module, output, command, key);
}

function binaryenWanted(module, tool, size) {
  if (tool === 'wasm-opt-132' && !options.npmBinaryen) return false;
  if (!options.quick) return true;
  if (tool === 'wasm-opt-132') return Boolean(module.kernel);
  return size <= QUICK_BINARYEN_BYTES;
}

function transformStep(modules) {
  const rows = [];
  const baselines = [];
  for (const module of modules) {
    const input = module.path;
    const info = inspect(input);
    const size = info.bytes;
    const inputHash = sha256(input);
    // The floor: parse + emit with walrus and nothing else.
    const rt = measureBest(TOOL, ['roundtrip', input, outPath(module, 'roundtrip')], { timeout: options.timeout });
    fs.rmSync(outPath(module, 'roundtrip'), { force: true });
    const base = { module: module.name, input: info, roundtrip: { status: rt.status, seconds: rt.seconds, rssMB: rt.rssMB } };
    log(`${module.name} (${(size / 1e6).toFixed(2)} MB): walrus round trip ${rt.seconds.toFixed(2)} s`);
    // Binaryen's optimizer alone, the baseline for its asyncify cost.
    if (binaryenWanted(module, 'wasm-opt-108', size)) {
      const output = outPath(module, 'wasm-opt-108.O');
      const command = ['wasm-opt', [input, '-O', '-all', '-o', output]];
      const row = produce(module, output, command, binaryenKey(module, 'wasm-opt-108.O', inputHash, command, input, output));
      base.optimized = row;
      log(`${module.name}: wasm-opt -O ${row.status} ${row.seconds.toFixed(1)} s`);
    }
    baselines.push(base);
    for (const flags of FLAGSETS) {
      for (const tool of TOOLS) {
        if (!ours(tool) && !binaryenWanted(module, tool, size)) continue;
        const native = rows.find((r) => r.module === module.name && r.flags === flags && r.tool === 'wasm-opt-108');
        if (tool === 'wasm-opt-132' && native && (native.status === 'timeout' || native.seconds > 0.4 * options.timeout)) {
          rows.push({ module: module.name, flags, tool, inputBytes: size, status: 'skipped',
            error: `not run: wasm-opt 108 took ${native.status === 'timeout' ? 'longer than the timeout' : `${native.seconds.toFixed(0)} s`}` });
          continue;
        }
        const row = transformOne(module, tool, flags, input, inputHash);
        // `--split huge` changes nothing where no function is that big: say so, and the later
        // steps run the -O output only.
        const plain = rows.find((r) => r.module === module.name && r.flags === flags && r.tool === 'asyncify');
        if (tool === 'asyncify-huge' && row.status === 'ok' && plain?.status === 'ok' && row.sha256 === plain.sha256) row.sameAs = 'asyncify';
        rows.push({ module: module.name, flags, tool, inputBytes: size, ...row });
        log(`${module.name} ${flags} ${tool}: ${row.status} ${row.seconds.toFixed(2)} s`
          + `${row.rssMB ? ` ${row.rssMB.toFixed(0)} MB` : ''}${row.bytes ? ` -> ${row.bytes} bytes, ${row.instrumented} instrumented` : ''}`
          + `${row.reused ? ' (reused)' : ''}${row.error ? ` (${row.error})` : ''}`);
      }
    }
  }
  return { rows, baselines };
}

// ---- runtime, behaviour and compile time -------------------------------------------------

const WORKLOADS = [
  { module: 'matmul', n: 300 },
  { module: 'fannkuch', n: 10 },
  { module: 'nbody', n: 2000 },
  { module: 'interp', n: 30 },
  { module: 'sql.js', script: path.join(BENCH, 'workloads/sqljs.sql'),
    glue: () => path.join(CACHE, 'node_modules/sql.js/dist/sql-wasm.js') },
  { module: 'quickjs', script: path.join(BENCH, 'workloads/quickjs.js'),
    glue: () => path.join(CACHE, 'node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.cjs') },
];

// The variants of a module that are run: the input, Binaryen's -O of it, and every
// successful transform.
function variants(modulePath, transform, name) {
  const list = [{ id: 'input', file: modulePath }];
  const base = transform.baselines.find((b) => b.module === name);
  if (base?.optimized?.output) list.push({ id: 'wasm-opt -O', file: base.optimized.output });
  for (const flags of FLAGSETS) {
    for (const tool of RUN_TOOLS) {
      const row = transform.rows.find((r) => r.module === name && r.flags === flags && r.tool === tool);
      if (row?.output && !row.sameAs) list.push({ id: `${tool} ${flags}`, tool, flags, file: row.output });
    }
  }
  return list;
}

function runCommand(engine, w, file, reps) {
  const driver = (name) => path.join(BENCH, 'node', name);
  if (engine === 'node') {
    const warm = String(EFFORT.warmup);
    if (w.n) return ['node', [driver('kernel.mjs'), file, String(w.n), warm, String(reps)]];
    const js = w.module === 'sql.js' ? 'sqljs.mjs' : 'quickjs.mjs';
    return ['node', [driver(js), CACHE, file, w.script, warm, String(reps)]];
  }
  // wasmtime compiles ahead of time: one extra repetition, dropped, for page faults.
  if (w.n) return [TOOL, ['kernel', file, String(w.n), String(reps + 1)]];
  const sub = w.module === 'sql.js' ? 'sqljs' : 'quickjs';
  return [TOOL, [sub, file, w.glue(), w.script, String(reps + 1)]];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
}

function runtimeStep(modules, transform) {
  const rows = [];
  for (const w of WORKLOADS) {
    const module = modules.find((m) => m.name === w.module);
    if (!module) continue;
    const list = variants(module.path, transform, w.module);
    for (const engine of ['node', 'wasmtime']) {
      const acc = new Map(list.map((v) => [v.id, { times: [], results: [], checks: [], errors: [] }]));
      // Rounds over all variants, so load from elsewhere on the machine hits them alike.
      for (let round = 0; round < EFFORT.rounds; round++) {
        for (const v of list) {
          const [command, args] = runCommand(engine, w, v.file, EFFORT.reps);
          const r = measure(command, args, { timeout: 900 });
          const a = acc.get(v.id);
          if (r.status !== 'ok') {
            a.errors.push(why(r));
            continue;
          }
          const out = parseLast(r.stdout);
          const times = engine === 'node' ? out.times : out.times.slice(1);
          const results = engine === 'node' ? out.results : out.results.slice(1);
          a.times.push(...times);
          a.results.push(...results.map((x) => JSON.stringify(x)));
          a.checks.push(JSON.stringify([out.check ?? null, out.stdout ?? null]));
        }
      }
      const reference = acc.get('input');
      for (const v of list) {
        const a = acc.get(v.id);
        const same = a.errors.length === 0 && a.results.length > 0
          && [...a.results, ...reference.results].every((x) => x === reference.results[0])
          && [...a.checks, ...reference.checks].every((x) => x === reference.checks[0]);
        rows.push({
          workload: w.module, engine, variant: v.id, tool: v.tool ?? null, flags: v.flags ?? null,
          best: a.times.length ? Math.min(...a.times) : null, median: median(a.times),
          runs: a.times.length, behaviour: a.errors.length ? 'error' : same ? 'same' : 'different',
          error: a.errors[0] ?? null, result: a.results[0] ?? null,
        });
        log(`${w.module} ${engine} ${v.id}: best ${a.times.length ? Math.min(...a.times).toFixed(3) : '-'} s, ${rows.at(-1).behaviour}${a.errors[0] ? ` (${a.errors[0]})` : ''}`);
      }
    }
  }
  return rows;
}

function compileStep(modules, transform) {
  const rows = [];
  const engines = [
    ['node (Liftoff)', (f) => ['node', ['--no-wasm-lazy-compilation', path.join(BENCH, 'node/compile.mjs'), f]]],
    ...(EFFORT.turbofan ? [['node (TurboFan)', (f) => ['node', ['--no-wasm-lazy-compilation', '--no-liftoff', path.join(BENCH, 'node/compile.mjs'), f]]]] : []),
    ['wasmtime (Cranelift)', (f) => [TOOL, ['compile', f]]],
  ];
  for (const w of WORKLOADS) {
    const module = modules.find((m) => m.name === w.module);
    if (!module) continue;
    const list = variants(module.path, transform, w.module);
    for (const [engine, command] of engines) {
      for (const v of list) {
        const times = [];
        let error = null;
        for (let round = 0; round < EFFORT.rounds; round++) {
          const [c, args] = command(v.file);
          const r = measure(c, args, { timeout: 900 });
          if (r.status === 'ok') times.push(parseLast(r.stdout).seconds);
          else error = why(r);
        }
        rows.push({ workload: w.module, engine, variant: v.id, tool: v.tool ?? null, flags: v.flags ?? null,
          seconds: times.length ? Math.min(...times) : null, error });
      }
      log(`compile ${w.module} ${engine}: done`);
    }
  }
  return rows;
}

// Real programs that really pause: node runs each transformed sql.js and quickjs (the
// flag sets where imports may pause: the one import, or every import) with every call of a
// pausing import turned into an unwind and a rewind (bench/node/pauses.mjs), and checks the
// results and API checks against the input's unpaused run. Also counts the pauses and the
// bytes they saved.
function pausedStep(modules, transform) {
  const rows = [];
  for (const w of WORKLOADS.filter((x) => !x.n)) {
    const module = modules.find((m) => m.name === w.module);
    if (!module) continue;
    const driver = path.join(BENCH, 'node', w.module === 'sql.js' ? 'sqljs.mjs' : 'quickjs.mjs');
    const run = (file, pause) => {
      const r = measure('node', [driver, CACHE, file, w.script, '0', '1', ...(pause ? [pause] : [])], { timeout: 900 });
      return r.status === 'ok' ? { out: parseLast(r.stdout) } : { error: why(r) };
    };
    const reference = run(module.path, null);
    if (reference.error) {
      log(`paused ${w.module}: the input failed: ${reference.error}`);
      continue;
    }
    const expected = JSON.stringify([reference.out.results, reference.out.check]);
    for (const v of variants(module.path, transform, w.module)) {
      if (!v.tool || v.flags === 'ignore-indirect') continue;
      const r = run(v.file, v.flags === 'imports' ? module.import : 'all');
      const same = !r.error && JSON.stringify([r.out.results, r.out.check]) === expected;
      rows.push({ workload: w.module, tool: v.tool, flags: v.flags, behaviour: r.error ? 'error' : same ? 'same' : 'different',
        error: r.error ?? null, pauses: r.out?.pauses ?? null, pausedBytes: r.out?.pausedBytes ?? null,
        deepest: r.out?.deepest ?? null });
      log(`paused ${w.module} ${v.id}: ${rows.at(-1).behaviour}, ${rows.at(-1).pauses} pauses, ${rows.at(-1).pausedBytes} bytes`);
    }
  }
  return rows;
}

// ---- pause+resume cost --------------------------------------------------------------

const DEPTHS = [1, 10, 100, 1000];

function pauseStep(kernelDir) {
  const deep = { name: 'deep', import: 'env.yield', path: path.join(kernelDir, 'deep.wasm') };
  const hash = sha256(deep.path);
  const builds = [];
  for (const tool of ['asyncify', 'asyncify-O3', 'wasm-opt-108']) {
    const row = transformOne(deep, tool, 'imports', deep.path, hash);
    if (row.status === 'ok') builds.push({ tool, file: row.output });
    else log(`pause: ${tool} failed to transform deep.wasm: ${row.error}`);
  }
  const rows = [];
  for (const engine of ['node', 'wasmtime']) {
    for (const { tool, file } of builds) {
      for (const depth of DEPTHS) {
        const best = { plain: Infinity, paused: Infinity };
        let last = null;
        let error = null;
        for (let round = 0; round < EFFORT.rounds; round++) {
          const [c, args] = engine === 'node'
            ? ['node', [path.join(BENCH, 'node/pause.mjs'), file, String(depth)]]
            : [TOOL, ['pause', file, String(depth)]];
          const r = measure(c, args, { timeout: 600 });
          if (r.status !== 'ok') {
            error = why(r);
            continue;
          }
          last = parseLast(r.stdout);
          best.plain = Math.min(best.plain, last.plain);
          best.paused = Math.min(best.paused, last.paused);
        }
        rows.push({ engine, tool, depth, bytes: last?.bytes ?? null,
          plain: last ? best.plain : null, paused: last ? best.paused : null, error });
      }
      log(`pause ${engine} ${tool}: ${rows.filter((r) => r.engine === engine && r.tool === tool).map((r) => `${r.depth}: ${r.bytes} B`).join(', ')}`);
    }
  }
  return rows;
}

// ---- environment ------------------------------------------------------------------------

function capture(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function environment() {
  const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? os.cpus()[0]?.model;
  const lock = fs.readFileSync(path.join(BENCH, 'tool/Cargo.lock'), 'utf8');
  const lockVersion = (name) => lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`))?.[1];
  const osName = fs.readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]+)"/)?.[1];
  const dirty = capture('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'Cargo.toml']);
  return {
    date: new Date().toISOString(),
    cpu, cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: osName, kernel: os.release(), loadAtStart: os.loadavg(),
    asyncify: `${capture('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes in src/' : ''}`,
    asyncifyBinary: `sha256 ${sha256(ASYNCIFY).slice(0, 12)}, built ${fs.statSync(BUILT).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    wasmOpt108: capture('wasm-opt', ['--version']),
    wasmOpt132: capture('node', [NPM_WASM_OPT, '--version']),
    node: process.version,
    rustc: capture('rustc', ['--version']),
    clang: capture('/usr/lib/llvm-16/bin/clang', ['--version'])?.split('\n')[0],
    wasmtime: lockVersion('wasmtime'), walrus: lockVersion('walrus'),
    corpus: PACKAGES.map((p) => `${p.npm ?? p.pypi}@${p.version}`),
  };
}

// ---- main ---------------------------------------------------------------------------------

function main() {
  fs.mkdirSync(BUILD, { recursive: true });
  if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run cargo build --release first`);
  fs.copyFileSync(BUILT, ASYNCIFY);
  const results = { options, effort: EFFORT, environment: environment(), steps: {}, steal: {} };
  const step = (name, body) => {
    const start = now();
    const before = cpuTicks();
    const value = body();
    results.steps[name] = since(start);
    const after = cpuTicks();
    if (before && after && after.total > before.total) {
      results.steal[name] = (after.steal - before.steal) / (after.total - before.total);
    }
    return value;
  };

  const modules = step('corpus', () => {
    install(log);
    const kernelDir = path.join(BUILD, 'kernels');
    buildKernels(path.join(BENCH, 'kernels'), kernelDir);
    const all = [
      ...PACKAGES.map((p) => ({ ...p, path: wasmPath(p) })),
      ...KERNELS.map((k) => ({ ...k, path: path.join(kernelDir, `${k.name}.wasm`) })),
    ];
    return all.filter((m) => !options.modules || options.modules.includes(m.name));
  });
  results.modules = modules.map((m) => ({ name: m.name, package: m.npm ?? m.pypi ?? 'bench/kernels',
    version: m.version ?? null, import: m.import, why: m.why, bytes: fs.statSync(m.path).size }));

  const empty = { rows: [], baselines: [] };
  const transform = options.steps.includes('transform') ? step('transform', () => transformStep(modules)) : empty;
  results.transform = transform;
  if (options.steps.includes('runtime')) {
    results.runtime = step('runtime', () => runtimeStep(modules, transform));
    results.paused = step('paused', () => pausedStep(modules, transform));
  }
  if (options.steps.includes('compile')) results.compile = step('compile', () => compileStep(modules, transform));
  if (options.steps.includes('pause')) results.pause = step('pause', () => pauseStep(path.join(BUILD, 'kernels')));
  results.steps.total = since(started);
  results.environment.loadDuringRun = loadSamples;

  const stamp = results.environment.date.replace(/[:.]/g, '-');
  const dir = path.join(BENCH, 'results', stamp);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 1));
  fs.copyFileSync(path.join(dir, 'results.json'), path.join(BENCH, 'results', 'latest.json'));
  writeCsvs(dir, results);
  const book = options.book ? path.join(ROOT, 'book/src/performance.md') : null;
  writeReport(results, path.join(dir, 'report.md'), book);
  log(`done in ${(results.steps.total / 60).toFixed(1)} min: ${path.relative(ROOT, dir)}/${book ? ', book/src/performance.md' : ''}`);
}

function csv(rows, columns) {
  const cell = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return `${columns.join(',')}\n${rows.map((r) => columns.map((c) => cell(r[c])).join(',')).join('\n')}\n`;
}

function writeCsvs(dir, results) {
  const t = results.transform;
  fs.writeFileSync(path.join(dir, 'transform.csv'), csv(t.rows, ['module', 'flags', 'tool', 'status', 'seconds',
    'rssMB', 'inputBytes', 'bytes', 'custom_bytes', 'code_bytes', 'defined_funcs', 'instrumented', 'total_locals',
    'max_locals', 'valid', 'reused', 'error']));
  fs.writeFileSync(path.join(dir, 'baselines.csv'), csv(t.baselines.map((b) => ({
    module: b.module, bytes: b.input.bytes, custom_bytes: b.input.custom_bytes, roundtrip_seconds: b.roundtrip.seconds,
    roundtrip_rssMB: b.roundtrip.rssMB, wasm_opt_O_seconds: b.optimized?.seconds, wasm_opt_O_rssMB: b.optimized?.rssMB,
    wasm_opt_O_bytes: b.optimized?.bytes, wasm_opt_O_custom_bytes: b.optimized?.custom_bytes,
  })), ['module', 'bytes', 'custom_bytes', 'roundtrip_seconds', 'roundtrip_rssMB', 'wasm_opt_O_seconds',
    'wasm_opt_O_rssMB', 'wasm_opt_O_bytes', 'wasm_opt_O_custom_bytes']));
  if (results.runtime) {
    fs.writeFileSync(path.join(dir, 'runtime.csv'), csv(results.runtime, ['workload', 'engine', 'variant', 'best',
      'median', 'runs', 'behaviour', 'error']));
  }
  if (results.paused) {
    fs.writeFileSync(path.join(dir, 'paused.csv'), csv(results.paused, ['workload', 'tool', 'flags', 'behaviour',
      'pauses', 'pausedBytes', 'deepest', 'error']));
  }
  if (results.compile) {
    fs.writeFileSync(path.join(dir, 'compile.csv'), csv(results.compile, ['workload', 'engine', 'variant', 'seconds', 'error']));
  }
  if (results.pause) {
    fs.writeFileSync(path.join(dir, 'pause.csv'), csv(results.pause, ['engine', 'tool', 'depth', 'bytes', 'plain', 'paused', 'error']));
  }
}

main();
