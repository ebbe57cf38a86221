//! Small helpers over walrus IR used by several analyses and passes.
//!
//! walrus represents structured control flow as nested instruction sequences
//! ([`InstrSeqId`]); these helpers enumerate them without recursion (real modules nest
//! thousands of blocks deep) and classify instructions the way asyncify cares about.

use std::hash::{BuildHasherDefault, Hasher};
use walrus::ir::{BinaryOp, Instr, InstrSeqId, LegacyCatch, TryTableCatch, UnaryOp};
use walrus::{FunctionId, LocalFunction};

/// A hasher for walrus ids (small integers): one multiply instead of SipHash, which showed up
/// at ~10% of the transform's time in profiles. Not for untrusted keys.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map keyed by walrus ids.
pub type IdMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;
/// A hash set of walrus ids.
pub type IdSet<K> = std::collections::HashSet<K, BuildHasherDefault<IdHasher>>;

/// The instruction sequences nested directly in `instr`, in program order.
pub fn child_seqs(instr: &Instr) -> impl Iterator<Item = InstrSeqId> + '_ {
    let (first, second): (Option<InstrSeqId>, Option<InstrSeqId>) = match instr {
        Instr::Block(b) => (Some(b.seq), None),
        Instr::Loop(l) => (Some(l.seq), None),
        Instr::IfElse(i) => (Some(i.consequent), Some(i.alternative)),
        Instr::TryTable(t) => (Some(t.seq), None),
        Instr::Try(t) => (Some(t.seq), None),
        _ => (None, None),
    };
    let handlers: &[LegacyCatch] = match instr {
        Instr::Try(t) => &t.catches,
        _ => &[],
    };
    first
        .into_iter()
        .chain(second)
        .chain(handlers.iter().filter_map(|c| match c {
            LegacyCatch::Catch { handler, .. } | LegacyCatch::CatchAll { handler } => {
                Some(*handler)
            }
            LegacyCatch::Delegate { .. } => None,
        }))
}

/// Whether `instr` nests instruction sequences (a cheap test before [`child_seqs`], which
/// walks run for every instruction).
#[inline]
pub fn has_child_seqs(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Block(_) | Instr::Loop(_) | Instr::IfElse(_) | Instr::TryTable(_) | Instr::Try(_)
    )
}

/// The label a `try_table` catch clause branches to.
pub fn catch_label(catch: &TryTableCatch) -> InstrSeqId {
    match *catch {
        TryTableCatch::Catch { label, .. }
        | TryTableCatch::CatchRef { label, .. }
        | TryTableCatch::CatchAll { label }
        | TryTableCatch::CatchAllRef { label } => label,
    }
}

/// Every instruction sequence reachable from the function's entry, in pre-order (a sequence
/// comes before the sequences nested in it, siblings in program order).
pub fn seqs_pre_order(func: &LocalFunction) -> Vec<InstrSeqId> {
    pre_order(func, func.entry_block(), |seq| seq, |_, child| child)
}

/// [`seqs_pre_order`], each sequence with how deeply it is nested (the body is 1). The
/// passes recurse once per level, so the deepest sizes the stack they run on.
pub fn seqs_pre_order_nested(func: &LocalFunction) -> Vec<(InstrSeqId, usize)> {
    pre_order(
        func,
        (func.entry_block(), 1),
        |(seq, _)| seq,
        |(_, depth), child| (child, depth + 1),
    )
}

/// The pre-order walk both of the above make, from `entry`: `seq` gives the sequence of an
/// item, `nested` the item of a sequence nested in an item's.
fn pre_order<T: Copy>(
    func: &LocalFunction,
    entry: T,
    seq: impl Fn(T) -> InstrSeqId,
    nested: impl Fn(T, InstrSeqId) -> T,
) -> Vec<T> {
    let mut order = Vec::new();
    let mut stack = vec![entry];
    while let Some(item) = stack.pop() {
        order.push(item);
        let before = stack.len();
        for (instr, _) in func.block(seq(item)).instrs.iter() {
            if has_child_seqs(instr) {
                stack.extend(child_seqs(instr).map(|child| nested(item, child)));
            }
        }
        // Children were pushed in program order; reverse them so the first pops first.
        stack[before..].reverse();
    }
    order
}

