;; PENDING: bug: type mismatch messages print empty lists as `(result )` / `(param )`
;; The error for an `asyncify.*` import with the wrong type reads
;;   import `asyncify.start_unwind` has type (param i64) (result ), but asyncify's
;;   `asyncify_start_unwind` has type (param i32) (result )
;; Empty lists should be left out, as in WAT: `(func (param i64))` vs `(func (param i32))`.
;; (`signature` in src/passes/runtime_api.rs always prints both lists.)
;; RUN: % -o %t
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i64)))
  (memory 1)
  (func (export "main") (call $start_unwind (i64.const 16))))
