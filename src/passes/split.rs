//! Split an instrumented function in two (`-O3`): the function itself becomes a copy
//! specialized to normal execution, and a new function `$f$rewind` holds the instrumented
//! code as the other passes left it, entered only while rewinding.
//!
//! Every guard the flow pass adds tests `$resume`, which is 0 whenever the function runs
//! normally. In the normal copy each read of `$resume` becomes `i32.const 0` and the guards
//! fold away: `resume <= k` and `resume == 0` are true, so a guarded run is entered
//! unconditionally (its `if` becomes a `block`); `c | resume` is `c`; the rewind-jump pads and
//! the landing-pad resets disappear. What remains is the original code plus the spills, the
//! unwind exits after each pause call and the epilogues, which engines compile about as well
//! as the input (measured on sql.js: the guards are most of the runtime overhead).
//!
//! The two copies share locals, spills and epilogues, so they write and read the same frame:
//! an unwind from either is rewound by `$f$rewind`. The normal copy's prologue hands a rewind
//! over to it; `$f$rewind` restores the frame as before (it is never entered normally, so its
//! prologue needs no test):
//!
//! ```wat
//! ;; before (from the frame pass)
//! (func $f (param $x i32) (result i32)
//!   (if (global.get $__asyncify_state)
//!     (then ...restore $x, set $resume...))
//!   (block $unwind (result i32)
//!     (block $body (result i32)
//!       (if (i32.eqz (local.get $resume)) (then (call $work)))
//!       (if (i32.le_u (local.get $resume) (i32.const 1))
//!         (then (call $sleep) ...unwind exit... (local.set $resume ...) ...))
//!       ...)
//!     (return))
//!   ...epilogue...)
//! ;; after
//! (func $f (param $x i32) (result i32)
//!   (if (global.get $__asyncify_state)
//!     (then (return (call $f$rewind (local.get $x)))))
//!   (block $unwind (result i32)
//!     (call $work)                       ;; guards gone; blocks nothing branches to
//!     (call $sleep) ...unwind exit... ...  ;; are inlined (here `$body` too)
//!     ...
//!     (return))
//!   ...epilogue...)
//! (func $f$rewind (param $x i32) (result i32)
//!   (block ...restore $x, set $resume...)
//!   ...the body as before...)
//! ```
//!
//! A rewind passes through both copies of every function on the stack (one extra call per
//! frame, on the engine's stack, not the asyncify one). Code size grows by about one copy of
//! each instrumented function.
//!
//! `--split huge` splits only functions of more than [`HUGE`] instructions once instrumented.
//! The guards' skip edges add an SSA phi at each merge for every local the skipped code
//! writes, and in a big function with many pause points that is thousands of values more:
//! V8 (node 20) compiles a function with more than 8,192 virtual registers with its mid-tier
//! register allocator, whose code runs several times slower. SQLite's and QuickJS's
//! interpreter loops cross that line once instrumented (15,000 to 23,500 instructions), none
//! of their functions does before; the normal copy of a split function is back under it.

use crate::error::{Error, Result};
use crate::ir::{IdSet, Located, eval_binop, eval_unop, global_get, if_else};
use crate::ir::{drop_value, local_get as get, new_seq, pure_value_start};
use walrus::ir::{BinaryOp, Block, Br, Call, Const, Instr, InstrSeqId, InstrSeqType, Return};
use walrus::ir::{LocalTee, Value};
use walrus::{FunctionId, GlobalId, LocalFunction, LocalId};

/// Instructions (as [`crate::ir::instr_count`] counts them, after the flow pass) above which
/// `--split huge` splits a function. The functions measured to cross V8's limit had 14,916 and
/// more; some of 15,528 with few locals did not, and none of 11,673 or fewer did: the bound
/// errs towards splitting, which costs only bytes.
pub const HUGE: usize = 12_000;

/// The rewinding prologue the frame pass put at the start of the entry sequence.
#[derive(Clone, Copy, Debug)]
pub struct Prologue {
    restore: InstrSeqId,
    normal: InstrSeqId,
}

