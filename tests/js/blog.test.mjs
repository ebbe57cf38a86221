// The JavaScript example of the original Asyncify write-up, run two ways on our CLI's output:
// with the write-up's own hand-written driver (examples/sleep.mjs), and with the runtime.
// Both must print exactly what the write-up shows. Times are scaled down 10x.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { instantiate } from '../../js/asyncify.mjs';
import { asyncify, repo, scratch, transcript } from './helpers.mjs';

const BLOG_OUTPUT = [
  'before!',
  'sleep...',
  'stack unwound',
  '(an event that happens during the sleep)',
  'timeout ended, starting to rewind the stack',
  '...resume',
  'after!',
];

const SCALE = 0.1;

test('the write-up\'s own driver prints the write-up\'s output', () => {
  const wasm = join(scratch(), 'sleep.wasm');
  writeFileSync(wasm, asyncify('blog.wat', ['--imports', 'env.sleep', '-O']));
  const run = spawnSync(process.execPath, [join(repo, 'examples/sleep.mjs'), wasm, String(2000 * SCALE)], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), BLOG_OUTPUT);
});

test('the runtime runs the write-up\'s example with the same output', async () => {
  const { lines, log } = transcript();
  const bytes = asyncify('blog.wat', ['--imports', 'env.sleep', '-O']);
  const { exports, mode } = await instantiate(
    bytes,
    {
      env: {
        before() {
          log('before!');
          setTimeout(() => log('(an event that happens during the sleep)'), 1000 * SCALE);
        },
        sleep(ms) {
          log('sleep...');
          return new Promise((resolve) => {
            setTimeout(() => {
              log('timeout ended, starting to rewind the stack');
              resolve();
            }, ms * SCALE);
          }).then(() => log('...resume'));
        },
        after() {
          log('after!');
        },
      },
    },
    // The module's memory is fixed at one page and it has no allocator: say where the
    // asyncify data may go, as the write-up does (it used bytes 16 to 1024).
    { asyncImports: ['env.sleep'], allocate: () => 1024, stackSize: 1024 },
  );
  assert.equal(mode, 'asyncify');
  const done = exports.main();
  // The first part of the call runs synchronously, up to the pause.
  log('stack unwound');
  assert.equal(await done, undefined);
  assert.deepEqual(lines, BLOG_OUTPUT);
});

test('a fixed-size memory without an allocator is reported, not clobbered', async () => {
  const bytes = asyncify('blog.wat', ['--imports', 'env.sleep', '-O']);
  const env = { before() {}, after() {}, sleep: async () => {} };
  const { exports, instance } = await instantiate(bytes, { env });
  await assert.rejects(exports.main(), (error) => {
    assert.equal(error.code, 'NO_MEMORY');
    assert.match(error.message, /cannot reserve 1 page of memory for the asyncify stack/);
    assert.match(error.message, /`allocate: \(bytes\) => address`/);
    return true;
  });
  assert.equal(instance.exports.asyncify_get_state(), 0);
});
