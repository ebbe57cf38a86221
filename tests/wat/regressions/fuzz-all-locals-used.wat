;; Regression: a function using all 50,000 locals an engine allows got an internal error
;; ("asyncify produced an invalid module ... too many locals; this is a bug in asyncify").
;; Found by the limits tests (tests/fuzz.rs `limits_all_locals_used`; the input is
;; `tests/fuzz_props/limits.rs` `all_locals_used(49_999)`): `run(x)` has one parameter and
;; 49,999 i32 locals, reads each once, then returns `x + sleep_i32(x)`.
;; The passes add a few locals (resume index, unwind index, frame pointer, spills); a function
;; that then exceeds the limit (wasmparser's MAX_WASM_FUNCTION_LOCALS, 50,000, which V8
;; shares) is now refused by name, before anything is written.
;; RUN: %S/fuzz-all-locals-used.wasm --imports env.sleep_i32 -o %t
(module)
