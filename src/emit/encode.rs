//! Encoding one walrus function into a wasm code-section body.
//!
//! walrus's own emitter re-numbers every index space, so for the functions asyncify rewrites
//! we encode the body ourselves, mapping every id through [`Indices`]. The result is a
//! [`wasm_encoder::Function`] (locals and instructions) plus the walrus local behind each
//! local index.
//!
//! Branch targets in walrus IR are instruction-sequence ids; here they become relative depths,
//! counted on a stack of the sequences that are open at the branch. Locals are numbered
//! parameters first, then every other local the body mentions in `LocalId` order.
//!
//! A tiny example. The walrus IR (seq ids as `@n`, local ids as `%n`; `%4: i32` is the only
//! parameter, `%7: i64` and `%9: i32` are locals)
//!
//! ```text
//! @0 (entry):  block @1 { local.get %4; br_if @0; local.get %9; local.set %4;
//!                         i64.const 5; local.set %7 }
//! ```
//!
//! encodes as
//!
//! ```text
//! (local i64 i32)              ;; 02 01 7e 01 7f    %7 is local 1, %9 is local 2
//! block                        ;; 02 40
//!   local.get 0  br_if 1       ;; 20 00 0d 01       @0 is one label out
//!   local.get 2  local.set 0   ;; 20 02 21 00
//!   i64.const 5  local.set 1   ;; 42 05 21 01
//! end                          ;; 0b
//! end                          ;; 0b
//! ```
//!
//! Walrus quirks this encoder relies on:
//!
//! * A legacy `catch`/`catch_all` handler is its own sequence; branches inside it name the
//!   handler's id (which stands for the `try` label). Both the handler id and the `try` body id
//!   resolve to the same depth while a handler is being encoded.
//! * `try_table` catch labels are resolved outside the `try_table` (they cannot target it).
//! * `rethrow` and `delegate` keep raw relative depths from the input; they are written as-is,
//!   which is right as long as the block nesting around them was not changed.
//! * `if` always has an alternative sequence in walrus; `else` is written only when it is
//!   needed (a non-empty alternative, or an `if` whose params differ from its results).
//!
//! The walk uses an explicit stack, so deeply nested bodies cannot overflow the native stack,
//! and it allocates only per function (never per instruction).

use crate::emit::indices::{Indices, SharedTypes, TypeIndices};
use std::borrow::Cow;
use walrus::ir::{
    AtomicOp, AtomicWidth, BinaryOp, ExtendedLoad, Instr, InstrLocId, InstrSeqId, InstrSeqType,
    LegacyCatch, LoadKind, LoadSimdKind, MemArg, StoreKind, TernaryOp, TryTableCatch, UnaryOp,
    Value,
};
use walrus::{HeapType, LocalFunction, LocalId, MemoryId, Module, RefType, ValType};
use wasm_encoder::{BlockType, Instruction as I};

/// A function body in binary form, ready for the code section.
pub struct EncodedFunction {
    /// The body (locals and instructions).
    pub function: wasm_encoder::Function,
    /// The walrus local given each local index: `locals[i]` is local `i` (parameters first).
    pub locals: Vec<LocalId>,
}

/// A function body encoded by [`encode_shared`], which could not add types to the output.
pub struct SharedEncoding {
    /// The body, valid only if `missing` is empty.
    pub encoded: EncodedFunction,
    /// Types the body needs that the output has no index for yet, in order of first use.
    pub missing: Vec<walrus::TypeId>,
    /// Types the body mentions that walrus merged with distinct ones (see
    /// [`Indices::take_ambiguous_used`]), in order of use.
    pub ambiguous: Vec<walrus::TypeId>,
}

impl SharedEncoding {
    /// The body, once the types it lacked are appended to `indices` (encoding `func` again
    /// if it lacked any; appending in first-use order gives the same bytes as
    /// [`encode_function`] would have). Ambiguous types it mentions are noted in `indices`.
    pub fn finish(
        self,
        module: &Module,
        func: &LocalFunction,
        indices: &mut Indices,
        order: LocalOrder,
    ) -> EncodedFunction {
        if self.missing.is_empty() {
            indices.note_ambiguous_used(&self.ambiguous);
            self.encoded
        } else {
            encode_function(module, func, indices, order)
        }
    }
}

/// How to number a function's non-parameter locals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LocalOrder {
    /// In the order walrus created them: the input's locals keep their relative order and
    /// locals added by asyncify come last. Easiest to read.
    #[default]
    Creation,
    /// The most used locals first (up to the 128 that get one-byte indices), each part
    /// grouped by type so the declarations stay short. Smallest code.
    Uses,
}

/// Encode `func` with the output indices in `indices`.
///
/// Types the body needs that the output does not have yet (a multi-value block type, say) are
/// appended through [`Indices::ty`].
///
/// # Panics
///
/// Only on IR that walrus itself would reject: a branch to a sequence that does not enclose
/// it, a sequence nested inside itself, or an id with no output index in `indices`.
pub fn encode_function(
    module: &Module,
    func: &LocalFunction,
    indices: &mut Indices,
    order: LocalOrder,
) -> EncodedFunction {
    let mut shared = encode_shared(module, func, indices, order);
    for &ty in &shared.missing {
        indices.ty(ty);
    }
    if !shared.missing.is_empty() {
        shared = encode_shared(module, func, indices, order);
        debug_assert!(shared.missing.is_empty(), "types were appended");
    }
    indices.note_ambiguous_used(&shared.ambiguous);
    shared.encoded
}

/// Encode `func` without changing `indices`, so that several functions can be encoded at
/// once; see [`SharedEncoding::finish`] for types the output lacks. Panics as
/// [`encode_function`] does.
pub fn encode_shared(
    module: &Module,
    func: &LocalFunction,
    indices: &Indices,
    order: LocalOrder,
) -> SharedEncoding {
    let locals = number_locals(module, func, order);
    let mut types = SharedTypes::new(indices);

    // `LocalId` index -> local index, sorted for binary search.
    let mut local_index: Vec<(usize, u32)> = locals
        .iter()
        .enumerate()
        .map(|(i, id)| (id.index(), i as u32))
        .collect();
    local_index.sort_unstable_by_key(|&(id, _)| id);

    // Declared (non-parameter) locals as run-length groups.
    let mut groups: Vec<(u32, wasm_encoder::ValType)> = Vec::new();
    for &id in &locals[func.args.len()..] {
        let ty = val_type(&mut types, module.locals.get(id).ty());
        match groups.last_mut() {
            Some((count, last)) if *last == ty => *count += 1,
            _ => groups.push((1, ty)),
        }
    }

    let mut encoder = Encoder {
        module,
        func,
        types,
        function: wasm_encoder::Function::new(groups),
        local_index,
        frames: Vec::new(),
        open: Vec::new(),
        targets: Vec::new(),
        catches: Vec::new(),
    };
    encoder.run();
    SharedEncoding {
        encoded: EncodedFunction {
            function: encoder.function,
            locals,
        },
        missing: encoder.types.missing,
        ambiguous: encoder.types.ambiguous,
    }
}

