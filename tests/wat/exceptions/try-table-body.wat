;; A pause inside a `try_table` body works: the `try_table` and its catch clauses stay; the
;; body is instrumented. The branch a `catch` takes to `$handler` carries the exception's
;; value past the instrumentation (the result of `$handler` is taken from the stack like any
;; block result). `$handler` is itself a pausing block, so its result goes through a local.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (tag $e (param i32))
  (memory 1)
  (func $main (export "main") (param $x i32) (result i32)
    (block $handler (result i32)
      (try_table (result i32) (catch $e $handler)
        (call $sleep (local.get $x))
        (if (i32.eqz) (then (throw $e (i32.const 5))))
        (i32.const 10))
      (return))
    (i32.add (i32.const 100))))
