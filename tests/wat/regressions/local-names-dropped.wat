;; Regression: instrumented functions lost the local names of the input's name section.
;; `$f` is instrumented; its parameter `$x` and local `$y` are named in the input. walrus 0.28
;; reads the name section before the locals exist and drops their names, and the writer
;; re-encodes changed functions' local names from walrus. The writer now maps each local
;; back to its input index (`OriginalIds::locals`) and copies the input's name. Expected:
;; `(param $x i32) (local $y i32) (local $resume i32) ...`; untouched `$g` keeps `$p`, `$l`.
;; RUN: % --imports env.sleep -t
;; RUN: % --imports env.sleep -O -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $g (param $p i32) (local $l i32)
    (local.set $l (local.get $p)))
  (func $f (export "f") (param $x i32) (local $y i32)
    (local.set $y (local.get $x))
    (call $sleep)
    (drop (local.get $y))))
