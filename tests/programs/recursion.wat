;; Deep recursion with pauses at the bottom and on the way back up.
;;
;; `$rec(d)` recurses to depth 0 and pauses there (twice: a result-less sleep and a value);
;; returning, every 50th level pauses again, and every level checks that its locals (of three
;; types) survived the pauses below it. With d = 600 one unwind saves 600 frames, so the
;; asyncify buffer must be big enough (tens of KiB); with a tiny buffer the unwind must trap.
;;
;; Async imports: env.sleep, env.sleep_i32.
;; Entry point: `run(depth: i32) -> i32`. Also `leaf() -> i32`: a single pause with no
;; recursion (one small frame), used by the buffer-overflow tests as a control.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)

  (func $rec (param $d i32) (result i32)
    (local $x i32) (local $y i64) (local $z f64) (local $r i32)
    (if (i32.eqz (local.get $d))
      (then
        (call $sleep (i32.const 0))
        (call $log (i32.const -1))
        (return (i32.and (call $sleep_i32 (i32.const 0)) (i32.const 0xffff)))))
    ;; Locals derived from d, live across the recursive call (and so across every pause
    ;; below this frame).
    (local.set $x (i32.mul (local.get $d) (i32.const 3)))
    (local.set $y (i64.mul (i64.extend_i32_u (local.get $d)) (i64.const 0x1_0000_0001)))
    (local.set $z (f64.div (f64.convert_i32_u (local.get $d)) (f64.const 4)))
    ;; The recursive call has a value (d) on the stack underneath it.
    (local.set $r (i32.add (local.get $d) (call $rec (i32.sub (local.get $d) (i32.const 1)))))
    ;; On the way up: pause every 50 levels.
    (if (i32.eqz (i32.rem_u (local.get $d) (i32.const 50)))
      (then
        (local.set $r (i32.xor (local.get $r)
                               (i32.and (call $sleep_i32 (local.get $d)) (i32.const 0xff))))
        (call $log (local.get $d))))
    ;; Check the locals: a mismatch logs and traps.
    (if (i32.or
          (i32.ne (local.get $x) (i32.mul (local.get $d) (i32.const 3)))
          (i32.or
            (i64.ne (local.get $y) (i64.mul (i64.extend_i32_u (local.get $d)) (i64.const 0x1_0000_0001)))
            (f64.ne (local.get $z) (f64.div (f64.convert_i32_u (local.get $d)) (f64.const 4)))))
      (then (call $log (i32.const -2)) (unreachable)))
    (local.get $r))

  (func (export "run") (param $depth i32) (result i32)
    (call $rec (local.get $depth)))

  (func (export "leaf") (result i32)
    (call $sleep_i32 (i32.const 7)))
)
