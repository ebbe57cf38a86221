//! Property `pause_everywhere`: a generated program (see [`super::program`]) transformed with
//! its `sleep*` imports as the pausing list behaves exactly like the original when the host
//! pauses at every call of a pausing import (or at a seeded random subset), runs other code
//! during each pause, and rewinds: same transcript of import calls (arguments and results),
//! same results and traps, same final globals and memory. Re-entrant programs also run as
//! several interleaved coroutines, each with its own buffer, and call exports while paused.

use super::host::{CallResult, HostConfig, Outcome, Policy, RunError, Session};
use super::options::{arbitrary_epilogues, arbitrary_split, describe, is_documented_refusal, odds};
use super::program::{Limits, Program, async_imports, generate};
use super::{Failure, stat};
use arbitrary::Unstructured;
use asyncify::Options;
use wasmtime::Val;

/// Bytes per coroutine buffer: enough for any generated program's frames.
pub const BUFFER: u32 = 256 * 1024;
/// Fuel of the reference run; the transformed run gets a multiple of what it used.
pub const REFERENCE_FUEL: u64 = 3_000_000;

/// How a program is run and transformed.
#[derive(Clone, Debug)]
pub struct Setup {
    pub policy: Policy,
    /// Round-robin coroutines (re-entrant programs only).
    pub interleave: bool,
    /// Call something while paused.
    pub between: bool,
    pub options: Options,
}

/// Which asyncify implementation to test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Implementation {
    Ours,
    /// `wasm-opt --asyncify` (see [`super::vs_binaryen`]).
    Binaryen,
}

/// Draw a setup for `program` from the option bytes.
pub fn arbitrary_setup(u: &mut Unstructured, program: &Program) -> Setup {
    let policy = if odds(u, 1, 2) {
        Policy::Always
    } else {
        let seed = u.arbitrary().unwrap_or(0);
        Policy::Random {
            seed,
            percent: u.int_in_range(10..=90).unwrap_or(50),
        }
    };
    // Drawn one after the other, in this order (the bytes of a saved case depend on it).
    let imports = match u.int_in_range(0..=9u8).unwrap_or(0) {
        0 => None, // every import may pause: logs too (never paused by the host)
        1 => Some(vec!["env.sleep*".to_string()]),
        _ => Some(async_imports()),
    };
    let ignore_indirect = !program.uses_table() && odds(u, 1, 4);
    let optimize = u.int_in_range(0..=3).unwrap_or(0);
    let asserts = odds(u, 1, 4);
    let mut options = Options {
        imports,
        ignore_indirect,
        optimize,
        asserts,
        ..Options::default()
    };
    let names: Vec<String> = (0..program.funcs.len()).map(|i| format!("f{i}")).collect();
    match u.int_in_range(0..=9u8).unwrap_or(0) {
        8 => {
            let n = u.int_in_range(1..=names.len()).unwrap_or(1);
            options.add_list = names[..n].to_vec();
            options.propagate_add_list = odds(u, 1, 2);
        }
        9 => options.only_list = names,
        _ => {}
    }
    options.epilogues = arbitrary_epilogues(u);
    options.split = arbitrary_split(u, options.optimize);
    let multi = program.calls.len() > 1;
    Setup {
        policy,
        interleave: program.reentrant && multi && odds(u, 3, 4),
        between: odds(u, 2, 3),
        options,
    }
}

/// The program and setup the fuzzer's bytes stand for.
pub fn case_of(data: &[u8]) -> (Program, Setup) {
    let (setup_bytes, data) = data.split_at(data.len().min(24));
    let mut u = Unstructured::new(data);
    let limits = Limits {
        reentrant: setup_bytes.first().is_some_and(|b| b & 3 == 0),
        budget: 60 + (setup_bytes.get(1).copied().unwrap_or(0) as i32) * 2,
        exceptions: setup_bytes.first().is_some_and(|b| b & 4 != 0),
        ..Limits::default()
    };
    let program = generate(&mut u, limits);
    let setup = arbitrary_setup(
        &mut Unstructured::new(setup_bytes.get(2..).unwrap_or(&[])),
        &program,
    );
    (program, setup)
}