/// Find the prologue (`global.get $state` then `if (then restore) (else)`) and make the
/// restore unconditional, turning `func` into the rewind copy. [`normal_copy`] undoes this.
pub fn rewind_copy(func: &mut LocalFunction, state: GlobalId) -> Result<Prologue> {
    let entry = func.entry_block();
    let prologue = match &func.block(entry).instrs[..] {
        [(Instr::GlobalGet(g), _), (Instr::IfElse(i), _), ..] if g.global == state => Prologue {
            restore: i.consequent,
            normal: i.alternative,
        },
        _ => {
            return Err(Error::internal(
                "the prologue is not where the frame pass put it",
            ));
        }
    };
    let block = (
        Block {
            seq: prologue.restore,
        }
        .into(),
        Default::default(),
    );
    func.block_mut(entry).instrs.splice(0..2, [block]);
    Ok(prologue)
}

/// Turn `func`, as [`rewind_copy`] left it, into the copy for normal execution: its
/// prologue calls `rewind` instead of restoring, and every test of `resume` is folded.
pub fn normal_copy(
    func: &mut LocalFunction,
    prologue: Prologue,
    state: GlobalId,
    resume: LocalId,
    rewind: FunctionId,
) {
    let mut hand_over: Vec<Located> = func.args.iter().map(|&a| get(a)).collect();
    hand_over.push((Call { func: rewind }.into(), Default::default()));
    hand_over.push((Return {}.into(), Default::default()));
    let hand_over = new_seq(func, hand_over);
    let entry = func.entry_block();
    func.block_mut(entry).instrs.splice(
        0..1,
        [global_get(state), if_else(hand_over, prologue.normal)],
    );

    specialize(func, resume);
}

/// Fold every test of `resume` in `func` as if it were always 0, and what becomes constant
/// with it.
fn specialize(func: &mut LocalFunction, resume: LocalId) {
    // Children before parents: an `if` folded to one arm sees that arm already folded.
    let order = crate::ir::seqs_pre_order(func);
    let targets = branch_targets(func, &order);
    for &seq in order.iter().rev() {
        fold(func, seq, resume, targets.as_ref());
    }
    // The folding leaves `$resume`'s copies, such as `rewind_to`, unread.
    crate::passes::cleanup::remove_dead_stores(func);
}

/// Every sequence a branch in `seqs` targets, or `None` if the function has legacy
/// `rethrow`/`delegate` (whose raw depths would change if a block disappeared).
fn branch_targets(func: &mut LocalFunction, seqs: &[InstrSeqId]) -> Option<IdSet<InstrSeqId>> {
    let mut targets = IdSet::default();
    for &seq in seqs {
        for (instr, _) in func.block_mut(seq).instrs.iter_mut() {
            if crate::ir::uses_raw_depths(instr) {
                return None;
            }
            crate::ir::for_each_target(instr, &mut |t| {
                targets.insert(*t);
            });
        }
    }
    Some(targets)
}

