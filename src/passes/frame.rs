//! Save and restore an instrumented function's frame: the prologue that restores locals and
//! pops the call index when rewinding, and the epilogue that pushes them when unwinding.
//!
//! The frame layout is Binaryen's: `[i32 call index][saved locals]`, each local packed at its
//! natural size and accessed with 4-byte alignment. The locals come in a fixed order
//! (parameters first, then the others in creation order).
//!
//! References (which Binaryen refuses) take 4 bytes: the index of a slot in a table of
//! their type that holds the reference from the unwind to the rewind, or -1 for null. The
//! slots are taken and released by helper functions; see [`crate::passes::ref_stack`] for
//! the design (several coroutines paused at once, rewound in any order). A non-nullable
//! reference is restored with `ref.as_non_null`.
//!
//! An epilogue may store only some of the saved locals: pause points are grouped by what is
//! live at them ([`crate::analysis::save_groups`]) and each group gets an epilogue of its
//! own; the prologue always restores every slot (a slot its group did not store goes into a
//! local that is dead there). References are stored by every group, since the prologue takes
//! their side-stack slots back.
//!
//! ```wat
//! ;; before (from the flow pass; $x is live at the pause)
//! (func $f (param $x i32) (result i32)
//!   (block $unwind (result i32) ...)
//!   (local.set $unwind_index)
//!   (i32.const 0))
//! ;; after
//! (func $f (param $x i32) (result i32)
//!   (if (global.get $__asyncify_state)               ;; rewinding
//!     (then
//!       ;; pop the 8-byte frame: call index, then $x
//!       (local.set $resume (i32.add (i32.load (local.tee $frame
//!         (call $asyncify_pop_frame (i32.const 8)))) (i32.const 1)))
//!       (local.set $x (i32.load offset=4 (local.get $frame)))))
//!   (block $unwind (result i32) ...)
//!   (local.set $unwind_index)
//!   ;; push the frame (the helper traps before writing past the end of the buffer)
//!   (i32.store (local.tee $frame (call $asyncify_push_frame (i32.const 8)))
//!     (local.get $unwind_index))
//!   (i32.store offset=4 (local.get $frame) (local.get $x))
//!   (i32.const 0))
//! ```

use crate::abi::{self, PointerWidth};
use crate::analysis::save_groups::SaveGroups;
use crate::error::{Error, Result};
use crate::ir::{
    binop, i32_const, if_else, local_get as get, local_set as set, new_seq, new_seq_typed,
};
use crate::passes::flow::FlowResult;
use crate::passes::ref_stack::{self, RefStacks, Saved};
use walrus::ir::{
    BinaryOp, Block, Br, Const, Instr, InstrLocId, Load, LoadKind, LocalTee, MemArg, RefAsNonNull,
    RefNull, Store, StoreKind, Value,
};
use walrus::{GlobalId, LocalFunction, LocalId, MemoryId, ModuleLocals, RefType, ValType};

/// Where the asyncify stack lives.
#[derive(Clone, Copy, Debug)]
pub struct StackPlace {
    /// `__asyncify_state`.
    pub state: GlobalId,
    /// `__asyncify_data`.
    pub data: GlobalId,
    /// The memory holding the data structure and the stack.
    pub memory: MemoryId,
    /// Pointer width of that memory.
    pub width: PointerWidth,
    /// `asyncify_push_frame(size) -> ptr`: reserve a frame while unwinding (traps before
    /// writing past the end of the buffer).
    pub push_frame: walrus::FunctionId,
    /// `asyncify_pop_frame(size) -> ptr`: release the top frame while rewinding.
    pub pop_frame: walrus::FunctionId,
}

