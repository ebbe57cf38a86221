//! Which locals must survive each pause: those live when execution resumes at the pause
//! point, in *normal* execution of the instrumented code.
//!
//! Binaryen computes liveness on the guarded code as if the guards could go either way, and
//! so saves locals that are only live along paths a rewind never takes (temps set in a
//! skipped run, conditions of skipped ifs). After a resume execution is normal, so we solve
//! liveness with the guards' normal-mode outcome: run guards and pause guards are always
//! entered, unwind exits never. The glue the flow pass adds on the rewind path only re-stores
//! locals to the values they already hold, so no rewind-only use needs a save.
//!
//! The result for a pause point is the live set right before the call, plus the locals its
//! arguments are re-read from when the callee sees them again while rewinding (imports,
//! runtime functions and indirect calls; an instrumented callee restores its own locals).

use crate::analysis::bitset::BitSet;
use crate::ir::{IdMap, IdSet};
use crate::passes::flow::FlowResult;
use walrus::ir::{Instr, InstrSeqId, LegacyCatch};
use walrus::{LocalFunction, LocalId};

/// Live locals per pause point.
#[derive(Clone, Debug, Default)]
pub struct PauseLiveness {
    /// `live[k]`: locals live at pause point `k`, in no particular order.
    pub live: Vec<Vec<LocalId>>,
}

impl PauseLiveness {
    /// The union over all pause points.
    pub fn union(&self) -> IdSet<LocalId> {
        self.live.iter().flatten().copied().collect()
    }
}

/// Solve liveness for an instrumented function.
pub fn analyze(func: &LocalFunction, flow: &FlowResult) -> PauseLiveness {
    let mut solver = Solver::new(func, flow, false);
    solver.solve(func);
    solver.pause_liveness()
}

/// [`analyze`] and [`interference`] from one solve (the live sets flowing through the
/// function are the same for both).
pub fn analyze_with_interference(
    func: &LocalFunction,
    flow: &FlowResult,
) -> (PauseLiveness, Interference) {
    let mut solver = Solver::new(func, flow, true);
    let live_in = solver.solve(func);
    (solver.pause_liveness(), solver.interference(live_in))
}

/// Which locals of an instrumented function can never hold a value at the same time, in
/// normal execution: the input of local coalescing.
pub struct Interference {
    /// The locals the body mentions.
    pub locals: Vec<LocalId>,
    /// `rows[i]` holds the locals interfering with `locals[i]`.
    rows: Vec<BitSet>,
    /// Pairs connected by a copy (`local.get a; local.set b`), worth giving the same local.
    pub copies: Vec<(usize, usize)>,
    /// Locals live on entry (read before written: they rely on being zero).
    live_in: BitSet,
    /// The function's sequences in pre-order, as the graph was built from them (coalescing
    /// rewrites them without walking the function again).
    pub order: Vec<InstrSeqId>,
}

impl Interference {
    /// Whether `a` and `b` (indices into [`Interference::locals`]) interfere.
    pub fn interferes(&self, a: usize, b: usize) -> bool {
        self.rows[a].contains(b)
    }

    /// Whether local `i` is read before it is written on some path from the entry.
    pub fn live_on_entry(&self, i: usize) -> bool {
        self.live_in.contains(i)
    }

    /// The locals interfering with local `i`.
    pub fn row(&self, i: usize) -> &BitSet {
        &self.rows[i]
    }
}

/// Build the interference graph of an instrumented function: two locals interfere if one is
/// written while the other is live (except when the write copies the other). Every read
/// counts here, including arguments that [`analyze`] may skip: in normal execution they are
/// real reads.
pub fn interference(func: &LocalFunction, flow: &FlowResult) -> Interference {
    let mut solver = Solver::new(func, flow, true);
    let live_in = solver.solve(func);
    solver.interference(live_in)
}

