#!/usr/bin/env bash
# Run the whole test suite on a fresh Debian/Ubuntu machine: installs what is missing
# (C to wasm toolchain, wabt, Binaryen for comparisons), then runs every test.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: clang-16 + wasi-libc to compile the C test programs, wasm-opt (binaryen)
# as the reference implementation, wabt for wat2wasm/wasm2wat.
need=()
command -v clang-16 >/dev/null || need+=(clang-16)
[ -x /usr/lib/llvm-16/bin/wasm-ld ] || need+=(lld-16)
[ -e /usr/lib/wasm32-wasi/libc.a ] || need+=(wasi-libc)
ls /usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || need+=(libclang-rt-16-dev-wasm32)
command -v wasm-opt >/dev/null || need+=(binaryen)
command -v wasm2wat >/dev/null || need+=(wabt)
command -v node >/dev/null || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== cargo test"
cargo test --locked --all-targets
echo "== cargo test --doc"
cargo test --locked --doc

# The JavaScript runtime (js/) and the C examples, with node's test runner and the asyncify
# binary cargo test just built.
echo "== node --test tests/js/"
ASYNCIFY_BIN="$PWD/target/debug/asyncify" NODE_NO_WARNINGS=1 node --test tests/js/

# The book. mdbook is installed from crates.io once; later runs use the installed binary, and
# an install without network falls back to cargo's local cache.
echo "== mdbook build book"
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
mdbook=$(command -v mdbook || true)
if [ -z "$mdbook" ] && [ -x "$cargo_bin/mdbook" ]; then mdbook="$cargo_bin/mdbook"; fi
if [ -z "$mdbook" ]; then
  cargo install mdbook --locked --version '^0.5' \
    || cargo install mdbook --locked --version '^0.5' --offline
  mdbook="$cargo_bin/mdbook"
fi
"$mdbook" build book
