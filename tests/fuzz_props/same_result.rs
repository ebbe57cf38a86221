//! Property `same_result`: with no pause ever requested (every import returns at once and
//! nothing calls `asyncify_start_unwind`), a transformed module behaves exactly like the
//! original: every export returns the same values or traps the same way, the imports see the
//! same calls, and the exported globals, memories and tables end in the same state. Fuel
//! bounds the runs; a case where the original runs out is inconclusive.
//!
//! Modules come from wasm-smith with every export exported, NaNs canonicalized, and imports
//! drawn from [`super::validates::AVAILABLE_IMPORTS`] (minus the pausing half of the in-module
//! API, which would really pause). Options are arbitrary ([`super::options`]).

use super::host::{CallResult, HostConfig, Policy, RunError, Session, args_for, reference_engine};
use super::options::{arbitrary_options, describe, is_documented_refusal, names_of};
use super::pause_everywhere::compare;
use super::{Failure, catch, show_module, stat};
use arbitrary::Unstructured;
use asyncify::Options;
use wasmtime::{ExternType, Module, Val};

/// Imports the modules may use: none of them pauses here.
pub const IMPORTS: &str = r#"(module
  (import "env" "sleep" (func))
  (import "env" "sleep_i32" (func (param i32) (result i32)))
  (import "env" "sleep_i64" (func (param i64) (result i64)))
  (import "env" "sleep_f32" (func (param f32) (result f32)))
  (import "env" "sleep_f64" (func (param f64) (result f64)))
  (import "env" "sleep_v128" (func (param v128) (result v128)))
  (import "env" "sleep_multi" (func (param i32 f64) (result i64 f32)))
  (import "env" "log_i32" (func (param i32)))
  (import "env" "log_i64" (func (param i64)))
  (import "env" "log_f64" (func (param f64)))
  (import "asyncify" "get_state" (func (result i32)))
)"#;

/// Fuel of the reference run.
pub const FUEL: u64 = 1_000_000;

pub fn smith_config(u: &mut Unstructured) -> arbitrary::Result<wasm_smith::Config> {
    Ok(wasm_smith::Config {
        available_imports: Some(wat::parse_str(IMPORTS).expect("imports parse")),
        export_everything: true,
        canonicalize_nans: true,
        min_funcs: 1,
        max_funcs: 12 + u.int_in_range(1..=10)?,
        max_instructions: u.int_in_range(10..=150)?,
        max_nesting_depth: u.int_in_range(2..=10)?,
        max_imports: 8,
        max_memories: 1,
        max_tables: 2,
        max_globals: 6,
        max_memory32_bytes: 4 << 16,
        max_memory64_bytes: 4 << 16,
        max_table_elements: 200,
        max_data_segments: 3,
        max_element_segments: 3,
        simd_enabled: true,
        relaxed_simd_enabled: true,
        multi_value_enabled: true,
        // References stay off: the state comparison does not read reference values (funcref
        // tables and call_indirect remain, MVP).
        reference_types_enabled: false,
        bulk_memory_enabled: true,
        tail_call_enabled: true,
        memory64_enabled: u.ratio(1, 6)?,
        threads_enabled: false,
        // `throw` and `try_table` with numeric tags (no `exnref` without references).
        exceptions_enabled: u.ratio(1, 3)?,
        gc_enabled: false,
        custom_page_sizes_enabled: false,
        extended_const_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        wide_arithmetic_enabled: false,
        allow_start_export: true,
        ..wasm_smith::Config::default()
    })
}

/// Exported functions with their types.
type Funcs = Vec<(String, wasmtime::FuncType)>;

/// The exported functions (with their types) and the exports whose state to compare.
fn exports(wasm: &[u8]) -> Result<(Funcs, Vec<String>), String> {
    let module = Module::new(reference_engine(), wasm).map_err(|e| format!("{e:?}"))?;
    let mut funcs = Vec::new();
    let mut state = Vec::new();
    for export in module.exports() {
        match export.ty() {
            ExternType::Func(ty) => funcs.push((export.name().to_string(), ty)),
            ExternType::Global(_) | ExternType::Memory(_) | ExternType::Table(_) => {
                state.push(export.name().to_string())
            }
            _ => {}
        }
    }
    Ok((funcs, state))
}

/// The property.
pub fn check(data: &[u8]) -> Result<(), Failure> {
    let (option_bytes, data) = data.split_at(data.len().min(48));
    let mut u = Unstructured::new(data);
    let Ok(config) = smith_config(&mut u) else {
        return Ok(());
    };
    let Ok(module) = wasm_smith::Module::new(config, &mut u) else {
        stat("same_result: skipped (wasm-smith)");
        return Ok(());
    };
    let wasm = module.to_bytes();
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let options = arbitrary_options(&mut Unstructured::new(option_bytes), &names_of(&wasm));
    check_module(&wasm, &options, seed)
}

