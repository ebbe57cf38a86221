;; -O3 on a `switch` (a chain of plain blocks): the rewind jump (`br_table` on the call index)
;; exists only in `$dispatch$rewind`; the normal copy keeps the input's blocks and branches,
;; with the unwind exit after each pause call.
;; RUN: % --imports env.sleep -O3 -t
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (func $dispatch (export "dispatch") (param $op i32) (result i32)
    (local $x i32)
    (block $c2
      (block $c1
        (block $c0
          (local.set $x (i32.mul (local.get $op) (i32.const 3)))
          (br_table $c0 $c1 $c2 (local.get $op)))
        ;; case 0
        (call $sleep (local.get $x)))
      ;; case 1
      (call $sleep (i32.add (local.get $x) (i32.const 1))))
    (call $sleep (local.get $x))
    (local.get $x)))
