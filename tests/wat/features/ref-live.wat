;; An externref live across a pause is saved in a table slot: the frame keeps the slot index
;; (4 bytes, -1 for null), `asyncify_save_externref` takes the first free slot (growing the
;; table when none is free), `asyncify_load_externref` reads it and frees it. (Binaryen
;; refuses this module.)
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "use" (func $use (param externref)))
  (memory 1)
  (func $main (export "main") (param $r externref)
    (local $copy externref)
    (local.set $copy (local.get $r))
    (call $sleep)
    (call $use (local.get $copy))))
