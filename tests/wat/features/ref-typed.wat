;; Typed function references: a non-nullable local (declared nullable in the output and read
;; with `ref.as_non_null`, since the guards break the rule that a non-nullable local is set
;; before it is read), restored with `ref.as_non_null`; and a `call_ref` that can pause,
;; whose function reference operand is kept in a temp and saved, so the rewind calls the same
;; function again. One table per reference type.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (type $ft (func (param i32) (result i32)))
  (memory 1)
  (elem declare func $pauses)
  (func $pauses (type $ft) (call $sleep (local.get 0)))
  (func $main (export "main") (param $n i32) (param $f funcref) (result i32)
    (local $g (ref $ft))
    (local.set $g (ref.func $pauses))
    (drop (call $sleep (local.get $n)))
    (drop (table.size 0))
    (call_ref $ft (local.get $n) (local.get $g)))
  (table 1 funcref))
