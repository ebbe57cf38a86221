;; `asyncify.get_state` read from inside wasm at every interesting moment, with an in-module
;; runtime (our transform only: Binaryen does not support `get_state` imports).
;;
;; The start function `$runtime` logs the state (0), calls `$main`, which logs 0, then calls
;; `$pause` with an argument computed from a local of `$main` (42). `$pause` logs its argument
;; and then the state it sees: 0 on the first call (it then starts an unwind and logs the
;; state again right after `start_unwind`: 1), and 2 when it is re-entered while rewinding,
;; with the same argument (it then stops the rewind and logs 0). Back in `$runtime` after the
;; unwind the state is 1 (logged), then 0 after `stop_unwind`; after `start_rewind` it is 2
;; (logged) before `$main` is called again; `$main` logs 0 after the pause; finally
;; `$runtime` logs 0. `$pause` is runtime code, not instrumented: its argument must be saved
;; by `$main` to be the same when it is called again.
;; Expected log (spectest.print): 0 0 42 0 1 1 0 2 42 2 0 0 0
;;   runtime: 0 | main: 0 | pause: 42, 0, 1 | runtime: 1, 0, 2 | pause: 42, 2, 0 | main: 0 |
;;   runtime: 0
;; Untransformed (asyncify.* doing nothing, get_state = 0) it logs zeros only.
(module
  (import "spectest" "print" (func $print (param i32)))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (import "asyncify" "get_state" (func $get_state (result i32)))
  (memory 1 1)
  (start $runtime)

  (func $log_state (call $print (call $get_state)))

  ;; Runtime code: calls start_unwind / stop_rewind.
  (func $pause (param $arg i32)
    (call $print (local.get $arg))
    (call $log_state)
    (if (i32.eq (call $get_state) (i32.const 2))
      (then
        (call $stop_rewind)
        (call $log_state))
      (else
        (i32.store (i32.const 16) (i32.const 24))
        (i32.store (i32.const 20) (i32.const 1024))
        (call $start_unwind (i32.const 16))
        (call $log_state))))

  ;; Instrumented: calls `$pause`.
  (func $main
    (local $x i32)
    (local.set $x (i32.const 40))
    (call $log_state)
    (call $pause (i32.add (local.get $x) (i32.const 2)))
    (call $log_state))

  ;; The scheduler: calls stop_unwind / start_rewind.
  (func $runtime
    (call $log_state)
    (call $main)
    (call $log_state)
    (call $stop_unwind)
    (call $log_state)
    (call $start_rewind (i32.const 16))
    (call $log_state)
    (call $main)
    (call $log_state))
)
