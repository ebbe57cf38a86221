;; Pauses inside a legacy `try` body, with exceptions thrown and caught before the pause and
;; after the resume (wasmtime does not run legacy exceptions: features.rs runs this one in
;; node).
;;
;; Each round of `$round(i)`:
;;   try
;;     `$maybe_throw(i)` throws `$e` when i is odd (before the pause) -> caught below
;;     v = sleep_i32(i)                                  (the pause)
;;     `$maybe_throw(v >> 5)` throws when bit 5 of v is set (after the resume) -> caught below
;;     result v & 0xff
;;   catch $e (value x): log x, result 1000 + (x & 0xff)
;;   catch_all: result -1 (never happens)
;; `$rethrowing` has a `rethrow` in a handler, caught by an outer `try` whose body pauses.
;; `$caught_from_callee` calls `$throw_after_pause`, which pauses and then throws once
;; resumed: the exception leaves the paused call itself, is caught by the caller's `try`,
;; and the caller's code after the `try` (logs 301, another pause, logs 302) must run.
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32`: n rounds, returns the sum of their results.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (tag $e (param i32))
  (memory (export "memory") 1)

  (func $maybe_throw (param $x i32)
    (if (i32.and (local.get $x) (i32.const 1))
      (then (throw $e (local.get $x)))))

  (func $round (param $i i32) (result i32)
    (local $v i32)
    try (result i32)
      (call $log (i32.const 100))
      (call $maybe_throw (local.get $i))
      (local.set $v (call $sleep_i32 (local.get $i)))
      (call $log (i32.const 101))
      (call $maybe_throw (i32.shr_u (local.get $v) (i32.const 5)))
      (i32.and (local.get $v) (i32.const 0xff))
    catch $e
      (call $log)
      (i32.add (i32.const 1000) (i32.and (local.get $v) (i32.const 0xff)))
    catch_all
      (i32.const -1)
    end)

  ;; A rethrow from a handler, caught by an outer try whose body pauses.
  (func $rethrowing (param $i i32) (result i32)
    (local $r i32)
    try (result i32)
      (local.set $r (call $sleep_i32 (i32.add (local.get $i) (i32.const 50))))
      try
        (call $maybe_throw (local.get $r))
      catch $e
        (drop)
        (call $log (i32.const 200))
        rethrow 0
      end
      (i32.and (local.get $r) (i32.const 0xfff))
    catch $e
      (call $log (i32.const 201))
      (i32.add (i32.const 5000))
    end)

  ;; Pauses, and after the resume throws: the exception leaves the paused call itself.
  (func $throw_after_pause (param $i i32) (result i32)
    (local $v i32)
    (local.set $v (call $sleep_i32 (i32.add (local.get $i) (i32.const 300))))
    (throw $e (i32.and (local.get $v) (i32.const 0xff))))

  ;; The caller's `try` catches what the resumed callee throws; the code after the `try`
  ;; must then run normally (not be skipped as if still rewinding).
  (func $caught_from_callee (param $i i32) (result i32)
    (local $r i32)
    try (result i32)
      (call $throw_after_pause (local.get $i))
    catch $e
      (call $log (i32.const 300))
    end
    (local.set $r)
    (call $log (i32.const 301))
    (local.set $r (i32.add (local.get $r) (call $sleep_i32 (i32.const 400))))
    (call $log (i32.const 302))
    (local.get $r))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $next
      (local.set $sum (i32.add (local.get $sum) (call $round (local.get $i))))
      (local.set $sum (i32.add (local.get $sum) (call $rethrowing (local.get $i))))
      (local.set $sum (i32.add (local.get $sum) (call $caught_from_callee (local.get $i))))
      (call $log (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
)
