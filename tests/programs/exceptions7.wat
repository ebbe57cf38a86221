;; Exceptions (try_table) around pauses:
;; - `$body_pause`: a pause inside a `try_table` body, an exception thrown before the pause
;;   (odd x) or after the resume (when the paused call's value says so), caught by the same
;;   `try_table` (`catch $e` with its value, or `catch_all`);
;; - `$catch_outside`: an exception thrown after the resume, two calls down, caught by the
;;   caller's `try_table`; the handler code (after the block the catch branches to) pauses;
;; - `$with_cleanup`: a C++-style cleanup: `catch_all_ref` keeps the exception as an exnref,
;;   the cleanup pauses, then `throw_ref` rethrows it to `cleanup`'s `try_table`.
;;
;; Async imports: env.sleep. Logging: env.log.
;; Entry points: `run(n: i32) -> i32`, `cleanup(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (tag $e (param i32))
  (tag $f)
  (memory (export "memory") 1)

  (func $body_pause (param $x i32) (result i32)
    (local $v i32)
    (block $other
      (block $caught (result i32)
        (try_table (catch $e $caught) (catch_all $other)
          (call $log (i32.const 100))
          (if (i32.and (local.get $x) (i32.const 1)) (then (throw $e (i32.const 7))))
          (local.set $v (call $sleep (local.get $x)))
          (call $log (i32.const 101))
          (if (i32.and (local.get $v) (i32.const 2)) (then (throw $f)))
          (if (i32.and (local.get $v) (i32.const 4)) (then (throw $e (local.get $v)))))
        (return (local.get $v)))
      ;; caught $e: its value is on the stack
      (call $log)
      (return (i32.add (i32.const 1000) (local.get $v))))
    (i32.const -1))

  (func $pause_then_maybe_throw (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (call $sleep (local.get $x)))
    (call $log (local.get $v))
    (if (i32.and (local.get $v) (i32.const 1)) (then (throw $e (local.get $v))))
    (local.get $v))

  (func $middle (param $x i32) (result i32)
    (i32.add (call $pause_then_maybe_throw (local.get $x)) (i32.const 1)))

  (func $catch_outside (param $x i32) (result i32)
    (local $thrown i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $middle (local.get $x)))
      (return (i32.add (i32.const 10000))))
    ;; Handler code, after the label: the thrown value is on the stack. It pauses too.
    (local.set $thrown)
    (call $log (i32.sub (i32.const 0) (local.get $thrown)))
    (i32.add (call $sleep (i32.add (local.get $x) (i32.const 500))) (local.get $thrown)))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (i32.add (call $catch_outside (i32.add (i32.mul (local.get $n) (i32.const 3)) (local.get $i)))
                 (call $body_pause (i32.add (local.get $n) (local.get $i))))))
      (call $log (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (local.get $sum))

  (func $may_throw (param $x i32)
    (if (i32.eqz (i32.and (local.get $x) (i32.const 1))) (then (throw $e (local.get $x)))))

  (func $with_cleanup (param $x i32) (result i32)
    (local $exn exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (call $may_throw (local.get $x)))
      (return (call $sleep (local.get $x))))
    (local.set $exn)
    ;; The cleanup pauses while the exception is held.
    (call $log (call $sleep (i32.add (local.get $x) (i32.const 1))))
    (throw_ref (local.get $exn)))

  (func (export "cleanup") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (block $caught (result i32)
          (try_table (result i32) (catch $e $caught)
            (call $with_cleanup (i32.add (local.get $n) (local.get $i)))))))
      (call $log (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))
    (local.get $sum))
)
