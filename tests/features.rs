//! Runtime tests of features beyond the basic protocol: tail calls, exceptions, `--asserts`,
//! in-module runtimes (`get_state`, no memory), reference-typed locals, and a real clang
//! program whose untouched functions must come out byte for byte.
//!
//! Every test runs the transformed module for real, with our transform unoptimized and with
//! `-O` (Binaryen cannot handle most of these programs, so with `ASYNCIFY_HARNESS_REF=binaryen`
//! the tests that need our transform say they are skipped).
//!
//! Engines: the shared wasmtime harness (`tests/support/`) wherever it can run the program.
//! Legacy `try` is not implemented in wasmtime, so:
//! - legacy `try` programs run in Node.js (V8 supports legacy exception handling) with a
//!   small host written here that drives the same protocol; `node` must be on the PATH
//!   (set `ASYNCIFY_SKIP_NODE=1` to skip those tests);
//! - the `try_table` test builds its own wasmtime engine with exceptions enabled (they need
//!   the dev-dependency's GC support and its `gc-drc` collector).

mod support;

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use support::{
    Call, Equiv, HostConfig, PausePolicy, RunError, Session, Value, assert_equivalent, c_program,
    reference_mode, run_reference, wat_program,
};

const SLEEP_I32: &str = "env.sleep_i32";

fn i32s(v: &[i32]) -> Vec<Value> {
    v.iter().map(|&x| Value::I32(x)).collect()
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// How our transform is run: unoptimized, `-O`, `-O --epilogues exact` and `-O3`.
#[derive(Clone, Copy, Debug)]
struct Level {
    optimize: u8,
    exact_epilogues: bool,
}

/// Our transform at each [`Level`], unless the harness was asked to test Binaryen only (then
/// the caller skips, saying so).
fn ours(what: &str) -> Vec<Level> {
    if reference_mode() {
        eprintln!("skipped: {what} needs our transform (ASYNCIFY_HARNESS_REF selects Binaryen)");
        return Vec::new();
    }
    [(0, false), (2, false), (2, true), (3, false)]
        .into_iter()
        .map(|(optimize, exact_epilogues)| Level {
            optimize,
            exact_epilogues,
        })
        .collect()
}

fn name(level: Level) -> &'static str {
    match (level.optimize, level.exact_epilogues) {
        (_, true) => "ours -O --epilogues exact",
        (0, false) => "ours",
        (3, false) => "ours -O3",
        (_, false) => "ours -O",
    }
}

/// Transform with our library and full options, panicking with the error.
fn transform(program: &[u8], options: &asyncify::Options) -> Vec<u8> {
    let output = asyncify::transform(program, options)
        .unwrap_or_else(|e| panic!("asyncify::transform failed: {e}"));
    support::validate(&output.wasm)
        .unwrap_or_else(|e| panic!("the transformed module does not validate: {e}"));
    output.wasm
}

fn options(imports: &[&str], level: Level) -> asyncify::Options {
    asyncify::Options {
        imports: Some(imports.iter().map(|s| s.to_string()).collect()),
        ignore_imports: imports.is_empty(),
        optimize: level.optimize,
        epilogues: if level.exact_epilogues {
            asyncify::Epilogues::Exact
        } else {
            asyncify::Epilogues::Auto
        },
        ..Default::default()
    }
}

/// The background log (start function) of a module with an in-module runtime.
fn start_function_log(wasm: &[u8]) -> Result<Vec<String>, RunError> {
    let session = Session::new(
        wasm,
        HostConfig {
            asyncify: false,
            ..Default::default()
        },
    )?;
    Ok(session.background_log())
}

fn prints(values: &[i32]) -> Vec<String> {
    values
        .iter()
        .map(|v| format!("spectest.print({v})"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tail calls.

/// `return_call` and `return_call_indirect` to functions that pause, in a recursive chain
/// that is entirely in tail position; the tail call to `$finish`, which cannot pause, stays.
#[test]
fn tail_calls_to_pausing_functions_in_a_recursive_chain() {
    let program = wat_program("tail_calls.wat");
    for n in [1, 9, 24] {
        let reports = assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP_I32],
            &Equiv::default().ours_only(),
        );
        for r in reports {
            assert_eq!(r.outcome.pauses, n as usize, "[{}]", r.transformer);
        }
    }
    assert_equivalent(
        &program,
        "run",
        &i32s(&[40]),
        &[SLEEP_I32],
        &Equiv::default().ours_only().policy(PausePolicy::Random {
            seed: 3,
            percent: 40,
        }),
    );
}

/// The tail calls that cannot pause are still tail calls in the output, and the ones that can
/// are not.
#[test]
fn tail_calls_that_cannot_pause_stay_tail_calls() {
    let program = wat_program("tail_calls.wat");
    for optimize in ours("tail calls") {
        let wasm = transform(&program, &options(&[SLEEP_I32], optimize));
        let count = |wasm: &[u8]| {
            let mut counts = (0, 0, 0); // return_call, return_call_indirect, call_indirect
            for payload in wasmparser::Parser::new(0).parse_all(wasm) {
                if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
                    let mut ops = body.get_operators_reader().unwrap();
                    while !ops.eof() {
                        match ops.read().unwrap() {
                            wasmparser::Operator::ReturnCall { .. } => counts.0 += 1,
                            wasmparser::Operator::ReturnCallIndirect { .. } => counts.1 += 1,
                            wasmparser::Operator::CallIndirect { .. } => counts.2 += 1,
                            _ => {}
                        }
                    }
                }
            }
            counts
        };
        // Input: return_call $finish, $step (from $countdown), $countdown (twice).
        assert_eq!(count(&program), (4, 1, 0));
        // Output: only `return_call $finish` is left; the indirect one became a call (in both
        // copies of the function with -O3).
        let copies = if optimize.optimize >= 3 { 2 } else { 1 };
        assert_eq!(count(&wasm), (copies, 0, copies), "[{}]", name(optimize));
    }
}

// ---------------------------------------------------------------------------------------------
// Exceptions.

