//! Instrument control flow: guard code so a rewind skips forward to the paused call, give
//! each pause point a call index, and return to the unwind epilogue after a call that starts
//! an unwind.
//!
//! Binaryen flattens the whole function first so no value sits on the operand stack across
//! a call. We work on the stack machine directly and only move values through locals where a
//! pause could otherwise lose them: at each *pausing element* (a call that can pause, or a
//! block/loop/if/try containing one) the operand stack of the enclosing block is moved into
//! fresh locals, and the code between pausing elements becomes a guarded *run*.
//!
//! ```wat
//! ;; before: $sleep can pause
//! (func $f (param $x i32) (result i32)
//!   local.get $x
//!   i32.const 1
//!   call $sleep          ;; (param i32) (result i32)
//!   i32.add)
//! ;; after (prologue and epilogue come from the `frame` pass)
//! (func $f (param $x i32) (result i32)
//!   (block $unwind (result i32)
//!     (block $body (result i32)
//!       (if (i32.eqz (global.get $__asyncify_state))   ;; run: skipped while rewinding
//!         (then (local.get $x) (local.set $spill0)))
//!       (if (i32.or (i32.eqz (global.get $__asyncify_state))
//!                   (i32.eq (local.get $rewind_index) (i32.const 0)))
//!         (then (i32.const 1)                           ;; constant argument: recomputed
//!               (call $sleep)
//!               (if (i32.eq (global.get $__asyncify_state) (i32.const 1))
//!                 (then (br $unwind (i32.const 0))))    ;; unwinding: save and leave
//!               (local.set $spill1)))
//!       (if (i32.eqz (global.get $__asyncify_state))
//!         (then (local.get $spill0) (local.get $spill1) (i32.add) (local.set $spill2)))
//!       (local.get $spill2))
//!     (return))
//!   (local.set $unwind_index)
//!   (i32.const 0))
//! ```
//!
//! Invariants that make rewinding correct:
//! - Guarded runs and pause guards only execute in normal mode (or, for the pause guard
//!   whose index is being rewound to, to re-enter the paused call).
//! - The unguarded glue between them only moves values between the operand stack and
//!   locals, and is idempotent on the rewind path: a block's parameters are pushed from the
//!   same locals its body stores them back to, and a block pushes its results from the same
//!   locals its parent then stores them into. So a local restored from the frame is never
//!   overwritten while rewinding.
//! - An `if` containing a pause point picks its arm while rewinding from the call index
//!   (indices are dense and in program order), so the condition needs no saving and the
//!   arm without pause points is never entered while rewinding.

use crate::abi;
use crate::error::{Error, Result};
use crate::ir::{
    self, binop, global_get, i32_const, if_else, local_get as get, local_set as set, new_seq,
};
use std::collections::{HashMap, HashSet};
use walrus::ir::{
    BinaryOp, Block, Br, Call, CallIndirect, CallRef, Const, Instr, InstrLocId, InstrSeqId,
    InstrSeqType, LegacyCatch, LocalSet, Loop, Return, Select, UnaryOp, Value,
};
use walrus::{
    FunctionId, GlobalId, LocalFunction, LocalId, ModuleLocals, ModuleTypes, RefType, ValType,
};

/// What the flow pass needs to know about the module.
pub struct FlowContext<'a> {
    /// The `__asyncify_state` global.
    pub state: GlobalId,
    /// Type of every function, by id (callee signatures).
    pub func_types: &'a HashMap<FunctionId, walrus::TypeId>,
    /// Whether a direct call to this function is a pause point.
    pub call_pauses: &'a dyn Fn(FunctionId) -> bool,
    /// Whether indirect calls are pause points in this function.
    pub indirect_pauses: bool,
    /// Readable name of the function, for errors.
    pub name: &'a str,
}

/// One pause point.
#[derive(Clone, Debug)]
pub struct PauseSite {
    /// Its call index.
    pub index: u32,
    /// The sequence guarded by `normal || rewind_index == index`, holding the call.
    pub guard: InstrSeqId,
}

