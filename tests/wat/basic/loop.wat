;; A loop with a pause inside stays a loop; its counter is a local, saved in the frame. A
;; second loop without pause points runs inside a single normal-mode guard.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (memory 1)
  (func $f (export "f") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $again
      (call $sleep (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (loop $count
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $count (local.get $i)))
    (local.get $sum)))
