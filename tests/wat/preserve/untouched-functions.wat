;; Only the functions that can pause are instrumented (`$run` and `$pauses`); the others come
;; out exactly as they went in, at the same index: `$first` (0 imports before it, index 2),
;; `$table_user` with its `call_indirect` and `br_table`, `$memory_user` with loads, stores
;; and a loop, and `$last`. New functions, globals and exports are appended after the
;; existing ones; the table, element segment, data segment and the existing global keep
;; their indices.
;; RUN: % --imports env.sleep --ignore-indirect -t
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "log" (func $log (param i32)))
  (type $i2i (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $first $last)
  (memory (export "memory") 1)
  (data (i32.const 64) "hello")
  (global $counter (mut i32) (i32.const 0))
  (func $first (param $x i32) (result i32)
    (i32.mul (local.get $x) (i32.const 3)))
  (func $pauses (param $x i32)
    (call $log (local.get $x))
    (call $sleep (local.get $x)))
  (func $table_user (param $k i32) (result i32)
    (block $b
      (block $a
        (br_table $a $b (local.get $k)))
      (return (call_indirect (type $i2i) (i32.const 5) (i32.const 0))))
    (call_indirect (type $i2i) (i32.const 6) (i32.const 1)))
  (func $memory_user (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i32.add (local.get $sum) (i32.load8_u offset=64 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 128) (local.get $sum))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (local.get $sum))
  (func $run (export "run") (param $x i32) (result i32)
    (call $pauses (call $first (local.get $x)))
    (i32.add
      (call $table_user (local.get $x))
      (call $memory_user (i32.const 5))))
  (func $last (param $x i32) (result i32)
    (i32.sub (local.get $x) (i32.const 1))))
