;; Values left on the operand stack below a pause that were pushed by `local.get` (the
;; transform may recompute such values instead of spilling them, which is only right if the
;; local still holds the same value at the recomputation, in normal execution and after a
;; rewind). Each case writes the local between the `local.get` and the pause, or right
;; after the pause, in a different way:
;;   0: `local.tee` in the pausing call's argument;
;;   1: `local.set` inside a pausing block;
;;   2: `local.set` of the pause's result, with the old value still below it;
;;   3: a loop that pauses and writes the local on every iteration;
;;   4: `local.set` in the then-arm of a pausing `if`, the old value below the `if`;
;;   5: the value below two pauses, the local written between them.
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32`: runs every case, logs each result, returns their sum.
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)

  (func $case0 (param $x i32) (result i32)
    (i32.sub
      (local.get $x)
      (i32.and (call $sleep (local.tee $x (i32.add (local.get $x) (i32.const 1000))))
               (i32.const 0xff))))

  (func $case1 (param $x i32) (result i32)
    (i32.sub
      (local.get $x)
      (block (result i32)
        (local.set $x (i32.const 7777))
        (i32.and (call $sleep (i32.const 1)) (i32.const 0xff)))))

  (func $case2 (param $x i32) (result i32)
    (local.get $x)
    (local.set $x (i32.and (call $sleep (i32.const 2)) (i32.const 0xffff)))
    (i32.mul (local.get $x) (i32.const 3))
    (i32.sub))

  (func $case3 (param $x i32) (result i32)
    (local $i i32)
    (local.get $x)
    (loop $again (result i32)
      (local.set $x (i32.add (local.get $x) (i32.and (call $sleep (local.get $i)) (i32.const 0xf))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3)))
      (local.get $x))
    (i32.sub))

  (func $case4 (param $x i32) (result i32)
    (local.get $x)
    (if (result i32) (i32.and (local.get $x) (i32.const 1))
      (then
        (local.set $x (i32.const 5555))
        (i32.and (call $sleep (i32.const 4)) (i32.const 0xff)))
      (else
        (local.set $x (i32.const 6666))
        (i32.and (call $sleep (i32.const 5)) (i32.const 0xff))))
    (i32.sub)
    (local.get $x)
    (i32.add))

  (func $case5 (param $x i32) (result i32)
    (local.get $x)
    (drop (call $sleep (i32.const 6)))
    (local.set $x (i32.const 31337))
    (drop (call $sleep (local.get $x)))
    (i32.sub (local.get $x)))

  (func (export "run") (param $n i32) (result i32)
    (local $r i32) (local $sum i32)
    (local.set $r (call $case0 (local.get $n)))
    (call $log (local.get $r))
    (local.set $sum (i32.add (local.get $sum) (local.get $r)))
    (local.set $r (call $case1 (local.get $n)))
    (call $log (local.get $r))
    (local.set $sum (i32.add (local.get $sum) (local.get $r)))
    (local.set $r (call $case2 (local.get $n)))
    (call $log (local.get $r))
    (local.set $sum (i32.add (local.get $sum) (local.get $r)))
    (local.set $r (call $case3 (local.get $n)))
    (call $log (local.get $r))
    (local.set $sum (i32.add (local.get $sum) (local.get $r)))
    (local.set $r (call $case4 (local.get $n)))
    (call $log (local.get $r))
    (local.set $sum (i32.add (local.get $sum) (local.get $r)))
    (local.set $r (call $case5 (local.get $n)))
    (call $log (local.get $r))
    (local.set $sum (i32.add (local.get $sum) (local.get $r)))
    (local.get $sum))
)
