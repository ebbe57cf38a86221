;; A function shaped like C++ with cleanup code: many locals live at the pause points of its
;; normal path, few in its landing code, which pauses too. `auto` gives the landing code's
;; pause points an unwind epilogue of their own (only 3 of the 26 saved locals are live there),
;; and each epilogue must save what its pause points need, including an `exnref` kept in the
;; reference side stack across the landing code's pauses.
;;
;; `work(n)`: a chain of 24 values from n, a pause, then inside a `try_table`
;; `$maybe_throw(n)` (pauses, throws when its resumed value is odd) and another pause; the
;; normal result mixes all 24 values. When it throws, the landing code pauses four times with
;; only n, the running result and the exception live, and returns minus that result.
;;
;; Async imports: env.sleep. Logging: env.log.
;; Entry point: `work(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (tag $e (param i32))
  (memory (export "memory") 1)

  (func $maybe_throw (param $x i32)
    (local $v i32)
    (local.set $v (call $sleep (local.get $x)))
    (call $log (local.get $v))
    (if (i32.and (local.get $v) (i32.const 1)) (then (throw $e (local.get $v)))))

  (func (export "work") (param $n i32) (result i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32) (local $a6 i32) (local $a7 i32) (local $a8 i32) (local $a9 i32) (local $a10 i32) (local $a11 i32) (local $a12 i32) (local $a13 i32) (local $a14 i32) (local $a15 i32) (local $a16 i32) (local $a17 i32) (local $a18 i32) (local $a19 i32) (local $a20 i32) (local $a21 i32) (local $a22 i32) (local $a23 i32) (local $s i32) (local $r i32) (local $exn exnref)
    (local.set $a0 (i32.add (local.get $n) (i32.const 1)))
    (local.set $a1 (i32.add (i32.mul (local.get $a0) (i32.const 3)) (i32.const 1)))
    (local.set $a2 (i32.add (i32.mul (local.get $a1) (i32.const 3)) (i32.const 2)))
    (local.set $a3 (i32.add (i32.mul (local.get $a2) (i32.const 3)) (i32.const 3)))
    (local.set $a4 (i32.add (i32.mul (local.get $a3) (i32.const 3)) (i32.const 4)))
    (local.set $a5 (i32.add (i32.mul (local.get $a4) (i32.const 3)) (i32.const 5)))
    (local.set $a6 (i32.add (i32.mul (local.get $a5) (i32.const 3)) (i32.const 6)))
    (local.set $a7 (i32.add (i32.mul (local.get $a6) (i32.const 3)) (i32.const 7)))
    (local.set $a8 (i32.add (i32.mul (local.get $a7) (i32.const 3)) (i32.const 8)))
    (local.set $a9 (i32.add (i32.mul (local.get $a8) (i32.const 3)) (i32.const 9)))
    (local.set $a10 (i32.add (i32.mul (local.get $a9) (i32.const 3)) (i32.const 10)))
    (local.set $a11 (i32.add (i32.mul (local.get $a10) (i32.const 3)) (i32.const 11)))
    (local.set $a12 (i32.add (i32.mul (local.get $a11) (i32.const 3)) (i32.const 12)))
    (local.set $a13 (i32.add (i32.mul (local.get $a12) (i32.const 3)) (i32.const 13)))
    (local.set $a14 (i32.add (i32.mul (local.get $a13) (i32.const 3)) (i32.const 14)))
    (local.set $a15 (i32.add (i32.mul (local.get $a14) (i32.const 3)) (i32.const 15)))
    (local.set $a16 (i32.add (i32.mul (local.get $a15) (i32.const 3)) (i32.const 16)))
    (local.set $a17 (i32.add (i32.mul (local.get $a16) (i32.const 3)) (i32.const 17)))
    (local.set $a18 (i32.add (i32.mul (local.get $a17) (i32.const 3)) (i32.const 18)))
    (local.set $a19 (i32.add (i32.mul (local.get $a18) (i32.const 3)) (i32.const 19)))
    (local.set $a20 (i32.add (i32.mul (local.get $a19) (i32.const 3)) (i32.const 20)))
    (local.set $a21 (i32.add (i32.mul (local.get $a20) (i32.const 3)) (i32.const 21)))
    (local.set $a22 (i32.add (i32.mul (local.get $a21) (i32.const 3)) (i32.const 22)))
    (local.set $a23 (i32.add (i32.mul (local.get $a22) (i32.const 3)) (i32.const 23)))
    (drop (call $sleep (local.get $a7)))
    (block $done (result i32)
      (local.set $exn
        (block $landing (result exnref)
          (try_table (catch_all_ref $landing)
            (call $maybe_throw (local.get $n))
            (drop (call $sleep (local.get $a11)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a0)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a1)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a2)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a3)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a4)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a5)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a6)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a7)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a8)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a9)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a10)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a11)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a12)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a13)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a14)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a15)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a16)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a17)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a18)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a19)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a20)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a21)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a22)))
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 1)) (local.get $a23)))
            (br $done (local.get $s)))
          unreachable))
      ;; landing code: n, r and the exception are live
      (call $log (i32.const -1))
      (local.set $r (call $sleep (local.get $n)))
      (local.set $r (i32.add (local.get $r) (call $sleep (i32.const 7))))
      (local.set $r (i32.xor (local.get $r) (call $sleep (local.get $n))))
      (local.set $r (i32.add (local.get $r) (call $sleep (i32.const 9))))
      (if (ref.is_null (local.get $exn)) (then unreachable))
      (call $log (local.get $r))
      (i32.sub (i32.const 0) (local.get $r)))))
