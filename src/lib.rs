//! Make WebAssembly modules pausable and resumable, with Binaryen's Asyncify ABI.

pub mod abi;
pub mod emit;
pub mod error;
pub mod options;

pub use error::{Error, ErrorKind, Result};
pub use options::Options;
