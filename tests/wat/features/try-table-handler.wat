;; A pause in a `try_table` body and another in handler code (after the block a `catch`
;; branches to). The call inside the body resets `$resume` *before* it is made: if a rewind
;; ends inside it and it then throws, the handler runs in normal mode, though the reset after
;; the call never ran.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (tag $e (param i32))
  (memory 1)
  (func $main (export "main") (param $x i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $sleep (local.get $x)))
      (return))
    (call $sleep)))
