;; Regression: the error for an `asyncify.*` import with the wrong type printed empty lists
;; (`(param i64) (result )`). Types are now written as in WAT, empty lists left out:
;; `(func (param i64))` vs `(func (param i32))`.
;; RUN: % -o %t
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i64)))
  (memory 1)
  (func (export "main") (call $start_unwind (i64.const 16))))
