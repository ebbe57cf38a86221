//! Save and restore an instrumented function's frame: the prologue that restores locals and
//! pops the call index when rewinding, and the epilogue that pushes them when unwinding.
//!
//! A frame has one of four layouts ([`FrameKind`]), private to the function that writes and
//! reads it:
//!
//! - *Fixed* (`-O0`, `--epilogues shared`, and `-O` where one group is best in functions
//!   with exception handlers or in small modules, or where a prefix word could not hold the
//!   frame): Binaryen's
//!   `[i32 call index][saved locals]`, each local packed at its natural size, in frame order
//!   (parameters first, then the others in creation order). Pushed and popped with
//!   `asyncify_push_frame(size)` and `asyncify_pop_frame(size)`.
//! - *Bare* (`-O`, one pause point, except with `--epilogues shared`; see `bare`): the saved
//!   locals alone, since the call index and the size are known.
//! - *Prefix* (`-O`, `--epilogues auto`, functions without exception handlers; see
//!   `chain`): the frame order puts the locals needed at most pause points first, and each
//!   pause point pushes the shortest of a few prefixes holding what is live there (one
//!   prefix, all of them, where more do not pay, in a module large enough to pay for the
//!   helpers; see `pipeline`), then a word on top holding the call index
//!   and the prefix's size, so that the prologue can pop the frame before knowing its size
//!   ([`PrefixHelpers`]). The word takes 2 bytes for call indices up to 255 and prefixes up
//!   to 508 bytes, else 4 ([`abi::PREFIX_SHORT_WORD_BYTES`]); so at `-O` frames are only
//!   2-byte aligned, and every frame access says so ([`StackPlace::align`]).
//! - *Grouped* (functions with exception handlers, `--epilogues exact`): each group of pause
//!   points ([`crate::analysis::save_groups`]) pushes `[its live locals][i32 call index]`;
//!   the prologue pops the index first and branches on it (`br_table`) to the restore of that
//!   group's frame.
//!
//! No frame is empty: runtimes take an unwind that leaves `pos` where it was to mean that no
//! function on the stack was instrumented.
//!
//! References (which Binaryen refuses) take 4 bytes: the index of a slot in a table of
//! their type that holds the reference from the unwind to the rewind, or -1 for null. The
//! slots are taken and released by helper functions; see [`crate::passes::ref_stack`] for
//! the design (several coroutines paused at once, rewound in any order). A non-nullable
//! reference is restored with `ref.as_non_null`. References are stored at every pause point
//! (every group holds them), since the prologue takes their side-stack slots back.
//!
//! A fixed frame (the bare, prefix and grouped code is shown at `bare`, `chain` and
//! `split_epilogue`):
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
use crate::analysis::save_groups::{FrameKind, SaveGroups};
use crate::error::{Error, Result};
use crate::ir::{
    binop, i32_const, if_else, local_get as get, local_set as set, new_seq, new_seq_typed,
};
use crate::passes::flow::FlowResult;
use crate::passes::ref_stack::{self, RefStacks, Saved};
use crate::passes::runtime_api::PrefixHelpers;
use walrus::ir::{
    BinaryOp, Block, Br, BrIf, BrTable, Const, Drop, Instr, InstrLocId, InstrSeqId, InstrSeqType,
    Load, LoadKind, LocalTee, MemArg, RefAsNonNull, RefNull, Store, StoreKind, Unreachable, Value,
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
    /// The alignment of frame accesses: [`abi::STACK_ALIGN`], or
    /// [`abi::PREFIX_STACK_ALIGN`] where prefix frames may be pushed.
    pub align: u32,
    /// `asyncify_push_frame(size) -> ptr`: reserve a frame while unwinding (traps before
    /// writing past the end of the buffer).
    pub push_frame: walrus::FunctionId,
    /// `asyncify_pop_frame(size) -> ptr`: release the top frame while rewinding.
    pub pop_frame: walrus::FunctionId,
}

