;; `$outer` is instrumented (it calls the pausing import directly). Its indirect call goes to
;; `$pauses` for even arguments (which pauses) and to `$plain` for odd ones. With
;; `--ignore-indirect` the indirect call is not a pause point, so a pause behind it cannot be
;; resumed: `--asserts` must trap right after it.
;;
;; Async imports: env.sleep. Logging: env.log.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $pauses $plain)
  (memory (export "memory") 1)

  (func $pauses (type $t) (call $sleep (i32.add (local.get 0) (i32.const 100))))
  (func $plain (type $t) (i32.mul (local.get 0) (i32.const 3)))

  (func $outer (param $n i32) (result i32)
    (local $v i32)
    (local.set $v (call $sleep (local.get $n)))
    (local.set $v (i32.add (local.get $v)
      (call_indirect (type $t) (local.get $n) (i32.and (local.get $n) (i32.const 1)))))
    (call $log (local.get $v))
    (local.get $v))

  (func (export "run") (param $n i32) (result i32)
    (call $outer (local.get $n)))
)
