//! The whole transform, top to bottom.
//!
//! 1. Read: WAT or binary in; a scan of the binary says which bodies the analysis can need
//!    (`analysis::prescan`), and walrus parses the module with the others stubbed out, giving
//!    IR plus the original index maps.
//! 2. Analyze: the call graph and which functions can pause (lists applied).
//! 3. Add the ABI: globals, the five API functions, the in-module runtime's imports.
//! 4. Instrument each function that needs it: flow (guards, call indices, spills), liveness
//!    (what to save), save groups (what each pause point stores), frame (prologue and
//!    epilogue), cleanup with `-O`, and with `-O3` (or `--split huge`, for the biggest
//!    functions) the split into a copy for normal execution and one for rewinding.
//! 5. Write: splice the changes into the input, then validate the result. An invalid result
//!    is a bug in asyncify and is reported as one, never returned.

use crate::abi;
use crate::analysis::call_graph::CallGraph;
use crate::analysis::can_pause::{self, Instrumentation};
use crate::analysis::stack_types::{self, StackTypeOracle};
use crate::analysis::{liveness, save_groups};
use crate::analysis::{prescan, stack_bound};
use crate::emit::encode::{
    EncodedFunction, LocalOrder, SharedEncoding, encode_function, encode_shared,
};
use crate::emit::indices::Indices;
use crate::emit::writer::{self, Changes};
use crate::error::{Error, Result};
use crate::input::{self, OriginalIds};
use crate::ir::{self, IdMap, IdSet};
use crate::options::{Epilogues, Options};
use crate::passes::{asserts, cleanup, coalesce, flow, frame, ref_stack, runtime_api, split};
use crate::report::Analysis;
use crate::workers;
use crate::{Diagnostic, Level, Output};
use walrus::{FunctionId, FunctionKind, LocalFunction, Module};

/// Run the transform. See the crate documentation.
pub fn run(input: &[u8], options: &Options) -> Result<Output> {
    if !options.optimizing() && options.split.is_some_and(|s| s != crate::Split::None) {
        return Err(Error::new(
            crate::ErrorKind::BadOptions,
            "`--split` splits optimized code: it needs `-O1` or higher",
        ));
    }
    let (wasm, text_warning) = input::to_binary(input, None)?;
    refuse_early(&wasm)?;
    // Bodies the analysis cannot need are not parsed into IR (see `analysis::prescan`).
    let needed = prescan::bodies_needed(&wasm, options).filter(|keep| keep.contains(&false));
    let stubbed = needed
        .as_deref()
        .and_then(|keep| input::stub_bodies(&wasm, keep));
    let needed = needed.filter(|_| stubbed.is_some());
    let (mut module, ids) = input::parse(stubbed.as_ref().map_or(&wasm, |s| &s.wasm))?;
    // walrus's instruction offsets are offsets into what it parsed; the stack-type oracle
    // reads the input, so it needs each body's shift (and the copy can go).
    let shifts = stubbed.map(|s| s.shifts);
    let mut diagnostics = Vec::new();
    if let Some(message) = text_warning {
        diagnostics.push(Diagnostic {
            level: Level::Warning,
            message,
        });
    }

    let graph = CallGraph::new(&module, &ids.funcs);
    let decision = can_pause::analyze(&graph, options, &mut diagnostics)?;

    if !options.asserts {
        // Untouched functions are copied from the input bytes; their IR is never read again.
        // Freeing it now lets the transform reuse the memory (peak RSS is a target).
        for (index, facts) in graph.funcs.iter().enumerate() {
            if facts.import.is_none() && !decision.instrumented(index) {
                let func = module.funcs.get_mut(facts.id);
                func.kind = FunctionKind::Uninitialized(func.ty());
            }
        }
    }
    let runtime = runtime_api::run(&mut module, options, &mut diagnostics)?;

    let to_instrument: Vec<usize> = (0..graph.funcs.len())
        .filter(|&i| decision.instrumented(i))
        .collect();
    if let Some(keep) = &needed {
        let imported = graph.funcs.len() - keep.len();
        let kept = |i: usize| keep.get(i.wrapping_sub(imported)) == Some(&true);
        if let Some(&i) = to_instrument.iter().find(|&&i| !kept(i)) {
            return Err(Error::internal(format!(
                "function `{}` is instrumented but the prescan left its body out",
                graph.funcs[i].name
            )));
        }
    }
    // The passes recurse once per nesting level: run them on a stack deep enough for the
    // most deeply nested function to instrument (refusing absurd depths).
    let mut depth = 0;
    for &index in &to_instrument {
        let nesting = graph.funcs[index].nesting;
        if nesting > MAX_NESTING {
            return Err(Error::unsupported(format!(
                "function `{}` nests blocks {nesting} levels deep; asyncify instruments \
                 functions nested at most {MAX_NESTING} levels deep",
                graph.funcs[index].name
            )));
        }
        depth = depth.max(nesting);
    }
    let stack = stack_size(depth);
    let analyzed = Analyzed {
        wasm,
        shifts,
        module,
        ids,
        graph,
        decision,
        runtime,
        to_instrument,
        diagnostics,
    };
    // The worker threads live through the whole instrumentation: a function stays on the
    // thread its flow pass ran on (see `workers`).
    on_stack(stack, move || {
        workers::scope(workers::thread_count(), stack, |workers| {
            instrument(analyzed, options, workers)
        })
    })
}

