// The JavaScript runtime for modules transformed by `asyncify` (or by Binaryen's
// `wasm-opt --asyncify`): an import that returns a Promise pauses the whole wasm stack, and the
// stack is resumed with the Promise's value once it settles.
//
//   import { instantiate } from './asyncify.mjs';
//   const { exports } = await instantiate(wasmBytes, {
//     env: { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
//   }, { asyncImports: ['env.sleep'] });
//   await exports.main();
//
// The same call works on the *untransformed* module when the engine has JS Promise Integration
// (`WebAssembly.Suspending` and `WebAssembly.promising`). The book's "JavaScript runtime"
// chapter documents every option; the comments here explain how it works.
//
// How a pause works (Binaryen's host protocol, see the book's ABI chapter):
//   1. An async import returns a Promise. Its wrapper writes `{pos, end}` into the call's
//      asyncify buffer, calls `asyncify_start_unwind(buffer)` and returns a placeholder.
//   2. Every instrumented function on the wasm stack saves its frame and returns; the export
//      returns to us with the state "unwinding". We call `asyncify_stop_unwind()` (state back
//      to normal, so the instance is usable while the call is paused) and await the Promise.
//   3. We call `asyncify_start_rewind(buffer)` and the same export again with the same
//      arguments. The instrumented functions restore their frames and skip forward to the
//      import call, which the wrapper answers with the settled value after
//      `asyncify_stop_rewind()`.

const STATE_NORMAL = 0;
const STATE_UNWINDING = 1;
const STATE_REWINDING = 2;

/** Asyncify's `__asyncify_state` values, as `asyncify_get_state()` returns them. */
export const STATE = Object.freeze({
  NORMAL: STATE_NORMAL,
  UNWINDING: STATE_UNWINDING,
  REWINDING: STATE_REWINDING,
});

/** The exports an asyncified module has, in ABI order. */
const API = [
  'asyncify_start_unwind',
  'asyncify_stop_unwind',
  'asyncify_start_rewind',
  'asyncify_stop_rewind',
  'asyncify_get_state',
];

/** Exported allocators the runtime uses for its buffers, in order of preference. */
export const ALLOCATOR_EXPORTS = Object.freeze(['asyncify_malloc', 'malloc']);

/** Bytes of asyncify stack per call unless `stackSize` says otherwise. */
export const DEFAULT_STACK_SIZE = 16384;

const WASM_PAGE = 65536;

/**
 * An error raised by the runtime itself (not by the program or an import). `code` says which:
 * - `STACK_OVERFLOW`: the frames saved during a pause did not fit in `stackSize` bytes.
 * - `NOT_INSTRUMENTED`: an import paused, but the functions calling it were not asyncified.
 * - `NOT_ASYNC_EXPORT`: an import returned a Promise while a synchronous export was running.
 * - `OUTSIDE_CALL`: an import returned a Promise while no export call was running.
 * - `NO_MEMORY`: the runtime could not find or reserve memory for its buffer.
 * - `NOT_ASYNCIFIED`: the module is not asyncified and the engine has no JSPI.
 * - `NO_JSPI`: `mode: 'jspi'` was asked for, but the engine has no JSPI.
 * - `BAD_OPTION`: an option is malformed, or a name in it matches nothing.
 * - `PROTOCOL`: the module changed the asyncify state in a way the runtime did not ask for.
 */
export class AsyncifyError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'AsyncifyError';
    this.code = code;
  }
}

/**
 * Whether `engine` (default: the global `WebAssembly`) has JS Promise Integration in its
 * standard form: `new WebAssembly.Suspending(fn)` and `WebAssembly.promising(fn)`. The older
 * experimental API (`WebAssembly.Suspender`, `WebAssembly.Function` with a `suspending`
 * option, found behind flags in node 20) does not count.
 */
export function hasJSPI(engine = globalThis.WebAssembly) {
  return typeof engine?.Suspending === 'function' && typeof engine?.promising === 'function';
}

/** Whether a compiled module is asyncified: it exports the five asyncify functions. */
export function isAsyncified(module, engine = globalThis.WebAssembly) {
  const names = new Set(
    engine.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name),
  );
  return API.every((name) => names.has(name));
}

/**
 * Instantiate a module whose imports may return Promises.
 *
 * `source` is the module: bytes (ArrayBuffer, typed array, Node Buffer), a compiled
 * `WebAssembly.Module`, a `Response`, a Promise of one of those, or `{ asyncify, jspi }` naming
 * an asyncified build and the original one, so that the runtime can pick JSPI when the engine
 * has it and fall back to the asyncified build when it does not.
 *
 * Returns `{ instance, module, exports, mode, stats }`: `exports` holds the wrapped exports
 * (async ones return Promises), `instance` the raw instance, `mode` is `'asyncify'` or
 * `'jspi'`, and `stats` counts pauses and the most asyncify stack a pause used.
 *
 * @param {any} source
 * @param {Record<string, Record<string, any>>} [imports]
 * @param {InstantiateOptions} [options]
 */
