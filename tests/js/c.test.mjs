// The runtime on a module built from C with clang-16 and wasi-libc.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { instantiate } from '../../js/asyncify.mjs';
import { asyncify, clangMissing, compileC, delay } from './helpers.mjs';

const skip = clangMissing();

/** What weighted.c computes, in JavaScript. */
function expected(n, seed, fetch) {
  let sum = 0n;
  for (let i = 0; i < n; i++) sum += fetch(seed * 100 + i) * BigInt(((seed * 31 + (i % 16) * 7) % 13) + 1);
  return BigInt.asIntN(64, sum);
}

const value = (key) => BigInt(key) * 1_000_003n + 7n;

// -O3 splits each instrumented function into a copy for normal execution and one for rewinds.
for (const level of ['-O', '-O3']) describe(`a module built from C (${level})`, { skip: skip ?? false }, () => {
  let wasm;
  before(() => {
    // The allocator and the C stack pointer are exported so the runtime can use them.
    const plain = compileC('weighted.c', ['-Wl,--export=malloc', '-Wl,--export=__stack_pointer']);
    wasm = asyncify(plain, ['--imports', 'env.fetch,env.sleep_ms', '--ignore-indirect', level]);
  });

  function imports(fetch = async (key) => value(key)) {
    return { env: { fetch, sleep_ms: (ms) => delay(ms) } };
  }

  test('pauses in the loop and keeps its shadow stack', async () => {
    const { exports, stats } = await instantiate(wasm, imports(), { asyncImports: ['env.sleep_ms'] });
    assert.equal(await exports.weighted_sum(20, 3), expected(20, 3, value));
    assert.equal(stats.pauses, 40);
  });

  test('concurrent calls are queued and each gets its own result', async () => {
    const { exports } = await instantiate(wasm, imports(), { asyncImports: ['env.sleep_ms'] });
    const results = await Promise.all([1, 2, 3, 4].map((seed) => exports.weighted_sum(10 + seed, seed)));
    assert.deepEqual(results, [1, 2, 3, 4].map((seed) => expected(10 + seed, seed, value)));
  });

  test('a rejection releases the C stack of the abandoned call', async () => {
    let failAt = 5;
    let instance;
    let pausedStackPointer;
    const fetch = async (key) => {
      pausedStackPointer = instance.exports.__stack_pointer.value;
      await delay(1);
      if (key % 100 === failAt) throw new RangeError(`no value for ${key}`);
      return value(key);
    };
    const result = await instantiate(wasm, imports(fetch), { asyncImports: ['env.sleep_ms'] });
    const { exports } = result;
    instance = result.instance;
    const stackPointer = instance.exports.__stack_pointer.value;
    await assert.rejects(exports.weighted_sum(10, 1), (error) => error instanceof RangeError);
    // While paused, the call's frame (its `weights`) sat below the stack pointer.
    assert.ok(pausedStackPointer < stackPointer);
    assert.equal(instance.exports.__stack_pointer.value, stackPointer);
    assert.equal(instance.exports.asyncify_get_state(), 0);
    failAt = -1;
    assert.equal(await exports.weighted_sum(10, 1), expected(10, 1, value));
  });
});
