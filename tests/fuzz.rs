//! Seeded runs of the fuzz properties (see `tests/fuzz_props/`), so plain `cargo test`
//! exercises them; the same code runs under cargo-fuzz in `fuzz/` (see `fuzz/README.md`).
//!
//! Environment: `ASYNCIFY_FUZZ_CASES=N` changes the number of cases, `ASYNCIFY_FUZZ_CASE=N`
//! runs only case N, `ASYNCIFY_FUZZ_SHRINK=1` shrinks failing generated programs,
//! `ASYNCIFY_FUZZ_DUMP=DIR` writes failing inputs to DIR.

#[path = "fuzz_props/mod.rs"]
mod props;

use props::hostile_input;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn validates() {
    props::run_seeded(
        "validates",
        0x7a11_da7e,
        300,
        (64, 4096),
        props::validates::check,
    );
}

#[test]
fn same_result() {
    props::run_seeded(
        "same_result",
        0x5a4e,
        250,
        (64, 4096),
        props::same_result::check,
    );
}

#[test]
fn pause_everywhere() {
    props::run_seeded(
        "pause_everywhere",
        0x9a05e,
        200,
        (512, 8192),
        props::pause_everywhere::check,
    );
}

#[test]
fn hostile_input() {
    props::run_seeded(
        "hostile_input",
        0x4057,
        300,
        (8, 2048),
        hostile_input::check,
    );
}

/// Replay one fuzz input: `ASYNCIFY_FUZZ_REPLAY=<property>:<file>` (e.g. a cargo-fuzz
/// artifact), with `ASYNCIFY_FUZZ_SHRINK` and `ASYNCIFY_FUZZ_DUMP` as usual.
#[test]
#[ignore = "run by hand with ASYNCIFY_FUZZ_REPLAY"]
fn replay() {
    let spec =
        std::env::var("ASYNCIFY_FUZZ_REPLAY").expect("set ASYNCIFY_FUZZ_REPLAY=property:file");
    let (property, file) = spec.split_once(':').expect("property:file");
    let data = std::fs::read(file).unwrap();
    let check: fn(&[u8]) -> Result<(), props::Failure> = match property {
        "validates" => props::validates::check,
        "same_result" => props::same_result::check,
        "pause_everywhere" => props::pause_everywhere::check,
        "hostile_input" => props::hostile_input::check,
        "vs_binaryen" => props::vs_binaryen::check,
        other => panic!("unknown property {other}"),
    };
    let outcome = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || check(&data))
        .unwrap()
        .join()
        .unwrap();
    match outcome {
        Ok(()) => eprintln!("{property}: holds for {file}"),
        Err(f) => panic!("{f}"),
    }
}

