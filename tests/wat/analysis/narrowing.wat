;; Indirect-call narrowing, on by default: a `call_indirect` can pause only if a function of
;; its type that can be in its table can pause. `--verbose` says which calls were narrowed.
;;  1. default: `$run_op` reaches `$sleepy` through the closed table and is instrumented;
;;     `$log_op`'s type only matches `$logger`, which cannot pause, so it is not. `$host_op`
;;     calls through the exported table, where the host can store functions of its own,
;;     which can pause since `env.sleep` can: instrumented.
;;  2. `--no-narrow-indirect`: Binaryen's rule, every function with an indirect call.
;;  3. `--closed-world`: the host only stores the module's own functions and imports; of
;;     type (param i32) those are `$logger` and `env.log`, neither can pause.
;;  4. `--ignore-indirect`: no indirect call pauses; nothing is said about narrowing.
;; RUN: % --imports env.sleep --verbose -o %t
;; RUN: % --imports env.sleep --no-narrow-indirect --verbose -o %t
;; RUN: % --imports env.sleep --closed-world --verbose -o %t
;; RUN: % --imports env.sleep --ignore-indirect --verbose -o %t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (type $v (func))
  (type $i (func (param i32)))
  (table $closed 3 funcref)
  (table $shared (export "shared") 1 funcref)
  (elem (table $closed) (i32.const 0) func $quiet $sleepy $logger)
  (memory 1)
  (func $sleepy (call $sleep))
  (func $quiet)
  (func $logger (param i32) (call $log (local.get 0)))
  (func $run_op (param $i i32) (call_indirect $closed (type $v) (local.get $i)))
  (func $log_op (param $i i32) (call_indirect $closed (type $i) (i32.const 1) (local.get $i)))
  (func $host_op (param $i i32) (call_indirect $shared (type $i) (i32.const 2) (local.get $i)))
  (func $main (export "main")
    (call $run_op (i32.const 1))
    (call $log_op (i32.const 2))
    (call $host_op (i32.const 0))))
