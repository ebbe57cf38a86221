;; A program with globals of its own, referenced from code, from other globals' initializers,
;; from segment offsets and from an export: with `--import-globals` every one of them moves
;; up by two indices.
;;
;; Async imports: env.sleep. Logging: env.log.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (type $t (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $base i32 (i32.const 256))
  (global $copy i32 (global.get $base))
  (global $two i32 (i32.const 2))
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (table 4 funcref)
  (elem (table 0) (offset (global.get $two)) func $work)
  (data (memory 0) (offset (global.get $base)) "\01\02\03\04")

  (func $work (type $t)
    (local $v i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (local.set $v (call $sleep (i32.add (local.get 0)
                    (i32.load8_u (i32.add (global.get $base) (i32.const 2))))))
    (call $log (global.get $copy))
    (call $log (local.get $v))
    (local.get $v))

  (func (export "run") (param $n i32) (result i32)
    (local $s i32)
    (local.set $s (call_indirect (type $t) (local.get $n) (global.get $two)))
    (local.set $s (i32.add (local.get $s) (call $work (i32.add (local.get $n) (i32.const 1)))))
    (call $log (i32.load8_u (global.get $copy)))
    (local.get $s))
)