#[test]
fn vs_binaryen() {
    if !props::vs_binaryen::available() {
        eprintln!("vs_binaryen: wasm-opt not found; skipped");
        return;
    }
    props::run_seeded(
        "vs_binaryen",
        0xb1a4,
        40,
        (512, 4096),
        props::vs_binaryen::check,
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions found by the properties: each runs a fixture of tests/wat/regressions/ with the
// pausing host (every pausing import pauses), without -O, with -O and with -O3.

fn check_regression(fixture: &str, calls: &[(&str, &[i32])], imports: &[&str]) {
    use props::pause_everywhere::{Implementation, Setup, WasmCase, check_wasm};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/wat/regressions")
        .join(fixture);
    let wat = std::fs::read_to_string(&path).unwrap();
    let case = WasmCase::from_wat(&wat, calls, &[]);
    let mut failures = Vec::new();
    for optimize in [0, 2, 3] {
        for policy in [
            props::host::Policy::Always,
            props::host::Policy::Random {
                seed: 7,
                percent: 50,
            },
        ] {
            let setup = Setup {
                policy,
                interleave: false,
                between: false,
                options: asyncify::Options {
                    imports: Some(imports.iter().map(|s| s.to_string()).collect()),
                    optimize,
                    ..Default::default()
                },
            };
            if let Err(f) = check_wasm(&case, &setup, Implementation::Ours) {
                failures.push(format!(
                    "-O{optimize} {policy:?}: {}\n{}",
                    f.summary, f.details
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{fixture}:\n{}", failures.join("\n\n"));
}

#[test]
fn regression_spill_before_pausing_if() {
    check_regression(
        "fuzz-spill-before-pausing-if.wat",
        &[("f", &[2])],
        &["env.sleep*"],
    );
}

// ---------------------------------------------------------------------------------------------
// The command-line tool on hostile input.

const BINARY: &str = env!("CARGO_BIN_EXE_asyncify");

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the binary with a time limit; `None` if it had to be killed.
fn run_cli(args: &[String], limit: Duration) -> Option<std::process::Output> {
    let mut child = Command::new(BINARY)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run asyncify");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return Some(child.wait_with_output().expect("output"));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The CLI on hostile inputs and flags: `error: ...` and a non-zero exit, or a valid output;
/// never a panic, a signal or a hang; a failed run leaves an existing output file untouched
/// and no temporary file behind.
#[test]
fn hostile_input_cli() {
    let dir = scratch("hostile");
    let mut rng = props::Rng::new(0xc11);
    let mut failures = Vec::new();
    let cases = std::env::var("ASYNCIFY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    for case_no in 0..cases {
        let len = 8 + rng.below(1500) as usize;
        let data = rng.bytes(len);
        let case = hostile_input::case_of(&data);
        let extra = rng.bytes(8);
        let flags = hostile_input::cli_flags(&case, &mut arbitrary::Unstructured::new(&extra));
        let input = dir.join(format!("in{case_no}.wasm"));
        std::fs::write(&input, &case.input).unwrap();
        let output = dir.join(format!("out{case_no}.wasm"));
        let sentinel = b"previous contents".to_vec();
        let keep_old = case_no % 2 == 0;
        if keep_old {
            std::fs::write(&output, &sentinel).unwrap();
        }
        let mut args = vec![input.display().to_string()];
        // Arguments cannot hold NUL bytes.
        args.extend(flags.iter().map(|f| f.replace('\0', "\\0")));
        args.push("-o".into());
        args.push(output.display().to_string());
        let shown = format!(
            "case {case_no} ({}): asyncify {}",
            case.what,
            args.join(" ")
        );
        let Some(out) = run_cli(&args, Duration::from_secs(60)) else {
            failures.push(format!("{shown}: did not finish within 60 s"));
            continue;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        let mut problems = Vec::new();
        if code.is_none() {
            problems.push(format!("killed by a signal ({:?})", out.status));
        }
        if stderr.contains("panicked") || code == Some(101) {
            problems.push(format!("panicked: {}", stderr.lines().next().unwrap_or("")));
        }
        if out.status.success() {
            match std::fs::read(&output) {
                Ok(bytes) if flags.iter().any(|f| f == "-t") => {
                    if let Err(e) = wat::parse_bytes(&bytes).map(|b| props::validate(&b)) {
                        problems.push(format!("text output does not parse: {e}"));
                    }
                }
                Ok(bytes) => {
                    if let Err(e) = props::validate(&bytes) {
                        problems.push(format!("output does not validate: {e}"));
                    }
                }
                Err(e) => problems.push(format!("succeeded without writing the output: {e}")),
            }
        } else {
            if !stderr.lines().any(|l| l.starts_with("error:")) {
                problems.push(format!("failed without an `error:` line: {stderr:?}"));
            }
            match std::fs::read(&output) {
                Ok(bytes) if keep_old && bytes == sentinel => {}
                Ok(_) if keep_old => problems.push("a failed run replaced the old output".into()),
                Ok(_) => problems.push("a failed run left an output file".into()),
                Err(_) if keep_old => problems.push("a failed run removed the old output".into()),
                Err(_) => {}
            }
        }
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp") || n.contains("asyncify-"))
            .collect();
        if !leftovers.is_empty() {
            problems.push(format!("temporary files left behind: {leftovers:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{shown}: {}\n  stderr: {}",
                problems.join("; "),
                stderr.trim()
            ));
        }
        let _ = std::fs::remove_file(&output);
        let _ = std::fs::remove_file(&input);
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} CLI runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Limits: the tool on very deep, very wide and very long modules, in a child process.
// `ASYNCIFY_LIMITS_BIN` picks another binary (e.g. `target/release/asyncify` for timings).

use props::limits::{self, Measured};

fn limits_binary() -> String {
    std::env::var("ASYNCIFY_LIMITS_BIN").unwrap_or_else(|_| BINARY.to_string())
}

/// Transform `wasm` with the tool (pausing import `env.sleep_i32`; with `both`, `-O` too) and
/// check it succeeds with a valid output; print what it took.
fn transform_at_limit(name: &str, wasm: &[u8], both: bool) -> Vec<Measured> {
    let dir = scratch(&format!("limits-{name}"));
    let input = dir.join(format!("{name}.wasm"));
    std::fs::write(&input, wasm).unwrap();
    let mut runs = Vec::new();
    let flag_sets: &[&[&str]] = if both {
        &[
            &["--imports=env.sleep_i32"],
            &["--imports=env.sleep_i32", "-O"],
        ]
    } else {
        &[&["--imports=env.sleep_i32"]]
    };
    for flags in flag_sets {
        let m = limits::measure(&limits_binary(), &input, flags);
        eprintln!(
            "limits: {name} ({} bytes) {}: exit {:?}, {:.2} s, peak RSS {}, output {:?} bytes",
            wasm.len(),
            flags.join(" "),
            m.exit,
            m.seconds,
            m.max_rss_mb.map_or("?".into(), |mb| format!("{mb:.0} MB")),
            m.output_size
        );
        assert_eq!(
            m.exit,
            Some(0),
            "asyncify {name}.wasm {} failed:\n{}",
            flags.join(" "),
            m.stderr.lines().take(5).collect::<Vec<_>>().join("\n")
        );
        let out = std::fs::read(input.with_extension("out.wasm")).unwrap();
        props::validate(&out).unwrap_or_else(|e| panic!("{name}: output does not validate: {e}"));
        runs.push(m);
    }
    runs
}

/// Peak memory must stay proportional to the module: at most 200 MB plus 150 times its size
/// (walrus alone needs about 50 times).
fn assert_memory_proportional(name: &str, wasm: &[u8], runs: &[Measured]) {
    let bound = 200.0 + 150.0 * wasm.len() as f64 / (1 << 20) as f64;
    for m in runs {
        if let Some(mb) = m.max_rss_mb {
            assert!(
                mb <= bound,
                "{name}: peak RSS {mb:.0} MB exceeds {bound:.0} MB"
            );
        }
    }
}

/// Run `run(5)` of a limit module transformed by the library, pausing at every
/// `env.sleep_i32`, and compare with the original.
fn runs_like_original(wasm: &[u8]) {
    use props::host::{HostConfig, Policy, Session};
    let pausing = vec!["env.sleep_i32".to_string()];
    let calls = vec![("run".to_string(), vec![wasmtime::Val::I32(5)])];
    let config = HostConfig {
        pausing: pausing.clone(),
        buffer_size: 1 << 20,
        fuel: 1 << 32,
        observe: vec!["memory".into()],
        ..HostConfig::default()
    };
    let reference = Session::new(wasm, config.clone())
        .and_then(|mut s| s.run(&calls))
        .unwrap();
    let options = asyncify::Options {
        imports: Some(pausing),
        ..Default::default()
    };
    let out = asyncify::transform(wasm, &options).unwrap();
    let config = HostConfig {
        asyncify: true,
        policy: Policy::Always,
        ..config
    };
    let outcome = Session::new(&out.wasm, config)
        .and_then(|mut s| s.run(&calls))
        .unwrap();
    assert!(outcome.pauses > 0, "never paused");
    if let Err(d) = props::pause_everywhere::compare(&reference, &outcome, true) {
        panic!("{d}");
    }
}

/// In an 8 MiB thread, like the tool's main thread.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn limits_nesting_300_runs() {
    // Run, not only transformed: 300 levels keeps the reference engine's compile quick.
    let wasm = limits::deep_nesting(300);
    transform_at_limit("nesting-300", &wasm, true);
    with_big_stack(move || runs_like_original(&wasm));
}

#[test]
fn limits_nesting_10k() {
    let wasm = limits::deep_nesting(10_000);
    let runs = transform_at_limit("nesting-10k", &wasm, true);
    assert_memory_proportional("nesting-10k", &wasm, &runs);
}

#[test]
fn limits_100k_functions() {
    // Each function pauses by itself: no long call chains (see the next test for those).
    let wasm = limits::many_leaf_functions(100_000);
    let runs = transform_at_limit("functions-100k", &wasm, false);
    assert_memory_proportional("functions-100k", &wasm, &runs);
    with_big_stack(|| runs_like_original(&limits::many_functions(300)));
}

#[test]
fn limits_call_chain_memory() {
    let wasm = limits::many_functions(20_000);
    let runs = transform_at_limit("chain-20k", &wasm, false);
    assert_memory_proportional("chain-20k", &wasm, &runs);
}

#[test]
fn limits_locals() {
    // 50,000 locals is wasmparser's (and so every engine's) limit per function; the transform
    // adds its own locals, so the output must still fit or be refused clearly.
    transform_at_limit("locals-49k", &limits::many_locals(49_000, 1_000), true);
    with_big_stack(|| runs_like_original(&limits::many_locals(5_000, 5_000)));
}

/// Run the tool (pausing import `env.sleep_i32`) on `wasm`, which is at or past a limit, and
/// print what happened.
fn refusal_at_limit(name: &str, wasm: &[u8], label: &str) -> Measured {
    let dir = scratch(name);
    let input = dir.join(format!("{name}.wasm"));
    std::fs::write(&input, wasm).unwrap();
    let m = limits::measure(&limits_binary(), &input, &["--imports=env.sleep_i32"]);
    eprintln!(
        "limits: {label}: exit {:?}, {:.2} s, stderr {:?}",
        m.exit,
        m.seconds,
        m.stderr.trim()
    );
    m
}

#[test]
fn limits_all_locals_used() {
    // The output either fits or the tool refuses with a clear error (not an internal one).
    let m = refusal_at_limit(
        "limits-all-locals",
        &limits::all_locals_used(49_999),
        "50,000 used locals",
    );
    assert!(
        m.exit == Some(0)
            || (m.stderr.starts_with("error: ") && m.stderr.contains("more than the 50000")),
        "{}",
        m.stderr
    );
}

#[test]
fn limits_locals_over_engine_limit() {
    // 65,536 locals: invalid for every engine; a clear refusal, not a crash.
    let m = refusal_at_limit(
        "limits-locals-65k",
        &limits::many_locals(65_536, 10),
        "65,536 locals",
    );
    assert_eq!(m.exit, Some(1), "{}", m.stderr);
    assert!(m.stderr.starts_with("error: "), "{}", m.stderr);
    assert!(m.output_size.is_none());
}

#[test]
fn limits_nesting_over_limit() {
    // Deeper than the 100,000 levels asyncify instruments: refused before any pass runs.
    let m = refusal_at_limit(
        "limits-nesting-over",
        &limits::deep_nesting(100_002),
        "100,002 levels",
    );
    assert_eq!(m.exit, Some(1), "{}", m.stderr);
    assert!(
        m.stderr.starts_with("error: ") && m.stderr.contains("100003 levels deep"),
        "{}",
        m.stderr
    );
    assert!(m.output_size.is_none());
}

#[test]
fn limits_huge_function() {
    let wasm = limits::huge_function(200_000, 20);
    let runs = transform_at_limit("huge-function", &wasm, true);
    assert_memory_proportional("huge-function", &wasm, &runs);
    with_big_stack(|| runs_like_original(&limits::huge_function(5_000, 7)));
}
