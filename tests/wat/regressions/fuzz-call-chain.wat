;; Regression: memory and time were quadratic in the length of a call chain that can pause.
;; Found by the limits tests (tests/fuzz.rs `limits_call_chain_memory`; the input is
;; `tests/fuzz_props/limits.rs` `many_functions(10_000)`): function k calls function k+1 and
;; the last one calls `env.sleep_i32`, so all 10,000 are instrumented.
;; Was (release build): 8,000 functions 302 MB / 1.1 s; 100,000 killed at 22 GB. Cause:
;; `analysis::stack_bound::compute` kept, for every function, its whole deepest chain to the
;; pausing import (n functions in a chain held n²/2 entries). Now each bound keeps only its
;; next step (`stack_bound::chain` walks it when a chain is printed) and recursion cycles are
;; shared: 10,000 functions take 0.77 s and 38 MB.
;; RUN: %S/fuzz-call-chain.wasm --imports env.sleep_i32 -o %t
(module)
