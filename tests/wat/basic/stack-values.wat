;; Values computed on the operand stack below a pausing call (here `$x * 2` and `$x + 1`) are
;; moved into spill locals in normal execution, saved in the frame, and pushed again right
;; before the call (also when rewinding, from the restored spills); the additions after the
;; call then see them below its result as before.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (result i32)))
  (memory 1)
  (func $f (export "f") (param $x i32) (result i32)
    local.get $x
    i32.const 2
    i32.mul
    local.get $x
    i32.const 1
    i32.add
    call $sleep
    i32.add
    i32.add))
