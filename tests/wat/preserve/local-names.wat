;; The name section survives: function names, the local names of untouched functions
;; (`$helper`'s `$input` and `$scratch`), global and type names, and the module name, all at
;; their original indices; the new functions and globals are named too. (Local names of
;; instrumented functions are a known gap: see `regressions/local-names-dropped.wat`.)
;; RUN: % --imports env.sleep -t
(module $named
  (import "env" "sleep" (func $sleep))
  (type $unary (func (param i32) (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func $helper (type $unary) (param $input i32) (result i32)
    (local $scratch i32)
    (local.set $scratch (i32.add (local.get $input) (global.get $g)))
    (local.get $scratch))
  (func $main (export "main") (param i32) (result i32)
    (call $sleep)
    (call $helper (local.get 0))))