/// Fold the sequence `seq`: reads of `resume` are 0, operators and control flow on constants
/// are evaluated, pure values that are dropped disappear, nothing follows an instruction that
/// ends reachability, and blocks no branch targets (`targets`, if known) are inlined (their
/// own sequences already folded).
fn fold(
    func: &mut LocalFunction,
    seq: InstrSeqId,
    resume: LocalId,
    targets: Option<&IdSet<InstrSeqId>>,
) {
    let input = std::mem::take(&mut func.block_mut(seq).instrs);
    let mut out: Vec<Located> = Vec::with_capacity(input.len());
    // The inlined block's instructions are already folded: they are appended as they are,
    // so every instruction is folded once however deep the blocks nest.
    let block = |func: &mut LocalFunction, out: &mut Vec<Located>, seq, loc| {
        if targets.is_some_and(|t| !t.contains(&seq)) {
            let at = out.len();
            out.append(&mut func.block_mut(seq).instrs);
            // Where a spill ends one inlined block and its reload starts the next.
            merge_reload(out, at);
        } else {
            out.push((Block { seq }.into(), loc));
        }
    };
    for (instr, loc) in input {
        match &instr {
            Instr::Block(b) if !is_empty_block(func, b.seq) => block(func, &mut out, b.seq, loc),
            Instr::LocalGet(g) if g.local == resume => out.push(i32(0)),
            Instr::LocalGet(_) => {
                let at = out.len();
                out.push((instr, loc));
                merge_reload(&mut out, at);
            }
            Instr::LocalSet(s) if s.local == resume => drop_value(&mut out),
            Instr::LocalTee(t) if t.local == resume => {}
            Instr::Drop(_) => drop_value(&mut out),
            Instr::Unop(u) => match (tail_const(&out, 0), eval_unop(u.op)) {
                (Some(a), Some(f)) => {
                    out.pop();
                    out.push(i32(f(a)));
                }
                _ => out.push((instr, loc)),
            },
            Instr::Binop(b) => match (tail_const(&out, 1), tail_const(&out, 0)) {
                (Some(a), Some(c)) if let Some(v) = eval_binop(b.op, a, c) => {
                    out.truncate(out.len() - 2);
                    out.push(i32(v));
                }
                // `x | 0`, `x ^ 0`, `x + 0`, `x - 0` are `x`.
                (_, Some(0))
                    if matches!(
                        b.op,
                        BinaryOp::I32Or | BinaryOp::I32Xor | BinaryOp::I32Add | BinaryOp::I32Sub
                    ) =>
                {
                    out.pop();
                }
                _ => out.push((instr, loc)),
            },
            Instr::IfElse(i) => match tail_const(&out, 0) {
                Some(c) => {
                    out.pop();
                    let arm = if c != 0 { i.consequent } else { i.alternative };
                    if !is_empty_block(func, arm) {
                        block(func, &mut out, arm, loc);
                    }
                }
                None => out.push((instr, loc)),
            },
            Instr::BrIf(b) => match tail_const(&out, 0) {
                Some(0) => {
                    out.pop();
                }
                Some(_) => {
                    out.pop();
                    out.push((Br { block: b.block }.into(), loc));
                }
                None => out.push((instr, loc)),
            },
            Instr::BrTable(t) => match tail_const(&out, 0) {
                Some(c) => {
                    let block = t.blocks.get(c as u32 as usize).copied();
                    out.pop();
                    out.push((
                        Br {
                            block: block.unwrap_or(t.default),
                        }
                        .into(),
                        loc,
                    ));
                }
                None => out.push((instr, loc)),
            },
            Instr::Select(_) => match tail_const(&out, 0) {
                // `select(a, b, c)` is `a` when `c` is non-zero: drop `b`.
                Some(c) if c != 0 => {
                    out.pop();
                    drop_value(&mut out);
                }
                // ... and `b` when it is zero: remove `a` if it is pure.
                Some(_) => {
                    let b = pure_value_start(&out[..out.len() - 1]);
                    let a = b.and_then(|b| pure_value_start(&out[..b]).map(|a| (a, b)));
                    match a {
                        Some((a, b)) => {
                            out.pop();
                            out.drain(a..b);
                        }
                        None => out.push((instr, loc)),
                    }
                }
                None => out.push((instr, loc)),
            },
            Instr::Block(_) => {} // empty
            _ => out.push((instr, loc)),
        }
        if out
            .last()
            .is_some_and(|(i, _)| crate::ir::ends_reachability(i))
        {
            break;
        }
    }
    func.block_mut(seq).instrs = out;
}

/// `local.set $x` at `at - 1` followed by `local.get $x` at `at` is `local.tee $x` (spills
/// next to their reloads once the guard between them is gone).
fn merge_reload(out: &mut Vec<Located>, at: usize) {
    if let Some([(Instr::LocalSet(s), _), (Instr::LocalGet(g), _)]) =
        at.checked_sub(1).and_then(|i| out.get(i..=at))
        && s.local == g.local
    {
        let local = s.local;
        out.remove(at);
        out[at - 1].0 = LocalTee { local }.into();
    }
}

fn i32(value: i32) -> Located {
    crate::ir::i32_const(value)
}

/// Whether `seq` holds nothing and has type `[] -> []`.
fn is_empty_block(func: &LocalFunction, seq: InstrSeqId) -> bool {
    let block = func.block(seq);
    block.instrs.is_empty() && matches!(block.ty, InstrSeqType::Simple(None))
}