/// The module after analysis, ready to instrument.
struct Analyzed<'a> {
    /// The input, as a binary.
    wasm: std::borrow::Cow<'a, [u8]>,
    /// If walrus parsed `wasm` with unneeded bodies stubbed out: how far each defined
    /// function's body moved (see [`input::Stubbed`]).
    shifts: Option<Vec<isize>>,
    module: Module,
    ids: OriginalIds,
    graph: CallGraph,
    decision: Instrumentation,
    runtime: runtime_api::Runtime,
    /// Indices (in the call graph) of the functions to instrument.
    to_instrument: Vec<usize>,
    diagnostics: Vec<Diagnostic>,
}

/// Instrument the functions the analysis chose and write the module; the passes run on
/// `workers`.
fn instrument(
    analyzed: Analyzed<'_>,
    options: &Options,
    workers: &workers::Workers<'_>,
) -> Result<Output> {
    let Analyzed {
        wasm,
        shifts,
        mut module,
        ids,
        graph,
        decision,
        runtime,
        to_instrument,
        mut diagnostics,
    } = analyzed;
    let wanted: IdSet<u32> = to_instrument.iter().map(|&i| i as u32).collect();
    let mut oracle = StackTypeOracle::new(&wasm, &ids.types, |index| wanted.contains(&index))?;
    if let Some(shifts) = shifts {
        oracle.shift_offsets(ids.funcs.len() - ids.defined_funcs, shifts);
    }
    let func_types: IdMap<FunctionId, walrus::TypeId> =
        module.funcs.iter().map(|f| (f.id(), f.ty())).collect();

    let mut changes = Changes {
        new_funcs: runtime.added_functions.clone(),
        new_globals: runtime.globals.clone(),
        new_global_imports: runtime.imported_globals.clone(),
        new_tables: Vec::new(),
        new_memory: runtime.added_memory,
        new_exports: runtime.exports.clone(),
        replaced_imports: runtime.replaced_imports.clone(),
        copy_of: IdMap::default(),
        local_order: local_order(options),
    };
    // Every output index is known now; each function is encoded as soon as it is done and its
    // IR dropped, so only a batch of transformed functions is in memory at a time.
    let mut indices = writer::output_indices(&module, &ids, &changes);
    // Tables and helpers for saved references, added as the first local of each type is saved.
    let mut refs = ref_stack::RefStacks::default();
    let mut encoded = IdMap::default();
    // What instrumenting each function produced, for the report and the stack bounds.
    let mut frames: Vec<Option<stack_bound::Frame>> = vec![None; graph.funcs.len()];
    // Only GC modules have non-nullable locals for the flow pass to relax.
    let non_nullable = module
        .locals
        .iter()
        .any(|l| matches!(l.ty(), walrus::ValType::Ref(r) if !r.nullable));
    // Added once some function's frames hold prefixes of its saved locals.
    let mut prefix_helpers = None;
    let single_prefix = to_instrument.len() >= SINGLE_PREFIX_MIN_FUNCTIONS;
    // Input code instrumented since memory was last given back (see `release_freed_memory`).
    let mut taken_bytes = 0;
    let trim_every = trim_every(wasm.len());
    let sizes: Vec<usize> = to_instrument
        .iter()
        .map(|&i| oracle.body_size(i as u32).unwrap_or(0))
        .collect();
    for batch in batches(&sizes, batch_bytes(wasm.len())).map(|r| &to_instrument[r]) {
        // Each function's body comes out of the module (and of the oracle), and a multi-value
        // result type is added for the block its body moves into...
        let mut taken = Vec::with_capacity(batch.len());
        for &index in batch {
            let facts = &graph.funcs[index];
            let input = oracle.take(index as u32).map_err(failed_in(&facts.name))?;
            taken_bytes += input.size();
            let body_ty = flow::body_type(&mut module.types, module.funcs.get(facts.id).ty());
            let func = take_body(&mut module, facts.id);
            taken.push((index, func, body_ty, input));
        }
        // ... then the flow pass runs on them in parallel, adding locals to the module as it
        // goes...
        let locals = ir::SharedLocals::new(&mut module.locals);
        let size =
            |(_, _, _, input): &(usize, LocalFunction, _, stack_types::Body<'_>)| input.size();
        let (results, owners) =
            workers.map_heaviest_first(taken, size, |(index, func, body_ty, input)| {
                let cx = Context {
                    graph: &graph,
                    decision: &decision,
                    oracle: &oracle,
                    func_types: &func_types,
                    runtime: &runtime,
                    asserts: options.asserts,
                    non_nullable,
                };
                let mut p = prepare(&cx, index, func, body_ty, input, &locals, &module.types)?;
                // The input's buffers the flow pass replaced are freed by the calling
                // thread (see `FlowResult::retired`).
                workers.discard(std::mem::take(&mut p.shape.retired));
                let pause_points = stack_bound::pause_points(&p.func, &p.shape.pause_sites, &graph);
                // ... and after it, what to save (liveness, coalescing)...
                choose_saved(&mut p, |local| locals.ty(local), options, single_prefix)
                    .map_err(failed_in(&graph.funcs[index].name))?;
                Ok((p, pause_points))
            });
        let mut prepared = Vec::with_capacity(batch.len());
        for result in results {
            let (p, pause_points) = result?;
            frames[p.index] = Some(stack_bound::Frame {
                pause_points,
                ..Default::default()
            });
            // ... then the helpers of prefix frames, the first time a function has them ...
            if p.groups.kind == save_groups::FrameKind::Prefixes && prefix_helpers.is_none() {
                let added = runtime_api::add_prefix_helpers(&mut module, runtime.place);
                changes.append(
                    &mut indices,
                    &[added.push, added.pop],
                    &[added.resume, added.bytes],
                    &[],
                );
                prefix_helpers = Some(added);
            }
            // ... then the side stacks for saved references (they add to the module) ...
            for ty in frame::ref_types(&module.locals, &p.saved) {
                let added = refs.ensure(&mut module, ty);
                changes.append(&mut indices, &added.funcs, &added.globals, &added.tables);
            }
            prepared.push(p);
        }
        // ... then (with `-O3`) the copies for rewinding are added...
        let rewinds: Vec<Option<FunctionId>> = prepared
            .iter()
            .map(|p| {
                let huge = || ir::instr_count(&p.func) > split::HUGE;
                options.split_mode().splits(huge).then(|| {
                    let name = &graph.funcs[p.index].name;
                    let rewind = add_copy(&mut module, p.id, &rewind_name(name));
                    changes.append(&mut indices, &[rewind], &[], &[]);
                    changes.copy_of.insert(rewind, p.id);
                    rewind
                })
            })
            .collect();
        // ... then the frames, and the functions are encoded.
        let order = changes.local_order;
        let work: Vec<_> = prepared.iter_mut().zip(rewinds).collect();
        let stack = frame::Stack {
            place: runtime.place,
            prefix: prefix_helpers,
        };
        let (results, _) = workers.map(work, Some(&owners), |(p, rewind)| {
            finish(p, rewind, &module, stack, &refs, &indices, options)
        });
        for (mut p, result) in prepared.into_iter().zip(results) {
            let name = &graph.funcs[p.index].name;
            let done = result.map_err(failed_in(name))?;
            if let Some(frame) = &mut frames[p.index] {
                frame.saved_locals = p.saved.len() as u32;
                frame.layout = p.groups.kind;
                (frame.bytes, frame.smallest_bytes) = (done.bytes.largest, done.bytes.smallest);
                frame.epilogues = p.groups.groups.len() as u32;
                frame.rewind_copy =
                    (!matches!(done.bodies, Bodies::One(_))).then(|| rewind_name(name));
            }
            let body = match done.bodies {
                Bodies::One(body) => body.finish(&module, &p.func, &mut indices, order),
                Bodies::Split {
                    rewind,
                    rewind_body,
                    body,
                } => {
                    // The rewind copy lacked no types (it would have been left pending), so
                    // this never encodes `p.func`, now the normal copy, in its place.
                    debug_assert!(rewind_body.missing.is_empty());
                    let rewind_body = rewind_body.finish(&module, &p.func, &mut indices, order);
                    encoded.insert(rewind, checked(&module, rewind_body, &mut indices, name)?);
                    body.finish(&module, &p.func, &mut indices, order)
                }
                Bodies::Pending { rewind, prologue } => {
                    // Add the types in the order one thread would have: the rewind copy's,
                    // then the normal copy's.
                    let rewind_body = encode_function(&module, &p.func, &mut indices, order);
                    encoded.insert(rewind, checked(&module, rewind_body, &mut indices, name)?);
                    let state = runtime.place.state;
                    split::normal_copy(&mut p.func, prologue, state, p.shape.resume, rewind);
                    encode_function(&module, &p.func, &mut indices, order)
                }
            };
            encoded.insert(p.id, checked(&module, body, &mut indices, name)?);
        }
        if taken_bytes >= trim_every {
            taken_bytes = 0;
            release_freed_memory();
        }
    }
    if options.asserts {
        // Every other defined function checks that no pause passes through it, except the
        // in-module runtime, which changes the state on purpose.
        for (index, facts) in graph.funcs.iter().enumerate() {
            if facts.import.is_some()
                || encoded.contains_key(&facts.id)
                || decision.roles[index] != can_pause::Role::Program
            {
                continue;
            }
            let mut func = take_body(&mut module, facts.id);
            asserts::run(&mut func, &mut module.locals, runtime.place.state);
            let body = encode_function(&module, &func, &mut indices, changes.local_order);
            let body = checked(&module, body, &mut indices, &facts.name)?;
            encoded.insert(facts.id, body);
        }
    }
    if options.verbose {
        diagnostics.push(Diagnostic {
            level: Level::Info,
            message: format!(
                "instrumented {} of {} functions{}",
                to_instrument.len(),
                graph.funcs.iter().filter(|f| f.import.is_none()).count(),
                // The copies for rewinding are the only copies the pipeline makes.
                match changes.copy_of.len() {
                    0 => String::new(),
                    n => format!(" ({n} with a copy for rewinding, `$name$rewind`)"),
                }
            ),
        });
    }

    let written = writer::write(&wasm, &module, &ids, &changes, indices, encoded)?;
    diagnostics.extend(written.warnings.iter().map(|w| Diagnostic {
        level: Level::Warning,
        message: w.clone(),
    }));
    validate_output(&written, &module, &wasm)?;
    let exports = module.exports.iter().filter_map(|e| match e.item {
        walrus::ExportItem::Function(f) => Some((e.name.clone(), f)),
        _ => None,
    });
    let sizes = (wasm.len(), written.wasm.len());
    let analysis = Analysis::new(&graph, &decision, frames, exports, sizes, options);
    Ok(Output {
        wasm: written.wasm,
        diagnostics,
        analysis,
    })
}

/// At most this many functions are transformed per batch: enough to keep both cores busy,
/// few enough that their transformed IR stays small next to the module's.
const BATCH: usize = 64;

/// Input code per batch: a batch also ends once its functions' bodies add up to this many
/// bytes, a thirty-second of the module or 16 KiB if that is more. The functions of a batch
/// are all in memory twice (the input's IR and the transformed one, with its liveness) until
/// it is encoded, about 60 bytes per input byte; on modules under a few MB, 64 functions can
/// be most of the code (web-tree-sitter: 117 instrumented, a batch 6 of its 14 MB peak heap).
/// On bigger ones [`BATCH`] ends a batch first.
fn batch_bytes(module_bytes: usize) -> usize {
    (module_bytes / 32).max(16 << 10)
}

/// Split functions of the given body sizes, in order, into batches (ranges of indices): a
/// batch takes functions until it has [`BATCH`] of them or `budget` bytes. The function that
/// reaches the budget stays in the batch, so a big function is transformed while the other
/// threads do the smaller ones before it.
fn batches(sizes: &[usize], budget: usize) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start == sizes.len() {
            return None;
        }
        let mut end = start;
        let mut bytes = 0;
        while end < sizes.len() && end - start < BATCH && bytes < budget {
            bytes += sizes[end];
            end += 1;
        }
        Some(std::mem::replace(&mut start, end)..end)
    })
}

