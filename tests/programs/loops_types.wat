;; Pauses in innermost loops, and async imports of every result type.
;;
;; A triple loop nest (counters kept only in locals) pauses in its innermost body; which async
;; import is called depends on (i + j + k) mod 5, so every type is returned across a pause:
;; none, i32, i64, f32, f64. Resuming must land in the right iteration: no iteration may be
;; repeated or skipped (each one logs). A non-pausing inner loop (pure computation) sits
;; between pausing calls, to check that it still runs once per iteration after resumes.
;;
;; Async imports: env.sleep, env.sleep_i32, env.sleep_i64, env.sleep_f32, env.sleep_f64.
;; Entry point: `run(n: i32) -> i64`: loops i < n, j < n, k < n+1; logs every iteration and the
;; final accumulators; returns a checksum of them.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_i64" (func $sleep_i64 (param i64) (result i64)))
  (import "env" "sleep_f32" (func $sleep_f32 (param f32) (result f32)))
  (import "env" "sleep_f64" (func $sleep_f64 (param f64) (result f64)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_i64" (func $log64 (param i64)))
  (import "env" "log_f32" (func $logf32 (param f32)))
  (import "env" "log_f64" (func $logf64 (param f64)))
  (memory (export "memory") 1)

  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $k i32) (local $m i32) (local $pure i32)
    (local $acc i32) (local $acc64 i64) (local $accf32 f32) (local $accf64 f64)
    (local $iters i32)
    (local.set $accf64 (f64.const 0.5))
    (local.set $accf32 (f32.const -0.25))
    (block $i_done
      (loop $i_loop
        (br_if $i_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $j_loop
            (br_if $j_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $k_loop
                (br_if $k_done (i32.gt_u (local.get $k) (local.get $n)))
                ;; Innermost body: one pause of a type chosen by (i+j+k) mod 5.
                (block $next
                  (block $f64
                    (block $f32
                      (block $i64
                        (block $i32
                          (block $none
                            (br_table $none $i32 $i64 $f32 $f64
                              (i32.rem_u (i32.add (local.get $i) (i32.add (local.get $j) (local.get $k)))
                                         (i32.const 5))))
                          (call $sleep (local.get $k))
                          (br $next))
                        (local.set $acc (i32.add (local.get $acc)
                                                 (call $sleep_i32 (i32.add (local.get $i) (local.get $k)))))
                        (br $next))
                      (local.set $acc64 (i64.xor (i64.rotl (local.get $acc64) (i64.const 7))
                                                 (call $sleep_i64 (i64.extend_i32_u (local.get $j)))))
                      (br $next))
                    (local.set $accf32 (f32.add (local.get $accf32)
                                                (call $sleep_f32 (f32.convert_i32_u (local.get $k)))))
                    (br $next))
                  (local.set $accf64 (f64.add (f64.mul (local.get $accf64) (f64.const 0.5))
                                              (call $sleep_f64 (f64.convert_i32_u (local.get $i))))))
                ;; A pure inner loop between pauses: sum 0..m-1 with m = i+j+k+1.
                (local.set $m (i32.add (i32.add (local.get $i) (local.get $j)) (i32.add (local.get $k) (i32.const 1))))
                (local.set $pure (i32.const 0))
                (loop $pure_loop
                  (local.set $m (i32.sub (local.get $m) (i32.const 1)))
                  (local.set $pure (i32.add (local.get $pure) (local.get $m)))
                  (br_if $pure_loop (local.get $m)))
                ;; Log this iteration: (i*100 + j*10 + k) and the pure sum.
                (call $log (i32.add (i32.mul (local.get $i) (i32.const 100))
                                    (i32.add (i32.mul (local.get $j) (i32.const 10)) (local.get $k))))
                (call $log (local.get $pure))
                (local.set $iters (i32.add (local.get $iters) (i32.const 1)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $k_loop)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $j_loop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; A pause in the outer loop too, between inner loops.
        (call $sleep (i32.sub (i32.const 0) (local.get $i)))
        (br $i_loop)))
    (call $log (local.get $iters))
    (call $log (local.get $acc))
    (call $log64 (local.get $acc64))
    (call $logf32 (local.get $accf32))
    (call $logf64 (local.get $accf64))
    (i64.add
      (i64.add (local.get $acc64) (i64.extend_i32_u (local.get $acc)))
      (i64.add (i64.reinterpret_f64 (local.get $accf64))
               (i64.extend_i32_u (i32.reinterpret_f32 (local.get $accf32)))))
  )
)
