//! The whole transform, top to bottom.
//!
//! 1. Read: WAT or binary in, walrus IR plus the original index maps.
//! 2. Analyze: the call graph and which functions can pause (lists applied).
//! 3. Add the ABI: globals, the five API functions, the in-module runtime's imports.
//! 4. Instrument each function that needs it: flow (guards, call indices, spills), liveness
//!    (what to save), frame (prologue and epilogue), cleanup with `-O`.
//! 5. Write: splice the changes into the input, then validate the result. An invalid result
//!    is a bug in asyncify and is reported as one, never returned.

use crate::analysis::call_graph::CallGraph;
use crate::analysis::can_pause::{self, Instrumentation};
use crate::analysis::liveness;
use crate::analysis::stack_types::StackTypeOracle;
use crate::emit::encode::LocalOrder;
use crate::emit::writer::{self, Changes};
use crate::error::{Error, Result};
use crate::input;
use crate::options::Options;
use crate::passes::{asserts, cleanup, coalesce, flow, frame, runtime_api};
use crate::{Diagnostic, Level, Output};
use std::collections::{HashMap, HashSet};
use walrus::{ExportItem, FunctionId, FunctionKind, LocalFunction, Module};

/// Run the transform. See the crate documentation.
pub fn run(input: &[u8], options: &Options) -> Result<Output> {
    let (wasm, text_warning) = input::to_binary(input, None)?;
    refuse_object_files(&wasm)?;
    let (mut module, ids) = input::parse(&wasm)?;
    let mut diagnostics = Vec::new();
    if let Some(message) = text_warning {
        diagnostics.push(Diagnostic {
            level: Level::Warning,
            message,
        });
    }

    let graph = CallGraph::new(&module, &ids.funcs);
    let decision = can_pause::analyze(&graph, options, &mut diagnostics)?;

    let runtime = runtime_api::run(&mut module)?;

    let to_instrument: Vec<usize> = (0..graph.funcs.len())
        .filter(|&i| decision.instrumented(i))
        .collect();
    let wanted: HashSet<u32> = to_instrument.iter().map(|&i| i as u32).collect();
    let mut oracle = StackTypeOracle::new(&wasm, &ids.types, |index| wanted.contains(&index))?;
    let func_types: HashMap<FunctionId, walrus::TypeId> =
        module.funcs.iter().map(|f| (f.id(), f.ty())).collect();

    let mut rewritten = HashSet::new();
    for &index in &to_instrument {
        let facts = &graph.funcs[index];
        instrument(
            &mut module,
            facts.id,
            index as u32,
            &facts.name,
            &graph,
            &decision,
            &mut oracle,
            &func_types,
            &runtime,
            options,
        )
        .map_err(|e| e.context(format!("failed to instrument function `{}`", facts.name)))?;
        rewritten.insert(facts.id);
    }
    if options.asserts {
        // Every other defined function checks that no pause passes through it, except the
        // in-module runtime, which changes the state on purpose.
        for (index, facts) in graph.funcs.iter().enumerate() {
            if facts.import.is_some()
                || rewritten.contains(&facts.id)
                || decision.roles[index] != can_pause::Role::Program
            {
                continue;
            }
            let mut func = take_body(&mut module, facts.id);
            asserts::run(&mut func, &mut module.locals, runtime.place.state);
            put_body(&mut module, facts.id, func);
            rewritten.insert(facts.id);
        }
    }
    if options.verbose {
        diagnostics.push(Diagnostic {
            level: Level::Info,
            message: format!(
                "instrumented {} of {} functions",
                to_instrument.len(),
                graph.funcs.iter().filter(|f| f.import.is_none()).count()
            ),
        });
    }

    let changes = Changes {
        rewritten,
        new_funcs: runtime.added_functions.clone(),
        new_globals: runtime.globals.clone(),
        new_memory: runtime.added_memory,
        new_exports: runtime
            .functions
            .iter()
            .map(|(api, f)| (api.export_name().to_string(), ExportItem::Function(*f)))
            .collect(),
        replaced_imports: runtime.replaced_imports.clone(),
        local_order: if options.optimizing() {
            LocalOrder::Uses
        } else {
            LocalOrder::Creation
        },
    };
    let written = writer::write(&wasm, &module, &ids, &changes)?;
    diagnostics.extend(written.warnings.iter().map(|w| Diagnostic {
        level: Level::Warning,
        message: w.clone(),
    }));
    validate_output(&written, &module)?;
    Ok(Output {
        wasm: written.wasm,
        diagnostics,
    })
}

