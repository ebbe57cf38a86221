;; Tail calls to functions that can pause, in a recursive chain (Binaryen refuses tail calls:
;; our transform only).
;;
;; `$countdown(n, acc)` logs n and tail-calls `$step`, which pauses (sleep_i32) and
;; tail-calls `$countdown(n - 1, acc')` back: the recursion is entirely in tail position, so
;; untransformed it runs in constant stack. Every fourth step also goes through
;; `return_call_indirect` to `$step_indirect`, which pauses too. At n = 0, `$countdown`
;; tail-calls `$finish`, which cannot pause (and stays a tail call).
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32` (logs every step; returns the accumulated value).
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (type $step_ty (func (param i32 i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $step_indirect)
  (memory (export "memory") 1)

  (func $finish (param $acc i32) (result i32)
    (i32.xor (local.get $acc) (i32.const 0x5555)))

  (func $countdown (param $n i32) (param $acc i32) (result i32)
    (call $log (local.get $n))
    (if (i32.eqz (local.get $n))
      (then (return_call $finish (local.get $acc))))
    (if (i32.eqz (i32.and (local.get $n) (i32.const 3)))
      (then
        (return_call_indirect (type $step_ty)
          (local.get $n) (local.get $acc) (i32.const 0))))
    (return_call $step (local.get $n) (local.get $acc)))

  (func $step (param $n i32) (param $acc i32) (result i32)
    (local $v i32)
    ;; A value on the stack below the pause, and a local live across it.
    (local.set $v (i32.mul (local.get $n) (i32.const 7)))
    (i32.add
      (local.get $acc)
      (i32.and (call $sleep_i32 (local.get $n)) (i32.const 0xff)))
    (local.set $acc)
    (local.set $acc (i32.add (local.get $acc) (local.get $v)))
    (return_call $countdown (i32.sub (local.get $n) (i32.const 1)) (local.get $acc)))

  (func $step_indirect (param $n i32) (param $acc i32) (result i32)
    (local.set $acc
      (i32.sub (local.get $acc)
               (i32.and (call $sleep_i32 (i32.add (local.get $n) (i32.const 1000)))
                        (i32.const 0xfff))))
    (call $log (i32.const -4))
    (return_call $countdown (i32.sub (local.get $n) (i32.const 1)) (local.get $acc)))

  (func (export "run") (param $n i32) (result i32)
    (call $countdown (local.get $n) (i32.const 1)))
)
