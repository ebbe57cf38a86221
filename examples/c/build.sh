#!/usr/bin/env bash
# Build the C examples the way a C toolchain would: clang-16 (wasm32-wasi) -> asyncify -> run.
#
#   bash examples/c/build.sh [OUT_DIR]          # default OUT_DIR: target/c-examples
#   node examples/c/timers.mjs target/c-examples/timers.async.wasm
#   node examples/c/coroutines.mjs target/c-examples/coroutines.async.wasm
#
# Needs clang-16, lld-16 and wasi-libc (Debian: apt-get install clang-16 lld-16 wasi-libc).
# Environment: ASYNCIFY (the asyncify program; default: built with cargo), ASYNCIFY_LLVM_BIN
# (default /usr/lib/llvm-16/bin), ASYNCIFY_WASI_SYSROOT (default /usr).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/target/c-examples}
llvm=${ASYNCIFY_LLVM_BIN:-/usr/lib/llvm-16/bin}
sysroot=${ASYNCIFY_WASI_SYSROOT:-/usr}
asyncify=${ASYNCIFY:-}
if [ -z "$asyncify" ]; then
  (cd "$repo" && cargo build --release --quiet --bin asyncify)
  asyncify=$repo/target/release/asyncify
fi
mkdir -p "$out"

# clang runs `wasm-opt` on the linked module by itself when it finds one on PATH (Debian's
# binaryen package puts one there), so it gets a PATH holding only LLVM, and the linker by
# name. --strip-debug drops wasi-libc's DWARF, which asyncify could not keep anyway.
c_to_wasm() {
  env PATH="$llvm" clang --target=wasm32-wasi --sysroot="$sysroot" -fuse-ld="$llvm/wasm-ld" \
    -O2 -Wall -Werror -I"$repo/include" -Wl,--strip-debug "$@"
}

# 1. timers.c: a WASI reactor whose `run` export pauses whenever it calls `env.sleep_ms`.
#    Only that import pauses, and never through a function pointer.
c_to_wasm -mexec-model=reactor -o "$out/timers.wasm" "$here/timers.c"
"$asyncify" "$out/timers.wasm" --imports env.sleep_ms --ignore-indirect -O -o "$out/timers.async.wasm"

# 2. coroutines.c: a WASI command that pauses itself through the `asyncify.*` imports
#    (include/asyncify_coro.h). No host import pauses, and coroutines are entered directly.
c_to_wasm -o "$out/coroutines.wasm" "$here/coroutines.c"
"$asyncify" "$out/coroutines.wasm" --ignore-imports --ignore-indirect -O -o "$out/coroutines.async.wasm"

echo "built $out/timers.async.wasm and $out/coroutines.async.wasm"
