// Running a command under a time limit and measuring it: wall time (here), peak RSS
// (`/usr/bin/time -f %M`, the maximum resident set size of the command itself).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncify-bench-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));

export function now() {
  return process.hrtime.bigint();
}

export function since(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// Run `command args` with a limit of `timeout` seconds (then SIGTERM, SIGKILL 10 s later).
// Returns { status: 'ok' | 'error' | 'timeout', seconds, rssMB, stdout, stderr }.
export function measure(command, args, { timeout, cwd } = {}) {
  const timeFile = path.join(scratch, 'time');
  fs.rmSync(timeFile, { force: true });
  const start = now();
  const run = spawnSync('timeout', ['-k', '10', String(timeout), '/usr/bin/time', '-f', '%M',
    '-o', timeFile, command, ...args], {
    cwd, maxBuffer: 1 << 30, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const seconds = since(start);
  let rssMB = null;
  let signal = null;
  if (fs.existsSync(timeFile)) {
    const text = fs.readFileSync(timeFile, 'utf8');
    const last = text.trim().split('\n').pop();
    if (/^\d+$/.test(last)) rssMB = Number(last) / 1024;
    signal = text.match(/terminated by signal (\d+)/)?.[1] ?? null;
  }
  // `timeout` exits with 124 when it stopped the command (137 if it had to SIGKILL it); a
  // command killed by a signal for another reason (the OOM killer) is an error.
  const timedOut = run.status === 124 || (run.status === 137 && seconds >= timeout);
  const status = run.status === 0 ? 'ok' : timedOut ? 'timeout' : 'error';
  const stderr = `${run.stderr ?? ''}${signal && !timedOut ? `\nerror: killed by signal ${signal}` : ''}`;
  return { status, seconds, rssMB, stdout: run.stdout ?? '', stderr };
}

// Short commands are dominated by starting processes (node -> timeout -> time -> command)
// and by whatever else the machine does at that moment, so one run says little: a command
// that succeeded in under `REPEAT_UNDER` seconds is run again, up to `REPEAT_RUNS` times in
// all and while the runs add up to less than `REPEAT_BUDGET` seconds. Reported: the fastest
// run's time and the largest peak RSS of any run. Every tool gets the same treatment.
export const REPEAT_UNDER = 1;
export const REPEAT_RUNS = 7;
export const REPEAT_BUDGET = 3;

export function measureBest(command, args, options = {}) {
  const first = measure(command, args, options);
  let best = { ...first, runs: 1 };
  let spent = first.seconds;
  while (best.status === 'ok' && first.seconds < REPEAT_UNDER && best.runs < REPEAT_RUNS
    && spent + first.seconds < REPEAT_BUDGET) {
    const again = measure(command, args, options);
    spent += again.seconds;
    if (again.status !== 'ok') return { ...again, runs: best.runs + 1 };
    best = {
      ...best,
      seconds: Math.min(best.seconds, again.seconds),
      rssMB: Math.max(best.rssMB ?? 0, again.rssMB ?? 0) || null,
      runs: best.runs + 1,
    };
  }
  return best;
}

// The last line of a failed command's output, for the tables.
export function why(result) {
  if (result.status === 'timeout') return 'timeout';
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /error|abort|fatal|panic|exhausted|RangeError|trap/i.test(l)) ?? lines.pop() ?? 'failed';
  return line.slice(0, 160);
}

// JSON printed by the drivers: one object per line; the last line is the result.
export function parseLast(stdout) {
  const lines = stdout.trim().split('\n').filter(Boolean);
  return lines.length ? JSON.parse(lines[lines.length - 1]) : null;
}
