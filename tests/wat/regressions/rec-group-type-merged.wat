;; walrus gives a plain `(type (func))` and an identical `(func)` inside an explicit rec group
;; the same id, although they are distinct types: re-encoding `call_indirect (type $plain)`
;; could write `(type $v)` and trap at run time with a signature mismatch. asyncify refuses a
;; function it would re-encode that mentions such a type (untouched functions are copied and
;; unaffected).
;; RUN: % --imports env.sleep -o %t
;; RUN: % --imports env.other -o %t
(module
  (rec (type $s (struct)) (type $v (func)))
  (type $plain (func))
  (import "env" "sleep" (func $sleep))
  (import "env" "other" (func $other))
  (table 1 funcref)
  (elem (i32.const 0) func $target)
  (func $target (type $plain))
  (func $run (export "run")
    call $sleep
    i32.const 0
    call_indirect (type $plain)))
