//! The `asyncify` command: read a module, call [`asyncify::transform`], write the result.
//!
//! Everything the transform can decide lives in the library; this file only parses flags
//! (including wasm-opt's spellings, see [`compat`]), reads the input, prints diagnostics and
//! errors, and writes the output atomically.

use asyncify::{Error, ErrorKind, Level, Options};
use clap::{CommandFactory, Parser};
use std::borrow::Cow;
use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const LONG_ABOUT: &str = "\
Make a WebAssembly module pausable and resumable, with Binaryen's Asyncify ABI.

asyncify instruments the functions that can reach a pausing import so that they can save their \
state to memory and return (unwind), and later be called again to restore it and continue where \
they left off (rewind). The output works with any runtime written for `wasm-opt --asyncify` \
(Emscripten, asyncify-wasm, hand-written JavaScript).";

const AFTER_LONG_HELP: &str = "\
Lists:
  --imports, --add-list, --remove-list and --only-list take names separated by commas or newlines \
(commas inside (), <>, [] and {} do not separate, so C++ signatures stay whole). `*` matches any \
run of characters, anywhere. An entry `@FILE` reads more entries from FILE. Each flag may be given \
several times.

wasm-opt compatibility:
  A build script can switch from wasm-opt by changing only the program name. `--asyncify` is \
accepted and does nothing. `--pass-arg=asyncify-NAME@VALUE` (also spelled `--pass-arg asyncify-NAME@VALUE` or \
`-pa asyncify-NAME@VALUE`) sets the matching option; `asyncify-imports@@FILE` reads the list from \
FILE. \
`-S` and `--emit-text` mean `-t`. Feature flags (`-all`, `--enable-*`, `--disable-*`, ...) and \
`-g` are accepted and ignored: every feature asyncify handles is on, and names are always kept. \
Other wasm-opt passes are refused: run wasm-opt on the output for them.

Examples:
  asyncify app.wasm --imports env.sleep -O -o app.async.wasm
  asyncify app.wat --imports 'env.*' --ignore-indirect -t
  asyncify app.wasm --asyncify --pass-arg=asyncify-imports@env.sleep -O -o app.async.wasm";

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "asyncify",
    version,
    about = "Make a WebAssembly module pausable and resumable, with Binaryen's Asyncify ABI",
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP,
    max_term_width = 100
)]
struct Cli {
    /// The module to transform: a `.wasm` binary or `.wat` text file, or `-` to read standard
    /// input.
    #[arg(value_name = "INPUT")]
    input: PathBuf,

    /// Write the result to FILE instead of standard output.
    ///
    /// FILE is replaced only when everything succeeded (through a temporary file in the same
    /// directory), so a failed run never leaves a partial or broken file behind.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Write WebAssembly text (WAT) instead of a binary.
    #[arg(short = 't', long = "wat", short_alias = 'S', alias = "emit-text")]
    wat: bool,

    /// Optimize the instrumented code: `-O`, `-O0` ... `-O4`, `-Os`, `-Oz`.
    ///
    /// The level is written attached, as for wasm-opt: `-O0` (do not optimize), `-O1`, `-O2`,
    /// `-O3`; `-O` means `-O2`, `-O4` means `-O3`, `-Os` and `-Oz` mean `-O2`. `-O3` trades
    /// size for speed: each instrumented function also gets a copy (`$f$rewind`) that only
    /// rewinds enter, so the function itself runs without state guards. Only the functions
    /// asyncify changes are touched, and which functions are instrumented never depends on
    /// the level.
    #[arg(short = 'O', value_name = "LEVEL", num_args = 0..=1, default_missing_value = "2",
          value_parser = parse_optimize_level)]
    optimize: Option<u8>,

    /// Print why the function NAME is (or is not) instrumented, its pause points and frame,
    /// and the asyncify stack a pause under it needs, to standard output.
    ///
    /// NAME is a function's name (as the lists take it), an import's `module.base`, or an
    /// export name; the flag may be given several times. With `--explain` the module is
    /// written only if `-o` is given.
    #[arg(long, value_name = "NAME")]
    explain: Vec<String>,

    /// Write a JSON report to FILE: every instrumented function with its reason, pause
    /// points, saved locals and frame bytes, every indirect call and what it can reach, the
    /// asyncify stack bound of each export, and totals.
    ///
    /// FILE is replaced atomically, like `-o`; `-` prints the report to standard output.
    /// The format is documented in the book.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    #[command(flatten, next_help_heading = "Transform options")]
    options: Options,
}