#[allow(clippy::too_many_arguments)]
fn instrument(
    module: &mut Module,
    id: FunctionId,
    index: u32,
    name: &str,
    graph: &CallGraph,
    decision: &Instrumentation,
    oracle: &mut StackTypeOracle,
    func_types: &HashMap<FunctionId, walrus::TypeId>,
    runtime: &runtime_api::Runtime,
    options: &Options,
) -> Result<()> {
    let call_pauses = |f: FunctionId| decision.can_pause[graph.position(f)];
    let instrumented = |f: FunctionId| decision.instrumented(graph.position(f));
    let cx = flow::FlowContext {
        state: runtime.place.state,
        func_types,
        call_pauses: &call_pauses,
        instrumented: &instrumented,
        indirect_pauses: decision.indirect_pauses_in(index as usize),
        name,
    };
    let ty = module.funcs.get(id).ty();
    let mut func = take_body(module, id);
    let result = (|| {
        let plan = flow::plan(&mut func, &cx)?;
        let stacks = oracle.frame_stacks(index, &plan.offsets)?;
        let shape = flow::run(
            &mut func,
            ty,
            &mut module.locals,
            &mut module.types,
            &cx,
            plan,
            &stacks,
        )?;
        let live = liveness::analyze(&func, &shape);
        let mut saved = live.union();
        if options.optimizing() {
            let graph = liveness::interference(&func, &shape);
            let replaced = coalesce::run(&mut func, &module.locals, &graph, &shape.internal_locals);
            saved = saved
                .into_iter()
                .map(|l| replaced.get(&l).copied().unwrap_or(l))
                .collect();
        }
        let saved = frame_order(&func, saved, &shape.internal_locals);
        frame::run(
            &mut func,
            &mut module.locals,
            &shape,
            &saved,
            runtime.place,
            name,
        )?;
        if options.optimizing() {
            cleanup::run(&mut func);
        }
        Ok(())
    })();
    put_body(module, id, func);
    result
}

/// Saved locals in frame order: ascending output local index, i.e. parameters first, then
/// the others in the order they were created.
fn frame_order(
    func: &LocalFunction,
    live: HashSet<walrus::LocalId>,
    internal: &[walrus::LocalId],
) -> Vec<walrus::LocalId> {
    let mut saved: Vec<walrus::LocalId> =
        live.into_iter().filter(|l| !internal.contains(l)).collect();
    let param_pos = |l: &walrus::LocalId| func.args.iter().position(|a| a == l);
    saved.sort_by_key(|l| match param_pos(l) {
        Some(p) => (0, p),
        None => (1, l.index()),
    });
    saved
}

/// Take a defined function's body out of the module so it can be edited while the rest of
/// the module (locals, types) is borrowed mutably.
fn take_body(module: &mut Module, id: FunctionId) -> LocalFunction {
    let func = module.funcs.get_mut(id);
    let ty = func.ty();
    match std::mem::replace(&mut func.kind, FunctionKind::Uninitialized(ty)) {
        FunctionKind::Local(local) => local,
        _ => unreachable!("only defined functions are instrumented"),
    }
}

fn put_body(module: &mut Module, id: FunctionId, func: LocalFunction) {
    module.funcs.get_mut(id).kind = FunctionKind::Local(func);
}

/// Relocatable object files carry relocations against code offsets that we would move.
fn refuse_object_files(wasm: &[u8]) -> Result<()> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { return Ok(()) }; // the real parse reports it
        if let wasmparser::Payload::CustomSection(c) = payload
            && (c.name() == "linking" || c.name().starts_with("reloc."))
        {
            return Err(Error::unsupported(
                "input is a relocatable object file (it has a `linking` section); run \
                     asyncify on the linked module instead",
            ));
        }
    }
    Ok(())
}

/// Validate the output; name the function if a body we encoded is at fault.
fn validate_output(written: &writer::Written, module: &Module) -> Result<()> {
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    let Err(e) = validator.validate_all(&written.wasm) else {
        return Ok(());
    };
    let offset = e.offset();
    let mut culprit = None;
    let mut func_index = None;
    let mut defined = 0u32;
    let mut imported = 0u32;
    for payload in wasmparser::Parser::new(0)
        .parse_all(&written.wasm)
        .flatten()
    {
        match payload {
            wasmparser::Payload::ImportSection(r) => {
                imported = r
                    .into_imports()
                    .flatten()
                    .filter(|i| matches!(i.ty, wasmparser::TypeRef::Func(_)))
                    .count() as u32;
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                if body.range().contains(&offset) {
                    func_index = Some(imported + defined);
                }
                defined += 1;
            }
            _ => {}
        }
    }
    if let Some(index) = func_index {
        culprit = written
            .encoded
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, id)| {
                module
                    .funcs
                    .get(*id)
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("#{index}"))
            });
    }
    let place = match culprit {
        Some(name) => format!("in function `{name}`"),
        None => format!("at offset {offset:#x}"),
    };
    Err(Error::internal(format!(
        "asyncify produced an invalid module ({place}): {}; this is a bug in asyncify, please \
         report it with the input module",
        e.message()
    )))
}
