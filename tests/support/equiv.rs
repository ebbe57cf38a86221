//! The equivalence harness: a transformed module, paused and resumed by the host, must behave
//! exactly like the original module run synchronously.

use super::host::{
    BufferPlacement, Call, HostConfig, Outcome, PausePolicy, RunError, Session, Value, ValueFn,
    hashed_values,
};
use super::transform::{AsyncifyArgs, Transformer, transformers, try_transform};

/// Options of [`assert_equivalent`] (builder style: `Equiv::default().policy(..)`).
#[derive(Clone)]
pub struct Equiv {
    pub policy: PausePolicy,
    /// Bytes per coroutine buffer (header included).
    pub buffer_size: u32,
    pub placement: BufferPlacement,
    pub values: ValueFn,
    /// Transform with ignore-indirect.
    pub ignore_indirect: bool,
    /// Transform with this remove-list (for harness self-tests).
    pub remove_list: Vec<String>,
    /// Export called while paused (its log is not compared: the reference never pauses).
    pub between: Option<Call>,
    /// Defaults to [`transformers()`].
    pub transformers: Vec<Transformer>,
    pub check_rewind_args: bool,
    /// The transformed run must pause at least this often (default 1).
    pub min_pauses: usize,
}

impl Default for Equiv {
    fn default() -> Self {
        let host = HostConfig::default();
        Equiv {
            policy: PausePolicy::Always,
            buffer_size: host.buffer_size,
            placement: host.placement,
            values: hashed_values(),
            ignore_indirect: false,
            remove_list: Vec::new(),
            between: None,
            transformers: transformers(),
            check_rewind_args: true,
            min_pauses: 1,
        }
    }
}

impl Equiv {
    pub fn policy(mut self, policy: PausePolicy) -> Self {
        self.policy = policy;
        self
    }
    pub fn buffer_size(mut self, bytes: u32) -> Self {
        self.buffer_size = bytes;
        self
    }
    pub fn placement(mut self, placement: BufferPlacement) -> Self {
        self.placement = placement;
        self
    }
    pub fn values(mut self, values: ValueFn) -> Self {
        self.values = values;
        self
    }
    pub fn ignore_indirect(mut self) -> Self {
        self.ignore_indirect = true;
        self
    }
    pub fn remove_list(mut self, names: &[&str]) -> Self {
        self.remove_list = names.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn between(mut self, export: &str) -> Self {
        self.between = Some(Call::new(export, &[]));
        self
    }
    pub fn transformers(mut self, list: &[Transformer]) -> Self {
        self.transformers = list.to_vec();
        self
    }
    /// For programs Binaryen cannot handle: drop Binaryen from the transformers (with only
    /// Binaryen selected, the check is skipped with a note).
    pub fn ours_only(mut self) -> Self {
        self.transformers.retain(|t| !t.is_binaryen());
        self
    }
    pub fn min_pauses(mut self, n: usize) -> Self {
        self.min_pauses = n;
        self
    }

    fn host(&self, asyncify: bool, async_imports: &[&str]) -> HostConfig {
        HostConfig {
            asyncify,
            async_imports: async_imports.iter().map(|s| s.to_string()).collect(),
            policy: self.policy,
            buffer_size: self.buffer_size,
            placement: self.placement,
            values: self.values.clone(),
            check_rewind_args: self.check_rewind_args,
            between: if asyncify { self.between.clone() } else { None },
            scribble: true,
        }
    }

    fn args(&self, async_imports: &[&str]) -> AsyncifyArgs {
        AsyncifyArgs {
            imports: Some(async_imports.iter().map(|s| s.to_string()).collect()),
            ignore_indirect: self.ignore_indirect,
            remove_list: self.remove_list.clone(),
        }
    }
}

/// One transformer's run next to the reference.
#[derive(Debug)]
pub struct Report {
    pub transformer: Transformer,
    pub reference: Outcome,
    pub outcome: Outcome,
    /// Size of the original and the transformed module.
    pub sizes: (usize, usize),
}

/// Run the untransformed `program` with all imports synchronous.
pub fn run_reference(
    program: &[u8],
    calls: &[Call],
    async_imports: &[&str],
    options: &Equiv,
) -> Result<Outcome, RunError> {
    Session::new(program, options.host(false, async_imports))?.run(calls)
}

/// Transform `program` with `t` (imports = `async_imports`) and run it with the pausing host.
pub fn run_transformed(
    t: Transformer,
    program: &[u8],
    calls: &[Call],
    async_imports: &[&str],
    options: &Equiv,
) -> Result<Outcome, RunError> {
    let wasm = try_transform(t, program, &options.args(async_imports))
        .map_err(|e| RunError::Transform(format!("{e:#}")))?;
    Session::new(&wasm, options.host(true, async_imports))?.run(calls)
}

/// [`assert_equivalent_calls`] with a single call.
#[track_caller]
pub fn assert_equivalent(
    program: &[u8],
    entry: &str,
    args: &[Value],
    async_imports: &[&str],
    options: &Equiv,
) -> Vec<Report> {
    assert_equivalent_calls(program, &[Call::new(entry, args)], async_imports, options)
}

/// Run `calls` on the untransformed `program` (reference: async imports return at once,
/// calls one after the other), then, for each transformer, on the transformed program with the
/// pausing host (calls interleaved as coroutines). Per call the logs and results must be
/// identical, the background log and WASI stdout too, and the transformed run must pause
/// (at least `min_pauses` times). Panics listing every transformer that failed.
#[track_caller]
pub fn assert_equivalent_calls(
    program: &[u8],
    calls: &[Call],
    async_imports: &[&str],
    options: &Equiv,
) -> Vec<Report> {
    if options.transformers.is_empty() {
        eprintln!("skipped: no transformer selected can handle this program");
        return Vec::new();
    }
    let reference = run_reference(program, calls, async_imports, options)
        .unwrap_or_else(|e| panic!("the reference run of the untransformed program failed: {e}"));
    let mut failures = Vec::new();
    let mut reports = Vec::new();
    for &t in &options.transformers {
        let wasm = match try_transform(t, program, &options.args(async_imports)) {
            Ok(wasm) => wasm,
            Err(e) => {
                failures.push(format!("[{t}] {e:#}"));
                continue;
            }
        };
        match Session::new(&wasm, options.host(true, async_imports)).and_then(|mut s| s.run(calls))
        {
            Err(e) => failures.push(format!("[{t}] {e}")),
            Ok(outcome) => {
                if let Err(e) = compare(&reference, &outcome, calls, options.min_pauses) {
                    failures.push(format!("[{t}] {e}"));
                }
                reports.push(Report {
                    transformer: t,
                    reference: reference.clone(),
                    outcome,
                    sizes: (program.len(), wasm.len()),
                });
            }
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} transformers failed:\n\n{}",
            failures.len(),
            options.transformers.len(),
            failures.join("\n\n")
        );
    }
    let verbose = std::env::var("ASYNCIFY_HARNESS_VERBOSE").as_deref() == Ok("1");
    for r in &reports {
        if verbose {
            eprintln!(
                "[{}] transcript:\n  {}",
                r.transformer,
                r.outcome.transcript.join("\n  ")
            );
            eprintln!("[{}] results: {:?}", r.transformer, r.outcome.results);
            eprintln!("[{}] stdout:\n{}", r.transformer, r.outcome.stdout);
        }
        eprintln!(
            "[{}] ok: {} pauses, max asyncify stack {} bytes, {} log lines, size {} -> {}",
            r.transformer,
            r.outcome.pauses,
            r.outcome.max_stack_used,
            r.outcome.logs.iter().map(Vec::len).sum::<usize>(),
            r.sizes.0,
            r.sizes.1
        );
    }
    reports
}

