;; memory64: `__asyncify_data` and the API's data parameter are i64, `end` is read at offset
;; 8, frames are addressed with i64 arithmetic; the call index is still an i32.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory (export "memory") i64 1)
  (func $main (export "main") (param $x i32) (result i32)
    (i32.add (call $sleep (local.get $x)) (local.get $x))))
