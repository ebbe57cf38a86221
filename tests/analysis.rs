//! The analyses behind the instrumentation decision, checked against reality.
//!
//! - Indirect-call narrowing is sound: programs whose pausing functions are reached only
//!   through tables (element segments, `table.set`, `table.copy`, `table.init`, computed
//!   references) pause and resume exactly like the untransformed program runs, and calls
//!   that narrowing leaves uninstrumented really never pause. A C program through function
//!   pointers too.
//! - The decision follows the rules of `src/analysis/indirect.rs` case by case (shared
//!   tables, `--closed-world`, `call_ref`, the lists, `--ignore-indirect`).
//! - The static asyncify stack bound is never below what the host measures, and equal to
//!   it for simple chains; recursion that can pause is reported as unbounded.
//! - A buffer one byte too small traps in `asyncify_push_frame` before anything past `end`
//!   is written, leaving `pos` at the bytes that were needed.

mod support;

use asyncify::Options;
use asyncify::analysis::save_groups::FrameKind;
use asyncify::analysis::stack_bound::Bound;
use asyncify::report::Analysis;
use support::{Call, HostConfig, Outcome, PausePolicy, Session, Value};

fn i32s(v: &[i32]) -> Vec<Value> {
    v.iter().map(|&x| Value::I32(x)).collect()
}

