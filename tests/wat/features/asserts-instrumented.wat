;; `--asserts` in an instrumented function: after every call that is not a pause point (here
;; `$log`, and the indirect call that `--ignore-indirect` says cannot pause) the state must
;; still be normal, or the pause could not be resumed: trap. Pause points need no check.
;; RUN: % --imports env.sleep --ignore-indirect --asserts -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (type $v (func))
  (table 1 funcref)
  (memory 1)
  (func $main (export "main") (param $x i32)
    (call $log (local.get $x))
    (call $sleep)
    (call_indirect (type $v) (i32.const 0))
    (call $log (local.get $x))))
