// Calls made while another call is paused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantiate } from '../../js/asyncify.mjs';
import { asyncify, delay, transcript } from './helpers.mjs';

const wasm = asyncify('concurrent.wat', ['--imports', 'env.wait', '-O']);

function imports(log, wait = (x) => delay(2, x)) {
  return { env: { wait, log: (id, step) => log(`${id}:${step}`) } };
}

test('by default a second call waits for the paused one to finish', async () => {
  const { lines, log } = transcript();
  const { exports } = await instantiate(wasm, imports(log), { asyncImports: ['env.wait'] });
  const results = await Promise.all([exports.job(1, 3), exports.job(2, 3), exports.job(3, 1)]);
  // Each job sees its own owner in the global on every resume (none returns -1).
  assert.deepEqual(results, [3, 6, 3]);
  assert.deepEqual(lines, ['1:0', '1:1', '1:2', '2:0', '2:1', '2:2', '3:0']);
});

test('the queue keeps going after a failed call', async () => {
  const { lines, log } = transcript();
  const wait = (id) => delay(1).then(() => {
    if (id === 2) throw new Error('job 2 failed');
    return id;
  });
  const { exports } = await instantiate(wasm, imports(log, wait), { asyncImports: ['env.wait'] });
  const outcomes = await Promise.allSettled([exports.job(1, 2), exports.job(2, 2), exports.job(3, 2)]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal(outcomes[1].reason.message, 'job 2 failed');
  assert.deepEqual([outcomes[0].value, outcomes[2].value], [2, 6]);
  assert.deepEqual(lines, ['1:0', '1:1', '2:0', '3:0', '3:1']);
});

test('synchronous exports run at once, even while a call is paused', async () => {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const { exports } = await instantiate(wasm, imports(() => {}, () => gate), { asyncImports: ['env.wait'] });
  const job = exports.job(7, 1);
  assert.equal(exports.owner(), 7); // the paused job set it
  release(5);
  assert.equal(await job, 5);
});

test('a call from inside an import joins the queue', async () => {
  const { lines, log } = transcript();
  let exports;
  let inner;
  const env = {
    wait: (x) => delay(1, x),
    log(id, step) {
      log(`${id}:${step}`);
      if (id === 1 && step === 0) inner = exports.job(2, 1);
    },
  };
  ({ exports } = await instantiate(wasm, { env }, { asyncImports: ['env.wait'] }));
  assert.equal(await exports.job(1, 2), 2);
  assert.equal(await inner, 2);
  assert.deepEqual(lines, ['1:0', '1:1', '2:0']);
});

test('`interleave` gives each call its own buffer and runs them side by side', async () => {
  const { lines, log } = transcript();
  const { exports } = await instantiate(wasm, imports(log, (x) => delay(3, x + 1)), {
    asyncImports: ['env.wait'],
    concurrency: 'interleave',
  });
  const results = await Promise.all([exports.worker(1, 3), exports.worker(2, 3), exports.worker(3, 3)]);
  assert.deepEqual(results, [1 * 6, 2 * 6, 3 * 6]);
  // All three started before any finished: they were paused at the same time.
  assert.deepEqual(lines.slice(0, 3), ['1:0', '2:0', '3:0']);
  assert.equal(lines.length, 9);
});

test('`interleave` is unsafe for code that keeps state outside its locals', async () => {
  const { exports } = await instantiate(wasm, imports(() => {}), {
    asyncImports: ['env.wait'],
    concurrency: 'interleave',
  });
  const results = await Promise.all([exports.job(1, 2), exports.job(2, 2)]);
  // Job 1 resumed after job 2 took the global: the reason `queue` is the default.
  assert.deepEqual(results, [-1, 4]);
});

test('the allocator export is used for the buffer, once', async () => {
  const bytes = asyncify('alloc.wat', ['--imports', 'env.wait', '-O']);
  const { exports, instance } = await instantiate(bytes, { env: { wait: () => delay(1, 41) } }, {
    asyncImports: ['env.wait'],
    stackSize: 1000,
  });
  const pages = instance.exports.memory.buffer.byteLength;
  assert.equal(await exports.run(), 42);
  assert.equal(await exports.run(), 42);
  assert.equal(instance.exports.malloc_calls.value, 1);
  assert.equal(instance.exports.malloc_size.value, 8 + 2 * 1000);
  assert.equal(instance.exports.memory.buffer.byteLength, pages);
});

test('`allocate: \'reserve\'` grows memory instead', async () => {
  const bytes = asyncify('alloc.wat', ['--imports', 'env.wait', '-O']);
  const { exports, instance } = await instantiate(bytes, { env: { wait: () => delay(1, 1) } }, {
    asyncImports: ['env.wait'],
    allocate: 'reserve',
  });
  assert.equal(await exports.run(), 2);
  assert.equal(instance.exports.malloc_calls.value, 0);
  assert.equal(instance.exports.memory.buffer.byteLength, 2 * 65536);
});
