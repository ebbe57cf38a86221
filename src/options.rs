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

    /// Optimization level for the instrumented code (0-3). `-O` means 2; 3 also splits each
    /// instrumented function into a copy for normal execution and one for rewinding (faster,
    /// larger; see [`crate::passes::split`] and [`Options::split`]). Only the functions
    /// asyncify changes are touched; which functions are instrumented never depends on it.
    #[cfg_attr(feature = "cli", arg(skip))]
    pub optimize: u8,

    /// Which instrumented functions get a copy for rewinding, so that the function itself
    /// runs without state guards. Default: `all` with `-O3`, `none` below. Needs `-O1` or
    /// higher.
    #[cfg_attr(feature = "cli", arg(long, value_enum, value_name = "WHICH"))]
    pub split: Option<Split>,

    /// The memory that holds the asyncify data structure and stack, by export name (Binaryen's
    /// `asyncify-memory`). Needed only when the module has several memories and none is
    /// exported as `memory`; a name-section name also works.
    #[cfg_attr(feature = "cli", arg(long, value_name = "NAME"))]
    pub memory: Option<String>,

    /// Keep the asyncify data structure and stack in a memory of their own, which asyncify
    /// adds (32-bit, `--secondary-memory-size` pages) and exports as `asyncify_memory`, so the
    /// program's memory is never written by unwinding.
    #[cfg_attr(feature = "cli", arg(long))]
    pub in_secondary_memory: bool,

    /// Size in 64 KiB pages of the memory `--in-secondary-memory` adds (initial and maximum;
    /// default 1).
    #[cfg_attr(feature = "cli", arg(long, value_name = "PAGES"))]
    pub secondary_memory_size: Option<u64>,

    /// Import `__asyncify_state` and `__asyncify_data` from `env` instead of defining them, so
    /// dynamically linked modules share one state (Binaryen's `asyncify-relocatable`; also
    /// spelled `--relocatable`).
    #[cfg_attr(feature = "cli", arg(long))]
    pub import_globals: bool,

    /// Export `__asyncify_state` and `__asyncify_data` under their names.
    #[cfg_attr(feature = "cli", arg(long))]
    pub export_globals: bool,

    /// Treat every indirect call as able to pause, as Binaryen does, instead of only those
    /// that can reach a function that can pause (for comparing; the narrowed result is
    /// sound, see the book's analysis chapter).
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_narrow_indirect: bool,

    /// Assume no function from outside the module (a host function, another module's
    /// function) is ever stored in its tables or passed to it as a reference: only its own
    /// functions and imports can be called indirectly. Narrows calls through imported or
    /// exported tables; wrong for dynamic linking and for hosts that add functions to the
    /// table (Emscripten's `addFunction`).
    #[cfg_attr(feature = "cli", arg(long))]
    pub closed_world: bool,

    /// How the unwind code that saves locals, and so the frames, are laid out: `auto` gives
    /// pause points with very different live locals frames of their own size (with `-O`,
    /// prefixes of one order of the locals, and epilogues of their own in functions with
    /// exception handlers, where one shared epilogue costs engines the most); `shared` always
    /// uses one epilogue saving every local live at some pause point (Binaryen's layout);
    /// `exact` gives every distinct set of live locals its own epilogue (the fewest bytes per
    /// pause and the least work for engines; larger code). With `-O`, except `shared`, a
    /// function with one pause point saves only its locals. Frames are private to the
    /// module: a host sees only how many bytes a pause takes.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_enum, value_name = "MODE", default_value_t)
    )]
    pub epilogues: Epilogues,
}

/// Which instrumented functions are split in two; see [`Options::split`] and
/// [`crate::passes::split`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Split {
    /// No function: the smallest code.
    None,
    /// Functions of more than 12,000 instructions once instrumented, which engines may
    /// compile with a slower fallback (V8 does): near `all`'s speed for a fraction of its
    /// bytes.
    Huge,
    /// Every instrumented function: the fastest code, about one more copy of each.
    All,
}

impl Split {
    /// Whether a function is split; `huge` says whether it has more than
    /// [`crate::passes::split::HUGE`] instructions (asked only if needed).
    pub fn splits(self, huge: impl FnOnce() -> bool) -> bool {
        match self {
            Split::None => false,
            Split::Huge => huge(),
            Split::All => true,
        }
    }
}

/// The layout of the unwind epilogues; see [`Options::epilogues`] and
/// [`crate::analysis::save_groups`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Epilogues {
    /// Split functions with exception handlers where the dead locals a shared epilogue would
    /// read outweigh the extra code.
    #[default]
    Auto,
    /// One epilogue per function.
    Shared,
    /// One epilogue per distinct set of live locals.
    Exact,
}

impl std::fmt::Display for Epilogues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Epilogues::Auto => "auto",
            Epilogues::Shared => "shared",
            Epilogues::Exact => "exact",
        })
    }
}

impl Options {
    /// Whether any optimization is requested.
    pub fn optimizing(&self) -> bool {
        self.optimize > 0
    }

    /// Whether functions without exception handlers may get prefix frames (`-O` with
    /// `--epilogues auto`; see [`crate::passes::frame`]), whose words leave the stack only
    /// 2-byte aligned.
    pub fn prefix_frames(&self) -> bool {
        self.optimizing() && self.epilogues == Epilogues::Auto
    }

    /// Which instrumented functions get a separate copy for rewinding: [`Options::split`],
    /// else by the level (`all` with `-O3`). Never any without optimization.
    pub fn split_mode(&self) -> Split {
        match self.split {
            _ if !self.optimizing() => Split::None,
            Some(split) => split,
            None if self.optimize >= 3 => Split::All,
            None => Split::None,
        }
    }
}
