;; The side module of a dynamically linked pair (see dylink_main.wat): imports the shared
;; memory, pauses inside `work`, and has a global of its own.
;;
;; Async imports: env.sleep. Logging: env.log.
(module
  (import "env" "memory" (memory 1))
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (global $calls (mut i32) (i32.const 0))

  (func $inner (param $x i32) (result i32)
    (local $v i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $v (call $sleep (local.get $x)))
    (call $log (i32.add (local.get $x) (i32.const 1000)))
    (i32.add (local.get $v) (local.get $x)))

  (func (export "work") (param $x i32) (result i32)
    (i32.add (call $inner (local.get $x)) (call $inner (i32.mul (local.get $x) (i32.const 2)))))
)
