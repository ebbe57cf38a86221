//! A wasmtime host for the runtime properties: runs a module's exports, provides every
//! function import generically, and drives the Asyncify protocol from outside.
//!
//! Imports, by kind:
//! - **pausing** (listed in [`HostConfig::pausing`]): results are a hash of the import, its
//!   arguments and a per-coroutine counter. In a transformed module the host may pause there
//!   ([`Policy`]): it sets up the coroutine's buffer, calls `asyncify_start_unwind` and returns
//!   dummy values; the driver stops the unwind, runs other code, starts the rewind and calls the
//!   export again; the import, reached again, checks it is the same call, stops the rewind and
//!   returns the real results.
//! - **other imports with results**: the same hash, never a pause.
//! - **imports without results**: recorded in the transcript (`env.log_i32(5)`).
//! - **`asyncify.*`** in an untransformed module: no-ops (`get_state` returns 0).
//!
//! The host checks the protocol as it goes: an import called while unwinding (code ran that
//! should have returned) or while rewinding before the paused call was reached (code ran
//! twice) is a [`RunError::Protocol`], and so is an export returning in the wrong state.
//!
//! Values are rendered as text for transcripts; floats by bits, or with NaNs canonicalized
//! when [`HostConfig::canonical_nans`] is set.

use super::program::Value;
use std::collections::VecDeque;
use std::sync::OnceLock;
use wasmtime::{
    Caller, Config, Engine, Extern, ExternType, Func, FuncType, Instance, Linker, Module, OptLevel,
    Store, StoreLimits, StoreLimitsBuilder, Trap, V128, Val, ValType,
};

/// When a pausing import pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Never,
    Always,
    /// Each call pauses with probability `percent`%, from a generator seeded with `seed`.
    Random {
        seed: u64,
        percent: u32,
    },
}

/// Largest size any memory may grow to (the transformed module's buffers included).
const MAX_MEMORY_BYTES: usize = 64 << 20;
/// Most host calls a run may make.
const MAX_TRANSCRIPT: usize = 100_000;
/// Largest size any table may grow to.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The module is transformed: drive the protocol.
    pub asyncify: bool,
    /// `module.name` of the imports that may pause.
    pub pausing: Vec<String>,
    pub policy: Policy,
    /// Bytes per coroutine buffer (header included); 0: no buffers (never pausing).
    pub buffer_size: u32,
    /// Export to call (no arguments besides a depth of 2, if it takes one) while a
    /// coroutine is paused.
    pub between: Option<(String, Vec<Value>)>,
    /// Run the calls round-robin (each until it pauses) instead of one after the other.
    pub interleave: bool,
    /// Fuel for the whole run.
    pub fuel: u64,
    /// Render every NaN as `nan` instead of by its bits.
    pub canonical_nans: bool,
    /// Exports whose final state to record (globals' values, memories' contents).
    pub observe: Vec<String>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            asyncify: false,
            pausing: Vec::new(),
            policy: Policy::Never,
            buffer_size: 0,
            between: None,
            interleave: false,
            fuel: 10_000_000,
            canonical_nans: false,
            observe: Vec::new(),
        }
    }
}

/// How one call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    Values(Vec<String>),
    Trap(String),
    /// Out of fuel or stack: inconclusive (the transformed code is bigger and slower).
    Exhausted(String),
}

#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Lines logged outside the calls (start function).
    pub background: Vec<String>,
    /// Per call: its transcript lines and how it ended.
    pub logs: Vec<Vec<String>>,
    pub results: Vec<CallResult>,
    /// Final state of the observed exports: `(name, rendering)`.
    pub state: Vec<(String, String)>,
    pub pauses: usize,
    /// Most calls started and not finished at the same time.
    pub max_live: usize,
    /// Fuel used.
    pub fuel_used: u64,
    /// Everything, in order, with who logged it and the pause markers.
    pub transcript: Vec<String>,
}

