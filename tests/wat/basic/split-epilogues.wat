;; Unwind epilogues. `$a` and `$b` are live at the first pause point, only `$b` at the second
;; and third. With `--epilogues shared` (Binaryen's layout) one epilogue saves both at every
;; pause point; with `exact` each distinct live set gets its own epilogue block, which its
;; pause points branch to directly (`br_if` to `$u0` or `$u1`), so the second and third push
;; a frame holding only `$b`, with the call index on top; the rewind pops the index first and
;; branches on it (`br_table`) to the restore of its group's frame. `auto` (the default)
;; groups this way only functions with exception handlers; elsewhere it may give pause points
;; frames holding a prefix of the saved locals (see `prefix-frames.wat`), which does not pay
;; here, so it is `shared`.
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
