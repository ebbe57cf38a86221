// Tables from a results.json (bench/bench.mjs), with the targets of issue #3 checked.
// `node bench/report.mjs [results.json]` re-renders the book page from saved results.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BEGIN = '<!-- BEGIN GENERATED RESULTS: bench/run.sh rewrites everything up to the END marker -->';
const END = '<!-- END GENERATED RESULTS -->';

const TOOL_NAMES = {
  asyncify: 'asyncify', 'asyncify-huge': 'asyncify --split huge', 'asyncify-O3': 'asyncify -O3',
  'wasm-opt-108': 'wasm-opt 108', 'wasm-opt-132': 'wasm-opt 132',
};
const SAME_AS_O = '= -O';

// Whether `--split huge` left the output of (module, flags) as `-O`'s (no function that big);
// the runtime and compile steps then ran only the `-O` output.
function hugeSameAsO(results, module, flags) {
  return Boolean(results.transform.rows.find((r) => r.module === module && r.flags === flags
    && r.tool === 'asyncify-huge')?.sameAs);
}
const FLAG_NAMES = { imports: '`--imports` one', all: 'no list', 'ignore-indirect': '`--ignore-indirect`' };

const ok = (r) => r && r.status === 'ok';
// A run's behaviour against the input's: ✓, or what went wrong.
const behaviourCell = (r) => (!r ? '–' : r.behaviour === 'same' ? '✓' : r.behaviour === 'error' ? `✗ (${r.error})` : '✗ differs');
const mark = (pass) => (pass === null || pass === undefined ? '?' : pass ? '✓' : '✗');