/// A host for Node.js that drives the asyncify protocol like `tests/support/host.rs`, for the
/// imports the exception programs use: `env.sleep_i32` (pauses at every call when
/// `asyncify`) and `env.log_i32`. Prints `{log, result, pauses}` as JSON.
const NODE_HOST: &str = r#"
import fs from 'fs';
const [file, entry, arg, mode] = process.argv.slice(2);
const asyncify = mode === 'asyncify';
const DATA = 4096, SIZE = 4096;
const log = [];
let exports, phase = 'normal', pending = null, counter = 0, pauses = 0;
function value(x, n) {
  let h = (Math.imul(x | 0, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) | 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) | 0;
}
function fail(message) { throw new Error('protocol violation: ' + message); }
const env = {
  log_i32(x) {
    if (phase !== 'normal') fail(`log_i32(${x}) called while ${phase}`);
    log.push(`env.log_i32(${x})`);
  },
  sleep_i32(x) {
    if (phase === 'unwinding') fail(`sleep_i32(${x}) called while unwinding`);
    if (phase === 'rewinding') {
      if (!pending || pending.x !== x) fail(`rewind reached sleep_i32(${x}), paused at ${JSON.stringify(pending)}`);
      phase = 'normal';
      exports.asyncify_stop_rewind();
      const view = new DataView(exports.memory.buffer);
      if (view.getUint32(DATA, true) !== DATA + 8) fail('asyncify stack not fully popped');
      const r = pending.r;
      pending = null;
      log.push(`env.sleep_i32(${x}) -> ${r}`);
      return r;
    }
    const r = value(x, counter++);
    if (!asyncify) { log.push(`env.sleep_i32(${x}) -> ${r}`); return r; }
    pending = { x, r };
    const view = new DataView(exports.memory.buffer);
    view.setUint32(DATA, DATA + 8, true);
    view.setUint32(DATA + 4, DATA + SIZE, true);
    exports.asyncify_start_unwind(DATA);
    phase = 'unwinding';
    return 0x5a5a5a5a;
  },
};
const { instance } = await WebAssembly.instantiate(fs.readFileSync(file), { env });
exports = instance.exports;
let result = exports[entry](Number(arg));
while (asyncify && exports.asyncify_get_state() === 1) {
  if (phase !== 'unwinding') fail('state 1 without a pause');
  exports.asyncify_stop_unwind();
  pauses++;
  phase = 'rewinding';
  exports.asyncify_start_rewind(DATA);
  result = exports[entry](Number(arg));
}
if (asyncify && exports.asyncify_get_state() !== 0) fail('returned while rewinding');
if (pending) fail('returned with a pause pending');
console.log(JSON.stringify({ log, result, pauses }));
"#;

/// What one run in node produced.
#[derive(Debug, PartialEq)]
struct NodeRun {
    log: Vec<String>,
    result: i64,
    pauses: u64,
}

/// Whether node can be used; panics with instructions if it is missing (unless
/// `ASYNCIFY_SKIP_NODE=1`).
fn node_available() -> bool {
    if std::env::var("ASYNCIFY_SKIP_NODE").as_deref() == Ok("1") {
        eprintln!("ASYNCIFY_SKIP_NODE=1: not running the legacy exception tests in node");
        return false;
    }
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`node` not found: the legacy exception tests run in Node.js (wasmtime does not \
         implement legacy exceptions). Install Node.js or set ASYNCIFY_SKIP_NODE=1."
    );
    true
}

