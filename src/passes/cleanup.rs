//! A first cleanup of instrumented functions (`-O`): remove what the instrumentation made
//! pointless.
//!
//! ```wat
//! ;; before: a guard around nothing, and an else arm that does nothing
//! (if (i32.eqz (global.get $__asyncify_state)) (then))
//! ;; after: gone
//! ```
//!
//! Unused locals need no pass: the encoder only declares locals the body uses.

use walrus::LocalFunction;
use walrus::ir::Instr;

/// Remove empty guards: `global.get; i32.eqz; if {} else {}` with both arms empty.
pub fn run(func: &mut LocalFunction) {
    for seq in crate::ir::seqs_pre_order(func) {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            let empty_if = match &instr {
                Instr::IfElse(i) => {
                    func.block(i.consequent).instrs.is_empty()
                        && func.block(i.alternative).instrs.is_empty()
                }
                _ => false,
            };
            if empty_if && is_state_check(&out) {
                out.truncate(out.len() - 2);
                continue;
            }
            out.push((instr, loc));
        }
        func.block_mut(seq).instrs = out;
    }
}

fn is_state_check(out: &[(Instr, walrus::InstrLocId)]) -> bool {
    matches!(
        out,
        [.., (Instr::GlobalGet(_), _), (Instr::Unop(u), _)]
            if matches!(u.op, walrus::ir::UnaryOp::I32Eqz)
    )
}
