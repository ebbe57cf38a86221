//! Loading the test programs in `tests/programs/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use super::transform::scratch_path;

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs")
}

/// A `.wat` program from `tests/programs/`, as a binary (names kept in the name section).
pub fn wat_program(name: &str) -> Vec<u8> {
    let path = programs_dir().join(name);
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The LLVM 16 tools directory (override with `ASYNCIFY_LLVM_BIN`).
fn llvm_bin() -> PathBuf {
    std::env::var_os("ASYNCIFY_LLVM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/llvm-16/bin"))
}

/// A C program from `tests/programs/`, compiled with clang-16 for wasm32-wasi as a reactor
/// (`-O2 -mexec-model=reactor`, wasi-libc from `/usr`, override with `ASYNCIFY_WASI_SYSROOT`).
/// Compiled once per test process. Returns `None` (and says so) when `ASYNCIFY_SKIP_CLANG=1`;
/// panics with instructions if clang is missing.
pub fn c_program(name: &str) -> Option<Vec<u8>> {
    if std::env::var("ASYNCIFY_SKIP_CLANG").as_deref() == Ok("1") {
        eprintln!("ASYNCIFY_SKIP_CLANG=1: not compiling {name}; this test checks nothing");
        return None;
    }
    static CACHE: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(wasm) = cache.get(name) {
        return Some(wasm.clone());
    }
    let bin = llvm_bin();
    let clang = bin.join("clang");
    let sysroot = std::env::var("ASYNCIFY_WASI_SYSROOT").unwrap_or_else(|_| "/usr".into());
    assert!(
        clang.exists() && bin.join("wasm-ld").exists(),
        "{} or wasm-ld not found: the C runtime tests need clang-16, lld-16 and wasi-libc \
         (Debian: apt-get install clang-16 lld-16 wasi-libc; or set ASYNCIFY_LLVM_BIN to an \
         LLVM bin directory). Set ASYNCIFY_SKIP_CLANG=1 to skip them.",
        clang.display()
    );
    let out = scratch_path(name.trim_end_matches(".c"), "wasm");
    // PATH limited to the LLVM directory so clang cannot find and run a wasm-opt by itself.
    let mut cmd = Command::new(&clang);
    cmd.env("PATH", &bin)
        .arg("--target=wasm32-wasi")
        .arg(format!("--sysroot={sysroot}"))
        .arg(format!("-fuse-ld={}", bin.join("wasm-ld").display()))
        .args(["-O2", "-mexec-model=reactor", "-Wall", "-Werror", "-o"])
        .arg(&out)
        .arg(programs_dir().join(name));
    let result = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        result.status.success(),
        "compiling {name} failed: {cmd:?}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let wasm = std::fs::read(&out).expect("read compiled program");
    let _ = std::fs::remove_file(&out);
    cache.insert(name.to_string(), wasm.clone());
    Some(wasm)
}
