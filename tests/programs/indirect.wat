;; call_indirect to pausing and non-pausing functions of the same type, through a table.
;;
;; `$apply` calls table[f](x) indirectly; entries 0 and 2 pause (2 through a helper), 1 and 3
;; never do. A transform that instruments indirect calls must resume correctly through
;; `$apply` whichever entry paused, and must not disturb the non-pausing entries. A second
;; table entry type (i64 -> i64) checks indirect calls with another signature.
;;
;; Async imports: env.sleep_i32, env.sleep_i64.
;; Entry points:
;;   `run(n: i32) -> i32`: 4*n indirect calls cycling through the table (needs indirect calls
;;      instrumented: the default).
;;   `direct_only(n: i32) -> i32`: pauses only through direct calls and calls only
;;      non-pausing functions indirectly, so it is also correct with ignore-indirect.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "sleep_i64" (func $sleep_i64 (param i64) (result i64)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "log_i64" (func $log64 (param i64)))
  (memory (export "memory") 1)

  (type $op (func (param i32) (result i32)))
  (type $op64 (func (param i64) (result i64)))

  (table $ops 6 funcref)
  (elem (table $ops) (i32.const 0) func $pausing_double $pure_inc $pausing_via_helper $pure_square
                                        $pausing_64 $pure_64)

  (func $pausing_double (type $op) (param $x i32) (result i32)
    (i32.add (i32.mul (local.get $x) (i32.const 2))
             (i32.and (call $sleep_i32 (local.get $x)) (i32.const 0xff))))

  (func $pure_inc (type $op) (param $x i32) (result i32)
    (i32.add (local.get $x) (i32.const 1)))

  (func $helper (param $x i32) (result i32)
    (call $sleep_i32 (i32.xor (local.get $x) (i32.const 0x55))))

  (func $pausing_via_helper (type $op) (param $x i32) (result i32)
    (local $keep i32)
    (local.set $keep (i32.mul (local.get $x) (i32.const 13)))
    (i32.sub (call $helper (local.get $x)) (local.get $keep)))

  (func $pure_square (type $op) (param $x i32) (result i32)
    (i32.mul (local.get $x) (local.get $x)))

  (func $pausing_64 (type $op64) (param $x i64) (result i64)
    (i64.add (local.get $x) (call $sleep_i64 (local.get $x))))

  (func $pure_64 (type $op64) (param $x i64) (result i64)
    (i64.rotl (local.get $x) (i64.const 17)))

  ;; The indirect call has a value (x * 3) on the stack underneath it.
  (func $apply (param $f i32) (param $x i32) (result i32)
    (i32.add (i32.mul (local.get $x) (i32.const 3))
             (call_indirect $ops (type $op) (local.get $x) (local.get $f))))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $acc64 i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.mul (local.get $n) (i32.const 4))))
        (local.set $acc
          (i32.add (i32.mul (local.get $acc) (i32.const 31))
                   (call $apply (i32.and (local.get $i) (i32.const 3))
                                (i32.add (i32.and (local.get $acc) (i32.const 0xfff)) (local.get $i)))))
        (call $log (local.get $acc))
        ;; Every third iteration, an i64 indirect call picked by the parity of i.
        (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 3)))
          (then
            (local.set $acc64
              (call_indirect $ops (type $op64)
                (i64.add (local.get $acc64) (i64.extend_i32_u (local.get $i)))
                (i32.add (i32.const 4) (i32.and (local.get $i) (i32.const 1)))))
            (call $log64 (local.get $acc64))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.xor (local.get $acc) (i32.wrap_i64 (local.get $acc64))))

  (func (export "direct_only") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; Indirect calls to non-pausing entries only (1 and 3)...
        (local.set $acc
          (call_indirect $ops (type $op)
            (i32.add (local.get $acc) (local.get $i))
            (i32.add (i32.const 1) (i32.shl (i32.and (local.get $i) (i32.const 1)) (i32.const 1)))))
        ;; ...and a direct pause, with the indirect call's result live across it.
        (local.set $acc (i32.add (i32.and (local.get $acc) (i32.const 0xffff))
                                 (call $pausing_double (local.get $i))))
        (call $log (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
)
