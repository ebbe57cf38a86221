;; Values on the operand stack across a pause.
;;
;; Every pausing call below has other values sitting on the wasm operand stack underneath it
;; (or its own operands, computed before the pause). A transform must spill those values to
;; locals (or recompute them identically) so that after unwinding and rewinding they are
;; still there. Binaryen gets this for free by flattening; a stack-machine transform must do it
;; explicitly.
;;
;; Async imports: env.sleep (no result), env.sleep_i32, env.sleep_i64.
;; Entry point: `run(n: i32) -> i32`. Each part logs what it computed with env.log_*; the
;; result is a checksum of memory written along the way. Behaviour must equal the
;; untransformed module's with every import returning at once.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_i64" (func $sleep_i64 (param i64) (result i64)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_i64" (func $log64 (param i64)))
  (memory (export "memory") 1)

  ;; A pausing function one level down: its result depends on its argument and the pause.
  (func $pause_ret (param $x i32) (result i32)
    (i32.xor (local.get $x) (call $sleep_i32 (local.get $x))))

  ;; A non-pausing function taking three arguments (the order matters).
  (func $combine (param $a i32) (param $b i32) (param $c i32) (result i32)
    (i32.add (i32.mul (local.get $a) (i32.const 1000003))
             (i32.sub (local.get $b) (i32.shl (local.get $c) (i32.const 3)))))

  ;; A pausing function taking three arguments.
  (func $combine_pause (param $a i32) (param $b i32) (param $c i32) (result i32)
    (call $combine (local.get $a) (call $sleep_i32 (local.get $b)) (local.get $c)))

  (func (export "run") (param $n i32) (result i32)
    (local $t i32) (local $addr i32) (local $i i32) (local $sum i32) (local $w i64)

    ;; 1. Arithmetic: `n` (left operand) is on the stack while sleep_i32 pauses.
    (call $log (i32.add (local.get $n) (call $sleep_i32 (i32.const 1))))

    ;; 2. Deeper nesting: three pending operands at different depths, and a pause in a
    ;;    callee ($pause_ret) while 1000+n and the first sleep's result wait.
    (call $log
      (i32.mul
        (i32.add (i32.const 1000) (local.get $n))
        (i32.sub (call $sleep_i32 (i32.const 2))
                 (i32.add (i32.const 7) (call $pause_ret (i32.const 3))))))

    ;; 3. select: both values and the condition come from pauses; the first value waits on the
    ;;    stack during the two later pauses.
    (call $log
      (select
        (call $sleep_i32 (i32.const 4))
        (i32.add (local.get $n) (call $sleep_i32 (i32.const 5)))
        (i32.and (call $sleep_i32 (i32.const 6)) (i32.const 1))))
    ;;    ... and with a constant condition each way (select keeps an unused value too).
    (call $log (select (call $pause_ret (i32.const 40)) (call $pause_ret (i32.const 41)) (i32.const 1)))
    (call $log (select (call $pause_ret (i32.const 42)) (call $pause_ret (i32.const 43)) (i32.const 0)))

    ;; 4. local.tee: the teed value stays on the stack (as the left operand) while the next
    ;;    pause happens, and the local is the next pause's argument.
    (call $log
      (i32.add (local.tee $t (call $sleep_i32 (i32.const 7)))
               (call $sleep_i32 (local.get $t))))
    ;;    tee of a value computed before the pause, inside the pausing call's operand list
    (call $log (call $combine_pause (local.tee $t (i32.mul (local.get $n) (i32.const 3)))
                                    (local.get $t)
                                    (i32.add (local.get $t) (i32.const 1))))

    ;; 5. Stores: the address is computed before the value's pause...
    (i32.store offset=64
      (i32.and (i32.mul (local.get $n) (i32.const 4)) (i32.const 0x3c))
      (call $sleep_i32 (i32.const 8)))
    ;;    ...the address itself comes from a pause, the value from a later one, with a
    ;;    non-paused multiplicand waiting on the stack.
    (i32.store offset=128
      (local.tee $addr (i32.and (call $sleep_i32 (i32.const 9)) (i32.const 0x3c)))
      (i32.mul (local.get $n) (call $sleep_i32 (i32.const 10))))
    (call $log (i32.load offset=128 (local.get $addr)))
    ;;    an i64 store whose value pauses
    (i64.store offset=256 (i32.const 8) (i64.add (i64.extend_i32_s (local.get $n))
                                                 (call $sleep_i64 (i64.const 11))))
    (call $log64 (i64.load offset=256 (i32.const 8)))
    ;;    a load whose address is on the stack as an operand of a pausing call's sibling
    (call $log (i32.add (i32.load offset=128 (local.get $addr)) (call $pause_ret (i32.const 12))))

    ;; 6. Call arguments: the first two arguments of $combine wait on the stack while the
    ;;    third pauses (directly and in a callee).
    (call $log (call $combine (local.get $n) (call $sleep_i32 (i32.const 13))
                              (call $pause_ret (i32.const 14))))
    (call $log (call $combine (call $pause_ret (i32.const 15)) (i32.const 16)
                              (call $sleep_i32 (i32.const 17))))

    ;; 7. Raw stack code: values left on the stack across a result-less pause.
    local.get $n
    i32.const 100
    i32.const 99
    call $sleep          ;; n and 100 are on the stack under the pause
    i32.sub
    i64.const 0x1234_5678_9abc_def0
    (call $sleep_i32 (i32.const 18))   ;; an i32 and an i64 on the stack under the pause
    i64.extend_i32_u
    i64.xor
    call $log64
    call $log

    ;; 8. Drop of a paused value (the result must still be discarded correctly).
    (drop (call $sleep_i32 (i32.const 19)))

    ;; Result: checksum of the memory the stores wrote, plus n.
    (local.set $sum (local.get $n))
    (local.set $i (i32.const 0))
    (loop $c
      (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31))
                               (i32.load offset=64 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $c (i32.lt_u (local.get $i) (i32.const 256))))
    (local.get $sum)
  )
)
