;; Indirect calls. With `--no-narrow-indirect` (Binaryen's rule) a `call_indirect` may
;; pause, so `$dispatch` is instrumented (and `$main`, which calls it) even though no import
;; is listed that it could reach. By default (run 4) the call is narrowed: the table only
;; holds `$target`, which cannot pause, so nothing is instrumented.
;; `--ignore-indirect` assumes indirect calls never pause: nothing is instrumented. With
;; `--ignore-indirect --add-list dispatch`, `$dispatch` is instrumented and its
;; `call_indirect` stays a pause point (it is guarded and gets call index 0), but that does
;; not propagate: `$main` is not instrumented.
;; RUN: % --imports env.sleep --no-narrow-indirect --verbose -o %t
;; RUN: % --imports env.sleep --ignore-indirect --verbose -o %t
;; RUN: % --imports env.sleep --ignore-indirect --add-list dispatch --verbose -t
;; RUN: % --imports env.sleep --verbose -o %t
(module
  (import "env" "sleep" (func $sleep))
  (type $v (func))
  (table 1 funcref)
  (elem (i32.const 0) $target)
  (memory 1)
  (func $target)
  (func $dispatch (param $i i32)
    (call_indirect (type $v) (local.get $i)))
  (func $main (export "main")
    (call $dispatch (i32.const 0))))
