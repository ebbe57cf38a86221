;; Three memories: the program's data in `memory`, a memory64 `big`, and `stack`, meant for
;; the asyncify buffers (`--memory stack`). Each call writes into `memory` and `big` at
;; addresses that depend on its argument, pauses, and reads them back.
;;
;; Async imports: env.sleep. Logging: env.log, env.log64.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "log64" (func $log64 (param i64)))
  (memory $main (export "memory") 1)
  (memory $big (export "big") i64 2)
  (memory $stack (export "stack") 1)
  (data (memory $main) (i32.const 0) "hello")

  (func $work (param $n i32) (param $k i32) (result i32)
    (local $v i32) (local $a i32) (local $b i64)
    (local.set $a (i32.add (i32.const 64) (i32.mul (local.get $n) (i32.const 16))))
    (local.set $b (i64.extend_i32_u (i32.add (i32.const 128) (i32.mul (local.get $n) (i32.const 16)))))
    (i32.store $main (local.get $a) (i32.add (local.get $k) (i32.load8_u $main (i32.const 1))))
    (i64.store $big (local.get $b) (i64.extend_i32_u (local.get $k)))
    (local.set $v (call $sleep (i32.add (local.get $n) (local.get $k))))
    (call $log (i32.load $main (local.get $a)))
    (call $log64 (i64.load $big (local.get $b)))
    (i32.store $main (local.get $a) (local.get $v))
    (i64.store $big (local.get $b) (i64.mul (i64.extend_i32_u (local.get $v)) (i64.const 7)))
    (local.get $v))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (call $work (local.get $n) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (local.get $sum))
)
