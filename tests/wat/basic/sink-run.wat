;; A run right before a plain block that pauses moves into the block and shares the guard of
;; the block's first run. `$dispatch`: the fetch at the top of the loop and the dispatch inside
;; the blocks get one guard (an interpreter loop then pays one branch per iteration for it,
;; not two). `$value_below`: the run's value stays below the block, so it is not moved.
;; `$delegated`: a moved `try ... delegate` is one level deeper inside the block and its guard
;; (`delegate 2`, the outer `try`).
;; RUN: % --imports env.sleep -O -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $dispatch (export "dispatch") (param $n i32) (result i32)
    (local $pc i32) (local $op i32)
    (loop $next
      (local.set $op (i32.load8_u (local.get $pc)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (block $halt
        (block $nap
          (br_table $nap $halt (local.get $op)))
        (call $sleep)
        (br_if $next (local.get $n))))
    (local.get $pc))
  (func $value_below (export "value_below") (param $x i32) (result i32)
    (i32.add
      (i32.mul (local.get $x) (i32.const 3))
      (block (result i32)
        (call $sleep)
        (local.get $x))))
  (func $delegated (export "delegated") (param $x i32) (result i32)
    try $outer (result i32)
      try
        (drop (i32.div_u (local.get $x) (local.get $x)))
      delegate $outer
      (block
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (call $sleep))
      (local.get $x)
    catch_all
      (i32.const -1)
    end))
