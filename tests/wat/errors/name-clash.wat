;; Names the transform wants to add that the module already uses for something else: a
;; global named `__asyncify_data` and an export named `asyncify_get_state` (of a function
;; that has nothing to do with asyncify) are refused. A defined function that is merely
;; named `asyncify_stop_rewind` in the name section (not exported) is accepted: the generated
;; function gets the same name, so two functions share it (wasmprinter shows the second as
;; `$"#funcN asyncify_stop_rewind"`), and the export names the generated one.
;; RUN: %S/name-clash-global.txt -o %t
;; RUN: % -o %t
;; RUN: %S/name-clash-function.txt -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (call $sleep))
  (func $state (export "asyncify_get_state") (result i32) (i32.const 7)))
