//! Encoding one walrus function into a wasm code-section body.
//!
//! (Being written; see the interface below.)

use crate::emit::indices::Indices;
use walrus::{LocalFunction, LocalId, Module};

/// A function body in binary form, ready for the code section.
pub struct EncodedFunction {
    /// The body (locals and instructions).
    pub function: wasm_encoder::Function,
    /// The walrus local given each local index: `locals[i]` is local `i` (parameters first).
    pub locals: Vec<LocalId>,
}

/// Encode `func` with the output indices in `indices`.
pub fn encode_function(
    _module: &Module,
    _func: &LocalFunction,
    _indices: &mut Indices,
) -> EncodedFunction {
    unimplemented!("encoder is being written")
}
