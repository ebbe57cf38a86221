;; Regression: a pause inside 10,000 nested blocks overflowed the tool's stack (SIGABRT).
;; Found by the limits tests (tests/fuzz.rs `limits_nesting_10k`; the input is
;; `tests/fuzz_props/limits.rs` `deep_nesting(10_000)`): `run(x)` nests 10,000 block/loop/if
;; around `local.set 1 (i32.add (local.get 0) (call $sleep_i32 (i32.const 7)))`.
;; The passes recurse once per nesting level, so the pipeline measures the deepest nesting
;; among the functions it instruments and runs them on threads with a stack to match
;; (refusing more than 100,000 levels). Liveness also solved every loop at least twice, which
;; made nesting quadratic (10,000 levels took 4.5 s); a loop no branch targets now takes one
;; pass (0.08 s).
;; RUN: %S/fuzz-deep-nesting.wasm --imports env.sleep_i32 -o %t
;; RUN: %S/fuzz-deep-nesting.wasm --imports env.sleep_i32 -O -o %t
(module)
