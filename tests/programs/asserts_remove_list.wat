;; A program for `--asserts`: `$middle` is on the pause path (run -> middle -> leaf -> sleep),
;; so excluding it with `--remove-list middle` is wrong: it cannot be saved and restored, and
;; without checks it keeps running while the unwind is under way (its `log_i32` after the call
;; runs while unwinding). With `--asserts` it traps at the check right after `call $leaf`
;; instead. `$middle` contains no `unreachable` of its own.
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)

  (func $leaf (param $x i32) (result i32)
    (call $sleep_i32 (local.get $x)))

  (func $middle (param $x i32) (result i32)
    (local $r i32)
    (call $log (local.get $x))
    (local.set $r (call $leaf (local.get $x)))
    (call $log (local.get $r))
    (i32.add (local.get $r) (i32.const 1)))

  (func (export "run") (param $n i32) (result i32)
    (call $middle (local.get $n)))
)
