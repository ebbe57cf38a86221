;; With `--ignore-indirect` only `$main` and `$wait` can reach the pausing import, so the other
;; bodies need not be read into IR (`analysis::prescan`), except `$dispatch`'s: its indirect
;; call cannot pause, but the report lists every indirect call and what it can reach. The
;; report must read the same as if every body had been parsed: the indirect call, its
;; targets and caller, and only `$main` and `$wait` instrumented.
;; RUN: % --imports env.sleep --ignore-indirect --report - -o %t
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (type $op (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) func $twice $busy)
  (func $twice (type $op) (i32.mul (local.get 0) (i32.const 2)))
  (func $busy (type $op) (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get 0))))
    (call $log (local.get $acc))
    (local.get $acc))
  (func $dispatch (param i32 i32) (result i32)
    (call_indirect (type $op) (local.get 1) (local.get 0)))
  (func $wait (param i32) (call $sleep (local.get 0)))
  (func $main (export "main") (param i32) (result i32)
    (call $wait (i32.const 1))
    (call $dispatch (i32.const 1) (local.get 0))))
