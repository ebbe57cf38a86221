//! Runtime tests: transformed modules really pause and resume correctly.
//!
//! Each test transforms a program from `tests/programs/` with every transformer of
//! `support::transformers()` (ours, unoptimized and `-O`; Binaryen instead with
//! `ASYNCIFY_HARNESS_REF=binaryen`), runs it in wasmtime with a host that unwinds at async
//! imports and rewinds later, and compares the transcript with the untransformed program run
//! synchronously. See `tests/support/` for the harness.

mod support;

use support::{
    BufferPlacement, Call, Equiv, HostConfig, PausePolicy, RunError, Session, Transformer, Value,
    assert_equivalent, assert_equivalent_calls, c_program, for_each_transformer, reference_mode,
    run_reference, transformers, try_transform, wat_program,
};

const SLEEP: &str = "env.sleep";
const SLEEP_I32: &str = "env.sleep_i32";
const SLEEP_I64: &str = "env.sleep_i64";
const SLEEP_F32: &str = "env.sleep_f32";
const SLEEP_F64: &str = "env.sleep_f64";
const SLEEP_V128: &str = "env.sleep_v128";

fn i32s(v: &[i32]) -> Vec<Value> {
    v.iter().map(|&x| Value::I32(x)).collect()
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. The blog's examples.

/// The blog's pure-wasm example (in-module runtime, start function): prints 1 2 3.
/// Transformed with the default import list (every import may pause), as in the blog.
#[test]
fn blog_pure_wasm_prints_1_2_3() {
    let program = wat_program("blog_pure.wat");
    for_each_transformer(
        |_| true,
        |t| {
            let wasm =
                try_transform(t, &program, &Default::default()).map_err(|e| format!("{e:#}"))?;
            let session = Session::new(
                &wasm,
                HostConfig {
                    asyncify: false,
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
            let log = session.background_log();
            let expected = lines(&[
                "spectest.print(1)",
                "spectest.print(2)",
                "spectest.print(3)",
            ]);
            if log == expected {
                Ok(())
            } else {
                Err(format!("printed {log:?}, expected {expected:?}"))
            }
        },
    );
}

/// The blog's note: without instrumentation (the asyncify.* calls doing nothing), main cannot
/// pause and the example prints 1 3 2 1 3. Checks the harness and the program, not a transform.
#[test]
fn blog_pure_wasm_uninstrumented_prints_1_3_2_1_3() {
    let program = wat_program("blog_pure.wat");
    let session = Session::new(
        &program,
        HostConfig {
            asyncify: false,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let printed: Vec<String> = session.background_log();
    assert_eq!(
        printed,
        lines(&[
            "spectest.print(1)",
            "spectest.print(3)",
            "spectest.print(2)",
            "spectest.print(1)",
            "spectest.print(3)"
        ])
    );
}

/// The get_state variant: our transform replaces `asyncify.get_state` imports; Binaryen does
/// not support them (wasm-opt 108: "Fatal: call to unidenfied asyncify import: get_state"),
/// so this runs with our transform only.
#[test]
fn blog_get_state_variant_ours_only() {
    let program = wat_program("blog_get_state.wat");
    if reference_mode() {
        eprintln!("skipped: Binaryen does not support asyncify.get_state imports");
        return;
    }
    for_each_transformer(
        |t| !t.is_binaryen(),
        |t| {
            let wasm =
                try_transform(t, &program, &Default::default()).map_err(|e| format!("{e:#}"))?;
            let session = Session::new(
                &wasm,
                HostConfig {
                    asyncify: false,
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
            let log = session.background_log();
            let expected: Vec<String> = [0, 1, 2, 3, 4, 5, 6, 7, 0]
                .iter()
                .map(|n| format!("spectest.print({n})"))
                .collect();
            if log == expected {
                Ok(())
            } else {
                Err(format!("printed {log:?}, expected {expected:?}"))
            }
        },
    );
}

/// Binaryen 108 pitfall from the notes: `-O --asyncify` inlines the sleep helper into main,
/// which then counts as runtime code and is not instrumented: 1 3 2 1 3. Documents why the
/// harness runs `--asyncify -O`. Runs only when Binaryen is selected.
#[test]
fn binaryen_optimizing_before_asyncify_breaks_blog_example() {
    if !transformers().iter().any(|t| t.is_binaryen()) {
        eprintln!("skipped: only runs with ASYNCIFY_HARNESS_REF=binaryen or all");
        return;
    }
    let input = support::transform::scratch_path("blog", "wasm");
    let output = support::transform::scratch_path("blog-o", "wasm");
    std::fs::write(&input, wat_program("blog_pure.wat")).unwrap();
    let status = std::process::Command::new("wasm-opt")
        .arg(&input)
        .args(["-all", "-O", "--asyncify", "-o"])
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    let wasm = std::fs::read(&output).unwrap();
    support::validate(&wasm).unwrap();
    let session = Session::new(
        &wasm,
        HostConfig {
            asyncify: false,
            ..Default::default()
        },
    )
    .unwrap();
    let printed = session.background_log();
    assert_eq!(
        printed.len(),
        5,
        "expected Binaryen's broken 1 3 2 1 3, got {printed:?}"
    );
}

/// The blog's JS example driven by the wasmtime host: the buffer at address 16 (end 1024) as
/// in the blog, and an event handled while main is paused.
#[test]
fn blog_js_example_event_while_paused() {
    let program = wat_program("blog_js.wat");
    let reports = assert_equivalent(
        &program,
        "main",
        &[],
        &[SLEEP],
        &Equiv::default()
            .placement(BufferPlacement::At(16))
            .buffer_size(1024 - 16)
            .between("event"),
    );
    for r in reports {
        // Pause markers end with " (N bytes saved)", which depends on the transformer.
        let transcript: Vec<&str> = r
            .outcome
            .transcript
            .iter()
            .map(|l| l.split(" (").next().unwrap())
            .collect();
        assert_eq!(
            transcript,
            [
                "[0] env.before()",
                "[0] ~~ paused at env.sleep(2000)",
                "[between] env.event()",
                "[0] env.sleep(2000)",
                "[0] env.after()"
            ],
            "[{}]",
            r.transformer
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2-4, 7. Operand stack, control flow, loops, types.

#[test]
fn operand_stack_values_across_pauses() {
    let program = wat_program("stack_values.wat");
    for n in [5, -77] {
        let reports = assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP, SLEEP_I32, SLEEP_I64],
            &Equiv::default(),
        );
        assert!(reports.iter().all(|r| r.outcome.pauses == 25));
    }
}

#[test]
fn control_flow_blocks_loops_ifs_br_table() {
    let program = wat_program("control_flow.wat");
    for n in [6, 11] {
        assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP, SLEEP_I32, SLEEP_I64],
            &Equiv::default(),
        );
    }
}

/// An interpreter's dispatch loop: the fetch before the dispatch blocks shares their guard,
/// and rewinds still resume in the right case with the registers restored.
#[test]
fn dispatch_loop_pauses_in_cases() {
    let program = wat_program("dispatch_loop.wat");
    for n in [1, 3] {
        assert_equivalent(
            &program,
            "run",
            &i32s(&[n]),
            &[SLEEP, SLEEP_I32],
            &Equiv::default(),
        );
    }
}

/// Rewinds to a pause point after a chain of plain blocks jump there from the innermost block
/// (a `br_table` on the call index): every case of a dispatch, a nested chain, a value below a
/// chain block, and a chain without a run to hang the jump on.
#[test]
fn rewind_jumps_reach_every_level() {
    let program = wat_program("rewind_jumps.wat");
    assert_equivalent(
        &program,
        "run",
        &i32s(&[12]),
        &[SLEEP, SLEEP_I32],
        &Equiv::default(),
    );
}

/// Blocks, loops and ifs with params. Binaryen cannot read block params: ours only.
#[test]
fn block_params_across_pauses_ours_only() {
    let program = wat_program("block_params.wat");
    assert_equivalent(
        &program,
        "run",
        &i32s(&[6]),
        &[SLEEP, SLEEP_I32, SLEEP_I64],
        &Equiv::default().ours_only(),
    );
}

#[test]
fn innermost_loops_and_every_result_type() {
    let program = wat_program("loops_types.wat");
    let reports = assert_equivalent(
        &program,
        "run",
        &i32s(&[3]),
        &[SLEEP, SLEEP_I32, SLEEP_I64, SLEEP_F32, SLEEP_F64],
        &Equiv::default(),
    );
    // 3 * 3 * 4 innermost iterations with one pause each, plus 3 in the outer loop.
    assert!(
        reports.iter().all(|r| r.outcome.pauses == 39),
        "{:?}",
        reports.iter().map(|r| r.outcome.pauses).collect::<Vec<_>>()
    );
}

#[test]
fn every_numeric_type_live_across_pauses() {
    let program = wat_program("all_types.wat");
    let imports = [SLEEP, SLEEP_I32, SLEEP_F64, SLEEP_V128];
    // Ordinary values, then a NaN with payload and -0.0 as arguments.
    let args = [
        vec![
            Value::I32(-123_456_789),
            Value::I64(0x7edc_ba98_7654_3210),
            Value::f32(2.5),
            Value::f64(-1e300),
        ],
        vec![
            Value::I32(i32::MIN),
            Value::I64(-1),
            Value::F32(0x7fc0_1234),
            Value::f64(-0.0),
        ],
    ];
    for a in &args {
        let reports = assert_equivalent(&program, "run", a, &imports, &Equiv::default());
        for r in reports {
            assert_eq!(r.outcome.results[0].len(), 4);
        }
    }
}

/// The same programs with pauses at pseudo-random subsets of the async calls.
#[test]
fn random_pause_subsets() {
    let cases: [(&str, &str, Vec<Value>, &[&str]); 6] = [
        (
            "stack_values.wat",
            "run",
            i32s(&[9]),
            &[SLEEP, SLEEP_I32, SLEEP_I64],
        ),
        (
            "control_flow.wat",
            "run",
            i32s(&[3]),
            &[SLEEP, SLEEP_I32, SLEEP_I64],
        ),
        (
            "loops_types.wat",
            "run",
            i32s(&[3]),
            &[SLEEP, SLEEP_I32, SLEEP_I64, SLEEP_F32, SLEEP_F64],
        ),
        ("recursion.wat", "run", i32s(&[120]), &[SLEEP, SLEEP_I32]),
        ("dispatch_loop.wat", "run", i32s(&[2]), &[SLEEP, SLEEP_I32]),
        ("rewind_jumps.wat", "run", i32s(&[12]), &[SLEEP, SLEEP_I32]),
    ];
    for (file, entry, args, imports) in cases {
        let program = wat_program(file);
        for seed in [1, 2, 3] {
            eprintln!("{file} seed {seed}");
            assert_equivalent(
                &program,
                entry,
                &args,
                imports,
                &Equiv::default().policy(PausePolicy::Random { seed, percent: 40 }),
            );
        }
    }
}

/// With no pause at all, transformed modules behave exactly like the originals.
#[test]
fn no_pauses_behaves_identically() {
    let never = Equiv::default().policy(PausePolicy::Never).min_pauses(0);
    assert_equivalent(
        &wat_program("stack_values.wat"),
        "run",
        &i32s(&[3]),
        &[SLEEP, SLEEP_I32, SLEEP_I64],
        &never,
    );
    assert_equivalent(
        &wat_program("control_flow.wat"),
        "run",
        &i32s(&[4]),
        &[SLEEP, SLEEP_I32, SLEEP_I64],
        &never,
    );
}

// ---------------------------------------------------------------------------------------------
// 5, 9. Recursion and the asyncify stack.

#[test]
fn deep_recursion_pauses_at_bottom_and_on_the_way_up() {
    let program = wat_program("recursion.wat");
    let reports = assert_equivalent(
        &program,
        "run",
        &i32s(&[600]),
        &[SLEEP, SLEEP_I32],
        &Equiv::default().buffer_size(1 << 20),
    );
    for r in reports {
        // 2 pauses at the bottom, 12 on the way up (levels 600, 550, ..., 50).
        assert_eq!(r.outcome.pauses, 14, "[{}]", r.transformer);
        // At least a call index per frame was saved at the bottom.
        assert!(
            r.outcome.max_stack_used >= 601 * 4,
            "[{}] {}",
            r.transformer,
            r.outcome.max_stack_used
        );
    }
}

fn run_recursion(
    t: Transformer,
    depth: i32,
    buffer_size: u32,
) -> Result<support::Outcome, RunError> {
    let options = Equiv::default().buffer_size(buffer_size);
    support::run_transformed(
        t,
        &wat_program("recursion.wat"),
        &[Call::new("run", &i32s(&[depth]))],
        &[SLEEP, SLEEP_I32],
        &options,
    )
}

/// A buffer far too small for 600 frames: unwinding must trap (Binaryen's asyncify functions
/// execute `unreachable` when pos > end), never return a result.
#[test]
fn asyncify_stack_overflow_traps() {
    for_each_transformer(
        |_| true,
        |t| match run_recursion(t, 600, 64) {
            Err(RunError::Trap { during, .. }) => {
                eprintln!("[{t}] trapped as expected during {during}");
                Ok(())
            }
            Err(RunError::Transform(e)) => Err(e),
            Err(other) => Err(format!("expected a trap, got {other}")),
            Ok(o) => Err(format!(
                "expected a trap, the run succeeded with {:?}",
                o.results
            )),
        },
    );
}

/// The overflow check is exact: a buffer of exactly the bytes one unwind needs works, one
/// byte less traps.
#[test]
fn asyncify_stack_exact_fit() {
    let program = wat_program("recursion.wat");
    let reference = run_reference(
        &program,
        &[Call::new("run", &i32s(&[200]))],
        &[SLEEP, SLEEP_I32],
        &Equiv::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for_each_transformer(
        |_| true,
        |t| {
            let big = run_recursion(t, 200, 1 << 20).map_err(|e| e.to_string())?;
            let need = big.max_stack_used;
            let exact = run_recursion(t, 200, need + 8)
                .map_err(|e| format!("with exactly {need} bytes: {e}"))?;
            if exact.results != reference.results || exact.logs != reference.logs {
                return Err(format!(
                    "with exactly {need} bytes the run differs from the reference"
                ));
            }
            match run_recursion(t, 200, need + 8 - 1) {
                Err(RunError::Trap { .. }) => Ok(()),
                Err(other) => Err(format!(
                    "{} bytes (1 too few): expected a trap, got {other}",
                    need - 1
                )),
                Ok(_) => Err(format!(
                    "{} bytes (1 too few): expected a trap, the run succeeded",
                    need - 1
                )),
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Indirect calls.

#[test]
fn call_indirect_to_pausing_and_non_pausing_functions() {
    let program = wat_program("indirect.wat");
    let reports = assert_equivalent(
        &program,
        "run",
        &i32s(&[5]),
        &[SLEEP_I32, SLEEP_I64],
        &Equiv::default(),
    );
    // Entries 0 and 2 pause, 1 and 3 do not: 10 of the 20 i32 calls, plus 4 of the 7 i64 calls.
    assert!(reports.iter().all(|r| r.outcome.pauses == 14));
}

/// ignore-indirect is sound when only non-pausing functions are called indirectly.
#[test]
fn ignore_indirect_with_direct_pauses_only() {
    let program = wat_program("indirect.wat");
    assert_equivalent(
        &program,
        "direct_only",
        &i32s(&[8]),
        &[SLEEP_I32, SLEEP_I64],
        &Equiv::default().ignore_indirect(),
    );
}

/// A table that only a non-pausing function's `table.set` fills: the analysis must still see
/// that function's body to know the indirect call can pause.
#[test]
fn table_filled_by_a_function_that_never_pauses() {
    let program = wat_program("table_written_by_setup.wat");
    assert_equivalent(
        &program,
        "run",
        &i32s(&[9]),
        &[SLEEP_I32],
        &Equiv::default(),
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Coroutines.

#[test]
fn coroutines_interleaved_with_own_buffers() {
    let program = wat_program("coroutines.wat");
    let calls: Vec<Call> = [(0, 10), (1, 7), (2, 13), (3, 1)]
        .iter()
        .map(|&(id, n)| Call::new("worker", &i32s(&[id, n])))
        .collect();
    for policy in [
        PausePolicy::Always,
        PausePolicy::Random {
            seed: 7,
            percent: 50,
        },
    ] {
        let reports = assert_equivalent_calls(
            &program,
            &calls,
            &["env.sleep_i32", "env.sleep_f64"],
            &Equiv::default().policy(policy),
        );
        for r in reports {
            assert!(
                r.outcome.max_live >= 3,
                "[{}] coroutines did not interleave: {:?}",
                r.transformer,
                r.outcome.transcript
            );
            if policy == PausePolicy::Always {
                assert!(r.outcome.pauses_per_call.iter().all(|&p| p > 0));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 10. A real C program.

#[test]
fn c_qsort_pauses_in_libc_callbacks() {
    let Some(program) = c_program("qsort.c") else {
        return;
    };
    for policy in [
        PausePolicy::Always,
        PausePolicy::Random {
            seed: 11,
            percent: 30,
        },
    ] {
        let reports = assert_equivalent(
            &program,
            "run",
            &[Value::I32(40), Value::I32(12345)],
            &["env.sleep_ms"],
            &Equiv::default().policy(policy),
        );
        for r in reports {
            let out = &r.outcome.stdout;
            assert!(
                out.starts_with("sorting 40 items\n") && out.contains("found 14 of 14 by bsearch"),
                "[{}] stdout:\n{out}",
                r.transformer
            );
            assert!(
                r.outcome.pauses >= 50,
                "[{}] only {} pauses",
                r.transformer,
                r.outcome.pauses
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Harness self-checks.

/// A function with side effects around a pause, wrongly excluded from instrumentation
/// (remove-list), keeps running after the unwind starts: the host must notice.
#[test]
fn harness_detects_uninstrumented_frames() {
    let program = wat_program("control_flow.wat");
    let options = Equiv::default().remove_list(&["misc"]);
    for_each_transformer(
        |_| true,
        |t| match support::run_transformed(
            t,
            &program,
            &[Call::new("run", &i32s(&[1]))],
            &[SLEEP, SLEEP_I32, SLEEP_I64],
            &options,
        ) {
            Err(RunError::Protocol(m)) if m.contains("while unwinding") => Ok(()),
            Err(RunError::Transform(e)) => Err(e),
            Err(other) => Err(format!(
                "expected an 'unwinding' protocol violation, got {other}"
            )),
            Ok(_) => Err("the broken module ran without the host noticing".into()),
        },
    );
}

/// The pausing host refuses an untransformed module clearly.
#[test]
fn harness_rejects_untransformed_module() {
    let program = wat_program("stack_values.wat");
    let config = HostConfig {
        async_imports: lines(&[SLEEP, SLEEP_I32, SLEEP_I64]),
        ..Default::default()
    };
    let err = Session::new(&program, config)
        .unwrap()
        .run(&[Call::new("run", &i32s(&[1]))])
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not export asyncify_start_unwind"),
        "{err}"
    );
}

/// ignore-indirect is unsound when a pause happens behind an indirect call: the frames above
/// it are not instrumented and keep running during the unwind. The host must say so instead
/// of producing a wrong transcript.
#[test]
fn harness_detects_unsound_ignore_indirect() {
    let program = wat_program("indirect.wat");
    let options = Equiv::default().ignore_indirect();
    for_each_transformer(
        |_| true,
        |t| match support::run_transformed(
            t,
            &program,
            &[Call::new("run", &i32s(&[2]))],
            &[SLEEP_I32, SLEEP_I64],
            &options,
        ) {
            Err(RunError::Protocol(m)) if m.contains("while unwinding") => Ok(()),
            Err(RunError::Transform(e)) => Err(e),
            Err(other) => Err(format!(
                "expected an 'unwinding' protocol violation, got {other}"
            )),
            Ok(_) => Err("the broken module ran without the host noticing".into()),
        },
    );
}
