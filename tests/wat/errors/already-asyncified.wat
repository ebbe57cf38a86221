;; A module that already exports `asyncify_start_unwind` (it went through asyncify or
;; wasm-opt --asyncify before) is refused: running the transform twice would instrument the
;; instrumentation. The same for a module that only has a global named `__asyncify_state`.
;; RUN: % -o %t
;; RUN: %S/already-asyncified-global.txt -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (global $state (mut i32) (i32.const 0))
  (func $main (export "main") (call $sleep))
  (func $start (export "asyncify_start_unwind") (param i32)
    (global.set $state (i32.const 1))))
