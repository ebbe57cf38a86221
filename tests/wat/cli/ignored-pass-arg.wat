;; A pass argument of another wasm-opt pass is ignored with a warning.
;; RUN: % -t --pass-arg=inlining-max-size@20 --imports env.sleep
(module
  (import "env" "sleep" (func $sleep))
  (func (export "run") (call $sleep)))