/// The property. With `ASYNCIFY_FUZZ_SHRINK=1`, a failure is shrunk and the smallest program
/// that still fails the same way is added to the report.
pub fn check(data: &[u8]) -> Result<(), Failure> {
    let (program, setup) = case_of(data);
    check_shrinking(&program, &setup, Implementation::Ours)
}

/// [`check_program`], shrinking failures when `ASYNCIFY_FUZZ_SHRINK=1`.
pub fn check_shrinking(
    program: &Program,
    setup: &Setup,
    implementation: Implementation,
) -> Result<(), Failure> {
    let result = check_program(program, setup, implementation);
    match result {
        Err(mut f) if std::env::var("ASYNCIFY_FUZZ_SHRINK").as_deref() == Ok("1") => {
            let small = shrink(program, setup, implementation);
            let small_failure = check_program(&small, setup, implementation).err();
            f.details = format!(
                "{}\n==== shrunk ({} → {} lines):\n{}",
                f.details,
                program.to_wat().lines().count(),
                small.to_wat().lines().count(),
                small_failure.map_or_else(|| small.to_wat(), |s| s.to_string())
            );
            Err(f)
        }
        other => other,
    }
}

/// The calls of a program as the host makes them.
pub fn host_calls(program: &Program) -> Vec<(String, Vec<Val>)> {
    program
        .calls
        .iter()
        .map(|c| {
            (
                c.export.clone(),
                c.args.iter().map(|v| v.to_val()).collect(),
            )
        })
        .collect()
}

fn observed(program: &Program) -> Vec<String> {
    let mut names: Vec<String> = (0..program.globals.len())
        .map(|i| format!("g{i}"))
        .collect();
    names.push("memory".into());
    names
}

/// Run the property on one program.
pub fn check_program(
    program: &Program,
    setup: &Setup,
    implementation: Implementation,
) -> Result<(), Failure> {
    let wasm = match program.to_wasm() {
        Ok(w) => w,
        Err(e) => return Err(Failure::new("the generator made an invalid program", e)),
    };
    let between = setup.between.then(|| {
        if program.reentrant {
            let call = &program.calls[program.calls.len() - 1];
            (call.export.clone(), call.args.clone())
        } else {
            ("between".to_string(), vec![super::program::Value::I32(2)])
        }
    });
    let case = WasmCase {
        wat: program.to_wat(),
        wasm,
        calls: host_calls(program),
        shown_calls: format!("{:?}", program.calls),
        observe: observed(program),
        between,
    };
    check_wasm(&case, setup, implementation)
}

/// A module to check, with everything the host needs (for hand-written regressions too).
pub struct WasmCase {
    /// The module as text, for reports.
    pub wat: String,
    pub wasm: Vec<u8>,
    pub calls: Vec<(String, Vec<Val>)>,
    /// The calls as shown in reports.
    pub shown_calls: String,
    /// Exports whose final state is compared.
    pub observe: Vec<String>,
    /// What to call while paused (when the setup asks for it).
    pub between: Option<(String, Vec<super::program::Value>)>,
}

impl WasmCase {
    /// A case from WAT text: calls of exports with `i32` arguments, observing `memory` and
    /// the listed globals.
    pub fn from_wat(wat: &str, calls: &[(&str, &[i32])], globals: &[&str]) -> WasmCase {
        let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("{e}"));
        let calls: Vec<(String, Vec<Val>)> = calls
            .iter()
            .map(|(e, args)| (e.to_string(), args.iter().map(|&a| Val::I32(a)).collect()))
            .collect();
        let mut observe: Vec<String> = globals.iter().map(|g| g.to_string()).collect();
        observe.push("memory".into());
        WasmCase {
            wat: wat.to_string(),
            wasm,
            shown_calls: format!("{calls:?}"),
            calls,
            observe,
            between: None,
        }
    }
}

