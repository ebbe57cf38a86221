;; `--asserts` with an in-module runtime: `$sleep` (calls `start_unwind`/`stop_rewind`) and
;; `$runtime` (calls `stop_unwind`/`start_rewind`) change the state on purpose and get no
;; checks (Binaryen checks them and so traps in every in-module runtime). `$main` is
;; instrumented and gets none; `$other`, an ordinary function that is not instrumented, does.
;; RUN: % --ignore-imports --asserts -t
(module
  (import "spectest" "print" (func $print (param i32)))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (memory 1 1)
  (global $sleeping (mut i32) (i32.const 0))
  (start $runtime)
  (func $main
    (call $print (i32.const 1))
    (call $sleep)
    (call $other))
  (func $other
    (call $print (i32.const 3)))
  (func $sleep
    (if (i32.eqz (global.get $sleeping))
      (then
        (global.set $sleeping (i32.const 1))
        (i32.store (i32.const 16) (i32.const 24))
        (i32.store (i32.const 20) (i32.const 1024))
        (call $start_unwind (i32.const 16)))
      (else
        (call $stop_rewind)
        (global.set $sleeping (i32.const 0)))))
  (func $runtime
    (call $main)
    (call $stop_unwind)
    (call $print (i32.const 2))
    (call $start_rewind (i32.const 16))
    (call $main)))
