// node compile.mjs FILE...: V8's compile time for each module (default tiers: Liftoff).
import { compile, print } from './common.mjs';

for (const file of process.argv.slice(2)) {
  print({ file, seconds: compile(file).compile });
}
