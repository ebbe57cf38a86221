//! `--asserts`: make a function that was not instrumented trap if the asyncify state changes
//! across a call it makes. That is exactly the case where a pause (or the end of a rewind)
//! passes through a frame that cannot be saved or restored, which would otherwise corrupt
//! the program silently (a missing entry in `--only-list`, a wrong `--remove-list`, an
//! indirect call ignored with `--ignore-indirect`).
//!
//! Runtime code (functions calling the in-module `asyncify.*` API) changes the state on
//! purpose and is left alone; Binaryen instruments it too and traps in every in-module
//! runtime.
//!
//! ```wat
//! ;; before: $g is not instrumented
//! (func $g (call $h))
//! ;; after
//! (func $g (local $old_state i32)
//!   (local.set $old_state (global.get $__asyncify_state))
//!   (call $h)
//!   (if (i32.ne (global.get $__asyncify_state) (local.get $old_state))
//!     (then unreachable)))
//! ```
//!
//! Tail calls leave the frame before the callee runs, so there is nothing to check after them.
//!
//! Instrumented functions get the other half ([`run_instrumented`], before the flow pass):
//! after every call that is *not* a pause point (a callee that cannot pause, an indirect call
//! with `--ignore-indirect`), the state must still be normal. If an unwind started in there,
//! the function would carry on as if the call had returned, because it only checks for an
//! unwind after pause points: the pause could not be resumed.
//!
//! ```wat
//! ;; in an instrumented function; $log cannot pause
//! (call $log (local.get $x))
//! (if (global.get $__asyncify_state) (then unreachable))
//! ```

use crate::ir::{binop, global_get, if_else, local_get, local_set, new_seq};
use walrus::ir::{BinaryOp, Instr, InstrLocId, Unreachable};
use walrus::{FunctionId, GlobalId, LocalFunction, ModuleLocals, ValType};

/// Add the checks to one function that is not instrumented.
pub fn run(func: &mut LocalFunction, locals: &mut ModuleLocals, state: GlobalId) {
    let old = locals.add(ValType::I32);
    locals.get_mut(old).name = Some("old_state".to_string());
    for seq in crate::ir::seqs_pre_order(func) {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            let is_call = matches!(
                instr,
                Instr::Call(_) | Instr::CallIndirect(_) | Instr::CallRef(_)
            );
            out.push((instr, loc));
            if is_call {
                let trap = new_seq(func, vec![(Unreachable {}.into(), InstrLocId::default())]);
                let fine = new_seq(func, Vec::new());
                out.extend([
                    global_get(state),
                    local_get(old),
                    binop(BinaryOp::I32Ne),
                    if_else(trap, fine),
                ]);
            }
        }
        func.block_mut(seq).instrs = out;
    }
    let entry = func.entry_block();
    func.block_mut(entry)
        .instrs
        .splice(0..0, [global_get(state), local_set(old)]);
}

/// Add the checks to a function that will be instrumented: trap if the state is not normal
/// after a call that is not a pause point. `call_pauses` says whether a direct call to a
/// function is a pause point, `indirect_pauses` whether an indirect call through a table
/// (`None`: `call_ref`) with a type is.
pub fn run_instrumented(
    func: &mut LocalFunction,
    state: GlobalId,
    call_pauses: &dyn Fn(FunctionId) -> bool,
    indirect_pauses: &dyn Fn(Option<walrus::TableId>, walrus::TypeId) -> bool,
) {
    for seq in crate::ir::seqs_pre_order(func) {
        let checked = |instr: &Instr| match instr {
            Instr::Call(c) => !call_pauses(c.func),
            Instr::CallIndirect(c) => !indirect_pauses(Some(c.table), c.ty),
            Instr::CallRef(c) => !indirect_pauses(None, c.ty),
            _ => false,
        };
        if !func.block(seq).instrs.iter().any(|(i, _)| checked(i)) {
            continue;
        }
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len() + 4);
        for (instr, loc) in instrs {
            let check = checked(&instr);
            out.push((instr, loc));
            if check {
                let trap = new_seq(func, vec![(Unreachable {}.into(), InstrLocId::default())]);
                let fine = new_seq(func, Vec::new());
                out.extend([global_get(state), if_else(trap, fine)]);
            }
        }
        func.block_mut(seq).instrs = out;
    }
}