/// The property for one module, option set and argument seed.
pub fn check_module(wasm: &[u8], options: &Options, seed: u64) -> Result<(), Failure> {
    let stat = |what: &str| stat(format!("same_result: {what}"));
    let details = |extra: &str| {
        format!(
            "-- options: {}\n-- argument seed: {seed:#x}\n{extra}\n-- input:\n{}",
            describe(options),
            show_module(wasm)
        )
    };
    let (funcs, observe) = match exports(wasm) {
        Ok(e) => e,
        Err(e) => {
            let e: String = e.lines().last().unwrap_or("").chars().take(80).collect();
            stat(&format!("skipped (wasmtime cannot compile the input: {e})"));
            return Ok(());
        }
    };
    let transformed = match catch(|| asyncify::transform(wasm, options)) {
        Err(panic) => {
            return Err(Failure::new(
                format!("transform panicked: {panic}"),
                details(""),
            ));
        }
        Ok(Err(e)) if is_documented_refusal(&e) => {
            stat("refused (documented)");
            return Ok(());
        }
        Ok(Err(e)) => {
            return Err(Failure::new(
                format!(
                    "transform failed: {:?}: {}",
                    e.kind(),
                    e.to_string().replace('\n', " ")
                ),
                details(""),
            ));
        }
        Ok(Ok(out)) => out.wasm,
    };
    let calls: Vec<(String, Vec<Val>)> = funcs
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, (name, ty))| (name.clone(), args_for(ty, seed ^ i as u64)))
        .collect();
    let reference_config = HostConfig {
        asyncify: false,
        policy: Policy::Never,
        fuel: FUEL,
        canonical_nans: true,
        observe,
        ..HostConfig::default()
    };
    let reference = match Session::new(wasm, reference_config.clone()) {
        Ok(mut s) => s.run(&calls),
        Err(e) => Err(e),
    };
    let reference = match reference {
        Ok(r) => r,
        Err(RunError::InitTrap(t)) => {
            // The start function trapped: the transformed module must trap the same way.
            let config = HostConfig {
                asyncify: true,
                ..reference_config
            };
            return match Session::new(&transformed, config) {
                Err(RunError::InitTrap(u)) if u == t || matches!(t, CallResult::Exhausted(_)) => {
                    stat("ok, start function traps");
                    Ok(())
                }
                Err(RunError::InitTrap(CallResult::Exhausted(_))) => Err(Failure::new(
                    "the transformed start function runs out of fuel or stack",
                    details(&format!("-- reference: {t:?}")),
                )),
                Err(e) => Err(Failure::new(
                    format!("start function: expected {t:?}, got {e}"),
                    details(""),
                )),
                Ok(_) => Err(Failure::new(
                    format!("start function: expected {t:?}, the transformed one returns"),
                    details(""),
                )),
            };
        }
        Err(e) => {
            stat(&format!(
                "skipped (reference: {})",
                super::pause_everywhere_kind(&e.to_string())
            ));
            return Ok(());
        }
    };
    if let Some(i) = reference
        .results
        .iter()
        .position(|r| matches!(r, CallResult::Exhausted(_)))
        && i == 0
    {
        stat("inconclusive: the first call runs out of fuel or stack");
        return Ok(());
    }
    let config = HostConfig {
        asyncify: true,
        fuel: reference.fuel_used * 40 + FUEL,
        ..reference_config
    };
    let outcome = match Session::new(&transformed, config).and_then(|mut s| s.run(&calls)) {
        Ok(o) => o,
        Err(e) => {
            return Err(Failure::new(
                format!("transformed run failed: {e}"),
                details(""),
            ));
        }
    };
    // Compare up to the first call the reference could not finish.
    let upto = reference
        .results
        .iter()
        .position(|r| matches!(r, CallResult::Exhausted(_)))
        .unwrap_or(reference.results.len());
    let cut = |o: &super::host::Outcome| {
        let mut o = o.clone();
        o.results.truncate(upto);
        o.logs.truncate(upto);
        o
    };
    let complete = upto == reference.results.len();
    if let Err(diff) = compare(&cut(&reference), &cut(&outcome), complete) {
        return Err(Failure::new(
            diff.lines().next().unwrap_or("").to_string(),
            details(&format!(
                "-- difference:\n{diff}\n-- calls: {:?}\n-- reference:\n{}\n-- transformed:\n{}",
                calls.iter().map(|c| &c.0).collect::<Vec<_>>(),
                super::pause_everywhere::clip(&reference.transcript),
                super::pause_everywhere::clip(&outcome.transcript)
            )),
        ));
    }
    let traps = reference
        .results
        .iter()
        .filter(|r| matches!(r, CallResult::Trap(_)))
        .count();
    stat(if wasm.len() + 200 > transformed.len() {
        "ok, little instrumented"
    } else if traps == calls.len() {
        "ok, every call traps"
    } else {
        "ok"
    });
    Ok(())
}
