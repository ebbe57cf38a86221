;; PENDING: bug: a valid module with a custom page size is called "not a valid WebAssembly module"
;; Found by the `validates` property (wasm-smith with `custom_page_sizes_enabled`; kept out of
;; the campaign since). The module below validates (custom-page-sizes proposal), but the tool
;; says:
;;   error: input is not a valid WebAssembly module
;;     caused by: failed to parse memory section
;;     caused by: the custom page sizes proposal must be enabled to customize a memory's page size
;; Expected: a refusal of kind `Unsupported` naming the feature ("custom page sizes are not
;; supported yet"), or support. Cause: walrus 0.28 parses with a fixed feature set without
;; custom page sizes, and `input::parse` reports every walrus error as `ErrorKind::Parse`
;; with "input is not a valid WebAssembly module"; a module that validates with
;; `WasmFeatures::all()` but fails in walrus is an unsupported feature, not invalid input.
;; RUN: % -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1 (pagesize 1))
  (func (export "run") call $sleep))