/// The level of `-O<LEVEL>`, capped at 3 (wasm-opt's `-O4` adds nothing here; `-Os`/`-Oz`
/// optimize the instrumented code as `-O2` does).
fn parse_optimize_level(level: &str) -> Result<u8, String> {
    match level {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" | "s" | "z" => Ok(2),
        "3" | "4" => Ok(3),
        _ => Err("use -O, -O0, -O1, -O2, -O3, -O4, -Os or -Oz".to_string()),
    }
}

fn main() -> ExitCode {
    let mut command = Cli::command();
    let rewritten = match compat::rewrite(std::env::args_os(), &command) {
        Ok(rewritten) => rewritten,
        Err(refusal) => command.error(refusal.kind, refusal.message).exit(),
    };
    let cli = match Cli::try_parse_from(rewritten.args) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    for warning in &rewritten.warnings {
        // NB: not `eprintln!`, which panics if stderr is a closed pipe.
        let _ = writeln!(std::io::stderr(), "warning: {warning}");
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), Error> {
    let explaining = !cli.explain.is_empty();
    let report_to_stdout = cli.report.as_deref() == Some(Path::new("-"));
    if explaining && report_to_stdout {
        return Err(Error::new(
            ErrorKind::BadOptions,
            "`--explain` and `--report -` both print to standard output; write the report to a \
             file",
        ));
    }
    let stdout_taken = explaining || report_to_stdout;
    if stdout_taken && cli.output.is_none() && cli.wat {
        let flag = if explaining {
            "--explain"
        } else {
            "--report -"
        };
        return Err(Error::new(
            ErrorKind::BadOptions,
            format!(
                "`{flag}` prints to standard output, so the module cannot go there too; write \
                 it with `-o FILE`"
            ),
        ));
    }
    if !stdout_taken && cli.output.is_none() && !cli.wat && std::io::stdout().is_terminal() {
        return Err(Error::new(
            ErrorKind::BadOptions,
            "refusing to write binary wasm to a terminal; pass `-o FILE` or `-t`",
        ));
    }
    let mut options = cli.options.clone();
    options.optimize = cli.optimize.unwrap_or(0);

    let input = read_input(&cli.input)?;
    // Parse text here, with the file name, so WAT errors point at `file:line:column`.
    let path = if cli.input.as_os_str() == "-" {
        Path::new("<stdin>")
    } else {
        cli.input.as_path()
    };
    let (wasm, text_warning) = asyncify::input::to_binary(&input, Some(path))?;
    let output = asyncify::transform(&wasm, &options)?;
    let explanations = cli
        .explain
        .iter()
        .map(|name| output.analysis.explain(name))
        .collect::<Result<Vec<String>, Error>>()?;

    let mut stderr = std::io::stderr().lock();
    if let Some(warning) = text_warning {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    for diagnostic in &output.diagnostics {
        let prefix = match diagnostic.level {
            Level::Warning => "warning: ",
            Level::Info => "[asyncify] ",
        };
        // Nothing sensible to do if stderr is gone.
        let _ = writeln!(stderr, "{prefix}{}", diagnostic.message);
    }
    drop(stderr);

    let bytes: Cow<[u8]> = if cli.wat {
        let mut text = wasmprinter::print_bytes(&output.wasm).map_err(|e| {
            Error::internal(format!("{e:#}")).context("failed to print the output as WAT")
        })?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Cow::Owned(text.into_bytes())
    } else {
        Cow::Borrowed(&output.wasm)
    };
    // The report file first, so that a run that cannot write it writes no module either.
    match &cli.report {
        Some(path) if !report_to_stdout => {
            write_output_file(path, output.analysis.to_json().as_bytes())?;
        }
        _ => {}
    }
    match &cli.output {
        Some(path) => write_output_file(path, &bytes)?,
        None if stdout_taken => {}
        None => write_stdout(&bytes)?,
    }
    if report_to_stdout {
        write_stdout(output.analysis.to_json().as_bytes())?;
    }
    if explaining {
        write_stdout(explanations.join("\n").as_bytes())?;
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| io_error(e, "failed to write to standard output".into()))
}

/// Print an error and its causes, one per line.
fn report(error: &Error) {
    let mut text = format!("error: {}\n", indent_continuation(error.message()));
    for cause in error.causes() {
        text.push_str(&format!("  caused by: {}\n", indent_continuation(cause)));
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Indent the lines after the first, so a multi-line message stays visibly one message.
fn indent_continuation(message: &str) -> String {
    message.trim_end().replace('\n', "\n    ")
}

fn io_error(error: std::io::Error, what: String) -> Error {
    Error::new(ErrorKind::Io, error.to_string()).context(what)
}

/// Read the input file (or standard input for `-`).
fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(e, "failed to read standard input".into()))?;
        return Ok(bytes);
    }
    let name = path.display().to_string();
    std::fs::read(path).map_err(|e| io_error(e, format!("failed to read `{name}`")))
}

/// Write `bytes` to `target` so that it either gets the whole new contents or stays as it
/// was: write a temporary file next to it, then rename it over the target.
///
/// Only regular files (or paths that do not exist yet) are replaced that way. Anything else
/// that already exists, such as `/dev/null`, `/dev/stdout` or a named pipe, is written to
/// directly: renaming over it would replace the device with a file.
fn write_output_file(target: &Path, bytes: &[u8]) -> Result<(), Error> {
    let shown = target.display().to_string();
    let failed = |e: std::io::Error| io_error(e, format!("failed to write `{shown}`"));
    // `metadata` follows symlinks: this is about what would be written to.
    match std::fs::metadata(target) {
        Ok(meta) if meta.is_dir() => {
            return Err(Error::new(
                ErrorKind::BadOptions,
                format!("`-o {shown}` is a directory; name a file to write"),
            ));
        }
        Ok(meta) if !meta.is_file() => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(target)
                .and_then(|mut file| file.write_all(bytes))
                .map_err(failed);
        }
        _ => {}
    }
    // Write through a symlink rather than replacing it.
    let target = match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(target).map_err(failed)?
        }
        _ => target.to_path_buf(),
    };
    let Some(file_name) = target.file_name() else {
        return Err(Error::new(
            ErrorKind::BadOptions,
            format!("`-o {shown}` does not name a file"),
        ));
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };

    let (temp_path, mut file) = create_temp_file(dir, file_name).map_err(failed)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| match std::fs::metadata(&target) {
            // Keep the permissions of the file we replace.
            Ok(meta) => file.set_permissions(meta.permissions()),
            Err(_) => Ok(()),
        });
    drop(file);
    let result = written.and_then(|()| std::fs::rename(&temp_path, &target));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp_path);
        return Err(failed(e));
    }
    Ok(())
}

