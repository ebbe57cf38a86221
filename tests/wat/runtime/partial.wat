;; Only some of the `asyncify.*` imports: here just `start_unwind` and `get_state`, imported
;; between two other imports. Both are removed; `env.after` moves from 3 to 1 and the
;; defined functions follow. The generated functions are exported as usual. (`--ignore-imports`:
;; only `$pause`, which starts an unwind, makes `$main` instrumented.)
;; RUN: % --ignore-imports -t
(module
  (import "env" "before" (func $before))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "get_state" (func $get_state (result i32)))
  (import "env" "after" (func $after))
  (memory 1)
  (func $pause (export "pause")
    (if (i32.eqz (call $get_state))
      (then (call $start_unwind (i32.const 16)))))
  (func $main (export "main")
    (call $before)
    (call $pause)
    (call $after)))
