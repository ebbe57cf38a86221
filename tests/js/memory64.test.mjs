// memory64: the runtime writes 8-byte pointers and passes BigInt addresses. Node 20 needs a
// flag for memory64, so the module runs in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { asyncify, repo, scratch } from './helpers.mjs';

test('a memory64 module pauses and resumes', () => {
  const wasm = join(scratch(), 'memory64.wasm');
  writeFileSync(wasm, asyncify('memory64.wat', ['--imports', 'env.tick', '-O']));
  const runtime = pathToFileURL(join(repo, 'js/asyncify.mjs')).href;
  const script = `
    import { readFileSync } from 'node:fs';
    import { instantiate, inspect } from ${JSON.stringify(runtime)};
    const bytes = readFileSync(${JSON.stringify(wasm)});
    const { exports, stats } = await instantiate(bytes, { env: { tick: async (i) => i * 10 } });
    console.log(JSON.stringify({ memory64: inspect(bytes).memory64, sum: await exports.count(5), pauses: stats.pauses }));
  `;
  const run = (flags) =>
    spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  let result = run(['--experimental-wasm-memory64']);
  if (result.status !== 0 && /bad option/.test(result.stderr)) result = run([]); // memory64 without a flag
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { memory64: true, sum: 100, pauses: 5 });
});