/// Compare a transformed run with the reference.
pub fn compare(
    reference: &Outcome,
    outcome: &Outcome,
    calls: &[Call],
    min_pauses: usize,
) -> Result<(), String> {
    let mut problems = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let name = format!("call {i} ({})", call.export);
        if let Some(d) = diff(&format!("{name} log"), &reference.logs[i], &outcome.logs[i]) {
            problems.push(d);
        }
        if reference.results[i] != outcome.results[i] {
            problems.push(format!(
                "{name} results differ: expected {:?}, got {:?}",
                show(&reference.results[i]),
                show(&outcome.results[i])
            ));
        }
    }
    if let Some(d) = diff("background log", &reference.background, &outcome.background) {
        problems.push(d);
    }
    let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    if let Some(d) = diff("stdout", &lines(&reference.stdout), &lines(&outcome.stdout)) {
        problems.push(d);
    } else if reference.stdout != outcome.stdout {
        problems.push("stdout differs (in line endings)".into());
    }
    if outcome.pauses < min_pauses {
        problems.push(format!(
            "the transformed run paused {} times, expected at least {min_pauses}",
            outcome.pauses
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn show(values: &[Value]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// A readable description of the first difference between two transcripts, or `None`.
pub fn diff(what: &str, expected: &[String], actual: &[String]) -> Option<String> {
    let first =
        (0..expected.len().max(actual.len())).find(|&i| expected.get(i) != actual.get(i))?;
    let from = first.saturating_sub(3);
    let mut out = format!(
        "{what} differs at line {} (expected {} lines, got {}):\n",
        first + 1,
        expected.len(),
        actual.len()
    );
    for i in from..(first + 4).min(expected.len().max(actual.len())) {
        let e = expected.get(i).map_or("<end>", String::as_str);
        let a = actual.get(i).map_or("<end>", String::as_str);
        if e == a {
            out += &format!("      {:>4}  {e}\n", i + 1);
        } else {
            out += &format!("  exp {:>4}  {e}\n  got {:>4}  {a}\n", i + 1, i + 1);
        }
    }
    Some(out)
}
