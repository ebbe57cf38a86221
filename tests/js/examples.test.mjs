// The C examples (examples/c/), built with their own recipe (build.sh) and run in node.
// tests/c_examples.rs runs the coroutine example in wasmtime too.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { asyncifyBin, clangMissing, repo, scratch } from './helpers.mjs';

const skip = clangMissing();

describe('C examples', { skip: skip ?? false }, () => {
  const out = scratch();
  const node = (script, wasm) =>
    spawnSync(process.execPath, [join(repo, 'examples/c', script), join(out, wasm)], {
      encoding: 'utf8',
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });

  before(() => {
    execFileSync('bash', [join(repo, 'examples/c/build.sh'), out], {
      env: { ...process.env, ASYNCIFY: asyncifyBin() },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  });

  test('timers: a C loop sleeps across real setTimeouts until the timer fires', () => {
    const run = node('timers.mjs', 'timers.async.wasm');
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    const naps = lines.filter((l) => l === 'sleeping...').length;
    // The timer fires after 500 ms and the loop sleeps 100 ms at a time.
    assert.ok(naps >= 3 && naps <= 8, run.stdout);
    assert.deepEqual(lines, [...Array(naps).fill('sleeping...'), 'timer happened!', `slept ${naps} times`]);
  });

  test('coroutines: generators interleave inside wasm', () => {
    const run = node('coroutines.mjs', 'coroutines.async.wasm');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, readFileSync(join(repo, 'examples/c/coroutines.expected'), 'utf8'));
  });

  test('the untransformed coroutine module cannot run: it needs asyncify', async () => {
    const bytes = readFileSync(join(out, 'coroutines.wasm'));
    const imports = WebAssembly.Module.imports(await WebAssembly.compile(bytes));
    assert.ok(imports.some((i) => i.module === 'asyncify' && i.name === 'start_unwind'));
  });
});
