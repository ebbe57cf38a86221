//! Which asyncify transform a test runs, and how to run it.
//!
//! Every test runs against [`transformers()`]: by default our transform unoptimized, with
//! `-O`, with `-O` and an unwind epilogue per distinct live set, and with `-O3` (split into a
//! normal-mode and a rewind copy). Setting `ASYNCIFY_HARNESS_REF=binaryen` runs the same tests
//! against Binaryen's `wasm-opt --asyncify` instead (to validate the harness and the test
//! programs themselves); `ASYNCIFY_HARNESS_REF=all` runs both.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, anyhow, bail};

/// The asyncify implementation under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transformer {
    /// This crate: `asyncify::transform` with `optimize: 2` when `optimize`, else `0`.
    Ours { optimize: bool },
    /// This crate with `-O` and `--epilogues exact`: every distinct set of live locals gets an
    /// unwind epilogue of its own, so the split-epilogue code runs on every test program.
    OursExactEpilogues,
    /// This crate with `-O3`: each instrumented function split into a copy for normal
    /// execution and one for rewinding.
    OursSplit,
    /// This crate with `-O --split huge`: only functions of more than
    /// `asyncify::passes::split::HUGE` instructions split (not in [`transformers`]: the test
    /// programs are small; tests of huge functions ask for it).
    OursSplitHuge,
    /// Binaryen's `wasm-opt --asyncify` (with `-O` after the pass when `optimize`).
    Binaryen { optimize: bool },
}

impl Transformer {
    /// Whether this is Binaryen (for tests of features Binaryen lacks).
    pub fn is_binaryen(self) -> bool {
        matches!(self, Transformer::Binaryen { .. })
    }
}

impl fmt::Display for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transformer::Ours { optimize: false } => f.write_str("ours"),
            Transformer::Ours { optimize: true } => f.write_str("ours -O"),
            Transformer::OursExactEpilogues => f.write_str("ours -O --epilogues exact"),
            Transformer::OursSplit => f.write_str("ours -O3"),
            Transformer::OursSplitHuge => f.write_str("ours -O --split huge"),
            Transformer::Binaryen { optimize: false } => f.write_str("wasm-opt --asyncify"),
            Transformer::Binaryen { optimize: true } => f.write_str("wasm-opt --asyncify -O"),
        }
    }
}

/// The transform options a test program needs (the subset both implementations share).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AsyncifyArgs {
    /// Imports that can pause (`module.base`). `None`: every import can (both tools' default).
    /// `Some(empty)`: no import can (only the `asyncify.*` runtime imports).
    pub imports: Option<Vec<String>>,
    /// Assume indirect calls never pause.
    pub ignore_indirect: bool,
    /// Functions never to instrument (name-section names). Only for tests that check the
    /// harness notices a wrongly uninstrumented function.
    pub remove_list: Vec<String>,
}

impl AsyncifyArgs {
    /// Exactly these imports can pause.
    pub fn imports(list: &[&str]) -> Self {
        AsyncifyArgs {
            imports: Some(list.iter().map(|s| s.to_string()).collect()),
            ignore_indirect: false,
            remove_list: Vec::new(),
        }
    }

    /// Also assume indirect calls never pause.
    pub fn ignoring_indirect(mut self) -> Self {
        self.ignore_indirect = true;
        self
    }
}

/// The transformers the tests run against: `[ours, ours -O, ours -O --epilogues exact,
/// ours -O3]` by default; Binaryen with `ASYNCIFY_HARNESS_REF=binaryen`; all six with
/// `ASYNCIFY_HARNESS_REF=all`.
pub fn transformers() -> Vec<Transformer> {
    let ours = [
        Transformer::Ours { optimize: false },
        Transformer::Ours { optimize: true },
        Transformer::OursExactEpilogues,
        Transformer::OursSplit,
    ];
    let binaryen = [
        Transformer::Binaryen { optimize: false },
        Transformer::Binaryen { optimize: true },
    ];
    match std::env::var("ASYNCIFY_HARNESS_REF").as_deref() {
        Err(_) | Ok("") | Ok("ours") => ours.to_vec(),
        Ok("binaryen") => {
            require_wasm_opt();
            binaryen.to_vec()
        }
        Ok("all") => {
            require_wasm_opt();
            ours.iter().chain(&binaryen).copied().collect()
        }
        Ok(other) => panic!(
            "ASYNCIFY_HARNESS_REF={other:?} is not understood: use `binaryen` (Binaryen's \
             wasm-opt instead of our transform), `all` (both) or leave it unset (ours)"
        ),
    }
}