struct Solver<'a> {
    flow: &'a FlowResult,
    /// The interference rows, when building them.
    rows: Option<Vec<BitSet>>,
    copies: Vec<(usize, usize)>,
    locals: Vec<LocalId>,
    dense: IdMap<LocalId, usize>,
    width: usize,
    labels: IdMap<InstrSeqId, BitSet>,
    /// Live sets at the entry of loop bodies, kept across outer iterations so nested loops
    /// converge from where they left off instead of from scratch.
    loop_heads: IdMap<InstrSeqId, BitSet>,
    /// Sequences some branch targets: a loop no branch goes back to needs a single pass.
    targeted: IdSet<InstrSeqId>,
    /// Live sets on entry to the enclosing exception handlers (innermost last).
    handlers: Vec<BitSet>,
    /// The function's sequences in pre-order.
    order: Vec<InstrSeqId>,
    /// Pause-point sequences: where the arguments are, and whether they count.
    sites: IdMap<InstrSeqId, (std::ops::Range<usize>, bool)>,
    at_site: IdMap<InstrSeqId, BitSet>,
}

impl<'a> Solver<'a> {
    fn new(func: &LocalFunction, flow: &'a FlowResult, with_rows: bool) -> Solver<'a> {
        let mut locals = Vec::new();
        let mut dense = IdMap::default();
        let mut targeted = IdSet::default();
        let order = crate::ir::seqs_pre_order(func);
        for &seq in &order {
            for (instr, _) in func.block(seq).instrs.iter() {
                match instr {
                    Instr::Br(b) => _ = targeted.insert(b.block),
                    Instr::BrIf(b) => _ = targeted.insert(b.block),
                    Instr::BrOnNull(b) => _ = targeted.insert(b.block),
                    Instr::BrOnNonNull(b) => _ = targeted.insert(b.block),
                    Instr::BrOnCast(b) => _ = targeted.insert(b.block),
                    Instr::BrOnCastFail(b) => _ = targeted.insert(b.block),
                    Instr::BrTable(t) => targeted.extend(t.blocks.iter().chain([&t.default])),
                    Instr::TryTable(t) => {
                        targeted.extend(t.catches.iter().map(crate::ir::catch_label))
                    }
                    _ => {}
                }
                let local = match instr {
                    Instr::LocalGet(g) => g.local,
                    Instr::LocalSet(s) => s.local,
                    Instr::LocalTee(t) => t.local,
                    _ => continue,
                };
                dense.entry(local).or_insert_with(|| {
                    locals.push(local);
                    locals.len() - 1
                });
            }
        }
        let width = locals.len();
        Solver {
            flow,
            rows: with_rows.then(|| vec![BitSet::new(width); width]),
            copies: Vec::new(),
            locals,
            dense,
            width,
            labels: IdMap::default(),
            loop_heads: IdMap::default(),
            targeted,
            handlers: Vec::new(),
            order,
            sites: flow
                .pause_sites
                .iter()
                .map(|s| (s.guard, (s.args_at..s.call_at, s.args_matter)))
                .collect(),
            at_site: IdMap::default(),
        }
    }

    /// The live sets at the pause points, once solved.
    fn pause_liveness(&self) -> PauseLiveness {
        let mut live = vec![Vec::new(); self.flow.pause_sites.len()];
        for site in &self.flow.pause_sites {
            if let Some(set) = self.at_site.get(&site.guard) {
                live[site.index as usize] = set.iter().map(|i| self.locals[i]).collect();
            }
        }
        PauseLiveness { live }
    }

    /// The interference graph, once solved with rows (`live_in`: live at the body's entry).
    fn interference(self, live_in: BitSet) -> Interference {
        let mut rows = self.rows.unwrap_or_default();
        // Interference is symmetric; the solver filled the writer's side only.
        let mut others = Vec::new();
        for a in 0..rows.len() {
            others.clear();
            others.extend(rows[a].iter());
            for &b in &others {
                rows[b].insert(a);
            }
        }
        Interference {
            locals: self.locals,
            rows,
            copies: self.copies,
            live_in,
            order: self.order,
        }
    }

    /// Solve from the body (leaving it means `return`: nothing is live there). Returns the
    /// live set at the body's entry.
    fn solve(&mut self, func: &LocalFunction) -> BitSet {
        self.labels.insert(self.flow.body, BitSet::new(self.width));
        let empty = BitSet::new(self.width);
        self.seq(func, self.flow.body, empty)
    }

    /// Record that `def` is written while `live` holds, except for `copied_from`. Rows are
    /// filled on the writing side only (a word-wide OR); [`interference`] mirrors them once
    /// at the end.
    fn interfere(&mut self, def: usize, live: &BitSet, copied_from: Option<usize>) {
        let Some(rows) = self.rows.as_mut() else {
            return;
        };
        let row = &mut rows[def];
        let keep_from = copied_from.is_some_and(|f| row.contains(f));
        let keep_self = row.contains(def);
        row.union_with(live);
        if let Some(from) = copied_from {
            if !keep_from {
                row.remove(from);
            }
            self.copies.push((def, from));
        }
        if !keep_self {
            row.remove(def);
        }
    }

    /// Live-in of `seq` given the live set after it.
    fn seq(&mut self, func: &LocalFunction, seq: InstrSeqId, live_out: BitSet) -> BitSet {
        let mut live = live_out;
        // Arguments an instrumented callee ignores while rewinding are not needed then.
        let ignored_args = match self.sites.get(&seq) {
            Some((args, false)) => args.clone(),
            _ => 0..0,
        };
        // The live set at the pause point itself leaves those reads out, but the set flowing
        // back does not: a rewind that resumes an earlier pause runs this call normally.
        // Only simple instructions (pushes, `local.*`) come before the call in a site.
        let mut at_pause: Option<BitSet> = None;
        let instrs = &func.block(seq).instrs;
        for (position, (instr, _)) in instrs.iter().enumerate().rev() {
            if ignored_args.contains(&position) {
                at_pause.get_or_insert_with(|| live.clone());
            } else if let Some(set) = at_pause.as_mut() {
                match instr {
                    Instr::LocalGet(g) => set.insert(self.dense[&g.local]),
                    Instr::LocalSet(walrus::ir::LocalSet { local })
                    | Instr::LocalTee(walrus::ir::LocalTee { local }) => {
                        set.remove(self.dense[local])
                    }
                    _ => {}
                }
            }
            let copied_from = |position: usize| match position.checked_sub(1).map(|p| &instrs[p].0)
            {
                Some(Instr::LocalGet(g)) => Some(g.local),
                _ => None,
            };
            match instr {
                Instr::LocalGet(g) => live.insert(self.dense[&g.local]),
                Instr::LocalSet(s) => {
                    let def = self.dense[&s.local];
                    let from = copied_from(position).map(|l| self.dense[&l]);
                    self.interfere(def, &live, from);
                    live.remove(def);
                }
                Instr::LocalTee(t) => {
                    let def = self.dense[&t.local];
                    let from = copied_from(position).map(|l| self.dense[&l]);
                    self.interfere(def, &live, from);
                    live.remove(def);
                }
                Instr::Br(b) => live = self.label(b.block),
                Instr::BrIf(b) => self.union_label(&mut live, b.block),
                Instr::BrOnNull(b) => self.union_label(&mut live, b.block),
                Instr::BrOnNonNull(b) => self.union_label(&mut live, b.block),
                Instr::BrOnCast(b) => self.union_label(&mut live, b.block),
                Instr::BrOnCastFail(b) => self.union_label(&mut live, b.block),
                Instr::BrTable(t) => {
                    let mut all = self.label(t.default);
                    for &b in t.blocks.iter() {
                        self.union_label(&mut all, b);
                    }
                    live = all;
                }
                Instr::Return(_)
                | Instr::Unreachable(_)
                | Instr::ReturnCall(_)
                | Instr::ReturnCallIndirect(_)
                | Instr::ReturnCallRef(_) => live = BitSet::new(self.width),
                Instr::Throw(_) | Instr::ThrowRef(_) | Instr::Rethrow(_) => {
                    live = self.throw_target();
                }
                Instr::Call(_) | Instr::CallIndirect(_) | Instr::CallRef(_) => {
                    // The callee may throw to a handler in this function.
                    if let Some(handler) = self.handlers.last() {
                        live.union_with(handler);
                    }
                }
                Instr::Block(b) => {
                    self.enter(b.seq, &live);
                    live = self.seq(func, b.seq, live);
                    self.labels.remove(&b.seq);
                }
                Instr::Loop(l) => {
                    let mut head = self
                        .loop_heads
                        .get(&l.seq)
                        .cloned()
                        .unwrap_or_else(|| BitSet::new(self.width));
                    loop {
                        self.enter(l.seq, &head);
                        let entry = self.seq(func, l.seq, live.clone());
                        if !self.targeted.contains(&l.seq) {
                            head = entry;
                            break;
                        }
                        if entry == head {
                            break;
                        }
                        head.union_with(&entry);
                    }
                    self.labels.remove(&l.seq);
                    if self.targeted.contains(&l.seq) {
                        self.loop_heads.insert(l.seq, head.clone());
                    }
                    live = head;
                }
                Instr::IfElse(i) => {
                    self.enter(i.consequent, &live);
                    self.enter(i.alternative, &live);
                    let then_in = self.seq(func, i.consequent, live.clone());
                    // Guards are always entered in normal mode.
                    if self.flow.normal_only.contains(&i.consequent)
                        || self.flow.element_guards.contains(&i.consequent)
                        || self.sites.contains_key(&i.consequent)
                    {
                        live = then_in;
                    } else {
                        let else_in = self.seq(func, i.alternative, live);
                        live = then_in;
                        live.union_with(&else_in);
                    }
                    self.labels.remove(&i.consequent);
                    self.labels.remove(&i.alternative);
                }
                Instr::TryTable(t) => {
                    self.enter(t.seq, &live);
                    let mut caught = BitSet::new(self.width);
                    for catch in &t.catches {
                        caught.union_with(&self.label(crate::ir::catch_label(catch)));
                    }
                    self.handlers.push(caught);
                    live = self.seq(func, t.seq, live);
                    self.handlers.pop();
                    self.labels.remove(&t.seq);
                }
                Instr::Try(t) => {
                    let mut caught = BitSet::new(self.width);
                    let mut delegates = false;
                    for catch in &t.catches {
                        match catch {
                            LegacyCatch::Catch { handler, .. }
                            | LegacyCatch::CatchAll { handler } => {
                                self.enter(*handler, &live);
                                let handler_in = self.seq(func, *handler, live.clone());
                                self.labels.remove(handler);
                                caught.union_with(&handler_in);
                            }
                            LegacyCatch::Delegate { .. } => delegates = true,
                        }
                    }
                    if delegates
                        || t.catches
                            .iter()
                            .all(|c| !matches!(c, LegacyCatch::CatchAll { .. }))
                    {
                        // Uncaught (or delegated) exceptions go further out.
                        caught.union_with(&self.throw_target());
                    }
                    self.enter(t.seq, &live);
                    self.handlers.push(caught);
                    live = self.seq(func, t.seq, live);
                    self.handlers.pop();
                    self.labels.remove(&t.seq);
                }
                _ => {}
            }
        }
        if self.sites.contains_key(&seq) {
            self.at_site
                .insert(seq, at_pause.unwrap_or_else(|| live.clone()));
        }
        live
    }

    /// Record the live set a branch to `seq` finds, while `seq` is entered. Only sequences
    /// some branch targets need one, and only while inside them: the map stays as small as
    /// the nesting (a big function has thousands of guards, each a sequence).
    fn enter(&mut self, seq: InstrSeqId, live: &BitSet) {
        if self.targeted.contains(&seq) {
            self.labels.insert(seq, live.clone());
        }
    }

    fn union_label(&self, live: &mut BitSet, seq: InstrSeqId) {
        if let Some(label) = self.labels.get(&seq) {
            live.union_with(label);
        }
    }

    fn label(&self, seq: InstrSeqId) -> BitSet {
        self.labels
            .get(&seq)
            .cloned()
            .unwrap_or_else(|| BitSet::new(self.width))
    }

    fn throw_target(&self) -> BitSet {
        self.handlers
            .last()
            .cloned()
            .unwrap_or_else(|| BitSet::new(self.width))
    }
}
