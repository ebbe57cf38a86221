;; Indirect calls are pause points one by one: `run` makes two `call_indirect`s of different
;; types; only `(type $pausing)` can reach a function that pauses (`slow`), so the call of
;; `(type $quick)` is not a pause point (no guard, no call index), though `run` is instrumented.
;; RUN: % --imports env.sleep --explain run
;; RUN: % --imports env.sleep -O -t
(module
  (type $pausing (func (param i32)))
  (type $quick (func (result i32)))
  (import "env" "sleep" (func $sleep (param i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) func $slow $fast)
  (func $slow (type $pausing) (call $sleep (local.get 0)))
  (func $fast (type $quick) (i32.const 7))
  (func $run (export "run") (param $x i32) (result i32)
    (call_indirect (type $pausing) (local.get $x) (i32.const 0))
    (call_indirect (type $quick) (i32.const 1))))
