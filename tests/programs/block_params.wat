;; Blocks, loops and ifs with params (multi-value proposal), with pauses inside.
;;
;; A block's params are on the operand stack when it starts, so a pause inside the block has
;; them (or what is left of them) underneath; a loop's params are re-supplied by every branch
;; back to it. After a rewind they must all be back.
;;
;; Binaryen cannot run this program at all: its IR has no block params, and wasm-opt 108
;; refuses the binary ("block cannot pop from outside"). Ours only.
;;
;; Async imports: env.sleep, env.sleep_i32, env.sleep_i64.
;; Entry point: `run(n: i32) -> i32`; logs each part's result.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_i64" (func $sleep_i64 (param i64) (result i64)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_i64" (func $log64 (param i64)))
  (memory (export "memory") 1)

  (func $pause_ret (param $x i32) (result i32)
    (i32.xor (local.get $x) (call $sleep_i32 (local.get $x))))

  (func $part (param $n i32) (result i32)
    (local $c i32) (local $p i64) (local $i i32) (local $bit i32)
    (local.set $bit (i32.and (local.get $n) (i32.const 1)))

    ;; A block with two params: both wait on the stack during the pause inside.
    (local.get $n)
    (i32.const 10)
    (block (param i32 i32) (result i32)
      (call $sleep (i32.const 22))
      (i32.sub))
    (call $log)

    ;; A block with a param consumed half-way: the param is used after one pause and before
    ;; another, and a br carries a value computed across the second pause out of it.
    (i32.const 1000)
    (block $b (param i32) (result i32)
      (i32.add (call $sleep_i32 (i32.const 23)))
      (call $sleep_i32 (i32.const 24))
      (i32.xor)
      (br $b))
    (call $log)

    ;; A loop with two params (counter, product) carried by br_if; the new product is
    ;; computed across a pause while the new counter waits on the stack.
    (i32.const 0)
    (i64.const 1)
    (loop $l (param i32 i64) (result i32 i64)
      (local.set $p)
      (local.set $c)
      (i32.add (local.get $c) (i32.const 1))
      (i64.add (i64.mul (local.get $p) (i64.const 3))
               (call $sleep_i64 (i64.extend_i32_u (local.get $c))))
      (br_if $l (i32.lt_u (local.get $c) (i32.const 4))))
    (call $log64)
    (call $log)

    ;; A loop accumulating on the operand stack only (its param), pausing in a callee.
    (local.set $i (i32.const 0))
    (i32.const 0)
    (loop $acc (param i32) (result i32)
      (i32.add (call $pause_ret (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $acc (i32.lt_u (local.get $i) (i32.const 5))))
    (call $log)

    ;; if with a param: the param waits on the stack during the pause in either arm.
    (local.get $n)
    (if (param i32) (result i32) (local.get $bit)
      (then (i32.add (call $sleep_i32 (i32.const 33))))
      (else (i32.sub (call $pause_ret (i32.const 34)))))
    (call $log)

    ;; br_table out of a block with params, from inside a nested block with params, after a
    ;; pause; the carried value crossed the pause.
    (local.get $n)
    (block $x (param i32) (result i32)
      (block $y (param i32) (result i32)
        (i32.mul (call $sleep_i32 (i32.const 35)))
        (br_table $x $y (local.get $bit)))
      (i32.add (call $sleep_i32 (i32.const 36))))
    )

  (func (export "run") (param $n i32) (result i32)
    (i32.add (call $part (local.get $n))
             (call $part (i32.add (local.get $n) (i32.const 1)))))
)