export async function instantiate(source, imports = {}, options = {}) {
  const engine = options.engine ?? globalThis.WebAssembly;
  checkOptions(options);
  const sources = await resolveSources(source, engine);
  const mode = chooseMode(sources, options, engine);
  const chosen = mode === 'jspi' ? sources.plain : sources.asyncified;
  // The asyncified build tells which exports can pause, also when JSPI runs the plain one.
  const exportInfo = sources.asyncified?.info ?? null;
  const plan = planImports(chosen.module, imports, options, engine);
  if (mode === 'jspi') return instantiateJSPI(chosen.module, exportInfo, imports, plan, options, engine);
  return instantiateAsyncify(chosen.module, chosen.info, imports, plan, options, engine);
}

/**
 * @typedef {object} InstantiateOptions
 * @property {string[]} [asyncImports] Imports (`module.name`, `*` wildcards) that may return a
 *   Promise, besides those given as `async function`s.
 * @property {string[]} [asyncExports] Exports (`*` wildcards) that return Promises. Default:
 *   the exports the transform instrumented (read from the module's code).
 * @property {number} [stackSize] Bytes of asyncify stack per call (default 16384).
 * @property {'auto'|'reserve'|((bytes: number) => number)} [allocate] Where the asyncify
 *   buffer comes from: `'auto'` (an exported `asyncify_malloc` or `malloc`, else reserved
 *   pages), `'reserve'` (grow memory and use the new pages), or a function returning an
 *   address of `bytes` free bytes.
 * @property {'queue'|'interleave'} [concurrency] What happens to a call made while another is
 *   paused: wait for it (default), or run at once with a buffer of its own.
 * @property {'auto'|'asyncify'|'jspi'} [mode] Use JSPI or the asyncify ABI (default: JSPI for
 *   an untransformed module when the engine has it).
 * @property {boolean} [memory64] The memory is 64-bit (only needed for a compiled `Module`
 *   passed without its bytes).
 * @property {any} [engine] The `WebAssembly` namespace to use (default: the global one).
 */

// ---------------------------------------------------------------------------------------------
// Options and sources.

const OPTION_NAMES = new Set([
  'asyncImports',
  'asyncExports',
  'stackSize',
  'allocate',
  'concurrency',
  'mode',
  'memory64',
  'engine',
]);

function checkOptions(options) {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new AsyncifyError(
        'BAD_OPTION',
        `unknown option \`${key}\`; the options are ${[...OPTION_NAMES].map((n) => `\`${n}\``).join(', ')}`,
      );
    }
  }
  const { stackSize, allocate, concurrency, mode } = options;
  if (stackSize !== undefined && !(Number.isInteger(stackSize) && stackSize >= 16)) {
    throw new AsyncifyError('BAD_OPTION', `\`stackSize\` must be an integer number of bytes (at least 16), not ${stackSize}`);
  }
  if (allocate !== undefined && allocate !== 'auto' && allocate !== 'reserve' && typeof allocate !== 'function') {
    throw new AsyncifyError('BAD_OPTION', "`allocate` must be 'auto', 'reserve' or a function (bytes) => address");
  }
  if (concurrency !== undefined && concurrency !== 'queue' && concurrency !== 'interleave') {
    throw new AsyncifyError('BAD_OPTION', "`concurrency` must be 'queue' or 'interleave'");
  }
  if (mode !== undefined && mode !== 'auto' && mode !== 'asyncify' && mode !== 'jspi') {
    throw new AsyncifyError('BAD_OPTION', "`mode` must be 'auto', 'asyncify' or 'jspi'");
  }
  for (const key of ['asyncImports', 'asyncExports']) {
    const list = options[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === 'string'))) {
      throw new AsyncifyError('BAD_OPTION', `\`${key}\` must be an array of names`);
    }
  }
}

/** Compile what `source` names; sort it into the asyncified and the plain build. */
async function resolveSources(source, engine) {
  source = await source;
  const isPair =
    source && typeof source === 'object' && !isBinary(source) && !(source instanceof engine.Module) &&
    typeof source.arrayBuffer !== 'function' && ('asyncify' in source || 'jspi' in source);
  const given = isPair ? [source.asyncify, source.jspi] : [source];
  const compiled = [];
  for (const item of given) {
    if (item === undefined || item === null) continue;
    compiled.push(await compile(await item, engine));
  }
  if (compiled.length === 0) {
    throw new AsyncifyError('BAD_OPTION', 'no module given: pass bytes, a WebAssembly.Module or { asyncify, jspi }');
  }
  const sources = { asyncified: null, plain: null };
  for (const c of compiled) {
    if (isAsyncified(c.module, engine)) sources.asyncified ??= c;
    else sources.plain ??= c;
  }
  return sources;
}