fn options(imports: &[&str]) -> Options {
    Options {
        imports: Some(imports.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn analyze(wasm: &[u8], options: &Options) -> Analysis {
    asyncify::transform(wasm, options)
        .unwrap_or_else(|e| panic!("{e}"))
        .analysis
}

fn index(analysis: &Analysis, name: &str) -> usize {
    analysis
        .find(name)
        .unwrap_or_else(|e| panic!("{}", e.message()))
}

fn instrumented(analysis: &Analysis, name: &str) -> bool {
    analysis.decision.instrumented(index(analysis, name))
}

/// The names of the instrumented functions, sorted.
fn instrumented_set(analysis: &Analysis) -> Vec<String> {
    let mut names: Vec<String> = (0..analysis.functions.len())
        .filter(|&f| analysis.decision.instrumented(f))
        .map(|f| analysis.functions[f].name.clone())
        .collect();
    names.sort();
    names
}

/// Run `program` untransformed, then transformed with `options` (unoptimized, `-O`, `-O3`)
/// under the pausing host, and check both behave the same and the transformed run paused.
/// Returns the transformed runs' outcomes and analyses.
#[track_caller]
fn assert_equivalent(
    program: &[u8],
    calls: &[Call],
    async_imports: &[&str],
    options: &Options,
) -> Vec<(Outcome, Analysis)> {
    let host = |asyncify| HostConfig {
        asyncify,
        async_imports: async_imports.iter().map(|s| s.to_string()).collect(),
        policy: PausePolicy::Always,
        ..Default::default()
    };
    let reference = Session::new(program, host(false))
        .and_then(|mut s| s.run(calls))
        .unwrap_or_else(|e| panic!("reference run: {e}"));
    let mut runs = Vec::new();
    for optimize in [0, 2, 3] {
        let options = Options {
            optimize,
            ..options.clone()
        };
        let output = asyncify::transform(program, &options).unwrap_or_else(|e| panic!("{e}"));
        support::validate(&output.wasm).unwrap();
        let outcome = Session::new(&output.wasm, host(true))
            .and_then(|mut s| s.run(calls))
            .unwrap_or_else(|e| panic!("-O{optimize}: {e}"));
        if let Err(e) = support::equiv::compare(&reference, &outcome, calls, 1) {
            panic!("-O{optimize}: {e}");
        }
        runs.push((outcome, output.analysis));
    }
    runs
}

// ---------------------------------------------------------------------------------------------
// Narrowing is sound: pausing functions reached only through tables.

/// `$slow_inc` and `$slow_neg` pause and are reached only through the table; `$double` and
/// `$square` share their type but never pause. Nothing calls an import directly on the way.
const TABLE_ONLY: &str = r#"
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (type $op (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $double $slow_inc $square $slow_neg)
  (memory (export "memory") 1)
  (func $double (type $op) (i32.shl (local.get 0) (i32.const 1)))
  (func $square (type $op) (i32.mul (local.get 0) (local.get 0)))
  (func $slow_inc (type $op) (local $y i32)
    (local.set $y (i32.add (local.get 0) (i32.const 1)))
    (call $log (i32.and (call $sleep (local.get 0)) (i32.const 0xff)))
    (local.get $y))
  (func $slow_neg (type $op) (local $y i32)
    (local.set $y (i32.sub (i32.const 0) (local.get 0)))
    (drop (call $sleep (local.get $y)))
    (local.get $y))
  (func $apply (param $i i32) (param $x i32) (result i32)
    (call_indirect (type $op) (local.get $x) (local.get $i)))
  (func $run (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (local.set $acc (i32.const 3))
    (loop $next
      (local.set $acc
        (i32.and
          (call $apply (i32.rem_u (local.get $i) (i32.const 4))
                       (i32.add (local.get $acc) (local.get $i)))
          (i32.const 0xffff)))
      (call $log (local.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
"#;

#[test]
fn function_reached_only_through_the_table_pauses_and_resumes() {
    let program = wat(TABLE_ONLY);
    let runs = assert_equivalent(
        &program,
        &[Call::new("run", &i32s(&[9]))],
        &["env.sleep_i32"],
        &options(&["env.sleep_i32"]),
    );
    for (outcome, analysis) in &runs {
        // 9 calls, entries 1 and 3 pause: i = 1, 3, 5, 7.
        assert_eq!(outcome.pauses, 4);
        assert_eq!(
            instrumented_set(analysis),
            ["apply", "run", "slow_inc", "slow_neg"]
        );
    }
}

/// A function whose only indirect call can reach nothing that pauses stays uninstrumented
/// (it runs between pauses, never during one); Binaryen's rule instruments it.
#[test]
fn narrowed_indirect_call_stays_uninstrumented() {
    let program = wat(r#"
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (type $cmp (func (param i32 i32) (result i32)))
  (type $op (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $less $greater $slow)
  (memory (export "memory") 1)
  (func $less (type $cmp) (i32.lt_s (local.get 0) (local.get 1)))
  (func $greater (type $cmp) (i32.gt_s (local.get 0) (local.get 1)))
  ;; Pauses, but has another type: a call of type $cmp cannot reach it.
  (func $slow (type $op) (call $sleep (local.get 0)))
  (func $compare (param $which i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $cmp) (local.get $a) (local.get $b) (local.get $which)))
  (func $run (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (i32.add (local.get $acc)
        (call $compare (i32.and (local.get $i) (i32.const 1)) (local.get $i) (i32.const 4))))
      (local.set $acc (i32.add (local.get $acc) (i32.and (call $sleep (local.get $i)) (i32.const 7))))
      (call $log (local.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
"#);
    let runs = assert_equivalent(
        &program,
        &[Call::new("run", &i32s(&[7]))],
        &["env.sleep_i32"],
        &options(&["env.sleep_i32"]),
    );
    for (outcome, analysis) in &runs {
        assert_eq!(outcome.pauses, 7);
        assert_eq!(instrumented_set(analysis), ["run", "slow"]);
        let compare = index(analysis, "compare");
        assert!(analysis.frames[compare].is_none());
        assert!(!analysis.decision.indirect_pauses_in(compare));
    }
    let binaryen_rule = Options {
        no_narrow_indirect: true,
        ..options(&["env.sleep_i32"])
    };
    assert_eq!(
        instrumented_set(&analyze(&program, &binaryen_rule)),
        ["compare", "run", "slow"]
    );
}

/// Functions put in the table by code: `table.set` of a `ref.func` (a known value), of a
/// reference read from a global (a computed value: any function whose reference is taken),
/// `table.copy` from a table filled by a passive segment through `table.init`.
#[test]
fn table_writes_are_followed() {
    let program = wat(r#"
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (type $op (func (param i32) (result i32)))
  (table $t 4 funcref)
  (table $spare 2 funcref)
  (elem (i32.const 0) $quiet)
  (elem $later func $via_init)
  (elem declare func $via_set)
  (global $stash funcref (ref.func $via_global))
  (memory (export "memory") 1)
  (func $quiet (type $op) (i32.add (local.get 0) (i32.const 100)))
  (func $via_set (type $op) (call $sleep (local.get 0)))
  (func $via_global (type $op) (i32.add (call $sleep (local.get 0)) (i32.const 1)))
  (func $via_init (type $op) (i32.sub (call $sleep (local.get 0)) (i32.const 1)))
  (func $call (param $slot i32) (param $x i32) (result i32)
    (call_indirect $t (type $op) (local.get $x) (local.get $slot)))
  (func $run (export "run") (result i32) (local $acc i32)
    (local.set $acc (call $call (i32.const 0) (i32.const 1)))
    (table.set $t (i32.const 1) (ref.func $via_set))
    (table.set $t (i32.const 2) (global.get $stash))
    (table.init $spare $later (i32.const 0) (i32.const 0) (i32.const 1))
    (table.copy $t $spare (i32.const 3) (i32.const 0) (i32.const 1))
    (local.set $acc (i32.add (local.get $acc) (call $call (i32.const 1) (i32.const 2))))
    (call $log (local.get $acc))
    (local.set $acc (i32.add (local.get $acc) (call $call (i32.const 2) (i32.const 3))))
    (call $log (local.get $acc))
    (local.set $acc (i32.add (local.get $acc) (call $call (i32.const 3) (i32.const 4))))
    (call $log (local.get $acc))
    (i32.and (local.get $acc) (i32.const 0xffff))))
"#);
    let runs = assert_equivalent(
        &program,
        &[Call::new("run", &[])],
        &["env.sleep_i32"],
        &options(&["env.sleep_i32"]),
    );
    for (outcome, analysis) in &runs {
        assert_eq!(outcome.pauses, 3);
        let t = &analysis.indirect.tables[0];
        assert!(t.unknown_writes && !t.foreign, "{t:?}");
        assert!(instrumented(analysis, "call") && instrumented(analysis, "run"));
    }
}

/// A C program calling through function pointers: handlers in a table of callbacks, some
/// pausing, and qsort with a comparator that does not pause. Narrowed with `--imports`, it
/// instruments fewer functions than Binaryen's rule and behaves the same.
#[test]
fn c_function_pointers_narrowed() {
    let Some(program) = c_program("function_pointers.c") else {
        return;
    };
    let imports = ["env.sleep_ms"];
    let calls = [Call::new("run", &i32s(&[12]))];
    let runs = assert_equivalent(&program, &calls, &imports, &options(&imports));
    let binaryen_rule = Options {
        no_narrow_indirect: true,
        ..options(&imports)
    };
    let all = instrumented_set(&analyze(&program, &binaryen_rule));
    for (outcome, analysis) in &runs {
        assert!(
            outcome.stdout.contains("handled 12 events"),
            "{}",
            outcome.stdout
        );
        assert!(outcome.pauses >= 6, "{} pauses", outcome.pauses);
        let narrowed = instrumented_set(analysis);
        eprintln!(
            "function pointers: {} instrumented with narrowing, {} without",
            narrowed.len(),
            all.len()
        );
        assert!(narrowed.len() < all.len(), "{narrowed:?} vs {all:?}");
        assert!(narrowed.iter().all(|f| all.contains(f)));
        for f in ["dispatch", "slow_handler", "run"] {
            assert!(narrowed.iter().any(|n| n == f), "{f} not in {narrowed:?}");
        }
        assert!(!narrowed.iter().any(|n| n == "qsort"), "{narrowed:?}");
        let bound = bound_bytes(analysis, "run");
        eprintln!(
            "function pointers: bound {bound}, measured {}",
            outcome.max_stack_used
        );
        assert!(u64::from(outcome.max_stack_used) <= bound);
    }
}

/// Compile `tests/analysis_programs/NAME` (C) like the runtime tests compile theirs.
fn c_program(name: &str) -> Option<Vec<u8>> {
    if std::env::var("ASYNCIFY_SKIP_CLANG").as_deref() == Ok("1") {
        eprintln!("ASYNCIFY_SKIP_CLANG=1: not compiling {name}; this test checks nothing");
        return None;
    }
    let bin = std::path::PathBuf::from(
        std::env::var("ASYNCIFY_LLVM_BIN").unwrap_or_else(|_| "/usr/lib/llvm-16/bin".into()),
    );
    let sysroot = std::env::var("ASYNCIFY_WASI_SYSROOT").unwrap_or_else(|_| "/usr".into());
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/analysis_programs")
        .join(name);
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "analysis-{}-{}.wasm",
        name.trim_end_matches(".c"),
        std::process::id()
    ));
    let result = std::process::Command::new(bin.join("clang"))
        .env("PATH", &bin)
        .arg("--target=wasm32-wasi")
        .arg(format!("--sysroot={sysroot}"))
        .arg(format!("-fuse-ld={}", bin.join("wasm-ld").display()))
        .args(["-O2", "-mexec-model=reactor", "-Wall", "-Werror", "-o"])
        .arg(&out)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "running clang in {}: {e} (set ASYNCIFY_SKIP_CLANG=1)",
                bin.display()
            )
        });
    assert!(
        result.status.success(),
        "compiling {name} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let wasm = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    Some(wasm)
}

// ---------------------------------------------------------------------------------------------
// The narrowing rules, case by case.

/// A module with a table `$t`, a pausing `$sleepy` and a quiet `$quiet` in it, and
/// `$dispatch` calling through it; `extra` adds to the module.
fn dispatch_module(extra: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module
  (import "env" "sleep" (func $sleep))
  (import "env" "other" (func $other))
  (type $v (func))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $quiet)
  (memory 1)
  (func $sleepy (call $sleep))
  (func $quiet)
  (func $dispatch (export "dispatch") (param $i i32)
    (call_indirect $t (type $v) (local.get $i)))
  {extra})"#
    ))
}

#[test]
fn closed_table_narrows_by_contents() {
    let a = analyze(&dispatch_module(""), &options(&["env.sleep"]));
    assert!(!instrumented(&a, "dispatch"));
    // Put $sleepy in the table: now it can pause.
    let a = analyze(
        &dispatch_module("(elem (table $t) (i32.const 1) func $sleepy)"),
        &options(&["env.sleep"]),
    );
    assert!(instrumented(&a, "dispatch"));
}

#[test]
fn shared_tables_reach_foreign_functions() {
    for shared in [
        "(export \"t\" (table $t))",
        "(import \"env\" \"t\" (table $t 2 funcref))",
    ] {
        let module = if shared.starts_with("(export") {
            dispatch_module(shared)
        } else {
            // An imported table replaces the defined one.
            wat(&format!(
                r#"(module
  (import "env" "sleep" (func $sleep))
  {shared}
  (type $v (func))
  (memory 1)
  (func $quiet)
  (func $dispatch (export "dispatch") (param $i i32)
    (call_indirect $t (type $v) (local.get $i))))"#
            ))
        };
        // The host can store a function of its own that pauses: Binaryen's answer.
        let a = analyze(&module, &options(&["env.sleep"]));
        assert!(instrumented(&a, "dispatch"), "{shared}");
        assert!(a.indirect.tables[0].foreign);
        // No import can pause: neither can the host's functions.
        let a = analyze(&module, &options(&["env.nothing"]));
        assert!(!instrumented(&a, "dispatch"), "{shared}");
        // The host only stores the module's own functions and imports: those of type $v
        // are `$quiet`, `$dispatch`'s callers... and the import `env.sleep` itself, which
        // can pause.
        let closed = Options {
            closed_world: true,
            ..options(&["env.sleep"])
        };
        let a = analyze(&module, &closed);
        assert!(
            instrumented(&a, "dispatch"),
            "{shared}: env.sleep is an import of type $v"
        );
        // With only a non-pausing import of that type, closed world narrows.
        let closed = Options {
            closed_world: true,
            ..options(&["env.other_that_does_not_exist"])
        };
        assert!(!instrumented(&analyze(&module, &closed), "dispatch"));
    }
    // Exported table, pausing import of another type: closed world narrows it away.
    let module = wat(r#"(module
  (import "env" "sleep" (func $sleep (param i32)))
  (type $v (func))
  (table $t (export "t") 1 funcref)
  (memory 1)
  (func $quiet (export "quiet"))
  (func $unknown)
  (func $dispatch (export "dispatch") (param $i i32)
    (call_indirect $t (type $v) (local.get $i))))"#);
    let closed = Options {
        closed_world: true,
        ..options(&["env.sleep"])
    };
    let a = analyze(&module, &closed);
    assert!(!instrumented(&a, "dispatch"));
    // The host can store exported `$quiet`; `$unknown` is not exported and its reference is
    // never taken; `$dispatch` is exported but has another type.
    let c = &a.indirect.classes[0];
    assert_eq!(
        c.targets
            .iter()
            .map(|&f| a.functions[f].name.as_str())
            .collect::<Vec<_>>(),
        ["quiet"]
    );
    assert!(instrumented(
        &analyze(&module, &options(&["env.sleep"])),
        "dispatch"
    ));
}

#[test]
fn call_ref_reaches_referenced_functions_of_its_type() {
    let module = |extra: &str| {
        wat(&format!(
            r#"(module
  (import "env" "sleep" (func $sleep))
  (type $v (func))
  (import "env" "g" (global $g (ref null $v)))
  (memory 1)
  (elem declare func $quiet)
  (func $sleepy (type $v) (call $sleep))
  (func $quiet (type $v))
  (func $go (export "go") (call_ref $v (global.get $g)))
  (func $get (export "get") (result funcref) (ref.func $quiet))
  {extra})"#
        ))
    };
    // Whether `go` is instrumented. (Saving the typed reference `call_ref` takes from the
    // stack is not supported everywhere yet: a failure to instrument `go` counts as yes.)
    let go_pauses = |wasm: &[u8], options: &Options| match asyncify::transform(wasm, options) {
        Ok(output) => instrumented(&output.analysis, "go"),
        Err(e) => {
            let text = format!("{}: {:?}", e.message(), e.causes());
            assert!(text.contains("`go`"), "{text}");
            true
        }
    };
    // The imported global brings references from outside: the host can pass anything.
    assert!(go_pauses(&module(""), &options(&["env.sleep"])));
    let closed = Options {
        closed_world: true,
        ..options(&["env.sleep"])
    };
    // Closed world: `$quiet` (referenced), the exported functions of type $v and the
    // import `env.sleep`... which pauses.
    assert!(go_pauses(&module(""), &closed));
    let quiet_import = |extra: &str| {
        wat(&format!(
            r#"(module
  (import "env" "sleep" (func $sleep (param i32)))
  (type $v (func))
  (import "env" "g" (global $g (ref null $v)))
  (memory 1)
  (elem declare func $quiet)
  (func $sleepy (type $v) (call $sleep (i32.const 1)))
  (func $quiet (type $v))
  (func $go (export "go") (call_ref $v (global.get $g)))
  {extra})"#
        ))
    };
    // The pausing import has another type and `$sleepy`'s reference is never taken.
    let a = analyze(&quiet_import(""), &closed);
    assert!(!instrumented(&a, "go"), "{}", a.explain("go").unwrap());
    // Once it is, `go` can pause.
    assert!(go_pauses(
        &quiet_import("(global funcref (ref.func $sleepy))"),
        &closed
    ));
}

#[test]
fn lists_and_flags_keep_their_meaning() {
    let module = dispatch_module("(elem (table $t) (i32.const 1) func $sleepy)");
    let with = |f: &dyn Fn(&mut Options)| {
        let mut o = options(&["env.sleep"]);
        f(&mut o);
        instrumented_set(&analyze(&module, &o))
    };
    assert_eq!(with(&|_| {}), ["dispatch", "sleepy"]);
    // The remove-list: a removed target does not pause, so the call does not either.
    assert_eq!(
        with(&|o| o.remove_list = vec!["sleepy".into()]),
        Vec::<String>::new()
    );
    // --ignore-indirect wins over narrowing.
    assert_eq!(with(&|o| o.ignore_indirect = true), ["sleepy"]);
    // --ignore-indirect with the add-list: the listed function's indirect calls pause.
    let a = {
        let mut o = options(&["env.sleep"]);
        o.ignore_indirect = true;
        o.add_list = vec!["dispatch".into()];
        analyze(&module, &o)
    };
    assert!(a.decision.indirect_pauses_in(index(&a, "dispatch")));
    // The only-list decides alone.
    assert_eq!(with(&|o| o.only_list = vec!["quiet".into()]), ["quiet"]);
    // A propagating add-list entry in the table makes the call pause.
    let quiet_added = |propagate| {
        let module = dispatch_module("");
        let mut o = options(&["env.nothing"]);
        o.add_list = vec!["quiet".into()];
        o.propagate_add_list = propagate;
        instrumented_set(&analyze(&module, &o))
    };
    assert_eq!(quiet_added(true), ["dispatch", "quiet"]);
    assert_eq!(quiet_added(false), ["quiet"]);
    // --no-narrow-indirect: Binaryen's rule.
    assert_eq!(
        instrumented_set(&analyze(
            &dispatch_module(""),
            &Options {
                no_narrow_indirect: true,
                ..options(&["env.sleep"])
            }
        )),
        ["dispatch", "sleepy"]
    );
    assert_eq!(
        instrumented_set(&analyze(
            &dispatch_module(""),
            &Options {
                no_narrow_indirect: true,
                ..options(&["env.nothing"])
            }
        )),
        ["dispatch"]
    );
}

#[test]
fn gc_types_are_not_compared() {
    // A subtype declaration: the signature filter is off, every referenced function counts.
    let module = wat(r#"(module
  (import "env" "sleep" (func $sleep))
  (type $base (sub (func (param i32))))
  (type $v (func))
  (table 2 funcref)
  (elem (i32.const 0) func $sleepy)
  (memory 1)
  (func $sleepy (type $v) (call $sleep))
  (func $dispatch (export "dispatch") (param $i i32)
    (call_indirect (type $base) (local.get $i) (local.get $i))))"#);
    let a = analyze(&module, &options(&["env.sleep"]));
    assert!(!a.indirect.types_compared);
    assert!(instrumented(&a, "dispatch"));
}

// ---------------------------------------------------------------------------------------------
// The asyncify stack bound against the host's measurements.

/// main -> middle -> leaf -> env.sleep_i32, each with live locals; plus a shallower path.
const CHAIN: &str = r#"
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $leaf (param $x i32) (result i32) (local $y i64)
    (local.set $y (i64.extend_i32_u (local.get $x)))
    (drop (call $sleep (local.get $x)))
    (i32.wrap_i64 (i64.add (local.get $y) (i64.const 1))))
  (func $middle (param $x i32) (result i32) (local $keep f64)
    (local.set $keep (f64.convert_i32_s (local.get $x)))
    (drop (call $leaf (i32.add (local.get $x) (i32.const 1))))
    (i32.trunc_f64_s (local.get $keep)))
  (func $shallow (param $x i32) (result i32)
    (call $sleep (local.get $x)))
  (func $run (export "run") (param $n i32) (result i32) (local $acc i32)
    (local.set $acc (call $middle (local.get $n)))
    (call $log (local.get $acc))
    (local.set $acc (i32.add (local.get $acc) (call $shallow (local.get $n))))
    (local.get $acc)))
