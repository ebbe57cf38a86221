// JS Promise Integration: detection, the choice between JSPI and asyncify, and the JSPI path
// driven through a stand-in engine (node 20 has no JSPI).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasJSPI, instantiate } from '../../js/asyncify.mjs';
import { asyncify, delay, wat2wasmMissing, watToWasm } from './helpers.mjs';

// The untransformed module comes from wabt; without it these tests are skipped.
const skip = wat2wasmMissing() ?? false;
const transformed = asyncify('loop.wat', ['--imports', 'env.tick', '-O']);
const plain = skip ? null : watToWasm('loop.wat');
const imports = () => ({ env: { tick: async (i) => i * 10, log() {} } });

/**
 * A `WebAssembly` namespace with the standard JSPI entry points. It cannot really suspend:
 * a Suspending import must return a plain value, which is enough to check the wiring.
 */
function standInEngine() {
  const made = [];
  class Suspending {
    constructor(fn) {
      if (typeof fn !== 'function') throw new TypeError('not a function');
      this.fn = fn;
      made.push(fn);
    }
  }
  const engine = Object.create(WebAssembly);
  engine.Suspending = Suspending;
  engine.promising = (fn) => async (...args) => fn(...args);
  engine.instantiate = (module, importObject) => {
    const unwrapped = {};
    for (const [ns, fields] of Object.entries(importObject)) {
      unwrapped[ns] = {};
      for (const [name, value] of Object.entries(fields)) {
        unwrapped[ns][name] = value instanceof Suspending ? value.fn : value;
      }
    }
    return WebAssembly.instantiate(module, unwrapped);
  };
  return { engine, made };
}

test('node here has no standard JSPI, so the asyncified module is used', { skip }, async () => {
  assert.equal(hasJSPI(), typeof WebAssembly.Suspending === 'function');
  if (hasJSPI()) return; // a newer node: nothing more to check here
  const both = await instantiate({ asyncify: transformed, jspi: plain }, imports());
  assert.equal(both.mode, 'asyncify');
  assert.equal(await both.exports.count(3), 30);
});

test('without JSPI an untransformed module is refused with the command to run', { skip }, async () => {
  if (hasJSPI()) return;
  await assert.rejects(instantiate(plain, imports()), (error) => {
    assert.equal(error.code, 'NOT_ASYNCIFIED');
    assert.match(error.message, /this engine has no JS Promise Integration/);
    assert.match(error.message, /asyncify app.wasm --imports/);
    return true;
  });
  await assert.rejects(instantiate(transformed, imports(), { mode: 'jspi' }), (error) => error.code === 'NO_JSPI');
});

test('the old experimental API (WebAssembly.Suspender) does not count as JSPI', () => {
  const old = Object.create(WebAssembly);
  old.Suspender = function Suspender() {};
  old.Function = function Function() {};
  assert.equal(hasJSPI(old), false);
});

test('with JSPI the untransformed module runs: async imports suspend, exports are promising', { skip }, async () => {
  const { engine, made } = standInEngine();
  const tick = (i) => i + 1;
  const log = () => {};
  const result = await instantiate({ asyncify: transformed, jspi: plain }, { env: { tick, log } }, {
    engine,
    asyncImports: ['env.tick'],
  });
  assert.equal(result.mode, 'jspi');
  assert.deepEqual(made, [tick]); // only the async import is wrapped
  assert.ok(result.instance.exports.asyncify_start_unwind === undefined); // the plain build
  // The asyncified build says which exports can pause: `add` stays synchronous.
  assert.equal(result.exports.add(1, 2), 3);
  const pending = result.exports.count(3);
  assert.ok(pending instanceof Promise);
  assert.equal(await pending, 1 + 2 + 3);
});

test('with JSPI, calls are queued as in asyncify mode', { skip }, async () => {
  const { engine } = standInEngine();
  const order = [];
  const result = await instantiate(plain, { env: { tick: (i) => i, log: (v) => order.push(v) } }, {
    engine,
    asyncImports: ['env.tick'],
  });
  // Without the asyncified build every function export is async.
  assert.ok(result.exports.add(1, 2) instanceof Promise);
  await Promise.all([result.exports.count(2), result.exports.count(3)]);
  assert.deepEqual(order, [0, 1, 0, 1, 3]);
});

test('`mode: \'asyncify\'` keeps asyncify even where JSPI exists', { skip }, async () => {
  const { engine } = standInEngine();
  const result = await instantiate({ asyncify: transformed, jspi: plain }, imports(), { engine, mode: 'asyncify' });
  assert.equal(result.mode, 'asyncify');
  assert.equal(await result.exports.count(2), 10);
  await delay(0);
});
