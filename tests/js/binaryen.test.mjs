// The runtime drives Binaryen's output too (`wasm-opt --asyncify`), whose overflow check runs
// only after the frames were written: the runtime's margin must catch that.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantiate } from '../../js/asyncify.mjs';
import { delay, transcript, wasmOptAsyncify, wasmOptMissing } from './helpers.mjs';

describe('modules from wasm-opt --asyncify', { skip: wasmOptMissing() ?? false }, () => {
  const imports = (log = () => {}, tick = (i) => delay(1, i * 10)) => ({ env: { tick, log } });

  test('pause, resume, and find the instrumented exports', async () => {
    const wasm = wasmOptAsyncify('loop.wat', ['asyncify-imports@env.tick']);
    const { lines, log } = transcript();
    const { exports } = await instantiate(wasm, imports(log), { asyncImports: ['env.tick'] });
    assert.equal(await exports.count(4), 60);
    assert.deepEqual(lines, ['0', '10', '30', '60']);
    assert.equal(await exports.deep(50), 1275);
    assert.equal(exports.add(1, 2), 3);
  });

  test('an overflow is measured in the margin and reported', async () => {
    const wasm = wasmOptAsyncify('loop.wat', ['asyncify-imports@env.tick']);
    const { exports, instance } = await instantiate(wasm, imports(undefined, () => delay(1, 5)), {
      asyncImports: ['env.tick'],
      stackSize: 100,
    });
    await assert.rejects(exports.deep(30), (error) => {
      assert.equal(error.code, 'STACK_OVERFLOW');
      assert.match(error.message, /the saved frames need \d+ bytes but the asyncify stack has 100/);
      return true;
    });
    assert.equal(instance.exports.asyncify_get_state(), 0);
    assert.equal(await exports.deep(2), 3 + 5);
  });
});
