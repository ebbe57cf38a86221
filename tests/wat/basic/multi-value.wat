;; Multi-value: an import returning two values, a block with two parameters and two results
;; containing the pause, and a function returning two values (it returns two zeros while
;; unwinding). The block's parameters reach its body through locals.
;; RUN: % --imports env.sleep2 -t
(module
  (import "env" "sleep2" (func $sleep2 (param i32) (result i32 i64)))
  (memory 1)
  (func $f (export "f") (param $x i32) (result i32 i64)
    (local $t i64)
    (local.get $x)
    (i64.const 5)
    (block (param i32 i64) (result i32 i64)
      (local.set $t)
      (call $sleep2)
      (local.get $t)
      (i64.add))))
