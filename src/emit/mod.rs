//! Writing the output module.
//!
//! The output is the input module with changes spliced in: untouched function bodies and
//! sections are copied byte for byte (re-encoded only when an index they mention moved), the
//! bodies asyncify changed are encoded from walrus IR, and everything new is appended.

pub mod encode;
pub mod indices;
pub mod writer;