/// The instrumented shape of a function, for the passes that follow.
#[derive(Clone, Debug)]
pub struct FlowResult {
    /// `block $unwind (result i32)`: branched to with the call index when unwinding.
    pub unwind_block: InstrSeqId,
    /// The original body, transformed.
    pub body: InstrSeqId,
    /// Local holding the call index popped while rewinding.
    pub rewind_index: LocalId,
    /// Local receiving the call index at the unwind epilogue.
    pub unwind_index: LocalId,
    /// Position in the entry sequence where the unwind epilogue's saving code goes.
    pub epilogue_at: usize,
    /// Pause points, by call index.
    pub pause_sites: Vec<PauseSite>,
    /// Sequences only executed in normal mode, always entered then (run guards).
    pub normal_only: HashSet<InstrSeqId>,
    /// Sequences never entered in normal mode (the unwind exits).
    pub unwind_only: HashSet<InstrSeqId>,
    /// Locals the instrumentation uses for itself (never saved).
    pub internal_locals: Vec<LocalId>,
}

/// Which pause points an offset-keyed stack snapshot is needed for; see
/// [`crate::analysis::stack_types`].
pub struct Plan {
    /// Sequences containing a pause point, anywhere inside.
    pub pausing_seqs: HashSet<InstrSeqId>,
    /// Input offsets of the pausing elements.
    pub offsets: Vec<u32>,
}

/// Prepare `func` for instrumentation: turn tail calls that can pause into call + return,
/// find the sequences containing pause points, and list the offsets whose operand-stack
/// types [`run`] needs. Refuses pause points inside legacy `catch` handlers.
pub fn plan(func: &mut LocalFunction, cx: &FlowContext) -> Result<Plan> {
    untail_pausing_calls(func, cx);
    let order = ir::seqs_pre_order(func);
    let mut pausing_seqs = HashSet::new();
    // Children come after their parents in pre-order: walk backwards.
    for &seq in order.iter().rev() {
        let pausing = func.block(seq).instrs.iter().any(|(instr, _)| {
            is_pause_call(instr, cx) || ir::child_seqs(instr).any(|s| pausing_seqs.contains(&s))
        });
        if pausing {
            pausing_seqs.insert(seq);
        }
    }
    let mut offsets = Vec::new();
    for &seq in &order {
        if !pausing_seqs.contains(&seq) {
            continue;
        }
        for (instr, loc) in func.block(seq).instrs.iter() {
            if let Instr::Try(t) = instr {
                for catch in &t.catches {
                    if let LegacyCatch::Catch { handler, .. } | LegacyCatch::CatchAll { handler } =
                        catch
                        && pausing_seqs.contains(handler)
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
                || ir::child_seqs(instr).any(|s| pausing_seqs.contains(&s));
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
        pausing_seqs,
        offsets,
    })
}

/// Instrument `func` (already prepared by [`plan`]). `stacks` gives the operand-stack types of
/// the innermost block just before each pausing element, by input offset.
pub fn run(
    func: &mut LocalFunction,
    func_ty: walrus::TypeId,
    locals: &mut ModuleLocals,
    types: &mut ModuleTypes,
    cx: &FlowContext,
    plan: Plan,
    stacks: &HashMap<u32, Vec<ValType>>,
) -> Result<FlowResult> {
    let results = types.results(func_ty).to_vec();
    let body_ty = InstrSeqType::new(types, &[], &results);
    let rewind_index = new_local(locals, ValType::I32, "rewind_index");
    let unwind_index = new_local(locals, ValType::I32, "unwind_index");

    // The original body moves into `$body`, nested in `$unwind`, so every pause point can
    // branch to the epilogue. Branches that left the function body now leave `$body`, right
    // before the `return`.
    let entry = func.entry_block();
    let body = func.builder_mut().dangling_instr_seq(body_ty).id();
    let instrs = std::mem::take(&mut func.block_mut(entry).instrs);
    func.block_mut(body).instrs = instrs;
    ir::retarget_branches(func, entry, body);
    let mut pausing_seqs = plan.pausing_seqs;
    if pausing_seqs.remove(&entry) {
        pausing_seqs.insert(body);
    }
    let unwind_block = func.builder_mut().dangling_instr_seq(ValType::I32).id();

    let mut flow = Flow {
        cx,
        locals,
        types,
        stacks,
        pausing_seqs,
        raw_depths: ir::has_raw_depths(func),
        rewind_index,
        unwind_block,
        next_index: 0,
        pause_sites: Vec::new(),
        normal_only: HashSet::new(),
        unwind_only: HashSet::new(),
        nullable_temps: HashSet::new(),
        temp_count: 0,
    };
    flow.transform_seq(func, body, &[], None)?;

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
    entry_seq.instrs.push((
        LocalSet {
            local: unwind_index,
        }
        .into(),
        InstrLocId::default(),
    ));
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
        rewind_index,
        unwind_index,
        epilogue_at,
        pause_sites: flow.pause_sites,
        normal_only: flow.normal_only,
        unwind_only: flow.unwind_only,
        internal_locals: vec![rewind_index, unwind_index],
    })
}

