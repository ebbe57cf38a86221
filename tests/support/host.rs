//! A wasmtime host that drives the Asyncify protocol from outside the module.
//!
//! A [`Session`] instantiates one module. Its imports are provided generically:
//!
//! - **async imports** (named in [`HostConfig::async_imports`], any signature): their result is
//!   a deterministic function of the import, its arguments and a per-coroutine call counter
//!   ([`HostConfig::values`]). In asyncify mode the host may pause at such a call (see
//!   [`PausePolicy`]): it writes `{pos: D+8, end: D+size}` at the coroutine's data buffer `D`,
//!   calls `asyncify_start_unwind(D)` and returns a poison value. When the export returns with
//!   state 1, the driver calls `asyncify_stop_unwind()`, does other work (runs other coroutines,
//!   calls [`HostConfig::between`]), then `asyncify_start_rewind(D)` and calls the same export
//!   again with the same arguments. The import, called again in state 2, checks it is the same
//!   call (same import, same arguments), calls `asyncify_stop_rewind()`, checks the asyncify
//!   stack was fully popped, and returns the real result.
//! - **logging imports**: every other function import without results records
//!   `module.name(args)` in the transcript (e.g. `env.log_i32`, `spectest.print`).
//! - **WASI preview 1** (`wasi_snapshot_preview1.*`): wasmtime-wasi, stdout captured.
//! - **`asyncify.*` imports** (in-module runtimes): only in untransformed modules, where they
//!   are no-ops (`get_state` returns 0), which is the blog's "uninstrumented" behaviour.
//!
//! Async imports log their completed calls too (`env.sleep_i32(5) -> 123`), once per logical
//! call, so a transcript records every call and value the program saw.
//!
//! The host also checks the protocol: a logging or async import called while unwinding or
//! rewinding means code ran that should have been skipped (a function on the stack was not
//! instrumented, or a guard is wrong), and is reported as [`RunError::Protocol`].

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, OnceLock};

use wasmtime::{
    Caller, Config, Engine, Extern, ExternType, FuncType, Instance, Linker, Memory, Module, Store,
    Trap, V128, Val, ValType,
};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// A wasm value with bitwise equality (floats compare by bits, so NaN payloads count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    I32(i32),
    I64(i64),
    /// Bits of an f32.
    F32(u32),
    /// Bits of an f64.
    F64(u64),
    V128(u128),
}

impl Value {
    pub fn f32(v: f32) -> Value {
        Value::F32(v.to_bits())
    }

    pub fn f64(v: f64) -> Value {
        Value::F64(v.to_bits())
    }

    /// Convert from wasmtime (numeric values only).
    pub fn from_val(v: &Val) -> Value {
        match v {
            Val::I32(x) => Value::I32(*x),
            Val::I64(x) => Value::I64(*x),
            Val::F32(x) => Value::F32(*x),
            Val::F64(x) => Value::F64(*x),
            Val::V128(x) => Value::V128(x.as_u128()),
            other => panic!("the harness only supports numeric values, got {other:?}"),
        }
    }

    pub fn to_val(self) -> Val {
        match self {
            Value::I32(x) => Val::I32(x),
            Value::I64(x) => Val::I64(x),
            Value::F32(x) => Val::F32(x),
            Value::F64(x) => Val::F64(x),
            Value::V128(x) => Val::V128(V128::from(x)),
        }
    }

    fn matches(self, ty: &ValType) -> bool {
        matches!(
            (self, ty),
            (Value::I32(_), ValType::I32)
                | (Value::I64(_), ValType::I64)
                | (Value::F32(_), ValType::F32)
                | (Value::F64(_), ValType::F64)
                | (Value::V128(_), ValType::V128)
        )
    }

