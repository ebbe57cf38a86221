;; A module with two memories, neither exported as `memory` (Binaryen's default): which one
;; holds the asyncify data is ambiguous, so it is refused. The message lists the memories (by
;; export name, else by index and name-section name) and says how to choose. A `--memory`
;; that names no memory is refused the same way.
;; RUN: % -o %t
;; RUN: % --memory nope -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory $a 1)
  (memory $b 1)
  (export "heap" (memory $a))
  (func $main (export "main") (call $sleep)))
