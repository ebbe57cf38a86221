//! Facts about a module that the benchmark tables need, computed the same way for every tool's
//! output: sizes (with and without custom sections), validity, and how many functions are
//! instrumented.
//!
//! "Instrumented" is counted from the output alone, so it means the same for asyncify and for
//! Binaryen: a defined function is instrumented when its body reads or writes the asyncify
//! state global (the global that the exported `asyncify_get_state` returns), not counting the
//! five exported API functions themselves. Binaryen's `-O` may inline small instrumented
//! functions into their callers; those are then counted once, in the caller.

use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use wasmparser::{
    ExternalKind, FunctionBody, Operator, Parser, Payload, TypeRef, Validator, WasmFeatures,
};
use wasmtime::error::Context;
use wasmtime::{Result, bail};

/// The asyncify API exports; functions behind them are not counted as instrumented.
const API: [&str; 5] = [
    "asyncify_start_unwind",
    "asyncify_stop_unwind",
    "asyncify_start_rewind",
    "asyncify_stop_rewind",
    "asyncify_get_state",
];

pub fn inspect(file: &str) -> Value {
    match inspect_file(file) {
        Ok(v) => v,
        Err(e) => json!({ "file": file, "valid": false, "error": format!("{e:#}") }),
    }
}

fn inspect_file(file: &str) -> Result<Value> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    let sections = sections(&bytes)?;
    let custom_bytes: usize = sections.iter().filter(|s| s.0 == 0).map(|s| s.1).sum();
    let code_bytes: usize = sections.iter().filter(|s| s.0 == 10).map(|s| s.1).sum();
    let error = Validator::new_with_features(WasmFeatures::all())
        .validate_all(&bytes)
        .err()
        .map(|e| e.to_string());
    let module = Parsed::new(&bytes)?;
    let instrumented = module.instrumented()?;
    let (total_locals, max_locals) = module.locals()?;
    Ok(json!({
        "file": file,
        "bytes": bytes.len(),
        "custom_bytes": custom_bytes,
        "code_bytes": code_bytes,
        "imported_funcs": module.imported_funcs,
        "defined_funcs": module.bodies.len(),
        "instrumented": instrumented,
        "total_locals": total_locals,
        "max_locals": max_locals,
        "valid": error.is_none(),
        "error": error,
    }))
}

/// Every section as (id, size including its id byte and size field).
fn sections(bytes: &[u8]) -> Result<Vec<(u8, usize)>> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        bail!("not a WebAssembly binary");
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        let (size, leb_len) = read_leb(&bytes[pos + 1..])?;
        let total = 1 + leb_len + size as usize;
        if pos + total > bytes.len() {
            bail!("section at offset {pos} runs past the end");
        }
        out.push((id, total));
        pos += total;
    }
    Ok(out)
}

fn read_leb(bytes: &[u8]) -> Result<(u32, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().take(5).enumerate() {
        value |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value as u32, i + 1));
        }
    }
    bail!("bad LEB128 section size")
}

/// What the counting needs from a module.
struct Parsed<'a> {
    imported_funcs: u32,
    /// (module.name) of each function import, by function index.
    import_names: Vec<String>,
    exports: HashMap<String, u32>,
    bodies: Vec<FunctionBody<'a>>,
}

impl<'a> Parsed<'a> {
    fn new(bytes: &'a [u8]) -> Result<Parsed<'a>> {
        let mut parsed = Parsed {
            imported_funcs: 0,
            import_names: Vec::new(),
            exports: HashMap::new(),
            bodies: Vec::new(),
        };
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import?;
                        if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ty {
                            parsed.imported_funcs += 1;
                            parsed
                                .import_names
                                .push(format!("{}.{}", import.module, import.name));
                        }
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export?;
                        if export.kind == ExternalKind::Func {
                            parsed.exports.insert(export.name.to_string(), export.index);
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => parsed.bodies.push(body),
                _ => {}
            }
        }
        Ok(parsed)
    }

    fn body(&self, func: u32) -> Option<&FunctionBody<'a>> {
        self.bodies
            .get(func.checked_sub(self.imported_funcs)? as usize)
    }

    /// Declared locals (not parameters): the sum over all defined functions and the most in
    /// one function. Engines pay for locals in compile time and frame size.
    fn locals(&self) -> Result<(u64, u64)> {
        let (mut total, mut max) = (0u64, 0u64);
        for body in &self.bodies {
            let mut count = 0u64;
            for local in body.get_locals_reader()? {
                count += local?.0 as u64;
            }
            total += count;
            max = max.max(count);
        }
        Ok((total, max))
    }

    /// The number of instrumented functions (see the module docs), or None when the module
    /// has no `asyncify_get_state` export.
    fn instrumented(&self) -> Result<Option<usize>> {
        let Some(&get_state) = self.exports.get("asyncify_get_state") else {
            return Ok(None);
        };
        let body = self
            .body(get_state)
            .context("asyncify_get_state is not a defined function")?;
        let mut state = None;
        for op in body.get_operators_reader()? {
            if let Operator::GlobalGet { global_index } = op? {
                state = Some(global_index);
                break;
            }
        }
        let state = state.context("asyncify_get_state does not read a global")?;
        let api: HashSet<u32> = API
            .iter()
            .filter_map(|n| self.exports.get(*n))
            .copied()
            .collect();
        let mut count = 0;
        for (i, body) in self.bodies.iter().enumerate() {
            if api.contains(&(i as u32 + self.imported_funcs)) {
                continue;
            }
            for op in body.get_operators_reader()? {
                match op? {
                    Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index }
                        if global_index == state =>
                    {
                        count += 1;
                        break;
                    }
                    _ => {}
                }
            }
        }
        Ok(Some(count))
    }
}

/// Print each function import with the number of direct call sites in the module (to choose a
/// plausible `--imports` entry for a module).
pub fn imports(file: &str) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    let module = Parsed::new(&bytes)?;
    let mut calls = vec![0usize; module.imported_funcs as usize];
    let mut callers = vec![0usize; module.imported_funcs as usize];
    for body in &module.bodies {
        let mut seen = HashSet::new();
        for op in body.get_operators_reader()? {
            if let Operator::Call { function_index } | Operator::ReturnCall { function_index } = op?
                && function_index < module.imported_funcs
            {
                calls[function_index as usize] += 1;
                if seen.insert(function_index) {
                    callers[function_index as usize] += 1;
                }
            }
        }
    }
    for (i, name) in module.import_names.iter().enumerate() {
        println!(
            "{}",
            json!({ "import": name, "call_sites": calls[i], "callers": callers[i] })
        );
    }
    Ok(())
}