/// The parameters in order, then every other local the body mentions, ordered by `order`.
fn number_locals(module: &Module, func: &LocalFunction, order: LocalOrder) -> Vec<LocalId> {
    let mut mentioned = Vec::new();
    // Visit each sequence once, even if malformed IR lists one twice (or inside itself; the
    // encoder reports that).
    let mut seen: Vec<bool> = Vec::new();
    let mut pending = vec![func.entry_block()];
    while let Some(seq) = pending.pop() {
        let index = seq.index();
        if seen.len() <= index {
            seen.resize(index + 1, false);
        }
        if std::mem::replace(&mut seen[index], true) {
            continue;
        }
        for (instr, _) in &func.block(seq).instrs {
            match instr {
                Instr::LocalGet(i) => mentioned.push(i.local),
                Instr::LocalSet(i) => mentioned.push(i.local),
                Instr::LocalTee(i) => mentioned.push(i.local),
                Instr::Block(b) => pending.push(b.seq),
                Instr::Loop(l) => pending.push(l.seq),
                Instr::IfElse(e) => {
                    pending.push(e.consequent);
                    pending.push(e.alternative);
                }
                Instr::TryTable(t) => pending.push(t.seq),
                Instr::Try(t) => {
                    pending.push(t.seq);
                    for catch in &t.catches {
                        match catch {
                            LegacyCatch::Catch { handler, .. }
                            | LegacyCatch::CatchAll { handler } => pending.push(*handler),
                            LegacyCatch::Delegate { .. } => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    mentioned.sort_unstable_by_key(|id| id.index());
    // (local, number of uses), by `LocalId` index.
    let mut counted: Vec<(LocalId, u32)> = Vec::new();
    for id in mentioned {
        match counted.last_mut() {
            Some((last, count)) if *last == id => *count += 1,
            _ => counted.push((id, 1)),
        }
    }

    let mut params: Vec<usize> = func.args.iter().map(|id| id.index()).collect();
    params.sort_unstable();
    counted.retain(|(id, _)| params.binary_search(&id.index()).is_err());
    if order == LocalOrder::Uses {
        // Indices below 128 take one byte: give them to the most used locals.
        let short = 128usize.saturating_sub(func.args.len()).min(counted.len());
        counted.sort_by_key(|&(id, uses)| (std::cmp::Reverse(uses), id.index()));
        let type_key = |id: &LocalId| type_order(module.locals.get(*id).ty());
        let (hot, cold) = counted.split_at_mut(short);
        hot.sort_by_cached_key(|(id, _)| (type_key(id), id.index()));
        cold.sort_by_cached_key(|(id, _)| (type_key(id), id.index()));
    }
    let mut locals = Vec::with_capacity(func.args.len() + counted.len());
    locals.extend_from_slice(&func.args);
    locals.extend(counted.into_iter().map(|(id, _)| id));
    locals
}

/// Where locals of type `ty` go when locals are grouped by type: `f32 f64 i32 i64`, then
/// references (ordered by how they print), then `v128`.
fn type_order(ty: ValType) -> (u8, Option<String>) {
    match ty {
        ValType::F32 => (0, None),
        ValType::F64 => (1, None),
        ValType::I32 => (2, None),
        ValType::I64 => (3, None),
        ValType::Ref(r) => (4, Some(format!("{r:?}"))),
        ValType::V128 => (5, None),
    }
}

/// Output form of a value type.
pub fn val_type(indices: &mut impl TypeIndices, ty: ValType) -> wasm_encoder::ValType {
    match ty {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
        ValType::V128 => wasm_encoder::ValType::V128,
        ValType::Ref(r) => wasm_encoder::ValType::Ref(ref_type(indices, r)),
    }
}

fn ref_type(indices: &mut impl TypeIndices, ty: RefType) -> wasm_encoder::RefType {
    wasm_encoder::RefType {
        nullable: ty.nullable,
        heap_type: heap_type(indices, ty.heap_type),
    }
}

fn heap_type(indices: &mut impl TypeIndices, ty: HeapType) -> wasm_encoder::HeapType {
    match ty {
        HeapType::Abstract(ty) => wasm_encoder::HeapType::Abstract {
            shared: false,
            ty: ty.into(),
        },
        HeapType::Concrete(id) => wasm_encoder::HeapType::Concrete(indices.ty(id)),
        HeapType::Exact(id) => wasm_encoder::HeapType::Exact(indices.ty(id)),
        // `HeapType` is `#[non_exhaustive]`; walrus 0.28 has exactly the three kinds above.
        _ => unreachable!("heap type unknown to walrus 0.28: {ty:?}"),
    }
}

/// What closing the current sequence of a frame does.
#[derive(Clone, Copy)]
enum Kind<'a> {
    /// Function entry, `block`, `loop`, `try_table` or the `else` arm: write `end`.
    Plain,
    /// The `then` arm of an `if`: continue with `else` and the alternative, or `end`.
    Then {
        alternative: InstrSeqId,
        write_else: bool,
    },
    /// The body or a handler of a legacy `try`: `catches[next]` comes next.
    Try {
        catches: &'a [LegacyCatch],
        next: usize,
    },
}

/// One open control construct (one label).
struct Frame<'a> {
    /// Instructions of the current sequence not written yet.
    rest: std::slice::Iter<'a, (Instr, InstrLocId)>,
    /// The sequence being written.
    seq: InstrSeqId,
    /// The construct's first sequence (`then` arm, `try` body); equal to `seq` for plain ones.
    /// It keeps naming this label while a later arm (else, catch handler) is written.
    first: InstrSeqId,
    kind: Kind<'a>,
}

struct Encoder<'a, 'i> {
    module: &'a Module,
    func: &'a LocalFunction,
    types: SharedTypes<'i>,
    function: wasm_encoder::Function,
    /// `(LocalId::index(), local index)`, sorted.
    local_index: Vec<(usize, u32)>,
    /// Open constructs, outermost first.
    frames: Vec<Frame<'a>>,
    /// `InstrSeqId::index()` -> 1 + position in `frames` of the frame it labels (0: not open).
    open: Vec<u32>,
    /// Scratch for `br_table` targets.
    targets: Vec<u32>,
    /// Scratch for `try_table` catch clauses.
    catches: Vec<wasm_encoder::Catch>,
}

impl<'a> Encoder<'a, '_> {
    fn run(&mut self) {
        let entry = self.func.entry_block();
        self.push(entry, Kind::Plain);
        while let Some(frame) = self.frames.last_mut() {
            match frame.rest.next() {
                Some((instr, _)) => self.instr(instr),
                None => self.end_seq(),
            }
        }
    }

    fn emit(&mut self, instr: &I) {
        self.function.instruction(instr);
    }

    /// Open a construct whose first sequence is `seq`.
    fn push(&mut self, seq: InstrSeqId, kind: Kind<'a>) {
        let position = self.frames.len() as u32 + 1;
        self.mark_open(seq, position);
        self.frames.push(Frame {
            rest: self.func.block(seq).instrs.iter(),
            seq,
            first: seq,
            kind,
        });
    }

    /// Continue the top construct with its next sequence (`else` arm, catch handler).
    fn switch_to(&mut self, seq: InstrSeqId, kind: Kind<'a>) {
        let position = self.frames.len() as u32;
        let func = self.func;
        let frame = self.frames.last_mut().expect("a frame is open");
        let previous = frame.seq;
        let first = frame.first;
        frame.rest = func.block(seq).instrs.iter();
        frame.seq = seq;
        frame.kind = kind;
        if previous != first {
            self.mark_closed(previous);
        }
        self.mark_open(seq, position);
    }

    /// Close the top construct; its `end` (or `delegate`) is already written.
    fn pop(&mut self) {
        let frame = self.frames.pop().expect("a frame is open");
        self.mark_closed(frame.seq);
        self.mark_closed(frame.first);
    }

    fn mark_open(&mut self, seq: InstrSeqId, position: u32) {
        let index = seq.index();
        if self.open.len() <= index {
            self.open.resize(index + 1, 0);
        }
        assert!(
            self.open[index] == 0,
            "instruction sequence {seq:?} is nested inside itself"
        );
        self.open[index] = position;
    }

    fn mark_closed(&mut self, seq: InstrSeqId) {
        if let Some(slot) = self.open.get_mut(seq.index()) {
            *slot = 0;
        }
    }

    /// Relative depth of a branch to `seq` from the current position.
    fn depth(&self, seq: InstrSeqId) -> u32 {
        match self.open.get(seq.index()) {
            Some(&position) if position != 0 => self.frames.len() as u32 - position,
            _ => panic!("branch to instruction sequence {seq:?}, which does not enclose it"),
        }
    }

    /// The current sequence ended: write what follows it.
    fn end_seq(&mut self) {
        let kind = self.frames.last().expect("a frame is open").kind;
        match kind {
            Kind::Plain
            | Kind::Then {
                write_else: false, ..
            } => {
                self.emit(&I::End);
                self.pop();
            }
            Kind::Then {
                alternative,
                write_else: true,
            } => {
                self.emit(&I::Else);
                self.switch_to(alternative, Kind::Plain);
            }
            Kind::Try { catches, next } => match catches.get(next) {
                Some(LegacyCatch::Catch { tag, handler }) => {
                    let tag = self.types.indices.tag(*tag);
                    self.emit(&I::Catch(tag));
                    let kind = Kind::Try {
                        catches,
                        next: next + 1,
                    };
                    self.switch_to(*handler, kind);
                }
                Some(LegacyCatch::CatchAll { handler }) => {
                    self.emit(&I::CatchAll);
                    let kind = Kind::Try {
                        catches,
                        next: next + 1,
                    };
                    self.switch_to(*handler, kind);
                }
                Some(LegacyCatch::Delegate { relative_depth }) => {
                    self.emit(&I::Delegate(*relative_depth));
                    self.pop();
                }
                None => {
                    self.emit(&I::End);
                    self.pop();
                }
            },
        }
    }

    fn block_type(&mut self, ty: InstrSeqType) -> BlockType {
        match ty {
            InstrSeqType::Simple(None) => BlockType::Empty,
            InstrSeqType::Simple(Some(ty)) => BlockType::Result(val_type(&mut self.types, ty)),
            InstrSeqType::MultiValue(id) => BlockType::FunctionType(self.types.ty(id)),
        }
    }

    fn seq_block_type(&mut self, seq: InstrSeqId) -> BlockType {
        let ty = self.func.block(seq).ty;
        self.block_type(ty)
    }

    fn local(&self, id: LocalId) -> u32 {
        let index = id.index();
        match self.local_index.binary_search_by_key(&index, |&(id, _)| id) {
            Ok(found) => self.local_index[found].1,
            // `number_locals` saw every local of every sequence reachable from the entry.
            Err(_) => unreachable!("local {id:?} was not numbered"),
        }
    }

    fn memarg(&self, memory: MemoryId, arg: &MemArg) -> wasm_encoder::MemArg {
        wasm_encoder::MemArg {
            offset: arg.offset,
            // walrus keeps the alignment in bytes; the binary wants its log2.
            align: arg.align.checked_ilog2().unwrap_or(0),
            memory_index: self.types.indices.memory(memory),
        }
    }

    fn instr(&mut self, instr: &'a Instr) {
        let simple = match instr {
            Instr::Block(b) => {
                let ty = self.seq_block_type(b.seq);
                self.emit(&I::Block(ty));
                self.push(b.seq, Kind::Plain);
                return;
            }
            Instr::Loop(l) => {
                let ty = self.seq_block_type(l.seq);
                self.emit(&I::Loop(ty));
                self.push(l.seq, Kind::Plain);
                return;
            }
            Instr::IfElse(e) => {
                let seq_ty = self.func.block(e.consequent).ty;
                let ty = self.block_type(seq_ty);
                self.emit(&I::If(ty));
                let write_else = !self.func.block(e.alternative).instrs.is_empty()
                    || match seq_ty {
                        InstrSeqType::Simple(None) => false,
                        InstrSeqType::Simple(Some(_)) => true,
                        InstrSeqType::MultiValue(id) => {
                            let (params, results) = self.module.types.params_results(id);
                            params != results
                        }
                    };
                let kind = Kind::Then {
                    alternative: e.alternative,
                    write_else,
                };
                self.push(e.consequent, kind);
                return;
            }
            Instr::TryTable(t) => {
                let ty = self.seq_block_type(t.seq);
                // Catch labels are resolved outside the `try_table`.
                let mut catches = std::mem::take(&mut self.catches);
                catches.clear();
                for catch in &t.catches {
                    catches.push(match *catch {
                        TryTableCatch::Catch { tag, label } => wasm_encoder::Catch::One {
                            tag: self.types.indices.tag(tag),
                            label: self.depth(label),
                        },
                        TryTableCatch::CatchRef { tag, label } => wasm_encoder::Catch::OneRef {
                            tag: self.types.indices.tag(tag),
                            label: self.depth(label),
                        },
                        TryTableCatch::CatchAll { label } => wasm_encoder::Catch::All {
                            label: self.depth(label),
                        },
                        TryTableCatch::CatchAllRef { label } => wasm_encoder::Catch::AllRef {
                            label: self.depth(label),
                        },
                    });
                }
                self.emit(&I::TryTable(ty, Cow::Borrowed(&catches)));
                self.catches = catches;
                self.push(t.seq, Kind::Plain);
                return;
            }
            Instr::Try(t) => {
                let ty = self.seq_block_type(t.seq);
                self.emit(&I::Try(ty));
                let kind = Kind::Try {
                    catches: &t.catches,
                    next: 0,
                };
                self.push(t.seq, kind);
                return;
            }
            Instr::BrTable(t) => {
                let mut targets = std::mem::take(&mut self.targets);
                targets.clear();
                targets.extend(t.blocks.iter().map(|&b| self.depth(b)));
                let default = self.depth(t.default);
                self.emit(&I::BrTable(Cow::Borrowed(&targets), default));
                self.targets = targets;
                return;
            }
            other => self.simple(other),
        };
        self.emit(&simple);
    }

    /// Every instruction that neither opens a construct nor needs scratch space.
    fn simple(&mut self, instr: &Instr) -> I<'static> {
        match instr {
            Instr::Block(_)
            | Instr::Loop(_)
            | Instr::IfElse(_)
            | Instr::TryTable(_)
            | Instr::Try(_)
            | Instr::BrTable(_) => unreachable!("handled by `instr`"),

            // Control.
            Instr::Unreachable(_) => I::Unreachable,
            Instr::Return(_) => I::Return,
            Instr::Br(b) => I::Br(self.depth(b.block)),
            Instr::BrIf(b) => I::BrIf(self.depth(b.block)),
            Instr::Drop(_) => I::Drop,
            Instr::Select(s) => match s.ty {
                Some(ty) => I::TypedSelect(val_type(&mut self.types, ty)),
                None => I::Select,
            },

            // Calls.
            Instr::Call(c) => I::Call(self.types.indices.func(c.func)),
            Instr::ReturnCall(c) => I::ReturnCall(self.types.indices.func(c.func)),
            Instr::CallIndirect(c) => I::CallIndirect {
                type_index: self.types.ty(c.ty),
                table_index: self.types.indices.table(c.table),
            },
            Instr::ReturnCallIndirect(c) => I::ReturnCallIndirect {
                type_index: self.types.ty(c.ty),
                table_index: self.types.indices.table(c.table),
            },
            Instr::CallRef(c) => I::CallRef(self.types.ty(c.ty)),
            Instr::ReturnCallRef(c) => I::ReturnCallRef(self.types.ty(c.ty)),

            // Variables.
            Instr::LocalGet(l) => I::LocalGet(self.local(l.local)),
            Instr::LocalSet(l) => I::LocalSet(self.local(l.local)),
            Instr::LocalTee(l) => I::LocalTee(self.local(l.local)),
            Instr::GlobalGet(g) => I::GlobalGet(self.types.indices.global(g.global)),
            Instr::GlobalSet(g) => I::GlobalSet(self.types.indices.global(g.global)),

            // Numeric.
            Instr::Const(c) => match c.value {
                Value::I32(v) => I::I32Const(v),
                Value::I64(v) => I::I64Const(v),
                Value::F32(v) => I::F32Const(wasm_encoder::Ieee32::new(v.to_bits())),
                Value::F64(v) => I::F64Const(wasm_encoder::Ieee64::new(v.to_bits())),
                Value::V128(v) => I::V128Const(v as i128),
            },
            Instr::Unop(u) => unop(u.op),
            Instr::Binop(b) => binop(b.op),
            Instr::TernOp(t) => ternop(t.op),
            Instr::V128Bitselect(_) => I::V128Bitselect,
            Instr::I8x16Swizzle(_) => I::I8x16Swizzle,
            Instr::I8x16Shuffle(s) => I::I8x16Shuffle(s.indices),
            Instr::I64Add128(_) => I::I64Add128,
            Instr::I64Sub128(_) => I::I64Sub128,
            Instr::I64MulWideS(_) => I::I64MulWideS,
            Instr::I64MulWideU(_) => I::I64MulWideU,

            // Memory.
            Instr::Load(l) => load(l.kind, self.memarg(l.memory, &l.arg)),
            Instr::Store(s) => store(s.kind, self.memarg(s.memory, &s.arg)),
            Instr::LoadSimd(l) => load_simd(l.kind, self.memarg(l.memory, &l.arg)),
            Instr::MemorySize(m) => I::MemorySize(self.types.indices.memory(m.memory)),
            Instr::MemoryGrow(m) => I::MemoryGrow(self.types.indices.memory(m.memory)),
            Instr::MemoryInit(m) => I::MemoryInit {
                mem: self.types.indices.memory(m.memory),
                data_index: self.types.indices.data(m.data),
            },
            Instr::DataDrop(d) => I::DataDrop(self.types.indices.data(d.data)),
            Instr::MemoryCopy(m) => I::MemoryCopy {
                src_mem: self.types.indices.memory(m.src),
                dst_mem: self.types.indices.memory(m.dst),
            },
            Instr::MemoryFill(m) => I::MemoryFill(self.types.indices.memory(m.memory)),

            // Atomics.
            Instr::AtomicRmw(a) => atomic_rmw(a.op, a.width, self.memarg(a.memory, &a.arg)),
            Instr::Cmpxchg(c) => cmpxchg(c.width, self.memarg(c.memory, &c.arg)),
            Instr::AtomicNotify(n) => I::MemoryAtomicNotify(self.memarg(n.memory, &n.arg)),
            Instr::AtomicWait(w) => {
                let memarg = self.memarg(w.memory, &w.arg);
                if w.sixty_four {
                    I::MemoryAtomicWait64(memarg)
                } else {
                    I::MemoryAtomicWait32(memarg)
                }
            }
            Instr::AtomicFence(_) => I::AtomicFence,

            // Tables.
            Instr::TableGet(t) => I::TableGet(self.types.indices.table(t.table)),
            Instr::TableSet(t) => I::TableSet(self.types.indices.table(t.table)),
            Instr::TableGrow(t) => I::TableGrow(self.types.indices.table(t.table)),
            Instr::TableSize(t) => I::TableSize(self.types.indices.table(t.table)),
            Instr::TableFill(t) => I::TableFill(self.types.indices.table(t.table)),
            Instr::TableInit(t) => I::TableInit {
                elem_index: self.types.indices.elem(t.elem),
                table: self.types.indices.table(t.table),
            },
            Instr::TableCopy(t) => I::TableCopy {
                src_table: self.types.indices.table(t.src),
                dst_table: self.types.indices.table(t.dst),
            },
            Instr::ElemDrop(e) => I::ElemDrop(self.types.indices.elem(e.elem)),

            // References.
            Instr::RefNull(r) => I::RefNull(heap_type(&mut self.types, r.ty.heap_type)),
            Instr::RefIsNull(_) => I::RefIsNull,
            Instr::RefFunc(r) => I::RefFunc(self.types.indices.func(r.func)),
            Instr::RefAsNonNull(_) => I::RefAsNonNull,
            Instr::RefEq(_) => I::RefEq,
            Instr::BrOnNull(b) => I::BrOnNull(self.depth(b.block)),
            Instr::BrOnNonNull(b) => I::BrOnNonNull(self.depth(b.block)),
            Instr::RefTest(r) => {
                let ty = heap_type(&mut self.types, r.heap_type);
                if r.nullable {
                    I::RefTestNullable(ty)
                } else {
                    I::RefTestNonNull(ty)
                }
            }
            Instr::RefCast(r) => {
                let ty = heap_type(&mut self.types, r.heap_type);
                if r.nullable {
                    I::RefCastNullable(ty)
                } else {
                    I::RefCastNonNull(ty)
                }
            }
            Instr::BrOnCast(b) => I::BrOnCast {
                relative_depth: self.depth(b.block),
                from_ref_type: wasm_encoder::RefType {
                    nullable: b.from_nullable,
                    heap_type: heap_type(&mut self.types, b.from_heap_type),
                },
                to_ref_type: wasm_encoder::RefType {
                    nullable: b.to_nullable,
                    heap_type: heap_type(&mut self.types, b.to_heap_type),
                },
            },
            Instr::BrOnCastFail(b) => I::BrOnCastFail {
                relative_depth: self.depth(b.block),
                from_ref_type: wasm_encoder::RefType {
                    nullable: b.from_nullable,
                    heap_type: heap_type(&mut self.types, b.from_heap_type),
                },
                to_ref_type: wasm_encoder::RefType {
                    nullable: b.to_nullable,
                    heap_type: heap_type(&mut self.types, b.to_heap_type),
                },
            },
            Instr::AnyConvertExtern(_) => I::AnyConvertExtern,
            Instr::ExternConvertAny(_) => I::ExternConvertAny,
            Instr::RefI31(_) => I::RefI31,
            Instr::I31GetS(_) => I::I31GetS,
            Instr::I31GetU(_) => I::I31GetU,

            // GC structs and arrays.
            Instr::StructNew(s) => I::StructNew(self.types.ty(s.ty)),
            Instr::StructNewDefault(s) => I::StructNewDefault(self.types.ty(s.ty)),
            Instr::StructGet(s) => I::StructGet {
                struct_type_index: self.types.ty(s.ty),
                field_index: s.field,
            },
            Instr::StructGetS(s) => I::StructGetS {
                struct_type_index: self.types.ty(s.ty),
                field_index: s.field,
            },
            Instr::StructGetU(s) => I::StructGetU {
                struct_type_index: self.types.ty(s.ty),
                field_index: s.field,
            },
            Instr::StructSet(s) => I::StructSet {
                struct_type_index: self.types.ty(s.ty),
                field_index: s.field,
            },
            Instr::ArrayNew(a) => I::ArrayNew(self.types.ty(a.ty)),
            Instr::ArrayNewDefault(a) => I::ArrayNewDefault(self.types.ty(a.ty)),
            Instr::ArrayNewFixed(a) => I::ArrayNewFixed {
                array_type_index: self.types.ty(a.ty),
                array_size: a.len,
            },
            Instr::ArrayNewData(a) => I::ArrayNewData {
                array_type_index: self.types.ty(a.ty),
                array_data_index: self.types.indices.data(a.data),
            },
            Instr::ArrayNewElem(a) => I::ArrayNewElem {
                array_type_index: self.types.ty(a.ty),
                array_elem_index: self.types.indices.elem(a.elem),
            },
            Instr::ArrayGet(a) => I::ArrayGet(self.types.ty(a.ty)),
            Instr::ArrayGetS(a) => I::ArrayGetS(self.types.ty(a.ty)),
            Instr::ArrayGetU(a) => I::ArrayGetU(self.types.ty(a.ty)),
            Instr::ArraySet(a) => I::ArraySet(self.types.ty(a.ty)),
            Instr::ArrayLen(_) => I::ArrayLen,
            Instr::ArrayFill(a) => I::ArrayFill(self.types.ty(a.ty)),
            Instr::ArrayCopy(a) => I::ArrayCopy {
                array_type_index_dst: self.types.ty(a.dst_ty),
                array_type_index_src: self.types.ty(a.src_ty),
            },
            Instr::ArrayInitData(a) => I::ArrayInitData {
                array_type_index: self.types.ty(a.ty),
                array_data_index: self.types.indices.data(a.data),
            },
            Instr::ArrayInitElem(a) => I::ArrayInitElem {
                array_type_index: self.types.ty(a.ty),
                array_elem_index: self.types.indices.elem(a.elem),
            },

            // Exceptions.
            Instr::Throw(t) => I::Throw(self.types.indices.tag(t.tag)),
            Instr::ThrowRef(_) => I::ThrowRef,
            Instr::Rethrow(r) => I::Rethrow(r.relative_depth),
        }
    }
}

fn load(kind: LoadKind, m: wasm_encoder::MemArg) -> I<'static> {
    use ExtendedLoad::{SignExtend as S, ZeroExtend as U, ZeroExtendAtomic as A};
    match kind {
        LoadKind::I32 { atomic: false } => I::I32Load(m),
        LoadKind::I32 { atomic: true } => I::I32AtomicLoad(m),
        LoadKind::I64 { atomic: false } => I::I64Load(m),
        LoadKind::I64 { atomic: true } => I::I64AtomicLoad(m),
        LoadKind::F32 => I::F32Load(m),
        LoadKind::F64 => I::F64Load(m),
        LoadKind::V128 => I::V128Load(m),
        LoadKind::I32_8 { kind: S } => I::I32Load8S(m),
        LoadKind::I32_8 { kind: U } => I::I32Load8U(m),
        LoadKind::I32_8 { kind: A } => I::I32AtomicLoad8U(m),
        LoadKind::I32_16 { kind: S } => I::I32Load16S(m),
        LoadKind::I32_16 { kind: U } => I::I32Load16U(m),
        LoadKind::I32_16 { kind: A } => I::I32AtomicLoad16U(m),
        LoadKind::I64_8 { kind: S } => I::I64Load8S(m),
        LoadKind::I64_8 { kind: U } => I::I64Load8U(m),
        LoadKind::I64_8 { kind: A } => I::I64AtomicLoad8U(m),
        LoadKind::I64_16 { kind: S } => I::I64Load16S(m),
        LoadKind::I64_16 { kind: U } => I::I64Load16U(m),
        LoadKind::I64_16 { kind: A } => I::I64AtomicLoad16U(m),
        LoadKind::I64_32 { kind: S } => I::I64Load32S(m),
        LoadKind::I64_32 { kind: U } => I::I64Load32U(m),
        LoadKind::I64_32 { kind: A } => I::I64AtomicLoad32U(m),
    }
}

fn store(kind: StoreKind, m: wasm_encoder::MemArg) -> I<'static> {
    match kind {
        StoreKind::I32 { atomic: false } => I::I32Store(m),
        StoreKind::I32 { atomic: true } => I::I32AtomicStore(m),
        StoreKind::I64 { atomic: false } => I::I64Store(m),
        StoreKind::I64 { atomic: true } => I::I64AtomicStore(m),
        StoreKind::F32 => I::F32Store(m),
        StoreKind::F64 => I::F64Store(m),
        StoreKind::V128 => I::V128Store(m),
        StoreKind::I32_8 { atomic: false } => I::I32Store8(m),
        StoreKind::I32_8 { atomic: true } => I::I32AtomicStore8(m),
        StoreKind::I32_16 { atomic: false } => I::I32Store16(m),
        StoreKind::I32_16 { atomic: true } => I::I32AtomicStore16(m),
        StoreKind::I64_8 { atomic: false } => I::I64Store8(m),
        StoreKind::I64_8 { atomic: true } => I::I64AtomicStore8(m),
        StoreKind::I64_16 { atomic: false } => I::I64Store16(m),
        StoreKind::I64_16 { atomic: true } => I::I64AtomicStore16(m),
        StoreKind::I64_32 { atomic: false } => I::I64Store32(m),
        StoreKind::I64_32 { atomic: true } => I::I64AtomicStore32(m),
    }
}

