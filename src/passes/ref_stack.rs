//! The reference side stack: how locals of reference type (`externref`, `funcref`, typed
//! function references, GC references, `exnref`) survive a pause.
//!
//! References cannot be written to linear memory, so a saved reference goes into a *slot* of a
//! table asyncify adds, one table per reference type (`(ref null T)` for locals of type
//! `(ref T)` or `(ref null T)`), and the linear-memory frame keeps the slot's index as an
//! `i32` where a number would be (`-1` for null, which needs no slot).
//!
//! Why slots and not a second stack: several coroutines can be paused at once, each with its
//! own asyncify buffer, and the host may rewind them in any order. A single last-in-first-out
//! stack of references would hand one coroutine's references to another. A slot belongs to
//! exactly one saved frame from the unwind that filled it until the rewind that restores it,
//! whatever happens in between.
//!
//! - Unwinding, `asyncify_save_<T>(ref) -> i32` takes the lowest free slot at or above the
//!   table's `free` hint (all slots below the hint are in use), growing the table (doubling,
//!   at least 16) when none is free, stores the reference and returns the slot.
//! - Rewinding, `asyncify_load_<T>(i32) -> ref` reads the slot, sets it back to null (which
//!   is what "free" means: a slot in use never holds null) and lowers the hint to it.
//!
//! So allocation is amortized O(1) while unwinding a stack, the tables never hold a reference
//! longer than the pause that saved it (nothing is kept alive after a rewind), and a slot is
//! reused by the next unwind. A buffer that is never rewound keeps its references alive in
//! the table; a buffer must not be rewound twice (its slots were released the first time).
//!
//! Locals of a bottom type (`nullref`, `nullfuncref`, `nullexternref`, `nullexnref`) can only
//! hold null: they take no frame bytes and are restored as null.
//!
//! ```wat
//! ;; unwinding: $r (externref) is saved at offset 8 of the frame
//! (i32.store offset=8 (local.get $frame) (call $asyncify_save_externref (local.get $r)))
//! ;; rewinding
//! (local.set $r (call $asyncify_load_externref (i32.load offset=8 (local.get $frame))))
//! ```
//!
//! [`relax_locals`] prepares instrumented functions for all this: a non-nullable local is
//! only valid to read after a `local.set` in an enclosing block, which the guards and the
//! frame code break, so such locals are declared nullable and read with `ref.as_non_null`.

use crate::ir::IdMap;
use walrus::ir::{
    BinaryOp, Instr, InstrLocId, LocalGet, LocalSet, LocalTee, RefAsNonNull, RefIsNull, RefNull,
    TableGet, TableGrow, TableSet, TableSize,
};
use walrus::{
    AbstractHeapType, ConstExpr, FunctionBuilder, FunctionId, GlobalId, HeapType, LocalFunction,
    LocalId, Module, ModuleLocals, RefType, TableId, ValType,
};

/// The table and helpers for one reference type.
#[derive(Clone, Debug)]
pub struct RefStack {
    /// The (nullable) element type.
    pub ty: RefType,
    /// The slots.
    pub table: TableId,
    /// Every slot below this index is in use.
    pub free: GlobalId,
    /// `asyncify_save_<T>(ref null T) -> i32`.
    pub save: FunctionId,
    /// `asyncify_load_<T>(i32) -> ref null T`.
    pub load: FunctionId,
}

/// Items [`RefStacks::ensure`] added to the module, in the order they must be appended.
#[derive(Clone, Debug, Default)]
pub struct Added {
    pub funcs: Vec<FunctionId>,
    pub globals: Vec<GlobalId>,
    pub tables: Vec<TableId>,
}

impl Added {
    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }
}

/// The reference side stacks added so far, one per reference type.
#[derive(Clone, Debug, Default)]
pub struct RefStacks {
    by_type: IdMap<RefType, RefStack>,
    /// Counter for naming concrete types.
    concrete: u32,
}

/// How a saved local is kept in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Stored as a number of this many bytes.
    Bytes(u32),
    /// A reference: a 4-byte slot index into the table for this (nullable) type.
    Slot(RefType),
    /// A reference of a bottom type: always null, nothing to store.
    Null,
}

/// How a local of type `ty` is saved.
pub fn saved(ty: ValType) -> Saved {
    match ty {
        ValType::Ref(r) if is_bottom(r.heap_type) => Saved::Null,
        ValType::Ref(r) => Saved::Slot(RefType {
            nullable: true,
            ..r
        }),
        other => Saved::Bytes(crate::abi::saved_size(other)),
    }
}