/// Add the prologue and epilogue to an instrumented function. `saved` are the locals to keep
/// across a pause, in frame order; `groups` says which of them each pause point's epilogue
/// stores (one shared epilogue, or one per group: `split_epilogue`); `refs` has a side
/// stack for every reference type among them ([`ref_types`]). Returns the frame size in bytes
/// (call index included).
pub fn run(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    flow: &FlowResult,
    saved: &[LocalId],
    groups: &SaveGroups,
    stack: Stack,
    refs: &RefStacks,
) -> Result<FrameSizes> {
    let (place, prefix) = (stack.place, stack.prefix);
    // How each saved local is kept, in frame order.
    let mut slots = Vec::with_capacity(saved.len());
    for &local in saved {
        let ty = locals.get(local).ty();
        let how = match ref_stack::saved(ty) {
            Saved::Bytes(_) => Slot::Value,
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
        slots.push((local, ty, how));
    }
    let cx = FrameCode {
        e: Emitter { place },
        flow,
        slots,
    };

    let entry = func.entry_block();
    match groups.kind {
        FrameKind::Fixed => {
            // One frame layout: the call index first, then every saved local.
            let all: Vec<usize> = (0..cx.slots.len()).collect();
            let layout = cx.layout(abi::CALL_INDEX_BYTES, &all);
            let size = layout.size;
            let mut stores = cx.store_index(0);
            stores.extend(cx.stores(&layout));
            let epilogue = cx.push(size, stores);
            let instrs = &mut func.block_mut(entry).instrs;
            instrs.splice(flow.epilogue_at..flow.epilogue_at, epilogue);

            let mut loads = cx.load_index(0, false);
            loads.extend(cx.loads(&layout));
            let restore = cx.pop(size, loads);
            cx.add_prologue(func, restore);
            return Ok(FrameSizes {
                largest: size,
                smallest: size,
            });
        }
        FrameKind::Bare => return bare(func, &cx),
        FrameKind::Prefixes => {
            let helpers =
                prefix.ok_or_else(|| Error::internal("prefix frames without their helpers"))?;
            return chain(func, &cx, groups, helpers);
        }
        FrameKind::Grouped => {}
    }

    // A frame per group: its locals, then the call index on top, where the rewind finds it
    // before it knows the group.
    let layouts: Vec<Layout> = groups.groups.iter().map(|g| cx.layout(0, g)).collect();
    let epilogues = layouts
        .iter()
        .map(|layout| {
            let mut stores = cx.stores(layout);
            stores.extend(cx.store_index(layout.size));
            cx.push(layout.size + abi::CALL_INDEX_BYTES, stores)
        })
        .collect();
    split_epilogue(func, flow, groups, epilogues)?;

    // Pop the call index, then branch on it to the restore of its pause point's group:
    //
    //   (block $done
    //     (block $g1
    //       (block $g0
    //         (block $corrupt
    //           (br_table $corrupt $g.. ... (local.tee $resume (index + 1))))
    //         (unreachable))
    //       ...pop and restore group 0... (br $done))
    //     ...pop and restore group 1...)
    let index = cx.pop(abi::CALL_INDEX_BYTES, cx.load_index(0, true));
    let corrupt = new_seq(func, index);
    let done = func.builder_mut().dangling_instr_seq(None).id();
    let mut labels = Vec::with_capacity(layouts.len());
    let mut inner = corrupt;
    let mut tail = vec![(Unreachable {}.into(), InstrLocId::default())];
    for (g, layout) in layouts.iter().enumerate() {
        let mut body = vec![(Block { seq: inner }.into(), InstrLocId::default())];
        body.append(&mut tail);
        inner = new_seq(func, body);
        labels.push(inner);
        // Group `g` is restored right after its block ends.
        tail = match layout.size {
            // Nothing in memory (at most null references to restore).
            0 => cx.loads(layout),
            rest => cx.pop(rest, cx.loads(layout)),
        };
        if g + 1 < layouts.len() {
            tail.push((Br { block: done }.into(), InstrLocId::default()));
        }
    }
    let mut body = vec![(Block { seq: inner }.into(), InstrLocId::default())];
    body.append(&mut tail);
    func.block_mut(done).instrs = body;
    dispatch(func, corrupt, groups, &labels);
    cx.add_prologue(
        func,
        vec![(Block { seq: done }.into(), InstrLocId::default())],
    );
    let sizes = layouts.iter().map(|l| l.size + abi::CALL_INDEX_BYTES);
    Ok(FrameSizes {
        largest: sizes.clone().max().unwrap_or(0),
        smallest: sizes.min().unwrap_or(0),
    })
}

/// Frames that are prefixes of the frame order (see [`crate::analysis::save_groups::prefixes`]):
/// group `g` stores positions `..L[g]` (ascending lengths) at the offsets of the full frame,
/// then the word on top ([`PrefixHelpers::push`] writes it). Each local is stored once, in a
/// chain of blocks that each group's head enters at its own length:
///
/// ```wat
/// (block $k0
///   (block $k1
///     (block $u1 (result i32)
///       (block $u0 (result i32) (block $body ...) (return))  ;; group 0 branches to $u0
///       (local.set $frame (call $asyncify_push_prefix (i32.const L[0]'s bytes)))
///       (br $k0))
///     (local.set $frame (call $asyncify_push_prefix (i32.const L[1]'s bytes))))
///   ...store positions L[0]..L[1]...)
/// ...store positions ..L[0]...
/// ```
///
/// The rewind pops the frame whatever its size ([`PrefixHelpers::pop`] reads it from the
/// word), then enters the same chain of loads by comparing the size:
///
/// ```wat
/// (local.set $frame (call $asyncify_pop_prefix))
/// (local.set $resume (global.get $asyncify_prefix_resume))
/// (block $r0
///   (block $r1
///     (br_if $r0 (i32.le_u (global.get $asyncify_prefix_bytes) (i32.const L[0]'s bytes))))
///   ...load positions L[0]..L[1]...)
/// ...load positions ..L[0]...
/// ```
///
/// With one group there is no chain: the push (`(local.tee $frame (call
/// $asyncify_push_prefix (i32.const bytes)))`) and the stores follow the unwind block, and
/// the pop and the loads start the prologue.
fn chain(
    func: &mut LocalFunction,
    cx: &FrameCode<'_>,
    groups: &SaveGroups,
    helpers: PrefixHelpers,
) -> Result<FrameSizes> {
    let flow = cx.flow;
    let all: Vec<usize> = (0..cx.slots.len()).collect();
    let layout = cx.layout(0, &all);
    let lengths: Vec<usize> = groups.groups.iter().map(Vec::len).collect();
    let count = lengths.len();
    // Bytes before position `l`: the size of a prefix of length `l`.
    let bytes = |l: usize| {
        layout.entries[..l]
            .last()
            .map_or(0, |&(p, at)| at + ref_stack::frame_bytes(cx.slots[p].1))
    };
    if layout.size > abi::PREFIX_MAX_BYTES
        || groups.site_group.len() > abi::PREFIX_MAX_INDEX as usize + 1
    {
        return Err(Error::internal("a prefix frame too large for its word"));
    }
    // The positions chain segment `g` covers, `L[g - 1]..L[g]`, last first.
    let segment = |g: usize| {
        let start = if g == 0 { 0 } else { lengths[g - 1] };
        Layout {
            entries: layout.entries[start..lengths[g]]
                .iter()
                .rev()
                .copied()
                .collect(),
            size: layout.size,
        }
    };
    // The chain `(block $c0 (block $c1 ... (block $c[last]) segment(last)) ...)
    // segment(0)`: a branch to `$cg` runs segments g, g - 1, ..., 0. Returns the labels and
    // the outermost block with segment 0 after it; the caller fills the innermost block.
    let nest = |func: &mut LocalFunction,
                segment_code: &dyn Fn(usize) -> Vec<(Instr, InstrLocId)>| {
        let labels: Vec<InstrSeqId> = (0..count)
            .map(|_| func.builder_mut().dangling_instr_seq(None).id())
            .collect();
        for g in (0..count - 1).rev() {
            let mut body = vec![(Block { seq: labels[g + 1] }.into(), InstrLocId::default())];
            body.extend(segment_code(g + 1));
            func.block_mut(labels[g]).instrs = body;
        }
        let mut outer = vec![(Block { seq: labels[0] }.into(), InstrLocId::default())];
        outer.extend(segment_code(0));
        (labels, outer)
    };

    // Reserve group `g`'s frame (the call index is on the stack), leaving its address in
    // `$frame` and on the stack.
    let reserve = |g: usize| {
        vec![
            i32_const(bytes(lengths[g]) as i32),
            FrameCode::call(helpers.push),
            (LocalTee { local: flow.frame }.into(), InstrLocId::default()),
        ]
    };
    // Pop any frame, then `body` (which reads the frame's address from `$frame`).
    let release = |body: Vec<(Instr, InstrLocId)>| {
        let head = vec![
            FrameCode::call(helpers.pop),
            (LocalTee { local: flow.frame }.into(), InstrLocId::default()),
        ];
        let mut out = cx.fuse(head, body);
        // The address may stay on the stack meanwhile.
        out.splice(
            2..2,
            [crate::ir::global_get(helpers.resume), set(flow.resume)],
        );
        out
    };
    // Each pause point's frame: its locals and the word (whose size depends on both).
    let frame_sizes = groups.site_group.iter().enumerate().map(|(index, &g)| {
        let locals = bytes(lengths[g as usize]);
        locals + abi::prefix_word_bytes(index as u32, locals)
    });
    let sizes = FrameSizes {
        largest: frame_sizes.clone().max().unwrap_or(0),
        smallest: frame_sizes.min().unwrap_or(0),
    };
    if count == 1 {
        // No chain: every pause point pushes the whole frame.
        let mut epilogue = vec![(
            Block {
                seq: flow.unwind_block,
            }
            .into(),
            InstrLocId::default(),
        )];
        epilogue.extend(cx.fuse(reserve(0), cx.stores(&segment(0))));
        replace_unwind_block(func, flow, epilogue)?;
        cx.add_prologue(func, release(cx.loads(&segment(0))));
        return Ok(sizes);
    }

    // Unwind: each group's head, in the nested unwind blocks, pushes its frame and branches
    // into the chain of stores; the last one falls into it.
    let heads: Vec<InstrSeqId> = (1..count)
        .map(|_| func.builder_mut().dangling_instr_seq(ValType::I32).id())
        .collect();
    let mut labels = vec![flow.unwind_block];
    labels.extend(&heads);
    let (chain_labels, epilogue) = nest(func, &|g| cx.stores(&segment(g)));
    for g in 0..count {
        let mut body = vec![(Block { seq: labels[g] }.into(), InstrLocId::default())];
        body.extend(cx.fuse(reserve(g), Vec::new()));
        let seq = if g + 1 < count {
            body.push((
                Br {
                    block: chain_labels[g],
                }
                .into(),
                InstrLocId::default(),
            ));
            labels[g + 1]
        } else {
            chain_labels[g]
        };
        func.block_mut(seq).instrs = body;
    }
    replace_unwind_block(func, flow, epilogue)?;
    retarget_pause_points(func, flow, groups, &labels)?;

    // Rewind: pop, decode the word, branch into the chain of loads by the frame's size.
    let (rewind_labels, loads) = nest(func, &|g| cx.loads(&segment(g)));
    let mut dispatch = Vec::new();
    for (g, &label) in rewind_labels.iter().enumerate().take(count - 1) {
        dispatch.extend([
            crate::ir::global_get(helpers.bytes),
            i32_const(bytes(lengths[g]) as i32),
            binop(BinaryOp::I32LeU),
            (BrIf { block: label }.into(), InstrLocId::default()),
        ]);
    }
    func.block_mut(rewind_labels[count - 1]).instrs = dispatch;
    cx.add_prologue(func, release(loads));
    Ok(sizes)
}

/// The frame of a function with one pause point: its saved locals, nothing else (the call
/// index is 0 and the size known). The unwind carries no index either:
///
/// ```wat
/// ;; before (from the flow pass; $x is live at the pause)
/// (block $unwind (result i32)
///   ... (call $sleep) (drop (br_if $unwind (i32.const 0) (local.tee $resume (global.get $state))))
///   ...)
/// (local.set $unwind_index)
/// ;; after
/// (block $unwind
///   ... (call $sleep) (br_if $unwind (local.tee $resume (global.get $state)))
///   ...)
/// (i32.store (local.tee $frame (call $asyncify_push_frame (i32.const 4))) (local.get $x))
/// ;; and the prologue
/// (if (global.get $__asyncify_state)
///   (then
///     (local.set $resume (i32.const 1))
///     (local.set $x (i32.load (call $asyncify_pop_frame (i32.const 4))))))
/// ```
///
/// With nothing to save, the frame is [`StackPlace::align`] bytes that are reserved and never
/// written: no frame is empty.
fn bare(func: &mut LocalFunction, cx: &FrameCode<'_>) -> Result<FrameSizes> {
    let flow = cx.flow;
    let all: Vec<usize> = (0..cx.slots.len()).collect();
    let layout = cx.layout(0, &all);
    let bytes = layout.size;
    let size = if bytes == 0 { cx.e.place.align } else { bytes };
    let mut epilogue = vec![(
        Block {
            seq: flow.unwind_block,
        }
        .into(),
        InstrLocId::default(),
    )];
    if !unwind_without_index(func, flow) {
        epilogue.push((Drop {}.into(), InstrLocId::default()));
    }
    let mut restore = vec![i32_const(1), set(flow.resume)];
    if bytes == 0 {
        // Reserve and release the bytes; at most null references to restore.
        let place = cx.e.place;
        for (helper, code) in [
            (place.push_frame, &mut epilogue),
            (place.pop_frame, &mut restore),
        ] {
            code.extend([
                cx.e.ptr_const(i64::from(size)),
                FrameCode::call(helper),
                (Drop {}.into(), InstrLocId::default()),
            ]);
        }
        restore.extend(cx.loads(&layout));
    } else {
        epilogue.extend(cx.push(size, cx.stores(&layout)));
        restore.extend(cx.pop(size, cx.loads(&layout)));
    }
    replace_unwind_block(func, flow, epilogue)?;
    cx.add_prologue(func, restore);
    Ok(FrameSizes {
        largest: size,
        smallest: size,
    })
}

/// Make the one unwind exit of a function with a single pause point leave without a call
/// index, `(br_if $unwind cond)` instead of `(drop (br_if $unwind (i32.const 0) cond))`,
/// and `$unwind` a block without a result. Returns whether it did (the exit is as the flow
/// pass made it); if not, nothing changed and the block still ends with the index.
fn unwind_without_index(func: &mut LocalFunction, flow: &FlowResult) -> bool {
    let [site] = &flow.pause_sites[..] else {
        return false;
    };
    let Some(at) = unwind_exit(func, flow, site.guard) else {
        return false;
    };
    let instrs = &func.block(site.guard).instrs;
    let exit = at
        .checked_sub(3)
        .and_then(|start| instrs.get(start..at + 2));
    let Some(
        [
            (Instr::Const(_), _),
            (Instr::GlobalGet(_), _),
            (Instr::LocalTee(_), _),
            (Instr::BrIf(_), _),
            (Instr::Drop(_), _),
        ],
    ) = exit
    else {
        return false;
    };
    let instrs = &mut func.block_mut(site.guard).instrs;
    instrs.remove(at + 1);
    instrs.remove(at - 3);
    func.block_mut(flow.unwind_block).ty = InstrSeqType::Simple(None);
    true
}

/// End `corrupt` (which leaves `$resume`, the call index + 1, on the stack) with the
/// `br_table` to the label of each pause point's group; 0 and anything past the last call
/// index branch out of `corrupt` itself, which is followed by `unreachable`.
fn dispatch(
    func: &mut LocalFunction,
    corrupt: InstrSeqId,
    groups: &SaveGroups,
    labels: &[InstrSeqId],
) {
    let table: Box<[_]> = std::iter::once(corrupt)
        .chain(groups.site_group.iter().map(|&g| labels[g as usize]))
        .collect();
    func.block_mut(corrupt).instrs.push((
        BrTable {
            blocks: table,
            default: corrupt,
        }
        .into(),
        InstrLocId::default(),
    ));
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
/// where each group's epilogue pushes a frame of its own (its locals, then the call index).
/// (A `br_table` on the call index after one shared block would be smaller, but to an engine
/// building SSA form every local read after it would still come from every pause point.) The
/// prologue is
///
/// ```wat
/// (block $g1
///   (block $g0
///     (block $corrupt
///       (br_table $corrupt $g0 $g1 $g0 ...   ;; by call index + 1
///         (local.tee $resume (i32.add (i32.load (call $asyncify_pop_frame (i32.const 4)))
///           (i32.const 1)))))
///     (unreachable))
///   ...pop and restore group 0's frame... (br $done))
/// ...pop and restore group 1's frame...
/// ```
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
    replace_unwind_block(
        func,
        flow,
        vec![(Block { seq: done }.into(), InstrLocId::default())],
    )?;
    retarget_pause_points(func, flow, groups, &labels)
}

/// Put `instrs` where the flow pass left `(block $u0) (local.set $unwind_index)`, right
/// before `epilogue_at`.
fn replace_unwind_block(
    func: &mut LocalFunction,
    flow: &FlowResult,
    instrs: Vec<(Instr, InstrLocId)>,
) -> Result<()> {
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
    func.block_mut(entry)
        .instrs
        .splice(at..flow.epilogue_at, instrs);
    Ok(())
}

/// Make each pause point's unwind exit (its own `br_if $u0`) branch to its group's label.
fn retarget_pause_points(
    func: &mut LocalFunction,
    flow: &FlowResult,
    groups: &SaveGroups,
    labels: &[InstrSeqId],
) -> Result<()> {
    for site in &flow.pause_sites {
        let label = labels[groups.site_group[site.index as usize] as usize];
        let at = unwind_exit(func, flow, site.guard)
            .ok_or_else(|| Error::internal("a pause point without its unwind exit"))?;
        if let Instr::BrIf(exit) = &mut func.block_mut(site.guard).instrs[at].0 {
            exit.block = label;
        }
    }
    Ok(())
}

/// Where in `guard` (a pause point's sequence) its unwind exit is: the `br_if` to the flow
/// pass's unwind block.
fn unwind_exit(func: &LocalFunction, flow: &FlowResult, guard: InstrSeqId) -> Option<usize> {
    func.block(guard)
        .instrs
        .iter()
        .position(|(i, _)| matches!(i, Instr::BrIf(b) if b.block == flow.unwind_block))
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
    /// In the frame, at its natural size.
    Value,
    /// A slot index in the frame; the side stack's save and load helpers.
    Ref(walrus::FunctionId, walrus::FunctionId),
    /// Nothing kept: always null.
    Null,
}

/// Where frames go, and the helpers pushing and popping them.
#[derive(Clone, Copy, Debug)]
pub struct Stack {
    /// The stack, and the helpers of fixed-size frames.
    pub place: StackPlace,
    /// The helpers of prefix frames, once some function has them.
    pub prefix: Option<PrefixHelpers>,
}

/// The sizes of an instrumented function's frames, in bytes (call index included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSizes {
    /// The largest frame a pause point pushes.
    pub largest: u32,
    /// The smallest.
    pub smallest: u32,
}