/// Run the property on one module.
pub fn check_wasm(
    case: &WasmCase,
    setup: &Setup,
    implementation: Implementation,
) -> Result<(), Failure> {
    let stat = |what: &str| stat(format!("pause_everywhere: {what}"));
    let wat = &case.wat;
    let wasm = &case.wasm;
    let calls = &case.calls;
    let details = |extra: &str| {
        format!(
            "-- options: {}\n-- setup: {:?} interleave={} between={}\n-- calls: {:?}\n{extra}\n-- program:\n{wat}",
            describe(&setup.options),
            setup.policy,
            setup.interleave,
            setup.between,
            case.shown_calls
        )
    };
    let reference_config = HostConfig {
        asyncify: false,
        pausing: async_imports(),
        buffer_size: BUFFER,
        fuel: REFERENCE_FUEL,
        observe: case.observe.clone(),
        ..HostConfig::default()
    };
    let reference =
        match Session::new(wasm, reference_config.clone()).and_then(|mut s| s.run(calls)) {
            Ok(r) => r,
            Err(e) => {
                return Err(Failure::new(
                    format!("reference run failed: {e}"),
                    details(""),
                ));
            }
        };
    if reference
        .results
        .iter()
        .any(|r| matches!(r, CallResult::Exhausted(_)))
    {
        stat("inconclusive: the reference ran out of fuel");
        return Ok(());
    }
    let transformed = match implementation {
        Implementation::Ours => match super::catch(|| asyncify::transform(wasm, &setup.options)) {
            Err(panic) => {
                return Err(Failure::new(
                    format!("transform panicked: {panic}"),
                    details(""),
                ));
            }
            Ok(Err(e)) => {
                let kind = if is_documented_refusal(&e) {
                    "refused"
                } else {
                    "failed"
                };
                return Err(Failure::new(
                    format!("transform {kind}: {}", e.to_string().replace('\n', " ")),
                    details(""),
                ));
            }
            Ok(Ok(out)) => out.wasm,
        },
        Implementation::Binaryen => match super::vs_binaryen::wasm_opt(wasm, &setup.options) {
            Ok(w) => w,
            Err(e) => {
                stat("inconclusive: wasm-opt failed");
                let _ = e;
                return Ok(());
            }
        },
    };
    let between = if setup.between {
        case.between.clone()
    } else {
        None
    };
    let config = HostConfig {
        asyncify: true,
        policy: setup.policy,
        interleave: setup.interleave,
        between,
        fuel: reference.fuel_used * 40 + 2_000_000,
        ..reference_config
    };
    let outcome = match Session::new(&transformed, config).and_then(|mut s| s.run(calls)) {
        Ok(o) => o,
        Err(RunError::Protocol(m)) => {
            return Err(Failure::new(
                format!("protocol violation: {}", first_line(&m)),
                details(&format!(
                    "-- violation: {m}\n-- reference transcript:\n{}",
                    super::pause_everywhere::clip(&reference.transcript)
                )),
            ));
        }
        Err(e) => {
            return Err(Failure::new(
                format!("transformed run failed: {e}"),
                details(""),
            ));
        }
    };
    if let Err(diff) = compare(&reference, &outcome, true) {
        return Err(Failure::new(
            diff.lines().next().unwrap_or("").to_string(),
            details(&format!(
                "-- difference:\n{diff}\n-- reference transcript:\n{}\n-- transformed transcript:\n{}",
                clip(&reference.transcript),
                clip(&outcome.transcript)
            )),
        ));
    }
    let trapped = reference
        .results
        .iter()
        .any(|r| matches!(r, CallResult::Trap(_)));
    let slept = reference
        .logs
        .iter()
        .flatten()
        .any(|l| l.starts_with("env.sleep"));
    stat(match (outcome.pauses, outcome.max_live) {
        (0, _) if !slept && trapped => "ok, no pause (no pausing call before a trap)",
        (0, _) if !slept => "ok, no pause (no pausing call)",
        (0, _) => "ok, no pause (random policy)",
        (_, 0 | 1) => "ok, paused",
        _ => "ok, paused with coroutines interleaved",
    });
    Ok(())
}

