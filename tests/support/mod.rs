//! Runtime test harness: a wasmtime host that pauses and resumes asyncified modules, and an
//! equivalence check against the untransformed module. See `tests/runtime.rs` for examples.
//!
//! Adding a program: write `tests/programs/NAME.wat` (or `.c`, compiled by [`c_program`]) that
//! imports its pausing functions (any numeric signature, e.g. `env.sleep_i32: i32 -> i32`) and
//! logs through result-less imports (any name, e.g. `env.log_i32`); export `memory` (the host
//! puts the asyncify buffers in pages it grows) and an entry function. Then:
//!
//! ```ignore
//! assert_equivalent(&wat_program("NAME.wat"), "run", &[Value::I32(5)],
//!                   &["env.sleep_i32"], &Equiv::default());
//! ```
//!
//! runs it untransformed (reference) and transformed by every selected transformer (pausing at
//! every async call), and compares logs, results, WASI stdout, and that it paused. Options:
//! [`Equiv`] (pause policy, buffer size and placement, ignore-indirect, an export to call while
//! paused, value function, `ours_only()`). For custom checks use [`run_transformed`] /
//! [`run_reference`] or a [`Session`] directly.
//!
//! Environment: `ASYNCIFY_HARNESS_REF=binaryen` (or `all`) runs against `wasm-opt --asyncify`
//! (`ASYNCIFY_WASM_OPT` to pick the binary); `ASYNCIFY_HARNESS_VERBOSE=1` prints transcripts;
//! `ASYNCIFY_SKIP_CLANG=1` skips the C programs; `ASYNCIFY_LLVM_BIN`, `ASYNCIFY_WASI_SYSROOT`
//! locate clang-16 and wasi-libc.
#![allow(dead_code, unused_imports)]

pub mod equiv;
pub mod host;
pub mod programs;
pub mod transform;

pub use equiv::{
    Equiv, Report, assert_equivalent, assert_equivalent_calls, run_reference, run_transformed,
};
pub use host::{
    BufferPlacement, Call, HostConfig, ImportCall, Outcome, PausePolicy, RunError, Session, Value,
    ValueFn, hashed_values,
};
pub use programs::{c_program, wat_program};
pub use transform::{
    AsyncifyArgs, Transformer, reference_mode, transform, transformers, try_transform, validate,
    wasm_opt_available,
};

/// Run `check` for every transformer in [`transformers()`] (or those `keep` accepts) and panic
/// listing every one that failed.
#[track_caller]
pub fn for_each_transformer(
    keep: impl Fn(Transformer) -> bool,
    check: impl Fn(Transformer) -> Result<(), String>,
) {
    let list: Vec<Transformer> = transformers().into_iter().filter(|&t| keep(t)).collect();
    let failures: Vec<String> = list
        .iter()
        .filter_map(|&t| check(t).err().map(|e| format!("[{t}] {e}")))
        .collect();
    if !failures.is_empty() {
        panic!(
            "{} of {} transformers failed:\n\n{}",
            failures.len(),
            list.len(),
            failures.join("\n\n")
        );
    }
}
