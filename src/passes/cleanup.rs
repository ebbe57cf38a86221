//! A first cleanup of instrumented functions (`-O`): remove what the instrumentation made
//! pointless.
//!
//! ```wat
//! ;; before: a guard around nothing (its run moved elsewhere or was empty), a value spilled
//! ;; and read back at once, and `$resume` set where nothing reads it
//! (if (i32.eqz (local.get $resume)) (then))
//! (local.set $x (call $f)) (local.get $x)
//! (local.set $resume (global.get $__asyncify_state))
//! ;; after
//! (local.tee $x (call $f))
//! ```
//!
//! An `if` whose arms are both empty only evaluates its condition; when that condition is
//! made of reads and operators that cannot trap ([`crate::ir::pure_value_start`]), the whole
//! thing goes. A `local.set` right before a `local.get` of the same local is a `local.tee`.
//! A store to a local nothing reads goes, with the value if computing it has no effect, else
//! the value is dropped (functions with one pause point and no guard never read `$resume`).
//! Unused locals need no pass: the encoder only declares locals the body uses.

use crate::ir::IdSet;
use walrus::ir::{Instr, LocalTee};
use walrus::{LocalFunction, LocalId};

/// Remove `if`s with two empty arms whose condition has no effect, turn a `local.set` and
/// `local.get` of the same local into a `local.tee`, then remove stores nothing reads.
pub fn run(func: &mut LocalFunction) {
    // One scan per sequence both finds the sequences nested in it and tells whether it has
    // something to rewrite (the function's IR is read once; this pass runs on every
    // instrumented one). A sequence is cleaned before those nested in it, as in
    // [`crate::ir::seqs_pre_order`].
    let mut reads: crate::ir::IdMap<LocalId, usize> = Default::default();
    let mut stack = vec![func.entry_block()];
    let mut stored = false;
    while let Some(seq) = stack.pop() {
        let before = stack.len();
        let mut rewrite = false;
        let mut last_set = None;
        for (instr, _) in func.block(seq).instrs.iter() {
            match instr {
                Instr::LocalGet(g) => {
                    *reads.entry(g.local).or_default() += 1;
                    rewrite |= last_set == Some(g.local);
                }
                Instr::LocalSet(_) | Instr::LocalTee(_) => stored = true,
                _ if crate::ir::has_child_seqs(instr) => {
                    rewrite |= empty_if(func, instr);
                    stack.extend(crate::ir::child_seqs(instr));
                }
                _ => {}
            }
            last_set = match instr {
                Instr::LocalSet(s) => Some(s.local),
                _ => None,
            };
        }
        stack[before..].reverse();
        if !rewrite {
            continue;
        }
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out: Vec<(Instr, walrus::InstrLocId)> = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            // The instructions this drops compute values without blocks, so every sequence
            // nested in what stays is already on the stack.
            if empty_if(func, &instr)
                && let Some(len) = crate::ir::pure_value_start(&out)
            {
                out.truncate(len);
                continue;
            }
            if let (Instr::LocalGet(g), Some((Instr::LocalSet(s), _))) = (&instr, out.last_mut())
                && s.local == g.local
            {
                out.last_mut().expect("just matched").0 = LocalTee { local: g.local }.into();
                if let Some(n) = reads.get_mut(&g.local) {
                    *n -= 1;
                }
                continue;
            }
            out.push((instr, loc));
        }
        func.block_mut(seq).instrs = out;
    }
    if stored {
        let read: IdSet<LocalId> = reads
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(local, _)| local)
            .collect();
        remove_stores(func, &read);
    }
}

/// Whether `instr` is an `if` with two empty arms.
fn empty_if(func: &LocalFunction, instr: &Instr) -> bool {
    match instr {
        Instr::IfElse(i) => {
            func.block(i.consequent).instrs.is_empty()
                && func.block(i.alternative).instrs.is_empty()
        }
        _ => false,
    }
}

/// Remove stores to locals nothing reads.
pub fn remove_dead_stores(func: &mut LocalFunction) {
    let mut read = IdSet::default();
    for seq in crate::ir::seqs_pre_order(func) {
        for (instr, _) in &func.block(seq).instrs {
            if let Instr::LocalGet(g) = instr {
                read.insert(g.local);
            }
        }
    }
    remove_stores(func, &read);
}

/// Remove the stores to locals not in `read`: a `local.tee` goes, a `local.set` drops its
/// value (see [`crate::ir::drop_value`]).
fn remove_stores(func: &mut LocalFunction, read: &IdSet<LocalId>) {
    let dead = |instr: &Instr| match instr {
        Instr::LocalSet(s) => !read.contains(&s.local),
        Instr::LocalTee(t) => !read.contains(&t.local),
        _ => false,
    };
    for seq in crate::ir::seqs_pre_order(func) {
        if !func.block(seq).instrs.iter().any(|(i, _)| dead(i)) {
            continue;
        }
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            match &instr {
                Instr::LocalSet(_) if dead(&instr) => crate::ir::drop_value(&mut out),
                Instr::LocalTee(_) if dead(&instr) => {}
                _ => out.push((instr, loc)),
            }
        }
        func.block_mut(seq).instrs = out;
    }
}