/// How many bytes a local of type `ty` takes in a frame.
pub fn frame_bytes(ty: ValType) -> u32 {
    match saved(ty) {
        Saved::Bytes(bytes) => bytes,
        Saved::Slot(_) => crate::abi::REF_SLOT_BYTES,
        Saved::Null => 0,
    }
}

fn is_bottom(ty: HeapType) -> bool {
    matches!(
        ty,
        HeapType::Abstract(
            AbstractHeapType::None
                | AbstractHeapType::NoFunc
                | AbstractHeapType::NoExtern
                | AbstractHeapType::NoExn
        )
    )
}

impl RefStacks {
    /// The side stack for references of (the nullable version of) `ty`, if it was added.
    pub fn get(&self, ty: RefType) -> Option<&RefStack> {
        self.by_type.get(&RefType {
            nullable: true,
            ..ty
        })
    }

    /// Every side stack, in the order they were added.
    pub fn all(&self) -> Vec<&RefStack> {
        let mut all: Vec<&RefStack> = self.by_type.values().collect();
        all.sort_by_key(|s| s.save.index());
        all
    }

    /// Add the table and helpers for `ty` unless they exist. Returns what was added.
    pub fn ensure(&mut self, module: &mut Module, ty: RefType) -> Added {
        let ty = RefType {
            nullable: true,
            ..ty
        };
        if self.by_type.contains_key(&ty) || is_bottom(ty.heap_type) {
            return Added::default();
        }
        let name = match ty.heap_type {
            HeapType::Abstract(_) => ty.to_string(),
            HeapType::Concrete(id) | HeapType::Exact(id) => match &module.types.get(id).name {
                Some(type_name) => format!("ref_{type_name}"),
                None => {
                    self.concrete += 1;
                    format!("ref{}", self.concrete)
                }
            },
            _ => unreachable!("walrus 0.28 has three kinds of heap type"),
        };
        let table = module.tables.add_local(false, 0, None, ty);
        module.tables.get_mut(table).name = Some(format!("asyncify_slots_{name}"));
        let free = module.globals.add_local(
            ValType::I32,
            true,
            false,
            ConstExpr::Value(walrus::ir::Value::I32(0)),
        );
        module.globals.get_mut(free).name = Some(format!("asyncify_slots_{name}_free"));
        let save = add_save(module, ty, table, free, &name);
        let load = add_load(module, ty, table, free, &name);
        self.by_type.insert(
            ty,
            RefStack {
                ty,
                table,
                free,
                save,
                load,
            },
        );
        Added {
            funcs: vec![save, load],
            globals: vec![free],
            tables: vec![table],
        }
    }
}

/// Slots the table grows by at least.
const MIN_GROWTH: i32 = 16;

/// `asyncify_save_<T>`: take a free slot for a non-null reference.
fn add_save(
    module: &mut Module,
    ty: RefType,
    table: TableId,
    free: GlobalId,
    name: &str,
) -> FunctionId {
    let value = module.locals.add(ValType::Ref(ty));
    let slot = module.locals.add(ValType::I32);
    let size = module.locals.add(ValType::I32);
    for (local, name) in [(value, "ref"), (slot, "slot"), (size, "size")] {
        module.locals.get_mut(local).name = Some(name.to_string());
    }
    let mut builder = FunctionBuilder::new(&mut module.types, &[ValType::Ref(ty)], &[ValType::I32]);
    builder.name(format!("asyncify_save_{name}"));
    let mut body = builder.func_body();
    // Null needs no slot.
    body.local_get(value).instr(RefIsNull {}).if_else(
        None,
        |then| {
            then.i32_const(-1).return_();
        },
        |_| {},
    );
    body.global_get(free)
        .local_set(slot)
        .instr(TableSize { table })
        .local_set(size);
    // Find the first null slot at or above the hint, or stop at the end of the table.
    body.block(None, |found| {
        let found_id = found.id();
        found.loop_(None, |scan| {
            let scan_id = scan.id();
            scan.local_get(slot)
                .local_get(size)
                .binop(BinaryOp::I32GeU)
                .br_if(found_id)
                .local_get(slot)
                .instr(TableGet { table })
                .instr(RefIsNull {})
                .br_if(found_id)
                .local_get(slot)
                .i32_const(1)
                .binop(BinaryOp::I32Add)
                .local_set(slot)
                .br(scan_id);
        });
    });
    // None free: grow by max(size, 16) null slots (trap if the table cannot grow).
    body.local_get(slot)
        .local_get(size)
        .binop(BinaryOp::I32Eq)
        .if_else(
            None,
            |grow| {
                grow.instr(RefNull { ty })
                    .local_get(size)
                    .i32_const(MIN_GROWTH)
                    .local_get(size)
                    .i32_const(MIN_GROWTH)
                    .binop(BinaryOp::I32GtU)
                    .select(None)
                    .instr(TableGrow { table })
                    .i32_const(-1)
                    .binop(BinaryOp::I32Eq)
                    .if_else(
                        None,
                        |fail| {
                            fail.unreachable();
                        },
                        |_| {},
                    );
            },
            |_| {},
        );
    body.local_get(slot)
        .local_get(value)
        .instr(TableSet { table })
        .local_get(slot)
        .i32_const(1)
        .binop(BinaryOp::I32Add)
        .global_set(free)
        .local_get(slot);
    builder.finish(vec![value], &mut module.funcs)
}

