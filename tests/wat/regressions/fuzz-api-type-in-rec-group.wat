;; Regression: an `asyncify.*` import used as a function reference got a type from a rec
;; group, and the output was invalid. Found by the `validates` fuzz target (wasm-smith with
;; GC), shrunk by hand. `$stop` imports `asyncify.stop_unwind` with the plain type `$plain`;
;; asyncify replaces it with its generated `asyncify_stop_unwind`, whose type walrus took to be
;; `$v` (the identical `(func)` inside the rec group: walrus gives both the same id), so
;; `ref.func $stop` had type `(ref (exact $v))`, not a subtype of `(ref null $plain)`.
;; Functions asyncify adds now always get a plain type (the input's, or an appended one).
;; See also rec-group-type-merged.wat.
;; RUN: % -o %t
(module
  (rec (type $s (struct)) (type $v (func)))
  (type $plain (func))
  (import "asyncify" "stop_unwind" (func $stop (type $plain)))
  (elem declare func $stop)
  (func (export "f") (result (ref null $plain))
    ref.func $stop))