fn load_simd(kind: LoadSimdKind, memarg: wasm_encoder::MemArg) -> I<'static> {
    let m = memarg;
    match kind {
        LoadSimdKind::Splat8 => I::V128Load8Splat(m),
        LoadSimdKind::Splat16 => I::V128Load16Splat(m),
        LoadSimdKind::Splat32 => I::V128Load32Splat(m),
        LoadSimdKind::Splat64 => I::V128Load64Splat(m),
        LoadSimdKind::V128Load8x8S => I::V128Load8x8S(m),
        LoadSimdKind::V128Load8x8U => I::V128Load8x8U(m),
        LoadSimdKind::V128Load16x4S => I::V128Load16x4S(m),
        LoadSimdKind::V128Load16x4U => I::V128Load16x4U(m),
        LoadSimdKind::V128Load32x2S => I::V128Load32x2S(m),
        LoadSimdKind::V128Load32x2U => I::V128Load32x2U(m),
        LoadSimdKind::V128Load32Zero => I::V128Load32Zero(m),
        LoadSimdKind::V128Load64Zero => I::V128Load64Zero(m),
        LoadSimdKind::V128Load8Lane(lane) => I::V128Load8Lane { memarg, lane },
        LoadSimdKind::V128Load16Lane(lane) => I::V128Load16Lane { memarg, lane },
        LoadSimdKind::V128Load32Lane(lane) => I::V128Load32Lane { memarg, lane },
        LoadSimdKind::V128Load64Lane(lane) => I::V128Load64Lane { memarg, lane },
        LoadSimdKind::V128Store8Lane(lane) => I::V128Store8Lane { memarg, lane },
        LoadSimdKind::V128Store16Lane(lane) => I::V128Store16Lane { memarg, lane },
        LoadSimdKind::V128Store32Lane(lane) => I::V128Store32Lane { memarg, lane },
        LoadSimdKind::V128Store64Lane(lane) => I::V128Store64Lane { memarg, lane },
    }
}

