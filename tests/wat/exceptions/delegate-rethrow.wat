;; Legacy `delegate` and `rethrow` name their target by relative label depth, so they must
;; still reach the same `try` after the instrumentation wraps code in new `if` guards. Here
;; every target is inside the same normal-mode guard as the instruction naming it, so the
;; depths must stay as they are:
;;  - `rethrow 0` in a `catch_all` handler (its own `try`),
;;  - `rethrow 1` in a nested `try`'s `catch_all`, naming the outer handler,
;;  - `delegate 0` to an enclosing non-pausing `try` (`$near`).
;; The pausing `try` around them keeps its body and handler. (A `delegate` whose target is
;; outside the guard must be shifted: see `delegate-shift.wat`.)
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (import "env" "may_throw" (func $may_throw))
  (tag $e)
  (memory 1)
  (func $main (export "main")
    try $outer
      call $sleep
      try
        call $may_throw
      catch_all
        try
          (call $log (i32.const 1))
        catch_all
          rethrow 1
        end
        rethrow 0
      end
      try $near
        try
          call $may_throw
        delegate 0
      catch_all
        (call $log (i32.const 3))
      end
      call $sleep
    catch $e
      (call $log (i32.const 2))
    end))