/// The first 60 lines of a transcript.
pub fn clip(lines: &[String]) -> String {
    let mut out = lines
        .iter()
        .take(60)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > 60 {
        out += &format!("\n... ({} more lines)", lines.len() - 60);
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Compare a transformed run with the reference: per call the transcript and the result, the
/// background transcript, and (if `state`) the final globals and memory. `Err` describes the
/// first differences.
pub fn compare(reference: &Outcome, outcome: &Outcome, state: bool) -> Result<(), String> {
    let mut problems = Vec::new();
    for (i, (expected, actual)) in reference.logs.iter().zip(&outcome.logs).enumerate() {
        if let Some(d) = diff(&format!("call {i} transcript"), expected, actual) {
            problems.push(d);
        }
    }
    for (i, (expected, actual)) in reference.results.iter().zip(&outcome.results).enumerate() {
        if expected != actual {
            let what = match actual {
                CallResult::Exhausted(_) => "ran out in the transformed run only",
                _ => "result differs",
            };
            problems.push(format!(
                "call {i} {what}: expected {expected:?}, got {actual:?}"
            ));
        }
    }
    if let Some(d) = diff(
        "background transcript",
        &reference.background,
        &outcome.background,
    ) {
        problems.push(d);
    }
    if state && reference.state != outcome.state {
        for (e, a) in reference.state.iter().zip(&outcome.state) {
            if e != a {
                problems.push(format!(
                    "final state of {} differs: expected {}, got {}",
                    e.0, e.1, a.1
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The first difference between two transcripts, with a little context.
pub fn diff(what: &str, expected: &[String], actual: &[String]) -> Option<String> {
    let first =
        (0..expected.len().max(actual.len())).find(|&i| expected.get(i) != actual.get(i))?;
    let mut out = format!(
        "{what} differs at line {} (expected {} lines, got {})\n",
        first + 1,
        expected.len(),
        actual.len()
    );
    for i in first.saturating_sub(2)..(first + 3).min(expected.len().max(actual.len())) {
        let e = expected.get(i).map_or("<end>", String::as_str);
        let a = actual.get(i).map_or("<end>", String::as_str);
        if e == a {
            out += &format!("      {e}\n");
        } else {
            out += &format!("  exp {e}\n  got {a}\n");
        }
    }
    Some(out)
}

/// Shrink a failing program: repeatedly try the generator's smaller variants and keep any
/// that still fails with the same first line. Returns the smallest failing program found.
pub fn shrink(program: &Program, setup: &Setup, implementation: Implementation) -> Program {
    let fails_like = |p: &Program, summary: &str| -> bool {
        match super::catch(|| check_program(p, setup, implementation)) {
            Ok(Err(f)) => same_kind(&f.summary, summary),
            _ => false,
        }
    };
    let Err(original) = check_program(program, setup, implementation) else {
        return program.clone();
    };
    let summary = original.summary;
    let mut best = program.clone();
    // Greedy passes: walk the candidates in order; after a success, the candidate list of the
    // new program is walked from the same position (earlier ones already failed to shrink).
    let seconds = std::env::var("ASYNCIFY_FUZZ_SHRINK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let mut improved = false;
        let mut position = 0;
        loop {
            let candidates = best.shrink_candidates();
            let Some(found) = candidates
                .iter()
                .enumerate()
                .skip(position)
                .find(|(_, c)| c.to_wasm().is_ok() && fails_like(c, &summary))
                .map(|(i, _)| i)
            else {
                break;
            };
            best = candidates[found].clone();
            position = found;
            improved = true;
            if std::time::Instant::now() > deadline {
                return best;
            }
        }
        if !improved {
            return best;
        }
    }
}

fn same_kind(a: &str, b: &str) -> bool {
    // The text before the first `:` or `(`, without numbers (line numbers, call indices).
    let head = |s: &str| {
        s.split([':', '('])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    head(a) == head(b)
}