/// Where some of the saved locals go in a frame.
struct Layout {
    /// Positions (in frame order) and their offsets.
    entries: Vec<(usize, u32)>,
    /// Where the last of them ends: the frame's size, without a call index on top.
    size: u32,
}

/// Builds a function's frame code.
struct FrameCode<'a> {
    e: Emitter,
    flow: &'a FlowResult,
    /// Each saved local, its type and how it is kept, in frame order.
    slots: Vec<(LocalId, ValType, Slot)>,
}

impl FrameCode<'_> {
    /// The frame holding `positions` packed from byte `start` (4 in a fixed frame, after its
    /// call index; else 0).
    fn layout(&self, start: u32, positions: &[usize]) -> Layout {
        let mut offset = start;
        let entries = positions
            .iter()
            .map(|&p| {
                let at = offset;
                offset += ref_stack::frame_bytes(self.slots[p].1);
                (p, at)
            })
            .collect();
        Layout {
            entries,
            size: offset,
        }
    }

    fn call(func: walrus::FunctionId) -> (Instr, InstrLocId) {
        (walrus::ir::Call { func }.into(), InstrLocId::default())
    }

    /// `(local.tee $frame (call $helper (size)))`.
    fn frame_from(&self, helper: walrus::FunctionId, size: u32) -> Vec<(Instr, InstrLocId)> {
        vec![
            self.e.ptr_const(i64::from(size)),
            Self::call(helper),
            (
                LocalTee {
                    local: self.flow.frame,
                }
                .into(),
                InstrLocId::default(),
            ),
        ]
    }

    /// Reserve a frame of `size` bytes while unwinding, then run `body` (which reads the
    /// frame's address from `$frame`).
    fn push(&self, size: u32, body: Vec<(Instr, InstrLocId)>) -> Vec<(Instr, InstrLocId)> {
        self.fuse(self.frame_from(self.e.place.push_frame, size), body)
    }

    /// Release the top `size` bytes while rewinding, then run `body` (which reads their
    /// address from `$frame`).
    fn pop(&self, size: u32, body: Vec<(Instr, InstrLocId)>) -> Vec<(Instr, InstrLocId)> {
        self.fuse(self.frame_from(self.e.place.pop_frame, size), body)
    }

    /// `head` ends with `local.tee $frame`: let `body`'s first `local.get $frame` take that
    /// value instead, or make the tee a `local.set` when `body` does not start with one.
    fn fuse(
        &self,
        mut head: Vec<(Instr, InstrLocId)>,
        mut body: Vec<(Instr, InstrLocId)>,
    ) -> Vec<(Instr, InstrLocId)> {
        match body.first() {
            Some((Instr::LocalGet(g), _)) if g.local == self.flow.frame => {
                body.remove(0);
            }
            _ => {
                head.pop();
                head.push(set(self.flow.frame));
            }
        }
        head.append(&mut body);
        head
    }

    fn store_index(&self, offset: u32) -> Vec<(Instr, InstrLocId)> {
        vec![
            get(self.flow.frame),
            get(self.flow.unwind_index),
            self.e.store(ValType::I32, offset),
        ]
    }

    /// `$resume` = the call index + 1, left on the stack too if `keep`.
    fn load_index(&self, offset: u32, keep: bool) -> Vec<(Instr, InstrLocId)> {
        let resume = self.flow.resume;
        vec![
            get(self.flow.frame),
            self.e.load(ValType::I32, offset),
            i32_const(1),
            binop(BinaryOp::I32Add),
            if keep {
                (LocalTee { local: resume }.into(), InstrLocId::default())
            } else {
                set(resume)
            },
        ]
    }

    fn stores(&self, layout: &Layout) -> Vec<(Instr, InstrLocId)> {
        let mut out = Vec::new();
        for &(p, offset) in &layout.entries {
            let (local, ty, how) = self.slots[p];
            match how {
                Slot::Value => {
                    out.push(get(self.flow.frame));
                    out.push(get(local));
                    out.push(self.e.store(ty, offset));
                }
                Slot::Ref(save, _) => {
                    out.push(get(self.flow.frame));
                    out.push(get(local));
                    out.push(Self::call(save));
                    out.push(self.e.store(ValType::I32, offset));
                }
                Slot::Null => {}
            }
        }
        out
    }

    fn loads(&self, layout: &Layout) -> Vec<(Instr, InstrLocId)> {
        let mut out = Vec::new();
        for &(p, offset) in &layout.entries {
            let (local, ty, how) = self.slots[p];
            let non_null = matches!(ty, ValType::Ref(r) if !r.nullable);
            match how {
                Slot::Value => {
                    out.push(get(self.flow.frame));
                    out.push(self.e.load(ty, offset));
                }
                Slot::Ref(_, load) => {
                    out.push(get(self.flow.frame));
                    out.push(self.e.load(ValType::I32, offset));
                    out.push(Self::call(load));
                    if non_null {
                        out.push((RefAsNonNull {}.into(), InstrLocId::default()));
                    }
                }
                // An uninhabited type (a non-nullable bottom type) is never live.
                Slot::Null if non_null => continue,
                Slot::Null => {
                    let ValType::Ref(r) = ty else { unreachable!() };
                    out.push((RefNull { ty: r }.into(), InstrLocId::default()));
                }
            }
            out.push(set(local));
        }
        out
    }

    /// Put `restore` first in the function, run only when rewinding. (A function is only
    /// ever entered in normal mode or while rewinding, so any non-zero state means
    /// rewinding.)
    fn add_prologue(&self, func: &mut LocalFunction, restore: Vec<(Instr, InstrLocId)>) {
        let then = new_seq(func, restore);
        let otherwise = new_seq(func, Vec::new());
        let prologue = vec![
            crate::ir::global_get(self.e.place.state),
            if_else(then, otherwise),
        ];
        let entry = func.entry_block();
        func.block_mut(entry).instrs.splice(0..0, prologue);
    }
}

struct Emitter {
    place: StackPlace,
}

impl Emitter {
    fn arg(&self, offset: u32) -> MemArg {
        MemArg {
            align: self.place.align,
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