"#;

fn bound_bytes(analysis: &Analysis, export: &str) -> u64 {
    match &analysis.bounds[index(analysis, export)] {
        Bound::Bytes { bytes, .. } => *bytes,
        other => panic!("{export}: {other:?}"),
    }
}

#[test]
fn stack_bound_equals_measured_use_for_a_chain() {
    let runs = assert_equivalent(
        &wat(CHAIN),
        &[Call::new("run", &i32s(&[5]))],
        &["env.sleep_i32"],
        &options(&["env.sleep_i32"]),
    );
    for (outcome, analysis) in &runs {
        let bound = bound_bytes(analysis, "run");
        eprintln!(
            "chain run: bound {bound}, measured {}",
            outcome.max_stack_used
        );
        assert_eq!(
            u64::from(outcome.max_stack_used),
            bound,
            "{}",
            analysis.explain("run").unwrap()
        );
        let chain =
            asyncify::analysis::stack_bound::chain(&analysis.bounds, index(analysis, "run"));
        let names: Vec<&str> = chain
            .iter()
            .map(|&f| analysis.functions[f].name.as_str())
            .collect();
        assert_eq!(names, ["run", "middle", "leaf"]);
    }
}

#[test]
fn stack_bound_is_never_below_measured_use() {
    // (label, program text, entry, arguments, pausing imports)
    type Case<'a> = (&'a str, &'a [u8], &'a str, Vec<Value>, &'a [&'a str]);
    let cases: [Case; 5] = [
        (
            "TABLE_ONLY",
            TABLE_ONLY.as_bytes(),
            "run",
            i32s(&[9]),
            &["env.sleep_i32"],
        ),
        (
            "stack_values.wat",
            include_bytes!("programs/stack_values.wat"),
            "run",
            i32s(&[5]),
            &["env.sleep", "env.sleep_i32", "env.sleep_i64"],
        ),
        (
            "control_flow.wat",
            include_bytes!("programs/control_flow.wat"),
            "run",
            i32s(&[11]),
            &["env.sleep", "env.sleep_i32", "env.sleep_i64"],
        ),
        (
            "indirect.wat",
            include_bytes!("programs/indirect.wat"),
            "run",
            i32s(&[5]),
            &["env.sleep_i32", "env.sleep_i64"],
        ),
        (
            "loops_types.wat",
            include_bytes!("programs/loops_types.wat"),
            "run",
            i32s(&[3]),
            &[
                "env.sleep",
                "env.sleep_i32",
                "env.sleep_i64",
                "env.sleep_f32",
                "env.sleep_f64",
            ],
        ),
    ];
    for (label, text, entry, args, imports) in cases {
        let program = wat(std::str::from_utf8(text).unwrap());
        let runs = assert_equivalent(
            &program,
            &[Call::new(entry, &args)],
            imports,
            &options(imports),
        );
        for ((outcome, analysis), level) in runs.iter().zip(["-O0", "-O"]) {
            let bound = bound_bytes(analysis, entry);
            eprintln!(
                "{label} {entry} {level}: bound {bound}, measured {}",
                outcome.max_stack_used
            );
            assert!(
                u64::from(outcome.max_stack_used) <= bound,
                "measured {} > bound {bound}:\n{}",
                outcome.max_stack_used,
                analysis.explain(entry).unwrap()
            );
        }
    }
}