#[derive(Debug)]
pub enum RunError {
    /// The module broke the protocol (or ran code it should have skipped).
    Protocol(String),
    /// The module cannot be run by this host (unsupported import, compile error).
    Setup(String),
    /// Instantiation (the start function) trapped or ran out of fuel.
    InitTrap(CallResult),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Protocol(m) => write!(f, "protocol violation: {m}"),
            RunError::Setup(m) => write!(f, "setup: {m}"),
            RunError::InitTrap(r) => write!(f, "instantiation: {r:?}"),
        }
    }
}

#[derive(Debug)]
struct Violation(String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Violation {}

/// The program logged [`MAX_TRANSCRIPT`] lines: stopped, inconclusive like running out of fuel.
#[derive(Debug)]
struct TranscriptFull;

impl std::fmt::Display for TranscriptFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_TRANSCRIPT} host calls")
    }
}

impl std::error::Error for TranscriptFull {}

fn violation(m: String) -> wasmtime::Error {
    wasmtime::Error::new(Violation(m))
}

fn engine_config(max_stack: usize) -> Config {
    let mut config = Config::new();
    config
        .wasm_simd(true)
        .wasm_relaxed_simd(true)
        .relaxed_simd_deterministic(true)
        .wasm_multi_value(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        // Exceptions need a collector (`exnref`s are GC objects).
        .gc_support(true)
        .wasm_exceptions(true)
        .wasm_function_references(false)
        .wasm_gc(false)
        .wasm_tail_call(true)
        .wasm_multi_memory(true)
        .wasm_extended_const(true)
        .wasm_memory64(true)
        .wasm_threads(true)
        .cranelift_nan_canonicalization(true)
        .cranelift_opt_level(OptLevel::None)
        .max_wasm_stack(max_stack)
        .consume_fuel(true);
    config
}

/// The engine for untransformed modules: a smaller stack than [`transformed_engine`], so a
/// program that overflows in the transformed run has overflowed in the reference too (its
/// frames are smaller).
pub fn reference_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(&engine_config(256 << 10)).expect("engine"))
}

pub fn transformed_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(&engine_config(1 << 20)).expect("engine"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Normal,
    Unwinding,
    Rewinding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Call(usize),
    Background,
    Between,
    Pause(usize),
}

struct Pending {
    import: String,
    args: Vec<String>,
    results: Vec<Val>,
}

#[derive(Default)]
struct Coroutine {
    data: u32,
    counter: u64,
    pending: Option<Pending>,
}

struct State {
    config: HostConfig,
    phase: Phase,
    current: Who,
    coroutines: Vec<Coroutine>,
    other_counter: u64,
    rng: u64,
    transcript: Vec<(Who, String)>,
    /// Host calls made by the program's own calls and by `between` calls.
    program_lines: usize,
    between_lines: usize,
    /// Caps what the program may allocate, so a loop of `memory.grow` without a declared
    /// maximum fails the grow (the same in both runs) instead of exhausting the fuzzer's memory.
    limits: StoreLimits,
}

impl State {
    /// Record a host call. A program that makes more than [`MAX_TRANSCRIPT`] calls is stopped
    /// like one that runs out of fuel (the transformed run gets more fuel than the reference:
    /// without a cap, a logging loop fills the fuzzer's memory). Lines of `between` calls are
    /// not compared: past the cap they are dropped.
    fn log(&mut self, line: String) -> wasmtime::Result<()> {
        if self.current == Who::Between {
            self.between_lines += 1;
            if self.between_lines > MAX_TRANSCRIPT {
                return Ok(());
            }
        } else {
            self.program_lines += 1;
            if self.program_lines > MAX_TRANSCRIPT {
                return Err(wasmtime::Error::new(TranscriptFull));
            }
        }
        self.transcript.push((self.current, line));
        Ok(())
    }

    fn should_pause(&mut self) -> bool {
        match self.config.policy {
            Policy::Never => false,
            Policy::Always => true,
            Policy::Random { seed, percent } => {
                if self.rng == 0 {
                    self.rng = super::mix(seed) | 1;
                }
                self.rng = super::mix(self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15));
                self.rng % 100 < percent as u64
            }
        }
    }

    fn phase_problem(&self, what: &str) -> Option<String> {
        match self.phase {
            Phase::Normal => None,
            Phase::Unwinding => Some(format!(
                "{what} was called while unwinding: code kept running after the unwind started"
            )),
            Phase::Rewinding => Some(format!(
                "{what} was called while rewinding, before the paused call was reached: code \
                 ran again that should have been skipped"
            )),
        }
    }
}

