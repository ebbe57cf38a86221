;; Every numeric type (i32, i64, f32, f64, v128) in params and locals, live across pauses,
;; and on the operand stack across pauses; bit patterns that a sloppy save/restore would
;; change: NaN payloads, -0.0, subnormals, all-ones, high halves of i64 and v128 lanes.
;; Values are logged through i64 reinterpretation so every bit is compared.
;;
;; Async imports: env.sleep, env.sleep_i32, env.sleep_f64, env.sleep_v128 (v128 -> v128).
;; Entry point: `run(a: i32, b: i64, c: f32, d: f64) -> (i32, i64, f32, f64)`: multi-value
;; results; the test also passes a NaN with payload and -0.0 as arguments.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_f64" (func $sleep_f64 (param f64) (result f64)))
  (import "env" "sleep_v128" (func $sleep_v128 (param v128) (result v128)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_i64" (func $log64 (param i64)))
  (memory (export "memory") 1)

  (func $log_v128 (param $v v128)
    (call $log64 (i64x2.extract_lane 0 (local.get $v)))
    (call $log64 (i64x2.extract_lane 1 (local.get $v))))

  (func $log_all (param $a i32) (param $b i64) (param $c f32) (param $d f64) (param $e v128)
    (call $log (local.get $a))
    (call $log64 (local.get $b))
    (call $log (i32.reinterpret_f32 (local.get $c)))
    (call $log64 (i64.reinterpret_f64 (local.get $d)))
    (call $log_v128 (local.get $e)))

  ;; Params of every type live across pauses, locals of every type live across pauses.
  (func $keep (param $a i32) (param $b i64) (param $c f32) (param $d f64) (param $e v128)
              (result i32 i64 f32 f64 v128)
    (local $la i32) (local $lb i64) (local $lc f32) (local $ld f64) (local $le v128)
    (local $nan32 f32) (local $nan64 f64) (local $sub f64) (local $negz f32)
    (local.set $la (i32.xor (local.get $a) (i32.const -1)))
    (local.set $lb (i64.rotl (local.get $b) (i64.const 32)))
    (local.set $lc (f32.neg (local.get $c)))
    (local.set $ld (f64.mul (local.get $d) (f64.const 3)))
    (local.set $le (i32x4.add (local.get $e) (v128.const i32x4 1 2 3 4)))
    (local.set $nan32 (f32.reinterpret_i32 (i32.const 0x7fa1_2345)))   ;; signalling NaN
    (local.set $nan64 (f64.reinterpret_i64 (i64.const 0xfff8_dead_beef_0001)))
    (local.set $sub (f64.reinterpret_i64 (i64.const 1)))                ;; smallest subnormal
    (local.set $negz (f32.const -0))

    (call $sleep (i32.const 1))
    (call $log_all (local.get $a) (local.get $b) (local.get $c) (local.get $d) (local.get $e))
    (call $log_all (local.get $la) (local.get $lb) (local.get $lc) (local.get $ld) (local.get $le))
    (call $log (i32.reinterpret_f32 (local.get $nan32)))
    (call $log64 (i64.reinterpret_f64 (local.get $nan64)))
    (call $log64 (i64.reinterpret_f64 (local.get $sub)))
    (call $log (i32.reinterpret_f32 (local.get $negz)))

    ;; Values of every type on the operand stack across one pause each.
    (local.set $la (i32.add (local.get $la) (call $sleep_i32 (i32.const 2))))
    (local.set $lb (i64.add (local.get $lb) (i64.extend_i32_u (call $sleep_i32 (i32.const 3)))))
    (local.set $lc (f32.add (local.get $lc) (f32.convert_i32_s (i32.and (call $sleep_i32 (i32.const 4)) (i32.const 0xff)))))
    (local.set $ld (f64.sub (local.get $ld) (call $sleep_f64 (local.get $d))))
    (local.set $le (i64x2.add (local.get $le) (call $sleep_v128 (local.get $e))))
    ;; A v128 param on the stack with a v128 pause result on top of it.
    (local.set $le (v128.xor (local.get $le) (call $sleep_v128 (local.get $le))))
    (call $log_all (local.get $la) (local.get $lb) (local.get $lc) (local.get $ld) (local.get $le))

    ;; Five results of all types; the last one from a pause with four values under it.
    (local.get $la)
    (local.get $lb)
    (local.get $lc)
    (local.get $ld)
    (call $sleep_v128 (local.get $le)))

  (func (export "run") (param $a i32) (param $b i64) (param $c f32) (param $d f64)
                       (result i32 i64 f32 f64)
    (local $e v128) (local $r v128)
    (local.set $e (v128.const i64x2 0x0123_4567_89ab_cdef 0xfedc_ba98_7654_3210))
    (call $keep (local.get $a) (local.get $b) (local.get $c) (local.get $d) (local.get $e))
    (local.set $r)
    ;; the four scalar results of $keep are still on the stack: they are run's results
    (call $log_v128 (local.get $r)))
)
