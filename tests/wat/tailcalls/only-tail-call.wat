;; A function whose only way to pause is a tail call (`$forward` tail-calls `$leaf`, which
;; calls the import) is instrumented because of it, and the tail call becomes call + return.
;; Its caller `$main` is instrumented too. `--verbose` shows the propagation through the
;; tail call.
;; RUN: % --imports env.sleep --verbose -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $leaf (call $sleep))
  (func $forward (return_call $leaf))
  (func $main (export "main") (call $forward)))
