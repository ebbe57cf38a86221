;; A call to a pausing import with a constant argument and with a computed one. The constant
;; (and a `local.get` right before the call) is recomputed inside the call's guard; the
;; computed value goes through a spill local that is set only in normal mode, so it survives
;; the rewind (it is saved in the frame because it is live across the pause).
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (memory 1)
  (func $f (export "f") (param $x i32)
    (call $sleep (i32.const 10))
    (call $sleep (i32.mul (local.get $x) (i32.const 3)))))
