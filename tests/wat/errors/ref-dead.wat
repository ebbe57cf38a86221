;; Reference-typed locals that are not live across the pause are fine: `$r` is used before
;; the pause only, and `$later` is written after it before being read. Neither is saved;
;; the frame holds only the call index.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "use" (func $use (param externref)))
  (memory 1)
  (func $main (export "main") (param $r externref)
    (local $later externref)
    (call $use (local.get $r))
    (call $sleep)
    (local.set $later (ref.null extern))
    (call $use (local.get $later))))
