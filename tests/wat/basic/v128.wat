;; v128 locals live across a pause are saved and restored with 16-byte stores and loads at
;; 4-byte alignment (frame: 4 + 16 + 16 bytes). The v128 value below the call (`local.get $a`)
;; is pushed again from its local right before the call, so it needs no spill of its own.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $f (export "f") (param $a v128) (result v128)
    (local $b v128)
    (local.set $b (i32x4.add (local.get $a) (local.get $a)))
    (local.get $a)
    (call $sleep)
    (local.get $b)
    (i32x4.mul)))