/// Add the prologue and epilogue to an instrumented function. `saved` are the locals to keep
/// across a pause, in frame order; `groups` says which of them each pause point's epilogue
/// stores (one shared epilogue, or one per group: [`split_epilogue`]); `refs` has a side
/// stack for every reference type among them ([`ref_types`]). Returns the frame size in bytes
/// (call index included).
pub fn run(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    flow: &FlowResult,
    saved: &[LocalId],
    groups: &SaveGroups,
    place: StackPlace,
    refs: &RefStacks,
) -> Result<u32> {
    let frame = flow.frame;

    // Where each saved local goes after the call index.
    let mut layout = Vec::with_capacity(saved.len());
    let mut size = abi::CALL_INDEX_BYTES;
    for &local in saved {
        let ty = locals.get(local).ty();
        let how = match ref_stack::saved(ty) {
            Saved::Bytes(bytes) => Slot::Value(bytes),
            Saved::Null => Slot::Null,
            Saved::Slot(r) => match refs.get(r) {
                Some(stack) => Slot::Ref(stack.save, stack.load),
                None => {
                    return Err(Error::internal(format!(
                        "no reference side stack for a saved local of type {ty}"
                    )));
                }
            },
        };
        layout.push((local, ty, size, how));
        if let Slot::Value(bytes) = how {
            size += bytes;
        } else if let Slot::Ref(..) = how {
            size += abi::REF_SLOT_BYTES;
        }
    }

    let e = Emitter { place };
    let call = |func| (walrus::ir::Call { func }.into(), InstrLocId::default());
    // Epilogue: the call index is in `unwind_index`. Push the frame, store the index and the
    // locals of the pause point's group.
    let epilogue = |positions: &[usize]| {
        let mut out = vec![
            e.ptr_const(i64::from(size)),
            call(place.push_frame),
            (LocalTee { local: frame }.into(), InstrLocId::default()),
            get(flow.unwind_index),
            e.store(ValType::I32, 0),
        ];
        for &p in positions {
            let (local, ty, offset, how) = layout[p];
            match how {
                Slot::Value(_) => {
                    out.push(get(frame));
                    out.push(get(local));
                    out.push(e.store(ty, offset));
                }
                Slot::Ref(save, _) => {
                    out.push(get(frame));
                    out.push(get(local));
                    out.push(call(save));
                    out.push(e.store(ValType::I32, offset));
                }
                Slot::Null => {}
            }
        }
        out
    };
    let mut epilogues: Vec<_> = groups.groups.iter().map(|g| epilogue(g)).collect();
    let entry = func.entry_block();
    if epilogues.len() == 1 {
        let only = epilogues.swap_remove(0);
        let instrs = &mut func.block_mut(entry).instrs;
        instrs.splice(flow.epilogue_at..flow.epilogue_at, only);
    } else {
        split_epilogue(func, flow, groups, epilogues)?;
    }

    // Prologue, run only when rewinding. (A function is only ever entered in normal mode or
    // while rewinding, so any non-zero state means rewinding.)
    let mut restore = vec![
        e.ptr_const(i64::from(size)),
        call(place.pop_frame),
        (LocalTee { local: frame }.into(), InstrLocId::default()),
        e.load(ValType::I32, 0),
        i32_const(1),
        binop(BinaryOp::I32Add),
        set(flow.resume),
    ];
    for &(local, ty, offset, how) in &layout {
        let non_null = matches!(ty, ValType::Ref(r) if !r.nullable);
        match how {
            Slot::Value(_) => {
                restore.push(get(frame));
                restore.push(e.load(ty, offset));
            }
            Slot::Ref(_, load) => {
                restore.push(get(frame));
                restore.push(e.load(ValType::I32, offset));
                restore.push(call(load));
                if non_null {
                    restore.push((RefAsNonNull {}.into(), InstrLocId::default()));
                }
            }
            // An uninhabited type (a non-nullable bottom type) is never live.
            Slot::Null if non_null => continue,
            Slot::Null => {
                let ValType::Ref(r) = ty else { unreachable!() };
                restore.push((RefNull { ty: r }.into(), InstrLocId::default()));
            }
        }
        restore.push(set(local));
    }
    let then = new_seq(func, restore);
    let otherwise = new_seq(func, Vec::new());
    let prologue = vec![crate::ir::global_get(place.state), if_else(then, otherwise)];

    func.block_mut(entry).instrs.splice(0..0, prologue);
    Ok(size)
}