/// Create a new, uniquely named hidden file in `dir` for [`write_output_file`].
fn create_temp_file(
    dir: &Path,
    file_name: &std::ffi::OsStr,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut attempt = 0u32;
    loop {
        let mut name = OsString::from(".");
        name.push(file_name);
        name.push(format!(".asyncify-{}-{attempt}.tmp", std::process::id()));
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// wasm-opt compatibility: rewrite wasm-opt's spellings into ours before clap sees them.
///
/// - `--asyncify` is dropped (asyncify is the only pass).
/// - `--pass-arg=asyncify-NAME@VALUE`, `--pass-arg asyncify-NAME@VALUE` and `-pa ...` become
///   our flags (`asyncify-imports@env.sleep` → `--imports=env.sleep`); Binaryen's response
///   file spelling `asyncify-imports@@FILE` becomes `--imports=@FILE`, which the lists read.
///   Pass arguments of other passes are dropped with a warning.
/// - wasm-opt's feature flags and `-g` are dropped: we accept every feature we can handle and
///   always keep names.
/// - A bare `-O` becomes `-O2` (clap would otherwise take the next argument as its level).
/// - `--relocatable` becomes `--import-globals`.
/// - Other wasm-opt passes and optimizer options are refused with an explanation.
///
/// Arguments after `--`, values of our own flags and anything not starting with `-` pass
/// through untouched.
mod compat {
    use clap::error::ErrorKind;
    use std::collections::HashSet;
    use std::ffi::OsString;

    /// The command line for clap, and warnings to print once it parsed.
    #[derive(Debug)]
    pub struct Rewritten {
        pub args: Vec<OsString>,
        pub warnings: Vec<String>,
    }

    /// A usage error: the command line asks for something asyncify does not do.
    #[derive(Debug)]
    pub struct Refusal {
        pub kind: ErrorKind,
        pub message: String,
    }

    impl Refusal {
        fn new(kind: ErrorKind, message: String) -> Refusal {
            Refusal { kind, message }
        }
    }

    /// What an `asyncify-*` pass argument of Binaryen means here.
    enum PassArg {
        /// A list: `--flag=VALUE`.
        List(&'static str),
        /// A switch: `--flag` (a value, if given, is ignored, as Binaryen does).
        Switch(&'static str),
        /// A single value: `--flag=VALUE`; the text says what the value is.
        Value(&'static str, &'static str),
    }

    /// Every asyncify pass argument Binaryen has, by name without `asyncify-`.
    const PASS_ARGS: &[(&str, PassArg)] = &[
        ("imports", PassArg::List("--imports")),
        ("ignore-imports", PassArg::Switch("--ignore-imports")),
        ("ignore-indirect", PassArg::Switch("--ignore-indirect")),
        ("asserts", PassArg::Switch("--asserts")),
        ("verbose", PassArg::Switch("--verbose")),
        ("removelist", PassArg::List("--remove-list")),
        ("blacklist", PassArg::List("--remove-list")),
        ("addlist", PassArg::List("--add-list")),
        ("propagate-addlist", PassArg::Switch("--propagate-add-list")),
        ("onlylist", PassArg::List("--only-list")),
        ("whitelist", PassArg::List("--only-list")),
        (
            "memory",
            PassArg::Value("--memory", "the memory's export name"),
        ),
        ("relocatable", PassArg::Switch("--import-globals")),
        ("export-globals", PassArg::Switch("--export-globals")),
        (
            "in-secondary-memory",
            PassArg::Switch("--in-secondary-memory"),
        ),
        (
            "secondary-memory-size",
            PassArg::Value("--secondary-memory-size", "a number of pages"),
        ),
    ];

    /// wasm-opt flags that select features: accepted and ignored.
    fn is_feature_flag(arg: &str) -> bool {
        matches!(
            arg,
            "-all" | "--all-features" | "-mvp" | "--mvp-features" | "--detect-features"
        ) || arg.starts_with("--enable-")
            || arg.starts_with("--disable-")
    }

    /// wasm-opt passes (wasm-opt 108 to 12x), refused with a pointer to wasm-opt. Names
    /// without `--`.
    #[rustfmt::skip]
    const WASM_OPT_PASSES: &[&str] = &[
        "abstract-type-refining", "alignment-lowering", "avoid-reinterprets", "cfp",
        "coalesce-locals", "coalesce-locals-learning", "code-folding", "code-pushing",
        "const-hoisting", "dae", "dae-optimizing", "dce", "dealign", "denan", "dfo", "directize",
        "discard-global-effects", "duplicate-function-elimination", "duplicate-import-elimination",
        "dwarfdump", "emit-target-features", "extract-function", "extract-function-index",
        "flatten", "fpcast-emu", "func-metrics", "generate-dyncalls", "generate-global-effects",
        "generate-i64-dyncalls", "generate-stack-ir", "global-refining", "gsi", "gto", "gufa",
        "gufa-optimizing", "heap2local", "i64-to-i32-lowering", "inline-main", "inlining",
        "inlining-optimizing", "instrument-locals", "instrument-memory", "intrinsic-lowering",
        "jspi", "legalize-js-interface", "legalize-js-interface-minimally", "licm",
        "limit-segments", "local-cse", "local-subtyping", "log-execution", "memory-packing",
        "memory64-lowering", "merge-blocks", "merge-locals", "merge-similar-functions", "metrics",
        "minify-imports", "minify-imports-and-exports", "minify-imports-and-exports-and-modules",
        "mod-asyncify-always-and-only-unwind", "mod-asyncify-never-unwind", "monomorphize",
        "multi-memory-lowering", "name-types", "nm", "no-inline", "no-full-inline",
        "no-partial-inline", "once-reduction", "optimize-added-constants",
        "optimize-added-constants-propagate", "optimize-casts", "optimize-for-js",
        "optimize-instructions", "optimize-stack-ir", "outlining", "pick-load-signs", "poppify",
        "post-emscripten", "precompute", "precompute-propagate", "print", "print-call-graph",
        "print-features", "print-full", "print-function-map", "print-minified", "print-stack-ir",
        "propagate-globals-globally", "remove-imports", "remove-memory", "remove-non-js-ops",
        "remove-unused-brs", "remove-unused-module-elements", "remove-unused-names",
        "remove-unused-nonfunction-module-elements", "remove-unused-types", "reorder-functions",
        "reorder-globals", "reorder-locals", "rereloop", "roundtrip", "rse", "safe-heap",
        "separate-data-segments", "set-globals", "signature-pruning", "signature-refining",
        "signext-lowering", "simplify-globals", "simplify-globals-optimizing", "simplify-locals",
        "simplify-locals-nonesting", "simplify-locals-nostructure", "simplify-locals-notee",
        "simplify-locals-notee-nostructure", "souperify", "souperify-single-use", "spill-pointers",
        "ssa", "ssa-nomerge", "stack-check", "string-gathering", "string-lowering", "strip",
        "strip-debug", "strip-dwarf", "strip-eh", "strip-producers", "strip-target-features",
        "stub-unsupported-js", "symbolmap", "table64-lowering", "trace-calls", "trap-mode-clamp",
        "trap-mode-js", "tuple-optimization", "type-merging", "type-refining", "type-ssa", "untee",
        "unsubtyping", "vacuum",
    ];

    /// wasm-opt options that tune other passes or the tool itself, refused the same way. Long
    /// names without `--`; single-dash abbreviations with their dash.
    #[rustfmt::skip]
    const WASM_OPT_OPTIONS: &[&str] = &[
        "always-inline-max-function-size", "-aimfs", "converge", "-c",
        "fast-math", "-ffm", "flexible-inline-max-function-size", "-fimfs",
        "ignore-implicit-traps", "-iit", "inline-functions-with-loops", "-ifwl",
        "input-source-map", "-ism", "low-memory-unused", "-lmu",
        "one-caller-inline-max-function-size", "-ocimfs", "optimize-level", "-ol",
        "output-source-map", "-osm", "output-source-map-url", "-osu", "partial-inlining-ifs",
        "-pii", "shrink-level", "traps-never-happen", "-tnh", "zero-filled-memory", "-uim",
        "fuzz-exec", "-fe", "fuzz-exec-before", "-feh", "translate-to-fuzz", "-ttf",
        "emit-js-wrapper", "-ejw", "emit-spec-wrapper", "-esw", "no-validation",
    ];

    /// If `arg` is a wasm-opt pass or option, why asyncify refuses it.
    fn wasm_opt_refusal(arg: &str) -> Option<String> {
        let name = arg.split_once('=').map_or(arg, |(name, _)| name);
        let (is_pass, is_option) = match name.strip_prefix("--") {
            Some(long) => (
                WASM_OPT_PASSES.contains(&long),
                WASM_OPT_OPTIONS.contains(&long),
            ),
            None => (false, name.len() > 2 && WASM_OPT_OPTIONS.contains(&name)),
        };
        if is_pass {
            Some(format!(
                "asyncify only runs the asyncify pass; run `wasm-opt {arg}` separately, on \
                 asyncify's output"
            ))
        } else if is_option {
            Some(format!(
                "asyncify only runs the asyncify pass; `{name}` is a wasm-opt option for other \
                 passes (`-O` optimizes the code asyncify changes; run wasm-opt separately for \
                 anything else)"
            ))
        } else {
            None
        }
    }

    /// Rewrite `args` (program name first) for clap. `command` tells which of our flags take
    /// a value, so that the value is passed through untouched.
    pub fn rewrite(
        args: impl IntoIterator<Item = OsString>,
        command: &clap::Command,
    ) -> Result<Rewritten, Refusal> {
        let takes_value = flags_taking_values(command);
        let mut out = Rewritten {
            args: Vec::new(),
            warnings: Vec::new(),
        };
        let mut args = args.into_iter();
        out.args.extend(args.next());
        while let Some(arg) = args.next() {
            let Some(text) = arg.to_str() else {
                out.args.push(arg);
                continue;
            };
            if text == "--" {
                out.args.push(arg);
                out.args.extend(args.by_ref());
                break;
            }
            if takes_value.contains(text) {
                out.args.push(arg);
                out.args.extend(args.next());
                continue;
            }
            match text {
                "--asyncify" | "-g" | "--debuginfo" => {}
                _ if is_feature_flag(text) => {}
                "-O" => out.args.push("-O2".into()),
                // Binaryen's name for it; not a clap alias, which clap would suggest for
                // every mistyped flag that looks remotely like it.
                "--relocatable" => out.args.push("--import-globals".into()),
                // wasm-opt's abbreviation of `--closed-world`, which means the same here.
                "-cw" => out.args.push("--closed-world".into()),
                "--pass-arg" | "-pa" => {
                    let value = args.next().ok_or_else(|| {
                        Refusal::new(
                            ErrorKind::InvalidValue,
                            format!("`{text}` needs a value such as `asyncify-imports@env.sleep`"),
                        )
                    })?;
                    let value = value.into_string().map_err(|value| {
                        Refusal::new(
                            ErrorKind::InvalidUtf8,
                            format!("`{text} {}` is not valid UTF-8", value.display()),
                        )
                    })?;
                    pass_arg(&value, &mut out)?;
                }
                _ if text.starts_with("--pass-arg=") || text.starts_with("-pa=") => {
                    let (_, value) = text.split_once('=').expect("checked above");
                    pass_arg(value, &mut out)?;
                }
                _ => {
                    if let Some(message) = wasm_opt_refusal(text) {
                        return Err(Refusal::new(ErrorKind::UnknownArgument, message));
                    }
                    out.args.push(arg);
                }
            }
        }
        Ok(out)
    }

    /// Translate one Binaryen pass argument, `KEY` or `KEY@VALUE`.
    fn pass_arg(arg: &str, out: &mut Rewritten) -> Result<(), Refusal> {
        let (key, value) = match arg.split_once('@') {
            Some((key, value)) => (key, Some(value)),
            None => (arg, None),
        };
        let Some(name) = key.strip_prefix("asyncify-") else {
            out.warnings.push(format!(
                "ignoring `--pass-arg={arg}`: asyncify only reads `asyncify-*` pass arguments"
            ));
            return Ok(());
        };
        let Some((_, meaning)) = PASS_ARGS.iter().find(|(known, _)| *known == name) else {
            let known = PASS_ARGS.iter().map(|(known, _)| *known);
            let hint = match asyncify::list::suggest(name, known.clone()) {
                Some(close) => format!("; did you mean `asyncify-{close}`?"),
                None => {
                    let all: Vec<String> = known.map(|k| format!("`asyncify-{k}`")).collect();
                    format!("; the asyncify pass arguments are {}", all.join(", "))
                }
            };
            return Err(Refusal::new(
                ErrorKind::UnknownArgument,
                format!("unknown asyncify pass argument `{key}`{hint}"),
            ));
        };
        match meaning {
            PassArg::List(flag) => match value {
                Some(value) if !value.trim().is_empty() => {
                    out.args.push(format!("{flag}={value}").into());
                }
                _ => {
                    return Err(Refusal::new(
                        ErrorKind::InvalidValue,
                        format!(
                            "`{key}` needs a list: `--pass-arg={key}@NAMES` or \
                             `--pass-arg={key}@@FILE`"
                        ),
                    ));
                }
            },
            PassArg::Switch(flag) => out.args.push(flag.into()),
            PassArg::Value(flag, what) => match value {
                Some(value) if !value.trim().is_empty() => {
                    out.args.push(format!("{flag}={}", value.trim()).into());
                }
                _ => {
                    return Err(Refusal::new(
                        ErrorKind::InvalidValue,
                        format!("`{key}` needs a value ({what}): `--pass-arg={key}@VALUE`"),
                    ));
                }
            },
        }
        Ok(())
    }

    /// Our flags, as they can appear alone before a separate value (`-o`, `--imports`, ...).
    fn flags_taking_values(command: &clap::Command) -> HashSet<String> {
        // Building fills in how many values each argument takes.
        let mut command = command.clone();
        command.build();
        let mut flags = HashSet::new();
        for arg in command.get_arguments() {
            let needs_value = arg.get_num_args().is_some_and(|n| n.min_values() > 0);
            if arg.is_positional() || !needs_value {
                continue;
            }
            flags.extend(arg.get_short().map(|s| format!("-{s}")));
            flags.extend(
                arg.get_all_short_aliases()
                    .into_iter()
                    .flatten()
                    .map(|s| format!("-{s}")),
            );
            flags.extend(arg.get_long().map(|l| format!("--{l}")));
            flags.extend(
                arg.get_all_aliases()
                    .into_iter()
                    .flatten()
                    .map(|l| format!("--{l}")),
            );
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rewrite and parse a command line (without the program name).
    fn parse(args: &[&str]) -> Result<(Cli, Vec<String>), String> {
        let command = Cli::command();
        let args = std::iter::once("asyncify")
            .chain(args.iter().copied())
            .map(OsString::from);
        let rewritten = compat::rewrite(args, &command).map_err(|r| r.message)?;
        let cli = Cli::try_parse_from(rewritten.args).map_err(|e| e.to_string())?;
        Ok((cli, rewritten.warnings))
    }

    fn options(args: &[&str]) -> Options {
        let (cli, warnings) = parse(args).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        cli.options
    }

    fn refusal(args: &[&str]) -> String {
        match parse(args) {
            Ok((cli, _)) => panic!("{args:?} parsed: {cli:?}"),
            Err(message) => message,
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plain_flags() {
        let (cli, _) = parse(&["in.wasm", "-o", "out.wasm", "-t"]).unwrap();
        assert_eq!(cli.input, Path::new("in.wasm"));
        assert_eq!(cli.output.as_deref(), Some(Path::new("out.wasm")));
        assert!(cli.wat);
        assert_eq!(cli.optimize, None);
        assert_eq!(cli.options, Options::default());

        let o = options(&[
            "in.wasm",
            "--imports",
            "env.a,env.b",
            "--imports=env.c",
            "--ignore-indirect",
            "--add-list",
            "f",
            "--addlist=g",
            "--remove-list",
            "h",
            "--removelist=i",
            "--blacklist=j",
            "--propagate-addlist",
            "--asserts",
            "--verbose",
        ]);
        assert_eq!(o.imports, Some(strings(&["env.a,env.b", "env.c"])));
        assert!(o.ignore_indirect && o.propagate_add_list && o.asserts && o.verbose);
        assert!(!o.ignore_imports);
        assert_eq!(o.add_list, strings(&["f", "g"]));
        assert_eq!(o.remove_list, strings(&["h", "i", "j"]));

        let o = options(&[
            "--only-list",
            "a",
            "--onlylist=b",
            "--whitelist=c",
            "-",
            "--ignore-imports",
        ]);
        assert_eq!(o.only_list, strings(&["a", "b", "c"]));
        assert!(o.ignore_imports);

        for spelling in ["-S", "--emit-text", "--wat"] {
            assert!(parse(&["x.wat", spelling]).unwrap().0.wat, "{spelling}");
        }
    }

    #[test]
    fn optimize_levels() {
        let level = |args: &[&str]| parse(args).unwrap().0.optimize;
        assert_eq!(level(&["in.wasm"]), None);
        assert_eq!(level(&["-O", "in.wasm"]), Some(2));
        assert_eq!(level(&["in.wasm", "-O"]), Some(2));
        assert_eq!(level(&["-O0", "in.wasm"]), Some(0));
        assert_eq!(level(&["-O1", "in.wasm"]), Some(1));
        assert_eq!(level(&["-O2", "in.wasm"]), Some(2));
        assert_eq!(level(&["-O3", "in.wasm"]), Some(3));
        assert_eq!(level(&["-O4", "in.wasm"]), Some(3));
        assert_eq!(level(&["-Os", "in.wasm"]), Some(2));
        assert_eq!(level(&["-Oz", "in.wasm"]), Some(2));
        assert!(refusal(&["-O5", "in.wasm"]).contains("-Oz"));
        let (cli, _) = parse(&["-O", "in.wasm"]).unwrap();
        assert_eq!(cli.input, Path::new("in.wasm"));
    }

    #[test]
    fn pass_args_map_to_options() {
        let o = options(&[
            "in.wasm",
            "--asyncify",
            "--pass-arg=asyncify-imports@env.sleep,env.x",
            "--pass-arg",
            "asyncify-imports@@imports.txt",
            "-pa",
            "asyncify-ignore-indirect",
            "--pass-arg=asyncify-asserts",
            "--pass-arg=asyncify-verbose@1",
            "--pass-arg=asyncify-removelist@a,b",
            "--pass-arg=asyncify-blacklist@c",
            "--pass-arg=asyncify-addlist@foo(int, char)",
            "--pass-arg=asyncify-propagate-addlist",
            "--pass-arg=asyncify-ignore-imports",
        ]);
        assert_eq!(
            o.imports,
            Some(strings(&["env.sleep,env.x", "@imports.txt"]))
        );
        assert!(o.ignore_indirect && o.asserts && o.verbose && o.propagate_add_list);
        assert!(o.ignore_imports);
        assert_eq!(o.remove_list, strings(&["a,b", "c"]));
        assert_eq!(o.add_list, strings(&["foo(int, char)"]));

        let o = options(&[
            "--pass-arg=asyncify-onlylist@f",
            "-pa=asyncify-whitelist@g",
            "in.wasm",
        ]);
        assert_eq!(o.only_list, strings(&["f", "g"]));

        let o = options(&[
            "in.wasm",
            "--pass-arg=asyncify-memory@heap",
            "--pass-arg=asyncify-relocatable",
            "--pass-arg=asyncify-export-globals",
            "--pass-arg=asyncify-in-secondary-memory",
            "--pass-arg=asyncify-secondary-memory-size@3",
        ]);
        assert_eq!(o.memory.as_deref(), Some("heap"));
        assert!(o.import_globals && o.export_globals && o.in_secondary_memory);
        assert_eq!(o.secondary_memory_size, Some(3));
    }

    #[test]
    fn memory_and_globals_flags() {
        let o = options(&[
            "in.wasm",
            "--memory",
            "heap",
            "--relocatable",
            "--export-globals",
            "--in-secondary-memory",
            "--secondary-memory-size=2",
        ]);
        assert_eq!(o.memory.as_deref(), Some("heap"));
        assert!(o.import_globals && o.export_globals && o.in_secondary_memory);
        assert_eq!(o.secondary_memory_size, Some(2));
        assert!(options(&["in.wasm", "--import-globals"]).import_globals);
        assert!(refusal(&["in.wasm", "--secondary-memory-size=x"]).contains("invalid value"));
    }

    #[test]
    fn other_pass_args_warn() {
        let (cli, warnings) = parse(&["in.wasm", "--pass-arg=inline-max-size@9"]).unwrap();
        assert_eq!(cli.options, Options::default());
        assert_eq!(
            warnings,
            [
                "ignoring `--pass-arg=inline-max-size@9`: asyncify only reads `asyncify-*` pass arguments"
            ]
        );
    }

    #[test]
    fn bad_pass_args_are_refused() {
        assert!(
            refusal(&["in.wasm", "--pass-arg=asyncify-foo@x"]).starts_with(
                "unknown asyncify pass argument `asyncify-foo`; the asyncify pass arguments are \
                 `asyncify-imports`, `asyncify-ignore-imports`,"
            )
        );
        assert_eq!(
            refusal(&["in.wasm", "--pass-arg=asyncify-import@env.x"]),
            "unknown asyncify pass argument `asyncify-import`; did you mean `asyncify-imports`?"
        );
        assert!(refusal(&["in.wasm", "--pass-arg=asyncify-imports"]).contains("needs a list"));
        assert!(refusal(&["in.wasm", "--pass-arg=asyncify-addlist@ "]).contains("needs a list"));
        assert!(refusal(&["in.wasm", "--pass-arg"]).contains("needs a value"));
        for name in ["memory", "secondary-memory-size@"] {
            let message = refusal(&["in.wasm", &format!("--pass-arg=asyncify-{name}")]);
            assert!(message.contains("needs a value"), "{message}");
        }
    }

    #[test]
    fn wasm_opt_flags_are_ignored_or_refused() {
        let o = options(&[
            "-all",
            "--all-features",
            "--enable-simd",
            "--disable-gc",
            "--detect-features",
            "-mvp",
            "--mvp-features",
            "-g",
            "--debuginfo",
            "in.wasm",
        ]);
        assert_eq!(o, Options::default());
        for flag in [
            "--strip-debug",
            "--inlining",
            "--converge",
            "-tnh",
            "--optimize-level=3",
        ] {
            let message = refusal(&["in.wasm", flag]);
            assert!(
                message.starts_with("asyncify only runs the asyncify pass;"),
                "{message}"
            );
            let name = flag.split('=').next().unwrap();
            assert!(message.contains(name), "{message}");
        }
        // Unknown flags are clap's business (with its suggestions).
        assert!(refusal(&["in.wasm", "--ignore-indirects"]).contains("--ignore-indirect"));
    }

    #[test]
    fn values_and_positionals_pass_through() {
        // A value of ours that looks like a wasm-opt flag is left alone.
        let rewrite = |args: &[&str]| -> Vec<String> {
            let args = args.iter().map(OsString::from);
            let rewritten = compat::rewrite(args, &Cli::command()).ok().unwrap();
            rewritten
                .args
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            rewrite(&["asyncify", "-o", "-O", "--imports", "-all", "-O", "-g"]),
            ["asyncify", "-o", "-O", "--imports", "-all", "-O2"]
        );
        // So is everything after `--`.
        let (cli, _) = parse(&["--", "-all"]).unwrap();
        assert_eq!(cli.input, Path::new("-all"));
    }

    #[test]
    fn help_documents_every_flag() {
        let help = Cli::command().render_long_help().to_string();
        for arg in Cli::command().get_arguments() {
            if arg.is_hide_set() {
                continue;
            }
            assert!(
                arg.get_long_help().or(arg.get_help()).is_some(),
                "`{}` has no help text",
                arg.get_id()
            );
            if let Some(long) = arg.get_long() {
                assert!(
                    help.contains(&format!("--{long}")),
                    "--{long} missing from --help"
                );
            }
        }
    }

    #[test]
    fn errors_print_their_causes() {
        let error = Error::parse("inner\nsecond line").context("outer");
        assert_eq!(
            indent_continuation(error.causes()[0].as_str()),
            "inner\n    second line"
        );
    }
}