/// `asyncify_load_<T>`: read a slot and free it.
fn add_load(
    module: &mut Module,
    ty: RefType,
    table: TableId,
    free: GlobalId,
    name: &str,
) -> FunctionId {
    let slot = module.locals.add(ValType::I32);
    let value = module.locals.add(ValType::Ref(ty));
    for (local, name) in [(value, "ref"), (slot, "slot")] {
        module.locals.get_mut(local).name = Some(name.to_string());
    }
    let mut builder = FunctionBuilder::new(&mut module.types, &[ValType::I32], &[ValType::Ref(ty)]);
    builder.name(format!("asyncify_load_{name}"));
    let mut body = builder.func_body();
    body.local_get(slot)
        .i32_const(0)
        .binop(BinaryOp::I32LtS)
        .if_else(
            None,
            |null| {
                null.instr(RefNull { ty }).return_();
            },
            |_| {},
        );
    body.local_get(slot)
        .instr(TableGet { table })
        .local_set(value)
        .local_get(slot)
        .instr(RefNull { ty })
        .instr(TableSet { table })
        .local_get(slot)
        .global_get(free)
        .binop(BinaryOp::I32LtU)
        .if_else(
            None,
            |lower| {
                lower.local_get(slot).global_set(free);
            },
            |_| {},
        );
    body.local_get(value);
    builder.finish(vec![slot], &mut module.funcs)
}

/// Declare the non-nullable, non-parameter locals of an instrumented function nullable, and
/// read them (`local.get`, `local.tee`) with `ref.as_non_null` after. Run before the flow
/// pass. Returns whether anything changed.
pub fn relax_locals(func: &mut LocalFunction, locals: &mut ModuleLocals) -> bool {
    // Old local -> its nullable replacement.
    let mut relaxed: IdMap<LocalId, LocalId> = IdMap::default();
    let seqs = crate::ir::seqs_pre_order(func);
    for &seq in &seqs {
        for (instr, _) in func.block(seq).instrs.iter() {
            let local = match instr {
                Instr::LocalGet(g) => g.local,
                Instr::LocalSet(s) => s.local,
                Instr::LocalTee(t) => t.local,
                _ => continue,
            };
            if let ValType::Ref(r) = locals.get(local).ty()
                && !r.nullable
                && !func.args.contains(&local)
                && !relaxed.contains_key(&local)
            {
                let nullable = locals.add(ValType::Ref(RefType {
                    nullable: true,
                    ..r
                }));
                locals.get_mut(nullable).name = locals.get(local).name.clone();
                relaxed.insert(local, nullable);
            }
        }
    }
    if relaxed.is_empty() {
        return false;
    }
    for &seq in &seqs {
        let instrs = &mut func.block_mut(seq).instrs;
        let mentions = |i: &Instr| match i {
            Instr::LocalGet(LocalGet { local })
            | Instr::LocalTee(LocalTee { local })
            | Instr::LocalSet(LocalSet { local }) => relaxed.contains_key(local),
            _ => false,
        };
        if !instrs.iter().any(|(i, _)| mentions(i)) {
            continue;
        }
        let old = std::mem::take(instrs);
        let mut out = Vec::with_capacity(old.len() + 4);
        for (mut instr, loc) in old {
            let read = match &mut instr {
                Instr::LocalGet(LocalGet { local }) | Instr::LocalTee(LocalTee { local })
                    if relaxed.contains_key(local) =>
                {
                    *local = relaxed[local];
                    true
                }
                Instr::LocalSet(LocalSet { local }) if relaxed.contains_key(local) => {
                    *local = relaxed[local];
                    false
                }
                _ => false,
            };
            out.push((instr, loc));
            if read {
                out.push((RefAsNonNull {}.into(), InstrLocId::default()));
            }
        }
        *instrs = out;
    }
    true
}