    /// A value of type `ty` that the program must never look at (what an async import returns
    /// when it starts an unwind). Distinctive, so misuse shows up in transcripts.
    fn poison(ty: &ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0x5a5a_5a5a),
            ValType::I64 => Val::I64(0x5a5a_5a5a_5a5a_5a5a),
            ValType::F32 => Val::F32(0x7fc0_5a5a),
            ValType::F64 => Val::F64(0x7ff8_5a5a_5a5a_5a5a),
            ValType::V128 => Val::V128(V128::from(0x5a5a_5a5a_5a5a_5a5a_5a5a_5a5a_5a5a_5a5a)),
            other => panic!("the harness only supports numeric types, got {other}"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I32(x) => write!(f, "{x}"),
            Value::I64(x) => write!(f, "{x}i64"),
            Value::F32(b) if f32::from_bits(b).is_nan() => write!(f, "nan:{b:#010x}f32"),
            Value::F32(b) => write!(f, "{:?}f32", f32::from_bits(b)),
            Value::F64(b) if f64::from_bits(b).is_nan() => write!(f, "nan:{b:#018x}f64"),
            Value::F64(b) => write!(f, "{:?}f64", f64::from_bits(b)),
            Value::V128(x) => write!(f, "{x:#034x}v128"),
        }
    }
}

/// A transcript line for a completed async import call.
fn call_line(import: &str, args: &[Value], results: &[Value]) -> String {
    if results.is_empty() {
        format!("{import}({})", join(args))
    } else {
        format!("{import}({}) -> {}", join(args), join(results))
    }
}

fn join(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One call of an export: a coroutine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub export: String,
    pub args: Vec<Value>,
}

impl Call {
    pub fn new(export: &str, args: &[Value]) -> Call {
        Call {
            export: export.to_string(),
            args: args.to_vec(),
        }
    }
}

/// What an async import is asked for.
pub struct ImportCall<'a> {
    /// `module.name`.
    pub import: &'a str,
    pub args: &'a [Value],
    /// How many logical calls of any async import this coroutine made before this one.
    pub counter: u64,
    pub results: &'a [ValType],
}

/// Computes an async import's results. Must be deterministic (the reference and the
/// transformed run must see the same values).
pub type ValueFn = Arc<dyn Fn(&ImportCall<'_>) -> Vec<Value> + Send + Sync>;

/// The default [`ValueFn`]: a hash of import name, arguments and counter. Integers use all
/// their bits (programs mask them when they need small numbers); floats are finite multiples of
/// 1/64 in (-1563, 1563), exact in f32.
pub fn hashed_values() -> ValueFn {
    Arc::new(|call: &ImportCall<'_>| {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut mix = |x: u64| h = splitmix(h ^ x);
        for b in call.import.bytes() {
            mix(b as u64);
        }
        for a in call.args {
            match *a {
                Value::I32(x) => mix(x as u32 as u64),
                Value::I64(x) => mix(x as u64),
                Value::F32(x) => mix(x as u64),
                Value::F64(x) => mix(x),
                Value::V128(x) => {
                    mix(x as u64);
                    mix((x >> 64) as u64);
                }
            }
        }
        mix(call.counter);
        call.results
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                let r = splitmix(h.wrapping_add(i as u64));
                let float =
                    ((r % 100_000) as f64 / 64.0) * if r & (1 << 40) != 0 { -1.0 } else { 1.0 };
                match ty {
                    ValType::I32 => Value::I32(r as i32),
                    ValType::I64 => Value::I64(r as i64),
                    ValType::F32 => Value::f32(float as f32),
                    ValType::F64 => Value::f64(float + 1.0 / 1024.0),
                    ValType::V128 => Value::V128(((splitmix(r) as u128) << 64) | r as u128),
                    other => panic!("async import result of type {other} is not supported"),
                }
            })
            .collect()
    })
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// When an async import pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PausePolicy {
    /// At every call.
    Always,
    /// Never (the transformed module runs as if no import were async).
    Never,
    /// At a pseudo-random subset of calls: each call pauses with probability `percent`/100,
    /// from a generator seeded with `seed` (deterministic).
    Random { seed: u64, percent: u32 },
}

/// Where the coroutines' asyncify data buffers live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferPlacement {
    /// Grow the exported memory `memory` by enough pages after instantiation (and after
    /// `_initialize`) and put the buffers there. Done in reference runs too, so both runs see
    /// the same memory layout. Safe with C programs (malloc grows memory past it).
    Grow,
    /// Buffers back to back from this address (the program must leave the region alone).
    At(u32),
}