fn atomic_rmw(op: AtomicOp, width: AtomicWidth, m: wasm_encoder::MemArg) -> I<'static> {
    use AtomicOp::*;
    use AtomicWidth as W;
    match (op, width) {
        (Add, W::I32) => I::I32AtomicRmwAdd(m),
        (Add, W::I64) => I::I64AtomicRmwAdd(m),
        (Add, W::I32_8) => I::I32AtomicRmw8AddU(m),
        (Add, W::I32_16) => I::I32AtomicRmw16AddU(m),
        (Add, W::I64_8) => I::I64AtomicRmw8AddU(m),
        (Add, W::I64_16) => I::I64AtomicRmw16AddU(m),
        (Add, W::I64_32) => I::I64AtomicRmw32AddU(m),
        (Sub, W::I32) => I::I32AtomicRmwSub(m),
        (Sub, W::I64) => I::I64AtomicRmwSub(m),
        (Sub, W::I32_8) => I::I32AtomicRmw8SubU(m),
        (Sub, W::I32_16) => I::I32AtomicRmw16SubU(m),
        (Sub, W::I64_8) => I::I64AtomicRmw8SubU(m),
        (Sub, W::I64_16) => I::I64AtomicRmw16SubU(m),
        (Sub, W::I64_32) => I::I64AtomicRmw32SubU(m),
        (And, W::I32) => I::I32AtomicRmwAnd(m),
        (And, W::I64) => I::I64AtomicRmwAnd(m),
        (And, W::I32_8) => I::I32AtomicRmw8AndU(m),
        (And, W::I32_16) => I::I32AtomicRmw16AndU(m),
        (And, W::I64_8) => I::I64AtomicRmw8AndU(m),
        (And, W::I64_16) => I::I64AtomicRmw16AndU(m),
        (And, W::I64_32) => I::I64AtomicRmw32AndU(m),
        (Or, W::I32) => I::I32AtomicRmwOr(m),
        (Or, W::I64) => I::I64AtomicRmwOr(m),
        (Or, W::I32_8) => I::I32AtomicRmw8OrU(m),
        (Or, W::I32_16) => I::I32AtomicRmw16OrU(m),
        (Or, W::I64_8) => I::I64AtomicRmw8OrU(m),
        (Or, W::I64_16) => I::I64AtomicRmw16OrU(m),
        (Or, W::I64_32) => I::I64AtomicRmw32OrU(m),
        (Xor, W::I32) => I::I32AtomicRmwXor(m),
        (Xor, W::I64) => I::I64AtomicRmwXor(m),
        (Xor, W::I32_8) => I::I32AtomicRmw8XorU(m),
        (Xor, W::I32_16) => I::I32AtomicRmw16XorU(m),
        (Xor, W::I64_8) => I::I64AtomicRmw8XorU(m),
        (Xor, W::I64_16) => I::I64AtomicRmw16XorU(m),
        (Xor, W::I64_32) => I::I64AtomicRmw32XorU(m),
        (Xchg, W::I32) => I::I32AtomicRmwXchg(m),
        (Xchg, W::I64) => I::I64AtomicRmwXchg(m),
        (Xchg, W::I32_8) => I::I32AtomicRmw8XchgU(m),
        (Xchg, W::I32_16) => I::I32AtomicRmw16XchgU(m),
        (Xchg, W::I64_8) => I::I64AtomicRmw8XchgU(m),
        (Xchg, W::I64_16) => I::I64AtomicRmw16XchgU(m),
        (Xchg, W::I64_32) => I::I64AtomicRmw32XchgU(m),
    }
}

