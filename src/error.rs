//! Errors the library reports.
//!
//! Every error carries a kind (so callers can react to it) and a message written for the
//! person running the tool: lowercase, names in backticks, and where possible what to do
//! next. Context added by outer stages is kept as a chain of causes, outermost first.

use std::fmt;

/// What went wrong, broadly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input could not be read or is not a valid WebAssembly module (or WAT text).
    Parse,
    /// The module uses something asyncify cannot handle (yet); the message says what.
    Unsupported,
    /// A function or import list (`--imports`, `--add-list`, ...) is malformed or contradictory.
    BadList,
    /// Options that do not fit together, or do not fit this module.
    BadOptions,
    /// Reading or writing a file failed.
    Io,
    /// A bug in asyncify: the output failed validation. Never written to disk.
    Internal,
}

/// An error with its kind, message and context chain.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    causes: Vec<String>,
}

impl Error {
    /// Create an error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            causes: Vec::new(),
        }
    }

    /// Shorthand for [`ErrorKind::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, message)
    }

    /// Shorthand for [`ErrorKind::Parse`].
    pub fn parse(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Parse, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// Add an outer layer of context: the new message is shown first, the old one as its cause.
    pub fn context(mut self, outer: impl Into<String>) -> Error {
        let inner = std::mem::replace(&mut self.message, outer.into());
        self.causes.insert(0, inner);
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The outermost message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The chain of causes, outermost first (not including [`Error::message`]).
    pub fn causes(&self) -> &[String] {
        &self.causes
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for cause in &self.causes {
            write!(f, "\n\ncaused by:\n    {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turn walrus's (anyhow) errors into ours, keeping the chain of causes.
pub(crate) fn from_anyhow(kind: ErrorKind, err: &anyhow::Error) -> Error {
    let mut chain = err.chain().map(|c| c.to_string());
    let mut error = Error::new(kind, chain.next().unwrap_or_default());
    error.causes = chain.collect();
    error
}