function isBinary(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

async function compile(item, engine) {
  if (item instanceof engine.Module) return { module: item, info: null };
  let bytes = item;
  if (!isBinary(bytes) && typeof bytes?.arrayBuffer === 'function') bytes = await bytes.arrayBuffer();
  if (!isBinary(bytes)) {
    throw new AsyncifyError('BAD_OPTION', 'a module must be given as bytes, a WebAssembly.Module or a Response');
  }
  const view = bytes instanceof ArrayBuffer
    ? new Uint8Array(bytes)
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const module = await engine.compile(view);
  let info = null;
  try {
    info = inspect(view);
  } catch {
    // An encoding this reader does not know: work without it (see `inspect`).
  }
  return { module, info };
}

function chooseMode(sources, options, engine) {
  const mode = options.mode ?? 'auto';
  const jspi = hasJSPI(engine);
  if (mode === 'jspi') {
    if (!jspi) {
      throw new AsyncifyError(
        'NO_JSPI',
        "`mode: 'jspi'` was requested, but this engine has no JS Promise Integration " +
          '(`WebAssembly.Suspending` and `WebAssembly.promising`); use the asyncified module instead',
      );
    }
    if (!sources.plain && !sources.asyncified) throw new Error('unreachable');
    // JSPI also runs an asyncified module (its instrumentation then never triggers).
    sources.plain ??= sources.asyncified;
    return 'jspi';
  }
  if (mode === 'asyncify') {
    if (!sources.asyncified) throw notAsyncified(jspi);
    return 'asyncify';
  }
  if (sources.plain && jspi) return 'jspi';
  if (sources.asyncified) return 'asyncify';
  throw notAsyncified(jspi);
}

function notAsyncified(jspi) {
  return new AsyncifyError(
    'NOT_ASYNCIFIED',
    jspi
      ? "the module is not asyncified (it lacks the `asyncify_*` exports); pass `mode: 'jspi'` or an asyncified module"
      : 'the module is not asyncified (it lacks the `asyncify_*` exports) and this engine has no JS Promise ' +
          'Integration; run `asyncify app.wasm --imports env.sleep -O -o app.async.wasm` (naming your async ' +
          'imports) and instantiate the result, or pass both builds as { asyncify, jspi }',
  );
}

// ---------------------------------------------------------------------------------------------
// Which imports and exports are async.

/** `module.name` patterns with `*` wildcards, as the command line's lists take them. */
function matcher(patterns) {
  const regexps = patterns.map((p) => ({
    pattern: p,
    re: new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`),
    used: false,
  }));
  const test = (name) => {
    let hit = false;
    for (const r of regexps) {
      if (r.re.test(name)) {
        r.used = true;
        hit = true;
      }
    }
    return hit;
  };
  const unused = () => regexps.filter((r) => !r.used).map((r) => r.pattern);
  return { test, unused };
}

function isAsyncFunction(fn) {
  return typeof fn === 'function' && fn[Symbol.toStringTag] === 'AsyncFunction';
}

/** The function imports the module takes, each marked async or not. */
function planImports(module, imports, options, engine) {
  const listed = matcher(options.asyncImports ?? []);
  const plan = [];
  for (const imp of engine.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    const qualified = `${imp.module}.${imp.name}`;
    const fn = imports?.[imp.module]?.[imp.name];
    const inList = listed.test(qualified);
    if (typeof fn !== 'function') continue; // instantiation reports what is missing
    plan.push({ ...imp, qualified, fn, async: inList || isAsyncFunction(fn) });
  }
  const unused = listed.unused();
  if (unused.length > 0) {
    const all = plan.map((p) => `\`${p.qualified}\``).join(', ') || 'none';
    throw new AsyncifyError(
      'BAD_OPTION',
      `\`asyncImports\` entr${unused.length === 1 ? 'y' : 'ies'} ${unused.map((u) => `\`${u}\``).join(', ')} ` +
        `match${unused.length === 1 ? 'es' : ''} no function import given in the import object (the module's ` +
        `function imports: ${all})`,
    );
  }
  return plan;
}

/** A copy of the import object with the async imports replaced by `wrap(entry)`. */
function wrapImports(imports, plan, wrap) {
  const out = {};
  for (const [ns, fields] of Object.entries(imports ?? {})) out[ns] = { ...fields };
  for (const entry of plan) {
    if (entry.async) out[entry.module][entry.name] = wrap(entry);
  }
  return out;
}

/**
 * Which function exports return Promises: `asyncExports` if given, else those that the
 * transform instrumented (when the module's code could be read), else all of them.
 */
function asyncExportTest(module, info, options, engine) {
  const functions = engine.Module.exports(module).filter((e) => e.kind === 'function' && !API.includes(e.name));
  if (options.asyncExports) {
    const m = matcher(options.asyncExports);
    const chosen = new Set(functions.filter((e) => m.test(e.name)).map((e) => e.name));
    const unused = m.unused();
    if (unused.length > 0) {
      throw new AsyncifyError(
        'BAD_OPTION',
        `\`asyncExports\` entries ${unused.map((u) => `\`${u}\``).join(', ')} match no function export ` +
          `(the exports: ${functions.map((e) => `\`${e.name}\``).join(', ') || 'none'})`,
      );
    }
    return (name) => chosen.has(name);
  }
  const instrumented = info ? instrumentedExports(info) : null;
  return instrumented ? (name) => instrumented.has(name) : () => true;
}

// ---------------------------------------------------------------------------------------------
// The asyncify mode.

async function instantiateAsyncify(module, info, imports, plan, options, engine) {
  const runtime = new AsyncifyRuntime(options);
  const wrapped = wrapImports(imports, plan, (entry) => runtime.asyncImport(entry, info));
  const instance = await engine.instantiate(module, wrapped);
  runtime.attach(instance, module, info, imports, engine);
  const isAsync = asyncExportTest(module, info, options, engine);
  const exports = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    if (API.includes(name)) continue;
    if (typeof value !== 'function') exports[name] = value;
    else exports[name] = isAsync(name) ? runtime.asyncExport(name, value) : runtime.syncExport(name, value);
  }
  return { instance, module, exports: Object.freeze(exports), mode: 'asyncify', stats: runtime.stats };
}

/** A call of an async export, from its start to its result. */
class Call {
  constructor(name, raw, args) {
    this.name = name;
    this.raw = raw;
    this.args = args;
    this.buffer = null;
    /** The Promise the current pause waits for, and the import that returned it. */
    this.pending = null;
    this.pausedAt = null;
    /** Whether the rewind has not reached the paused import yet, and what it will get. */
    this.resuming = false;
    this.resumeValue = undefined;
    this.savedStackPointer = undefined;
  }
}

/** Marks a synchronous export on the stack of running calls. */
class SyncCall {
  constructor(name) {
    this.name = name;
  }
}

class AsyncifyRuntime {
  constructor(options) {
    this.stackSize = options.stackSize ?? DEFAULT_STACK_SIZE;
    this.allocateOption = options.allocate ?? 'auto';
    this.memory64Option = options.memory64 ?? false;
    this.scheduler = new Scheduler(options.concurrency ?? 'queue');
    /** Calls whose wasm code is executing right now, innermost last. */
    this.running = [];
    /** Buffers not in use. */
    this.freeBuffers = [];
    this.stats = { pauses: 0, maxStackBytes: 0 };
  }

  attach(instance, module, info, imports, engine) {
    const exports = instance.exports;
    const missing = API.filter((name) => typeof exports[name] !== 'function');
    if (missing.length > 0) {
      throw new AsyncifyError('NOT_ASYNCIFIED', `the module does not export ${missing.map((m) => `\`${m}\``).join(', ')}`);
    }
    this.api = {
      startUnwind: exports.asyncify_start_unwind,
      stopUnwind: exports.asyncify_stop_unwind,
      startRewind: exports.asyncify_start_rewind,
      stopRewind: exports.asyncify_stop_rewind,
      getState: exports.asyncify_get_state,
    };
    this.memory = findMemory(instance, module, imports, engine);
    this.memory64 = info?.memory64 ?? this.memory64Option;
    this.pointerBytes = this.memory64 ? 8 : 4;
    this.allocator = ALLOCATOR_EXPORTS.map((n) => exports[n]).find((f) => typeof f === 'function') ?? null;
    this.stackPointer = stackPointerAccess(exports, engine);
  }

  state() {
    return this.api.getState();
  }

  pointer(address) {
    return this.memory64 ? BigInt(address) : address;
  }

  // --- Buffers ---------------------------------------------------------------------------

  /**
   * A buffer: the two-pointer data structure followed by `stackSize` bytes of asyncify stack
   * and as many again of margin. The `end` given to asyncify is the end of all the memory the
   * runtime owns there (`limit`); the runtime checks `stackSize` itself after each unwind.
   * So a moderate overflow is measured exactly and harms nothing, whether the transform
   * checks `end` only afterwards (Binaryen) or before each frame.
   */
  takeBuffer() {
    const reused = this.freeBuffers.pop();
    if (reused) return reused;
    const header = 2 * this.pointerBytes;
    const { address: data, size } = this.allocate(header + 2 * this.stackSize);
    return { data, start: data + header, limit: data + size };
  }

  releaseBuffer(buffer) {
    if (buffer) this.freeBuffers.push(buffer);
  }

  /** Memory for a buffer: its address and how many bytes from there the runtime owns. */
  allocate(bytes) {
    if (!this.memory) {
      throw new AsyncifyError(
        'NO_MEMORY',
        'the module neither exports nor imports its memory, so the runtime cannot reach the asyncify data; ' +
          'export the memory (for a module that had no memory before asyncify, add an exported one: ' +
          'asyncify adds a memory but does not export it)',
      );
    }
    let address;
    let size = bytes;
    if (typeof this.allocateOption === 'function') {
      address = Number(this.allocateOption(bytes));
      if (!Number.isInteger(address) || address <= 0) {
        throw new AsyncifyError('NO_MEMORY', `the \`allocate\` option returned ${address}, not an address`);
      }
    } else if (this.allocateOption === 'auto' && this.allocator) {
      address = Number(this.allocator(this.pointer(bytes)));
      if (!address) {
        throw new AsyncifyError('NO_MEMORY', `the module's allocator could not allocate ${bytes} bytes for the asyncify stack`);
      }
    } else {
      address = this.reserve(bytes);
      size = Math.ceil(bytes / WASM_PAGE) * WASM_PAGE;
    }
    if (address % 8 !== 0) {
      throw new AsyncifyError('NO_MEMORY', `the asyncify buffer at ${address} is not 8-byte aligned`);
    }
    if (address + bytes > this.memory.buffer.byteLength) {
      throw new AsyncifyError('NO_MEMORY', `the asyncify buffer at ${address} (${bytes} bytes) does not fit in memory`);
    }
    return { address, size };
  }

  /** Grow memory and hand out the new pages: nothing in the program can own them yet. */
  reserve(bytes) {
    const pages = Math.ceil(bytes / WASM_PAGE);
    try {
      let old;
      try {
        old = this.memory.grow(pages);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        old = this.memory.grow(BigInt(pages)); // memory64 in engines that take a BigInt
      }
      return Number(old) * WASM_PAGE;
    } catch (e) {
      throw new AsyncifyError(
        'NO_MEMORY',
        `cannot reserve ${pages} page${pages === 1 ? '' : 's'} of memory for the asyncify stack (${e.message}); ` +
          "export an allocator (`asyncify_malloc` or `malloc`), raise the memory's maximum, or pass " +
          '`allocate: (bytes) => address` naming free memory',
        { cause: e },
      );
    }
  }

  readPointers(buffer) {
    const view = new DataView(this.memory.buffer);
    if (this.memory64) {
      return {
        pos: Number(view.getBigUint64(buffer.data, true)),
        end: Number(view.getBigUint64(buffer.data + 8, true)),
      };
    }
    return { pos: view.getUint32(buffer.data, true), end: view.getUint32(buffer.data + 4, true) };
  }

  /** Point the data structure at an empty stack: `pos = start`, `end = limit`. */
  resetPointers(buffer) {
    const view = new DataView(this.memory.buffer);
    if (this.memory64) {
      view.setBigUint64(buffer.data, BigInt(buffer.start), true);
      view.setBigUint64(buffer.data + 8, BigInt(buffer.limit), true);
    } else {
      view.setUint32(buffer.data, buffer.start, true);
      view.setUint32(buffer.data + 4, buffer.limit, true);
    }
  }

  // --- Imports ---------------------------------------------------------------------------

  /** The function standing in for an async import. */
  asyncImport(entry, info) {
    const runtime = this;
    const placeholder = placeholderFor(info, entry);
    const wrapper = function (...args) {
      const call = runtime.running[runtime.running.length - 1];
      const state = runtime.state();
      if (state === STATE_REWINDING && call instanceof Call && call.resuming) {
        // The rewind reached the paused call: answer it with the settled value.
        runtime.api.stopRewind();
        call.resuming = false;
        const value = call.resumeValue;
        call.resumeValue = undefined;
        return value;
      }
      if (state === STATE_UNWINDING) {
        // Code kept running after an unwind started: the caller is not instrumented.
        throw notInstrumented(call?.pausedAt ?? entry.qualified);
      }
      if (state === STATE_REWINDING) {
        throw new AsyncifyError('PROTOCOL', `\`${entry.qualified}\` was called while rewinding a call it did not pause`);
      }
      const result = entry.fn.apply(this, args);
      if (!isThenable(result)) return result;
      if (!(call instanceof Call)) {
        Promise.resolve(result).catch(() => {}); // nobody will wait for it
        if (call instanceof SyncCall) {
          throw new AsyncifyError(
            'NOT_ASYNC_EXPORT',
            `\`${entry.qualified}\` returned a Promise while the synchronous export \`${call.name}\` was running; ` +
              `add \`${call.name}\` to \`asyncExports\` (and make sure asyncify instrumented it: ` +
              `\`--imports ${entry.qualified}\`)`,
          );
        }
        throw new AsyncifyError(
          'OUTSIDE_CALL',
          `\`${entry.qualified}\` returned a Promise outside of a call through the runtime's exports ` +
            '(was a raw `instance.exports` function called?); call the export from the `exports` that ' +
            'instantiate() returned',
        );
      }
      // Pause: save the wasm stack into the call's buffer (allocated at its first pause).
      const pending = Promise.resolve(result);
      try {
        call.buffer ??= runtime.takeBuffer();
      } catch (error) {
        pending.catch(() => {});
        throw error;
      }
      call.pending = pending;
      call.pausedAt = entry.qualified;
      runtime.resetPointers(call.buffer);
      runtime.api.startUnwind(runtime.pointer(call.buffer.data));
      return placeholder;
    };
    Object.defineProperty(wrapper, 'name', { value: entry.name });
    return wrapper;
  }

  // --- Exports ---------------------------------------------------------------------------

  syncExport(name, raw) {
    const runtime = this;
    const wrapper = function (...args) {
      runtime.running.push(new SyncCall(name));
      try {
        return raw.apply(this, args);
      } finally {
        runtime.running.pop();
      }
    };
    Object.defineProperty(wrapper, 'name', { value: name });
    return wrapper;
  }

  asyncExport(name, raw) {
    const wrapper = (...args) => this.scheduler.submit(() => this.run(new Call(name, raw, args)));
    Object.defineProperty(wrapper, 'name', { value: name });
    return wrapper;
  }

  /**
   * Run a call to completion, pausing as often as its imports ask. Everything up to the first
   * pause runs synchronously, inside the export wrapper's call.
   */
  async run(call) {
    const queued = this.scheduler.concurrency === 'queue';
    try {
      if (queued && this.stackPointer) call.savedStackPointer = this.stackPointer.get();
      let result = this.enter(call);
      for (;;) {
        const state = this.state();
        if (state === STATE_NORMAL) {
          if (call.pending) throw this.protocolError(call, 'the unwind was stopped inside the module');
          if (call.resuming) throw this.protocolError(call, 'the rewind was stopped inside the module');
          return result;
        }
        if (state === STATE_REWINDING) {
          this.api.stopRewind();
          throw notInstrumented(call.pausedAt, 'the rewind did not reach it');
        }
        const pending = this.finishUnwind(call);
        let value;
        try {
          value = await pending;
        } catch (error) {
          // The stack stays unwound: the paused call is dropped and never resumes.
          this.abandon(call);
          throw error;
        }
        this.resetPending(call);
        call.resuming = true;
        call.resumeValue = value;
        this.api.startRewind(this.pointer(call.buffer.data));
        result = this.enter(call);
      }
    } catch (error) {
      if (queued) this.restoreStackPointer(call);
      throw error;
    } finally {
      this.releaseBuffer(call.buffer);
    }
  }

  /** Call (or re-enter, to rewind) the raw export; clean up if it throws mid-unwind. */
  enter(call) {
    this.running.push(call);
    let result;
    try {
      result = call.raw(...call.args);
    } catch (error) {
      const state = this.state();
      if (state === STATE_UNWINDING) throw this.failedUnwind(call, error);
      if (state === STATE_REWINDING) this.api.stopRewind();
      this.resetPending(call);
      throw error;
    } finally {
      this.running.pop();
    }
    return result;
  }

  /** The export returned while unwinding: stop the unwind, check the frames, go async. */
  finishUnwind(call) {
    if (!call.pending) {
      this.buryUnwind(call);
      throw this.protocolError(call, 'an unwind the runtime did not start (does the module call `asyncify.start_unwind` itself?)');
    }
    const { pos } = this.readPointers(call.buffer);
    const used = pos - call.buffer.start;
    if (used > this.stackSize || used < 0) {
      this.buryUnwind(call);
      throw overflowError(call.pausedAt, used, this.stackSize, call.buffer.limit - call.buffer.start);
    }
    if (used === 0) {
      this.buryUnwind(call);
      throw notInstrumented(call.pausedAt);
    }
    this.api.stopUnwind();
    this.stats.pauses += 1;
    this.stats.maxStackBytes = Math.max(this.stats.maxStackBytes, used);
    return call.pending;
  }

  /**
   * An exception escaped while unwinding. Only frames are being saved then, so a trap means
   * they ran out of room: at the end of the buffer (when the transform checks each frame) or
   * of memory.
   */
  failedUnwind(call, error) {
    const pausedAt = call.pausedAt;
    const room = call.buffer ? call.buffer.limit - call.buffer.start : 0;
    // A transform that checks each frame leaves `pos` at what was needed when it stopped.
    const reached = call.buffer ? this.readPointers(call.buffer).pos - call.buffer.start : 0;
    if (call.buffer) this.buryUnwind(call);
    else this.resetPending(call);
    if (error instanceof AsyncifyError) return error;
    if (error instanceof TypeError) {
      return new AsyncifyError(
        'PROTOCOL',
        `the placeholder the runtime returned from \`${pausedAt}\` while pausing did not fit its result type ` +
          '(the runtime could not read the import signatures); pass the module as bytes rather than as a ' +
          'compiled WebAssembly.Module',
        { cause: error },
      );
    }
    const atLeast = Math.max(reached, room + 1);
    const suggestion = 2 ** Math.ceil(Math.log2(2 * atLeast));
    return new AsyncifyError(
      'STACK_OVERFLOW',
      `asyncify stack overflow while pausing at \`${pausedAt}\`: the saved frames need more than the ${room} ` +
        `bytes available (the asyncify stack has ${this.stackSize}; at least ${atLeast} were needed), and ` +
        `saving them trapped (${error?.message}); ` +
        `pass a bigger \`stackSize\` to instantiate(), e.g. \`{ stackSize: ${suggestion} }\`. The call was ` +
        'abandoned. (A module transformed with `--asserts` also traps here when a function on the stack was ' +
        'not instrumented.)',
      { cause: error },
    );
  }

  /** End an unwind without resuming it: empty the stack so `stop_unwind`'s check passes. */
  buryUnwind(call) {
    this.resetPointers(call.buffer);
    this.api.stopUnwind();
    this.resetPending(call);
  }

  resetPending(call) {
    if (call.pending) call.pending.catch(() => {}); // an error nobody waits for any more
    call.pending = null;
  }

  abandon(call) {
    this.resetPending(call);
    call.pausedAt = null;
  }

  restoreStackPointer(call) {
    if (this.stackPointer && call.savedStackPointer !== undefined) this.stackPointer.set(call.savedStackPointer);
  }

  protocolError(call, what) {
    return new AsyncifyError('PROTOCOL', `export \`${call.name}\`: ${what}`);
  }
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

