// The runtime on WAT fixtures: pauses in loops and recursions, values across pauses, errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsyncifyError, instantiate, inspect } from '../../js/asyncify.mjs';
import { asyncify, delay, transcript } from './helpers.mjs';

const loopWasm = asyncify('loop.wat', ['--imports', 'env.tick', '-O']);

function loopImports(log = () => {}, tick = (i) => delay(1, i * 10)) {
  return { env: { tick, log } };
}

describe('a loop that sleeps', () => {
  test('every iteration pauses and resumes with its locals', async () => {
    const { lines, log } = transcript();
    const { exports, stats } = await instantiate(loopWasm, loopImports(log), { asyncImports: ['env.tick'] });
    assert.equal(await exports.count(5), 0 + 10 + 20 + 30 + 40);
    assert.deepEqual(lines, ['0', '10', '30', '60', '100']);
    assert.equal(stats.pauses, 5);
    assert.ok(stats.maxStackBytes > 0 && stats.maxStackBytes < 64, `${stats.maxStackBytes}`);
  });

  test('timers and other events run during the pauses', async () => {
    const { lines, log } = transcript();
    const ticker = setInterval(() => log('event'), 2);
    try {
      const { exports } = await instantiate(loopWasm, loopImports(log, (i) => delay(5, i)), {
        asyncImports: ['env.tick'],
      });
      await exports.count(4);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(lines.indexOf('event') < lines.lastIndexOf('6'), lines.join(' '));
  });

  test('an `async function` import needs no listing', async () => {
    const { exports } = await instantiate(loopWasm, loopImports(undefined, async (i) => i + 1));
    assert.equal(await exports.count(3), 1 + 2 + 3);
  });

  test('an async import that returns a plain value does not pause', async () => {
    const { exports, stats } = await instantiate(loopWasm, loopImports(undefined, (i) => i), {
      asyncImports: ['env.tick'],
    });
    assert.equal(await exports.count(4), 6);
    assert.equal(stats.pauses, 0);
  });

  test('a deep recursion unwinds and rewinds every frame', async () => {
    const { exports, stats } = await instantiate(loopWasm, loopImports(undefined, () => delay(1, 1000)), {
      asyncImports: ['env.tick'],
    });
    assert.equal(await exports.deep(100), 1000 + (100 * 101) / 2);
    assert.ok(stats.maxStackBytes >= 101 * 4, `${stats.maxStackBytes}`);
  });
});

describe('exports', () => {
  test('only exports that can pause return Promises; the raw instance stays reachable', async () => {
    const { exports, instance } = await instantiate(loopWasm, loopImports(), { asyncImports: ['env.tick'] });
    assert.equal(exports.add(2, 3), 5);
    assert.ok(exports.count(0) instanceof Promise);
    assert.ok(exports.deep(0) instanceof Promise);
    assert.ok(exports.memory instanceof WebAssembly.Memory);
    assert.equal(exports.asyncify_start_unwind, undefined);
    assert.equal(typeof instance.exports.asyncify_start_unwind, 'function');
    assert.ok(Object.isFrozen(exports));
  });

  test('`asyncExports` chooses them by name', async () => {
    const { exports } = await instantiate(loopWasm, loopImports(), {
      asyncImports: ['env.tick'],
      asyncExports: ['count', 'ad*'],
    });
    assert.ok(exports.add(2, 3) instanceof Promise);
    assert.equal(await exports.add(2, 3), 5);
    // `deep` is now synchronous: reaching the async import is an error, not a silent mess.
    assert.throws(() => exports.deep(1), (error) => {
      assert.equal(error.code, 'NOT_ASYNC_EXPORT');
      assert.match(error.message, /`env.tick` returned a Promise while the synchronous export `deep` was running/);
      return true;
    });
    assert.equal(await exports.count(2), 10);
  });

  test('the module can be given compiled, or as a Response', async () => {
    const module = await WebAssembly.compile(loopWasm);
    const compiled = await instantiate(module, loopImports(), { asyncImports: ['env.tick'] });
    assert.equal(await compiled.exports.count(3), 30);
    const response = new Response(loopWasm, { headers: { 'content-type': 'application/wasm' } });
    const fetched = await instantiate(response, loopImports(), { asyncImports: ['env.tick'] });
    assert.equal(await fetched.exports.count(3), 30);
  });
});

describe('values across a pause', () => {
  const wasm = asyncify('values.wat', ['--imports', 'env.get_*', '-O']);
  const imports = (calls) => ({
    env: {
      async get_i64(a) {
        calls.push(['get_i64', a]);
        await delay(1);
        return a * 2n + 1n;
      },
      async get_f64(b) {
        calls.push(['get_f64', b]);
        await delay(1);
        return b / 2;
      },
      async get_pair(k) {
        await delay(1);
        return [k * 10, 0.5];
      },
    },
  });

  test('BigInt arguments, import results and export results', async () => {
    const calls = [];
    const { exports } = await instantiate(wasm, imports(calls));
    const a = 0x1234_5678_9abc_def0n;
    const x = BigInt.asIntN(64, a * 2n + 1n);
    const expected = BigInt.asIntN(64, x * 3n + 21n + a);
    assert.equal(await exports.mix(a, 42.5), expected);
    assert.deepEqual(calls, [['get_i64', a], ['get_f64', 42.5]]);
    assert.equal(await exports.mix(-5n, -3), BigInt.asIntN(64, -9n * 3n - 1n - 5n));
  });

  test('an import with two results', async () => {
    const { exports } = await instantiate(wasm, imports([]));
    assert.equal(await exports.pair(4), 40.5);
  });

  test('a compiled Module without its bytes: i64 placeholders fail clearly', async () => {
    const module = await WebAssembly.compile(wasm);
    const { exports, instance } = await instantiate(module, imports([]));
    await assert.rejects(exports.mix(1n, 2), (error) => {
      assert.equal(error.code, 'PROTOCOL');
      assert.match(error.message, /pass the module as bytes/);
      return true;
    });
    assert.equal(instance.exports.asyncify_get_state(), 0);
  });
});

describe('a rejected Promise', () => {
  test('rejects the call with the same error and leaves the instance usable', async () => {
    const failure = new Error('network down');
    let fail = true;
    const tick = (i) => delay(1).then(() => {
      if (fail && i === 2) throw failure;
      return i;
    });
    const { exports, instance } = await instantiate(loopWasm, loopImports(undefined, tick), {
      asyncImports: ['env.tick'],
    });
    await assert.rejects(exports.count(5), (error) => error === failure);
    assert.equal(instance.exports.asyncify_get_state(), 0);
    fail = false;
    assert.equal(await exports.count(5), 10);
    assert.equal(await exports.deep(3), 6 + 0);
  });

  test('an import that throws synchronously rejects the call too', async () => {
    const failure = new Error('sync failure');
    const { exports } = await instantiate(loopWasm, loopImports(undefined, () => { throw failure; }), {
      asyncImports: ['env.tick'],
    });
    await assert.rejects(exports.count(1), (error) => error === failure);
  });
});

describe('asyncify stack overflow', () => {
  test('is reported as such, with the fix, and the instance stays usable', async () => {
    const { exports, instance } = await instantiate(loopWasm, loopImports(undefined, () => delay(1, 7)), {
      asyncImports: ['env.tick'],
      stackSize: 64,
    });
    await assert.rejects(exports.deep(40), (error) => {
      assert.ok(error instanceof AsyncifyError);
      assert.equal(error.code, 'STACK_OVERFLOW');
      assert.match(error.message, /^asyncify stack overflow while pausing at `env.tick`/);
      assert.match(error.message, /the asyncify stack has 64; pass a bigger `stackSize` to instantiate\(\)/);
      return true;
    });
    assert.equal(instance.exports.asyncify_get_state(), 0);
    assert.equal(await exports.deep(3), 6 + 7);
  });

  test('the suggested size is enough', async () => {
    const run = async (stackSize) => {
      const { exports } = await instantiate(loopWasm, loopImports(undefined, () => delay(1, 0)), {
        asyncImports: ['env.tick'],
        stackSize,
      });
      return exports.deep(200);
    };
    const error = await run(128).catch((e) => e);
    const suggested = Number(/stackSize: (\d+)/.exec(error.message)[1]);
    assert.equal(await run(suggested), (200 * 201) / 2);
  });

  test('an overflow past the end of memory is reported too', async () => {
    // The buffer sits in the last reserved page; 10000 frames do not fit in it.
    const { exports, instance } = await instantiate(loopWasm, loopImports(undefined, () => delay(1, 0)), {
      asyncImports: ['env.tick'],
      stackSize: 256,
    });
    await assert.rejects(exports.deep(10000), (error) => {
      assert.equal(error.code, 'STACK_OVERFLOW');
      assert.match(error.message, /asyncify stack overflow/);
      assert.match(error.message, /`stackSize`/);
      return true;
    });
    assert.equal(instance.exports.asyncify_get_state(), 0);
    assert.equal(await exports.deep(2), 3);
  });
});

describe('mistakes are reported', () => {
  test('an import the transform was not told about', async () => {
    const wasm = asyncify('loop.wat', ['--imports', 'env.log', '-O']);
    const { exports, instance } = await instantiate(wasm, loopImports(undefined, async (i) => i), {
      asyncExports: ['count'],
    });
    await assert.rejects(exports.count(3), (error) => {
      assert.equal(error.code, 'NOT_INSTRUMENTED');
      assert.match(error.message, /`env.tick` paused, but the functions calling it were not instrumented/);
      assert.match(error.message, /asyncify --imports env.tick/);
      return true;
    });
    assert.equal(instance.exports.asyncify_get_state(), 0);
  });

  test('an `asyncImports` entry that matches nothing', async () => {
    await assert.rejects(instantiate(loopWasm, loopImports(), { asyncImports: ['env.tock'] }), (error) => {
      assert.equal(error.code, 'BAD_OPTION');
      assert.match(error.message, /`env.tock` matches no function import/);
      assert.match(error.message, /`env.tick`, `env.log`/);
      return true;
    });
  });

  test('an unknown option', async () => {
    await assert.rejects(instantiate(loopWasm, loopImports(), { stacksize: 10 }), /unknown option `stacksize`/);
  });

  test('a raw export reaching an async import', async () => {
    const { instance } = await instantiate(loopWasm, loopImports(), { asyncImports: ['env.tick'] });
    assert.throws(() => instance.exports.count(1), (error) => error.code === 'OUTSIDE_CALL');
    assert.equal(instance.exports.asyncify_get_state(), 0);
  });
});

test('inspect reads signatures, memories and code', () => {
  const info = inspect(new Uint8Array(asyncify('values.wat', ['--imports', 'env.get_*'])));
  const types = info.funcImports.map((f) => info.types[f.typeIndex]);
  assert.deepEqual(types, [
    { params: ['i64'], results: ['i64'] },
    { params: ['f64'], results: ['f64'] },
    { params: ['i32'], results: ['i32', 'f32'] },
  ]);
  assert.equal(info.memory64, false);
  assert.ok(info.exports.some((e) => e.name === 'asyncify_get_state'));
});