/// Bytes of input code to instrument between two calls of [`release_freed_memory`]: 64 KiB,
/// or a sixteenth of the module if that is more. Each call walks every free chunk of every
/// arena, so on big modules trimming as often as on small ones cost a tenth of the time
/// (binaryen.wasm, 10 MB: 140 calls, 0.3 s of system time) for a few percent of peak RSS.
fn trim_every(module_bytes: usize) -> usize {
    (module_bytes / 16).max(64 << 10)
}

/// Give the memory freed since the last call back to the operating system.
///
/// walrus builds the IR on the threads that parse (this one and rayon's pool), so it lives
/// in their glibc malloc arenas; the worker threads that rewrite the functions allocate from
/// arenas of their own and never reuse what the old IR leaves free in those, which glibc
/// keeps. Without this,
/// peak RSS on modules whose functions are mostly instrumented grows by most of the IR's size
/// (esbuild.wasm: 1.0 GB against 0.6 GB, binaryen.wasm 825 against 561 MB); the cost is about
/// 7% of the time on those, from touching returned pages again. See the performance chapter.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: `malloc_trim` has no preconditions: it walks glibc's own heaps under their
        // locks and returns free pages to the kernel. It is harmless when Rust's global
        // allocator is not glibc's (it then finds little to return).
        unsafe {
            malloc_trim(0);
        }
    }
}