/// How many instructions the function's body holds (nested sequences included, the `end`s
/// of blocks not counted).
pub fn instr_count(func: &LocalFunction) -> usize {
    seqs_pre_order(func)
        .into_iter()
        .map(|seq| func.block(seq).instrs.len())
        .sum()
}

/// The function a direct call (or tail call) goes to.
pub fn direct_callee(instr: &Instr) -> Option<FunctionId> {
    match instr {
        Instr::Call(c) => Some(c.func),
        Instr::ReturnCall(c) => Some(c.func),
        _ => None,
    }
}

/// Whether the instruction calls through a table or a function reference.
pub fn is_indirect_call(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::CallIndirect(_)
            | Instr::ReturnCallIndirect(_)
            | Instr::CallRef(_)
            | Instr::ReturnCallRef(_)
    )
}

/// Whether nothing after `instr` in its sequence is reachable (its operand stack becomes
/// polymorphic there).
pub fn ends_reachability(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Br(_)
            | Instr::BrTable(_)
            | Instr::Return(_)
            | Instr::Unreachable(_)
            | Instr::Throw(_)
            | Instr::ThrowRef(_)
            | Instr::Rethrow(_)
    ) || is_tail_call(instr)
}

/// Whether the instruction is a tail call of any kind.
pub fn is_tail_call(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::ReturnCall(_) | Instr::ReturnCallIndirect(_) | Instr::ReturnCallRef(_)
    )
}

/// Replace every branch target `from` with `to` in the sequences `seqs` (branches,
/// `br_table` entries, `br_on_*` and `try_table` catch labels).
pub fn retarget_branches(
    func: &mut LocalFunction,
    seqs: &[InstrSeqId],
    from: InstrSeqId,
    to: InstrSeqId,
) {
    let mut fix = |target: &mut InstrSeqId| {
        if *target == from {
            *target = to;
        }
    };
    for &seq in seqs {
        // The sequence that held the body before it moved has no instructions left.
        let seq = if seq == from { to } else { seq };
        for (instr, _) in func.block_mut(seq).instrs.iter_mut() {
            for_each_target(instr, &mut fix);
        }
    }
}

/// Call `f` on every label `instr` can branch to (branches, `br_table` entries, `br_on_*`,
/// `try_table` catch clauses; not the raw depths of legacy `rethrow`/`delegate`).
pub fn for_each_target(instr: &mut Instr, f: &mut dyn FnMut(&mut InstrSeqId)) {
    match instr {
        Instr::Br(b) => f(&mut b.block),
        Instr::BrIf(b) => f(&mut b.block),
        Instr::BrTable(b) => {
            b.blocks.iter_mut().for_each(&mut *f);
            f(&mut b.default);
        }
        Instr::BrOnNull(b) => f(&mut b.block),
        Instr::BrOnNonNull(b) => f(&mut b.block),
        Instr::BrOnCast(b) => f(&mut b.block),
        Instr::BrOnCastFail(b) => f(&mut b.block),
        Instr::TryTable(t) => {
            for catch in t.catches.iter_mut() {
                match catch {
                    TryTableCatch::Catch { label, .. }
                    | TryTableCatch::CatchRef { label, .. }
                    | TryTableCatch::CatchAll { label }
                    | TryTableCatch::CatchAllRef { label } => f(label),
                }
            }
        }
        _ => {}
    }
}

