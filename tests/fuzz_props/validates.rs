//! Property `validates`: for any valid module (wasm-smith, broad feature set, importing
//! functions that the options may list as pausing) and any option set, the transform either
//! returns a module that validates with every feature enabled, or refuses with a documented
//! error. It never panics and never reports an internal error.

use super::options::{arbitrary_options, describe, is_documented_refusal, names_of};
use super::{Failure, catch, show_module, validate};
use arbitrary::Unstructured;
use asyncify::ErrorKind;

/// The imports generated modules may use: pausing-looking and logging-looking functions of
/// several signatures, and the in-module asyncify API (with its real signatures).
pub const AVAILABLE_IMPORTS: &str = r#"(module
  (import "env" "sleep" (func))
  (import "env" "sleep_i32" (func (param i32) (result i32)))
  (import "env" "sleep_i64" (func (param i64) (result i64)))
  (import "env" "sleep_f32" (func (param f32) (result f32)))
  (import "env" "sleep_f64" (func (param f64) (result f64)))
  (import "env" "sleep_v128" (func (param v128) (result v128)))
  (import "env" "sleep_multi" (func (param i32 f64) (result i64 f32)))
  (import "env" "read_ref" (func (param externref) (result funcref)))
  (import "env" "log_i32" (func (param i32)))
  (import "env" "log_i64" (func (param i64)))
  (import "env" "log_f32" (func (param f32)))
  (import "env" "log_f64" (func (param f64)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "asyncify" "start_unwind" (func (param i32)))
  (import "asyncify" "stop_unwind" (func))
  (import "asyncify" "start_rewind" (func (param i32)))
  (import "asyncify" "stop_rewind" (func))
  (import "asyncify" "get_state" (func (result i32)))
)"#;

/// A wasm-smith configuration with most of what the transform claims to handle switched on,
/// sized by the fuzzer.
pub fn smith_config(u: &mut Unstructured) -> arbitrary::Result<wasm_smith::Config> {
    let mut config = wasm_smith::Config {
        available_imports: Some(wat::parse_str(AVAILABLE_IMPORTS).expect("imports parse")),
        min_funcs: 1,
        // Imported functions count against `max_funcs` too.
        max_funcs: 18 + u.int_in_range(1..=12)?,
        max_instructions: u.int_in_range(10..=200)?,
        max_nesting_depth: u.int_in_range(2..=12)?,
        max_imports: u.int_in_range(0..=10)?,
        max_memories: if u.ratio(1, 10)? { 2 } else { 1 },
        max_tables: u.int_in_range(1..=2)?,
        max_globals: 8,
        max_types: 20,
        max_exports: 10,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 20,
        max_tags: 4,
        simd_enabled: true,
        relaxed_simd_enabled: true,
        multi_value_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        tail_call_enabled: true,
        memory64_enabled: u.ratio(1, 4)?,
        threads_enabled: u.ratio(1, 4)?,
        exceptions_enabled: u.ratio(1, 3)?,
        gc_enabled: u.ratio(1, 5)?,
        extended_const_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        wide_arithmetic_enabled: u.ratio(1, 10)?,
        // Known limitation, kept out of the campaign: walrus cannot parse custom page sizes
        // and the error calls the (valid) module invalid. See tests/wat/regressions/.
        custom_page_sizes_enabled: false,
        generate_custom_sections: u.ratio(1, 5)?,
        allow_start_export: true,
        ..wasm_smith::Config::default()
    };
    if u.ratio(1, 2)? {
        config.min_imports = 1;
        config.max_imports = config.max_imports.max(1);
    }
    Ok(config)
}

/// Append a name section naming every function `f<index>` (or `$...` names with odd
/// characters), so lists can use names and the writer's name handling is exercised.
pub fn add_function_names(wasm: &mut Vec<u8>, odd: bool) {
    let mut count = 0u32;
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            wasmparser::Payload::ImportSection(r) => {
                count += r
                    .into_imports()
                    .flatten()
                    .filter(|i| matches!(i.ty, wasmparser::TypeRef::Func(_)))
                    .count() as u32;
            }
            wasmparser::Payload::FunctionSection(r) => count += r.count(),
            wasmparser::Payload::CustomSection(c) if c.name() == "name" => return,
            _ => {}
        }
    }
    let mut map = wasm_encoder::NameMap::new();
    for i in 0..count {
        let name = if odd {
            format!("ns::f<{i}, int>(char*)")
        } else {
            format!("f{i}")
        };
        map.append(i, &name);
    }
    let mut names = wasm_encoder::NameSection::new();
    names.functions(&map);
    use wasm_encoder::{Encode, Section};
    let mut section = Vec::new();
    section.push(names.id());
    names.encode(&mut section);
    wasm.extend_from_slice(&section);
}

/// The property.
pub fn check(data: &[u8]) -> Result<(), Failure> {
    // The options get bytes of their own, so a big module does not starve them.
    let (option_bytes, data) = data.split_at(data.len().min(48));
    let mut u = Unstructured::new(data);
    let Ok(config) = smith_config(&mut u) else {
        super::stat("validates: skipped (config)");
        return Ok(());
    };
    let module = match wasm_smith::Module::new(config, &mut u) {
        Ok(module) => module,
        Err(e) => {
            super::stat(format!("validates: skipped ({e})"));
            return Ok(());
        }
    };
    let mut wasm = module.to_bytes();
    match u.int_in_range(0..=3u8).unwrap_or(0) {
        0 | 1 => {}
        2 => add_function_names(&mut wasm, false),
        _ => add_function_names(&mut wasm, true),
    }
    let names = names_of(&wasm);
    let options = arbitrary_options(&mut Unstructured::new(option_bytes), &names);
    check_module(&wasm, &options)
}

/// The property for one module and option set.
pub fn check_module(wasm: &[u8], options: &asyncify::Options) -> Result<(), Failure> {
    let stat = |what: &str| super::stat(format!("validates: {what}"));
    let details = || {
        let hash = super::mix(
            wasm.iter()
                .fold(wasm.len() as u64, |h, &b| super::mix(h ^ b as u64)),
        );
        let dumped = super::dump(&format!("validates-{hash:016x}.wasm"), wasm)
            .map(|p| format!("-- written to {p}\n"))
            .unwrap_or_default();
        format!(
            "-- options: {}\n{dumped}-- input:\n{}",
            describe(options),
            show_module(wasm)
        )
    };
    match catch(|| asyncify::transform(wasm, options)) {
        Err(panic) => Err(Failure::new(
            format!("transform panicked: {panic}"),
            details(),
        )),
        Ok(Ok(output)) => match validate(&output.wasm) {
            Ok(()) => {
                let grew = output.wasm.len() > wasm.len() + 200;
                stat(if grew {
                    "ok, instrumented"
                } else {
                    "ok, little added"
                });
                Ok(())
            }
            Err(e) => Err(Failure::new(
                format!("output does not validate: {e}"),
                details(),
            )),
        },
        Ok(Err(e)) if is_documented_refusal(&e) => {
            stat(&format!(
                "refused {:?}: {}",
                e.kind(),
                super::error_shape(&e)
            ));
            Ok(())
        }
        Ok(Err(e)) if e.kind() == ErrorKind::Parse => Err(Failure::new(
            format!(
                "valid input refused as not parsing: {}",
                e.to_string().replace('\n', " ")
            ),
            details(),
        )),
        Ok(Err(e)) => Err(Failure::new(
            format!("{:?} error: {}", e.kind(), e.to_string().replace('\n', " ")),
            details(),
        )),
    }
}