/// A function between the flow pass and the rest.
struct Prepared {
    id: FunctionId,
    index: usize,
    func: LocalFunction,
    shape: flow::FlowResult,
    /// The locals to save, in frame order (from [`choose_saved`]).
    saved: Vec<walrus::LocalId>,
    /// Which of them each pause point stores (from [`choose_saved`]).
    groups: save_groups::SaveGroups,
}

/// What the flow pass needs to know about the module, shared by the threads running it.
struct Context<'a, 'w> {
    graph: &'a CallGraph,
    decision: &'a Instrumentation,
    oracle: &'a StackTypeOracle<'w>,
    func_types: &'a IdMap<FunctionId, walrus::TypeId>,
    runtime: &'a runtime_api::Runtime,
    asserts: bool,
    /// Whether the module has non-nullable locals (see [`ref_stack::relax_locals`]).
    non_nullable: bool,
}

/// Run the flow pass on the body of the function at call-graph position `index` (taken out
/// of the module), whose body block has type `body_ty` and whose input body is `input`.
fn prepare<'w>(
    cx: &Context<'_, 'w>,
    index: usize,
    mut func: LocalFunction,
    body_ty: walrus::ir::InstrSeqType,
    input: stack_types::Body<'w>,
    locals: &ir::SharedLocals,
    types: &walrus::ModuleTypes,
) -> Result<Prepared> {
    let (graph, decision) = (cx.graph, cx.decision);
    let call_pauses = |f: FunctionId| decision.can_pause[graph.position(f)];
    let instrumented = |f: FunctionId| decision.instrumented(graph.position(f));
    let indirect_pauses = |table: Option<walrus::TableId>, ty: walrus::TypeId| {
        decision.indirect_site_pauses(index, &graph.indirect, table, ty)
    };
    let facts = &graph.funcs[index];
    let flow_cx = flow::FlowContext {
        state: cx.runtime.place.state,
        pointer: cx.runtime.place.width.val_type(),
        func_types: cx.func_types,
        call_pauses: &call_pauses,
        instrumented: &instrumented,
        indirect_pauses: &indirect_pauses,
        name: &facts.name,
    };
    if cx.non_nullable {
        locals.with(|locals| ref_stack::relax_locals(&mut func, locals));
    }
    if cx.asserts {
        asserts::run_instrumented(
            &mut func,
            cx.runtime.place.state,
            &call_pauses,
            flow_cx.indirect_pauses,
        );
    }
    let shape = flow::plan(&mut func, &flow_cx)
        .and_then(|plan| {
            let stacks = cx.oracle.frame_stacks(input, &plan.offsets)?;
            flow::run(&mut func, body_ty, locals, types, &flow_cx, plan, &stacks)
        })
        .map_err(failed_in(&facts.name))?;
    Ok(Prepared {
        id: facts.id,
        index,
        func,
        shape,
        saved: Vec::new(),
        groups: save_groups::SaveGroups::single(0, 0),
    })
}