/// Give each group of pause points an epilogue of its own, which its pause points branch to
/// directly: the unwind block `$u0` holding the body becomes the innermost of
///
/// ```wat
/// (block $done
///   (block $u1 (result i32)
///     (block $u0 (result i32) (block $body ...) (return))   ;; group 0 branches to $u0
///     (local.set $unwind_index) ...epilogue of group 0...
///     (br $done))                                          ;; group 1 branches to $u1
///   (local.set $unwind_index) ...epilogue of group 1...)
/// ```
///
/// (A `br_table` on the call index after one shared block would be smaller, but to an engine
/// building SSA form every local read after it would still come from every pause point.)
fn split_epilogue(
    func: &mut LocalFunction,
    flow: &FlowResult,
    groups: &SaveGroups,
    epilogues: Vec<Vec<(Instr, InstrLocId)>>,
) -> Result<()> {
    let count = epilogues.len();
    let done = func.builder_mut().dangling_instr_seq(None).id();
    let mut labels = vec![flow.unwind_block];
    for (g, tail) in epilogues.into_iter().enumerate() {
        let mut body = vec![
            (Block { seq: labels[g] }.into(), InstrLocId::default()),
            set(flow.unwind_index),
        ];
        body.extend(tail);
        if g + 1 == count {
            func.block_mut(done).instrs = body;
        } else {
            body.push((Br { block: done }.into(), InstrLocId::default()));
            labels.push(new_seq_typed(func, ValType::I32, body));
        }
    }
    // The flow pass left `(block $u0) (local.set $unwind_index)` right before `epilogue_at`.
    let entry = func.entry_block();
    let at = flow.epilogue_at - 2;
    let expected = &func.block(entry).instrs[at..flow.epilogue_at];
    if !matches!(expected, [(Instr::Block(b), _), (Instr::LocalSet(l), _)]
        if b.seq == flow.unwind_block && l.local == flow.unwind_index)
    {
        return Err(Error::internal(
            "the unwind block is not where the flow pass left it",
        ));
    }
    func.block_mut(entry).instrs.splice(
        at..flow.epilogue_at,
        [(Block { seq: done }.into(), InstrLocId::default())],
    );
    // Each pause point's sequence holds its own `br_if $u0`.
    for site in &flow.pause_sites {
        let label = labels[groups.site_group[site.index as usize] as usize];
        let exit = func
            .block_mut(site.guard)
            .instrs
            .iter_mut()
            .find_map(|(instr, _)| match instr {
                Instr::BrIf(b) if b.block == flow.unwind_block => Some(b),
                _ => None,
            })
            .ok_or_else(|| Error::internal("a pause point without its unwind exit"))?;
        exit.block = label;
    }
    Ok(())
}

/// The reference types (nullable) among `saved` that need a side stack.
pub fn ref_types(locals: &ModuleLocals, saved: &[LocalId]) -> Vec<RefType> {
    let mut types = Vec::new();
    for &local in saved {
        if let Saved::Slot(r) = ref_stack::saved(locals.get(local).ty())
            && !types.contains(&r)
        {
            types.push(r);
        }
    }
    types
}

/// How one saved local is kept.
#[derive(Clone, Copy)]
enum Slot {
    /// In the frame, this many bytes.
    Value(u32),
    /// A slot index in the frame; the side stack's save and load helpers.
    Ref(walrus::FunctionId, walrus::FunctionId),
    /// Nothing kept: always null.
    Null,
}

struct Emitter {
    place: StackPlace,
}

impl Emitter {
    fn arg(&self, offset: u32) -> MemArg {
        MemArg {
            align: abi::STACK_ALIGN,
            offset: u64::from(offset),
        }
    }

    fn ptr_const(&self, value: i64) -> (Instr, InstrLocId) {
        let value = match self.place.width {
            PointerWidth::W32 => Value::I32(value as i32),
            PointerWidth::W64 => Value::I64(value),
        };
        (Const { value }.into(), InstrLocId::default())
    }

    fn load(&self, ty: ValType, offset: u32) -> (Instr, InstrLocId) {
        let kind = match ty {
            ValType::I32 => LoadKind::I32 { atomic: false },
            ValType::I64 => LoadKind::I64 { atomic: false },
            ValType::F32 => LoadKind::F32,
            ValType::F64 => LoadKind::F64,
            ValType::V128 => LoadKind::V128,
            ValType::Ref(_) => unreachable!("references are stored as slot indices"),
        };
        (
            Load {
                memory: self.place.memory,
                kind,
                arg: self.arg(offset),
            }
            .into(),
            InstrLocId::default(),
        )
    }

    fn store(&self, ty: ValType, offset: u32) -> (Instr, InstrLocId) {
        let kind = match ty {
            ValType::I32 => StoreKind::I32 { atomic: false },
            ValType::I64 => StoreKind::I64 { atomic: false },
            ValType::F32 => StoreKind::F32,
            ValType::F64 => StoreKind::F64,
            ValType::V128 => StoreKind::V128,
            ValType::Ref(_) => unreachable!("references are stored as slot indices"),
        };
        (
            Store {
                memory: self.place.memory,
                kind,
                arg: self.arg(offset),
            }
            .into(),
            InstrLocId::default(),
        )
    }
}