/// How a [`Session`] provides imports and drives the module.
#[derive(Clone)]
pub struct HostConfig {
    /// Drive the asyncify protocol (the module is transformed). When false, async imports just
    /// return their values (the reference run of the untransformed module).
    pub asyncify: bool,
    /// Imports that can pause, as `module.name`. Each must be imported by the module.
    pub async_imports: Vec<String>,
    pub policy: PausePolicy,
    /// Bytes per coroutine buffer, including the 8-byte `{pos, end}` header.
    pub buffer_size: u32,
    pub placement: BufferPlacement,
    pub values: ValueFn,
    /// Check that the call re-made during a rewind has the same arguments as the paused one.
    pub check_rewind_args: bool,
    /// An export to call while a coroutine is paused (other work; logged as `[between]`).
    pub between: Option<Call>,
    /// After each unwind, fill the unused rest of the buffer (`pos..end`) with 0xa5 bytes, so
    /// a transform that reads what it never wrote is caught.
    pub scribble: bool,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            asyncify: true,
            async_imports: Vec::new(),
            policy: PausePolicy::Always,
            buffer_size: 64 * 1024,
            placement: BufferPlacement::Grow,
            values: hashed_values(),
            check_rewind_args: true,
            between: None,
            scribble: true,
        }
    }
}

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// The module trapped (e.g. `unreachable` in an asyncify function: buffer overflow).
    Trap {
        /// What the host was doing: which export or asyncify function it called.
        during: String,
        trap: Trap,
        /// The full error, with wasm backtrace.
        detail: String,
    },
    /// The module broke the asyncify protocol (detected by the host).
    Protocol(String),
    /// Linking, instantiation, or a harness misuse.
    Setup(String),
    /// The transform failed or produced an invalid module (from `run_transformed`).
    Transform(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Trap { during, detail, .. } => write!(f, "trap during {during}: {detail}"),
            RunError::Protocol(m) => write!(f, "asyncify protocol violation: {m}"),
            RunError::Setup(m) => write!(f, "setup: {m}"),
            RunError::Transform(m) => write!(f, "transform: {m}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Carried through wasmtime from a host function to the driver.
#[derive(Debug)]
struct ProtocolViolation(String);

impl fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolViolation {}

fn violation(msg: String) -> wasmtime::Error {
    wasmtime::Error::new(ProtocolViolation(msg))
}

fn classify(err: wasmtime::Error, during: &str) -> RunError {
    if let Some(v) = err.downcast_ref::<ProtocolViolation>() {
        return RunError::Protocol(format!("{} (during {during})", v.0));
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        return RunError::Trap {
            during: during.to_string(),
            trap: *trap,
            detail: format!("{err:?}"),
        };
    }
    RunError::Setup(format!("{during}: {err:?}"))
}

/// Host-side view of the asyncify state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Normal,
    /// An async import called `asyncify_start_unwind`; the export has not returned yet.
    Unwinding,
    /// The driver called `asyncify_start_rewind`; the paused import has not been reached.
    Rewinding,
}

struct Pending {
    import: String,
    args: Vec<Value>,
    results: Vec<Value>,
}

#[derive(Default)]
struct Coroutine {
    /// Address of the data buffer.
    data: u32,
    calls: u64,
    pending: Option<Pending>,
    pauses: usize,
}

/// Who a transcript line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// A coroutine (index into the calls).
    Call(usize),
    /// Outside every coroutine: start function, `_initialize`.
    Background,
    /// The [`HostConfig::between`] export, run while something is paused.
    Between,
    /// The host's marker for a pause of a call (only in [`Outcome::transcript`]).
    Pause(usize),
}

pub struct HostState {
    config: HostConfig,
    wasi: Option<WasiP1Ctx>,
    phase: Phase,
    current: Who,
    coroutines: Vec<Coroutine>,
    background_calls: u64,
    rng: u64,
    transcript: Vec<(Who, String)>,
}

impl HostState {
    fn log(&mut self, line: String) {
        self.transcript.push((self.current, line));
    }

