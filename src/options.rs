//! Options of the transform. One struct serves the library and the command line: each field's
//! doc comment is both its rustdoc and its `--help` text.
//!
//! List options take entries the way Binaryen does: comma-separated, `@file` to read entries
//! from a file (one per line or comma-separated), `*` as a wildcard anywhere. Entries may be
//! given in several occurrences of the flag. See [`crate::list`].

/// How to transform a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Options {
    /// Imports that can pause, as `module.base` (e.g. `env.sleep`); without this list every
    /// import is assumed to be able to pause. The `asyncify.*` imports always can.
    #[cfg_attr(feature = "cli", arg(long, value_name = "LIST", action = clap::ArgAction::Append))]
    pub imports: Option<Vec<String>>,

    /// Assume no import can pause (except the `asyncify.*` ones).
    #[cfg_attr(feature = "cli", arg(long))]
    pub ignore_imports: bool,

    /// Assume indirect calls (`call_indirect`, `call_ref`) never lead to a pause, except in
    /// functions named in `--add-list` or `--only-list`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub ignore_indirect: bool,

    /// Functions to instrument even if the analysis says they cannot pause (by name-section
    /// name; unnamed functions by index).
    #[cfg_attr(feature = "cli", arg(long, value_name = "LIST", action = clap::ArgAction::Append, visible_alias = "addlist"))]
    pub add_list: Vec<String>,

    /// Functions never to instrument, and to treat as unable to pause.
    #[cfg_attr(feature = "cli", arg(long, value_name = "LIST", action = clap::ArgAction::Append, visible_aliases = ["removelist", "blacklist"]))]
    pub remove_list: Vec<String>,

    /// Instrument exactly these functions and nothing else. Cannot be combined with the add
    /// or remove lists.
    #[cfg_attr(feature = "cli", arg(long, value_name = "LIST", action = clap::ArgAction::Append, visible_aliases = ["onlylist", "whitelist"]))]
    pub only_list: Vec<String>,

    /// Let functions in the add-list make their callers pausable too (propagate as if they
    /// called a pausing import).
    #[cfg_attr(feature = "cli", arg(long, visible_alias = "propagate-addlist"))]
    pub propagate_add_list: bool,

    /// Add runtime checks: trap if a function that was not instrumented sees the state change
    /// across a call (an unwind that could not be resumed).
    #[cfg_attr(feature = "cli", arg(long))]
    pub asserts: bool,

    /// Explain instrumentation decisions (one line per decision, sorted).
    #[cfg_attr(feature = "cli", arg(long))]
    pub verbose: bool,

    /// Optimization level for the instrumented code (0-3). `-O` means 2. Only the functions
    /// asyncify changes are touched; which functions are instrumented never depends on it.
    #[cfg_attr(feature = "cli", arg(skip))]
    pub optimize: u8,
}

impl Options {
    /// Whether any optimization is requested.
    pub fn optimizing(&self) -> bool {
        self.optimize > 0
    }
}
