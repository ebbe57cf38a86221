;; PENDING: bug: memory and time are quadratic in the length of a call chain that can pause
;; Found by the limits tests (tests/fuzz.rs `limits_call_chain_memory`; the input is
;; `tests/fuzz_props/limits.rs` `many_functions(10_000)`): function k calls function k+1 and
;; the last one calls `env.sleep_i32`, so all 10,000 are instrumented.
;; Measured (release build): 1,000 functions 14 MB / 0.03 s, 2,000 31 MB, 4,000 90 MB,
;; 8,000 302 MB / 1.1 s; 100,000 was killed at 22 GB after 280 s (debug build). The same
;; number of functions without the chain (each pausing on its own) takes 266 MB and 4.8 s for
;; 100,000.
;; Cause: `analysis::stack_bound::compute` returns, for every function, its whole deepest
;; chain to the pausing import (`Bound::Bytes { chain: Vec<usize> }`, built by walking
;; `best[g]` to the end for each `f`): n functions in a chain hold n²/2 entries. Keeping only
;; the next step per function (and walking it when a chain is printed) makes it linear.
;; RUN: %S/fuzz-call-chain.wasm --imports env.sleep_i32 -o %t
(module)