fn run_in_node(wasm: &[u8], entry: &str, arg: i32, asyncify: bool) -> Result<NodeRun, String> {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("asyncify-features");
    std::fs::create_dir_all(&dir).unwrap();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let stem = format!("node-{}-{n}", std::process::id());
    let host = dir.join(format!("{stem}.mjs"));
    let module = dir.join(format!("{stem}.wasm"));
    std::fs::write(&host, NODE_HOST).unwrap();
    std::fs::write(&module, wasm).unwrap();
    let output = Command::new("node")
        .arg(&host)
        .arg(&module)
        .arg(entry)
        .arg(arg.to_string())
        .arg(if asyncify { "asyncify" } else { "reference" })
        .output()
        .map_err(|e| format!("running node: {e}"))?;
    let _ = std::fs::remove_file(&host);
    let _ = std::fs::remove_file(&module);
    if !output.status.success() {
        return Err(format!(
            "node failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_node_output(&String::from_utf8_lossy(&output.stdout))
}

/// Parse the host's one-line JSON (strings without escapes, integers).
fn parse_node_output(text: &str) -> Result<NodeRun, String> {
    let text = text.trim();
    let field = |key: &str| -> Result<&str, String> {
        let start = text
            .find(&format!("\"{key}\":"))
            .ok_or_else(|| format!("no `{key}` in node output: {text}"))?
            + key.len()
            + 3;
        Ok(&text[start..])
    };
    let log_text = field("log")?;
    let log_text = &log_text[1..log_text.find(']').ok_or("unterminated log")?];
    let log = log_text
        .split("\",\"")
        .map(|s| s.trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let number = |key: &str| -> Result<i64, String> {
        let rest = field(key)?;
        let end = rest
            .find(|c: char| c != '-' && !c.is_ascii_digit())
            .unwrap_or(rest.len());
        rest[..end]
            .parse()
            .map_err(|e| format!("bad `{key}` in node output ({e}): {text}"))
    };
    Ok(NodeRun {
        log,
        result: number("result")?,
        pauses: number("pauses")? as u64,
    })
}

/// A pause inside a legacy `try` body, with exceptions thrown and caught before the pause and
/// after the resume, a `rethrow` caught by a `try` whose body pauses, and an exception thrown
/// by a callee right after it resumed, caught by the caller (whose code after the `try` must
/// then run normally). Runs in node.
#[test]
fn legacy_try_pauses_with_exceptions_before_and_after() {
    let optimize_modes = ours("legacy exceptions");
    if optimize_modes.is_empty() || !node_available() {
        return;
    }
    let program = wat_program("exceptions_legacy.wat");
    for n in [1, 8] {
        let reference = run_in_node(&program, "run", n, false)
            .unwrap_or_else(|e| panic!("reference run failed: {e}"));
        for &optimize in &optimize_modes {
            let wasm = transform(&program, &options(&[SLEEP_I32], optimize));
            let run = run_in_node(&wasm, "run", n, true)
                .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
            assert_eq!(run.log, reference.log, "[{}] log", name(optimize));
            assert_eq!(run.result, reference.result, "[{}] result", name(optimize));
            // Every call of the import paused (rounds that throw first never reach it).
            let calls = reference
                .log
                .iter()
                .filter(|l| l.starts_with("env.sleep_i32("))
                .count();
            assert_eq!(run.pauses, calls as u64, "[{}] pauses", name(optimize));
            assert!(run.pauses >= n as u64, "[{}] pauses", name(optimize));
        }
    }
}

/// The exceptions program really throws (and catches) both before the pause (odd rounds:
/// the handler's log comes right after the round's first log) and after the resume (the
/// handler's log comes right after the log that follows the pause), rethrows, and has a
/// resumed callee throw out of the paused call.
#[test]
fn legacy_exceptions_program_covers_both_throws() {
    if !node_available() {
        return;
    }
    let program = wat_program("exceptions_legacy.wat");
    let reference = run_in_node(&program, "run", 8, false).unwrap();
    let marker = |l: &str| {
        ["(100)", "(101)", "(200)", "(201)"]
            .iter()
            .any(|m| l.ends_with(m))
    };
    let handler_after = |first: &str| {
        reference
            .log
            .windows(2)
            .any(|w| w[0] == first && w[1].starts_with("env.log_i32(") && !marker(&w[1]))
    };
    assert!(handler_after("env.log_i32(100)"), "{:?}", reference.log);
    assert!(handler_after("env.log_i32(101)"), "{:?}", reference.log);
    assert!(
        reference.log.iter().any(|l| l == "env.log_i32(201)"),
        "{:?}",
        reference.log
    );
    // The exception thrown by the resumed callee reaches the caller's handler (300), and
    // the caller's code after the `try` runs (301).
    assert!(
        reference
            .log
            .windows(2)
            .any(|w| w == ["env.log_i32(300)", "env.log_i32(301)"]),
        "{:?}",
        reference.log
    );
}

/// A `delegate` past the handler of a `try` whose body pauses must still skip that handler
/// after the instrumentation wraps the delegating `try` in a guard. Runs in node.
#[test]
fn legacy_delegate_past_a_pausing_try() {
    let optimize_modes = ours("legacy exceptions");
    if optimize_modes.is_empty() || !node_available() {
        return;
    }
    let program = wat_program("delegate_depth.wat");
    for n in [1, 2] {
        let reference = run_in_node(&program, "run", n, false)
            .unwrap_or_else(|e| panic!("reference run failed: {e}"));
        if n == 1 {
            assert_eq!(reference.log, ["env.log_i32(2)"]);
        }
        for &optimize in &optimize_modes {
            let wasm = transform(&program, &options(&[SLEEP_I32], optimize));
            let run = run_in_node(&wasm, "run", n, true)
                .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
            assert_eq!(run.log, reference.log, "[{}] n={n} log", name(optimize));
            assert_eq!(run.result, reference.result, "[{}] n={n}", name(optimize));
        }
    }
}

/// A minimal wasmtime driver with its own engine, for programs the shared harness's engine
/// cannot load: imports `env.sleep_i32` (pauses at every call when `asyncify`) and
/// `env.log_i32`. Returns the log, the result and the number of pauses.
mod own_engine {
    use wasmtime::{Caller, Engine, Linker, Module, Store, Val};

    #[derive(Default)]
    struct State {
        asyncify: bool,
        phase: u8, // 0 normal, 1 unwinding, 2 rewinding
        pending: Option<(i32, i32)>,
        counter: u32,
        log: Vec<String>,
    }

    const DATA: i32 = 4096;
    const SIZE: i32 = 4096;

    fn value(x: i32, n: u32) -> i32 {
        let mut h = (x as u32).wrapping_mul(0x9e37_79b1) ^ (n + 1).wrapping_mul(0x85eb_ca6b);
        h = (h ^ (h >> 15)).wrapping_mul(0x2c1b_3c6d);
        (h ^ (h >> 12)) as i32
    }

    fn call(caller: &mut Caller<'_, State>, name: &str, args: &[Val]) -> wasmtime::Result<()> {
        let f = caller
            .get_export(name)
            .and_then(|e| e.into_func())
            .ok_or_else(|| wasmtime::Error::msg(format!("no export {name}")))?;
        f.call(&mut *caller, args, &mut [])
    }

    /// The error, with the innermost wasm frame as `frame: FUNC_INDEX@MODULE_OFFSET`.
    fn describe(e: wasmtime::Error) -> String {
        let frame = e
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .and_then(|bt| {
                bt.frames()
                    .first()
                    .map(|f| format!("frame: {}@{:?}", f.func_index(), f.module_offset()))
            })
            .unwrap_or_else(|| "frame: none".to_string());
        format!("{frame}\n{e:?}")
    }

    pub fn run(
        engine: &Engine,
        wasm: &[u8],
        entry: &str,
        arg: i32,
        asyncify: bool,
    ) -> Result<(Vec<String>, i32, usize), String> {
        let module = Module::new(engine, wasm).map_err(|e| format!("{e:?}"))?;
        let mut linker: Linker<State> = Linker::new(engine);
        linker
            .func_wrap("env", "log_i32", |mut c: Caller<'_, State>, x: i32| {
                if c.data().phase != 0 {
                    return Err(wasmtime::Error::msg(format!(
                        "log_i32({x}) called in phase {}",
                        c.data().phase
                    )));
                }
                c.data_mut().log.push(format!("env.log_i32({x})"));
                Ok(())
            })
            .unwrap();
        linker
            .func_wrap(
                "env",
                "sleep_i32",
                |mut c: Caller<'_, State>, x: i32| -> wasmtime::Result<i32> {
                    match c.data().phase {
                        1 => Err(wasmtime::Error::msg("sleep_i32 called while unwinding")),
                        2 => {
                            let (px, r) = c.data_mut().pending.take().unwrap();
                            if px != x {
                                return Err(wasmtime::Error::msg(format!(
                                    "rewind reached sleep_i32({x}), paused at sleep_i32({px})"
                                )));
                            }
                            c.data_mut().phase = 0;
                            call(&mut c, "asyncify_stop_rewind", &[])?;
                            c.data_mut().log.push(format!("env.sleep_i32({x}) -> {r}"));
                            Ok(r)
                        }
                        _ => {
                            let n = c.data().counter;
                            c.data_mut().counter += 1;
                            let r = value(x, n);
                            if !c.data().asyncify {
                                c.data_mut().log.push(format!("env.sleep_i32({x}) -> {r}"));
                                return Ok(r);
                            }
                            c.data_mut().pending = Some((x, r));
                            // The program's memory, or the one asyncify added.
                            let memory = c
                                .get_export("memory")
                                .or_else(|| c.get_export("asyncify_memory"))
                                .and_then(|e| e.into_memory())
                                .ok_or_else(|| wasmtime::Error::msg("no memory export"))?;
                            let mut header = [0u8; 8];
                            header[..4].copy_from_slice(&(DATA + 8).to_le_bytes());
                            header[4..].copy_from_slice(&(DATA + SIZE).to_le_bytes());
                            memory.write(&mut c, DATA as usize, &header)?;
                            call(&mut c, "asyncify_start_unwind", &[Val::I32(DATA)])?;
                            c.data_mut().phase = 1;
                            Ok(0x5a5a_5a5a)
                        }
                    }
                },
            )
            .unwrap();
        let mut store = Store::new(
            engine,
            State {
                asyncify,
                ..Default::default()
            },
        );
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| format!("{e:?}"))?;
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, entry)
            .map_err(|e| format!("{e:?}"))?;
        let _ = store.set_fuel(u64::MAX / 2); // engines with fuel (the harness's) need some
        let mut result = f.call(&mut store, arg).map_err(describe)?;
        let mut pauses = 0;
        if asyncify {
            let state = instance
                .get_typed_func::<(), i32>(&mut store, "asyncify_get_state")
                .unwrap();
            let stop = instance
                .get_typed_func::<(), ()>(&mut store, "asyncify_stop_unwind")
                .unwrap();
            let rewind = instance
                .get_typed_func::<i32, ()>(&mut store, "asyncify_start_rewind")
                .unwrap();
            while state.call(&mut store, ()).unwrap() == 1 {
                stop.call(&mut store, ()).map_err(|e| format!("{e:?}"))?;
                pauses += 1;
                rewind
                    .call(&mut store, DATA)
                    .map_err(|e| format!("{e:?}"))?;
                store.data_mut().phase = 2;
                result = f.call(&mut store, arg).map_err(describe)?;
            }
            if store.data().pending.is_some() {
                return Err("returned with a pause pending".into());
            }
        }
        Ok((std::mem::take(&mut store.data_mut().log), result, pauses))
    }
}