function secs(s) {
  if (s === null || s === undefined) return '–';
  if (s < 0.001) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`;
  return `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

function kb(bytes) {
  if (bytes === null || bytes === undefined) return '–';
  return Math.abs(bytes) >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} KB`;
}

function ratio(x, digits = 2) {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(digits)}×`;
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

// Bytes a transform added to the non-custom sections (names and DWARF are custom sections;
// wasm-opt drops them without -g while asyncify keeps them, so they are left out).
function codeBytes(info) {
  return info.bytes - (info.custom_bytes ?? 0);
}

function added(row, input) {
  return ok(row) ? codeBytes(row) - codeBytes(input) : null;
}

// A transform's time or a marker for what happened instead.
function timeCell(row, timeout) {
  if (!row) return '–';
  if (row.status === 'timeout') return `> ${timeout} s`;
  if (row.status === 'skipped') return 'not run';
  if (row.status !== 'ok') return `✗ ${row.status}`;
  return `${secs(row.seconds)}${row.reused ? '*' : ''}`;
}

function commandLine(o) {
  return `bench/run.sh${o.quick ? ' --quick' : ''}${o.modules ? ` --modules ${o.modules.join(',')}` : ''}`
    + `${o.steps.length < 4 ? ` --steps ${o.steps.join(',')}` : ''}${o.rounds ? ` --rounds ${o.rounds}` : ''}`
    + `${o.reuseBinaryen ? ' --reuse-binaryen' : ''}`
    + `${o.npmBinaryen ? '' : ' --no-npm-binaryen'}`;
}

// When a run is on the machine, with its load.
function runLine(results) {
  const e = results.environment;
  const steps = Object.entries(results.steps).map(([k, v]) => `${k} ${(v / 60).toFixed(1)} min`).join(', ');
  const samples = [...(e.loadDuringRun ?? [])].sort((a, b) => a - b);
  const load = samples.length
    ? `; load average during the run ${samples[Math.floor(samples.length / 2)].toFixed(1)} (median; `
      + `${samples[0].toFixed(1)} to ${samples[samples.length - 1].toFixed(1)})`
    : '';
  const stolen = Object.entries(results.steal ?? {}).filter(([k]) => k !== 'corpus');
  const steal = stolen.length
    ? `; CPU time the host gave to other guests (steal): ${stolen.map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')}`
      + `${stolen.some(([, v]) => v >= 0.03) ? ' (3% or more: other load on the host, times less reliable)' : ''}`
    : '';
  return `${e.date.slice(0, 16).replace('T', ' ')} UTC with \`${commandLine(results.options)}\` (${steps}); load average`
    + ` ${e.loadAtStart[0].toFixed(1)} at the start${load}${e.loadAtStart[0] > 1.5 ? ': other work shared the cores' : ''}${steal}`;
}

function context(results) {
  const e = results.environment;
  const o = results.options;
  const from = results.transformFrom;
  return [
    from
      ? `Run of ${runLine(results)}. The transform tables (size, time and memory) come from the run of ${runLine(from)}`
        + ', on the same asyncify build: shared machines have slow spells, and the two steps were each taken from a run without one.'
      : `Run of ${runLine(results)}.`,
    '',
    `- Machine: ${e.cpu}, ${e.cores} cores, ${e.memoryGB} GB, ${e.os}, Linux ${e.kernel}.`,
    `- asyncify ${e.asyncify} (release build, ${e.asyncifyBinary}); ${e.wasmOpt108} (Debian, native); ${e.wasmOpt132} (npm \`binaryen\`, JS);`
      + ` walrus ${e.walrus}; node ${e.node}; wasmtime ${e.wasmtime}; ${e.rustc}; ${e.clang}.`,
    `- Corpus: ${e.corpus.join(', ')}; kernels from \`bench/kernels/\`.`,
    `- Timeout per transform: ${o.timeout} s. Repetitions: ${results.effort.rounds} round(s) of`
      + ` ${results.effort.reps} timed runs (after ${results.effort.warmup} warm-up runs in node); the best time is shown.`,
  ].join('\n');
}

// ---- transform ----------------------------------------------------------------------------

function transformTables(results, targets) {
  const { rows, baselines } = results.transform;
  const timeout = results.options.timeout;
  const find = (module, flags, tool) => rows.find((r) => r.module === module && r.flags === flags && r.tool === tool);
  const sizeRows = [];
  const speedRows = [];
  const sizeChecks = { 'wasm-opt-108': [], 'wasm-opt-132': [], net: [], huge: [] };
  const speed = { fast: [], walrus: [], rss: [], rssWalrus: [] };
  for (const base of baselines) {
    const input = base.input;
    for (const flags of ['imports', 'all', 'ignore-indirect']) {
      const ours = find(base.module, flags, 'asyncify');
      const huge = find(base.module, flags, 'asyncify-huge');
      const o3 = find(base.module, flags, 'asyncify-O3');
      const b108 = find(base.module, flags, 'wasm-opt-108');
      const b132 = find(base.module, flags, 'wasm-opt-132');
      if (!ours) continue;
      const a = added(ours, input);
      const pct = (x) => (x === null ? '' : ` (${x < 0 ? '' : '+'}${(100 * x / codeBytes(input)).toFixed(1)}%)`);
      const cells = [ours, huge, o3, b108, b132].map((r) => {
        if (!r || r.status === 'skipped') return '–';
        if (r.sameAs) return SAME_AS_O;
        if (!ok(r)) return r.status === 'timeout' ? `> ${timeout} s` : `✗ ${r.status}`;
        return `${kb(added(r, input))}${pct(added(r, input))}${r.reused ? '*' : ''}`;
      });
      // Where Binaryen added nothing (its -O shrank the rest as much as asyncify added), the
      // target is met only by adding no more than it did.
      const vs = (theirs, list, mine = a) => {
        if (mine === null || theirs === null) return '–';
        const pass = theirs > 0 ? mine <= 0.8 * theirs : mine <= theirs;
        list.push({ module: base.module, flags, x: theirs > 0 ? mine / theirs : Infinity, pass });
        return theirs > 0 ? `${ratio(mine / theirs)} ${mark(pass)}` : `(Binaryen ≤ 0) ${mark(pass)}`;
      };
      // `--split huge` against wasm-opt 108, for the targets table only.
      vs(added(b108, input), sizeChecks.huge, added(huge, input));
      const own = ok(b108) && ok(base.optimized) ? codeBytes(b108) - codeBytes(base.optimized) : null;
      const counts = [ours, b108, b132].map((r) => (ok(r) ? r.instrumented : '–')).join(' / ');
      sizeRows.push([base.module, FLAG_NAMES[flags], `${counts} of ${input.defined_funcs}`, ...cells,
        vs(added(b108, input), sizeChecks['wasm-opt-108']), vs(added(b132, input), sizeChecks['wasm-opt-132']),
        own === null ? '–' : kb(own), vs(own, sizeChecks.net)]);

      const rt = base.roundtrip;
      const fast = ok(ours) && b108 ? (ok(b108) ? b108.seconds / ours.seconds
        : b108.status === 'timeout' ? timeout / ours.seconds : null) : null;
      const fastCell = fast === null ? '–' : `${b108.status === 'timeout' ? '≥ ' : ''}${fast.toFixed(0)}× ${mark(fast >= 50 ? true : b108.status === 'timeout' ? null : false)}`;
      if (fast !== null) speed.fast.push({ module: base.module, flags, x: fast });
      const vsWalrus = ok(ours) && ok(rt) ? ours.seconds / rt.seconds : null;
      if (vsWalrus !== null) speed.walrus.push({ module: base.module, flags, x: vsWalrus });
      const rss = ok(ours) && ok(b108) ? ours.rssMB / b108.rssMB : null;
      if (rss !== null) speed.rss.push({ module: base.module, flags, x: rss });
      const rssWalrus = ok(ours) && ok(rt) ? ours.rssMB / rt.rssMB : null;
      if (rssWalrus !== null) speed.rssWalrus.push({ module: base.module, flags, x: rssWalrus });
      const mb = (r) => (ok(r) && r.rssMB ? `${r.rssMB.toFixed(0)}` : '–');
      speedRows.push([base.module, kb(input.bytes), FLAG_NAMES[flags], timeCell(ours, timeout), timeCell(o3, timeout), secs(rt.seconds),
        timeCell(b108, timeout), timeCell(b132, timeout), fastCell,
        vsWalrus === null ? '–' : `${ratio(vsWalrus, 1)} ${mark(vsWalrus <= 2)}`,
        `${mb(ours)} / ${mb(rt)} / ${mb(b108)} / ${mb(b132)}`,
        rss === null ? '–' : `${ratio(rss)} ${mark(rss <= 1 / 3)}`,
        rssWalrus === null ? '–' : `${ratio(rssWalrus, 1)} ${mark(rssWalrus <= 1.5)}`]);
    }
  }

  // Growth of asyncify's time with module size: least-squares slope of log(time) over
  // log(size), no import list, modules of 100 KB and more (below that, start-up dominates).
  const points = baselines.map((b) => ({ b, r: find(b.module, 'all', 'asyncify') }))
    .filter(({ b, r }) => ok(r) && b.input.bytes >= 1e5).map(({ b, r }) => [Math.log(b.input.bytes), Math.log(r.seconds)]);
  let exponent = null;
  if (points.length >= 3) {
    const mx = points.reduce((s, p) => s + p[0], 0) / points.length;
    const my = points.reduce((s, p) => s + p[1], 0) / points.length;
    exponent = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  }

  const summarize = (list, pass, worst) => {
    if (!list.length) return { text: 'not measured', pass: null };
    const met = list.filter(pass).length;
    const w = list.reduce((a, b) => (worst(a.x, b.x) ? a : b));
    const shown = Number.isFinite(w.x) ? ratio(w.x, w.x >= 10 ? 0 : 2) : 'n/a (Binaryen added nothing)';
    return { text: `${met} of ${list.length}; worst ${shown} (${w.module}, ${FLAG_NAMES[w.flags]})`, pass: met === list.length };
  };
  targets.push(['Bytes added ≤ 0.8× wasm-opt 108\'s, every module and flag set',
    summarize(sizeChecks['wasm-opt-108'], (c) => c.pass, (a, b) => a > b)]);
  targets.push(['Bytes added ≤ 0.8× wasm-opt 132\'s, every module and flag set',
    summarize(sizeChecks['wasm-opt-132'], (c) => c.pass, (a, b) => a > b)]);
  targets.push(['(the same against wasm-opt 108 net of its own `-O`)',
    summarize(sizeChecks.net, (c) => c.pass, (a, b) => a > b)]);
  targets.push(['(the same against wasm-opt 108, with `-O --split huge`)',
    summarize(sizeChecks.huge, (c) => c.pass, (a, b) => a > b)]);
  // The issue's stricter size target, for once indirect calls are narrowed (they are by
  // default): half of Binaryen's cost net of its optimizer.
  targets.push(['Bytes added ≤ 0.5× wasm-opt 108\'s net of its own `-O` (the target with indirect calls narrowed)',
    summarize(sizeChecks.net, (c) => (Number.isFinite(c.x) ? c.x <= 0.5 : c.pass), (a, b) => a > b)]);
  // Where wasm-opt timed out the ratio is a lower bound (shown as ≥); counted as met only if
  // that bound reaches 50.
  targets.push(['Transform ≥ 50× faster than wasm-opt 108', summarize(speed.fast, (c) => c.x >= 50, (a, b) => a < b)]);
  targets.push(['Transform time ≤ 2× a bare walrus round trip', summarize(speed.walrus, (c) => c.x <= 2, (a, b) => a > b)]);
  targets.push(['Peak RSS ≤ 1/3 of wasm-opt 108\'s', summarize(speed.rss, (c) => c.x <= 1 / 3, (a, b) => a > b)]);
  targets.push(['Peak RSS ≤ 1.5× the bare round trip\'s', summarize(speed.rssWalrus, (c) => c.x <= 1.5, (a, b) => a > b)]);
  targets.push(['Time near-linear in module size (fitted exponent ≤ 1.15, no list, modules ≥ 100 KB)',
    exponent === null ? { text: 'not measured', pass: null }
      : { text: `time ∝ size^${exponent.toFixed(2)} over ${points.length} modules`, pass: exponent <= 1.15 }]);

  const validity = Object.keys(TOOL_NAMES).map((tool) => {
    const mine = rows.filter((r) => r.tool === tool);
    const invalid = mine.filter((r) => r.status === 'invalid').length;
    const failed = mine.filter((r) => r.status === 'error').length;
    const timedOut = mine.filter((r) => r.status === 'timeout').length;
    const skipped = mine.filter((r) => r.status === 'skipped').length;
    return `${TOOL_NAMES[tool]}: ${mine.filter(ok).length} of ${mine.length} valid`
      + `${invalid ? `, ${invalid} invalid` : ''}${failed ? `, ${failed} failed` : ''}${timedOut ? `, ${timedOut} timed out` : ''}`
      + `${skipped ? `, ${skipped} not run (wasm-opt 108 needed more than 40% of the timeout)` : ''}`;
  }).join('; ');
  const failures = rows.filter((r) => r.status === 'error' || r.status === 'invalid')
    .map((r) => `- ${r.module}, ${FLAG_NAMES[r.flags]}, ${TOOL_NAMES[r.tool]}: ${r.error ?? 'output does not validate'}`);

  return [
    '### Size',
    '',
    'Bytes added to the code and data (all sections except custom ones: wasm-opt drops the name',
    'section and DWARF, asyncify keeps them), as a share of the input\'s. "Instrumented" counts the functions',
    'that read or write the asyncify state global in the output (Binaryen\'s `-O` may inline some into',
    'their callers). The last columns are Binaryen\'s asyncify cost net of its optimizer (108\'s',
    '`--asyncify -O` output minus its `-O` output: its `-O` also shrinks the functions asyncify leaves',
    'alone) and our ratio to that. Target: ≤ 0.8× Binaryen (with `-O`; `-O3` trades size for speed:',
    'every instrumented function also gets a copy for rewinding; `-O --split huge` gives one only to',
    `functions of more than 12,000 instructions, "${SAME_AS_O}" where there is none).`,
    '',
    table(['module', 'flags', 'instrumented (asyncify / 108 / 132)', 'added: asyncify', 'added: --split huge', 'added: -O3', 'added: wasm-opt 108',
      'added: wasm-opt 132', 'asyncify ÷ 108', 'asyncify ÷ 132', '108 net of its -O', 'asyncify ÷ 108 net'], sizeRows),
    '',
    '### Transform time and memory',
    '',
    'Wall time and peak RSS (RSS in MB: asyncify / walrus round trip / wasm-opt 108 / wasm-opt 132):',
    'one run, or for runs under a second the fastest of up to seven (the largest RSS). The walrus',
    'round trip parses and writes the module with nothing in between (the same walrus as',
    'asyncify). Targets (for `-O`): ≥ 50× faster than wasm-opt 108, ≤ 2× the round trip; RSS',
    '≤ 1/3 of wasm-opt 108\'s and ≤ 1.5× the round trip\'s.',
    '',
    table(['module', 'size', 'flags', 'asyncify', 'asyncify -O3', 'walrus round trip', 'wasm-opt 108', 'wasm-opt 132',
      '108 ÷ asyncify', 'asyncify ÷ round trip', 'RSS MB', 'RSS ÷ 108', 'RSS ÷ round trip'], speedRows),
    '',
    `Validity (every output is checked with wasmparser, all features on): ${validity}.`,
    ...(failures.length ? ['', 'Failures:', '', ...failures] : []),
    ...(rows.some((r) => r.reused) ? ['', '\\* reused from an earlier run (`--reuse-binaryen`).'] : []),
  ].join('\n');
}

// ---- runtime ----------------------------------------------------------------------------

function runtimeTables(results, targets) {
  const rows = results.runtime;
  if (!rows?.length) return '';
  const get = (w, engine, variant) => rows.find((r) => r.workload === w && r.engine === engine && r.variant === variant);
  const out = [];
  const checks = { apps: [], kernels: [], interp: [] };
  const behaviour = [];
  for (const w of [...new Set(rows.map((r) => r.workload))]) {
    for (const engine of ['node', 'wasmtime']) {
      const input = get(w, engine, 'input');
      const optimized = get(w, engine, 'wasm-opt -O');
      if (!input) continue;
      for (const flags of ['imports', 'all', 'ignore-indirect']) {
        const ours = get(w, engine, `asyncify ${flags}`);
        const hugeSame = hugeSameAsO(results, w, flags);
        const huge = hugeSame ? ours : get(w, engine, `asyncify-huge ${flags}`);
        const o3 = get(w, engine, `asyncify-O3 ${flags}`);
        const bin = get(w, engine, `wasm-opt-108 ${flags}`);
        const o = ours?.best && input.best ? ours.best / input.best : null;
        const oh = huge?.best && input.best ? huge.best / input.best : null;
        const o3x = o3?.best && input.best ? o3.best / input.best : null;
        const b = bin?.best && optimized?.best ? bin.best / optimized.best : null;
        const kernel = !['sql.js', 'quickjs'].includes(w);
        let target = '';
        let pass = null;
        // Each target is checked for -O and for -O3 (cells: -O / -O3).
        if (o !== null && b !== null && ((!kernel && flags === 'all') || (w === 'interp' && flags === 'imports'))) {
          pass = o - 1 <= 0.5 * (b - 1);
          const passh = oh !== null && oh - 1 <= 0.5 * (b - 1);
          const pass3 = o3x !== null && o3x - 1 <= 0.5 * (b - 1);
          target = `≤ ½ Binaryen's ${mark(pass)} / ${mark(passh)} / ${mark(pass3)}`;
          (kernel ? checks.interp : checks.apps).push({ w, engine, flags, o, oh, o3: o3x, b, pass, passh, pass3 });
        }
        if (o !== null && kernel && flags === 'imports') {
          const p = o <= 1.05;
          const ph = oh !== null && oh <= 1.05;
          const p3 = o3x !== null && o3x <= 1.05;
          const cell = `≤ 1.05 ${mark(p)} / ${mark(ph)} / ${mark(p3)}`;
          target = target ? `${target}; ${cell}` : cell;
          checks.kernels.push({ w, engine, o, oh, o3: o3x, pass: p, passh: ph, pass3: p3 });
        }
        const hugeCell = hugeSame ? SAME_AS_O : huge?.best ? secs(huge.best) : behaviourCell(huge);
        out.push([w, engine, FLAG_NAMES[flags], secs(input.best), ours?.best ? secs(ours.best) : behaviourCell(ours),
          ratio(o), hugeCell, hugeSame ? SAME_AS_O : ratio(oh), o3?.best ? secs(o3.best) : behaviourCell(o3), ratio(o3x),
          secs(optimized?.best), bin?.best ? secs(bin.best) : behaviourCell(bin), ratio(b), target,
          `${behaviourCell(ours)} / ${hugeSame ? SAME_AS_O : behaviourCell(huge)} / ${behaviourCell(o3)} / ${behaviourCell(bin)}`]);
        for (const r of hugeSame ? [ours, o3, bin] : [ours, huge, o3, bin]) if (r) behaviour.push(r);
      }
    }
  }
  const fmt = (list, f) => list.map(f).join('; ');
  // Runtime targets, for -O, -O --split huge and -O3 (the speed level).
  for (const [level, key, pk] of [['-O', 'o', 'pass'], ['-O --split huge', 'oh', 'passh'], ['-O3', 'o3', 'pass3']]) {
    targets.push([`Runtime overhead ≤ ½ Binaryen's on sql.js and quickjs (no list), ${level}`, checks.apps.length ? {
      text: fmt(checks.apps, (c) => `${c.w} ${c.engine} ${ratio(c[key])} vs ${ratio(c.b)}`), pass: checks.apps.every((c) => c[pk]) }
      : { text: 'not measured', pass: null }]);
    // No kernel has a function big enough for `--split huge`: its kernel rows would be -O's.
    if (key === 'oh') continue;
    targets.push([`Runtime overhead ≤ 5% on the kernels (import list), ${level}`, checks.kernels.length ? {
      text: `${checks.kernels.filter((c) => c[pk]).length} of ${checks.kernels.length}; worst `
        + (() => { const w = checks.kernels.reduce((a, b) => ((a[key] ?? Infinity) > (b[key] ?? Infinity) ? a : b)); return `${ratio(w[key])} (${w.w}, ${w.engine})`; })(),
      pass: checks.kernels.every((c) => c[pk]) } : { text: 'not measured', pass: null }]);
    targets.push([`Huge dispatch function (interp, import list): well under Binaryen's (≤ ½ its overhead), ${level}`, checks.interp.length ? {
      text: fmt(checks.interp, (c) => `${c.engine} ${ratio(c[key])} vs ${ratio(c.b)}`), pass: checks.interp.every((c) => c[pk]) }
      : { text: 'not measured', pass: null }]);
  }
  const same = (tool) => behaviour.filter((r) => r.tool === tool);
  targets.push(['Same behaviour as the input (results and API checks), both engines',
    { text: ['asyncify', 'asyncify-huge', 'asyncify-O3', 'wasm-opt-108'].map((t) => `${TOOL_NAMES[t]} ${same(t).filter((r) => r.behaviour === 'same').length} of ${same(t).length}`).join('; '),
      pass: [...same('asyncify'), ...same('asyncify-huge'), ...same('asyncify-O3')].every((r) => r.behaviour === 'same') }]);
  return [
    '### Run time with no pauses',
    '',
    'Best time of one workload run. asyncify\'s overhead is time(asyncify) ÷ time(input); Binaryen\'s is',
    'time(`wasm-opt --asyncify -O`) ÷ time(`wasm-opt -O`), so that its general optimizer is not counted',
    'as asyncify\'s gain (wasm-opt 108 for both). Workloads: the kernels\' `run(n)`; sql.js building,',
    'indexing, joining and sorting 50,000 rows (`bench/workloads/sqljs.sql`); quickjs evaluating',
    '`bench/workloads/quickjs.js`. Node runs the packages\' own JS glue; wasmtime runs the same',
    'exports with a minimal host (`bench/tool/src/emscripten.rs`). The last column checks behaviour',
    '(asyncify / asyncify --split huge / asyncify -O3 / Binaryen): results, printed output and the API',
    `checks equal the input's. "${SAME_AS_O}": \`--split huge\` split nothing, so its output is -O's.`,
    '',
    table(['workload', 'engine', 'flags', 'input', 'asyncify', 'overhead', 'asyncify --split huge', 'overhead --split huge',
      'asyncify -O3', 'overhead -O3', 'wasm-opt -O', 'wasm-opt --asyncify -O', 'Binaryen overhead',
      'target (-O / --split huge / -O3)', 'behaviour'], out),
  ].join('\n');
}

function pausedTable(results, targets) {
  const rows = results.paused;
  if (!rows?.length) return '';
  const binaryen = (r) => rows.find((b) => b.workload === r.workload && b.flags === r.flags && b.tool === 'wasm-opt-108');
  const out = rows.map((r) => {
    const b = binaryen(r);
    const vs = r.tool !== 'wasm-opt-108' && b?.pausedBytes && r.pausedBytes !== null ? ratio(r.pausedBytes / b.pausedBytes) : '–';
    return [r.workload, FLAG_NAMES[r.flags], TOOL_NAMES[r.tool], behaviourCell(r), r.pauses ?? '–',
      r.pausedBytes === null ? '–' : kb(r.pausedBytes), r.pauses ? (r.pausedBytes / r.pauses).toFixed(0) : '–',
      r.deepest ?? '–', vs];
  });
  const ours = rows.filter((r) => r.tool.startsWith('asyncify'));
  targets.push(['Same behaviour as the input when every pausing import call pauses (sql.js, quickjs; node)', {
    text: `${ours.filter((r) => r.behaviour === 'same').length} of ${ours.length} transforms; `
      + `${rows.reduce((n, r) => n + (r.pauses ?? 0), 0).toLocaleString('en-US')} pauses in all`,
    pass: ours.length > 0 && ours.every((r) => r.behaviour === 'same') }]);
  const ratios = rows.filter((r) => r.tool === 'asyncify' && r.pausedBytes && binaryen(r)?.pausedBytes)
    .map((r) => ({ r, x: r.pausedBytes / binaryen(r).pausedBytes }));
  targets.push(['Bytes saved over real pauses ≤ 0.7× Binaryen\'s (sql.js and quickjs paused at every pausing import call), -O', ratios.length ? {
    text: ratios.map(({ r, x }) => `${r.workload} ${FLAG_NAMES[r.flags]} ${ratio(x)}`).join('; '),
    pass: ratios.every(({ x }) => x <= 0.7) } : { text: 'not measured', pass: null }]);
  return [
    '### Real programs, paused at every import call',
    '',
    'The node drivers again, with each transformed sql.js and quickjs run once more so that every',
    'call of an import that may pause pauses: the import runs, the whole wasm stack unwinds into the',
    'data structure and rewinds at once, and the import\'s result is returned on the rewind',
    '(`bench/node/pauses.mjs`; `--imports` pauses at that import only, no list at every import;',
    '`--ignore-indirect` promises no pause under an indirect call, which SQLite\'s VFS makes, so it is',
    'left out). Results and API checks must equal the input\'s unpaused run. Bytes are the data',
    'structure\'s use at each pause (the frames saved), summed over the pauses, per pause, and at the',
    'deepest one; the last column compares the sum with wasm-opt 108\'s.',
    '',
    table(['workload', 'flags', 'tool', 'behaviour', 'pauses', 'bytes saved, all pauses', 'per pause', 'deepest pause',
      '÷ wasm-opt 108'], out),
  ].join('\n');
}

function compileTable(results) {
  const rows = results.compile;
  if (!rows?.length) return '';
  const out = [];
  for (const w of [...new Set(rows.map((r) => r.workload))]) {
    for (const engine of [...new Set(rows.map((r) => r.engine))]) {
      const get = (v) => rows.find((r) => r.workload === w && r.engine === engine && r.variant === v);
      const input = get('input');
      const optimized = get('wasm-opt -O');
      if (!input) continue;
      const cells = ['imports', 'all', 'ignore-indirect'].map((f) => {
        const o = get(`asyncify ${f}`);
        const huge = get(`asyncify-huge ${f}`);
        const o3 = get(`asyncify-O3 ${f}`);
        const b = get(`wasm-opt-108 ${f}`);
        const show = (r, base) => (!r ? '–' : r.seconds === null ? `✗ (${r.error})` : `${secs(r.seconds)} (${ratio(r.seconds / base.seconds, 1)})`);
        const hugeCell = hugeSameAsO(results, w, f) ? SAME_AS_O : show(huge, input);
        return `${show(o, input)} / ${hugeCell} / ${show(o3, input)} / ${optimized ? show(b, optimized) : '–'}`;
      });
      out.push([w, engine, secs(input.seconds), secs(optimized?.seconds), ...cells]);
    }
  }
  return [
    '### Engine compile time',
    '',
    'Time to compile the module (node: `new WebAssembly.Module` with lazy compilation off, so the',
    'whole module is compiled by Liftoff, or by TurboFan with `--no-liftoff`; wasmtime:',
    '`Module::new`, Cranelift). Cells: asyncify (÷ input) / asyncify --split huge (÷ input) /',
    'asyncify -O3 (÷ input) / wasm-opt 108 `--asyncify -O` (÷ its `-O`).',
    '',
    table(['workload', 'engine', 'input', 'wasm-opt -O', `${FLAG_NAMES.imports}`, FLAG_NAMES.all, FLAG_NAMES['ignore-indirect']], out),
  ].join('\n');
}

function pauseTable(results, targets) {
  const rows = results.pause;
  if (!rows?.length) return '';
  const first = (r) => rows.find((x) => x.engine === r.engine && x.tool === r.tool && x.depth === 1);
  const perFrame = (r) => (r.bytes === null || r.depth === 1 || first(r)?.bytes == null ? '–'
    : ((r.bytes - first(r).bytes) / (r.depth - 1)).toFixed(1));
  const out = rows.map((r) => [r.engine, TOOL_NAMES[r.tool], r.depth, r.bytes ?? `✗ (${r.error})`,
    perFrame(r), secs(r.plain), secs(r.paused), r.paused === null ? '–' : secs(r.paused - r.plain)]);
  const slope = (tool) => {
    const own = rows.filter((r) => r.tool === tool && r.engine === rows[0].engine && r.bytes !== null);
    const lo = own.find((r) => r.depth === 1);
    const hi = own.find((r) => r.depth === 1000);
    return lo && hi ? (hi.bytes - lo.bytes) / (hi.depth - lo.depth) : null;
  };
  const ours = slope('asyncify');
  const bin = slope('wasm-opt-108');
  targets.push(['Bytes saved per paused frame ≤ 0.7× Binaryen\'s', ours === null || bin === null
    ? { text: 'not measured', pass: null }
    : { text: `${ours.toFixed(1)} vs ${bin.toFixed(1)} bytes per frame (${ratio(ours / bin)})`, pass: ours <= 0.7 * bin }]);
  return [
    '### Pause and resume',
    '',
    '`bench/kernels/deep.c`: `run(d)` recurses `d` frames, each with an i32, an i64 and an f64 live across',
    'the call, and calls `env.yield` at the bottom, where the host pauses: it unwinds, reads `pos` from the',
    'data header (bytes saved), rewinds and finishes. Every transform with `--imports env.yield` (with',
    '`-O3` a rewind passes through both copies of each function: one more call per frame).',
    'Times are per `run(d)`: without a pause (the import returns at once), and with one pause+resume;',
    'their difference is what the pause costs.',
    '',
    table(['engine', 'tool', 'depth', 'bytes saved', 'bytes per frame (beyond depth 1)', 'run, no pause',
      'run with pause+resume', 'pause+resume cost'], out),
  ].join('\n');
}

export function render(results) {
  const targets = [];
  const sections = [
    transformTables(results, targets),
    runtimeTables(results, targets),
    pausedTable(results, targets),
    compileTable(results),
    pauseTable(results, targets),
  ].filter(Boolean);
  const corpus = (results.modules ?? []).map((m) => {
    const input = results.transform.baselines.find((b) => b.module === m.name)?.input;
    return [m.name, m.version ? `${m.package}@${m.version}` : m.package, kb(m.bytes),
      input?.defined_funcs ?? '–', `\`${m.import}\``, m.why];
  });
  return [
    context(results),
    '',
    '### Targets',
    '',
    table(['target (issue #3)', 'measured', 'met'], targets.map(([name, t]) => [name, t.text, mark(t.pass)])),
    '',
    '### Corpus',
    '',
    'The `--imports` flag set names the import in the table (one that could plausibly pause);',
    'the others are no list (every import may pause) and `--ignore-indirect` (no list; indirect calls',
    'never pause). Binaryen gets the same as `--pass-arg=asyncify-imports@...` and',
    '`--pass-arg=asyncify-ignore-indirect`.',
    '',
    table(['module', 'package', 'size', 'functions', '`--imports`', 'what the import is'], corpus),
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}

export function writeReport(results, reportPath, bookPath) {
  const markdown = render(results);
  fs.writeFileSync(reportPath, markdown);
  if (!bookPath) return;
  const book = fs.readFileSync(bookPath, 'utf8');
  const begin = book.indexOf(BEGIN);
  const end = book.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${bookPath} lacks the generated-results markers`);
  fs.writeFileSync(bookPath, `${book.slice(0, begin + BEGIN.length)}\n\n${markdown}\n${book.slice(end)}`);
}

// `node bench/report.mjs [RESULTS] [TRANSFORM_RESULTS]`: with a second file, the transform
// tables come from it (a run of the same asyncify build) and the rest from the first.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bench = path.dirname(fileURLToPath(import.meta.url));
  const file = process.argv[2] ?? path.join(bench, 'results/latest.json');
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (process.argv[3]) {
    const other = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
    // "sha256 X, built T": the same bytes are the same build, whenever they were linked.
    const hash = (r) => r.environment.asyncifyBinary.split(',')[0];
    if (hash(other) !== hash(results)) {
      throw new Error(`${process.argv[3]} is a run of another asyncify build (${other.environment.asyncifyBinary})`);
    }
    results.transform = other.transform;
    results.transformFrom = { environment: other.environment, options: other.options, steps: other.steps };
  }
  writeReport(results, path.join(path.dirname(file), 'report.md'), path.join(bench, '../book/src/performance.md'));
}
