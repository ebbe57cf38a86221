//! Fuzz properties of the transform, shared by the cargo-fuzz targets in `fuzz/` and the seeded
//! tests in `tests/fuzz.rs`.
//!
//! Each property is a module with `pub fn check(data: &[u8]) -> Result<(), Failure>`: it turns
//! the fuzzer's bytes into a test case (a module, options, a host schedule), runs it, and
//! returns `Err` with a readable report when the property does not hold. Bytes that do not make
//! an interesting case return `Ok`. The fuzz targets panic on `Err`; the seeded tests run a few
//! hundred cases from a fixed seed and list every failure.
//!
//! - [`validates`]: any module × any options → a valid module or a documented refusal.
//! - [`same_result`]: with no pause requested, the output behaves exactly like the input.
//! - [`pause_everywhere`]: pausing at every (or a random subset of) async call, with other code
//!   running during the pause and coroutines interleaved, changes nothing observable.
//! - [`hostile_input`]: broken bytes and options give an error, never a panic or a hang.
//! - [`vs_binaryen`]: our output and `wasm-opt --asyncify`'s behave the same.
//!
//! [`program`] is the generator of structured programs the runtime properties use; [`host`] the
//! wasmtime host that drives the Asyncify protocol.
#![allow(dead_code)]

pub mod host;
pub mod hostile_input;
pub mod limits;
pub mod options;
pub mod pause_everywhere;
pub mod program;
pub mod same_result;
pub mod validates;
pub mod vs_binaryen;

use std::fmt;

/// A property that did not hold, with everything needed to reproduce it.
#[derive(Debug)]
pub struct Failure {
    /// One line: what went wrong.
    pub summary: String,
    /// The input module as text (or a hex dump if it does not print), the options, transcripts.
    pub details: String,
}

impl Failure {
    pub fn new(summary: impl Into<String>, details: impl Into<String>) -> Failure {
        Failure {
            summary: summary.into(),
            details: details.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.summary, self.details)
    }
}

/// A small deterministic generator (splitmix64), for seeds and for choices that should not
/// consume the fuzzer's bytes.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// The splitmix64 finalizer: a good 64-bit hash step.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Run `f`, turning a panic into `Err` with the panic message. The default panic hook still
/// prints; callers that expect panics in bulk can silence it with [`quiet_panics`].
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        if let Some(s) = payload.downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".to_string()
        }
    })
}

/// The module as WAT for a report, or a note and a hex dump if it does not print.
pub fn show_module(wasm: &[u8]) -> String {
    match wasmprinter::print_bytes(wasm) {
        Ok(text) => text,
        Err(e) => format!("(does not print: {e})\n{}", hex(wasm)),
    }
}

/// A compact hex dump (for reports and for pasting into a regression test).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2 + bytes.len() / 32);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 32 == 0 {
            out.push('\n');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// With `ASYNCIFY_FUZZ_DUMP=DIR` set, write `bytes` to `DIR/NAME` (for minimizing a failure
/// with `wasm-tools shrink` or the CLI). Returns the path written, if any.
pub fn dump(name: &str, bytes: &[u8]) -> Option<String> {
    let dir = std::env::var_os("ASYNCIFY_FUZZ_DUMP")?;
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).ok()?;
    Some(path.display().to_string())
}

/// Validate with every feature wasmparser knows.
pub fn validate(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// An error's innermost message with names (anything in backticks) and numbers blanked, to
/// group errors by kind in statistics.
pub fn error_shape(err: &asyncify::Error) -> String {
    let inner = err.causes().last().map_or(err.message(), String::as_str);
    let mut out = String::new();
    let mut in_name = false;
    for c in inner.chars() {
        match c {
            '`' => {
                in_name = !in_name;
                if in_name {
                    out.push_str("`…`");
                }
            }
            _ if in_name => {}
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            _ => out.push(c),
        }
    }
    out.chars().take(90).collect()
}

/// Whether to generate inputs that trigger bugs already reported (and pinned by ignored
/// regression tests): `ASYNCIFY_FUZZ_KNOWN_BUGS=1`. Off by default so the seeded tests and
/// campaigns look for new bugs.
pub fn known_bugs() -> bool {
    std::env::var("ASYNCIFY_FUZZ_KNOWN_BUGS").as_deref() == Ok("1")
}

/// The kind of a failure summary (the text before the first colon), for statistics.
pub fn pause_everywhere_kind(summary: &str) -> String {
    summary
        .split(':')
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect()
}

/// Count an outcome category (printed by [`run_seeded`] and by the fuzz targets with
/// `ASYNCIFY_FUZZ_STATS=1`), to see what the generated cases actually exercise.
pub fn stat(category: impl Into<String>) {
    let mut stats = STATS.lock().unwrap_or_else(|e| e.into_inner());
    *stats.entry(category.into()).or_default() += 1;
}

static STATS: std::sync::Mutex<std::collections::BTreeMap<String, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// The counts recorded with [`stat`] whose category starts with `prefix`, one per line.
pub fn stats_report(prefix: &str) -> String {
    let stats = STATS.lock().unwrap_or_else(|e| e.into_inner());
    stats
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| format!("  {v:>7}  {k}\n"))
        .collect()
}

/// Run a seeded property: `cases` inputs of pseudo-random bytes from `seed`, each of a length
/// in `min_len..max_len`. Panics listing every failure (the first few in full).
///
/// `ASYNCIFY_FUZZ_CASE=N` runs only case `N` (and prints its outcome); `ASYNCIFY_FUZZ_CASES=N`
/// overrides the number of cases.
pub fn run_seeded(
    name: &str,
    seed: u64,
    cases: usize,
    (min_len, max_len): (usize, usize),
    check: impl Fn(&[u8]) -> Result<(), Failure> + Sync,
) {
    let only: Option<usize> = std::env::var("ASYNCIFY_FUZZ_CASE")
        .ok()
        .and_then(|v| v.parse().ok());
    let cases = std::env::var("ASYNCIFY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    let mut rng = Rng::new(seed);
    let mut failures = Vec::new();
    for case in 0..cases {
        let len = min_len + rng.below((max_len - min_len) as u64) as usize;
        let data = rng.bytes(len);
        if only.is_some_and(|o| o != case) {
            continue;
        }
        if only.is_some()
            && let Some(path) = dump(&format!("{name}-case{case}.bin"), &data)
        {
            eprintln!("input written to {path}");
        }
        // An 8 MiB stack, as the command-line tool's main thread and libFuzzer's have (test
        // threads get 2 MiB).
        let outcome = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(8 << 20)
                .spawn_scoped(scope, || catch(|| check(&data)))
                .expect("spawn a test thread")
                .join()
                .expect("the case thread never panics outside `catch`")
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(f)) => failures.push((case, f.summary, f.details, data)),
            Err(panic) => failures.push((case, format!("panicked: {panic}"), String::new(), data)),
        }
    }
    eprintln!("{name}: outcomes\n{}", stats_report(name));
    if failures.is_empty() {
        eprintln!("{name}: {cases} cases passed");
        return;
    }
    let mut report = format!(
        "{name}: {} of {cases} cases failed (seed {seed:#x})\n",
        failures.len()
    );
    for (case, summary, _, _) in &failures {
        report.push_str(&format!("  case {case}: {summary}\n"));
    }
    for (case, summary, details, data) in failures.iter().take(2) {
        report.push_str(&format!(
            "\n==== case {case}: {summary}\n{details}\n-- fuzz input ({} bytes):\n{}\n",
            data.len(),
            hex(data)
        ));
    }
    panic!("{report}");
}
