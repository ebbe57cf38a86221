//! Modules at the limits, generated programmatically: deep nesting around a pause, many
//! functions, many locals, one huge function. The seeded tests in `tests/fuzz.rs` run the
//! command-line tool on them in a child process (a stack overflow aborts only the child) and
//! report time and peak memory.

use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
    Instruction as I, MemorySection, MemoryType, Module, TypeSection, ValType,
};

fn module(
    types: &[(Vec<ValType>, Vec<ValType>)],
    imports: &[(&str, u32)],
    funcs: Vec<(u32, Function)>,
    exports: &[(&str, u32)],
) -> Vec<u8> {
    let mut m = Module::new();
    let mut t = TypeSection::new();
    for (p, r) in types {
        t.ty().function(p.iter().copied(), r.iter().copied());
    }
    m.section(&t);
    let mut i = ImportSection::new();
    for (name, ty) in imports {
        i.import("env", name, wasm_encoder::EntityType::Function(*ty));
    }
    m.section(&i);
    let mut f = FunctionSection::new();
    for (ty, _) in &funcs {
        f.function(*ty);
    }
    m.section(&f);
    let mut mem = MemorySection::new();
    mem.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    m.section(&mem);
    let mut e = ExportSection::new();
    e.export("memory", ExportKind::Memory, 0);
    for (name, index) in exports {
        e.export(name, ExportKind::Func, *index);
    }
    m.section(&e);
    let mut c = CodeSection::new();
    for (_, body) in &funcs {
        c.function(body);
    }
    m.section(&c);
    m.finish()
}

/// `run(x) -> i32`: `depth` nested blocks (alternating block/loop/if), with a pause
/// (`env.sleep_i32`) and a value kept on the stack across it in the innermost one.
pub fn deep_nesting(depth: u32) -> Vec<u8> {
    let types = vec![(vec![ValType::I32], vec![ValType::I32])];
    let mut f = Function::new([(1, ValType::I32)]);
    for level in 0..depth {
        match level % 3 {
            0 => f.instruction(&I::Block(BlockType::Empty)),
            1 => f.instruction(&I::Loop(BlockType::Empty)),
            _ => {
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::If(BlockType::Empty))
            }
        };
    }
    f.instruction(&I::LocalGet(0))
        .instruction(&I::I32Const(7))
        .instruction(&I::Call(0))
        .instruction(&I::I32Add)
        .instruction(&I::LocalSet(1));
    for _ in 0..depth {
        f.instruction(&I::End);
    }
    f.instruction(&I::LocalGet(1)).instruction(&I::End);
    module(&types, &[("sleep_i32", 0)], vec![(0, f)], &[("run", 1)])
}

/// `count` functions `(i32) -> i32`: function k adds k to what function k+1 returns; every
/// 16th also pauses; the last one pauses. All of them can pause.
pub fn many_functions(count: u32) -> Vec<u8> {
    let types = vec![(vec![ValType::I32], vec![ValType::I32])];
    let mut funcs = Vec::with_capacity(count as usize);
    for k in 0..count {
        let mut f = Function::new([]);
        f.instruction(&I::I32Const(k as i32));
        if k + 1 < count {
            f.instruction(&I::LocalGet(0)).instruction(&I::Call(k + 2));
        } else {
            f.instruction(&I::LocalGet(0)).instruction(&I::Call(0));
        }
        f.instruction(&I::I32Add);
        if k % 16 == 0 {
            f.instruction(&I::Call(0));
        }
        f.instruction(&I::End);
        funcs.push((0, f));
    }
    module(&types, &[("sleep_i32", 0)], funcs, &[("run", 1)])
}

/// `count` functions `(i32) -> i32` that each pause once and call nothing else (no call
/// chains: every function is a leaf next to the import).
pub fn many_leaf_functions(count: u32) -> Vec<u8> {
    let types = vec![(vec![ValType::I32], vec![ValType::I32])];
    let mut funcs = Vec::with_capacity(count as usize);
    for k in 0..count {
        let mut f = Function::new([]);
        f.instruction(&I::I32Const(k as i32))
            .instruction(&I::LocalGet(0))
            .instruction(&I::Call(0))
            .instruction(&I::I32Add)
            .instruction(&I::End);
        funcs.push((0, f));
    }
    module(&types, &[("sleep_i32", 0)], funcs, &[("run", 1)])
}

