;; Pauses inside a `try_table` body, with exceptions thrown and caught before the pause and
;; after the resume. Needs a wasmtime with exceptions (and so a GC collector): see
;; features.rs.
;;
;; Each round of `$round(i)`: the `try_table` catches `$e` into `$caught` (with its value) and
;; anything else into `$other`.
;;   `$maybe_throw(i)` throws when i is odd (before the pause)
;;   v = sleep_i32(i)                                      (the pause)
;;   `$maybe_throw(v >> 5)` throws when bit 5 of v is set (after the resume)
;;   result v & 0xff;    caught: log x, result 1000 + (x & 0xff);    other: -1
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32`: n rounds, returns the sum of their results.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (tag $e (param i32))
  (memory (export "memory") 1)

  (func $maybe_throw (param $x i32)
    (if (i32.and (local.get $x) (i32.const 1))
      (then (throw $e (local.get $x)))))

  (func $round (param $i i32) (result i32)
    (local $v i32)
    (block $other
      (block $caught (result i32)
        (try_table (catch $e $caught) (catch_all $other)
          (call $log (i32.const 100))
          (call $maybe_throw (local.get $i))
          (local.set $v (call $sleep_i32 (local.get $i)))
          (call $log (i32.const 101))
          (call $maybe_throw (i32.shr_u (local.get $v) (i32.const 5))))
        (return (i32.and (local.get $v) (i32.const 0xff))))
      ;; caught: the exception's value is on the stack
      (call $log)
      (return (i32.add (i32.const 1000) (i32.and (local.get $v) (i32.const 0xff)))))
    (i32.const -1))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $next
      (local.set $sum (i32.add (local.get $sum) (call $round (local.get $i))))
      (call $log (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
)
