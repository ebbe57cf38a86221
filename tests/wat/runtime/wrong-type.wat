;; An `asyncify.start_unwind` import whose type is not the API's `(param i32)` is an error
;; (calls to it could not call the generated function), and so is a `get_state` without its
;; i32 result.
;; RUN: % -o %t
;; RUN: %S/wrong-type-get-state.txt -o %t
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i64)))
  (memory 1)
  (func (export "main") (call $start_unwind (i64.const 16))))
