;; Multi-value around pauses: a function returning two values with a pause between them (the
;; first stays on the operand stack), blocks, ifs and loops with several parameters and
;; results containing pauses, a branch carrying two values out of a block after a pause, an
;; async import returning three values, and an indirect call returning two.
;;
;; Async imports: env.sleep (i32 -> i32), env.sleep3 (i32 i64 -> i32 i64 f64).
;; Logging: env.log_i32, env.log_i64, env.log_f64.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "sleep3" (func $sleep3 (param i32 i64) (result i32 i64 f64)))
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "log_i64" (func $log_i64 (param i64)))
  (import "env" "log_f64" (func $log_f64 (param f64)))
  (type $two_t (func (param i32) (result i32 i64)))
  (table 1 funcref)
  (elem (i32.const 0) $two)
  (memory (export "memory") 1)

  (func $two (type $two_t)
    (call $sleep (local.get 0))
    (i64.extend_i32_u (call $sleep (i32.add (local.get 0) (i32.const 1)))))

  (func $blocky (param $x i32) (result i32)
    local.get $x
    i64.const 5
    block (param i32 i64) (result i32 i64 f64)
      call $sleep3
    end
    call $log_f64
    call $log_i64
    local.get $x
    i32.add)

  (func $branchy (param $x i32) (result i32 i64)
    block $out (result i32 i64)
      local.get $x
      call $sleep
      local.get $x
      i64.extend_i32_u
      local.get $x
      i32.const 1
      i32.and
      br_if $out
      drop
      call $sleep
      i64.const 99
    end)

  (func $loopy (param $n i32) (result i32)
    i32.const 0
    local.get $n
    loop $l (param i32 i32) (result i32)
      local.set $n
      local.get $n
      call $sleep
      i32.add
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      local.get $n
      br_if $l
      drop
    end)

  (func $iffy (param $x i32) (result i64 f64)
    (local $i i64) (local $f f64)
    local.get $x
    i64.const 3
    local.get $x
    i32.const 2
    i32.rem_u
    if (param i32 i64) (result i32 i64 f64)
      call $sleep3
    else
      i64.const 1
      i64.add
      f64.const 0.5
    end
    local.set $f
    local.set $i
    call $log_i32
    local.get $i
    local.get $f)

  (func (export "run") (param $n i32) (result i32)
    (local $a i32) (local $b i64)
    (call $two (local.get $n))
    local.set $b
    local.set $a
    (call $log_i32 (local.get $a))
    (call $log_i64 (local.get $b))
    (call $log_i32 (call $blocky (local.get $n)))
    (call $branchy (local.get $n))
    call $log_i64
    call $log_i32
    (call $log_i32 (call $loopy (i32.add (i32.and (local.get $n) (i32.const 3)) (i32.const 1))))
    (call $iffy (local.get $n))
    call $log_f64
    call $log_i64
    (call_indirect (type $two_t) (local.get $n) (i32.const 0))
    i32.wrap_i64
    i32.add
    local.get $a
    i32.add)
)