struct Flow<'a, 'b> {
    cx: &'a FlowContext<'b>,
    locals: &'a mut ModuleLocals,
    types: &'a mut ModuleTypes,
    stacks: &'a HashMap<u32, Vec<ValType>>,
    pausing_seqs: HashSet<InstrSeqId>,
    raw_depths: bool,
    rewind_index: LocalId,
    unwind_block: InstrSeqId,
    next_index: u32,
    pause_sites: Vec<PauseSite>,
    normal_only: HashSet<InstrSeqId>,
    unwind_only: HashSet<InstrSeqId>,
    /// Temps standing for non-nullable references: declared nullable, read with
    /// `ref.as_non_null`.
    nullable_temps: HashSet<LocalId>,
    temp_count: u32,
}

type Instrs = Vec<(Instr, InstrLocId)>;

impl Flow<'_, '_> {
    /// Transform a sequence containing pause points. `params` are the locals holding the
    /// sequence's parameters (pushed by the caller's glue right before the block); if
    /// `target` is given, the sequence's results end up in exactly those locals. Returns the
    /// locals holding the results; the sequence ends by pushing them.
    fn transform_seq(
        &mut self,
        func: &mut LocalFunction,
        seq: InstrSeqId,
        params: &[LocalId],
        target: Option<&[LocalId]>,
    ) -> Result<Vec<LocalId>> {
        let (_, result_tys) = self.seq_sig(func.block(seq).ty);
        let old = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out: Instrs = Vec::with_capacity(old.len() + 8);
        for &p in params.iter().rev() {
            out.push(set(p));
        }
        // The block's operand stack, held in locals, bottom first.
        let mut stack: Vec<LocalId> = params.to_vec();
        let mut run: Instrs = Vec::new();

        for (instr, loc) in old {
            let pause_call = is_pause_call(&instr, self.cx);
            let pausing_block = ir::child_seqs(&instr).any(|s| self.pausing_seqs.contains(&s));
            if !pause_call && !pausing_block {
                run.push((instr, loc));
                continue;
            }
            let types = self.stacks.get(&loc.data()).ok_or_else(|| {
                Error::internal(format!("no operand stack recorded in `{}`", self.cx.name))
            })?;
            let inputs = self.input_count(func, &instr);
            // Arguments computed by a constant or a `local.get` right before the element are
            // recomputed inside its guard instead of going through a local.
            // For an `if` only the condition qualifies: its parameters must reach the arms
            // through locals.
            let mut remat: Instrs = Vec::new();
            let remat_limit = match instr {
                Instr::IfElse(_) => 1,
                _ if pause_call => inputs,
                _ => 0,
            };
            while remat.len() < remat_limit
                && run
                    .last()
                    .is_some_and(|(i, _)| matches!(i, Instr::Const(_) | Instr::LocalGet(_)))
            {
                remat.push(run.pop().unwrap());
            }
            remat.reverse();
            let spilled = &types[..types.len() - remat.len()];
            if !run.is_empty() {
                let temps = self.temps(spilled);
                self.guarded_run(func, &mut out, &stack, std::mem::take(&mut run), &temps);
                stack = temps;
            } else if stack.len() != spilled.len() {
                return Err(Error::internal(format!(
                    "operand stack mismatch at a pause point in `{}`",
                    self.cx.name
                )));
            }
            let consumed = inputs - remat.len();
            let below = stack.len() - consumed;
            let ins = stack.split_off(below);

            match instr {
                Instr::IfElse(iff) => {
                    let (cond, params) = match remat.pop() {
                        Some(c) => (Cond::Instr(c), &ins[..]),
                        None => {
                            let (c, rest) = ins.split_last().expect("an if has a condition");
                            (Cond::Local(*c), rest)
                        }
                    };
                    let results =
                        self.temps(&self.seq_sig(func.block(iff.consequent).ty).1.clone());
                    let then_pauses = self.pausing_seqs.contains(&iff.consequent);
                    let else_pauses = self.pausing_seqs.contains(&iff.alternative);
                    if then_pauses {
                        self.transform_seq(func, iff.consequent, params, Some(&results))?;
                    }
                    let after_then = self.next_index;
                    if else_pauses {
                        self.transform_seq(func, iff.alternative, params, Some(&results))?;
                    }
                    for &p in params {
                        self.get(&mut out, p);
                    }
                    out.extend(remat);
                    match cond {
                        Cond::Instr(c) => out.push(c),
                        Cond::Local(c) => self.get(&mut out, c),
                    }
                    // While rewinding, enter the arm holding the paused call: the then-arm if
                    // the call index is one of its own, else the else-arm. An arm without
                    // pause points is never entered while rewinding.
                    if then_pauses && else_pauses {
                        out.push(get(self.rewind_index));
                        out.push(i32_const(after_then as i32));
                        out.push(binop(BinaryOp::I32LtU));
                    } else {
                        out.push(i32_const(then_pauses as i32));
                    }
                    self.push_is_normal(&mut out);
                    out.push((Select { ty: None }.into(), InstrLocId::default()));
                    out.push((Instr::IfElse(iff), loc));
                    for &r in results.iter().rev() {
                        out.push(set(r));
                    }
                    stack.extend(results);
                }
                Instr::Block(Block { seq }) | Instr::Loop(Loop { seq }) => {
                    for &p in &ins {
                        self.get(&mut out, p);
                    }
                    let results = self.transform_seq(func, seq, &ins, None)?;
                    out.push((instr, loc));
                    for &r in results.iter().rev() {
                        out.push(set(r));
                    }
                    stack.extend(results);
                }
                Instr::TryTable(ref t) => {
                    let seq = t.seq;
                    for &p in &ins {
                        self.get(&mut out, p);
                    }
                    let results = self.transform_seq(func, seq, &ins, None)?;
                    out.push((instr, loc));
                    for &r in results.iter().rev() {
                        out.push(set(r));
                    }
                    stack.extend(results);
                }
                Instr::Try(ref t) => {
                    // Only the body can pause (handlers were checked by `plan`).
                    let seq = t.seq;
                    for &p in &ins {
                        self.get(&mut out, p);
                    }
                    let results = self.transform_seq(func, seq, &ins, None)?;
                    out.push((instr, loc));
                    for &r in results.iter().rev() {
                        out.push(set(r));
                    }
                    stack.extend(results);
                }
                call => {
                    let results = self.pause_call(func, &mut out, &ins, remat, (call, loc))?;
                    stack.extend(results);
                }
            }
        }

        // The code after the last pausing element leaves the block's results.
        let finals: Vec<LocalId> = if !run.is_empty() {
            let finals = match target {
                Some(t) => t.to_vec(),
                None => self.temps(&result_tys),
            };
            self.guarded_run(func, &mut out, &stack, run, &finals);
            finals
        } else if let Some(t) = target.filter(|t| *t != stack.as_slice()) {
            // Copy into the locals the parent reads, in normal mode only: while rewinding
            // the parent's locals hold restored values that must survive.
            let t = t.to_vec();
            self.guarded_run(func, &mut out, &stack, Vec::new(), &t);
            t
        } else {
            stack
        };
        for &f in &finals {
            self.get(&mut out, f);
        }
        func.block_mut(seq).instrs = out;
        Ok(finals)
    }