/// `run(x) -> i32` with `locals` i32 locals, of which `live` are set before a pause and
/// summed after it (so each is saved and restored).
pub fn many_locals(locals: u32, live: u32) -> Vec<u8> {
    let types = vec![(vec![ValType::I32], vec![ValType::I32])];
    let mut f = Function::new([(locals, ValType::I32)]);
    let stride = (locals / live.max(1)).max(1);
    let picked: Vec<u32> = (0..live).map(|i| 1 + (i * stride) % locals).collect();
    for (n, &l) in picked.iter().enumerate() {
        f.instruction(&I::LocalGet(0))
            .instruction(&I::I32Const(n as i32))
            .instruction(&I::I32Add)
            .instruction(&I::LocalSet(l));
    }
    f.instruction(&I::LocalGet(0))
        .instruction(&I::Call(0))
        .instruction(&I::LocalSet(0));
    f.instruction(&I::LocalGet(0));
    for &l in &picked {
        f.instruction(&I::LocalGet(l)).instruction(&I::I32Add);
    }
    f.instruction(&I::End);
    module(&types, &[("sleep_i32", 0)], vec![(0, f)], &[("run", 1)])
}

/// `run(x) -> i32` whose body reads every one of its `locals` i32 locals once
/// (`local.get k; drop`), then returns `x + sleep_i32(x)`. With 49,999 locals the function has
/// 50,000, the limit of every engine, all of them used.
pub fn all_locals_used(locals: u32) -> Vec<u8> {
    let types = vec![(vec![ValType::I32], vec![ValType::I32])];
    let mut f = Function::new([(locals, ValType::I32)]);
    for k in 1..=locals {
        f.instruction(&I::LocalGet(k)).instruction(&I::Drop);
    }
    f.instruction(&I::LocalGet(0))
        .instruction(&I::LocalGet(0))
        .instruction(&I::Call(0))
        .instruction(&I::I32Add)
        .instruction(&I::End);
    module(&types, &[("sleep_i32", 0)], vec![(0, f)], &[("run", 1)])
}

/// `run(x) -> i32`: one function of `statements` statements, each `acc = acc * 31 + x` or,
/// every `pause_every`-th, `acc = acc + sleep_i32(acc)` with `x` on the stack below.
pub fn huge_function(statements: u32, pause_every: u32) -> Vec<u8> {
    let types = vec![(vec![ValType::I32], vec![ValType::I32])];
    let mut f = Function::new([(1, ValType::I32)]);
    for s in 0..statements {
        if s % pause_every == 0 {
            f.instruction(&I::LocalGet(0))
                .instruction(&I::LocalGet(1))
                .instruction(&I::Call(0))
                .instruction(&I::I32Add)
                .instruction(&I::LocalGet(1))
                .instruction(&I::I32Add)
                .instruction(&I::LocalSet(1));
        } else {
            f.instruction(&I::LocalGet(1))
                .instruction(&I::I32Const(31))
                .instruction(&I::I32Mul)
                .instruction(&I::LocalGet(0))
                .instruction(&I::I32Add)
                .instruction(&I::LocalSet(1));
        }
    }
    f.instruction(&I::LocalGet(1)).instruction(&I::End);
    module(&types, &[("sleep_i32", 0)], vec![(0, f)], &[("run", 1)])
}

/// What a run of the tool on a limit module measured.
#[derive(Debug)]
pub struct Measured {
    pub exit: Option<i32>,
    pub seconds: f64,
    /// Peak resident set, from `/usr/bin/time` (when installed).
    pub max_rss_mb: Option<f64>,
    pub stderr: String,
    pub output_size: Option<usize>,
}

/// Run `binary input flags... -o output` under `/usr/bin/time` (if present) and measure it.
pub fn measure(binary: &str, input: &std::path::Path, flags: &[&str]) -> Measured {
    let output = input.with_extension("out.wasm");
    let _ = std::fs::remove_file(&output);
    let rss_file = input.with_extension("rss");
    let time = std::path::Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = std::process::Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(binary);
        c
    } else {
        std::process::Command::new(binary)
    };
    cmd.arg(input)
        .args(flags)
        .arg("-o")
        .arg(&output)
        .env("RUST_BACKTRACE", "0");
    let start = std::time::Instant::now();
    let out = cmd.output().expect("run the tool");
    let seconds = start.elapsed().as_secs_f64();
    let max_rss_mb = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse::<f64>().ok()))
        .map(|kb| kb / 1024.0);
    let output_size = std::fs::metadata(&output).ok().map(|m| m.len() as usize);
    let _ = std::fs::remove_file(&rss_file);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // `time` reports a signal as "Command terminated by signal N" and exits non-zero.
    let exit = if stderr.contains("terminated by signal") {
        None
    } else {
        out.status.code()
    };
    Measured {
        exit,
        seconds,
        max_rss_mb,
        stderr,
        output_size,
    }
}