/// Decide what to save and coalesce locals (`-O`), and the frame layout; `single_prefix`:
/// whether a one-group prefix frame beats a fixed one (see [`SINGLE_PREFIX_MIN_FUNCTIONS`]).
fn choose_saved(
    p: &mut Prepared,
    local_ty: impl Fn(walrus::LocalId) -> walrus::ValType,
    options: &Options,
    single_prefix: bool,
) -> Result<()> {
    let func = &mut p.func;
    let shape = &p.shape;
    let live = if options.optimizing() {
        let (mut live, graph) = liveness::analyze_with_interference(func, shape);
        let replaced = coalesce::run(func, &local_ty, &graph, &shape.internal_locals);
        for set in &mut live.live {
            for local in set.iter_mut() {
                *local = replaced.get(local).copied().unwrap_or(*local);
            }
        }
        live
    } else {
        liveness::analyze(func, shape)
    };
    p.saved = frame_order(func, live.union(), &shape.internal_locals);
    // Which of them each pause point's unwind stores.
    let position: IdMap<walrus::LocalId, usize> =
        p.saved.iter().enumerate().map(|(i, &l)| (l, i)).collect();
    let per_site: Vec<Vec<usize>> = live
        .live
        .iter()
        .map(|set| {
            set.iter()
                .filter_map(|l| position.get(l).copied())
                .collect()
        })
        .collect();
    // References are kept in side-stack slots that the rewind always takes back.
    let always: Vec<usize> = p
        .saved
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(local_ty(**l), walrus::ValType::Ref(_)))
        .map(|(i, _)| i)
        .collect();
    // Dead locals read by a shared epilogue are cheap for engines except through landing
    // pads (see the module's documentation), so `auto` splits only functions with handlers;
    // elsewhere it gives pause points shorter frames where that pays.
    p.groups = match options.epilogues {
        // One pause point: its call index and frame size are known, so the frame is only
        // its locals.
        Epilogues::Auto | Epilogues::Exact if options.optimizing() && per_site.len() == 1 => {
            save_groups::SaveGroups::bare(p.saved.len())
        }
        Epilogues::Auto if !shape.handlers && options.prefix_frames() => {
            choose_prefixes(&mut p.saved, &per_site, &always, &local_ty, single_prefix)
        }
        Epilogues::Auto if !shape.handlers => {
            save_groups::SaveGroups::single(p.saved.len(), per_site.len())
        }
        mode => save_groups::choose(p.saved.len(), &per_site, &always, mode),
    };
    Ok(())
}

