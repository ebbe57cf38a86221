;; PENDING: bug: a pause inside 10,000 nested blocks overflows the tool's stack (SIGABRT)
;; Found by the limits tests (tests/fuzz.rs `limits_nesting_10k`; the input is
;; `tests/fuzz_props/limits.rs` `deep_nesting(10_000)`): `run(x)` nests 10,000 block/loop/if
;; around `local.set 1 (i32.add (local.get 0) (call $sleep_i32 (i32.const 7)))`.
;; Expected: the module is transformed (or refused with an error); actual: "thread 'main' has
;; overflowed its stack". The release build overflows between 5,000 and 10,000 levels, the
;; debug build already at 1,000 (8 MiB main-thread stack).
;; Cause: `passes::flow::Flow::transform_seq` calls itself once per nested pausing block
;; (flow.rs, the `Block`/`Loop`/`IfElse` arms), and `analysis::liveness::Solver::seq`
;; recurses the same way (liveness.rs, `Instr::Block`/`Loop`/`IfElse`); both need an explicit
;; work stack, as `ir::seqs_pre_order` has. The time is also quadratic in the depth (release:
;; 2,000 levels 0.12 s, 5,000 levels 1.2 s).
;; RUN: %S/fuzz-deep-nesting.wasm --imports env.sleep_i32 -o %t
(module)
