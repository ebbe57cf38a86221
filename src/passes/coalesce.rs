//! Local coalescing (`-O`): give locals that are never live at the same time the same local,
//! by colouring the interference graph, one colour class per value type.
//!
//! Instrumentation adds many short-lived locals (values moved off the operand stack around
//! pause points, results of pausing calls). Coalescing them with each other and with the
//! input's locals means fewer locals to declare, shorter local indices, fewer locals to save
//! (the saved set is the union over pause points, so two locals live at different pause
//! points can share a slot), and copies between locals that got the same colour disappear.
//!
//! ```wat
//! ;; before: $spill0 and $spill1 are never live together, and $spill1 copies $x
//! (local.set $spill0 (i32.add (local.get $x) (i32.const 1)))
//! (call $log (local.get $spill0))
//! (local.set $spill1 (local.get $x))
//! (call $sleep (local.get $spill1))
//! ;; after: both became $x's neighbour $spill0, and the copy is gone
//! (local.set $spill0 (i32.add (local.get $x) (i32.const 1)))
//! (call $log (local.get $spill0))
//! (call $sleep (local.get $x))
//! ```
//!
//! Interference comes from normal-mode liveness ([`crate::analysis::liveness::analyze_with_interference`]).
//! That is enough for rewinding too: the only writes on the rewind path store a local back
//! from the same local, so they stay no-ops whatever shares that local.

use crate::analysis::liveness::Interference;
use crate::ir::IdMap;
use walrus::ir::Instr;
use walrus::{LocalFunction, LocalId, ModuleLocals};

/// Coalesce the locals of `func`. `fixed` locals keep their own slot (the instrumentation's
/// bookkeeping). Returns the replacement of every local that changed.
pub fn run(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    graph: &Interference,
    fixed: &[LocalId],
) -> IdMap<LocalId, LocalId> {
    let n = graph.locals.len();
    let mut partners: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &graph.copies {
        partners[a].push(b);
        partners[b].push(a);
    }

    struct Class {
        rep: LocalId,
        ty: walrus::ValType,
        /// Everything interfering with some member.
        conflicts: Vec<u64>,
        /// Holds a parameter (so a local relying on its zero initial value cannot join).
        param: bool,
        /// No other local may join.
        closed: bool,
    }
    let words = n.div_ceil(64);
    let mut classes: Vec<Class> = Vec::new();
    let mut class_of: Vec<Option<usize>> = vec![None; n];
    let add_member =
        |classes: &mut Vec<Class>, class_of: &mut Vec<Option<usize>>, class: usize, i: usize| {
            for other in graph.row(i) {
                classes[class].conflicts[other / 64] |= 1 << (other % 64);
            }
            class_of[i] = Some(class);
        };

    let position: IdMap<LocalId, usize> = graph
        .locals
        .iter()
        .enumerate()
        .map(|(i, &l)| (l, i))
        .collect();
    // Parameters and fixed locals first, each in a class of its own.
    let pinned = func
        .args
        .iter()
        .map(|a| (*a, true))
        .chain(fixed.iter().map(|f| (*f, false)));
    for (local, param) in pinned {
        let Some(&i) = position.get(&local) else {
            continue;
        };
        if class_of[i].is_some() {
            continue;
        }
        classes.push(Class {
            rep: local,
            ty: locals.get(local).ty(),
            conflicts: vec![0; words],
            param,
            closed: !param,
        });
        let class = classes.len() - 1;
        add_member(&mut classes, &mut class_of, class, i);
    }

    for i in 0..n {
        if class_of[i].is_some() {
            continue;
        }
        let local = graph.locals[i];
        let ty = locals.get(local).ty();
        let fits = |c: &Class| {
            !c.closed
                && c.ty == ty
                && c.conflicts[i / 64] & (1 << (i % 64)) == 0
                && !(c.param && graph.live_on_entry(i))
        };
        // Prefer the class of a copy partner: the copy then disappears.
        let preferred = partners[i]
            .iter()
            .filter_map(|&p| class_of[p])
            .find(|&c| fits(&classes[c]));
        let class = match preferred.or_else(|| classes.iter().position(fits)) {
            Some(c) => c,
            None => {
                classes.push(Class {
                    rep: local,
                    ty,
                    conflicts: vec![0; words],
                    param: false,
                    closed: false,
                });
                classes.len() - 1
            }
        };
        add_member(&mut classes, &mut class_of, class, i);
    }

    let mut replace = IdMap::default();
    for (i, &local) in graph.locals.iter().enumerate() {
        let rep = classes[class_of[i].expect("every local got a class")].rep;
        if rep != local {
            replace.insert(local, rep);
        }
    }
    if !replace.is_empty() {
        rewrite(func, &replace);
    }
    replace
}

/// Rename locals, then drop copies that became `local.get $x; local.set $x`.
fn rewrite(func: &mut LocalFunction, replace: &IdMap<LocalId, LocalId>) {
    let map = |l: &mut LocalId| {
        if let Some(&r) = replace.get(l) {
            *l = r;
        }
    };
    for seq in crate::ir::seqs_pre_order(func) {
        let instrs = &mut func.block_mut(seq).instrs;
        for (instr, _) in instrs.iter_mut() {
            match instr {
                Instr::LocalGet(g) => map(&mut g.local),
                Instr::LocalSet(s) => map(&mut s.local),
                Instr::LocalTee(t) => map(&mut t.local),
                _ => {}
            }
        }
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs.drain(..) {
            let same =
                |prev: &Instr, l: LocalId| matches!(prev, Instr::LocalGet(g) if g.local == l);
            match (&instr, out.last()) {
                (Instr::LocalSet(s), Some((prev, _))) if same(prev, s.local) => {
                    out.pop();
                }
                (Instr::LocalTee(t), Some((prev, _))) if same(prev, t.local) => {}
                _ => out.push((instr, loc)),
            }
        }
        *instrs = out;
    }
}
