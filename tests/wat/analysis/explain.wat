;; `--explain NAME` prints why a function is (or is not) instrumented, to standard output:
;; the call path to where pauses start (direct and indirect hops), its frame and pause
;; points, and the asyncify stack a pause under it needs. NAME may be a function name, an
;; import's `module.base` or name, or an export name. Without `-o` the module is not written.
;;  1. instrumented through an indirect hop, not instrumented (with its narrowed indirect
;;     call), a pausing import, an import that cannot pause, by export name;
;;  2. the remove-list and the only-list;
;;  3. in-module runtime code: where pauses start, and the scheduler;
;;  4. `--no-narrow-indirect`, and the module written with `-o`.
;; RUN: % --imports env.sleep --explain main --explain pure --explain env.sleep --explain log --explain entry
;; RUN: % --imports env.sleep --remove-list helper --explain helper --explain main
;; RUN: % --imports env.sleep --only-list main --explain helper --explain main
;; RUN: % --imports env.sleep --explain yield --explain scheduler --explain asyncify.start_unwind
;; RUN: % --imports env.sleep --no-narrow-indirect --explain pure -o %t
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "log" (func $log (param i32)))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (type $v (func))
  (type $i (func (param i32)))
  (table 3 funcref)
  (elem (i32.const 0) $sleepy $quiet $noisy)
  (memory 1)
  (func $sleepy (local $x i32)
    (local.set $x (i32.const 7))
    (call $sleep (local.get $x))
    (call $log (local.get $x)))
  (func $quiet)
  (func $noisy (param i32) (call $log (local.get 0)))
  (func $helper (param $slot i32) (call_indirect (type $v) (local.get $slot)))
  (func $pure (param $x i32) (call_indirect (type $i) (local.get $x) (i32.const 2)))
  (func $main (export "entry") (param $slot i32) (local $keep i64)
    (local.set $keep (i64.extend_i32_u (local.get $slot)))
    (call $helper (local.get $slot))
    (call $pure (local.get $slot))
    (call $log (i32.wrap_i64 (local.get $keep))))
  (func $yield (call $start_unwind (i32.const 16)))
  (func $scheduler (call $yield) (call $stop_unwind)))
