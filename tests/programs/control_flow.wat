;; Structured control flow around pauses: blocks, loops and ifs with results (multi-value),
;; br_table with pauses in several arms and carrying a value, pauses in both
;; arms of an if (and in an if's condition), br_if carrying values out of a block that
;; contains a pause, and early returns with multiple values. (Blocks with params are in
;; block_params.wat: Binaryen cannot read them.)
;;
;; Rewinding must re-enter exactly the arm / iteration that was running when the pause
;; happened, with the block's params and pending results restored.
;;
;; Async imports: env.sleep, env.sleep_i32, env.sleep_i64.
;; Entry point: `run(n: i32) -> i32`: runs every case for k = 0..5 and for two values of n
;; (both parities), logging each result; returns a checksum.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_i64" (func $sleep_i64 (param i64) (result i64)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_i64" (func $log64 (param i64)))
  (memory (export "memory") 1)

  (func $pause_ret (param $x i32) (result i32)
    (i32.xor (local.get $x) (call $sleep_i32 (local.get $x))))

  ;; A multi-value result computed across a pause.
  (func $pair_pause (param $a i32) (param $b i32) (result i32 i64)
    (i32.add (local.get $a) (call $sleep_i32 (local.get $a)))
    (i64.extend_i32_s (local.get $b)))

  ;; br_table dispatch with pauses in several arms (and one arm without a pause).
  (func $dispatch (param $k i32) (param $n i32) (result i32)
    (local $r i32)
    (block $done
      (block $default
        (block $c3
          (block $c2
            (block $c1
              (block $c0
                (br_table $c0 $c1 $c2 $c3 $default (local.get $k)))
              ;; case 0: the arm's result comes from a pause
              (local.set $r (call $sleep_i32 (i32.add (local.get $n) (i32.const 100))))
              (br $done))
            ;; case 1: no pause in this arm
            (local.set $r (i32.mul (local.get $n) (i32.const 7)))
            (br $done))
          ;; case 2: two pauses (the first result waits on the stack during the second),
          ;; then falls through into case 3
          (local.set $r (i32.sub (call $sleep_i32 (i32.const 200)) (call $sleep_i32 (local.get $n)))))
        ;; case 3 (and case 2 falling through): a result-less pause, then $r is used
        (call $sleep (local.get $r))
        (local.set $r (i32.add (local.get $r) (i32.const 3)))
        (br $done))
      ;; default: a pause in a callee returning two values
      (call $pair_pause (local.get $n) (local.get $k))
      (local.set $r (i32.add (i32.wrap_i64)))
    )
    (local.get $r))

  ;; br_table carrying a value produced by a pause; the $b arm pauses again with the
  ;; carried value on the stack.
  (func $table_value (param $k i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (br_table $a $b $b $a
          (call $sleep_i32 (local.get $k))
          (i32.and (local.get $k) (i32.const 3))))
      ;; reached through $b: the carried value is on the stack under this pause
      (i32.add (call $sleep_i32 (i32.const 300)))))

  ;; Everything else; `$n`'s parity selects the if arms and br_if outcomes.
  (func $misc (param $n i32)
    (local $c i32) (local $p i64) (local $bit i32)
    (local.set $bit (i32.and (local.get $n) (i32.const 1)))

    ;; A block with two results, both produced by pauses.
    (block (result i32 i64)
      (call $sleep_i32 (i32.const 20))
      (call $sleep_i64 (i64.const 21)))
    (call $log64)
    (call $log)

    ;; A loop whose counter and product live in locals; the product is computed across a
    ;; pause and the loop is left by br_if once the counter reaches 4.
    (local.set $c (i32.const 0))
    (local.set $p (i64.const 1))
    (loop $l
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (local.set $p (i64.add (i64.mul (local.get $p) (i64.const 3))
                             (call $sleep_i64 (i64.extend_i32_u (local.get $c)))))
      (br_if $l (i32.lt_u (local.get $c) (i32.const 4))))
    (call $log64 (local.get $p))
    (call $log (local.get $c))

    ;; if/else with a result: the condition comes from a pause, both arms pause.
    (call $log
      (if (result i32)
        (i32.xor (local.get $bit)
                 (i32.mul (call $sleep_i32 (i32.const 30)) (i32.const 0)))
        (then (call $sleep_i32 (i32.const 31)))
        (else (i32.mul (call $sleep_i32 (i32.const 32)) (i32.const 2)))))

    ;; if with a result, a value computed before it waits on the stack during the pause in
    ;; either arm.
    (call $log
      (i32.add (local.get $n)
               (if (result i32) (local.get $bit)
                 (then (call $sleep_i32 (i32.const 33)))
                 (else (i32.sub (i32.const 0) (call $pause_ret (i32.const 34)))))))

    ;; if without else, pause in the then arm only when taken.
    (if (local.get $bit) (then (call $sleep (i32.const 35)) (call $log (i32.const 35))))
    ;; if without else whose arm has no pause, after and before pauses.
    (if (i32.eqz (local.get $bit)) (then (call $log (i32.const 36))))

    ;; br_if carrying two values out of a block that contains a pause; the two values wait
    ;; on the stack while the condition pauses.
    (block $out (result i32 i32)
      (call $sleep_i32 (i32.const 40))
      (local.get $n)
      (br_if $out (i32.xor (local.get $bit)
                           (i32.mul (call $sleep_i32 (i32.const 41)) (i32.const 0))))
      ;; not taken: replace both values, pausing again
      (drop)
      (drop)
      (call $sleep_i32 (i32.const 42))
      (i32.const -1))
    (call $log)
    (call $log)

    ;; A loop left by a br carrying a value out of two nested blocks after a pause.
    (local.set $c (i32.const 0))
    (call $log
      (block $exit (result i32)
        (loop $spin
          (block $skip
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br_if $skip (i32.lt_u (local.get $c) (i32.const 3)))
            (br $exit (call $sleep_i32 (local.get $c))))
          (call $sleep (local.get $c))
          (br $spin))
        (unreachable)))

    ;; Multi-value early return from nested blocks.
    (call $early (local.get $bit))
    (call $log64)
    (call $log)
  )

  (func $early (param $bit i32) (result i32 i64)
    (block
      (block
        (if (local.get $bit)
          (then (return (call $sleep_i32 (i32.const 50)) (call $sleep_i64 (i64.const 51)))))))
    (call $pair_pause (i32.const 52) (i32.const 53)))

  (func (export "run") (param $n i32) (result i32)
    (local $k i32) (local $sum i32) (local $r i32)
    (loop $cases
      (local.set $r (call $dispatch (local.get $k) (local.get $n)))
      (call $log (local.get $r))
      (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31)) (local.get $r)))
      (local.set $r (call $table_value (local.get $k)))
      (call $log (local.get $r))
      (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31)) (local.get $r)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $cases (i32.lt_u (local.get $k) (i32.const 6))))
    (call $misc (local.get $n))
    (call $misc (i32.add (local.get $n) (i32.const 1)))
    (local.get $sum))
)
