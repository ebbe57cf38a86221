;; `-` reads the module from standard input, binary or text.
;; RUN: - -t < %
;; RUN: - -t < %S/stdin.wasm
(module
  (import "env" "sleep" (func $sleep))
  (func (export "run") (call $sleep)))
