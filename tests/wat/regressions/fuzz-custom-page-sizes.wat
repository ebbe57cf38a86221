;; Regression: a valid module with a custom page size was called "not a valid WebAssembly
;; module". Found by the `validates` property (wasm-smith with `custom_page_sizes_enabled`).
;; walrus 0.28 parses a fixed set of features without custom page sizes; a module walrus
;; rejects but that validates with every feature enabled is now refused as using a feature
;; asyncify does not support yet (kind `Unsupported`), with walrus's reason.
;; RUN: % -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1 (pagesize 1))
  (func (export "run") call $sleep))
