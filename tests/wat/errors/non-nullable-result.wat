;; A function that must be instrumented but returns a non-nullable reference has no value to
;; return while unwinding: refused. The same function is fine when it is not instrumented
;; (`--remove-list make`, which would be wrong at run time here, shows that only
;; instrumentation is the problem).
;; RUN: % --imports env.sleep -o %t
;; RUN: % --imports env.sleep --remove-list make,main -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (elem declare func $make)
  (func $make (result (ref func))
    (call $sleep)
    (ref.func $make))
  (func $main (export "main")
    (drop (call $make))))
