// Pausing a transformed module at every call of the imports that may pause, to check that real
// programs behave the same when they really unwind and rewind (not only when they never pause).
//
// Each such call runs the import, then starts an unwind instead of returning; the wrapper of the
// export the JS glue called sees the unwind end, rewinds at once and calls the export again; the
// import, called again while rewinding, stops the rewind and returns the result it computed the
// first time. So every import call becomes a full unwind and rewind of the wasm stack, with the
// glue none the wiser. Nested calls (an import that calls back into an export) pause on their
// own: the inner export's wrapper handles them before the outer import returns.

// Bytes for the asyncify data structure and the saved frames.
const DATA_BYTES = 4 << 20;

export class PauseEverywhere {
  // `pauses(module, name)`: whether the import may pause (what the transform was told).
  constructor(pauses) {
    this.pauses = pauses;
    this.exports = null;
    this.memory = null;
    this.data = 0;
    this.pending = [];
    this.count = 0;
    this.bytes = 0;
    this.deepest = 0;
  }

  // The import object to instantiate with: the functions that may pause are wrapped.
  wrapImports(imports) {
    const wrapped = {};
    for (const [module, fields] of Object.entries(imports)) {
      wrapped[module] = { ...fields };
      for (const [name, value] of Object.entries(fields)) {
        if (typeof value === 'function' && this.pauses(module, name)) {
          wrapped[module][name] = this.#pausing(value);
        } else if (value instanceof WebAssembly.Memory) {
          this.memory = value;
        }
      }
    }
    return wrapped;
  }

  // An object standing for `instance` whose exported functions rewind after each unwind. The
  // data structure goes in the exported memory, or else the imported one.
  wrapInstance(instance) {
    const raw = instance.exports;
    const exports = {};
    for (const [name, value] of Object.entries(raw)) {
      exports[name] = typeof value === 'function' && !name.startsWith('asyncify_') ? this.#resuming(value) : value;
    }
    for (const name of ['asyncify_get_state', 'asyncify_start_unwind', 'asyncify_stop_unwind',
      'asyncify_start_rewind', 'asyncify_stop_rewind']) {
      if (typeof raw[name] !== 'function') throw new Error(`the module does not export ${name}`);
    }
    this.exports = raw;
    this.memory = Object.values(raw).find((v) => v instanceof WebAssembly.Memory) ?? this.memory;
    return { exports };
  }

  // Start pausing, with the data structure in `DATA_BYTES` from the program's `malloc`.
  start(malloc) {
    this.data = malloc(DATA_BYTES);
    if (!this.data) throw new Error('malloc failed for the asyncify data');
  }

  stats() {
    // Pauses, bytes saved over all of them, and the most saved by one.
    return { pauses: this.count, pausedBytes: this.bytes, deepest: this.deepest };
  }

  #reset() {
    const view = new DataView(this.memory.buffer);
    view.setUint32(this.data, this.data + 8, true);
    view.setUint32(this.data + 4, this.data + DATA_BYTES, true);
  }

  #pausing(f) {
    const self = this;
    return function (...args) {
      const e = self.exports;
      if (!self.data || !e) return f.apply(this, args);
      const state = e.asyncify_get_state();
      if (state === 2) {
        e.asyncify_stop_rewind();
        return self.pending.pop();
      }
      if (state !== 0) throw new Error(`import called while unwinding (state ${state})`);
      const result = f.apply(this, args);
      self.pending.push(result);
      self.#reset();
      e.asyncify_start_unwind(self.data);
      self.count++;
      return result;
    };
  }

  #resuming(f) {
    const self = this;
    return function (...args) {
      let result = f.apply(this, args);
      const e = self.exports;
      while (e && e.asyncify_get_state() === 1) {
        e.asyncify_stop_unwind();
        const used = new DataView(self.memory.buffer).getUint32(self.data, true) - (self.data + 8);
        self.bytes += used;
        self.deepest = Math.max(self.deepest, used);
        e.asyncify_start_rewind(self.data);
        result = f.apply(this, args);
      }
      return result;
    };
  }
}

// The pauser for a driver's PAUSE argument (`all`, or one import as `module.name`), or null.
export function pausingImports(pause) {
  if (!pause) return null;
  return new PauseEverywhere((module, name) => pause === 'all' || pause === `${module}.${name}`);
}