fn cmpxchg(width: AtomicWidth, m: wasm_encoder::MemArg) -> I<'static> {
    match width {
        AtomicWidth::I32 => I::I32AtomicRmwCmpxchg(m),
        AtomicWidth::I64 => I::I64AtomicRmwCmpxchg(m),
        AtomicWidth::I32_8 => I::I32AtomicRmw8CmpxchgU(m),
        AtomicWidth::I32_16 => I::I32AtomicRmw16CmpxchgU(m),
        AtomicWidth::I64_8 => I::I64AtomicRmw8CmpxchgU(m),
        AtomicWidth::I64_16 => I::I64AtomicRmw16CmpxchgU(m),
        AtomicWidth::I64_32 => I::I64AtomicRmw32CmpxchgU(m),
    }
}

/// Maps operator enums whose variants mostly share names with `wasm_encoder::Instruction`.
/// No catch-all arm: a variant missing here is a compile error.
macro_rules! map_ops {
    (
        $op:expr, $enum:ident;
        same: [$($same:ident),* $(,)?];
        lane: [$($lane:ident),* $(,)?];
        renamed: [$($from:ident => $to:ident),* $(,)?];
    ) => {
        match $op {
            $($enum::$same => I::$same,)*
            $($enum::$lane { idx } => I::$lane(idx),)*
            $($enum::$from => I::$to,)*
        }
    };
}

