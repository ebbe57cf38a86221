;; An `if` with pauses in both arms and a result. Call indices are dense and in program
;; order (then-arm 0 and 1, else-arm 2), so while rewinding the arm is chosen by
;; `rewind_index < 2`; in normal mode the (spilled) condition decides. Both arms leave their
;; result in the same local.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory 1)
  (func $f (export "f") (param $x i32) (result i32)
    (if (result i32) (local.get $x)
      (then (i32.add (call $sleep (i32.const 1)) (call $sleep (i32.const 2))))
      (else (call $sleep (i32.const 3))))))