/// The `i32` constant `depth` values below the top, if the instructions pushing the top
/// values are constants.
fn tail_const(out: &[Located], depth: usize) -> Option<i32> {
    let (instr, _) = out.len().checked_sub(depth + 1).map(|i| &out[i])?;
    match instr {
        Instr::Const(Const {
            value: Value::I32(v),
        }) => Some(*v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of `$f` (first parameter: `$resume`, then `$x`: local 1) from `wat` after
    /// [`specialize`], as wasmprinter prints it (one instruction per line, no indentation or
    /// label comments).
    fn specialized(wat: &str) -> Vec<String> {
        let wasm = wat::parse_str(wat).unwrap();
        let mut module = walrus::Module::from_buffer(&wasm).unwrap();
        let id = module.funcs.by_name("f").unwrap();
        let func = module.funcs.get_mut(id).kind.unwrap_local_mut();
        let resume = func.args[0];
        specialize(func, resume);
        let text = wasmprinter::print_bytes(module.emit_wasm()).unwrap();
        let body = text.split("(func $f").nth(1).unwrap();
        body.lines()
            .skip(1)
            .map(str::trim)
            .take_while(|l| *l != ")")
            .filter(|l| !l.starts_with("(local"))
            .map(|l| {
                let l = l.split(" ;;").next().unwrap_or(l);
                l.split(" (;").next().unwrap_or(l).to_string()
            })
            .collect()
    }

    #[test]
    fn guards_fold_to_the_code_they_guard() {
        let out = specialized(
            r#"(module (func $g) (func $f (param $resume i32) (param $x i32) (result i32)
                (if (i32.eqz (local.get $resume)) (then (call $g)))
                (if (i32.le_u (local.get $resume) (i32.const 2)) (then (call $g)) (else (unreachable)))
                (i32.or (local.get $x) (local.get $resume))))"#,
        );
        assert_eq!(out, ["call $g", "call $g", "local.get 1"]);
    }

    #[test]
    fn blocks_that_are_branch_targets_stay() {
        let out = specialized(
            r#"(module (func $f (param $resume i32) (param $x i32) (result i32)
                (block $b
                  (if (i32.eqz (local.get $resume))
                    (then (br_if $b (local.get $x)) (drop (i32.const 1)))))
                (local.get $x)))"#,
        );
        assert_eq!(
            out,
            ["block", "local.get 1", "br_if 0", "end", "local.get 1"]
        );
    }

    #[test]
    fn constant_branches_and_selects_fold() {
        // `select` on 0 takes the second operand; on non-zero the first. A `br_if` on 0 falls
        // through; on non-zero it is a `br`, and nothing after it is kept.
        let out = specialized(
            r#"(module (global $g (mut i32) (i32.const 0))
              (func $f (param $resume i32) (param $x i32) (result i32)
                (block $out (result i32)
                  (global.set $g (select (local.get $x) (i32.const 5) (local.get $resume)))
                  (global.set $g (select (local.get $x) (i32.const 5) (i32.eqz (local.get $resume))))
                  (drop (br_if $out (i32.const 7) (local.get $resume)))
                  (drop (br_if $out (i32.const 8) (i32.eqz (local.get $resume))))
                  (global.set $g (i32.const 9))
                  (i32.const 10))))"#,
        );
        assert_eq!(
            out,
            [
                "block (result i32)",
                "i32.const 5",
                "global.set $g",
                "local.get 1",
                "global.set $g",
                "i32.const 8",
                "br 0",
                "end"
            ]
        );
    }

    #[test]
    fn stores_nothing_reads_disappear() {
        // `$copy` is only read in a guard that folds away; a store of a pure value goes with
        // its value, one with effects keeps them (`drop`). A reload right after a store is a
        // `local.tee`.
        let out = specialized(
            r#"(module (func $h (result i32) (i32.const 3))
              (func $f (param $resume i32) (param $x i32) (result i32) (local $copy i32)
                (local.set $copy (local.get $resume))
                (if (i32.eqz (local.get $resume)) (then) (else (local.set $x (local.get $copy))))
                (local.set $copy (call $h))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (local.get $x)))"#,
        );
        assert_eq!(
            out,
            [
                "call $h",
                "drop",
                "local.get 1",
                "i32.const 1",
                "i32.add",
                "local.tee 1"
            ]
        );
    }

    #[test]
    fn legacy_depths_keep_blocks() {
        // With a `delegate` (a raw depth) blocks are folded but never inlined.
        let out = specialized(
            r#"(module (tag $e) (func $g) (func $f (param $resume i32) (param $x i32) (result i32)
                try $t
                  (if (i32.eqz (local.get $resume)) (then
                    try
                      call $g
                    delegate $t))
                end
                (local.get $x)))"#,
        );
        assert_eq!(
            out,
            [
                "try",
                "block",
                "try",
                "call $g",
                "delegate 1",
                "end",
                "end",
                "local.get 1"
            ]
        );
    }
}
