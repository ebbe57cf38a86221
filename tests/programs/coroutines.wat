;; Several coroutines interleaved, each with its own asyncify data buffer.
;;
;; `worker(id, n)` is re-entrant: everything it keeps across pauses is in its locals or in its
;; own memory slot [1024 + id*256, +256); it uses no globals. The host starts several workers
;; and switches between them at every pause (round-robin), so each worker's frames are
;; unwound into its own buffer while the others run, and rewound later. Each worker recurses
;; a little (`$step` -> `$mix`) so that unwinding saves several frames.
;;
;; Async imports: env.sleep_i32, env.sleep_f64.
;; Entry point: `worker(id: i32, n: i32) -> i32` (run as several calls at once).
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_f64" (func $sleep_f64 (param f64) (result f64)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_f64" (func $logf64 (param f64)))
  (memory (export "memory") 1)

  ;; Two levels of frames below the worker; $mix pauses with a value on the stack.
  (func $mix (param $id i32) (param $i i32) (result i32)
    (i32.add (i32.mul (local.get $id) (i32.const 1000))
             (i32.and (call $sleep_i32 (i32.add (i32.mul (local.get $id) (i32.const 100)) (local.get $i)))
                      (i32.const 0x1ff))))

  (func $step (param $id i32) (param $i i32) (param $base i32) (result i32)
    (local $slot i32) (local $v i32)
    (local.set $slot (i32.add (local.get $base) (i32.shl (i32.and (local.get $i) (i32.const 31)) (i32.const 2))))
    (local.set $v (i32.add (call $mix (local.get $id) (local.get $i)) (local.get $i)))
    (i32.store (local.get $slot) (local.get $v))
    (i32.load (local.get $slot)))

  (func (export "worker") (param $id i32) (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $base i32) (local $f f64)
    (local.set $base (i32.add (i32.const 1024) (i32.mul (local.get $id) (i32.const 256))))
    (local.set $f (f64.convert_i32_u (local.get $id)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (call $step (local.get $id) (local.get $i) (local.get $base))))
        (call $log (i32.add (i32.mul (local.get $id) (i32.const 1000)) (local.get $i)))
        ;; every other iteration, an f64 pause updating an f64 local
        (if (i32.and (local.get $i) (i32.const 1))
          (then (local.set $f (f64.add (local.get $f) (call $sleep_f64 (local.get $f))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $logf64 (local.get $f))
    ;; the slot memory must hold only this worker's values
    (local.set $i (i32.const 0))
    (block $chk_done
      (loop $chk
        (br_if $chk_done (i32.ge_u (local.get $i) (i32.const 32)))
        (if (i32.lt_u (local.get $i) (local.get $n))
          (then
            (if (i32.ne (i32.div_u (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                                   (i32.const 1000))
                        (local.get $id))
              (then (call $log (i32.const -1)) (unreachable)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $chk)))
    (local.get $sum))
)