/// Add `by` to the raw relative depths walrus keeps for legacy `rethrow` and `delegate`
/// inside the instructions `instrs` (and everything nested in them) whose target lies outside
/// `instrs`. Call this after wrapping `instrs` in `by` new enclosing blocks.
pub fn shift_raw_depths(
    func: &mut LocalFunction,
    instrs: &mut [(Instr, walrus::InstrLocId)],
    by: u32,
) {
    // (sequence, labels between it and the wrapped run)
    let mut nested: Vec<(InstrSeqId, u32)> = Vec::new();
    let fix = |instr: &mut Instr, depth: u32, nested: &mut Vec<(InstrSeqId, u32)>| {
        match instr {
            Instr::Rethrow(r) if r.relative_depth >= depth => r.relative_depth += by,
            Instr::Try(t) => {
                for catch in t.catches.iter_mut() {
                    // `delegate n` counts labels from outside the `try` itself.
                    if let LegacyCatch::Delegate { relative_depth } = catch
                        && *relative_depth >= depth
                    {
                        *relative_depth += by;
                    }
                }
            }
            _ => {}
        }
        nested.extend(child_seqs(instr).map(|s| (s, depth + 1)));
    };
    for (instr, _) in instrs.iter_mut() {
        fix(instr, 0, &mut nested);
    }
    while let Some((seq, depth)) = nested.pop() {
        for (instr, _) in func.block_mut(seq).instrs.iter_mut() {
            fix(instr, depth, &mut nested);
        }
    }
}

/// Whether the instruction is a legacy `rethrow` or a `try ... delegate`, whose raw depths
/// must be kept right when code is wrapped in new blocks.
pub fn uses_raw_depths(instr: &Instr) -> bool {
    match instr {
        Instr::Rethrow(_) => true,
        Instr::Try(t) => t
            .catches
            .iter()
            .any(|c| matches!(c, LegacyCatch::Delegate { .. })),
        _ => false,
    }
}

/// An instruction with no input location, as the passes generate them.
pub type Located = (Instr, walrus::InstrLocId);

/// `local.get`
pub fn local_get(local: walrus::LocalId) -> Located {
    (walrus::ir::LocalGet { local }.into(), Default::default())
}

/// `local.set`
pub fn local_set(local: walrus::LocalId) -> Located {
    (walrus::ir::LocalSet { local }.into(), Default::default())
}

/// `global.get`
pub fn global_get(global: walrus::GlobalId) -> Located {
    (walrus::ir::GlobalGet { global }.into(), Default::default())
}

/// `i32.const`
pub fn i32_const(value: i32) -> Located {
    (
        walrus::ir::Const {
            value: walrus::ir::Value::I32(value),
        }
        .into(),
        Default::default(),
    )
}

/// A binary operator.
pub fn binop(op: walrus::ir::BinaryOp) -> Located {
    (walrus::ir::Binop { op }.into(), Default::default())
}

/// A unary operator.
pub fn unop(op: walrus::ir::UnaryOp) -> Located {
    (walrus::ir::Unop { op }.into(), Default::default())
}

/// `if (then ...) (else ...)` over two existing sequences.
pub fn if_else(consequent: InstrSeqId, alternative: InstrSeqId) -> Located {
    (
        walrus::ir::IfElse {
            consequent,
            alternative,
        }
        .into(),
        Default::default(),
    )
}

/// A new sequence of type `[] -> []` holding `instrs`.
pub fn new_seq(func: &mut LocalFunction, instrs: Vec<Located>) -> InstrSeqId {
    let id = func.builder_mut().dangling_instr_seq(None).id();
    func.block_mut(id).instrs = instrs;
    id
}

/// A new sequence of type `[] -> [ty]` holding `instrs`.
pub fn new_seq_typed(
    func: &mut LocalFunction,
    ty: walrus::ValType,
    instrs: Vec<Located>,
) -> InstrSeqId {
    let id = func.builder_mut().dangling_instr_seq(ty).id();
    func.block_mut(id).instrs = instrs;
    id
}

/// Drop the value on top of the stack: remove the instructions computing it if they are
/// pure, else add a `drop`.
pub fn drop_value(out: &mut Vec<Located>) {
    match pure_value_start(out) {
        Some(start) => out.truncate(start),
        None => out.push((walrus::ir::Drop {}.into(), Default::default())),
    }
}