function notInstrumented(importName, detail) {
  const why = detail ? ` (${detail})` : '';
  return new AsyncifyError(
    'NOT_INSTRUMENTED',
    `\`${importName}\` paused, but the functions calling it were not instrumented${why}; the module must be ` +
      `transformed knowing this import can pause: \`asyncify --imports ${importName} ...\` (or wasm-opt's ` +
      `\`--pass-arg=asyncify-imports@${importName}\`). Code after the call may have run once already.`,
  );
}

function overflowError(importName, used, stackSize, margin) {
  const suggestion = 2 ** Math.ceil(Math.log2(Math.max(used, stackSize) + 1));
  const corrupted = used > margin
    ? ` The frames also ran past the ${margin}` +
      ' bytes the runtime owns there, so memory after them was overwritten: do not trust this instance any more.'
    : '';
  return new AsyncifyError(
    'STACK_OVERFLOW',
    `asyncify stack overflow while pausing at \`${importName}\`: the saved frames need ${used} bytes but the ` +
      `asyncify stack has ${stackSize}; pass a bigger \`stackSize\` to instantiate(), e.g. ` +
      `\`{ stackSize: ${suggestion} }\`. The call was abandoned.${corrupted}`,
  );
}

/** The value an async import returns while the stack unwinds (the caller ignores it). */
function placeholderFor(info, entry) {
  const imp = info?.funcImports.find((f) => f.module === entry.module && f.name === entry.name);
  const type = imp ? info.types[imp.typeIndex] : null;
  if (!type) return undefined;
  const zero = (t) => (t === 'i64' ? 0n : t === 'ref' ? null : 0);
  if (type.results.length === 0) return undefined;
  if (type.results.length === 1) return zero(type.results[0]);
  return type.results.map(zero);
}

