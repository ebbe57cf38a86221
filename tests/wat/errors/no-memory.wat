;; A module without a memory is not refused: a memory of one page is appended for the
;; asyncify stack and the data structure (the output's `(memory (;0;) 1)`) and exported as
;; `asyncify_memory`, so the host can place the data structure in it; the module is
;; instrumented as usual. (Run in features.rs, `no_memory_*`.)
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (func $main (export "main") (call $sleep)))
