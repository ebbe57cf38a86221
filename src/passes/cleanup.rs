//! A first cleanup of instrumented functions (`-O`): remove what the instrumentation made
//! pointless.
//!
//! ```wat
//! ;; before: a guard around nothing (its run moved elsewhere or was empty)
//! (if (i32.eqz (local.get $resume)) (then))
//! ;; after: gone
//! ```
//!
//! An `if` whose arms are both empty only evaluates its condition; when that condition is
//! made of reads and operators that cannot trap ([`crate::ir::pure_value_start`]), the whole
//! thing goes. Unused locals need no pass: the encoder only declares locals the body uses.

use walrus::LocalFunction;
use walrus::ir::Instr;

/// Remove `if`s with two empty arms whose condition has no effect.
pub fn run(func: &mut LocalFunction) {
    // One scan per sequence both finds the sequences nested in it and tells whether it has an
    // empty `if` (the function's IR is read once; this pass runs on every instrumented one).
    // A sequence is cleaned before those nested in it, as in [`crate::ir::seqs_pre_order`].
    let mut stack = vec![func.entry_block()];
    while let Some(seq) = stack.pop() {
        let before = stack.len();
        let mut any_empty = false;
        for (instr, _) in func.block(seq).instrs.iter() {
            if crate::ir::has_child_seqs(instr) {
                any_empty |= empty_if(func, instr);
                stack.extend(crate::ir::child_seqs(instr));
            }
        }
        stack[before..].reverse();
        if !any_empty {
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
            out.push((instr, loc));
        }
        func.block_mut(seq).instrs = out;
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