/// The engine for the exception tests: exceptions need wasmtime's GC support.
fn exceptions_engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config.wasm_exceptions(true).wasm_tail_call(true);
    wasmtime::Engine::new(&config).unwrap_or_else(|e| {
        panic!(
            "cannot create a wasmtime engine with exceptions: {e}\n(the wasmtime dev-dependency \
             needs one of its collector features, e.g. `gc-null`, for exceptions to run)"
        )
    })
}

/// A pause inside a `try_table` body, with exceptions thrown and caught (through the catch
/// clauses' branches) before the pause and after the resume.
#[test]
fn try_table_pauses_with_exceptions_before_and_after() {
    let engine = exceptions_engine();
    let program = wat_program("exceptions_try_table.wat");
    for n in [1, 6] {
        let reference = own_engine::run(&engine, &program, "run", n, false)
            .unwrap_or_else(|e| panic!("reference run failed: {e}"));
        for optimize in ours("try_table") {
            let wasm = transform(&program, &options(&[SLEEP_I32], optimize));
            let (log, result, pauses) = own_engine::run(&engine, &wasm, "run", n, true)
                .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
            assert_eq!(log, reference.0, "[{}] log", name(optimize));
            assert_eq!(result, reference.1, "[{}] result", name(optimize));
            let calls = reference
                .0
                .iter()
                .filter(|l| l.starts_with("env.sleep_i32("))
                .count();
            assert_eq!(pauses, calls, "[{}] pauses", name(optimize));
        }
    }
}

