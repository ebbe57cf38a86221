;; Tail calls in an instrumented function. A `return_call` to a function that can pause
;; cannot stay a tail call (the caller's frame must still be there to be saved), so it becomes
;; `call` + `return`, a pause point like any call (call index 1 here; the result goes through
;; a spill local). A `return_call` to a function that cannot pause (`$pure`) stays as it is,
;; inside a normal-mode guard.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory 1)
  (func $pure (param $x i32) (result i32)
    (i32.mul (local.get $x) (i32.const 2)))
  (func $pauses (param $x i32) (result i32)
    (call $sleep (local.get $x)))
  (func $f (export "f") (param $x i32) (result i32)
    (drop (call $sleep (i32.const 0)))
    (if (i32.eqz (local.get $x))
      (then (return_call $pure (i32.const 7))))
    (return_call $pauses (i32.sub (local.get $x) (i32.const 1)))))