function findMemory(instance, module, imports, engine) {
  const Memory = engine.Memory ?? globalThis.WebAssembly.Memory;
  const exported = Object.entries(instance.exports).filter(([, v]) => v instanceof Memory);
  const named = exported.find(([n]) => n === 'memory');
  if (named || exported.length > 0) return (named ?? exported[0])[1];
  for (const imp of engine.Module.imports(module)) {
    if (imp.kind !== 'memory') continue;
    const value = imports?.[imp.module]?.[imp.name];
    if (value instanceof Memory) return value;
  }
  return null;
}

/**
 * How to read and restore the C stack pointer, if the module lets us: an exported
 * `__stack_pointer` global (`-Wl,--export=__stack_pointer`), or Emscripten's
 * `stackSave`/`stackRestore`. Used to release the shadow stack of a call that failed.
 */
function stackPointerAccess(exports, engine) {
  const Global = engine.Global ?? globalThis.WebAssembly.Global;
  const global = exports.__stack_pointer;
  if (global instanceof Global) {
    return { get: () => global.value, set: (v) => { global.value = v; } };
  }
  if (typeof exports.stackSave === 'function' && typeof exports.stackRestore === 'function') {
    return { get: () => exports.stackSave(), set: (v) => exports.stackRestore(v) };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

/**
 * Runs calls of async exports. `queue`: one call at a time, first come first served (a call
 * made while another is paused waits for it to finish). `interleave`: every call starts at
 * once. Either way a call starts synchronously when nothing is ahead of it.
 */
class Scheduler {
  constructor(concurrency) {
    this.concurrency = concurrency;
    this.busy = false;
    this.waiting = [];
  }

  /** `start` begins a call and returns its Promise. */
  submit(start) {
    if (this.concurrency === 'interleave') return start();
    if (this.busy || this.waiting.length > 0) {
      return new Promise((resolve, reject) => {
        this.waiting.push(() => this.begin(start).then(resolve, reject));
      });
    }
    return this.begin(start);
  }

  begin(start) {
    this.busy = true;
    let promise;
    try {
      promise = start();
    } catch (error) {
      promise = Promise.reject(error);
    }
    const next = () => {
      this.busy = false;
      const waiting = this.waiting.shift();
      if (waiting) waiting();
    };
    promise.then(next, next);
    return promise;
  }
}

// ---------------------------------------------------------------------------------------------
// The JSPI mode.

async function instantiateJSPI(module, exportInfo, imports, plan, options, engine) {
  const wrapped = wrapImports(imports, plan, (entry) => new engine.Suspending(entry.fn));
  const instance = await engine.instantiate(module, wrapped);
  const scheduler = new Scheduler(options.concurrency ?? 'queue');
  const queued = scheduler.concurrency === 'queue';
  const stackPointer = stackPointerAccess(instance.exports, engine);
  // Without `asyncExports`, the asyncified build (if given) says which exports can pause.
  const isAsync = asyncExportTest(module, exportInfo, options, engine);
  const exports = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    if (API.includes(name)) continue;
    if (typeof value !== 'function' || !isAsync(name)) {
      exports[name] = value;
      continue;
    }
    const promising = engine.promising(value);
    const wrapper = (...args) =>
      scheduler.submit(async () => {
        const saved = queued && stackPointer ? stackPointer.get() : undefined;
        try {
          return await promising(...args);
        } catch (error) {
          if (saved !== undefined) stackPointer.set(saved);
          throw error;
        }
      });
    Object.defineProperty(wrapper, 'name', { value: name });
    exports[name] = wrapper;
  }
  return { instance, module, exports: Object.freeze(exports), mode: 'jspi', stats: { pauses: null, maxStackBytes: null } };
}

// ---------------------------------------------------------------------------------------------
// Reading the module: import signatures (for placeholders), memory64, and which exports the
// transform instrumented. Only the sections needed are decoded; an encoding this reader does
// not know makes `compile` fall back to working without this information.

const decoder = new TextDecoder();

class Reader {
  constructor(bytes, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  byte() {
    if (this.pos >= this.end) throw new Error('unexpected end of section');
    return this.bytes[this.pos++];
  }

  /** An unsigned LEB128 number (exact up to 2^53). */
  u() {
    let result = 0;
    let scale = 1;
    let b;
    do {
      b = this.byte();
      result += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return result;
  }

  skipLeb() {
    while (this.byte() & 0x80);
  }

  name() {
    const length = this.u();
    const text = decoder.decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }

  /** A value type, as `i32`, `i64`, `f32`, `f64`, `v128` or `ref`. */
  valType() {
    const b = this.byte();
    if (b === 0x63 || b === 0x64) {
      this.skipLeb(); // (ref null? heaptype)
      return 'ref';
    }
    return { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' }[b] ?? 'ref';
  }

  vec(read) {
    const n = this.u();
    const out = [];
    for (let i = 0; i < n; i++) out.push(read());
    return out;
  }

  limits() {
    const flags = this.byte();
    this.u();
    if (flags & 1) this.u();
    if (flags & 8) this.u(); // custom page size
    return { memory64: (flags & 4) !== 0 };
  }
}

function readSubType(r, form) {
  if (form === 0x50 || form === 0x4f) {
    r.vec(() => r.u()); // supertypes
    form = r.byte();
  }
  const field = () => {
    const b = r.bytes[r.pos];
    if (b === 0x78 || b === 0x77) r.byte(); // packed i8 / i16
    else r.valType();
    r.byte(); // mutability
  };
  switch (form) {
    case 0x60:
      return { params: r.vec(() => r.valType()), results: r.vec(() => r.valType()) };
    case 0x5f:
      r.vec(field);
      return null;
    case 0x5e:
      field();
      return null;
    default:
      throw new Error(`unknown type form 0x${form.toString(16)}`);
  }
}

/** Decode the parts of a module the runtime uses. */
export function inspect(bytes) {
  const r = new Reader(bytes, 8);
  const info = { types: [], funcImports: [], memory64: undefined, exports: [], bodies: [] };
  const memories = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u();
    const end = r.pos + size;
    const s = new Reader(bytes, r.pos, end);
    if (id === 1) {
      const count = s.u();
      for (let i = 0; i < count; i++) {
        const form = s.byte();
        if (form === 0x4e) s.vec(() => info.types.push(readSubType(s, s.byte())));
        else info.types.push(readSubType(s, form));
      }
    } else if (id === 2) {
      s.vec(() => {
        const module = s.name();
        const name = s.name();
        const kind = s.byte();
        if (kind === 0) info.funcImports.push({ module, name, typeIndex: s.u() });
        else if (kind === 1) {
          s.valType();
          s.limits();
        } else if (kind === 2) memories.push(s.limits().memory64);
        else if (kind === 3) {
          s.valType();
          s.byte();
        } else if (kind === 4) {
          s.byte();
          s.u();
        } else throw new Error(`unknown import kind ${kind}`);
      });
    } else if (id === 5) {
      s.vec(() => memories.push(s.limits().memory64));
    } else if (id === 7) {
      s.vec(() => info.exports.push({ name: s.name(), kind: s.byte(), index: s.u() }));
    } else if (id === 10) {
      s.vec(() => {
        const length = s.u();
        info.bodies.push(bytes.subarray(s.pos, s.pos + length));
        s.pos += length;
      });
    }
    r.pos = end;
  }
  info.memory64 = memories.length > 0 ? memories[0] : undefined;
  return info;
}

/**
 * The exports whose function reads `__asyncify_state`: every instrumented function does, and
 * a function that was not instrumented cannot be on the stack during a pause. The state
 * global is found as the one `asyncify_get_state` returns. The byte search can match an
 * immediate by chance, so this may call an export async that is not; never the reverse.
 */
function instrumentedExports(info) {
  const funcExport = (name) => info.exports.find((e) => e.kind === 0 && e.name === name);
  const body = (index) => info.bodies[index - info.funcImports.length];
  const getState = funcExport('asyncify_get_state');
  if (!getState || !body(getState.index)) return null;
  const r = new Reader(body(getState.index));
  r.vec(() => {
    r.u();
    r.valType();
  });
  if (r.byte() !== 0x23) return null; // global.get
  const pattern = [0x23, ...leb(r.u())];
  const result = new Set();
  for (const e of info.exports) {
    if (e.kind !== 0 || API.includes(e.name)) continue;
    const code = body(e.index);
    if (code && contains(code, pattern)) result.add(e.name);
  }
  return result;
}

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function contains(haystack, needle) {
  outer: for (let i = haystack.indexOf(needle[0]); i !== -1; i = haystack.indexOf(needle[0], i + 1)) {
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}
