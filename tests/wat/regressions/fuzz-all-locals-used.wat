;; PENDING: bug: a function using all 50,000 locals an engine allows gets an internal error
;; Found by the limits tests (tests/fuzz.rs `limits_all_locals_used`; the input is
;; `tests/fuzz_props/limits.rs` `all_locals_used(49_999)`): `run(x)` has one parameter and
;; 49,999 i32 locals, reads each once, then returns `x + sleep_i32(x)`.
;; Actual:
;;   error: asyncify produced an invalid module (in function `#1`): too many locals: locals
;;   exceed maximum; this is a bug in asyncify, please report it with the input module
;; (exit 1, `ErrorKind::Internal`). Expected: a refusal naming the function and the limit
;; ("instrumenting `#1` needs N more locals, but it already has 50,000, the most an engine
;; accepts"), of kind `Unsupported`. With 49,990 locals the output fits and is fine.
;; Cause: the flow and frame passes add locals (`rewind_index`, `unwind_index`, `frame`,
;; spills) without checking the per-function limit (wasmparser's MAX_WASM_FUNCTION_LOCALS,
;; 50,000); only the final validation notices.
;; RUN: %S/fuzz-all-locals-used.wasm --imports env.sleep_i32 -o %t
(module)
