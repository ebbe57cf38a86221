;; PENDING: bug: instrumented functions lose the local names of the input's name section
;; `$f` is instrumented; its parameter `$x` and local `$y` are named in the input, but the
;; output names only the locals asyncify added (`(param i32) (local i32) (local $rewind_index
;; i32) ...`, `local.get 0`). Untouched functions keep theirs (`$g`: `$p`, `$l`).
;; Cause: walrus 0.28 parses the name section when it meets it, before the function bodies
;; (and so their locals) exist; `indices.get_local` fails and the names are dropped with a
;; `log::warn!`. The writer then regenerates local names of changed functions from walrus
;; (`local_names` in src/emit/writer.rs), which has none for the input's locals.
;; Expected: `(param $x i32) (local $y i32) (local $rewind_index i32) ...`.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $g (param $p i32) (local $l i32)
    (local.set $l (local.get $p)))
  (func $f (export "f") (param $x i32) (local $y i32)
    (local.set $y (local.get $x))
    (call $sleep)
    (drop (local.get $y))))