    fn should_pause(&mut self) -> bool {
        match self.config.policy {
            PausePolicy::Always => true,
            PausePolicy::Never => false,
            PausePolicy::Random { seed, percent } => {
                if self.rng == 0 {
                    self.rng = splitmix(seed) | 1;
                }
                self.rng = splitmix(self.rng);
                (self.rng % 100) < percent as u64
            }
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Per call: the export's results.
    pub results: Vec<Vec<Value>>,
    /// Per call: the transcript lines logged while it ran.
    pub logs: Vec<Vec<String>>,
    /// Lines logged outside the calls (start function, `_initialize`).
    pub background: Vec<String>,
    /// Lines logged by the `between` export.
    pub between: Vec<String>,
    /// Every line in order, prefixed with who logged it (`[0]`: call 0, `[-]`: background,
    /// `[between]`), with the host's pause markers (`[0] ~~ paused at ...`).
    pub transcript: Vec<String>,
    /// WASI stdout.
    pub stdout: String,
    /// Total pauses, and per call.
    pub pauses: usize,
    pub pauses_per_call: Vec<usize>,
    /// The most asyncify stack bytes one unwind used (excluding the 8-byte header).
    pub max_stack_used: u32,
    /// The most calls started and not finished at the same time (> 1: interleaved).
    pub max_live: usize,
}

/// The shared engine, with every feature the test programs may use.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config
            .wasm_simd(true)
            .wasm_relaxed_simd(true)
            .wasm_multi_value(true)
            .wasm_bulk_memory(true)
            .wasm_reference_types(true)
            // The dev-dependency has wasmtime's `gc` feature but no collector: GC (and what
            // needs it: function references, exceptions) must be off.
            .gc_support(false)
            .wasm_function_references(false)
            .wasm_gc(false)
            .wasm_tail_call(true)
            .wasm_multi_memory(true)
            .wasm_extended_const(true)
            // A broken transform can loop forever (e.g. a rewind that never reaches its call):
            // every store gets a fuel budget, so such a run traps instead of hanging the suite.
            .consume_fuel(true);
        Engine::new(&config).expect("create wasmtime engine")
    })
}

/// One instantiated module.
pub struct Session {
    store: Store<HostState>,
    instance: Instance,
    stdout: Option<MemoryOutputPipe>,
}

const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// Fuel per session (roughly wasm instructions): far more than any test program needs.
const FUEL: u64 = 20_000_000_000;

