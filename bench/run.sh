#!/usr/bin/env bash
# The benchmark: asyncify against Binaryen's Asyncify on real modules and our own kernels.
#
#   bench/run.sh            full run (hours: Binaryen takes many minutes on the big modules)
#   bench/run.sh --quick    Binaryen only on the small modules, fewer repetitions
#   bench/run.sh --help     every option
#
# Installs what is missing (apt: clang-16, wasi-libc, binaryen, node; npm and PyPI packages
# into ~/.cache/asyncify-corpus), builds asyncify and bench/tool in release mode, then runs
# bench/bench.mjs. Results: bench/results/<time>/ and the tables in book/src/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

case " $* " in
  *" --help "* | *" -h "*) exec node bench/bench.mjs --help ;;
esac

missing=()
command -v clang-16 >/dev/null || missing+=(clang-16)
[ -x /usr/lib/llvm-16/bin/wasm-ld ] || missing+=(lld-16)
[ -e /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
compgen -G "/usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null \
  || missing+=(libclang-rt-16-dev-wasm32)
command -v wasm-opt >/dev/null || missing+=(binaryen)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v unzip >/dev/null || missing+=(unzip)
[ -x /usr/bin/time ] || missing+=(time)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The measured binary and the bench helpers (its own workspace and target directory).
cargo build --release --bin asyncify
cargo build --release --locked --manifest-path bench/tool/Cargo.toml

exec node bench/bench.mjs "$@"