/// Render a value for transcripts.
pub fn show(v: &Val, canonical_nans: bool) -> String {
    match v {
        Val::I32(x) => format!("{x}"),
        Val::I64(x) => format!("{x}i64"),
        Val::F32(b) => {
            if canonical_nans && f32::from_bits(*b).is_nan() {
                "nan:f32".into()
            } else {
                format!("{:?}f32({b:#x})", f32::from_bits(*b))
            }
        }
        Val::F64(b) => {
            if canonical_nans && f64::from_bits(*b).is_nan() {
                "nan:f64".into()
            } else {
                format!("{:?}f64({b:#x})", f64::from_bits(*b))
            }
        }
        // NB: lanes are not canonicalized (the shape is unknown); the engine canonicalizes
        // NaNs its SIMD arithmetic produces.
        Val::V128(x) => format!("{:#034x}", x.as_u128()),
        Val::FuncRef(f) => if f.is_some() { "funcref" } else { "null func" }.into(),
        Val::ExternRef(e) => if e.is_some() {
            "externref"
        } else {
            "null extern"
        }
        .into(),
        other => format!("{other:?}"),
    }
}

impl Value {
    pub fn to_val(self) -> Val {
        match self {
            Value::I32(x) => Val::I32(x),
            Value::I64(x) => Val::I64(x),
            Value::F32(x) => Val::F32(x),
            Value::F64(x) => Val::F64(x),
            Value::V128(x) => Val::V128(V128::from(x)),
        }
    }
}

/// A value of `ty` derived from a hash (refs: null).
pub fn hashed(ty: &ValType, h: u64) -> Val {
    let float = ((h % 100_000) as f64 / 64.0) * if h & (1 << 40) != 0 { -1.0 } else { 1.0 };
    match ty {
        ValType::I32 => Val::I32(h as i32),
        ValType::I64 => Val::I64(h as i64),
        ValType::F32 => Val::F32((float as f32).to_bits()),
        ValType::F64 => Val::F64((float + 1.0 / 1024.0).to_bits()),
        ValType::V128 => Val::V128(V128::from(((super::mix(h) as u128) << 64) | h as u128)),
        ValType::Ref(r) => Val::null_ref(r.heap_type()),
    }
}

/// A dummy value of `ty` (what a pausing import returns while the unwind runs).
fn poison(ty: &ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(0x5a5a_5a5a),
        ValType::I64 => Val::I64(0x5a5a_5a5a_5a5a_5a5a),
        ValType::F32 => Val::F32(0x7fc0_5a5a),
        ValType::F64 => Val::F64(0x7ff8_5a5a_5a5a_5a5a),
        ValType::V128 => Val::V128(V128::from(0x5a5a_5a5a_5a5a_5a5a_5a5a_5a5a_5a5a_5a5a)),
        ValType::Ref(r) => Val::null_ref(r.heap_type()),
    }
}

fn compute(import: &str, args: &[String], counter: u64, results: &[ValType]) -> Vec<Val> {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in import.bytes().chain(args.join(",").bytes()) {
        h = super::mix(h ^ b as u64);
    }
    h = super::mix(h ^ counter);
    results
        .iter()
        .enumerate()
        .map(|(i, t)| hashed(t, super::mix(h.wrapping_add(i as u64))))
        .collect()
}

fn write_results(out: &mut [Val], values: &[Val]) {
    for (o, v) in out.iter_mut().zip(values) {
        *o = *v;
    }
}

/// Fuel for each call of the `between` export.
pub const BETWEEN_FUEL: u64 = 5_000_000;

/// One instantiated module.
pub struct Session {
    store: Store<State>,
    instance: Instance,
}