impl Session {
    /// Link and instantiate `wasm` (running its start function; its logs go to the
    /// background), then call `_initialize` if it is exported (WASI reactors).
    pub fn new(wasm: &[u8], config: HostConfig) -> Result<Session, RunError> {
        let engine = engine();
        let module = Module::new(engine, wasm)
            .map_err(|e| RunError::Setup(format!("compiling the module: {e:?}")))?;
        let mut linker: Linker<HostState> = Linker::new(engine);
        let mut uses_wasi = false;
        let mut found_async = Vec::new();
        for import in module.imports() {
            let (m, n) = (import.module(), import.name());
            let full = format!("{m}.{n}");
            let ExternType::Func(ty) = import.ty() else {
                return Err(RunError::Setup(format!(
                    "import {full} is not a function; the harness provides only functions"
                )));
            };
            let defined = if m == WASI_MODULE {
                uses_wasi = true;
                Ok(())
            } else if config.async_imports.contains(&full) {
                found_async.push(full.clone());
                define_async(&mut linker, m, n, ty, full)
            } else if m == "asyncify" {
                if config.asyncify {
                    return Err(RunError::Setup(format!(
                        "the transformed module still imports {full} (the transform must \
                         replace asyncify.* imports with its own functions)"
                    )));
                }
                define_asyncify_noop(&mut linker, n, ty)
            } else if ty.results().len() == 0 {
                define_log(&mut linker, m, n, ty, full)
            } else {
                return Err(RunError::Setup(format!(
                    "import {full} returns values but is not listed as async; the harness only \
                     provides async imports and result-less logging imports"
                )));
            };
            defined.map_err(|e| RunError::Setup(format!("defining {m}.{n}: {e:?}")))?;
        }
        for name in &config.async_imports {
            if !found_async.contains(name) {
                return Err(RunError::Setup(format!(
                    "async import {name} is not imported by the module (typo?)"
                )));
            }
        }
        let (wasi, stdout) = if uses_wasi {
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut HostState| {
                s.wasi.as_mut().expect("WASI context")
            })
            .map_err(|e| RunError::Setup(format!("linking WASI: {e:?}")))?;
            let pipe = MemoryOutputPipe::new(16 << 20);
            let ctx = WasiCtxBuilder::new()
                .stdout(pipe.clone())
                .stderr(pipe.clone())
                .build_p1();
            (Some(ctx), Some(pipe))
        } else {
            (None, None)
        };
        let state = HostState {
            config,
            wasi,
            phase: Phase::Normal,
            current: Who::Background,
            coroutines: Vec::new(),
            background_calls: 0,
            rng: 0,
            transcript: Vec::new(),
        };
        let mut store = Store::new(engine, state);
        store
            .set_fuel(FUEL)
            .map_err(|e| RunError::Setup(format!("setting fuel: {e:?}")))?;
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| classify(e, "instantiation (start function)"))?;
        if let Some(init) = instance.get_func(&mut store, "_initialize") {
            init.call(&mut store, &[], &mut [])
                .map_err(|e| classify(e, "_initialize"))?;
        }
        Ok(Session {
            store,
            instance,
            stdout,
        })
    }

    /// The lines logged outside any call so far (start function, `_initialize`).
    pub fn background_log(&self) -> Vec<String> {
        self.store
            .data()
            .transcript
            .iter()
            .filter(|(w, _)| *w == Who::Background)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// The exported memory `memory`.
    pub fn memory(&mut self) -> Option<Memory> {
        self.instance.get_memory(&mut self.store, "memory")
    }

    fn alloc_buffers(&mut self, n: usize) -> Result<Vec<u32>, RunError> {
        let size = self.store.data().config.buffer_size;
        if size < 8 {
            return Err(RunError::Setup(format!(
                "buffer_size {size} must be at least 8"
            )));
        }
        let stride = size.next_multiple_of(16);
        let base = match self.store.data().config.placement {
            BufferPlacement::At(addr) => addr,
            BufferPlacement::Grow => {
                let Some(memory) = self.memory() else {
                    if self.store.data().config.asyncify {
                        return Err(RunError::Setup(
                            "BufferPlacement::Grow needs the memory exported as `memory`".into(),
                        ));
                    }
                    return Ok(vec![0; n]);
                };
                let bytes = stride as u64 * n as u64;
                let pages = bytes.div_ceil(65536).max(1);
                let old = memory.grow(&mut self.store, pages).map_err(|e| {
                    RunError::Setup(format!("growing memory by {pages} pages: {e:?}"))
                })?;
                u32::try_from(old * 65536)
                    .map_err(|_| RunError::Setup("memory too large for i32 buffers".into()))?
            }
        };
        Ok((0..n as u32).map(|i| base + i * stride).collect())
    }

    fn call_asyncify(&mut self, name: &str, arg: Option<u32>) -> Result<i32, RunError> {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| {
                RunError::Protocol(format!("the transformed module does not export {name}"))
            })?;
        let params: Vec<Val> = arg.map(|a| Val::I32(a as i32)).into_iter().collect();
        let mut results = vec![Val::I32(0); func.ty(&self.store).results().len()];
        func.call(&mut self.store, &params, &mut results)
            .map_err(|e| classify(e, name))?;
        Ok(results.first().and_then(Val::i32).unwrap_or(0))
    }

    fn call_export(&mut self, call: &Call) -> Result<Vec<Value>, RunError> {
        let func = self
            .instance
            .get_func(&mut self.store, &call.export)
            .ok_or_else(|| RunError::Setup(format!("no exported function {}", call.export)))?;
        let ty = func.ty(&self.store);
        let params: Vec<Val> = call.args.iter().map(|v| v.to_val()).collect();
        let mut results: Vec<Val> = ty.results().map(|t| Value::poison(&t)).collect();
        func.call(&mut self.store, &params, &mut results)
            .map_err(|e| classify(e, &format!("export {}", call.export)))?;
        Ok(results.iter().map(Value::from_val).collect())
    }

    fn read_u32(&mut self, addr: u32) -> Result<u32, RunError> {
        let memory = self
            .memory()
            .ok_or_else(|| RunError::Setup("the module does not export `memory`".into()))?;
        let mut b = [0u8; 4];
        memory
            .read(&self.store, addr as usize, &mut b)
            .map_err(|e| RunError::Setup(format!("reading memory at {addr}: {e}")))?;
        Ok(u32::from_le_bytes(b))
    }

    /// Run the calls as coroutines, round-robin: each runs until it pauses or finishes, then
    /// the next one runs. Without asyncify (reference), each runs to completion in order.
    pub fn run(&mut self, calls: &[Call]) -> Result<Outcome, RunError> {
        const MAX_STEPS: usize = 1_000_000;
        let asyncify = self.store.data().config.asyncify;
        let buffers = self.alloc_buffers(calls.len())?;
        let first_line = self.store.data().transcript.len();
        self.store.data_mut().coroutines = buffers
            .iter()
            .map(|&data| Coroutine {
                data,
                ..Default::default()
            })
            .collect();
        let mut results: Vec<Option<Vec<Value>>> = vec![None; calls.len()];
        let mut queue: VecDeque<usize> = (0..calls.len()).collect();
        let mut started = vec![false; calls.len()];
        let (mut live, mut max_live, mut pauses, mut max_stack_used, mut steps) = (0, 0, 0, 0, 0);
        while let Some(i) = queue.pop_front() {
            steps += 1;
            if steps > MAX_STEPS {
                return Err(RunError::Protocol(format!("more than {MAX_STEPS} pauses")));
            }
            let data = buffers[i];
            if !started[i] {
                started[i] = true;
                live += 1;
                max_live = max_live.max(live);
            } else {
                self.call_asyncify("asyncify_start_rewind", Some(data))?;
                self.store.data_mut().phase = Phase::Rewinding;
            }
            self.store.data_mut().current = Who::Call(i);
            let outcome = self.call_export(&calls[i]);
            self.store.data_mut().current = Who::Background;
            let values = outcome?;
            let state = if asyncify {
                self.call_asyncify("asyncify_get_state", None)?
            } else {
                0
            };
            let phase = self.store.data().phase;
            match (state, phase) {
                (0, Phase::Normal) => {
                    if self.store.data().coroutines[i].pending.is_some() {
                        return Err(RunError::Protocol(format!(
                            "{} returned normally with a pause pending",
                            calls[i].export
                        )));
                    }
                    results[i] = Some(values);
                    live -= 1;
                }
                (1, Phase::Unwinding) => {
                    let pos = self.read_u32(data)?;
                    let used = pos.wrapping_sub(data + 8);
                    self.call_asyncify("asyncify_stop_unwind", None)?;
                    let end = data + self.store.data().config.buffer_size;
                    if pos < data + 8 || pos > end {
                        return Err(RunError::Protocol(format!(
                            "after unwinding, pos = {pos} is outside the stack [{}, {end}] and \
                             asyncify_stop_unwind did not trap",
                            data + 8
                        )));
                    }
                    let state = self.call_asyncify("asyncify_get_state", None)?;
                    if state != 0 {
                        return Err(RunError::Protocol(format!(
                            "asyncify_get_state() = {state} after asyncify_stop_unwind"
                        )));
                    }
                    if self.store.data().config.scribble && pos < end {
                        let memory = self.memory().expect("checked by read_u32");
                        let junk = vec![0xa5u8; (end - pos) as usize];
                        memory
                            .write(&mut self.store, pos as usize, &junk)
                            .map_err(|e| RunError::Setup(format!("scribbling: {e}")))?;
                    }
                    max_stack_used = max_stack_used.max(used);
                    pauses += 1;
                    let st = self.store.data_mut();
                    let at = st.coroutines[i]
                        .pending
                        .as_ref()
                        .map(|p| format!("{}({})", p.import, join(&p.args)))
                        .unwrap_or_default();
                    st.transcript.push((
                        Who::Pause(i),
                        format!("~~ paused at {at} ({used} bytes saved)"),
                    ));
                    st.phase = Phase::Normal;
                    st.coroutines[i].pauses += 1;
                    queue.push_back(i);
                    if let Some(between) = self.store.data().config.between.clone() {
                        self.store.data_mut().current = Who::Between;
                        let r = self.call_export(&between);
                        self.store.data_mut().current = Who::Background;
                        r?;
                    }
                }
                (2, Phase::Rewinding) => {
                    return Err(RunError::Protocol(format!(
                        "{} returned while still rewinding: the paused call ({}) was never \
                         reached again",
                        calls[i].export,
                        self.store.data().coroutines[i]
                            .pending
                            .as_ref()
                            .map_or("?".into(), |p| p.import.clone())
                    )));
                }
                (s, p) => {
                    return Err(RunError::Protocol(format!(
                        "{} returned with asyncify_get_state() = {s} but the host expected \
                         {p:?} (state 0 = normal, 1 = unwinding, 2 = rewinding)",
                        calls[i].export
                    )));
                }
            }
        }
        let st = self.store.data();
        let lines = &st.transcript[first_line..];
        let of = |who: Who| -> Vec<String> {
            lines
                .iter()
                .filter(|(w, _)| *w == who)
                .map(|(_, l)| l.clone())
                .collect()
        };
        let background = self.background_log();
        Ok(Outcome {
            results: results.into_iter().map(|r| r.expect("finished")).collect(),
            logs: (0..calls.len()).map(|i| of(Who::Call(i))).collect(),
            background,
            between: of(Who::Between),
            transcript: st
                .transcript
                .iter()
                .map(|(w, l)| match w {
                    Who::Call(i) | Who::Pause(i) => format!("[{i}] {l}"),
                    Who::Background => format!("[-] {l}"),
                    Who::Between => format!("[between] {l}"),
                })
                .collect(),
            stdout: self
                .stdout
                .as_ref()
                .map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
                .unwrap_or_default(),
            pauses,
            pauses_per_call: st.coroutines.iter().map(|c| c.pauses).collect(),
            max_stack_used,
            max_live,
        })
    }
}