/// Prefix frames for the locals `saved` (reordered by [`save_groups::frequency_order`] if
/// more than one prefix pays), given the positions live at each pause point and those always
/// stored; a fixed frame where the word on top could not hold a call index or a size, or
/// where one prefix would do and `single_prefix` is false.
fn choose_prefixes(
    saved: &mut Vec<walrus::LocalId>,
    per_site: &[Vec<usize>],
    always: &[usize],
    local_ty: impl Fn(walrus::LocalId) -> walrus::ValType,
    single_prefix: bool,
) -> save_groups::SaveGroups {
    let order = save_groups::frequency_order(saved.len(), per_site, always);
    let mut rank = vec![0; order.len()];
    for (r, &q) in order.iter().enumerate() {
        rank[q] = r;
    }
    let remap = |set: &[usize]| -> Vec<usize> { set.iter().map(|&q| rank[q]).collect() };
    let per_site: Vec<Vec<usize>> = per_site.iter().map(|s| remap(s)).collect();
    let bytes: Vec<u32> = order
        .iter()
        .map(|&q| ref_stack::frame_bytes(local_ty(saved[q])))
        .collect();
    // The word on top holds the call index and the prefix's size.
    let fits = per_site.len() <= abi::PREFIX_MAX_INDEX as usize + 1
        && bytes.iter().map(|&b| u64::from(b)).sum::<u64>() <= u64::from(abi::PREFIX_MAX_BYTES);
    if !fits {
        return save_groups::SaveGroups::single(saved.len(), per_site.len());
    }
    let groups = save_groups::prefixes(
        &bytes,
        &per_site,
        &remap(always),
        save_groups::PREFIX_WEIGHT,
    );
    match groups.groups.len() {
        1 if !single_prefix => save_groups::SaveGroups::single(saved.len(), per_site.len()),
        1 => groups,
        _ => {
            *saved = order.iter().map(|&q| saved[q]).collect();
            groups
        }
    }
}

/// Instrumented functions from which a function with one prefix group gets a prefix frame
/// rather than a fixed one. The prefix frame's code is about 13 bytes smaller (the helpers
/// read and write the call index), but the prefix helpers cost about 360 bytes once (with
/// their names), so a small module keeps fixed frames unless some function needs more
/// than one prefix.
const SINGLE_PREFIX_MIN_FUNCTIONS: usize = 32;

/// A function instrumented by [`finish`].
struct Finished {
    /// Bytes its frames take.
    bytes: frame::FrameSizes,
    bodies: Bodies,
}

/// The bodies [`finish`] encoded.
enum Bodies {
    /// The function's.
    One(SharedEncoding),
    /// The function was split (`-O3`): the body of its copy for rewinding, `rewind`, and
    /// its own (the normal-execution copy).
    Split {
        rewind: FunctionId,
        rewind_body: SharedEncoding,
        body: SharedEncoding,
    },
    /// The function is still the copy for rewinding, whose encoding lacked types: the
    /// caller encodes it, then makes the normal copy with `prologue`.
    Pending {
        rewind: FunctionId,
        prologue: split::Prologue,
    },
}

