//! Running two Emscripten builds (sql.js, quickjs-emscripten) in wasmtime without their JS
//! glue, to time the same workload in a second engine.
//!
//! The workloads only compute in memory, so a minimal host is enough: every function import
//! returns zeros (the few that must not are listed per package), memory is grown up front (so
//! `emscripten_resize_heap` is never needed: Emscripten's `sbrk` checks `memory.size` first),
//! and the constructors export is called as the glue would. Export names are minified; the
//! glue maps them (`Module._sqlite3_open = wasmExports.Ha`), and we read that map from it.
//! The minified names used below are those of the pinned package versions (bench/bench.mjs).

use crate::runners::engine;
use crate::secs;
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;
use wasmtime::error::Context;
use wasmtime::{
    ExternType, Func, Instance, Linker, Memory, Module, Store, TypedFunc, Val, ValType, WasmParams,
    WasmResults,
};
use wasmtime::{Result, bail};

/// Bytes of memory to have before the program starts.
const HEAP: u64 = 512 << 20;

struct Emscripten {
    store: Store<()>,
    instance: Instance,
    memory: Memory,
    /// Unminified name (without the leading `_`) -> export name.
    names: HashMap<String, String>,
    compile: f64,
}

impl Emscripten {
    /// `ctors`: the minified name of `__wasm_call_ctors`. `overrides`: imports (by field name
    /// in module `a`) that return a constant instead of zero.
    fn new(file: &str, glue: &str, ctors: &str, overrides: &[(&str, i32)]) -> Result<Self> {
        let glue = std::fs::read_to_string(glue).with_context(|| format!("reading {glue}"))?;
        let pairs = regex_lite::Regex::new(r"\._([A-Za-z0-9_]+)=[A-Za-z_$]+\.([A-Za-z0-9_$]+)[;,]")
            .unwrap();
        let names: HashMap<String, String> = pairs
            .captures_iter(&glue)
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
        if names.is_empty() {
            bail!("no export names found in the glue (a different Emscripten version?)");
        }

        let engine = engine();
        let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
        let start = Instant::now();
        let module = Module::new(&engine, &bytes)?;
        let compile = secs(start);
        let mut store = Store::new(&engine, ());
        let mut linker: Linker<()> = Linker::new(&engine);
        let mut imported_memory = None;
        for import in module.imports() {
            match import.ty() {
                ExternType::Memory(ty) => {
                    let memory = Memory::new(&mut store, ty)?;
                    linker.define(&mut store, import.module(), import.name(), memory)?;
                    imported_memory = Some(memory);
                }
                ExternType::Func(ty) => {
                    let Some(&(_, value)) = overrides.iter().find(|o| o.0 == import.name()) else {
                        continue;
                    };
                    let results: Vec<ValType> = ty.results().collect();
                    let func = Func::new(&mut store, ty, move |_, _, out| {
                        for (slot, ty) in out.iter_mut().zip(&results) {
                            *slot = match ty {
                                ValType::I64 => Val::I64(value as i64),
                                ValType::F64 => Val::F64((value as f64).to_bits()),
                                _ => Val::I32(value),
                            };
                        }
                        Ok(())
                    });
                    linker.define(&mut store, import.module(), import.name(), func)?;
                }
                other => bail!(
                    "unexpected import {}.{}: {other:?}",
                    import.module(),
                    import.name()
                ),
            }
        }
        linker.define_unknown_imports_as_default_values(&mut store, &module)?;
        let instance = linker.instantiate(&mut store, &module)?;
        let memory = match imported_memory {
            Some(m) => m,
            None => instance
                .exports(&mut store)
                .find_map(|e| e.into_memory())
                .context("no memory")?,
        };
        let have = memory.data_size(&store) as u64;
        if have < HEAP {
            memory.grow(&mut store, (HEAP - have) / 65536)?;
        }
        let ctors = instance.get_typed_func::<(), ()>(&mut store, ctors)?;
        ctors.call(&mut store, ())?;
        Ok(Emscripten {
            store,
            instance,
            memory,
            names,
            compile,
        })
    }

    fn func<P: WasmParams, R: WasmResults>(&mut self, name: &str) -> Result<TypedFunc<P, R>> {
        let export = self
            .names
            .get(name)
            .with_context(|| format!("the glue does not map _{name}"))?;
        self.instance
            .get_typed_func(&mut self.store, export)
            .with_context(|| format!("export {export} (_{name})"))
    }

    /// Copy `s` into a fresh allocation, NUL-terminated.
    fn c_string(&mut self, malloc: &TypedFunc<i32, i32>, s: &str) -> Result<i32> {
        let ptr = malloc.call(&mut self.store, s.len() as i32 + 1)?;
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        self.memory.write(&mut self.store, ptr as usize, &bytes)?;
        Ok(ptr)
    }

    fn read_c_string(&self, ptr: i32) -> String {
        let data = &self.memory.data(&self.store)[ptr as usize..];
        let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
        String::from_utf8_lossy(&data[..end]).into_owned()
    }

