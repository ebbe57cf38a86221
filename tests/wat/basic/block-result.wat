;; Blocks with results around a pause: the inner block's result is taken from a local after
;; it ends, the `br_if` leaving it early still carries its value on the stack, and the value
;; below the block (`$x`) is spilled across it.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (result i32)))
  (memory 1)
  (func $f (export "f") (param $x i32) (result i32)
    local.get $x
    (block $b (result i32)
      (drop (br_if $b (i32.const 7) (local.get $x)))
      (call $sleep)
      (i32.const 1)
      i32.add)
    i32.sub))
