;; Exceptions around pauses inside loops, so that rewinds must get past whole `try_table`s
;; (and the landing code after them) to reach later pause points:
;; - `loop_catch`: each iteration pauses, runs a `try_table` whose body pauses (and whose
;;   callee may throw after its own pause), lands in a block inside the loop on a throw, then
;;   pauses again after it; one more pause after the loop;
;; - `retry`: a loop that is itself the catch target (`catch $e $again` re-enters it with the
;;   thrown value), with a pause after the loop.
;;
;; Async imports: env.sleep. Logging: env.log.
;; Entry points: `loop_catch(n: i32) -> i32`, `retry(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (tag $e (param i32))
  (memory (export "memory") 1)

  (func $maybe_throw (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (call $sleep (local.get $x)))
    (call $log (local.get $v))
    (if (i32.and (local.get $v) (i32.const 1)) (then (throw $e (local.get $v))))
    (local.get $v))

  (func (export "loop_catch") (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $t i32)
    (loop $l
      (local.set $t (call $sleep (local.get $i)))
      (local.set $sum (i32.add (local.get $sum)
        (block $caught (result i32)
          (try_table (result i32) (catch $e $caught)
            (i32.add (call $maybe_throw (i32.add (local.get $i) (local.get $t)))
                     (call $sleep (local.get $sum)))))))
      (call $log (local.get $sum))
      (local.set $sum (i32.add (local.get $sum) (call $sleep (i32.const 7))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (call $log (local.get $sum))
    (i32.add (local.get $sum) (call $sleep (local.get $n))))

  (func (export "retry") (param $n i32) (result i32)
    (local $tries i32)
    (i32.const 0)
    (loop $again (param i32) (result i32)
      (call $log)
      (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
      (if (i32.gt_u (local.get $tries) (i32.const 5)) (then (return (i32.const -1))))
      (try_table (result i32) (catch $e $again)
        (call $maybe_throw (i32.add (local.get $n) (local.get $tries)))))
    (i32.add (call $sleep (local.get $tries))))
)