/// Add the frame code and clean up; with `-O3`, split off the copy for rewinding, `rewind`.
/// Encodes what it can without adding types to `indices`.
fn finish(
    p: &mut Prepared,
    rewind: Option<FunctionId>,
    module: &Module,
    stack: frame::Stack,
    refs: &ref_stack::RefStacks,
    indices: &Indices,
    options: &Options,
) -> Result<Finished> {
    let func = &mut p.func;
    let bytes = frame::run(
        func,
        &module.locals,
        &p.shape,
        &p.saved,
        &p.groups,
        stack,
        refs,
    )?;
    if options.optimizing() {
        cleanup::run(func);
    }
    let order = local_order(options);
    let Some(rewind) = rewind else {
        let body = encode_shared(module, func, indices, order);
        return Ok(Finished {
            bytes,
            bodies: Bodies::One(body),
        });
    };
    // The instrumented code becomes `$f$rewind`; `$f` is specialized to normal execution
    // and hands rewinds over to it.
    let state = stack.place.state;
    let prologue = split::rewind_copy(func, state)?;
    let rewind_body = encode_shared(module, func, indices, order);
    if !rewind_body.missing.is_empty() {
        return Ok(Finished {
            bytes,
            bodies: Bodies::Pending { rewind, prologue },
        });
    }
    split::normal_copy(func, prologue, state, p.shape.resume, rewind);
    let body = encode_shared(module, func, indices, order);
    Ok(Finished {
        bytes,
        bodies: Bodies::Split {
            rewind,
            rewind_body,
            body,
        },
    })
}

/// The name of the copy of function `name` for rewinding (`-O3`).
fn rewind_name(name: &str) -> String {
    format!("{name}$rewind")
}

/// Adds to an error which function it arose in.
fn failed_in(name: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |e| e.context(format!("failed to instrument function `{name}`"))
}

/// How the encoder numbers the locals of the functions asyncify changes.
fn local_order(options: &Options) -> LocalOrder {
    if options.optimizing() {
        LocalOrder::Uses
    } else {
        LocalOrder::Creation
    }
}

/// Refuse an encoded function if it has more locals than engines accept or mentions a type
/// walrus merged with a distinct one.
fn checked(
    module: &Module,
    body: EncodedFunction,
    indices: &mut Indices,
    name: &str,
) -> Result<EncodedFunction> {
    check_locals(name, body.locals.len())?;
    if let Some(&ty) = indices.take_ambiguous_used().first() {
        return Err(writer::ambiguous_type(
            module,
            ty,
            &format!("function `{name}`"),
        ));
    }
    Ok(body)
}

/// Locals (parameters included) a function may have: the limit of wasmparser, V8 and the
/// other engines.
const MAX_LOCALS: usize = 50_000;

/// Refuse a function whose instrumented form has more locals than engines accept.
fn check_locals(name: &str, count: usize) -> Result<()> {
    if count > MAX_LOCALS {
        return Err(Error::unsupported(format!(
            "function `{name}` needs {count} locals once instrumented, more than the \
             {MAX_LOCALS} engines accept (the transform adds locals for the values it keeps \
             across pauses); leave the function out with --remove-list if it never pauses"
        )));
    }
    Ok(())
}

/// The deepest block nesting asyncify instruments (engines accept deeper, compilers never
/// emit anything close).
const MAX_NESTING: usize = 100_000;

/// Stack for the passes on a function nested `depth` levels deep: a generous base plus what
/// one level of recursion takes through every pass (measured: about 8 KiB unoptimized, 1 KiB
/// optimized; counted double).
fn stack_size(depth: usize) -> usize {
    let per_level = if cfg!(debug_assertions) {
        16 << 10
    } else {
        2 << 10
    };
    (16 << 20) + depth * per_level
}