/// Prefix frames (`-O`): the deepest pause happens under `run`'s first call, where only
/// `$n` is live, so `run` pushes its smallest frame there. The run behaves the same, and the
/// stack it uses is the bound less the difference between `run`'s largest and smallest
/// frames (at `-O0`, one frame per function, exactly the bound).
#[test]
fn prefix_frames_save_only_what_is_live_at_the_pause() {
    let program = wat(r#"
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $deep (param $x i32) (result i32) (local $p i64) (local $q i64) (local $r i64)
    (local.set $p (i64.extend_i32_u (local.get $x)))
    (local.set $q (i64.mul (local.get $p) (i64.const 3)))
    (local.set $r (i64.add (local.get $q) (i64.const 5)))
    (drop (call $sleep (local.get $x)))
    (i32.wrap_i64 (i64.add (i64.add (local.get $p) (local.get $q)) (local.get $r))))
  (func (export "run") (param $n i32) (result i64) (local $a i64) (local $b i64) (local $c i64)
    (local.set $n (call $deep (local.get $n)))
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (local.set $b (i64.mul (local.get $a) (local.get $a)))
    (local.set $c (i64.add (local.get $b) (i64.const 7)))
    (drop (call $sleep (i32.const 1)))
    (i64.add (i64.add (local.get $a) (local.get $b))
      (i64.add (local.get $c) (i64.extend_i32_u (local.get $n))))))
