//! Make WebAssembly modules pausable and resumable, with Binaryen's Asyncify ABI.

pub mod abi;
pub mod analysis;
pub mod emit;
pub mod error;
pub mod input;
pub mod ir;
pub mod list;
pub mod options;
pub mod passes;
pub mod pipeline;
pub mod report;
mod workers;

pub use error::{Error, ErrorKind, Result};
pub use options::{Epilogues, Options, Split};

/// A message for the person running the tool, produced while transforming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// How important it is.
    pub level: Level,
    /// The text, without a `warning:` prefix.
    pub message: String,
}

/// Importance of a [`Diagnostic`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something is probably wrong (a list entry matched nothing, debug info was dropped).
    Warning,
    /// An instrumentation decision, shown with `--verbose`.
    Info,
}

/// The result of a transform.
#[derive(Clone, Debug)]
pub struct Output {
    /// The transformed module, validated.
    pub wasm: Vec<u8>,
    /// Warnings and (with `verbose`) decisions, in a stable order.
    pub diagnostics: Vec<Diagnostic>,
    /// What was instrumented and why, pause points, frames and asyncify stack bounds
    /// (`--explain`, `--report`).
    pub analysis: report::Analysis,
}

/// Transform a module (binary or WAT text) so it can be paused and resumed.
pub fn transform(input: &[u8], options: &Options) -> Result<Output> {
    pipeline::run(input, options)
}