/// Run `f` on a thread with `stack` bytes of stack.
fn on_stack<R: Send>(stack: usize, f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("asyncify".into())
            .stack_size(stack)
            .spawn_scoped(scope, f)
            .map_err(|e| {
                Error::new(
                    crate::ErrorKind::Io,
                    format!(
                        "cannot start a thread with {} MiB of stack: {e}",
                        stack >> 20
                    ),
                )
            })?;
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Saved locals in frame order: parameters first, then
/// the others in the order they were created.
fn frame_order(
    func: &LocalFunction,
    live: IdSet<walrus::LocalId>,
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

/// Add a function of the same type as `of`, named `name`, whose body is encoded elsewhere.
fn add_copy(module: &mut Module, of: FunctionId, name: &str) -> FunctionId {
    let ty = module.funcs.get(of).ty();
    let (params, results) = {
        let t = module.types.get(ty);
        (t.params().to_vec(), t.results().to_vec())
    };
    let args = params.iter().map(|&p| module.locals.add(p)).collect();
    let builder = walrus::FunctionBuilder::new(&mut module.types, &params, &results);
    let id = builder.finish(args, &mut module.funcs);
    let func = module.funcs.get_mut(id);
    func.name = Some(name.to_string());
    // The type itself, not the structurally equal one the builder may have found.
    func.kind = FunctionKind::Uninitialized(ty);
    id
}

/// Refuse, before anything is parsed into IR, what the section headers already show asyncify
/// cannot take: components (the transform works on core modules), relocatable object files
/// (their relocations point at code offsets the transform moves) and modules that already
/// export the asyncify API (refused after the whole parse before: a 16 MB module took 940 MB
/// and two seconds to be told so).
fn refuse_early(wasm: &[u8]) -> Result<()> {
    use wasmparser::{Encoding, Payload};
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { return Ok(()) }; // the real parse reports it
        match payload {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => {
                return Err(Error::unsupported(
                    "input is a WebAssembly component, not a core module; asyncify transforms \
                     core modules: run it on the core module the component embeds, before \
                     the component is built around it",
                ));
            }
            Payload::CustomSection(c)
                if c.name() == "linking" || c.name().starts_with("reloc.") =>
            {
                return Err(Error::unsupported(
                    "input is a relocatable object file (it has a `linking` section); run \
                     asyncify on the linked module instead",
                ));
            }
            Payload::ExportSection(exports) => {
                for export in exports.into_iter().flatten() {
                    if abi::API.iter().any(|api| api.export_name() == export.name) {
                        return Err(Error::new(
                            crate::ErrorKind::BadOptions,
                            format!(
                                "module already exports `{}`; was it already asyncified? \
                                 Running asyncify twice is not supported",
                                export.name
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Validate the output; name the function if a body we encoded is at fault. The input is
/// checked first: walrus validated only the bodies it parsed, and the others are copied.
/// What `wasmparser::Validator::validate_all` does (the module, then the function bodies in
/// order, reporting the first error), with the bodies validated on several threads.
fn validate_all(wasm: &[u8]) -> std::result::Result<(), wasmparser::BinaryReaderError> {
    use rayon::iter::{IntoParallelIterator, ParallelIterator};
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    let mut bodies = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::ValidPayload::Func(func, body) = validator.payload(&payload?)? {
            bodies.push((func, body));
        }
    }
    let outcomes: Vec<_> = bodies
        .into_par_iter()
        .map_init(
            wasmparser::FuncValidatorAllocations::default,
            |allocs, (func, body)| {
                let mut validator = func.into_validator(std::mem::take(allocs));
                let outcome = validator.validate(&body);
                *allocs = validator.into_allocations();
                outcome
            },
        )
        .collect();
    outcomes.into_iter().collect()
}

fn validate_output(written: &writer::Written, module: &Module, input: &[u8]) -> Result<()> {
    let Err(e) = validate_all(&written.wasm) else {
        return Ok(());
    };
    if let Some(invalid) = input::invalid(input) {
        return Err(invalid);
    }
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

#[cfg(test)]
mod tests {
    use super::{BATCH, batches, refuse_early};
    use crate::ErrorKind;

    #[test]
    fn components_and_asyncified_modules_are_refused_from_their_headers() {
        // A bare component header (version 0xd, layer 1) was once read as an empty module.
        let component = b"\0asm\x0d\0\x01\0";
        let error = refuse_early(component).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(
            error.to_string().contains("is a WebAssembly component"),
            "{error}"
        );
        let asyncified = wat::parse_str(
            r#"(module (func (export "asyncify_get_state") (result i32) i32.const 0))"#,
        )
        .unwrap();
        let error = refuse_early(&asyncified).unwrap_err();
        assert!(error.to_string().contains("already asyncified"), "{error}");
        let plain = wat::parse_str(r#"(module (func (export "main")))"#).unwrap();
        assert!(refuse_early(&plain).is_ok());
        // A cut-off module is left for the real parse to report.
        assert!(refuse_early(&plain[..plain.len() - 3]).is_ok());
    }

    #[test]
    fn batches_end_at_the_budget_or_the_count_and_cover_every_function_once() {
        let collect = |sizes: &[usize], budget| batches(sizes, budget).collect::<Vec<_>>();
        // The function that reaches the budget stays in its batch; a bigger one alone too.
        assert_eq!(collect(&[4, 4, 4, 4, 4], 10), [0..3, 3..5]);
        assert_eq!(collect(&[1, 50, 1, 1], 10), [0..2, 2..4]);
        assert_eq!(collect(&[50, 1], 10), [0..1, 1..2]);
        assert!(collect(&[], 10).is_empty());
        // Small functions: the count ends each batch.
        let sizes = vec![1; 2 * BATCH + 1];
        assert_eq!(
            collect(&sizes, usize::MAX),
            [0..BATCH, BATCH..2 * BATCH, 2 * BATCH..2 * BATCH + 1]
        );
    }
}