/// If the instructions at the end of `out` compute exactly the top value without side
/// effects or traps, where they start.
pub fn pure_value_start(out: &[Located]) -> Option<usize> {
    let mut needed = 1usize;
    let mut i = out.len();
    while needed > 0 {
        i = i.checked_sub(1)?;
        let (pops, pushes) = match &out[i].0 {
            Instr::LocalGet(_) | Instr::GlobalGet(_) | Instr::Const(_) => (0, 1),
            Instr::Unop(u) if eval_unop(u.op).is_some() => (1, 1),
            Instr::Binop(b) if eval_binop(b.op, 0, 1).is_some() => (2, 1),
            Instr::Select(_) => (3, 1),
            _ => return None,
        };
        needed = needed - pushes + pops;
    }
    Some(i)
}

/// `i32` unary operators that cannot trap, evaluated.
pub fn eval_unop(op: UnaryOp) -> Option<fn(i32) -> i32> {
    match op {
        UnaryOp::I32Eqz => Some(|a| i32::from(a == 0)),
        _ => None,
    }
}

/// `i32` binary operators that cannot trap, evaluated.
pub fn eval_binop(op: BinaryOp, a: i32, b: i32) -> Option<i32> {
    let (ua, ub) = (a as u32, b as u32);
    Some(match op {
        BinaryOp::I32Add => a.wrapping_add(b),
        BinaryOp::I32Sub => a.wrapping_sub(b),
        BinaryOp::I32Mul => a.wrapping_mul(b),
        BinaryOp::I32And => a & b,
        BinaryOp::I32Or => a | b,
        BinaryOp::I32Xor => a ^ b,
        BinaryOp::I32Shl => a.wrapping_shl(ub),
        BinaryOp::I32ShrU => ua.wrapping_shr(ub) as i32,
        BinaryOp::I32ShrS => a.wrapping_shr(ub),
        BinaryOp::I32Eq => i32::from(a == b),
        BinaryOp::I32Ne => i32::from(a != b),
        BinaryOp::I32LtU => i32::from(ua < ub),
        BinaryOp::I32LeU => i32::from(ua <= ub),
        BinaryOp::I32GtU => i32::from(ua > ub),
        BinaryOp::I32GeU => i32::from(ua >= ub),
        BinaryOp::I32LtS => i32::from(a < b),
        BinaryOp::I32LeS => i32::from(a <= b),
        BinaryOp::I32GtS => i32::from(a > b),
        BinaryOp::I32GeS => i32::from(a >= b),
        _ => return None,
    })
}

/// The module's locals, shared by passes that run on several functions at once: adding a
/// local, or reading the type of one while others may be added, takes a lock. Each function
/// adds a handful, so the lock is rarely contended.
///
/// Locals added from several threads interleave in the module's arena, so their absolute
/// indices depend on timing; within one function they keep the order it added them in, and
/// everything that orders locals (the encoder, the frame layout, coalescing) orders them
/// relative to each other, so the output does not depend on the interleaving.
pub struct SharedLocals<'a>(std::sync::Mutex<&'a mut walrus::ModuleLocals>);

impl<'a> SharedLocals<'a> {
    pub fn new(locals: &'a mut walrus::ModuleLocals) -> SharedLocals<'a> {
        SharedLocals(std::sync::Mutex::new(locals))
    }

    /// Add a local of type `ty` named `name`.
    pub fn add(&self, ty: walrus::ValType, name: &str) -> walrus::LocalId {
        self.with(|locals| {
            let id = locals.add(ty);
            locals.get_mut(id).name = Some(name.to_string());
            id
        })
    }

    /// The type of `local`.
    pub fn ty(&self, local: walrus::LocalId) -> walrus::ValType {
        self.with(|locals| locals.get(local).ty())
    }

    /// Run `f` with the locals to itself.
    pub fn with<R>(&self, f: impl FnOnce(&mut walrus::ModuleLocals) -> R) -> R {
        // A panic elsewhere while the lock was held cannot leave the arena half-changed.
        let mut guard = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        f(&mut guard)
    }
}
