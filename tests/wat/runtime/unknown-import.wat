;; An `asyncify.*` import that is not part of the API is an error.
;; RUN: % -o %t
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "pause_now" (func $pause_now))
  (memory 1)
  (func (export "main") (call $pause_now)))