fn phase_problem(phase: Phase, what: &str) -> Option<String> {
    match phase {
        Phase::Normal => None,
        Phase::Unwinding => Some(format!(
            "{what} was called while unwinding: code kept running after an unwind started \
             (a function on the stack is not instrumented, or does not return at once)"
        )),
        Phase::Rewinding => Some(format!(
            "{what} was called while rewinding: code that already ran was run again (it should \
             have been skipped until the paused call was reached)"
        )),
    }
}

fn define_log(
    linker: &mut Linker<HostState>,
    module: &str,
    name: &str,
    ty: FuncType,
    full: String,
) -> wasmtime::Result<()> {
    linker.func_new(module, name, ty, move |mut caller, params, _results| {
        let args: Vec<Value> = params.iter().map(Value::from_val).collect();
        let st = caller.data_mut();
        if let Some(problem) = phase_problem(st.phase, &format!("{full}({})", join(&args))) {
            return Err(violation(problem));
        }
        st.log(format!("{full}({})", join(&args)));
        Ok(())
    })?;
    Ok(())
}

fn define_asyncify_noop(
    linker: &mut Linker<HostState>,
    name: &str,
    ty: FuncType,
) -> wasmtime::Result<()> {
    linker.func_new("asyncify", name, ty, |_caller, _params, results| {
        for r in results.iter_mut() {
            *r = Val::I32(0);
        }
        Ok(())
    })?;
    Ok(())
}

