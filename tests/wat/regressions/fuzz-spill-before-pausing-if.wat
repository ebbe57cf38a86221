;; Regression: a value computed before an `if` that pauses was not saved, so after the rewind
;; the next call got a wrong argument. Found by the `vs_binaryen` fuzz property, shrunk by hand;
;; runtime check: tests/fuzz.rs `regression_spill_before_pausing_if` (pauses at every
;; `env.sleep_*`). `f(2)` spills `d - 1`, runs an `if` whose then-arm pauses, then calls `$g`
;; (which pauses too) with `d - 1` and the `if`'s result; it must log `env.log_i32(1)`.
;; Cause: liveness dropped the argument reads of a call into an instrumented callee from the
;; whole backward flow, not only from that pause point's own saved set. Those reads are dead
;; only when the rewind goes *into* `$g`; resuming the earlier pause runs `call $g` normally.
;; RUN: % --imports env.sleep* -t
;; RUN: % --imports env.sleep* -O -t
(module
  (import "env" "sleep_f64" (func $sleep_f64 (param f64) (result f64)))
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (memory (export "memory") 1)
  (func $g (param i32 f64)
    local.get 0
    call $log_i32
    f64.const 2
    call $sleep_f64
    drop)
  (func $f (export "f") (param $d i32)
    local.get $d
    i32.const 1
    i32.sub
    i32.const 1
    if (result f64)
      f64.const 1
      call $sleep_f64
    else
      f64.const 0
    end
    call $g))