fn classify(err: wasmtime::Error) -> Result<CallResult, RunError> {
    if let Some(v) = err.downcast_ref::<Violation>() {
        return Err(RunError::Protocol(v.0.clone()));
    }
    if err.downcast_ref::<TranscriptFull>().is_some() {
        return Ok(CallResult::Exhausted("transcript limit".into()));
    }
    if err.downcast_ref::<wasmtime::ThrownException>().is_some() {
        return Ok(CallResult::Trap("uncaught exception".into()));
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Ok(CallResult::Exhausted("out of fuel".into())),
        Some(Trap::StackOverflow) => Ok(CallResult::Exhausted("stack overflow".into())),
        Some(trap) => Ok(CallResult::Trap(format!("{trap:?}"))),
        None => Err(RunError::Setup(format!("{err:?}"))),
    }
}

impl Session {
    pub fn new(wasm: &[u8], config: HostConfig) -> Result<Session, RunError> {
        let engine = if config.asyncify {
            transformed_engine()
        } else {
            reference_engine()
        };
        let module =
            Module::new(engine, wasm).map_err(|e| RunError::Setup(format!("compile: {e:?}")))?;
        let mut linker: Linker<State> = Linker::new(engine);
        for import in module.imports() {
            let (m, n) = (import.module().to_string(), import.name().to_string());
            let full = format!("{m}.{n}");
            let ExternType::Func(ty) = import.ty() else {
                return Err(RunError::Setup(format!("import {full} is not a function")));
            };
            let defined = if m == "asyncify" {
                if config.asyncify {
                    return Err(RunError::Protocol(format!(
                        "the transformed module still imports {full}"
                    )));
                }
                linker
                    .func_new(&m, &n, ty, |_, _, results| {
                        for r in results.iter_mut() {
                            *r = Val::I32(0);
                        }
                        Ok(())
                    })
                    .map(|_| ())
            } else if config.pausing.contains(&full) {
                define_pausing(&mut linker, &m, &n, ty, full)
            } else if ty.results().len() == 0 {
                define_log(&mut linker, &m, &n, ty, full)
            } else {
                define_value(&mut linker, &m, &n, ty, full)
            };
            defined.map_err(|e| RunError::Setup(format!("defining {m}.{n}: {e:?}")))?;
        }
        let state = State {
            config,
            phase: Phase::Normal,
            current: Who::Background,
            coroutines: Vec::new(),
            other_counter: 0,
            rng: 0,
            transcript: Vec::new(),
            program_lines: 0,
            between_lines: 0,
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY_BYTES)
                .table_elements(MAX_TABLE_ELEMENTS)
                .build(),
        };
        let fuel = state.config.fuel;
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limits);
        store
            .set_fuel(fuel)
            .map_err(|e| RunError::Setup(format!("{e:?}")))?;
        match linker.instantiate(&mut store, &module) {
            Ok(instance) => Ok(Session { store, instance }),
            Err(e) => Err(RunError::InitTrap(classify(e)?)),
        }
    }

    fn func(&mut self, name: &str) -> Option<Func> {
        self.instance.get_func(&mut self.store, name)
    }

    fn asyncify_call(&mut self, name: &str, arg: Option<u32>) -> Result<i32, RunError> {
        // The API functions are tiny; after the program ran out of fuel they still run.
        if self.store.get_fuel().unwrap_or(0) < 10_000 {
            let _ = self.store.set_fuel(10_000);
        }
        let f = self
            .func(name)
            .ok_or_else(|| RunError::Protocol(format!("no export {name}")))?;
        let params: Vec<Val> = arg.map(|a| Val::I32(a as i32)).into_iter().collect();
        let mut results = vec![Val::I32(0); f.ty(&self.store).results().len()];
        f.call(&mut self.store, &params, &mut results)
            .map_err(|e| RunError::Protocol(format!("{name} failed: {e:?}")))?;
        Ok(results.first().and_then(Val::i32).unwrap_or(0))
    }

    fn state_of_asyncify(&mut self) -> Result<i32, RunError> {
        if self.store.data().config.asyncify {
            self.asyncify_call("asyncify_get_state", None)
        } else {
            Ok(0)
        }
    }

    fn call_export(&mut self, export: &str, args: &[Val]) -> Result<CallResult, RunError> {
        let f = self
            .func(export)
            .ok_or_else(|| RunError::Setup(format!("no exported function {export}")))?;
        let ty = f.ty(&self.store);
        let mut results: Vec<Val> = ty.results().map(|t| poison(&t)).collect();
        match f.call(&mut self.store, args, &mut results) {
            Ok(()) => {
                let canon = self.store.data().config.canonical_nans;
                Ok(CallResult::Values(
                    results.iter().map(|v| show(v, canon)).collect(),
                ))
            }
            Err(e) => {
                // An uncaught exception stays pending in the store until taken.
                if e.downcast_ref::<wasmtime::ThrownException>().is_some() {
                    let _ = self.store.take_pending_exception();
                }
                classify(e)
            }
        }
    }

    fn memory_u32(&mut self, addr: u32) -> Result<u32, RunError> {
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .ok_or_else(|| RunError::Setup("no exported memory `memory`".into()))?;
        let mut b = [0u8; 4];
        memory
            .read(&self.store, addr as usize, &mut b)
            .map_err(|e| RunError::Protocol(format!("reading {addr}: {e}")))?;
        Ok(u32::from_le_bytes(b))
    }

    /// Grow `memory` for `n` buffers (in reference runs too, so memory sizes match).
    fn alloc_buffers(&mut self, n: usize) -> Result<Vec<u32>, RunError> {
        let size = self.store.data().config.buffer_size;
        if size == 0 {
            return Ok(vec![0; n]);
        }
        let Some(memory) = self.instance.get_memory(&mut self.store, "memory") else {
            return Err(RunError::Setup(
                "no exported memory `memory` for buffers".into(),
            ));
        };
        let stride = size.next_multiple_of(16);
        let pages = (stride as u64 * n as u64).div_ceil(65536).max(1);
        let old = memory
            .grow(&mut self.store, pages)
            .map_err(|e| RunError::Setup(format!("growing memory: {e:?}")))?;
        let base =
            u32::try_from(old * 65536).map_err(|_| RunError::Setup("memory too big".into()))?;
        Ok((0..n as u32).map(|i| base + i * stride).collect())
    }

    /// Run the calls: one after the other, or round-robin as coroutines; every pause runs the
    /// `between` export. Returns everything observable.
    pub fn run(&mut self, calls: &[(String, Vec<Val>)]) -> Result<Outcome, RunError> {
        let interleave = self.store.data().config.interleave;
        let buffers = self.alloc_buffers(calls.len())?;
        let first_line = self.store.data().transcript.len();
        self.store.data_mut().coroutines = buffers
            .iter()
            .map(|&data| Coroutine {
                data,
                ..Default::default()
            })
            .collect();
        let mut results: Vec<Option<CallResult>> = vec![None; calls.len()];
        let mut started = vec![false; calls.len()];
        let mut queue: VecDeque<usize> = (0..calls.len()).collect();
        let (mut live, mut max_live, mut pauses, mut steps) = (0usize, 0usize, 0usize, 0usize);
        let mut stop_all = false;
        while let Some(i) = queue.pop_front() {
            if stop_all {
                results[i] = Some(CallResult::Exhausted("an earlier call ran out".into()));
                continue;
            }
            steps += 1;
            if steps > 200_000 {
                return Err(RunError::Protocol("more than 200000 pauses".into()));
            }
            let data = buffers[i];
            if !started[i] {
                started[i] = true;
                live += 1;
                max_live = max_live.max(live);
            } else {
                self.asyncify_call("asyncify_start_rewind", Some(data))?;
                self.store.data_mut().phase = Phase::Rewinding;
            }
            self.store.data_mut().current = Who::Call(i);
            let (export, args) = &calls[i];
            let outcome = self.call_export(export, args);
            self.store.data_mut().current = Who::Background;
            let outcome = outcome?;
            let state = self.state_of_asyncify()?;
            let phase = self.store.data().phase;
            match (&outcome, state, phase) {
                (CallResult::Values(_), 0, Phase::Normal) => {
                    if self.store.data().coroutines[i].pending.is_some() {
                        return Err(RunError::Protocol(format!(
                            "call {i} ({export}) returned normally with a pause pending"
                        )));
                    }
                    results[i] = Some(outcome);
                    live -= 1;
                }
                (CallResult::Trap(_) | CallResult::Exhausted(_), 0, Phase::Normal) => {
                    if matches!(outcome, CallResult::Exhausted(_)) {
                        // Fuel is shared: the rest cannot be compared.
                        stop_all = true;
                    }
                    self.store.data_mut().coroutines[i].pending = None;
                    results[i] = Some(outcome);
                    live -= 1;
                }
                (CallResult::Values(_), 1, Phase::Unwinding) => {
                    let pos = self.memory_u32(data)?;
                    self.asyncify_call("asyncify_stop_unwind", None)?;
                    let end = data + self.store.data().config.buffer_size;
                    if pos < data + 8 || pos > end {
                        return Err(RunError::Protocol(format!(
                            "after unwinding call {i}, pos = {pos} is outside [{}, {end}]",
                            data + 8
                        )));
                    }
                    // Scribble over the free part of the buffer: a rewind must not read it.
                    if pos < end {
                        let memory = self.instance.get_memory(&mut self.store, "memory").unwrap();
                        let junk = vec![0xa5u8; (end - pos) as usize];
                        memory.write(&mut self.store, pos as usize, &junk).unwrap();
                    }
                    pauses += 1;
                    let st = self.store.data_mut();
                    let at = st.coroutines[i]
                        .pending
                        .as_ref()
                        .map(|p| format!("{}({})", p.import, p.args.join(", ")))
                        .unwrap_or_default();
                    st.transcript.push((
                        Who::Pause(i),
                        format!("~~ paused at {at}, {} bytes", pos - data - 8),
                    ));
                    st.phase = Phase::Normal;
                    if interleave {
                        queue.push_back(i);
                    } else {
                        queue.push_front(i);
                    }
                    if let Some((between, args)) = self.store.data().config.between.clone() {
                        self.store.data_mut().current = Who::Between;
                        let args: Vec<Val> = args.iter().map(|v| v.to_val()).collect();
                        // `between` runs on its own fuel: the program's budget is a multiple of
                        // what the reference (which never calls it) used.
                        let program_fuel = self.store.get_fuel().unwrap_or(0);
                        let _ = self.store.set_fuel(BETWEEN_FUEL);
                        let r = self.call_export(&between, &args);
                        let _ = self.store.set_fuel(program_fuel);
                        self.store.data_mut().current = Who::Background;
                        let r = r?;
                        let state = self.state_of_asyncify()?;
                        if state != 0 {
                            return Err(RunError::Protocol(format!(
                                "the `between` call left asyncify state {state} ({r:?})"
                            )));
                        }
                        // A `between` that runs out only stops itself: its log is not compared.
                        let _ = r;
                    }
                }
                (_, s, p) => {
                    return Err(RunError::Protocol(format!(
                        "call {i} ({export}) ended with {outcome:?} in asyncify state {s}, but \
                         the host expected {p:?}"
                    )));
                }
            }
        }
        let fuel_used = self.store.data().config.fuel - self.store.get_fuel().unwrap_or(0);
        let state = self.observe()?;
        let st = self.store.data();
        let lines = &st.transcript[first_line..];
        let of = |who: Who| -> Vec<String> {
            lines
                .iter()
                .filter(|(w, _)| *w == who)
                .map(|(_, l)| l.clone())
                .collect()
        };
        Ok(Outcome {
            background: st.transcript[..first_line]
                .iter()
                .map(|(_, l)| l.clone())
                .collect(),
            logs: (0..calls.len()).map(|i| of(Who::Call(i))).collect(),
            results: results
                .into_iter()
                .map(|r| r.expect("every call ends"))
                .collect(),
            state,
            pauses,
            max_live,
            fuel_used,
            transcript: st
                .transcript
                .iter()
                .map(|(w, l)| match w {
                    Who::Call(i) | Who::Pause(i) => format!("[{i}] {l}"),
                    Who::Background => format!("[-] {l}"),
                    Who::Between => format!("[between] {l}"),
                })
                .collect(),
        })
    }

    /// The observed exports' final state. Memories are hashed up to the size they had before
    /// the host added buffer pages (the same in both runs).
    fn observe(&mut self) -> Result<Vec<(String, String)>, RunError> {
        let names = self.store.data().config.observe.clone();
        let canon = self.store.data().config.canonical_nans;
        let buffers = self
            .store
            .data()
            .coroutines
            .iter()
            .map(|c| c.data)
            .filter(|&d| d > 0)
            .min();
        let mut out = Vec::new();
        for name in names {
            match self.instance.get_export(&mut self.store, &name) {
                Some(Extern::Global(g)) => {
                    let v = g.get(&mut self.store);
                    out.push((name, show(&v, canon)));
                }
                Some(Extern::Memory(m)) => {
                    let data = m.data(&self.store);
                    let limit = if name == "memory" {
                        buffers.map_or(data.len(), |b| b as usize)
                    } else {
                        data.len()
                    };
                    let data = &data[..limit.min(data.len())];
                    let mut h = data.len() as u64;
                    for chunk in data.chunks(8) {
                        let mut w = [0u8; 8];
                        w[..chunk.len()].copy_from_slice(chunk);
                        h = super::mix(h ^ u64::from_le_bytes(w));
                    }
                    out.push((name, format!("{} bytes, hash {h:016x}", data.len())));
                }
                Some(Extern::Table(t)) => {
                    let size = t.size(&self.store);
                    out.push((name, format!("table of {size}")));
                }
                Some(Extern::SharedMemory(m)) => {
                    out.push((name, format!("shared memory of {} bytes", m.data_size())));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn define_log(
    linker: &mut Linker<State>,
    m: &str,
    n: &str,
    ty: FuncType,
    full: String,
) -> wasmtime::Result<()> {
    linker.func_new(m, n, ty, move |mut caller: Caller<'_, State>, params, _| {
        let st = caller.data_mut();
        let args: Vec<String> = params
            .iter()
            .map(|v| show(v, st.config.canonical_nans))
            .collect();
        let line = format!("{full}({})", args.join(", "));
        if let Some(p) = st.phase_problem(&line) {
            return Err(violation(p));
        }
        st.log(line)?;
        Ok(())
    })?;
    Ok(())
}

fn define_value(
    linker: &mut Linker<State>,
    m: &str,
    n: &str,
    ty: FuncType,
    full: String,
) -> wasmtime::Result<()> {
    let result_types: Vec<ValType> = ty.results().collect();
    linker.func_new(
        m,
        n,
        ty,
        move |mut caller: Caller<'_, State>, params, results| {
            let st = caller.data_mut();
            let args: Vec<String> = params
                .iter()
                .map(|v| show(v, st.config.canonical_nans))
                .collect();
            if let Some(p) = st.phase_problem(&format!("{full}({})", args.join(", "))) {
                return Err(violation(p));
            }
            let counter = match st.current {
                Who::Call(i) => {
                    st.coroutines[i].counter += 1;
                    st.coroutines[i].counter
                }
                _ => {
                    st.other_counter += 1;
                    st.other_counter
                }
            };
            let values = compute(&full, &args, counter, &result_types);
            write_results(results, &values);
            Ok(())
        },
    )?;
    Ok(())
}

fn define_pausing(
    linker: &mut Linker<State>,
    m: &str,
    n: &str,
    ty: FuncType,
    full: String,
) -> wasmtime::Result<()> {
    let result_types: Vec<ValType> = ty.results().collect();
    linker.func_new(
        m,
        n,
        ty,
        move |mut caller: Caller<'_, State>, params, results| {
            let st = caller.data_mut();
            let canon = st.config.canonical_nans;
            let args: Vec<String> = params.iter().map(|v| show(v, canon)).collect();
            let call_text = format!("{full}({})", args.join(", "));
            let line = |values: &[Val]| {
                if values.is_empty() {
                    call_text.clone()
                } else {
                    let shown: Vec<String> = values.iter().map(|v| show(v, canon)).collect();
                    format!("{call_text} -> {}", shown.join(", "))
                }
            };
            let Who::Call(co) = st.current else {
                // Outside the coroutines: synchronous.
                if let Some(p) = st.phase_problem(&call_text) {
                    return Err(violation(p));
                }
                st.other_counter += 1;
                let values = compute(&full, &args, st.other_counter, &result_types);
                st.log(line(&values))?;
                write_results(results, &values);
                return Ok(());
            };
            match st.phase {
                Phase::Unwinding => Err(violation(st.phase_problem(&call_text).unwrap())),
                Phase::Rewinding => {
                    let Some(pending) = st.coroutines[co].pending.take() else {
                        return Err(violation(format!(
                            "rewinding into {call_text} with nothing pending"
                        )));
                    };
                    if pending.import != full || pending.args != args {
                        return Err(violation(format!(
                            "rewinding reached {call_text}, but the paused call was {}({})",
                            pending.import,
                            pending.args.join(", ")
                        )));
                    }
                    let data = st.coroutines[co].data;
                    st.phase = Phase::Normal;
                    let stop = caller
                        .get_export("asyncify_stop_rewind")
                        .and_then(Extern::into_func)
                        .ok_or_else(|| violation("no asyncify_stop_rewind".into()))?;
                    stop.call(&mut caller, &[], &mut [])?;
                    // The rewind must have popped every frame.
                    let memory = caller
                        .get_export("memory")
                        .and_then(Extern::into_memory)
                        .ok_or_else(|| violation("no memory".into()))?;
                    let mut b = [0u8; 4];
                    memory.read(&caller, data as usize, &mut b)?;
                    let pos = u32::from_le_bytes(b);
                    if pos != data + 8 {
                        return Err(violation(format!(
                            "after rewinding to {call_text}, pos = {pos}, expected {} (frames left \
                         on the asyncify stack, or popped too many)",
                            data + 8
                        )));
                    }
                    let st = caller.data_mut();
                    st.log(line(&pending.results))?;
                    write_results(results, &pending.results);
                    Ok(())
                }
                Phase::Normal => {
                    st.coroutines[co].counter += 1;
                    let counter = st.coroutines[co].counter;
                    let values = compute(&full, &args, counter, &result_types);
                    if !st.config.asyncify || !st.should_pause() {
                        st.log(line(&values))?;
                        write_results(results, &values);
                        return Ok(());
                    }
                    let data = st.coroutines[co].data;
                    let size = st.config.buffer_size;
                    st.coroutines[co].pending = Some(Pending {
                        import: full.clone(),
                        args,
                        results: values,
                    });
                    st.phase = Phase::Unwinding;
                    let memory = caller
                        .get_export("memory")
                        .and_then(Extern::into_memory)
                        .ok_or_else(|| violation("no memory".into()))?;
                    let mut header = [0u8; 8];
                    header[..4].copy_from_slice(&(data + 8).to_le_bytes());
                    header[4..].copy_from_slice(&(data + size).to_le_bytes());
                    memory.write(&mut caller, data as usize, &header)?;
                    let start = caller
                        .get_export("asyncify_start_unwind")
                        .and_then(Extern::into_func)
                        .ok_or_else(|| violation("no asyncify_start_unwind".into()))?;
                    start.call(&mut caller, &[Val::I32(data as i32)], &mut [])?;
                    for (r, t) in results.iter_mut().zip(&result_types) {
                        *r = poison(t);
                    }
                    Ok(())
                }
            }
        },
    )?;
    Ok(())
}

/// Arguments for calling a function of type `ty`, derived from `seed`.
pub fn args_for(ty: &FuncType, seed: u64) -> Vec<Val> {
    ty.params()
        .enumerate()
        .map(|(i, t)| hashed(&t, super::mix(seed ^ (i as u64 + 1))))
        .collect()
}
