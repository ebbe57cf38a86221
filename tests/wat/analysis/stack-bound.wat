;; The asyncify stack a pause can need, per function: the deepest chain of instrumented
;; frames ending where pauses start, each frame its call index and saved locals. `run` can
;; pause under `deep` (directly, or under `shallow` and `leaf`) or directly under `leaf`: the
;; bound is the deepest of these. `walk` reaches the recursion even -> odd -> even, which can
;; pause at any depth: no bound.
;; `host` pauses only in functions the host stores in the exported table. Run 2 writes the
;; same facts as JSON (`--report -`, the module goes to `-o`).
;; RUN: % --imports env.sleep --explain run --explain walk --explain odd --explain host
;; RUN: % --imports env.sleep -o %t --report -
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (type $v (func))
  (table $shared (export "table") 1 funcref)
  (memory 1)
  (func $leaf (param $x i32) (call $sleep (local.get $x)))
  (func $shallow (param $x i32) (call $leaf (i32.add (local.get $x) (i32.const 1))))
  (func $deep (param $x i32) (local $y i64)
    (local.set $y (i64.extend_i32_u (local.get $x)))
    (call $shallow (local.get $x))
    (call $sleep (i32.wrap_i64 (local.get $y))))
  (func $run (export "run") (param $x i32)
    (call $deep (local.get $x))
    (call $leaf (local.get $x)))
  (func $even (param $n i32)
    (if (local.get $n)
      (then (call $odd (i32.sub (local.get $n) (i32.const 1))))
      (else (call $sleep (i32.const 0)))))
  (func $odd (param $n i32) (call $even (i32.sub (local.get $n) (i32.const 1))))
  (func $walk (export "walk") (param $n i32) (call $even (local.get $n)))
  (func $host (export "host") (param $slot i32)
    (call_indirect $shared (type $v) (local.get $slot))))