    /// `if (state == normal) { push stack; run; pop results into temps }`
    fn guarded_run(
        &mut self,
        func: &mut LocalFunction,
        out: &mut Instrs,
        stack: &[LocalId],
        mut run: Instrs,
        temps: &[LocalId],
    ) {
        let mut body: Instrs = Vec::with_capacity(stack.len() + run.len() + temps.len());
        for &s in stack {
            self.get(&mut body, s);
        }
        if self.raw_depths {
            ir::shift_raw_depths(func, &mut run, 1);
        }
        body.append(&mut run);
        for &t in temps.iter().rev() {
            body.push(set(t));
        }
        let guard = new_seq(func, body);
        let skip = new_seq(func, Vec::new());
        self.normal_only.insert(guard);
        self.push_is_normal(out);
        out.push(if_else(guard, skip));
    }

    /// `if (normal || rewind_index == k) { args; call; if (unwinding) br $unwind k; results }`
    fn pause_call(
        &mut self,
        func: &mut LocalFunction,
        out: &mut Instrs,
        args: &[LocalId],
        remat: Instrs,
        call: (Instr, InstrLocId),
    ) -> Result<Vec<LocalId>> {
        let index = self.next_index;
        self.next_index += 1;
        let result_tys = self.call_results(&call.0);
        let results = self.temps(&result_tys);

        let exit = func.builder_mut().dangling_instr_seq(None).id();
        func.block_mut(exit).instrs = vec![
            i32_const(index as i32),
            (
                Br {
                    block: self.unwind_block,
                }
                .into(),
                InstrLocId::default(),
            ),
        ];
        self.unwind_only.insert(exit);
        let no_exit = func.builder_mut().dangling_instr_seq(None).id();

        let mut body: Instrs = Vec::with_capacity(args.len() + remat.len() + 8 + results.len());
        for &a in args {
            self.get(&mut body, a);
        }
        body.extend(remat);
        body.push(call);
        body.push(global_get(self.cx.state));
        body.push(i32_const(abi::STATE_UNWINDING));
        body.push(binop(BinaryOp::I32Eq));
        body.push(if_else(exit, no_exit));
        for &r in results.iter().rev() {
            body.push(set(r));
        }
        let guard = new_seq(func, body);
        let skip = new_seq(func, Vec::new());

        self.push_is_normal(out);
        out.push(get(self.rewind_index));
        out.push(i32_const(index as i32));
        out.push(binop(BinaryOp::I32Eq));
        out.push(binop(BinaryOp::I32Or));
        out.push(if_else(guard, skip));
        self.pause_sites.push(PauseSite { index, guard });
        Ok(results)
    }

