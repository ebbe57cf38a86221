#!/usr/bin/env bash
# Run one fuzz target for a total time, restarting after each crash (libFuzzer stops at the
# first one; `-fork` mode keeps going but is many times slower here), and report the total
# number of executions, the crashes (with their first line) and the time spent.
#
#   fuzz/campaign.sh TARGET SECONDS [LOG_DIR]
#
# Crash inputs stay in fuzz/artifacts/TARGET/; the corpus grows in fuzz/corpus/TARGET/.
set -euo pipefail
target=$1
total=$2
logs=${3:-$(dirname "$0")/campaign-logs}
cd "$(dirname "$0")"
mkdir -p "$logs" "corpus/$target" "artifacts/$target"
cargo fuzz build --sanitizer none "$target" >&2
start=$(date +%s)
executions=0
crashes=0
round=0
summary="$logs/$target.summary"
: >"$summary"
while true; do
  now=$(date +%s)
  left=$((total - (now - start)))
  [ "$left" -gt 10 ] || break
  round=$((round + 1))
  log="$logs/$target.$round.log"
  status=0
  ASYNCIFY_FUZZ_STATS=1 RUST_BACKTRACE=0 \
    "target/x86_64-unknown-linux-gnu/release/$target" "corpus/$target" \
    -artifact_prefix="artifacts/$target/" -max_total_time="$left" -max_len=8192 -len_control=0 \
    -rss_limit_mb=4096 -timeout=120 -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  if [ -z "$runs" ]; then
    # A crash ends the run before the final statistics: take the last status line.
    runs=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/^#([0-9]+).*/\1/' || true)
  fi
  executions=$((executions + ${runs:-0}))
  if [ "$status" != 0 ]; then
    crashes=$((crashes + 1))
    what=$(grep -m1 'does not hold' "$log" || grep -m1 -E 'panicked|ERROR: libFuzzer|deadly signal|out-of-memory|timeout' "$log" || true)
    what=$(printf '%s' "$what" | cut -c1-200)
    echo "crash $crashes (round $round, after $((now - start)) s): ${what:-exit $status}" >>"$summary"
    # The input may be in the corpus (it crashes while the corpus is replayed): take it out,
    # so the next round goes on fuzzing.
    sha=$(grep -o -m1 -E '(crash|oom|timeout|leak)-[0-9a-f]{40}' "$log" | sed -E 's/^[a-z]+-//' || true)
    if [ -n "$sha" ]; then
      # Corpus files are named by their SHA-1, except seeds added by hand.
      for f in "corpus/$target"/*; do
        if [ "$(basename "$f")" = "$sha" ] || [ "$(sha1sum <"$f" | cut -c1-40)" = "$sha" ]; then
          mv "$f" "artifacts/$target/corpus-$sha"
          break
        fi
      done
    fi
  fi
done
elapsed=$(($(date +%s) - start))
echo "$target: $executions executions in $elapsed s over $round run(s), $crashes crash(es)" | tee -a "$summary"
