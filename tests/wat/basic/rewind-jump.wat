;; A rewind to a pause point after a chain of plain blocks (each the first pausing element of
;; the next one out, as a `switch` compiles) jumps there from the innermost block: the skip
;; edge of the guard there becomes a `br_table` on the call index, to the end of the block the
;; call comes after (index 0: on in this block; 1: after `$c1`; 2 and later: after `$c2`).
;; So a rewind does not run through the levels in between, the last pause point of each level
;; needs no guard, and engines building SSA form see no skip edges merging into every case.
;; RUN: % --imports env.sleep -O -t
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