fn ternop(op: TernaryOp) -> I<'static> {
    map_ops!(op, TernaryOp;
        same: [
            F32x4RelaxedMadd, F32x4RelaxedNmadd, F64x2RelaxedMadd, F64x2RelaxedNmadd,
            I8x16RelaxedLaneselect, I16x8RelaxedLaneselect, I32x4RelaxedLaneselect,
            I64x2RelaxedLaneselect, I32x4RelaxedDotI8x16I7x16AddS,
        ];
        lane: [];
        renamed: [];
    )
}

fn binop(op: BinaryOp) -> I<'static> {
    map_ops!(op, BinaryOp;
        same: [
            I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
            I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
            F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge,
            F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge,
            I32Add, I32Sub, I32Mul, I32DivS, I32DivU, I32RemS, I32RemU,
            I32And, I32Or, I32Xor, I32Shl, I32ShrS, I32ShrU, I32Rotl, I32Rotr,
            I64Add, I64Sub, I64Mul, I64DivS, I64DivU, I64RemS, I64RemU,
            I64And, I64Or, I64Xor, I64Shl, I64ShrS, I64ShrU, I64Rotl, I64Rotr,
            F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
            F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
            I8x16Eq, I8x16Ne, I8x16LtS, I8x16LtU, I8x16GtS, I8x16GtU,
            I8x16LeS, I8x16LeU, I8x16GeS, I8x16GeU,
            I16x8Eq, I16x8Ne, I16x8LtS, I16x8LtU, I16x8GtS, I16x8GtU,
            I16x8LeS, I16x8LeU, I16x8GeS, I16x8GeU,
            I32x4Eq, I32x4Ne, I32x4LtS, I32x4LtU, I32x4GtS, I32x4GtU,
            I32x4LeS, I32x4LeU, I32x4GeS, I32x4GeU,
            I64x2Eq, I64x2Ne, I64x2LtS, I64x2GtS, I64x2LeS, I64x2GeS,
            F32x4Eq, F32x4Ne, F32x4Lt, F32x4Gt, F32x4Le, F32x4Ge,
            F64x2Eq, F64x2Ne, F64x2Lt, F64x2Gt, F64x2Le, F64x2Ge,
            V128And, V128Or, V128Xor, V128AndNot,
            I8x16Shl, I8x16ShrS, I8x16ShrU, I8x16Add, I8x16AddSatS, I8x16AddSatU,
            I8x16Sub, I8x16SubSatS, I8x16SubSatU,
            I16x8Shl, I16x8ShrS, I16x8ShrU, I16x8Add, I16x8AddSatS, I16x8AddSatU,
            I16x8Sub, I16x8SubSatS, I16x8SubSatU, I16x8Mul,
            I32x4Shl, I32x4ShrS, I32x4ShrU, I32x4Add, I32x4Sub, I32x4Mul,
            I64x2Shl, I64x2ShrS, I64x2ShrU, I64x2Add, I64x2Sub, I64x2Mul,
            F32x4Add, F32x4Sub, F32x4Mul, F32x4Div, F32x4Min, F32x4Max, F32x4PMin, F32x4PMax,
            F64x2Add, F64x2Sub, F64x2Mul, F64x2Div, F64x2Min, F64x2Max, F64x2PMin, F64x2PMax,
            I8x16NarrowI16x8S, I8x16NarrowI16x8U, I16x8NarrowI32x4S, I16x8NarrowI32x4U,
            I8x16AvgrU, I16x8AvgrU,
            I8x16MinS, I8x16MinU, I8x16MaxS, I8x16MaxU,
            I16x8MinS, I16x8MinU, I16x8MaxS, I16x8MaxU,
            I32x4MinS, I32x4MinU, I32x4MaxS, I32x4MaxU,
            I32x4DotI16x8S, I16x8Q15MulrSatS,
            I16x8ExtMulLowI8x16S, I16x8ExtMulHighI8x16S, I16x8ExtMulLowI8x16U,
            I16x8ExtMulHighI8x16U,
            I32x4ExtMulLowI16x8S, I32x4ExtMulHighI16x8S, I32x4ExtMulLowI16x8U,
            I32x4ExtMulHighI16x8U,
            I64x2ExtMulLowI32x4S, I64x2ExtMulHighI32x4S, I64x2ExtMulLowI32x4U,
            I64x2ExtMulHighI32x4U,
            I8x16RelaxedSwizzle, F32x4RelaxedMin, F32x4RelaxedMax, F64x2RelaxedMin,
            F64x2RelaxedMax, I16x8RelaxedQ15mulrS, I16x8RelaxedDotI8x16I7x16S,
        ];
        lane: [
            I8x16ReplaceLane, I16x8ReplaceLane, I32x4ReplaceLane, I64x2ReplaceLane,
            F32x4ReplaceLane, F64x2ReplaceLane,
        ];
        renamed: [];
    )
}