/// Whether `ASYNCIFY_HARNESS_REF` selects Binaryen only.
pub fn reference_mode() -> bool {
    transformers().iter().all(|t| t.is_binaryen())
}

fn wasm_opt_path() -> String {
    std::env::var("ASYNCIFY_WASM_OPT").unwrap_or_else(|_| "wasm-opt".to_string())
}

/// Whether Binaryen's `wasm-opt` can be run.
pub fn wasm_opt_available() -> bool {
    Command::new(wasm_opt_path())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn require_wasm_opt() {
    assert!(
        wasm_opt_available(),
        "ASYNCIFY_HARNESS_REF asks for Binaryen, but `{}` cannot be run (install binaryen or \
         point ASYNCIFY_WASM_OPT at wasm-opt)",
        wasm_opt_path()
    );
}

/// Transform `wasm` (binary) with `t`, validate the output, and return it. Panics with the
/// transformer's name and the error on failure.
pub fn transform(t: Transformer, wasm: &[u8], args: &AsyncifyArgs) -> Vec<u8> {
    try_transform(t, wasm, args).unwrap_or_else(|e| panic!("[{t}] {e:#}"))
}

/// [`transform`], returning errors.
pub fn try_transform(t: Transformer, wasm: &[u8], args: &AsyncifyArgs) -> anyhow::Result<Vec<u8>> {
    let out = match t {
        Transformer::Ours { .. }
        | Transformer::OursExactEpilogues
        | Transformer::OursSplit
        | Transformer::OursSplitHuge => {
            let (optimize, epilogues) = match t {
                Transformer::Ours { optimize } => {
                    (if optimize { 2 } else { 0 }, asyncify::Epilogues::Auto)
                }
                Transformer::OursSplit => (3, asyncify::Epilogues::Auto),
                Transformer::OursSplitHuge => (2, asyncify::Epilogues::Auto),
                _ => (2, asyncify::Epilogues::Exact),
            };
            let split = (t == Transformer::OursSplitHuge).then_some(asyncify::Split::Huge);
            let (imports, ignore_imports) = match &args.imports {
                Some(list) if list.is_empty() => (None, true),
                other => (other.clone(), false),
            };
            let options = asyncify::Options {
                imports,
                ignore_imports,
                ignore_indirect: args.ignore_indirect,
                remove_list: args.remove_list.clone(),
                optimize,
                epilogues,
                split,
                ..Default::default()
            };
            asyncify::transform(wasm, &options)
                .map_err(|e| anyhow!("asyncify::transform failed: {e}"))?
                .wasm
        }
        Transformer::Binaryen { optimize } => run_wasm_opt(wasm, args, optimize)?,
    };
    validate(&out).context("the transformed module does not validate")?;
    Ok(out)
}

/// Validate a module with every feature wasmparser knows enabled.
pub fn validate(wasm: &[u8]) -> anyhow::Result<()> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| anyhow!("{e}"))
}

/// A fresh path in the test scratch directory.
pub fn scratch_path(stem: &str, ext: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("asyncify-runtime");
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{stem}-{}-{n}.{ext}", std::process::id()))
}

fn run_wasm_opt(wasm: &[u8], args: &AsyncifyArgs, optimize: bool) -> anyhow::Result<Vec<u8>> {
    let input = scratch_path("in", "wasm");
    let output = scratch_path("out", "wasm");
    std::fs::write(&input, wasm)?;
    let mut cmd = Command::new(wasm_opt_path());
    cmd.arg(&input).arg("--asyncify").arg("-all");
    match &args.imports {
        None => {}
        Some(list) if list.is_empty() => {
            cmd.arg("--pass-arg=asyncify-ignore-imports");
        }
        Some(list) => {
            cmd.arg(format!("--pass-arg=asyncify-imports@{}", list.join(",")));
        }
    }
    if args.ignore_indirect {
        cmd.arg("--pass-arg=asyncify-ignore-indirect");
    }
    if !args.remove_list.is_empty() {
        cmd.arg(format!(
            "--pass-arg=asyncify-removelist@{}",
            args.remove_list.join(",")
        ));
    }
    // -O after --asyncify: optimizing first can inline runtime helpers and change what is
    // instrumented (the blog example breaks with `-O --asyncify`).
    if optimize {
        cmd.arg("-O");
    }
    cmd.arg("-o").arg(&output);
    let result = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let _ = std::fs::remove_file(&input);
    if !result.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{}",
            result.status,
            String::from_utf8_lossy(&result.stderr)
        );
    }
    let bytes = std::fs::read(&output)?;
    let _ = std::fs::remove_file(&output);
    Ok(bytes)
}
