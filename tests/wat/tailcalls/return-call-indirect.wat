;; `return_call_indirect` in an instrumented function: with `--no-narrow-indirect` every
;; indirect call can pause, so it becomes `call_indirect` + `return` and a pause point. With
;; `--ignore-indirect` the function is instrumented only for its direct call and the tail
;; call stays a tail call; so it does by default (run 3), since the only function in the
;; table, `$twice`, cannot pause.
;; RUN: % --imports env.sleep --no-narrow-indirect -t
;; RUN: % --imports env.sleep --ignore-indirect -t
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (type $i2i (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $twice)
  (memory 1)
  (func $twice (param $x i32) (result i32)
    (i32.add (local.get $x) (local.get $x)))
  (func $f (export "f") (param $x i32) (result i32)
    (call $sleep)
    (return_call_indirect (type $i2i) (local.get $x) (i32.const 0))))
