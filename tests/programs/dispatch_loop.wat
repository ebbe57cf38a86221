;; A bytecode interpreter's dispatch loop (the shape of SQLite's sqlite3VdbeExec and of
;; bench/kernels/interp.c): each iteration fetches an opcode (a run of code before the
;; dispatch blocks), then a br_table picks a case; some cases pause. The fetch moves into
;; the dispatch blocks and shares their guard, so rewinding must still skip it and
;; resume inside the right case with the registers and the program counter restored.
;;
;; Also: a run consuming the result of a pausing block right before the next pausing block
;; (its operand-stack value moves along), and a case that pauses inside a block with a value
;; below it on the stack (not moved: the block is not entered with an empty stack).
;;
;; Async imports: env.sleep, env.sleep_i32.
;; Entry point: `run(n: i32) -> i32`: runs a 9-instruction program n times, logging every
;; register after each pass; returns a checksum.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)
  ;; The program, one opcode per byte: ADD MUL NAP ADD STACKNAP MUL PAIR LOOP HALT.
  (data (i32.const 16) "\00\01\02\00\03\01\04\05\06")

  (func $interpret (param $n i32) (result i32)
    (local $pc i32) (local $op i32) (local $r0 i32) (local $r1 i32) (local $t i32)
    (local.set $r0 (i32.const 1))
    (local.set $r1 (i32.const 2))
    (loop $next
      ;; fetch: defines $op and advances $pc
      (local.set $op (i32.load8_u offset=16 (local.get $pc)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (block $halt
        (block $loop
          (block $pair
            (block $stacknap
              (block $nap
                (block $mul
                  (block $add
                    (br_table $add $mul $nap $stacknap $pair $loop $halt
                      (local.get $op)))
                  ;; ADD
                  (local.set $r0 (i32.add (local.get $r0) (local.get $r1)))
                  (br $next))
                ;; MUL
                (local.set $r1 (i32.add (i32.mul (local.get $r1) (i32.const 3))
                                        (local.get $pc)))
                (br $next))
              ;; NAP: the register goes through the host and back
              (local.set $r0 (call $sleep_i32 (local.get $r0)))
              (br $next))
            ;; STACKNAP: a value below a pausing block
            (local.set $r1
              (i32.add (local.get $r1)
                       (block (result i32)
                         (call $sleep (local.get $pc))
                         (i32.xor (local.get $r0) (i32.const 5)))))
            (br $next))
          ;; PAIR: a pausing block's result consumed by the run before the next one
          (block (result i32)
            (call $sleep (local.get $r1))
            (i32.add (local.get $r0) (local.get $r1)))
          (local.set $t)
          (block
            (local.set $r0 (i32.sub (local.get $t) (local.get $pc)))
            (local.set $t (call $sleep_i32 (local.get $t)))
            (local.set $r1 (i32.xor (local.get $r1) (local.get $t))))
          (br $next))
        ;; LOOP: log the registers; run the program again until $n passes are done
        (call $log (local.get $r0))
        (call $log (local.get $r1))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (if (i32.gt_s (local.get $n) (i32.const 0))
          (then (local.set $pc (i32.const 0))))
        (br $next)))
    ;; HALT
    (i32.xor (local.get $r0) (i32.mul (local.get $r1) (i32.const 31))))

  (func (export "run") (param $n i32) (result i32)
    (call $interpret (local.get $n))))
