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
