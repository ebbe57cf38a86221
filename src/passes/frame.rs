//! Save and restore an instrumented function's frame: the prologue that restores locals and
//! pops the call index when rewinding, and the epilogue that pushes them when unwinding.
//!
//! The frame layout is Binaryen's: `[i32 call index][saved locals]`, each local packed at its
//! natural size and accessed with 4-byte alignment. The locals come in a fixed order
//! (parameters first, then the others in creation order).
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
use walrus::ir::{
    BinaryOp, Const, Instr, InstrLocId, Load, LoadKind, LocalTee, MemArg, Store, StoreKind, Value,
};
use walrus::{GlobalId, LocalFunction, LocalId, MemoryId, ModuleLocals, ValType};

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
/// across a pause, in frame order. Returns the frame size in bytes (call index included).
pub fn run(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    flow: &FlowResult,
    saved: &[LocalId],
    place: StackPlace,
) -> Result<u32> {
    let frame = flow.frame;

    // Offsets of the saved locals after the call index.
    let mut layout = Vec::with_capacity(saved.len());
    let mut size = abi::CALL_INDEX_BYTES;
    for &local in saved {
        let ty = locals.get(local).ty();
        let bytes = abi::saved_size(ty).ok_or_else(|| {
            let name = locals
                .get(local)
                .name
                .clone()
                .unwrap_or_else(|| "a local".into());
            Error::unsupported(format!(
                "a reference-typed local (`{name}`) is live across a pause; references cannot \
                 be saved in linear memory yet"
            ))
        })?;
        layout.push((local, ty, size));
        size += bytes;
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
    for &(local, ty, offset) in &layout {
        epilogue.push(get(frame));
        epilogue.push(get(local));
        epilogue.push(e.store(ty, offset));
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
    for &(local, ty, offset) in &layout {
        restore.push(get(frame));
        restore.push(e.load(ty, offset));
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
            ValType::Ref(_) => unreachable!("references are refused before layout"),
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
            ValType::Ref(_) => unreachable!("references are refused before layout"),
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
