// Shared by the node drivers: timing and the printed result.
import fs from 'node:fs';

export function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function now() {
  return process.hrtime.bigint();
}

// Compile with V8's default tiers (what `WebAssembly.instantiate` does), timed.
export function compile(file) {
  const bytes = fs.readFileSync(file);
  const start = now();
  const module = new WebAssembly.Module(bytes);
  return { module, compile: seconds(start) };
}

// Run `body()` `warmup` times untimed (V8 tiers hot functions up to TurboFan), then `reps`
// times timed. Returns the timed results and times.
export function repeat(warmup, reps, body) {
  for (let i = 0; i < warmup; i++) body();
  const times = [];
  const results = [];
  for (let i = 0; i < reps; i++) {
    const start = now();
    const result = body();
    times.push(seconds(start));
    results.push(result);
  }
  return { times, results };
}

export function print(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}
