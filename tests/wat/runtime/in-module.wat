;; An in-module runtime. The five `asyncify.*` imports (functions 1-5) disappear: calls to
;; them call the generated `asyncify_*` functions instead, and every later function index
;; shifts down by 5 (`$print` stays 0, `$main` goes from 6 to 1, ...; the start function and
;; the table entry follow). `$sleep` calls `start_unwind`/`stop_rewind` and `$runtime` calls
;; `stop_unwind`/`start_rewind`/`get_state`: they are runtime code and are not instrumented
;; (their bodies only change by the index shift); `$main`, which calls `$sleep`, is.
;; RUN: % -t
(module
  (import "spectest" "print" (func $print (param i32)))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (import "asyncify" "get_state" (func $get_state (result i32)))
  (memory 1 1)
  (table 1 funcref)
  (elem (i32.const 0) $main)
  (start $runtime)
  (func $main
    (call $print (i32.const 1))
    (call $sleep)
    (call $print (i32.const 3)))
  (func $sleep
    (if (i32.eq (call $get_state) (i32.const 2))
      (then (call $stop_rewind))
      (else
        (i32.store (i32.const 16) (i32.const 24))
        (i32.store (i32.const 20) (i32.const 1024))
        (call $start_unwind (i32.const 16)))))
  (func $runtime
    (call $main)
    (call $stop_unwind)
    (call $print (i32.const 2))
    (call $start_rewind (i32.const 16))
    (call $main)))
