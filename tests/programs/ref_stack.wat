;; References live across pauses (the reference side stack): externref parameters and locals
;; at every level of a recursion, null references, a funcref from a table, typed function
;; references (a non-nullable one too), GC references (struct, array, i31, anyref), an async
;; import that takes and returns an externref, and `call_ref`s whose callee pauses (so the
;; function reference operand must survive the pause: it picks the callee again when
;; rewinding).
;;
;; Async imports: env.sleep (i32 -> i32), env.sleep_ext (externref i32 -> externref).
;; Host: env.make_ext (i32 -> externref), env.ext_tag (externref -> i32).
;; Logging: env.log (i32), env.log_ext (externref).
;; Entry points: `run(n: i32) -> i32`, `hold(e: externref, k: i64) -> i64`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "sleep_ext" (func $sleep_ext (param externref i32) (result externref)))
  (import "env" "make_ext" (func $make_ext (param i32) (result externref)))
  (import "env" "ext_tag" (func $ext_tag (param externref) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "log_ext" (func $log_ext (param externref)))
  (type $ft (func (param i32) (result i32)))
  (type $point (struct (field $x (mut i32)) (field $y i64)))
  (type $arr (array (mut i32)))
  (memory (export "memory") 1)
  (table $fns 3 funcref)
  (elem (table $fns) (i32.const 0) func $double $add_after_pause $square)
  (elem declare func $sub_after_pause $add_after_pause)

  (func $double (type $ft) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (type $ft) (i32.mul (local.get 0) (local.get 0)))
  (func $add_after_pause (type $ft)
    (i32.add (call $sleep (local.get 0)) (i32.const 1)))
  (func $sub_after_pause (type $ft)
    (i32.sub (call $sleep (i32.add (local.get 0) (i32.const 7))) (i32.const 1)))

  ;; Each level keeps its parameter and a new externref of its own across a pause.
  (func $rec (param $d i32) (param $e externref) (result i32)
    (local $mine externref) (local $v i32)
    (local.set $mine (call $make_ext (i32.add (call $ext_tag (local.get $e)) (local.get $d))))
    (local.set $v (call $sleep (local.get $d)))
    (call $log_ext (local.get $e))
    (call $log_ext (local.get $mine))
    (if (result i32) (local.get $d)
      (then (i32.add (local.get $v)
        (call $rec (i32.sub (local.get $d) (i32.const 1)) (local.get $mine))))
      (else (local.get $v))))

  (func (export "run") (param $n i32) (result i32)
    (local $e externref) (local $null externref) (local $x externref)
    (local $f funcref) (local $g (ref $ft)) (local $h (ref null $ft)) (local $nf nullfuncref)
    (local $p (ref null $point)) (local $q (ref $point)) (local $a (ref null $arr))
    (local $i i31ref) (local $any anyref)
    (local $r i32)
    (local.set $e (call $make_ext (i32.mul (local.get $n) (i32.const 100))))
    (local.set $f (table.get $fns (i32.rem_u (local.get $n) (i32.const 3))))
    (local.set $g (ref.func $add_after_pause))
    (local.set $h (select (result (ref null $ft))
      (ref.func $add_after_pause) (ref.func $sub_after_pause)
      (i32.and (local.get $n) (i32.const 1))))
    (local.set $p (struct.new $point (local.get $n) (i64.const 77)))
    (local.set $q (struct.new $point (i32.const 5) (i64.extend_i32_u (local.get $n))))
    (local.set $a (array.new $arr (local.get $n) (i32.const 3)))
    (local.set $i (ref.i31 (i32.add (local.get $n) (i32.const 1000))))
    (local.set $any (local.get $q))

    ;; Pause 1: every reference above is live.
    (local.set $r (call $sleep (local.get $n)))
    (call $log_ext (local.get $e))
    (call $log_ext (local.get $null))
    (call $log (ref.is_null (local.get $nf)))
    (struct.set $point $x (local.get $p)
      (i32.add (struct.get $point $x (local.get $p)) (local.get $r)))

    ;; Pause 2: an async import taking and returning an externref.
    (local.set $x (call $sleep_ext (local.get $e) (local.get $n)))
    (call $log_ext (local.get $x))
    (call $log (struct.get $point $x (local.get $p)))
    (call $log (i32.wrap_i64 (struct.get $point $y (local.get $q))))
    (call $log (array.get $arr (local.get $a) (i32.const 2)))
    (call $log (i31.get_s (local.get $i)))
    (call $log (ref.test (ref $point) (local.get $any)))
    (call $log (call_ref $ft (local.get $n) (ref.cast (ref $ft) (local.get $f))))

    ;; Pauses 3 and 4: `call_ref`s whose callees pause, one through a nullable reference
    ;; picked at run time, one through the non-nullable local.
    (local.set $r (i32.add (local.get $r) (call_ref $ft (local.get $n) (local.get $h))))
    (call $log (local.get $r))
    (local.set $r (i32.add (local.get $r)
      (call_ref $ft (i32.add (local.get $n) (i32.const 1)) (local.get $g))))
    (call $log_ext (local.get $e))

    ;; Pauses 5...: the recursion.
    (local.set $r (i32.add (local.get $r)
      (call $rec (i32.rem_u (local.get $n) (i32.const 5)) (local.get $e))))
    (call $log_ext (local.get $x))
    (local.get $r))

  ;; An externref parameter (maybe null) held across two pauses.
  (func (export "hold") (param $e externref) (param $k i64) (result i64)
    (local $v i32)
    (local.set $v (call $sleep (i32.wrap_i64 (local.get $k))))
    (call $log_ext (local.get $e))
    (local.set $v (i32.add (local.get $v) (call $sleep (call $ext_tag (local.get $e)))))
    (call $log_ext (local.get $e))
    (i64.add (local.get $k) (i64.extend_i32_u (local.get $v))))
)
