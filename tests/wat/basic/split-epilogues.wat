;; Unwind epilogues. `$a` and `$b` are live at the first pause point, only `$b` at the second
;; and third. With `--epilogues shared` (Binaryen's layout) one epilogue saves both at every
;; pause point; with `exact` each distinct live set gets its own epilogue block, which its
;; pause points branch to directly (`br_if` to `$u0` or `$u1`), so the second and third save
;; only `$b` (the slot of `$a` is left as it is: the rewind restores it into a dead local).
;; `auto` (the default) splits only functions with exception handlers, so it is `shared` here.
;; RUN: % --imports env.sleep -O --epilogues shared -t
;; RUN: % --imports env.sleep -O --epilogues exact -t
;; RUN: % --imports env.sleep -O --explain f --epilogues exact
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory 1)
  (func $f (export "f") (param $a i32) (param $b i32) (result i32)
    (local.set $a (i32.add (local.get $a) (call $sleep (local.get $b))))
    (local.set $b (i32.mul (local.get $b) (local.get $a)))
    (local.set $b (i32.add (local.get $b) (call $sleep (i32.const 1))))
    (local.set $b (i32.add (local.get $b) (call $sleep (i32.const 2))))
    (local.get $b)))
