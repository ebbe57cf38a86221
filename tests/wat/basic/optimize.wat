;; The same module unoptimized and with `-O`: `-O` only works on instrumented code, and never
;; changes which functions are instrumented; `$helper` is untouched in both. With `-O` the
;; locals of `$f` are coalesced: `$x`, `$y` and the result share local 0, so the frame saves
;; one local (8 bytes) and no spill locals are left.
;; RUN: % --imports env.sleep -t
;; RUN: % --imports env.sleep -O -t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory 1)
  (func $helper (param $x i32) (result i32)
    (i32.add (local.get $x) (i32.const 1)))
  (func $f (export "f") (param $x i32) (result i32)
    (local $y i32)
    (local.set $y (call $helper (local.get $x)))
    (i32.add (call $sleep (local.get $y)) (local.get $y))))
