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
use crate::error::{Error, Result};
use crate::ir::{binop, i32_const, if_else, local_get as get, local_set as set, new_seq};
use crate::passes::flow::FlowResult;
use crate::passes::ref_stack::{self, RefStacks, Saved};
use walrus::ir::{
    BinaryOp, Const, Instr, InstrLocId, Load, LoadKind, LocalTee, MemArg, RefAsNonNull, RefNull,
    Store, StoreKind, Value,
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
/// across a pause, in frame order; `refs` has a side stack for every reference type among
/// them ([`ref_types`]). Returns the frame size in bytes (call index included).
pub fn run(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    flow: &FlowResult,
    saved: &[LocalId],
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
    // Epilogue: the call index is in `unwind_index`.
    let mut epilogue = vec![
        e.ptr_const(i64::from(size)),
        call(place.push_frame),
        (LocalTee { local: frame }.into(), InstrLocId::default()),
        get(flow.unwind_index),
        e.store(ValType::I32, 0),
    ];
    for &(local, ty, offset, how) in &layout {
        match how {
            Slot::Value(_) => {
                epilogue.push(get(frame));
                epilogue.push(get(local));
                epilogue.push(e.store(ty, offset));
            }
            Slot::Ref(save, _) => {
                epilogue.push(get(frame));
                epilogue.push(get(local));
                epilogue.push(call(save));
                epilogue.push(e.store(ValType::I32, offset));
            }
            Slot::Null => {}
        }
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

    let entry = func.entry_block();
    let instrs = &mut func.block_mut(entry).instrs;
    instrs.splice(flow.epilogue_at..flow.epilogue_at, epilogue);
    instrs.splice(0..0, prologue);
    Ok(size)
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