/// The own-engine driver works (checked on the tail-call program with the harness's engine).
#[test]
fn own_engine_driver_agrees_with_the_harness() {
    let program = wat_program("tail_calls.wat");
    let engine = support::host::engine();
    let (ref_log, ref_result, _) = own_engine::run(engine, &program, "run", 6, false).unwrap();
    assert_eq!(ref_log.len(), 6 + 7 + 1, "{ref_log:?}"); // 6 sleeps, 7 countdown logs, 1 -4
    for optimize in ours("tail calls") {
        let wasm = transform(&program, &options(&[SLEEP_I32], optimize));
        let (log, result, pauses) = own_engine::run(engine, &wasm, "run", 6, true)
            .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        assert_eq!(
            (log, result, pauses),
            (ref_log.clone(), ref_result, 6),
            "[{}]",
            name(optimize)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --asserts.

/// `--remove-list` wrongly excludes `$middle`, which is on the pause path. With `--asserts`
/// the run traps, and the trap is the check in `$middle` right after the call that started
/// the unwind: an `unreachable` (the only kind of trap the check makes) with `$middle` as
/// the innermost frame, before `$middle` could log anything while unwinding.
#[test]
fn asserts_trap_in_a_function_wrongly_removed_from_instrumentation() {
    let program = wat_program("asserts_remove_list.wat");
    let calls = [Call::new("run", &i32s(&[5]))];
    let host = || HostConfig {
        async_imports: lines(&[SLEEP_I32]),
        ..Default::default()
    };
    for optimize in ours("--asserts") {
        let mut opts = options(&[SLEEP_I32], optimize);
        opts.remove_list = lines(&["middle"]);

        // Without the checks the host notices code running while unwinding (control).
        let unchecked = transform(&program, &opts);
        match Session::new(&unchecked, host()).and_then(|mut s| s.run(&calls)) {
            Err(RunError::Protocol(m)) if m.contains("while unwinding") => {}
            other => panic!(
                "[{}] without --asserts expected a protocol violation, got {other:?}",
                name(optimize)
            ),
        }

        opts.asserts = true;
        let checked = transform(&program, &opts);
        match Session::new(&checked, host()).and_then(|mut s| s.run(&calls)) {
            Err(RunError::Trap {
                trap,
                detail,
                during,
            }) => {
                assert_eq!(
                    trap,
                    wasmtime::Trap::UnreachableCodeReached,
                    "[{}] {detail}",
                    name(optimize)
                );
                assert_eq!(during, "export run", "[{}]", name(optimize));
            }
            other => panic!(
                "[{}] with --asserts expected a trap in `middle`, got {other:?}",
                name(optimize)
            ),
        }

        // The innermost frame is `$middle` (function 3), at an `unreachable` that is not in
        // its input body: the check added after `call $leaf`.
        let err = own_engine::run(support::host::engine(), &checked, "run", 5, true)
            .expect_err("the checked module must trap");
        let frame = err
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("frame: "))
            .unwrap_or_else(|| panic!("[{}] no frame: {err}", name(optimize)));
        let (func, offset) = frame.split_once('@').unwrap();
        assert_eq!(
            func,
            "3",
            "[{}] trap not in `middle`: {err}",
            name(optimize)
        );
        let offset: usize = offset
            .trim_start_matches("Some(")
            .trim_end_matches(')')
            .parse()
            .unwrap_or_else(|e| panic!("[{}] offset {offset}: {e}", name(optimize)));
        let middle_out = functions(&checked).bodies_at[1].clone();
        assert!(
            middle_out.contains(&offset),
            "[{}] trap offset {offset} not in `middle` ({middle_out:?})",
            name(optimize)
        );
        assert_eq!(
            checked[offset],
            0x00,
            "[{}] not an `unreachable`",
            name(optimize)
        );
        let middle_in = functions(&program).bodies[1].clone();
        let mut ops = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(&middle_in, 0))
            .get_operators_reader()
            .unwrap();
        while !ops.eof() {
            assert!(!matches!(
                ops.read().unwrap(),
                wasmparser::Operator::Unreachable
            ));
        }

        // When nothing pauses the checks never fire and the program behaves as before.
        let never = Equiv::default().policy(PausePolicy::Never).min_pauses(0);
        let reference = run_reference(&program, &calls, &[SLEEP_I32], &never).unwrap();
        let outcome = Session::new(
            &checked,
            HostConfig {
                policy: PausePolicy::Never,
                ..host()
            },
        )
        .and_then(|mut s| s.run(&calls))
        .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        support::equiv::compare(&reference, &outcome, &calls, 0)
            .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
    }
}

/// A correct program transformed with `--asserts` still pauses and resumes correctly: the
/// checks in the functions that are not instrumented never fire.
#[test]
fn asserts_leave_a_correct_program_working() {
    let program = wat_program("stack_values.wat");
    let imports = ["env.sleep", "env.sleep_i32", "env.sleep_i64"];
    let calls = [Call::new("run", &i32s(&[5]))];
    let reference = run_reference(&program, &calls, &imports, &Equiv::default()).unwrap();
    for optimize in ours("--asserts") {
        let mut opts = options(&imports, optimize);
        opts.asserts = true;
        let wasm = transform(&program, &opts);
        let outcome = Session::new(
            &wasm,
            HostConfig {
                async_imports: lines(&imports),
                ..Default::default()
            },
        )
        .and_then(|mut s| s.run(&calls))
        .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        support::equiv::compare(&reference, &outcome, &calls, 1)
            .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
    }
}

/// The blog's in-module runtime example still prints 1 2 3 with `--asserts` (Binaryen traps
/// there: it checks the runtime functions, which change the state on purpose), and the
/// `get_state` variant still prints 0 1 2 3 4 5 6 7 0.
#[test]
fn asserts_with_in_module_runtime_blog_example() {
    for optimize in ours("--asserts with an in-module runtime") {
        // Every import may pause (the default), with the level's optimization and epilogues.
        let mut opts = asyncify::Options {
            asserts: true,
            ..options(&[], optimize)
        };
        (opts.imports, opts.ignore_imports) = (None, false);
        let wasm = transform(&wat_program("blog_pure.wat"), &opts);
        let log = start_function_log(&wasm).unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        assert_eq!(log, prints(&[1, 2, 3]), "[{}]", name(optimize));

        opts.ignore_imports = true;
        let wasm = transform(&wat_program("blog_get_state.wat"), &opts);
        let log = start_function_log(&wasm).unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        assert_eq!(
            log,
            prints(&[0, 1, 2, 3, 4, 5, 6, 7, 0]),
            "[{}]",
            name(optimize)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// In-module runtimes.

/// `asyncify.get_state` read from inside wasm: 0 in normal execution, 1 after `start_unwind`
/// (in the pausing runtime function and in the scheduler after the unwind), 0 after
/// `stop_unwind`, 2 after `start_rewind` and in the runtime function re-entered while
/// rewinding, 0 after `stop_rewind`.
#[test]
fn get_state_from_inside_wasm() {
    let program = wat_program("get_state.wat");
    // Untransformed, the harness's no-op asyncify.* imports make get_state 0 throughout.
    let log = start_function_log(&program).unwrap();
    assert_eq!(
        log,
        prints(&[0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0])
    );
    for optimize in ours("get_state") {
        let wasm = transform(&program, &options(&[], optimize));
        let log = start_function_log(&wasm).unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        assert_eq!(
            log,
            prints(&[0, 0, 42, 0, 1, 1, 0, 2, 42, 2, 0, 0, 0]),
            "[{}]",
            name(optimize)
        );
    }
}

/// A module without a memory and an in-module runtime: the transform adds a memory and
/// exports it as `asyncify_memory`; the host puts the data structure there (the module has no
/// memory instructions to do it) and the runtime works: 1 2 3. Without the data structure
/// ({pos: 0, end: 0}) the first unwind overflows and traps.
#[test]
fn no_memory_in_module_runtime() {
    use wasmtime::{Caller, Linker, Module, Store};
    let program = wat_program("no_memory_runtime.wat");
    let run = |wasm: &[u8], set_up: bool| -> Result<Vec<i32>, String> {
        let engine = support::host::engine();
        let module = Module::new(engine, wasm).map_err(|e| format!("{e:?}"))?;
        let mut linker: Linker<Vec<i32>> = Linker::new(engine);
        linker
            .func_wrap(
                "spectest",
                "print",
                |mut c: Caller<'_, Vec<i32>>, x: i32| c.data_mut().push(x),
            )
            .unwrap();
        let mut store = Store::new(engine, Vec::new());
        let _ = store.set_fuel(u64::MAX / 2);
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| format!("{e:?}"))?;
        if set_up {
            let memory = instance
                .get_memory(&mut store, "asyncify_memory")
                .ok_or("no `asyncify_memory` export")?;
            let mut header = [0u8; 8];
            header[..4].copy_from_slice(&24u32.to_le_bytes());
            header[4..].copy_from_slice(&1024u32.to_le_bytes());
            memory
                .write(&mut store, 16, &header)
                .map_err(|e| e.to_string())?;
        }
        instance
            .get_typed_func::<(), ()>(&mut store, "run")
            .map_err(|e| e.to_string())?
            .call(&mut store, ())
            .map_err(|e| format!("{e:?}"))?;
        Ok(store.into_data())
    };
    for optimize in ours("an in-module runtime") {
        let wasm = transform(&program, &options(&[], optimize));
        let mut memories = 0;
        let mut memory_exports = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            match payload.unwrap() {
                wasmparser::Payload::MemorySection(r) => {
                    for m in r {
                        let m = m.unwrap();
                        assert_eq!((m.initial, m.memory64), (1, false), "[{}]", name(optimize));
                        memories += 1;
                    }
                }
                wasmparser::Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.unwrap();
                        if e.kind == wasmparser::ExternalKind::Memory {
                            memory_exports.push(e.name.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        assert_eq!(memories, 1, "[{}] one memory added", name(optimize));
        assert_eq!(memory_exports, ["asyncify_memory"], "[{}]", name(optimize));
        let printed = run(&wasm, true).unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        assert_eq!(printed, [1, 2, 3], "[{}]", name(optimize));
        match run(&wasm, false) {
            Err(e) if e.contains("unreachable") && e.contains("asyncify_") => {}
            other => panic!(
                "[{}] without a data structure the unwind must trap in asyncify's check, got \
                 {other:?}",
                name(optimize)
            ),
        }
    }
}

/// A module without a memory, paused from the host: the host finds the added memory under
/// `asyncify_memory` and runs the program equivalently to the original.
#[test]
fn no_memory_module_paused_by_the_host() {
    let program = wat::parse_str(
        r#"(module
            (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
            (import "env" "log_i32" (func $log (param i32)))
            (func $step (param $x i32) (result i32)
              (i32.add (local.get $x) (i32.and (call $sleep (local.get $x)) (i32.const 0xff))))
            (func (export "run") (param $n i32) (result i32)
              (local $acc i32)
              (loop $next
                (local.set $acc (call $step (local.get $acc)))
                (call $log (local.get $acc))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br_if $next (local.get $n)))
              (local.get $acc)))"#,
    )
    .unwrap();
    let engine = support::host::engine();
    let reference = own_engine::run(engine, &program, "run", 5, false).unwrap();
    for optimize in ours("a module without memory") {
        let wasm = transform(&program, &options(&[SLEEP_I32], optimize));
        let outcome = own_engine::run(engine, &wasm, "run", 5, true)
            .unwrap_or_else(|e| panic!("[{}] {e}", name(optimize)));
        assert_eq!(
            outcome,
            (reference.0.clone(), reference.1, 5),
            "[{}]",
            name(optimize)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Reference-typed locals.

/// A function with funcref and externref locals that are never live across a pause
/// transforms and runs (the references are not saved, nothing else changes).
#[test]
fn reference_locals_not_live_across_pauses() {
    let program = wat_program("ref_locals.wat");
    for n in [2, 3] {
        let reports = assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP_I32],
            &Equiv::default().ours_only(),
        );
        for r in reports {
            assert_eq!(r.outcome.pauses, 4, "[{}]", r.transformer);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Untouched code of a real C program.

/// Function bodies (locals and code, as raw bytes) and type indices of the defined
/// functions, the number of function imports, and function names by index.
struct Functions {
    imports: u32,
    types: Vec<u32>,
    bodies: Vec<Vec<u8>>,
    /// Where each body is in the module.
    bodies_at: Vec<std::ops::Range<usize>>,
    names: HashMap<u32, String>,
    exports: Vec<(String, u32)>,
}

fn functions(wasm: &[u8]) -> Functions {
    let mut f = Functions {
        imports: 0,
        types: Vec::new(),
        bodies: Vec::new(),
        bodies_at: Vec::new(),
        names: HashMap::new(),
        exports: Vec::new(),
    };
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    if matches!(import.unwrap().ty, wasmparser::TypeRef::Func(_)) {
                        f.imports += 1;
                    }
                }
            }
            wasmparser::Payload::FunctionSection(r) => {
                f.types = r.into_iter().map(|t| t.unwrap()).collect();
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                f.bodies.push(wasm[body.range()].to_vec());
                f.bodies_at.push(body.range());
            }
            wasmparser::Payload::ExportSection(r) => {
                for e in r {
                    let e = e.unwrap();
                    if e.kind == wasmparser::ExternalKind::Func {
                        f.exports.push((e.name.to_string(), e.index));
                    }
                }
            }
            wasmparser::Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader {
                        if let wasmparser::Name::Function(map) = sub.unwrap() {
                            for naming in map {
                                let naming = naming.unwrap();
                                f.names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    f
}

/// The functions `--verbose` says can change the state (defined or imported), by name.
fn can_pause(diagnostics: &[asyncify::Diagnostic]) -> BTreeSet<String> {
    diagnostics
        .iter()
        .filter(|d| d.level == asyncify::Level::Info)
        .filter_map(|d| {
            d.message
                .split_once(" can change the state")
                .map(|(name, _)| name.to_string())
        })
        .collect()
}

/// Compile a small C program with clang-16 and transform it: every defined function that is
/// not instrumented has exactly the bytes it had (locals and code), at the same index and
/// with the same type; the instrumented ones changed; the output's functions are the input's
/// in the same order followed by new ones (the five API functions, in ABI order, and any
/// helpers); the input's exports still name the same indices. Both with and without
/// `--ignore-indirect`.
#[test]
fn clang_program_untouched_functions_are_identical() {
    let Some(program) = c_program("untouched.c") else {
        return;
    };
    let input = functions(&program);
    assert!(
        input.bodies.len() > 20,
        "expected libc in the program, got {} functions",
        input.bodies.len()
    );
    for optimize in ours("the clang program") {
        for ignore_indirect in [false, true] {
            let label = format!("{} ignore_indirect={ignore_indirect}", name(optimize));
            let opts = asyncify::Options {
                ignore_indirect,
                verbose: true,
                ..options(&["env.sleep_ms"], optimize)
            };
            let result =
                asyncify::transform(&program, &opts).unwrap_or_else(|e| panic!("[{label}] {e}"));
            support::validate(&result.wasm).unwrap();
            let paused = can_pause(&result.diagnostics);
            let output = functions(&result.wasm);

            assert_eq!(output.imports, input.imports, "[{label}] imports");
            let n = input.bodies.len();
            // Only appended functions: the five API functions and any helpers.
            assert!(output.bodies.len() >= n + 5, "[{label}] function count");
            assert_eq!(&output.types[..n], &input.types[..], "[{label}] types");
            for (name, index) in &input.exports {
                assert!(
                    output.exports.contains(&(name.clone(), *index)),
                    "[{label}] export {name} no longer names function {index}"
                );
            }
            let api: Vec<&str> = output
                .exports
                .iter()
                .filter(|(_, i)| *i >= input.imports + n as u32)
                .map(|(name, _)| name.as_str())
                .collect();
            assert_eq!(
                api,
                [
                    "asyncify_start_unwind",
                    "asyncify_stop_unwind",
                    "asyncify_start_rewind",
                    "asyncify_stop_rewind",
                    "asyncify_get_state"
                ],
                "[{label}]"
            );

            let mut untouched = 0;
            let mut instrumented = Vec::new();
            for i in 0..n {
                let index = input.imports + i as u32;
                let fname = input
                    .names
                    .get(&index)
                    .cloned()
                    .unwrap_or_else(|| index.to_string());
                assert_eq!(
                    output.names.get(&index),
                    input.names.get(&index),
                    "[{label}] name of function {index}"
                );
                if paused.contains(&fname) {
                    assert_ne!(
                        output.bodies[i], input.bodies[i],
                        "[{label}] `{fname}` can pause but was not changed"
                    );
                    instrumented.push(fname);
                } else {
                    assert!(
                        output.bodies[i] == input.bodies[i],
                        "[{label}] `{fname}` (function {index}) is not instrumented but its \
                         body changed"
                    );
                    untouched += 1;
                }
            }
            for f in ["wait_and_add", "run"] {
                assert!(
                    instrumented.iter().any(|i| i == f),
                    "[{label}] {instrumented:?}"
                );
            }
            for f in ["mix", "fill", "checksum", "pure"] {
                assert!(!paused.contains(f), "[{label}] `{f}` cannot pause");
            }
            assert!(
                untouched > 10,
                "[{label}] only {untouched} untouched functions"
            );
            eprintln!(
                "[{label}] {untouched} functions untouched, {} instrumented",
                instrumented.len()
            );
        }
    }
}

/// The same C program really pauses and resumes (so the byte-for-byte check above is about a
/// working transform).
#[test]
fn clang_program_runs_equivalently() {
    let Some(program) = c_program("untouched.c") else {
        return;
    };
    let reports = assert_equivalent(
        &program,
        "run",
        &i32s(&[7]),
        &["env.sleep_ms"],
        &Equiv::default().ours_only(),
    );
    for r in reports {
        assert_eq!(r.outcome.pauses, 7, "[{}]", r.transformer);
        assert!(
            r.outcome.stdout.starts_with("run 7 -> "),
            "{}",
            r.outcome.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Values recomputed instead of spilled.

/// A `local.get` value below a pause whose local is written before the pause, inside the
/// pausing element, by the pause's result, in a pausing loop or arm, or between two pauses:
/// the value the program sees must be the one read at the `local.get`.
#[test]
fn recomputed_stack_values_see_the_original_local() {
    let program = wat_program("recompute_hazards.wat");
    for n in [10, 11] {
        let reports = assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP_I32],
            &Equiv::default(),
        );
        for r in reports {
            assert_eq!(r.outcome.pauses, 9, "[{}]", r.transformer);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Custom sections.

/// Custom sections keep their place among the other sections (wasmprinter cannot show the
/// exact place of a custom section between the function and the memory sections, so the
/// filetest `preserve/custom-sections.wat` cannot either): each custom section follows the
/// same known section as in the input, with the same contents.
#[test]
fn custom_sections_keep_their_place() {
    let program = wat::parse_str(
        r#"(module
            (@custom "first" (before first) "at the start")
            (@custom "after-func" (after func) "between function and memory")
            (@custom "after-data" (after data) "after the data")
            (import "env" "sleep" (func $sleep))
            (memory 1)
            (func $main (export "main") (call $sleep))
            (data (i32.const 8) "x")
            (@custom "last" (after last) "at the end"))"#,
    )
    .unwrap();
    // (custom section name, id of the last non-custom section before it, contents)
    let placed = |wasm: &[u8]| -> Vec<(String, Option<u8>, Vec<u8>)> {
        let mut last = None;
        let mut out = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            let payload = payload.unwrap();
            if let wasmparser::Payload::CustomSection(c) = &payload {
                if c.name() != "name" {
                    out.push((c.name().to_string(), last, c.data().to_vec()));
                }
            } else if let Some((id, _)) = payload.as_section() {
                last = Some(id);
            }
        }
        out
    };
    let before = placed(&program);
    assert_eq!(before.len(), 4);
    for optimize in ours("custom sections") {
        let wasm = transform(&program, &options(&["env.sleep"], optimize));
        assert_eq!(placed(&wasm), before, "[{}]", name(optimize));
    }
}

// ---------------------------------------------------------------------------------------------
// `--split huge`.

/// A module with a function over `split::HUGE` instructions and a small one, both pausing:
/// `$huge` runs `n` rounds of a long straight-line update of four locals, pausing every 80
/// updates with the locals live across the pause; `$small` pauses once. `run(n)` logs both
/// results.
fn huge_and_small_program() -> Vec<u8> {
    let mut body = String::new();
    for i in 0..2_400 {
        let (dst, src) = (i % 4, (i + 1) % 4);
        body.push_str(&format!(
            "(local.set $v{dst} (i32.add (i32.mul (local.get $v{dst}) (i32.const {})) \
             (i32.xor (local.get $v{src}) (i32.const {}))))\n",
            2 * i + 3,
            i * 7919
        ));
        if i % 80 == 79 {
            body.push_str(&format!(
                "(local.set $v{src} (i32.add (local.get $v{src}) (call $sleep (local.get $v{dst}))))\n"
            ));
        }
    }
    let wat = format!(
        r#"(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $huge (param $n i32) (result i32)
    (local $v0 i32) (local $v1 i32) (local $v2 i32) (local $v3 i32)
    (local.set $v0 (local.get $n))
    (loop $round
      {body}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $round (i32.gt_s (local.get $n) (i32.const 0))))
    (i32.xor (i32.xor (local.get $v0) (local.get $v1)) (i32.xor (local.get $v2) (local.get $v3))))
  (func $small (param $x i32) (result i32)
    (i32.add (call $sleep (local.get $x)) (local.get $x)))
  (func (export "run") (param $n i32)
    (call $log (call $huge (local.get $n)))
    (call $log (call $small (local.get $n)))))"#
    );
    wat::parse_str(wat).unwrap()
}

/// `--split huge` gives the huge function a copy for rewinding and leaves the small one whole,
/// and the module pauses and resumes in both exactly as the input runs (every pause, and
/// pauses at random).
#[test]
fn split_huge_splits_only_the_huge_function() {
    if ours("--split huge").is_empty() {
        return;
    }
    let program = huge_and_small_program();
    let options = asyncify::Options {
        imports: Some(vec![SLEEP_I32.to_string()]),
        optimize: 2,
        split: Some(asyncify::Split::Huge),
        ..Default::default()
    };
    let output = asyncify::transform(&program, &options).unwrap();
    support::validate(&output.wasm).unwrap();
    let analysis = &output.analysis;
    let rewind_copy = |name: &str| {
        let f = analysis.find(name).unwrap();
        analysis.frames[f].as_ref().unwrap().rewind_copy.clone()
    };
    assert_eq!(rewind_copy("huge").as_deref(), Some("huge$rewind"));
    assert_eq!(rewind_copy("small"), None);
    // The same options without `--split`, and with `-O0`: nothing split, or refused.
    let whole = asyncify::transform(
        &program,
        &asyncify::Options {
            split: None,
            ..options.clone()
        },
    )
    .unwrap();
    assert!(
        whole
            .analysis
            .frames
            .iter()
            .flatten()
            .all(|f| f.rewind_copy.is_none())
    );
    let unoptimized = asyncify::Options {
        optimize: 0,
        ..options.clone()
    };
    let refused = asyncify::transform(&program, &unoptimized).unwrap_err();
    assert!(refused.to_string().contains("needs `-O1`"), "{refused}");

    let transformers = [support::Transformer::OursSplitHuge];
    for (n, pauses) in [(1, 31), (2, 61)] {
        let reports = assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP_I32],
            &Equiv::default().transformers(&transformers),
        );
        assert_eq!(reports[0].outcome.pauses, pauses);
    }
    assert_equivalent(
        &program,
        "run",
        &i32s(&[3]),
        &[SLEEP_I32],
        &Equiv::default()
            .transformers(&transformers)
            .policy(PausePolicy::Random {
                seed: 11,
                percent: 30,
            }),
    );
}

// ---------------------------------------------------------------------------------------------
// The output's type section.

/// The types asyncify appends (its helpers' signatures, the API functions') appear once
/// each: a module whose own types are distinct comes out with distinct types, at every level
/// (the prefix helpers need two more signatures at `-O`).
#[test]
fn appended_types_are_not_duplicated() {
    let program = wat_program("recursion.wat");
    let signatures = |wasm: &[u8]| -> Vec<String> {
        let mut out = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmparser::Payload::TypeSection(reader) = payload.unwrap() {
                for group in reader {
                    for sub in group.unwrap().into_types() {
                        out.push(format!("{:?}", sub.composite_type));
                    }
                }
            }
        }
        out
    };
    let input = signatures(&program);
    assert_eq!(
        input.iter().collect::<BTreeSet<_>>().len(),
        input.len(),
        "the input has duplicate types"
    );
    for optimize in ours("the output's types") {
        let wasm = transform(&program, &options(&[], optimize));
        let output = signatures(&wasm);
        let distinct: BTreeSet<&String> = output.iter().collect();
        assert_eq!(
            distinct.len(),
            output.len(),
            "[{}] {output:#?}",
            name(optimize)
        );
    }
}
