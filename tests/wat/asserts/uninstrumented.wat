;; `--asserts` adds a check to every defined function that is not instrumented: it records
;; the state on entry and traps after each call if the state changed (a pause went through a
;; frame that cannot be saved). Here `$helper` is left out with `--remove-list`, so `$main`,
;; which only reaches the import through it, is not instrumented either; both get checks
;; after every call. `$leaf` is instrumented and gets none. The generated API functions get
;; none.
;; RUN: % --imports env.sleep --remove-list helper --asserts -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $leaf (call $sleep))
  (func $helper (param $x i32) (result i32)
    (call $log (local.get $x))
    (call $leaf)
    (i32.add (local.get $x) (i32.const 1)))
  (func $main (export "main")
    (drop (call $helper (i32.const 1)))))
