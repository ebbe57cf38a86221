;; An `if` with a pause in the then-arm only. While rewinding the condition is not evaluated
;; (the code computing it is skipped): the `select` picks the arm holding the pause (then), and
;; the else-arm, which has no pause point, is never entered while rewinding.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $f (export "f") (param $x i32)
    (if (i32.gt_s (local.get $x) (i32.const 0))
      (then (call $log (i32.const 1)) (call $sleep) (call $log (i32.const 2)))
      (else (call $log (i32.const 3))))
    (call $log (i32.const 4))))
