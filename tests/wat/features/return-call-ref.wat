;; `return_call_ref` to a function that can pause becomes `call_ref` + `return` (the frame has
;; to stay to be saved: a chain of such tail calls now grows the wasm stack, one frame per
;; call); the `return_call` to `$leaf`, which cannot pause, stays a tail call.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (type $ft (func (param i32) (result i32)))
  (memory 1)
  (elem declare func $pauses)
  (func $leaf (type $ft) (local.get 0))
  (func $pauses (type $ft)
    (return_call $leaf (call $sleep (local.get 0))))
  (func $main (export "main") (param $x i32) (result i32)
    (return_call_ref $ft (local.get $x) (ref.func $pauses))))