    fn read_i32(&self, ptr: i32) -> i32 {
        let d = self.memory.data(&self.store);
        i32::from_le_bytes(d[ptr as usize..ptr as usize + 4].try_into().unwrap())
    }
}

/// sql.js@1.16.0: open an in-memory database, `sqlite3_exec` the workload (timed), then
/// read the checksum query's single value. The workload file ends with a line
/// `-- checksum` followed by the checksum query.
pub fn sqljs(file: &str, glue: &str, sql: &str, reps: usize) -> Result<()> {
    let text = std::fs::read_to_string(sql)?;
    let (workload, checksum) = text
        .split_once("-- checksum")
        .context("the SQL file has no `-- checksum` line")?;
    // `a.x` is `__syscall_openat`: SQLite retries an open that returns fd 0, so fail it.
    let mut e = Emscripten::new(file, glue, "P", &[("x", -44)])?;
    let malloc = e.func::<i32, i32>("malloc")?;
    let open = e.func::<(i32, i32), i32>("sqlite3_open")?;
    let exec = e.func::<(i32, i32, i32, i32, i32), i32>("sqlite3_exec")?;
    let prepare = e.func::<(i32, i32, i32, i32, i32), i32>("sqlite3_prepare_v2")?;
    let step = e.func::<i32, i32>("sqlite3_step")?;
    let column_text = e.func::<(i32, i32), i32>("sqlite3_column_text")?;
    let finalize = e.func::<i32, i32>("sqlite3_finalize")?;
    let close = e.func::<i32, i32>("sqlite3_close_v2")?;
    let errmsg = e.func::<i32, i32>("sqlite3_errmsg")?;
    let name = e.c_string(&malloc, ":memory:")?;
    let workload = e.c_string(&malloc, workload)?;
    let checksum = e.c_string(&malloc, checksum.trim())?;
    let out = malloc.call(&mut e.store, 8)?;
    let mut times = Vec::new();
    let mut values = Vec::new();
    for _ in 0..reps {
        if open.call(&mut e.store, (name, out))? != 0 {
            bail!("sqlite3_open failed");
        }
        let db = e.read_i32(out);
        let start = Instant::now();
        let rc = exec.call(&mut e.store, (db, workload, 0, 0, 0))?;
        times.push(secs(start));
        if rc != 0 {
            let msg = errmsg.call(&mut e.store, db)?;
            bail!("sqlite3_exec: {rc}: {}", e.read_c_string(msg));
        }
        if prepare.call(&mut e.store, (db, checksum, -1, out, 0))? != 0 {
            bail!("preparing the checksum query failed");
        }
        let stmt = e.read_i32(out);
        if step.call(&mut e.store, stmt)? != 100 {
            bail!("the checksum query returned no row");
        }
        let text = column_text.call(&mut e.store, (stmt, 0))?;
        values.push(e.read_c_string(text));
        finalize.call(&mut e.store, stmt)?;
        close.call(&mut e.store, db)?;
    }
    println!(
        "{}",
        json!({ "file": file, "compile": e.compile, "times": times, "results": values })
    );
    Ok(())
}

/// quickjs-emscripten 0.32.0 (release, sync): evaluate a script in a fresh context each
/// time (timed) and print the JSON of its completion value.
pub fn quickjs(file: &str, glue: &str, script: &str, reps: usize) -> Result<()> {
    let source = std::fs::read_to_string(script)?;
    let mut e = Emscripten::new(file, glue, "u", &[])?;
    let malloc = e.func::<i32, i32>("malloc")?;
    let new_runtime = e.func::<(), i32>("QTS_NewRuntime")?;
    let new_context = e.func::<(i32, i32), i32>("QTS_NewContext")?;
    let free_context = e.func::<i32, ()>("QTS_FreeContext")?;
    let eval = e.func::<(i32, i32, i32, i32, i32, i32), i32>("QTS_Eval")?;
    let dump = e.func::<(i32, i32), i32>("QTS_Dump")?;
    let free_value = e.func::<(i32, i32), ()>("QTS_FreeValuePointer")?;
    let code = e.c_string(&malloc, &source)?;
    let filename = e.c_string(&malloc, "bench.js")?;
    let runtime = new_runtime.call(&mut e.store, ())?;
    // The default intrinsics of quickjs-emscripten's newContext() (IntrinsicsFlags).
    const DEFAULT_INTRINSICS: i32 = 1 | 2 | 4 | 8 | 16 | 64 | 128 | 256 | 512 | 1024;
    let mut times = Vec::new();
    let mut values = Vec::new();
    for _ in 0..reps {
        let ctx = new_context.call(&mut e.store, (runtime, DEFAULT_INTRINSICS))?;
        let start = Instant::now();
        let value = eval.call(
            &mut e.store,
            (ctx, code, source.len() as i32, filename, 0, 0),
        )?;
        times.push(secs(start));
        let text = dump.call(&mut e.store, (ctx, value))?;
        values.push(e.read_c_string(text));
        free_value.call(&mut e.store, (ctx, value))?;
        free_context.call(&mut e.store, ctx)?;
    }
    println!(
        "{}",
        json!({ "file": file, "compile": e.compile, "times": times, "results": values })
    );
    Ok(())
}
