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
    for seq in crate::ir::seqs_pre_order(func) {
        let empty_if = |instr: &Instr| match instr {
            Instr::IfElse(i) => {
                func.block(i.consequent).instrs.is_empty()
                    && func.block(i.alternative).instrs.is_empty()
            }
            _ => false,
        };
        if !func.block(seq).instrs.iter().any(|(i, _)| empty_if(i)) {
            continue;
        }
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out: Vec<(Instr, walrus::InstrLocId)> = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            let empty = match &instr {
                Instr::IfElse(i) => {
                    func.block(i.consequent).instrs.is_empty()
                        && func.block(i.alternative).instrs.is_empty()
                }
                _ => false,
            };
            if empty && let Some(len) = crate::ir::pure_value_start(&out) {
                out.truncate(len);
                continue;
            }
            out.push((instr, loc));
        }
        func.block_mut(seq).instrs = out;
    }
}
