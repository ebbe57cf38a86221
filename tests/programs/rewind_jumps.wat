;; Chains of plain blocks, each the first pausing element of the next one out (the shape a
;; C `switch` compiles to): a rewind to a pause point after one of them jumps there from the
;; innermost block (a `br_table` on the call index) instead of running through every level.
;;
;; - `$switch`: a br_table dispatch whose cases pause at different levels, one of them inside
;;   a nested chain of its own, one with a value left below a chain block.
;; - `$padded`: a chain whose innermost block starts with a pause call (no run before it to
;;   hang the jump on: it gets a jump of its own), inside an `if` arm.
;;
;; Async imports: env.sleep, env.sleep_i32.
;; Entry point: `run(n: i32) -> i32`: runs both for every selector below n, logging results;
;; returns a checksum.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)

  (func $switch (param $sel i32) (param $x i32) (result i32)
    (local $a i32) (local $b i32)
    (local.set $a (i32.mul (local.get $x) (i32.const 7)))
    (block $out
      (block $c4
        (block $c3
          (block $c2
            (block $c1
              (block $c0
                (local.set $b (i32.add (local.get $a) (local.get $sel)))
                (br_table $c0 $c1 $c2 $c3 $c4 $out
                  (i32.rem_u (local.get $sel) (i32.const 6))))
              ;; case 0: pauses, then falls into case 1
              (local.set $a (call $sleep_i32 (local.get $b))))
            ;; case 1: no pause
            (local.set $a (i32.add (local.get $a) (i32.const 100)))
            (br $out))
          ;; case 2: a nested chain of its own, and code after it
          (block $inner_out
            (block $i1
              (block $i0
                (br_if $i0 (i32.and (local.get $x) (i32.const 1)))
                (call $sleep (local.get $a))
                (local.set $a (i32.add (local.get $a) (i32.const 3)))
                (br $i1))
              (local.set $b (call $sleep_i32 (local.get $b)))
              (br $inner_out))
            (local.set $a (call $sleep_i32 (i32.sub (local.get $a) (local.get $b)))))
          (local.set $b (call $sleep_i32 (i32.xor (local.get $a) (local.get $b))))
          (br $out))
        ;; case 3: a value below a chain block
        (local.get $a)
        (block $v
          (block $w
            (local.set $b (i32.mul (local.get $b) (i32.const 5)))
            (call $sleep (local.get $b)))
          (local.set $b (call $sleep_i32 (local.get $b))))
        (local.set $a (i32.add (call $sleep_i32 (local.get $b))))
        (br $out))
      ;; case 4
      (call $sleep (local.get $x))
      (local.set $a (i32.sub (local.get $a) (local.get $x))))
    ;; after the chain: pauses too
    (call $log (local.get $a))
    (local.set $a (i32.add (local.get $a) (call $sleep_i32 (local.get $b))))
    (i32.xor (local.get $a) (i32.shl (local.get $b) (i32.const 3))))

  (func $padded (param $sel i32) (result i32)
    (local $r i32)
    (if (i32.and (local.get $sel) (i32.const 2))
      (then
        (block $p1
          (block $p0
            (call $sleep (i32.const 9))
            (br_if $p1 (i32.and (local.get $sel) (i32.const 1)))
            (local.set $r (call $sleep_i32 (local.get $sel))))
          (local.set $r (i32.add (local.get $r) (call $sleep_i32 (i32.const 4)))))
        (local.set $r (call $sleep_i32 (i32.add (local.get $r) (i32.const 1)))))
      (else
        (local.set $r (i32.const 11))))
    (local.get $r))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $v i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (call $switch (local.get $i) (i32.add (local.get $i) (i32.const 3))))
        (call $log (local.get $v))
        (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31)) (local.get $v)))
        (local.set $v (call $padded (local.get $i)))
        (call $log (local.get $v))
        (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31)) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
