;; A memory64 program: the asyncify data structure has 8-byte fields (`end` at offset 8), the
;; API takes i64 pointers and frames are addressed with i64 arithmetic.
;;
;; `$rec(d, x, y, z)` stores into memory at an i64 address, pauses, logs its locals of every
;; type and recurses (depth d). Addresses depend on the coroutine's argument, so coroutines
;; running interleaved do not share memory.
;;
;; Async imports: env.sleep (i32 -> i32), env.sleep64 (i64 -> i64). Logging: env.log_*.
;; Entry point: `run(n: i32) -> i64`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "sleep64" (func $sleep64 (param i64) (result i64)))
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "log_i64" (func $log_i64 (param i64)))
  (import "env" "log_f32" (func $log_f32 (param f32)))
  (import "env" "log_f64" (func $log_f64 (param f64)))
  (memory (export "memory") i64 1)

  (func $rec (param $n i32) (param $d i32) (param $x i64) (param $y f64) (param $z f32) (result i64)
    (local $addr i64) (local $s i32) (local $v v128)
    (local.set $addr
      (i64.add (i64.const 1024)
        (i64.extend_i32_u (i32.add (i32.mul (local.get $n) (i32.const 256))
                                   (i32.mul (local.get $d) (i32.const 8))))))
    (i64.store (local.get $addr) (i64.mul (local.get $x) (i64.const 3)))
    (local.set $v (i32x4.splat (local.get $d)))
    (local.set $s (call $sleep (i32.add (local.get $n) (local.get $d))))
    (call $log_i32 (local.get $s))
    (call $log_f64 (local.get $y))
    (call $log_f32 (local.get $z))
    (call $log_i32 (i32x4.extract_lane 2 (local.get $v)))
    (if (result i64) (i32.gt_u (local.get $d) (i32.const 0))
      (then
        (i64.add
          (i64.load (local.get $addr))
          (call $rec (local.get $n) (i32.sub (local.get $d) (i32.const 1))
            (i64.add (local.get $x) (i64.extend_i32_u (local.get $s)))
            (f64.mul (local.get $y) (f64.const 1.5))
            (f32.add (local.get $z) (f32.const 0.25)))))
      (else (i64.load (local.get $addr)))))

  (func (export "run") (param $n i32) (result i64)
    (local $r i64)
    (local.set $r (call $rec (local.get $n) (local.get $n) (i64.const 0x100000001)
                    (f64.const 2.5) (f32.const 1)))
    (call $log_i64 (local.get $r))
    (local.set $r (i64.add (local.get $r) (call $sleep64 (local.get $r))))
    (i64.add (local.get $r) (i64.load (i64.add (i64.const 1024)
                                               (i64.extend_i32_u (i32.mul (local.get $n) (i32.const 256)))))))
)
