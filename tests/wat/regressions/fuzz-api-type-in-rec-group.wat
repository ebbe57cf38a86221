;; PENDING: bug: an `asyncify.*` import used as a function reference gets a type from a rec group: invalid output
;; Found by the `validates` fuzz target (wasm-smith with GC), shrunk by hand. `$stop` is an
;; import of `asyncify.stop_unwind` with the plain type `$plain`; asyncify replaces it with its
;; generated `asyncify_stop_unwind`. The output fails validation:
;;   error: asyncify produced an invalid module (at offset 0xe3): type mismatch: expected
;;   (ref null $type), found (ref (exact $type)); this is a bug in asyncify, ...
;; because the generated function's type is `$v`, the `(func)` inside the rec group, not
;; `$plain`: `ref.func $stop` now has type `(ref (exact $v))`, which is not a subtype of
;; `(ref null $plain)` (types in different rec groups are distinct). Without the rec group,
;; or with `$plain` declared first, it validates. When the reference goes into a `funcref`
;; table instead, the output validates but a `call_indirect (type $plain)` to it would trap
;; with a signature mismatch.
;; Cause: `passes::runtime_api::add_api_function` builds the function with
;; `walrus::FunctionBuilder::new(&mut module.types, params, results)`, and walrus's
;; `ModuleTypes::add` reuses the first function type with the same params and results,
;; ignoring rec groups. The replacement of an import should keep the import's own type (or
;; the API functions should get a fresh singleton type).
;; RUN: % -o %t
(module
  (rec (type $s (struct)) (type $v (func)))
  (type $plain (func))
  (import "asyncify" "stop_unwind" (func $stop (type $plain)))
  (elem declare func $stop)
  (func (export "f") (result (ref null $plain))
    ref.func $stop))
