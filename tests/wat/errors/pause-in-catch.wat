;; A pause inside a legacy `catch` handler is refused: on rewind the exception that entered
;; the handler is gone, so the handler cannot be resumed. The same for `catch_all` (where the
;; pause is reached through a call).
;; RUN: % --imports env.sleep -o %t
;; RUN: %S/pause-in-catch-all.txt --imports env.sleep -o %t
(module
  (import "env" "sleep" (func $sleep))
  (tag $e (param i32))
  (memory 1)
  (func $main (export "main") (result i32)
    try (result i32)
      (throw $e (i32.const 1))
    catch $e
      call $sleep
    end))