fn unop(op: UnaryOp) -> I<'static> {
    map_ops!(op, UnaryOp;
        same: [
            I32Eqz, I32Clz, I32Ctz, I32Popcnt, I64Eqz, I64Clz, I64Ctz, I64Popcnt,
            F32Abs, F32Neg, F32Ceil, F32Floor, F32Trunc, F32Nearest, F32Sqrt,
            F64Abs, F64Neg, F64Ceil, F64Floor, F64Trunc, F64Nearest, F64Sqrt,
            I32WrapI64, F32DemoteF64, F64PromoteF32,
            I32ReinterpretF32, I64ReinterpretF64, F32ReinterpretI32, F64ReinterpretI64,
            I32Extend8S, I32Extend16S, I64Extend8S, I64Extend16S, I64Extend32S,
            I8x16Splat, I16x8Splat, I32x4Splat, I64x2Splat, F32x4Splat, F64x2Splat,
            V128Not, V128AnyTrue,
            I8x16Abs, I8x16Popcnt, I8x16Neg, I8x16AllTrue, I8x16Bitmask,
            I16x8Abs, I16x8Neg, I16x8AllTrue, I16x8Bitmask,
            I32x4Abs, I32x4Neg, I32x4AllTrue, I32x4Bitmask,
            I64x2Abs, I64x2Neg, I64x2AllTrue, I64x2Bitmask,
            F32x4Abs, F32x4Neg, F32x4Sqrt, F32x4Ceil, F32x4Floor, F32x4Trunc, F32x4Nearest,
            F64x2Abs, F64x2Neg, F64x2Sqrt, F64x2Ceil, F64x2Floor, F64x2Trunc, F64x2Nearest,
            I16x8ExtAddPairwiseI8x16S, I16x8ExtAddPairwiseI8x16U,
            I32x4ExtAddPairwiseI16x8S, I32x4ExtAddPairwiseI16x8U,
            I64x2ExtendLowI32x4S, I64x2ExtendHighI32x4S, I64x2ExtendLowI32x4U,
            I64x2ExtendHighI32x4U,
            I32x4TruncSatF64x2SZero, I32x4TruncSatF64x2UZero,
            F64x2ConvertLowI32x4S, F64x2ConvertLowI32x4U,
            F32x4DemoteF64x2Zero, F64x2PromoteLowF32x4,
            I32x4TruncSatF32x4S, I32x4TruncSatF32x4U, F32x4ConvertI32x4S, F32x4ConvertI32x4U,
            I32x4RelaxedTruncF32x4S, I32x4RelaxedTruncF32x4U,
            I32x4RelaxedTruncF64x2SZero, I32x4RelaxedTruncF64x2UZero,
        ];
        lane: [
            I8x16ExtractLaneS, I8x16ExtractLaneU, I16x8ExtractLaneS, I16x8ExtractLaneU,
            I32x4ExtractLane, I64x2ExtractLane, F32x4ExtractLane, F64x2ExtractLane,
        ];
        renamed: [
            I32TruncSF32 => I32TruncF32S, I32TruncUF32 => I32TruncF32U,
            I32TruncSF64 => I32TruncF64S, I32TruncUF64 => I32TruncF64U,
            I64ExtendSI32 => I64ExtendI32S, I64ExtendUI32 => I64ExtendI32U,
            I64TruncSF32 => I64TruncF32S, I64TruncUF32 => I64TruncF32U,
            I64TruncSF64 => I64TruncF64S, I64TruncUF64 => I64TruncF64U,
            F32ConvertSI32 => F32ConvertI32S, F32ConvertUI32 => F32ConvertI32U,
            F32ConvertSI64 => F32ConvertI64S, F32ConvertUI64 => F32ConvertI64U,
            F64ConvertSI32 => F64ConvertI32S, F64ConvertUI32 => F64ConvertI32U,
            F64ConvertSI64 => F64ConvertI64S, F64ConvertUI64 => F64ConvertI64U,
            I32TruncSSatF32 => I32TruncSatF32S, I32TruncUSatF32 => I32TruncSatF32U,
            I32TruncSSatF64 => I32TruncSatF64S, I32TruncUSatF64 => I32TruncSatF64U,
            I64TruncSSatF32 => I64TruncSatF32S, I64TruncUSatF32 => I64TruncSatF32U,
            I64TruncSSatF64 => I64TruncSatF64S, I64TruncUSatF64 => I64TruncSatF64U,
            I16x8WidenLowI8x16S => I16x8ExtendLowI8x16S,
            I16x8WidenLowI8x16U => I16x8ExtendLowI8x16U,
            I16x8WidenHighI8x16S => I16x8ExtendHighI8x16S,
            I16x8WidenHighI8x16U => I16x8ExtendHighI8x16U,
            I32x4WidenLowI16x8S => I32x4ExtendLowI16x8S,
            I32x4WidenLowI16x8U => I32x4ExtendLowI16x8U,
            I32x4WidenHighI16x8S => I32x4ExtendHighI16x8S,
            I32x4WidenHighI16x8U => I32x4ExtendHighI16x8U,
        ];
    )
}