"#);
    let imports = ["env.sleep_i32"];
    let runs = assert_equivalent(
        &program,
        &[Call::new("run", &i32s(&[6]))],
        &imports,
        &options(&imports),
    );
    for ((outcome, analysis), level) in runs.iter().zip(["-O0", "-O"]) {
        assert_eq!(outcome.pauses, 2, "{level}");
        let bound = bound_bytes(analysis, "run");
        let run = analysis.frames[index(analysis, "run")]
            .as_ref()
            .expect("run is instrumented");
        let saved = u64::from(run.bytes - run.smallest_bytes);
        eprintln!(
            "prefix frames {level}: bound {bound}, measured {}, run's frames {} to {}",
            outcome.max_stack_used, run.smallest_bytes, run.bytes
        );
        if level == "-O" {
            assert!(saved > 0, "run has one frame size at -O");
        } else {
            assert_eq!(saved, 0, "run has several frame sizes at -O0");
        }
        assert_eq!(u64::from(outcome.max_stack_used), bound - saved, "{level}");
    }
}

/// The word on top of a prefix frame (`-O`) is 2 bytes for call indices up to 255 and up to
/// 508 bytes of locals, else 4: `many` has 300 pause points (indices past 255 take the long
/// word) and `wide` 131 locals live across its pause points (524 bytes). Every pause point
/// pauses and resumes where it should with its locals (the decoding of either form), and the
/// frame sizes are the locals plus the right word. (Both have one prefix group, which gets a
/// prefix frame only in a module with enough instrumented functions to pay for the helpers:
/// 32 small ones fill it.)
#[test]
fn prefix_frame_words_short_and_long() {
    let mut many = String::new();
    for k in 0..300 {
        many.push_str(&format!(
            "(local.set $acc (i32.add (local.get $acc) (i32.mul (call $sleep (i32.add \
             (local.get $n) (i32.const {k}))) (i32.const {}))))\n",
            k + 1
        ));
    }
    let fill: String = (0..32)
        .map(|k| {
            format!("(func $fill{k} (export \"fill{k}\") (drop (call $sleep (i32.const {k}))))\n")
        })
        .collect();
    let (mut wide_locals, mut wide_set, mut wide_sum) =
        (String::new(), String::new(), String::new());
    for k in 0..130 {
        wide_locals.push_str(&format!("(local $v{k} i32) "));
        wide_set.push_str(&format!(
            "(local.set $v{k} (i32.add (local.get $n) (i32.const {})))\n",
            k * 7
        ));
        wide_sum.push_str(&format!(
            "(local.set $n (i32.add (local.get $n) (i32.mul (local.get $v{k}) (i32.const {}))))\n",
            k + 1
        ));
    }
    let program = wat(&format!(
        r#"
(module
  (import "env" "sleep_i32" (func $sleep (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "many") (param $n i32) (result i32) (local $acc i32) (local $t i32)
    (local.set $t (i32.mul (local.get $n) (i32.const 3)))
    {many}
    (i32.add (local.get $acc) (local.get $t)))
  (func (export "wide") (param $n i32) (result i32) {wide_locals}
    {wide_set}
    (drop (call $sleep (local.get $n)))
    (local.set $n (call $sleep (i32.add (local.get $n) (i32.const 1))))
    {wide_sum}
    (local.get $n))
  {fill})
"#
    ));
    let imports = ["env.sleep_i32"];
    for (export, pauses) in [("many", 300), ("wide", 2)] {
        let runs = assert_equivalent(
            &program,
            &[Call::new(export, &i32s(&[5]))],
            &imports,
            &options(&imports),
        );
        for ((outcome, analysis), level) in runs.iter().zip(["-O0", "-O", "-O3"]) {
            assert_eq!(outcome.pauses, pauses, "{export} {level}");
            let frame = analysis.frames[index(analysis, export)]
                .as_ref()
                .expect("instrumented");
            eprintln!(
                "{export} {level}: frames {} to {} bytes, measured {}",
                frame.smallest_bytes, frame.bytes, outcome.max_stack_used
            );
            // The deepest frame is the whole one.
            assert_eq!(outcome.max_stack_used, frame.bytes, "{export} {level}");
            let locals = 4 * frame.saved_locals;
            if level != "-O0" {
                assert_eq!(frame.layout, FrameKind::Prefixes, "{export} {level}");
            }
            match (export, level) {
                // Binaryen's layout: the call index and every saved local.
                (_, "-O0") => assert_eq!(frame.bytes, 4 + locals, "{export}"),
                // $acc, $n and $t at every pause point: a short word up to index 255.
                ("many", _) => {
                    assert_eq!(
                        (frame.smallest_bytes, frame.bytes),
                        (locals + 2, locals + 4)
                    )
                }
                _ => assert_eq!(frame.bytes, locals + 4, "{export} {level}: a long word"),
            }
        }
    }
}

#[test]
fn recursion_that_pauses_is_unbounded() {
    let program = wat(include_str!("programs/recursion.wat"));
    let a = analyze(&program, &options(&["env.sleep", "env.sleep_i32"]));
    let Bound::Unbounded { cycle } = &a.bounds[index(&a, "run")] else {
        panic!("{:?}", a.bounds[index(&a, "run")]);
    };
    let names: Vec<&str> = cycle
        .iter()
        .map(|&f| a.functions[f].name.as_str())
        .collect();
    assert_eq!(names, ["rec", "rec"]);
    assert!(
        a.explain("run")
            .unwrap()
            .contains("unbounded: a pause can happen under the recursion rec -> rec")
    );
    // `leaf` pauses once with one small frame.
    assert!(matches!(a.bounds[index(&a, "leaf")], Bound::Bytes { .. }));
}

// ---------------------------------------------------------------------------------------------
// Overflow is caught where it happens.

/// Drive the CHAIN program by hand with a buffer of `room` bytes after the header and 64
/// canary bytes after it; return (trapped, pos - stack start, canary intact).
fn unwind_with_room(wasm: &[u8], room: u32) -> (bool, u32, bool) {
    use wasmtime::{Caller, Engine, Extern, Instance, Linker, Module, Store};
    const DATA: u32 = 1024;
    const CANARY: u8 = 0xc5;
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut linker: Linker<()> = Linker::new(&engine);
    linker.func_wrap("env", "log_i32", |_: i32| {}).unwrap();
    linker
        .func_wrap(
            "env",
            "sleep_i32",
            move |mut caller: Caller<'_, ()>, x: i32| -> i32 {
                let memory = caller
                    .get_export("memory")
                    .and_then(Extern::into_memory)
                    .unwrap();
                let start = DATA + 8;
                let end = start + room;
                let mut bytes = [0u8; 8];
                bytes[..4].copy_from_slice(&start.to_le_bytes());
                bytes[4..].copy_from_slice(&end.to_le_bytes());
                memory.write(&mut caller, DATA as usize, &bytes).unwrap();
                let mut fill = vec![0u8; room as usize];
                fill.extend([CANARY; 64]);
                memory.write(&mut caller, start as usize, &fill).unwrap();
                let unwind = caller
                    .get_export("asyncify_start_unwind")
                    .and_then(Extern::into_func)
                    .unwrap();
                unwind
                    .typed::<i32, ()>(&caller)
                    .unwrap()
                    .call(&mut caller, DATA as i32)
                    .unwrap();
                x
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance: Instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let trapped = run.call(&mut store, 5).is_err();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let mut header = [0u8; 8];
    memory.read(&store, DATA as usize, &mut header).unwrap();
    let pos = u32::from_le_bytes(header[..4].try_into().unwrap());
    let end = u32::from_le_bytes(header[4..].try_into().unwrap());
    assert_eq!(end, DATA + 8 + room);
    let mut canary = [0u8; 64];
    memory.read(&store, end as usize, &mut canary).unwrap();
    (
        trapped,
        pos - (DATA + 8),
        canary.iter().all(|&b| b == CANARY),
    )
}

#[test]
fn overflow_traps_before_writing_past_the_end() {
    for optimize in [0, 2] {
        let o = Options {
            optimize,
            ..options(&["env.sleep_i32"])
        };
        let output = asyncify::transform(&wat(CHAIN), &o).unwrap();
        let need = bound_bytes(&output.analysis, "run") as u32;
        // Exactly enough: the unwind completes and fills the buffer.
        let (trapped, used, intact) = unwind_with_room(&output.wasm, need);
        assert!(
            !trapped && used == need && intact,
            "{trapped} {used} {intact}"
        );
        // One byte (and one frame's worth) too small: the unwind traps in push_frame, nothing
        // past `end` changed, and `pos - start` is the bytes that were needed.
        for room in [need - 1, need - 4, 4] {
            let (trapped, used, intact) = unwind_with_room(&output.wasm, room);
            assert!(trapped, "room {room}");
            assert!(intact, "room {room}: bytes after `end` were written");
            assert!(used > room, "room {room}: pos {used} not past end");
            if room + 4 > need {
                // Only the outermost frame did not fit: the whole need is known.
                assert_eq!(used, need, "room {room}");
            }
        }
    }
}

/// Time unwinding and rewinding a deep recursion with and without the per-frame bound check
/// in `asyncify_push_frame` (the check is removed from the printed module). Prints the
/// numbers; run with `cargo test --release --test analysis -- --ignored --nocapture`.
#[test]
#[ignore]
fn push_frame_check_cost() {
    let program = wat(include_str!("programs/recursion.wat"));
    let checked = asyncify::transform(&program, &{
        let mut o = options(&["env.sleep", "env.sleep_i32"]);
        o.optimize = 2;
        o
    })
    .unwrap()
    .wasm;
    let text = wasmprinter::print_bytes(&checked).unwrap();
    let start = text.find("(func $asyncify_push_frame").unwrap();
    let check_at = start
        + text[start..]
            .find("global.get $__asyncify_data\n    i32.load offset=4")
            .unwrap();
    let end_at = check_at + text[check_at..].find("    end\n").unwrap() + "    end\n".len();
    let unchecked_text = format!("{}drop\n{}", &text[..check_at], &text[end_at..]);
    let unchecked = wat(&unchecked_text);
    let time = |wasm: &[u8]| {
        let config = HostConfig {
            async_imports: vec!["env.sleep".into(), "env.sleep_i32".into()],
            buffer_size: 1 << 20,
            scribble: false,
            ..Default::default()
        };
        let mut best = std::time::Duration::MAX;
        for _ in 0..5 {
            let mut session = Session::new(wasm, config.clone()).unwrap();
            let t = std::time::Instant::now();
            let outcome = session.run(&[Call::new("run", &i32s(&[2000]))]).unwrap();
            best = best.min(t.elapsed());
            assert_eq!(outcome.pauses, 42);
        }
        best
    };
    let (with, without) = (time(&checked), time(&unchecked));
    eprintln!(
        "2000-frame recursion, 42 unwinds and rewinds: {with:?} with the check, {without:?} \
         without ({:+.1}%)",
        (with.as_secs_f64() / without.as_secs_f64() - 1.0) * 100.0
    );
}
