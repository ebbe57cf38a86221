//! The C examples (`examples/c/`), built with their own recipe (`build.sh`: clang-16 →
//! asyncify) and run in wasmtime with WASI preview 1. The coroutine example pauses and resumes
//! entirely inside the module, so a plain WASI host runs it; `tests/js/examples.test.mjs` runs
//! both examples in node.
//!
//! Needs clang-16, lld-16 and wasi-libc, like the C programs of `tests/runtime.rs`
//! (`ASYNCIFY_LLVM_BIN`, `ASYNCIFY_WASI_SYSROOT`); `ASYNCIFY_SKIP_CLANG=1` skips it.

use std::path::{Path, PathBuf};
use std::process::Command;
use wasmtime::{Config, Engine, Linker, Module, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Build the examples into a fresh directory with `examples/c/build.sh`, using the asyncify
/// binary of this build. `None` when `ASYNCIFY_SKIP_CLANG=1`.
fn build_examples() -> Option<PathBuf> {
    if std::env::var("ASYNCIFY_SKIP_CLANG").as_deref() == Ok("1") {
        eprintln!("ASYNCIFY_SKIP_CLANG=1: not building the C examples; this test checks nothing");
        return None;
    }
    let out = std::env::temp_dir().join(format!("asyncify-c-examples-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let result = Command::new("bash")
        .arg(repo().join("examples/c/build.sh"))
        .arg(&out)
        .env("ASYNCIFY", env!("CARGO_BIN_EXE_asyncify"))
        .output()
        .expect("run bash examples/c/build.sh");
    assert!(
        result.status.success(),
        "examples/c/build.sh failed (it needs clang-16, lld-16 and wasi-libc: apt-get install \
         clang-16 lld-16 wasi-libc; or set ASYNCIFY_SKIP_CLANG=1):\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    Some(out)
}

/// An engine for plain wasm32-wasi modules. The dev-dependency has wasmtime's `gc` feature
/// but no collector, so GC support must be off.
fn engine() -> Engine {
    let mut config = Config::new();
    config
        .gc_support(false)
        .wasm_function_references(false)
        .wasm_gc(false);
    Engine::new(&config).expect("create wasmtime engine")
}

/// Run a WASI command module's `_start`; returns its exit code and standard output.
fn run_wasi_command(wasm: &Path) -> (i32, String) {
    let engine = engine();
    let module = Module::from_file(&engine, wasm).expect("compile the example");
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| ctx).expect("link WASI");
    let stdout = MemoryOutputPipe::new(1 << 20);
    let ctx = WasiCtxBuilder::new().stdout(stdout.clone()).build_p1();
    let mut store = Store::new(&engine, ctx);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate the example");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("a WASI command exports `_start`");
    let code = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => exit.0,
            None => panic!("the example trapped: {e:?}"),
        },
    };
    drop(store);
    let text = String::from_utf8(stdout.contents().to_vec()).expect("UTF-8 output");
    (code, text)
}

#[test]
fn coroutines_run_in_wasmtime() {
    let Some(out) = build_examples() else {
        return;
    };
    let (code, stdout) = run_wasi_command(&out.join("coroutines.async.wasm"));
    let expected = std::fs::read_to_string(repo().join("examples/c/coroutines.expected"))
        .expect("read coroutines.expected");
    assert_eq!(code, 0, "exit code; output:\n{stdout}");
    assert_eq!(stdout, expected);

    // Before the transform the module imports the in-module API (and cannot run without
    // asyncify); after it, the imports are gone and the API is exported instead.
    let engine = engine();
    let plain = Module::from_file(&engine, out.join("coroutines.wasm")).expect("compile");
    let mut imported: Vec<&str> = plain
        .imports()
        .filter(|i| i.module() == "asyncify")
        .map(|i| i.name())
        .collect();
    imported.sort();
    assert_eq!(
        imported,
        ["start_rewind", "start_unwind", "stop_rewind", "stop_unwind"]
    );
    let transformed =
        Module::from_file(&engine, out.join("coroutines.async.wasm")).expect("compile");
    assert!(transformed.imports().all(|i| i.module() != "asyncify"));
    assert!(transformed.get_export("asyncify_start_unwind").is_some());
    let _ = std::fs::remove_dir_all(&out);
}