    fn push_is_normal(&self, out: &mut Instrs) {
        out.push(global_get(self.cx.state));
        out.push(ir::unop(UnaryOp::I32Eqz));
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
                        let id = new_local(self.locals, nullable, &name);
                        self.nullable_temps.insert(id);
                        id
                    }
                    _ => new_local(self.locals, ty, &name),
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

    fn call_results(&self, instr: &Instr) -> Vec<ValType> {
        let ty = match instr {
            Instr::Call(c) => self.cx.func_types[&c.func],
            Instr::CallIndirect(c) => c.ty,
            Instr::CallRef(c) => c.ty,
            other => unreachable!("not a pause call: {other:?}"),
        };
        self.types.results(ty).to_vec()
    }
}

enum Cond {
    Instr((Instr, InstrLocId)),
    Local(LocalId),
}

/// Whether `instr` is a call that can pause here.
fn is_pause_call(instr: &Instr, cx: &FlowContext) -> bool {
    match instr {
        Instr::Call(c) => (cx.call_pauses)(c.func),
        Instr::CallIndirect(_) | Instr::CallRef(_) => cx.indirect_pauses,
        _ => false,
    }
}

/// A tail call to something that can pause cannot unwind through this frame (the frame is
/// gone), so it becomes a plain call followed by `return`. Tail calls that cannot pause stay.
fn untail_pausing_calls(func: &mut LocalFunction, cx: &FlowContext) {
    for seq in ir::seqs_pre_order(func) {
        let instrs = &mut func.block_mut(seq).instrs;
        let mut i = 0;
        while i < instrs.len() {
            let call: Option<Instr> = match &instrs[i].0 {
                Instr::ReturnCall(c) if (cx.call_pauses)(c.func) => {
                    Some(Call { func: c.func }.into())
                }
                Instr::ReturnCallIndirect(c) if cx.indirect_pauses => Some(
                    CallIndirect {
                        ty: c.ty,
                        table: c.table,
                    }
                    .into(),
                ),
                Instr::ReturnCallRef(c) if cx.indirect_pauses => Some(CallRef { ty: c.ty }.into()),
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

fn new_local(locals: &mut ModuleLocals, ty: ValType, name: &str) -> LocalId {
    let id = locals.add(ty);
    locals.get_mut(id).name = Some(name.to_string());
    id
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
