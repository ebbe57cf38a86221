;; The only way to reach the pausing function is through a table that a function which
;; never pauses fills with `table.set` at run time: nothing in the module's sections names
;; `$pausing` for the table. The indirect-call analysis learns where `$run`'s call can go
;; from `$setup`'s body, so that body must be read although `$setup` itself is never
;; instrumented (`analysis::prescan` keeps every body that takes function references).
;;
;; Async imports: env.sleep_i32.
;; Entry point: `run(n: i32) -> i32`: fills the table, then n indirect calls alternating
;; between a pausing and a pure entry.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (memory (export "memory") 1)
  (type $op (func (param i32) (result i32)))
  (table $ops 2 funcref)
  (elem declare func $pausing $pure)

  (func $pausing (type $op) (param $x i32) (result i32)
    (i32.add (local.get $x) (call $sleep_i32 (local.get $x))))

  (func $pure (type $op) (param $x i32) (result i32)
    (i32.mul (local.get $x) (i32.const 3)))

  (func $setup
    (table.set $ops (i32.const 0) (ref.func $pausing))
    (table.set $ops (i32.const 1) (ref.func $pure)))

  (func $run (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (call $setup)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i32.add (i32.mul (local.get $acc) (i32.const 7))
                   (call_indirect $ops (type $op)
                     (local.get $i)
                     (i32.and (local.get $i) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
