;; A pause inside a legacy `try` body works: the `try` stays, its body is instrumented like
;; any block (code before the pause is skipped while rewinding, the paused call is re-entered),
;; and the `catch` handler, which cannot pause, is left as it is. An exception thrown after
;; the resume is caught by the same handler.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (tag $e (param i32))
  (memory 1)
  (func $main (export "main") (param $x i32) (result i32)
    try (result i32)
      (call $log (i32.const 1))
      (call $sleep (local.get $x))
      (if (i32.eqz) (then (throw $e (i32.const 5))))
      (i32.const 10)
    catch $e
      (i32.add (i32.const 100))
    catch_all
      (i32.const -1)
    end))
