;; Prefix frames (`-O`, `--epilogues auto`). Only `$n` is live at the first pause point, `$n`,
;; `$x`, `$y` and `$z` at the second: the frame order puts the local needed most first, and
;; the first pause point pushes a frame holding just it (6 bytes with the 2-byte word on
;; top) while the second pushes all of them (30). The unwind enters one chain of stores at its group's
;; length (`br 2` from the first group's head skips the i64 stores); the rewind pops
;; whatever size the word says and enters the chain of loads by comparing that size.
;; RUN: % --imports env.sleep -O -t
;; RUN: % --imports env.sleep -O --explain f
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory 1)
  (func $f (export "f") (param $n i32) (result i64)
    (local $x i64) (local $y i64) (local $z i64)
    (local.set $n (i32.add (local.get $n) (call $sleep (local.get $n))))
    (local.set $x (i64.extend_i32_u (local.get $n)))
    (local.set $y (i64.mul (local.get $x) (local.get $x)))
    (local.set $z (i64.add (local.get $y) (i64.const 3)))
    (drop (call $sleep (i32.const 1)))
    (i64.add (i64.add (local.get $x) (local.get $y))
      (i64.add (local.get $z) (i64.extend_i32_u (local.get $n))))))
