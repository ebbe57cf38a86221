//! Property `vs_binaryen` (optional: needs `wasm-opt` on `PATH`, or `ASYNCIFY_WASM_OPT`):
//! the generated programs of [`super::pause_everywhere`] transformed by Binaryen's
//! `wasm-opt --asyncify` pass the same pausing checks, and so behave like ours. When Binaryen
//! fails where we do not (or the reverse), the case is counted, not failed: the property is
//! about behaviour, and each tool refuses different things.
//!
//! Reference-type options are not passed (Binaryen 108 knows the same list options, so the
//! import list, ignore-indirect, add-list, only-list and -O are translated).

use super::pause_everywhere::{Implementation, arbitrary_setup, check_program};
use super::program::{Limits, generate};
use super::{Failure, stat};
use arbitrary::Unstructured;
use asyncify::Options;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// The `wasm-opt` to run.
pub fn wasm_opt_path() -> String {
    std::env::var("ASYNCIFY_WASM_OPT").unwrap_or_else(|_| "wasm-opt".into())
}

/// Whether `wasm-opt` runs.
pub fn available() -> bool {
    Command::new(wasm_opt_path())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Transform with `wasm-opt --asyncify` and the equivalent pass arguments.
pub fn wasm_opt(wasm: &[u8], options: &Options) -> Result<Vec<u8>, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir();
    let input = dir.join(format!(
        "asyncify-vs-binaryen-{}-{n}.wasm",
        std::process::id()
    ));
    let output = input.with_extension("out.wasm");
    std::fs::write(&input, wasm).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(wasm_opt_path());
    cmd.arg(&input).arg("-all").arg("--asyncify");
    match &options.imports {
        Some(list) if !list.is_empty() => {
            cmd.arg(format!("--pass-arg=asyncify-imports@{}", list.join(",")));
        }
        _ if options.ignore_imports => {
            cmd.arg("--pass-arg=asyncify-ignore-imports");
        }
        _ => {}
    }
    if options.ignore_indirect {
        cmd.arg("--pass-arg=asyncify-ignore-indirect");
    }
    if options.asserts {
        cmd.arg("--pass-arg=asyncify-asserts");
    }
    if !options.add_list.is_empty() {
        cmd.arg(format!(
            "--pass-arg=asyncify-addlist@{}",
            options.add_list.join(",")
        ));
    }
    if options.propagate_add_list {
        cmd.arg("--pass-arg=asyncify-propagate-addlist");
    }
    if !options.only_list.is_empty() {
        cmd.arg(format!(
            "--pass-arg=asyncify-onlylist@{}",
            options.only_list.join(",")
        ));
    }
    if !options.remove_list.is_empty() {
        cmd.arg(format!(
            "--pass-arg=asyncify-removelist@{}",
            options.remove_list.join(",")
        ));
    }
    if options.optimizing() {
        cmd.arg("-O");
    }
    cmd.arg("-o").arg(&output);
    let result = cmd.output().map_err(|e| e.to_string());
    let _ = std::fs::remove_file(&input);
    let result = result?;
    if !result.status.success() {
        let _ = std::fs::remove_file(&output);
        return Err(String::from_utf8_lossy(&result.stderr).into_owned());
    }
    let bytes = std::fs::read(&output).map_err(|e| e.to_string());
    let _ = std::fs::remove_file(&output);
    bytes
}

/// The property.
pub fn check(data: &[u8]) -> Result<(), Failure> {
    if !available() {
        stat("vs_binaryen: skipped (no wasm-opt)");
        return Ok(());
    }
    let (setup_bytes, data) = data.split_at(data.len().min(24));
    let mut u = Unstructured::new(data);
    let limits = Limits {
        reentrant: setup_bytes.first().is_some_and(|b| b & 3 == 0),
        budget: 60 + (setup_bytes.get(1).copied().unwrap_or(0) as i32),
        // Binaryen 108 predates some of what ours handles: keep to the common ground.
        ..Limits::default()
    };
    let program = generate(&mut u, limits);
    let mut setup = arbitrary_setup(
        &mut Unstructured::new(setup_bytes.get(2..).unwrap_or(&[])),
        &program,
    );
    // Binaryen's --asserts traps in its own unwind path on some valid programs; not compared.
    setup.options.asserts = false;
    let ours = super::pause_everywhere::check_shrinking(&program, &setup, Implementation::Ours);
    let theirs = check_program(&program, &setup, Implementation::Binaryen);
    match (ours, theirs) {
        (Ok(()), Ok(())) => {
            stat("vs_binaryen: both ok");
            Ok(())
        }
        (Err(f), Ok(())) => Err(Failure::new(
            format!("ours fails where Binaryen passes: {}", f.summary),
            f.details,
        )),
        (Ok(()), Err(f)) => {
            stat(format!(
                "vs_binaryen: only Binaryen fails: {}",
                super::pause_everywhere_kind(&f.summary)
            ));
            Ok(())
        }
        (Err(f), Err(_)) => Err(Failure::new(
            format!("both fail (ours: {})", f.summary),
            f.details,
        )),
    }
}