fn get_func(caller: &mut Caller<'_, HostState>, name: &str) -> wasmtime::Result<wasmtime::Func> {
    caller
        .get_export(name)
        .and_then(Extern::into_func)
        .ok_or_else(|| violation(format!("the transformed module does not export {name}")))
}

fn get_memory(caller: &mut Caller<'_, HostState>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| violation("the module does not export `memory`".into()))
}

fn define_async(
    linker: &mut Linker<HostState>,
    module: &str,
    name: &str,
    ty: FuncType,
    full: String,
) -> wasmtime::Result<()> {
    let result_types: Vec<ValType> = ty.results().collect();
    linker.func_new(module, name, ty, move |mut caller, params, results| {
        let args: Vec<Value> = params.iter().map(Value::from_val).collect();
        let st = caller.data_mut();
        let who = st.current;
        let Who::Call(co) = who else {
            // Outside the coroutines (start function, _initialize, between): synchronous.
            if let Some(problem) = phase_problem(st.phase, &format!("{full}({})", join(&args))) {
                return Err(violation(problem));
            }
            let counter = st.background_calls;
            st.background_calls += 1;
            let values = compute(st, &full, &args, counter, &result_types)?;
            st.log(call_line(&full, &args, &values));
            write_results(results, &values);
            return Ok(());
        };
        match st.phase {
            Phase::Unwinding => Err(violation(
                phase_problem(Phase::Unwinding, &format!("{full}({})", join(&args))).unwrap(),
            )),
            Phase::Rewinding => {
                let Some(pending) = st.coroutines[co].pending.take() else {
                    return Err(violation(format!(
                        "{full} called while rewinding coroutine {co}, which has no pause pending"
                    )));
                };
                if pending.import != full {
                    return Err(violation(format!(
                        "rewinding reached {full}({}) but the paused call was {}({})",
                        join(&args),
                        pending.import,
                        join(&pending.args)
                    )));
                }
                if st.config.check_rewind_args && pending.args != args {
                    return Err(violation(format!(
                        "rewinding called {full} with arguments ({}) but the paused call had ({})",
                        join(&args),
                        join(&pending.args)
                    )));
                }
                let data = st.coroutines[co].data;
                st.phase = Phase::Normal;
                let line = call_line(&full, &pending.args, &pending.results);
                get_func(&mut caller, "asyncify_stop_rewind")?.call(&mut caller, &[], &mut [])?;
                let memory = get_memory(&mut caller)?;
                let mut pos = [0u8; 4];
                memory.read(&caller, data as usize, &mut pos)?;
                let pos = u32::from_le_bytes(pos);
                if pos != data + 8 {
                    return Err(violation(format!(
                        "after rewinding, the asyncify stack was not fully popped: pos = {pos}, \
                         expected {} (frames saved and restored have different sizes)",
                        data + 8
                    )));
                }
                caller.data_mut().log(line);
                write_results(results, &pending.results);
                Ok(())
            }
            Phase::Normal => {
                let counter = st.coroutines[co].calls;
                st.coroutines[co].calls += 1;
                let values = compute(st, &full, &args, counter, &result_types)?;
                if !(st.config.asyncify && st.should_pause()) {
                    st.log(call_line(&full, &args, &values));
                    write_results(results, &values);
                    return Ok(());
                }
                let data = st.coroutines[co].data;
                let end = data + st.config.buffer_size;
                st.coroutines[co].pending = Some(Pending {
                    import: full.clone(),
                    args,
                    results: values,
                });
                st.phase = Phase::Unwinding;
                let memory = get_memory(&mut caller)?;
                let mut header = [0u8; 8];
                header[..4].copy_from_slice(&(data + 8).to_le_bytes());
                header[4..].copy_from_slice(&end.to_le_bytes());
                memory.write(&mut caller, data as usize, &header)?;
                get_func(&mut caller, "asyncify_start_unwind")?.call(
                    &mut caller,
                    &[Val::I32(data as i32)],
                    &mut [],
                )?;
                for (r, ty) in results.iter_mut().zip(&result_types) {
                    *r = Value::poison(ty);
                }
                Ok(())
            }
        }
    })?;
    Ok(())
}

fn compute(
    st: &HostState,
    full: &str,
    args: &[Value],
    counter: u64,
    types: &[ValType],
) -> wasmtime::Result<Vec<Value>> {
    let values = (st.config.values)(&ImportCall {
        import: full,
        args,
        counter,
        results: types,
    });
    if values.len() != types.len() || values.iter().zip(types).any(|(v, t)| !v.matches(t)) {
        return Err(violation(format!(
            "harness bug: the value function returned ({}) for {full} with result types {types:?}",
            join(&values)
        )));
    }
    Ok(values)
}

fn write_results(results: &mut [Val], values: &[Value]) {
    for (r, v) in results.iter_mut().zip(values) {
        *r = v.to_val();
    }
}
