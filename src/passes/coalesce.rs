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

use crate::analysis::bitset::BitSet;
use crate::analysis::liveness::Interference;
use crate::ir::IdMap;
use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId, ValType};

/// Coalesce the locals of `func` (`local_ty` gives their types). `fixed` locals keep their
/// own slot (the instrumentation's bookkeeping). Returns the replacement of every local that
/// changed.
pub fn run(
    func: &mut LocalFunction,
    local_ty: impl Fn(LocalId) -> ValType,
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
        ty: ValType,
        /// Everything interfering with some member.
        conflicts: BitSet,
        /// Holds a parameter (so a local relying on its zero initial value cannot join).
        param: bool,
        /// No other local may join.
        closed: bool,
    }
    let mut classes: Vec<Class> = Vec::new();
    // The open classes of each type, oldest first: a local joins the first that fits.
    let mut open: Vec<(ValType, Vec<usize>)> = Vec::new();
    let mut class_of: Vec<Option<usize>> = vec![None; n];
    let add_member =
        |classes: &mut Vec<Class>, class_of: &mut Vec<Option<usize>>, class: usize, i: usize| {
            classes[class].conflicts.union_with(graph.row(i));
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
            ty: local_ty(local),
            conflicts: BitSet::new(n),
            param,
            closed: !param,
        });
        let class = classes.len() - 1;
        if param {
            open_class(&mut open, classes[class].ty, class);
        }
        add_member(&mut classes, &mut class_of, class, i);
    }

    for i in 0..n {
        if class_of[i].is_some() {
            continue;
        }
        let local = graph.locals[i];
        let ty = local_ty(local);
        let fits = |c: &Class| {
            let blocked = c.closed
                || c.ty != ty
                || c.conflicts.contains(i)
                || (c.param && graph.live_on_entry(i));
            !blocked
        };
        // Prefer the class of a copy partner: the copy then disappears.
        let preferred = partners[i]
            .iter()
            .filter_map(|&p| class_of[p])
            .find(|&c| fits(&classes[c]));
        let first_fit = || {
            let same_type = open.iter().find(|(t, _)| *t == ty)?;
            same_type.1.iter().copied().find(|&c| fits(&classes[c]))
        };
        let class = match preferred.or_else(first_fit) {
            Some(c) => c,
            None => {
                classes.push(Class {
                    rep: local,
                    ty,
                    conflicts: BitSet::new(n),
                    param: false,
                    closed: false,
                });
                open_class(&mut open, ty, classes.len() - 1);
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
        rewrite(func, &graph.order, &replace);
    }
    replace
}

/// Note that `class`, of type `ty`, takes new members.
fn open_class(open: &mut Vec<(ValType, Vec<usize>)>, ty: ValType, class: usize) {
    match open.iter_mut().find(|(t, _)| *t == ty) {
        Some((_, classes)) => classes.push(class),
        None => open.push((ty, vec![class])),
    }
}

/// Rename locals, then drop copies that became `local.get $x; local.set $x`.
fn rewrite(func: &mut LocalFunction, order: &[InstrSeqId], replace: &IdMap<LocalId, LocalId>) {
    let map = |l: &mut LocalId| {
        if let Some(&r) = replace.get(l) {
            *l = r;
        }
    };
    for &seq in order {
        let instrs = &mut func.block_mut(seq).instrs;
        for (instr, _) in instrs.iter_mut() {
            match instr {
                Instr::LocalGet(g) => map(&mut g.local),
                Instr::LocalSet(s) => map(&mut s.local),
                Instr::LocalTee(t) => map(&mut t.local),
                _ => {}
            }
        }
        // Compact in place: `kept` instructions stay, the last kept one is `kept - 1`.
        let mut kept = 0;
        for next in 0..instrs.len() {
            let same = |l: LocalId| {
                kept > 0 && matches!(&instrs[kept - 1].0, Instr::LocalGet(g) if g.local == l)
            };
            match &instrs[next].0 {
                Instr::LocalSet(s) if same(s.local) => kept -= 1,
                Instr::LocalTee(t) if same(t.local) => {}
                _ => {
                    instrs.swap(kept, next);
                    kept += 1;
                }
            }
        }
        instrs.truncate(kept);
    }
}
