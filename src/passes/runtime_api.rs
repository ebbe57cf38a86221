//! Add the ABI: the two globals and the five exported control functions, and work out which
//! `asyncify.*` imports become calls to them.
//!
//! ```wat
//! ;; before
//! (import "asyncify" "start_unwind" (func $start (param i32)))
//! ;; after: the import is gone, calls to it call the generated function
//! (global $__asyncify_state (mut i32) (i32.const 0))
//! (global $__asyncify_data (mut i32) (i32.const 0))
//! (func $asyncify_start_unwind (export "asyncify_start_unwind") (param i32)
//!   (global.set $__asyncify_state (i32.const 1))
//!   (global.set $__asyncify_data (local.get 0))
//!   ;; the host's buffer must not have overflowed
//!   (if (i32.gt_u (i32.load (global.get $__asyncify_data))
//!                 (i32.load offset=4 (global.get $__asyncify_data)))
//!     (then unreachable)))
//! ;; ... asyncify_stop_unwind, asyncify_start_rewind, asyncify_stop_rewind,
//! ;;     asyncify_get_state
//! ```
//!
//! Where things go (Binaryen's options, see [`crate::abi`]):
//! - the memory: the only one; with several, the one `--memory` names (by export name, or
//!   name-section name), else the one exported as `memory`, else an error listing them; with
//!   `--in-secondary-memory` a new one (`--secondary-memory-size` pages, 32-bit) that is
//!   exported as `asyncify_memory` so the host can write the data structure into it (Binaryen
//!   adds it without exporting it, which leaves no way to do that);
//! - the globals: defined, or imported from `env` with `--import-globals` (appended to the
//!   imports, so the module's own globals move up by two), and exported under their names with
//!   `--export-globals`.

use crate::abi::{self, Api, PointerWidth};
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::passes::frame::StackPlace;
use crate::{Diagnostic, Level};
use walrus::ir::{BinaryOp, Value};
use walrus::{
    ConstExpr, ExportItem, FunctionBuilder, FunctionId, FunctionKind, GlobalId, MemoryId, Module,
    ValType,
};

/// What [`run`] added to the module.
#[derive(Clone, Debug)]
pub struct Runtime {
    /// Globals, memory and pointer width the instrumentation uses.
    pub place: StackPlace,
    /// The generated API functions, in ABI order.
    pub functions: Vec<(Api, FunctionId)>,
    /// Every function added, in the order they are appended: the frame helpers, then the
    /// API functions.
    pub added_functions: Vec<FunctionId>,
    /// Globals appended to the module, in order.
    pub globals: Vec<GlobalId>,
    /// Globals imported (appended to the imports), in order (`--import-globals`).
    pub imported_globals: Vec<GlobalId>,
    /// A memory added because the module had none, or for `--in-secondary-memory` (exported as
    /// `asyncify_memory`, so a host can set up the data structure in it).
    pub added_memory: Option<MemoryId>,
    /// Exports added, in order.
    pub exports: Vec<(String, ExportItem)>,
    /// `asyncify.*` imports to remove, with the generated function each stands for.
    pub replaced_imports: Vec<(FunctionId, FunctionId)>,
}

/// Add the globals and API functions, choosing (or adding) the memory for the stack.
pub fn run(
    module: &mut Module,
    options: &Options,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Runtime> {
    check_no_clashes(module, options)?;
    let (memory, added_memory) = choose_memory(module, options, diagnostics)?;
    let width = if module.memories.get(memory).memory64 {
        PointerWidth::W64
    } else {
        PointerWidth::W32
    };
    let ptr = width.val_type();

    let zero_ptr = match width {
        PointerWidth::W32 => Value::I32(0),
        PointerWidth::W64 => Value::I64(0),
    };
    let mut globals = Vec::new();
    let mut imported_globals = Vec::new();
    let mut add_global = |module: &mut Module, name: &str, ty: ValType, zero: Value| {
        let id = if options.import_globals {
            let (id, _) =
                module.add_import_global(abi::GLOBALS_IMPORT_MODULE, name, ty, true, false);
            imported_globals.push(id);
            id
        } else {
            let id = module
                .globals
                .add_local(ty, true, false, ConstExpr::Value(zero));
            globals.push(id);
            id
        };
        module.globals.get_mut(id).name = Some(name.to_string());
        id
    };
    let state = add_global(module, abi::STATE_GLOBAL, ValType::I32, Value::I32(0));
    let data = add_global(module, abi::DATA_GLOBAL, ptr, zero_ptr);
    let (push_frame, pop_frame) = add_frame_helpers(module, data, memory, width);
    let place = StackPlace {
        state,
        data,
        memory,
        width,
        align: if options.prefix_frames() {
            abi::PREFIX_STACK_ALIGN
        } else {
            abi::STACK_ALIGN
        },
        push_frame,
        pop_frame,
    };

    let mut functions = Vec::new();
    let mut exports = Vec::new();
    for api in abi::API {
        let id = add_api_function(module, api, place);
        functions.push((api, id));
        exports.push((api.export_name().to_string(), ExportItem::Function(id)));
    }
    if let Some(memory) = added_memory {
        exports.push((abi::ADDED_MEMORY.to_string(), ExportItem::Memory(memory)));
    }
    if options.export_globals {
        exports.push((abi::STATE_GLOBAL.to_string(), ExportItem::Global(state)));
        exports.push((abi::DATA_GLOBAL.to_string(), ExportItem::Global(data)));
    }
    for (name, item) in &exports {
        module.exports.add(name, *item);
    }

    let mut replaced_imports = Vec::new();
    for func in module.funcs.iter() {
        let FunctionKind::Import(import) = &func.kind else {
            continue;
        };
        let import = module.imports.get(import.import);
        if import.module != abi::IMPORT_MODULE {
            continue;
        }
        let api = Api::from_import_name(&import.name).ok_or_else(|| {
            Error::unsupported(format!(
                "unknown asyncify import `{}.{}`; the in-module API is `start_unwind`, \
                 `stop_unwind`, `start_rewind`, `stop_rewind` and `get_state`",
                import.module, import.name
            ))
        })?;
        let (_, generated) = functions.iter().find(|(a, _)| *a == api).unwrap();
        let want = module.funcs.get(*generated).ty();
        if module.types.params(func.ty()) != module.types.params(want)
            || module.types.results(func.ty()) != module.types.results(want)
        {
            return Err(Error::new(
                ErrorKind::BadOptions,
                format!(
                    "import `asyncify.{}` has type {}, but asyncify's `{}` has type {}",
                    import.name,
                    signature(module, func.ty()),
                    api.export_name(),
                    signature(module, want)
                ),
            ));
        }
        replaced_imports.push((func.id(), *generated));
    }

    let added_functions = [push_frame, pop_frame]
        .into_iter()
        .chain(functions.iter().map(|(_, f)| *f))
        .collect();
    Ok(Runtime {
        place,
        added_functions,
        exports,
        functions,
        globals,
        imported_globals,
        added_memory,
        replaced_imports,
    })
}

fn add_api_function(module: &mut Module, api: Api, place: StackPlace) -> FunctionId {
    let ptr = place.width.val_type();
    let (params, results): (&[ValType], &[ValType]) = match api {
        Api::GetState => (&[], &[ValType::I32]),
        _ if api.takes_data() => (std::slice::from_ref(&ptr), &[]),
        _ => (&[], &[]),
    };
    let mut builder = FunctionBuilder::new(&mut module.types, params, results);
    builder.name(api.export_name().to_string());
    let arg = module.locals.add(ptr);
    let mut body = builder.func_body();
    match api.sets_state() {
        None => {
            body.global_get(place.state);
        }
        Some(state) => {
            body.i32_const(state).global_set(place.state);
            if api.takes_data() {
                body.local_get(arg).global_set(place.data);
            }
            // Trap if the stack already ran past its end (Binaryen's check, kept as is).
            let (load, gt) = match place.width {
                PointerWidth::W32 => (
                    walrus::ir::LoadKind::I32 { atomic: false },
                    BinaryOp::I32GtU,
                ),
                PointerWidth::W64 => (
                    walrus::ir::LoadKind::I64 { atomic: false },
                    BinaryOp::I64GtU,
                ),
            };
            let arg_at = |offset| walrus::ir::MemArg {
                align: place.width.bytes(),
                offset,
            };
            body.global_get(place.data)
                .load(place.memory, load, arg_at(place.width.pos_offset()))
                .global_get(place.data)
                .load(place.memory, load, arg_at(place.width.end_offset()))
                .binop(gt)
                .if_else(
                    None,
                    |then| {
                        then.unreachable();
                    },
                    |_| {},
                );
        }
    }
    let args = if api.takes_data() { vec![arg] } else { vec![] };
    builder.finish(args, &mut module.funcs)
}

/// `asyncify_push_frame(size) -> ptr` and `asyncify_pop_frame(size) -> ptr`, shared by every
/// instrumented function's epilogue and prologue.
///
/// Pushing checks the bound *before* the caller writes the frame: if it does not fit, `pos`
/// is left at what would have been needed so far (so the host can tell how much that was)
/// and the unwind traps, without a byte written past `end`. (Binaryen only checks in the API
/// functions, after the frames were written over whatever follows the buffer.)
fn add_frame_helpers(
    module: &mut Module,
    data: GlobalId,
    memory: MemoryId,
    width: PointerWidth,
) -> (FunctionId, FunctionId) {
    let ptr = width.val_type();
    let ops = pointer_ops(width);

    let size = module.locals.add(ptr);
    let pos = module.locals.add(ptr);
    let new = module.locals.add(ptr);
    let mut builder = FunctionBuilder::new(&mut module.types, &[ptr], &[ptr]);
    builder.name("asyncify_push_frame".to_string());
    let mut body = builder.func_body();
    body.global_get(data)
        .load(memory, ops.load, ops.arg(width.pos_offset()))
        .local_tee(pos)
        .local_get(size)
        .binop(ops.add)
        .local_tee(new);
    move_pos_checked(&mut body, data, memory, width, new);
    body.local_get(pos);
    let push = builder.finish(vec![size], &mut module.funcs);

    let size = module.locals.add(ptr);
    let new = module.locals.add(ptr);
    let mut builder = FunctionBuilder::new(&mut module.types, &[ptr], &[ptr]);
    builder.name("asyncify_pop_frame".to_string());
    builder
        .func_body()
        .global_get(data)
        .load(memory, ops.load, ops.arg(width.pos_offset()))
        .local_get(size)
        .binop(ops.sub)
        .local_set(new)
        .global_get(data)
        .local_get(new)
        .store(memory, ops.store, ops.arg(width.pos_offset()))
        .local_get(new);
    let pop = builder.finish(vec![size], &mut module.funcs);
    for (local, name) in [(pos, "pos"), (new, "new")] {
        module.locals.get_mut(local).name = Some(name.to_string());
    }
    (push, pop)
}

/// The helpers of functions whose frames hold a prefix of their saved locals (see
/// [`crate::analysis::save_groups::prefixes`]), added by [`add_prefix_helpers`] when the
/// first such function needs them.
#[derive(Clone, Copy, Debug)]
pub struct PrefixHelpers {
    /// `asyncify_push_prefix(index: i32, bytes: i32) -> ptr`: reserve a frame of `bytes`
    /// bytes of locals and the word on top, which it writes (short or long, see
    /// [`abi::PREFIX_SHORT_WORD_BYTES`]); like `asyncify_push_frame` it traps before
    /// writing past `end`.
    pub push: FunctionId,
    /// `asyncify_pop_prefix() -> ptr`: release the top frame, whose size the word on top
    /// says, and return its address; sets [`PrefixHelpers::resume`] and
    /// [`PrefixHelpers::bytes`] from the word.
    pub pop: FunctionId,
    /// `asyncify_prefix_resume`: the popped frame's call index + 1.
    pub resume: GlobalId,
    /// `asyncify_prefix_bytes`: the popped frame's bytes of locals.
    pub bytes: GlobalId,
}

/// Add [`PrefixHelpers`] for the stack at `place`.
pub fn add_prefix_helpers(module: &mut Module, place: StackPlace) -> PrefixHelpers {
    let (data, memory, width) = (place.data, place.memory, place.width);
    let ptr = width.val_type();
    let ops = pointer_ops(width);
    // Words, like the frames under them, are only 2-byte aligned.
    let word = walrus::ir::MemArg {
        align: abi::PREFIX_STACK_ALIGN,
        offset: 0,
    };
    // The `i32` on top of the stack as a pointer.
    let widen = |body: &mut walrus::InstrSeqBuilder<'_>| {
        if width == PointerWidth::W64 {
            body.unop(walrus::ir::UnaryOp::I64ExtendUI32);
        }
    };
    let ptr_const = |body: &mut walrus::InstrSeqBuilder<'_>, value: u32| {
        match width {
            PointerWidth::W32 => body.i32_const(value as i32),
            PointerWidth::W64 => body.i64_const(i64::from(value)),
        };
    };

    // pos = data.pos; top = pos + bytes; short = index <= 255 & bytes <= 508;
    // new = top + (short ? 2 : 4); if new > data.end { data.pos = new; unreachable }
    // data.pos = new; *top = short ? index << 1 | bytes << 7 (16 bits)
    //                              : index | 1 << 16 | bytes << 15; return pos
    let (index, bytes) = (
        module.locals.add(ValType::I32),
        module.locals.add(ValType::I32),
    );
    let short = module.locals.add(ValType::I32);
    let (pos, top, new) = (
        module.locals.add(ptr),
        module.locals.add(ptr),
        module.locals.add(ptr),
    );
    let mut builder =
        FunctionBuilder::new(&mut module.types, &[ValType::I32, ValType::I32], &[ptr]);
    builder.name("asyncify_push_prefix".to_string());
    let mut body = builder.func_body();
    body.global_get(data)
        .load(memory, ops.load, ops.arg(width.pos_offset()))
        .local_tee(pos)
        .local_get(bytes);
    widen(&mut body);
    body.binop(ops.add).local_tee(top);
    ptr_const(&mut body, abi::PREFIX_SHORT_WORD_BYTES);
    ptr_const(&mut body, abi::PREFIX_LONG_WORD_BYTES);
    body.local_get(index)
        .i32_const(abi::PREFIX_SHORT_MAX_INDEX as i32)
        .binop(BinaryOp::I32LeU)
        .local_get(bytes)
        .i32_const(abi::PREFIX_SHORT_MAX_BYTES as i32)
        .binop(BinaryOp::I32LeU)
        .binop(BinaryOp::I32And)
        .local_tee(short)
        .select(None)
        .binop(ops.add)
        .local_tee(new);
    move_pos_checked(&mut body, data, memory, width, new);
    body.local_get(short).if_else(
        None,
        |short| {
            short
                .local_get(top)
                .local_get(index)
                .i32_const(1)
                .binop(BinaryOp::I32Shl)
                .local_get(bytes)
                .i32_const(abi::PREFIX_SHORT_SIZE_SHIFT as i32 - 2)
                .binop(BinaryOp::I32Shl)
                .binop(BinaryOp::I32Or)
                .store(
                    memory,
                    walrus::ir::StoreKind::I32_16 { atomic: false },
                    word,
                );
        },
        |long| {
            long.local_get(top)
                .local_get(index)
                .i32_const(abi::PREFIX_LONG_FLAG as i32)
                .binop(BinaryOp::I32Or)
                .local_get(bytes)
                .i32_const(abi::PREFIX_LONG_SIZE_SHIFT as i32 - 2)
                .binop(BinaryOp::I32Shl)
                .binop(BinaryOp::I32Or)
                .store(memory, walrus::ir::StoreKind::I32 { atomic: false }, word);
        },
    );
    body.local_get(pos);
    let push = builder.finish(vec![index, bytes], &mut module.funcs);

    // end = data.pos; top = end - 2; half = *(u16 *)top;
    // if half & 1 { top = end - 4; w = *top; resume = (w & 0xffff) + 1; bytes = w >> 17 << 2 }
    // else { resume = (half >> 1 & 0xff) + 1; bytes = half >> 9 << 2 }
    // data.pos = top - bytes; return data.pos
    let [resume, popped_bytes] = ["asyncify_prefix_resume", "asyncify_prefix_bytes"].map(|name| {
        let id =
            module
                .globals
                .add_local(ValType::I32, true, false, ConstExpr::Value(Value::I32(0)));
        module.globals.get_mut(id).name = Some(name.to_string());
        id
    });
    let (end, half, w, top_of_frame) = (
        module.locals.add(ptr),
        module.locals.add(ValType::I32),
        module.locals.add(ValType::I32),
        module.locals.add(ptr),
    );
    let new_pos = module.locals.add(ptr);
    // `resume` and `bytes` from the word in `from`: the index at `index_shift` (`index_mask`
    // wide), the bytes / 4 from `size_shift` up.
    let decode = |body: &mut walrus::InstrSeqBuilder<'_>,
                  from: walrus::LocalId,
                  index_shift: u32,
                  index_mask: u32,
                  size_shift: u32| {
        body.local_get(from);
        if index_shift > 0 {
            body.i32_const(index_shift as i32).binop(BinaryOp::I32ShrU);
        }
        body.i32_const(index_mask as i32)
            .binop(BinaryOp::I32And)
            .local_get(from)
            .i32_const(size_shift as i32)
            .binop(BinaryOp::I32ShrU)
            .i32_const(2)
            .binop(BinaryOp::I32Shl)
            .global_set(popped_bytes)
            .i32_const(1)
            .binop(BinaryOp::I32Add)
            .global_set(resume);
    };
    // `top` = the frame's end less the word.
    let below_word = |body: &mut walrus::InstrSeqBuilder<'_>, word_bytes: u32| {
        body.local_get(end);
        ptr_const(body, word_bytes);
        body.binop(ops.sub).local_tee(top_of_frame);
    };
    let mut builder = FunctionBuilder::new(&mut module.types, &[], &[ptr]);
    builder.name("asyncify_pop_prefix".to_string());
    let mut body = builder.func_body();
    body.global_get(data)
        .load(memory, ops.load, ops.arg(width.pos_offset()))
        .local_set(end);
    below_word(&mut body, abi::PREFIX_SHORT_WORD_BYTES);
    body.load(
        memory,
        walrus::ir::LoadKind::I32_16 {
            kind: walrus::ir::ExtendedLoad::ZeroExtend,
        },
        word,
    )
    .local_tee(half)
    .i32_const(1)
    .binop(BinaryOp::I32And)
    .if_else(
        None,
        |long| {
            below_word(long, abi::PREFIX_LONG_WORD_BYTES);
            long.load(memory, walrus::ir::LoadKind::I32 { atomic: false }, word)
                .local_set(w);
            let size_shift = abi::PREFIX_LONG_SIZE_SHIFT;
            decode(long, w, 0, abi::PREFIX_MAX_INDEX, size_shift);
        },
        |short| {
            let (mask, size_shift) = (abi::PREFIX_SHORT_MAX_INDEX, abi::PREFIX_SHORT_SIZE_SHIFT);
            decode(short, half, 1, mask, size_shift);
        },
    )
    .global_get(data)
    .local_get(top_of_frame)
    .global_get(popped_bytes);
    widen(&mut body);
    body.binop(ops.sub)
        .local_tee(new_pos)
        .store(memory, ops.store, ops.arg(width.pos_offset()))
        .local_get(new_pos);
    let pop = builder.finish(vec![], &mut module.funcs);
    for (local, name) in [
        (index, "index"),
        (bytes, "bytes"),
        (pos, "pos"),
        (top, "top"),
        (new, "new"),
        (short, "short"),
        (end, "end"),
        (half, "half"),
        (w, "word"),
        (top_of_frame, "top"),
        (new_pos, "new"),
    ] {
        module.locals.get_mut(local).name = Some(name.to_string());
    }
    PrefixHelpers {
        push,
        pop,
        resume,
        bytes: popped_bytes,
    }
}

/// With the new `pos` on the stack (also in `new`): trap if it is past `end`, leaving it in
/// `pos` (so the host can tell how much was needed), else store it in `pos`.
fn move_pos_checked(
    body: &mut walrus::InstrSeqBuilder<'_>,
    data: GlobalId,
    memory: MemoryId,
    width: PointerWidth,
    new: walrus::LocalId,
) {
    let ops = pointer_ops(width);
    body.global_get(data)
        .load(memory, ops.load, ops.arg(width.end_offset()))
        .binop(ops.gt)
        .if_else(
            None,
            |overflow| {
                overflow
                    .global_get(data)
                    .local_get(new)
                    .store(memory, ops.store, ops.arg(width.pos_offset()))
                    .unreachable();
            },
            |_| {},
        )
        .global_get(data)
        .local_get(new)
        .store(memory, ops.store, ops.arg(width.pos_offset()));
}

/// Load, store, add, subtract and unsigned greater-than for pointers of `width`.
struct PointerOps {
    width: PointerWidth,
    load: walrus::ir::LoadKind,
    store: walrus::ir::StoreKind,
    add: BinaryOp,
    sub: BinaryOp,
    gt: BinaryOp,
}

impl PointerOps {
    /// A pointer-aligned access at `offset` (a field of the data structure).
    fn arg(&self, offset: u64) -> walrus::ir::MemArg {
        walrus::ir::MemArg {
            align: self.width.bytes(),
            offset,
        }
    }
}

fn pointer_ops(width: PointerWidth) -> PointerOps {
    match width {
        PointerWidth::W32 => PointerOps {
            width,
            load: walrus::ir::LoadKind::I32 { atomic: false },
            store: walrus::ir::StoreKind::I32 { atomic: false },
            add: BinaryOp::I32Add,
            sub: BinaryOp::I32Sub,
            gt: BinaryOp::I32GtU,
        },
        PointerWidth::W64 => PointerOps {
            width,
            load: walrus::ir::LoadKind::I64 { atomic: false },
            store: walrus::ir::StoreKind::I64 { atomic: false },
            add: BinaryOp::I64Add,
            sub: BinaryOp::I64Sub,
            gt: BinaryOp::I64GtU,
        },
    }
}

/// The memory for the asyncify stack, and whether it was added. See the module docs.
fn choose_memory(
    module: &mut Module,
    options: &Options,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(MemoryId, Option<MemoryId>)> {
    let mut warn = |message: String| {
        diagnostics.push(Diagnostic {
            level: Level::Warning,
            message,
        })
    };
    if options.in_secondary_memory {
        if let Some(name) = &options.memory {
            warn(format!(
                "`--memory {name}` is ignored: `--in-secondary-memory` puts the asyncify data in \
                 a memory of its own"
            ));
        }
        let pages = options
            .secondary_memory_size
            .unwrap_or(abi::DEFAULT_SECONDARY_MEMORY_PAGES);
        if pages == 0 || pages > 65536 {
            return Err(Error::new(
                ErrorKind::BadOptions,
                format!(
                    "`--secondary-memory-size {pages}`: the size is in 64 KiB pages and must be \
                     between 1 and 65536"
                ),
            ));
        }
        let id = module
            .memories
            .add_local(false, false, pages, Some(pages), None);
        module.memories.get_mut(id).name = Some(abi::ADDED_MEMORY.to_string());
        return Ok((id, Some(id)));
    }
    if options.secondary_memory_size.is_some() {
        warn("`--secondary-memory-size` has no effect without `--in-secondary-memory`".into());
    }
    let memories: Vec<MemoryId> = module.memories.iter().map(|m| m.id()).collect();
    if let Some(name) = &options.memory {
        let by_export = module.exports.iter().find_map(|e| match e.item {
            ExportItem::Memory(m) if e.name == *name => Some(m),
            _ => None,
        });
        let by_name = || {
            module
                .memories
                .iter()
                .find(|m| m.name.as_deref() == Some(name.as_str()))
                .map(|m| m.id())
        };
        if let Some(id) = by_export.or_else(by_name) {
            return Ok((id, None));
        }
        if memories.len() > 1 {
            return Err(Error::new(
                ErrorKind::BadOptions,
                format!(
                    "`--memory {name}` names no memory; the module has {}",
                    describe_memories(module, &memories)
                ),
            ));
        }
        warn(if memories.is_empty() {
            format!(
                "`--memory {name}` names no memory; the module has none, so asyncify adds one \
                 (exported as `{}`)",
                abi::ADDED_MEMORY
            )
        } else {
            format!("`--memory {name}` names no memory; the module's only memory is used")
        });
    }
    match memories.as_slice() {
        [] => {
            let id = module.memories.add_local(false, false, 1, None, None);
            Ok((id, Some(id)))
        }
        [only] => Ok((*only, None)),
        several => {
            // Binaryen's default with several memories: the one exported as `memory`.
            let main = module.exports.iter().find_map(|e| match e.item {
                ExportItem::Memory(m) if e.name == "memory" => Some(m),
                _ => None,
            });
            if let Some(id) = main {
                return Ok((id, None));
            }
            Err(Error::new(
                ErrorKind::BadOptions,
                format!(
                    "module has {}, and none is exported as `memory`; say which one holds the \
                     asyncify data with `--memory NAME` (or give it a memory of its own with \
                     `--in-secondary-memory`)",
                    describe_memories(module, several)
                ),
            ))
        }
    }
}

/// "3 memories: `a` (exported), #1 (memory64, not exported), ..." for error messages.
fn describe_memories(module: &Module, memories: &[MemoryId]) -> String {
    let names: Vec<String> = memories
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let memory = module.memories.get(m);
            let mut text = match (exported_name(module, m), &memory.name) {
                (Some(export), _) => format!("`{export}`"),
                (None, Some(name)) => format!("#{i} `${name}` (not exported)"),
                (None, None) => format!("#{i} (not exported)"),
            };
            if memory.memory64 {
                text.push_str(" (memory64)");
            }
            if memory.import.is_some() {
                text.push_str(" (imported)");
            }
            text
        })
        .collect();
    format!("{} memories: {}", memories.len(), names.join(", "))
}

fn exported_name(module: &Module, memory: MemoryId) -> Option<String> {
    module.exports.iter().find_map(|e| match e.item {
        ExportItem::Memory(m) if m == memory => Some(e.name.clone()),
        _ => None,
    })
}

/// Refuse modules that already have the ABI's globals (already asyncified?), or exports with
/// the names asyncify would add. A module exporting the API's functions never gets here: the
/// pipeline refuses it from its export section, before the parse.
fn check_no_clashes(module: &Module, options: &Options) -> Result<()> {
    let adds_memory = options.in_secondary_memory || module.memories.iter().next().is_none();
    if adds_memory && module.exports.iter().any(|e| e.name == abi::ADDED_MEMORY) {
        return Err(Error::new(
            ErrorKind::BadOptions,
            format!(
                "module exports something named `{}`, the name under which asyncify exports the \
                 memory it adds",
                abi::ADDED_MEMORY
            ),
        ));
    }
    if options.export_globals {
        for global in [abi::STATE_GLOBAL, abi::DATA_GLOBAL] {
            if module.exports.iter().any(|e| e.name == global) {
                return Err(Error::new(
                    ErrorKind::BadOptions,
                    format!(
                        "module already exports something named `{global}`, which \
                         `--export-globals` would export"
                    ),
                ));
            }
        }
    }
    if options.import_globals {
        for global in [abi::STATE_GLOBAL, abi::DATA_GLOBAL] {
            if module
                .imports
                .iter()
                .any(|i| i.module == abi::GLOBALS_IMPORT_MODULE && i.name == global)
            {
                return Err(Error::new(
                    ErrorKind::BadOptions,
                    format!(
                        "module already imports `{}.{global}`; was it already asyncified? \
                         Running asyncify twice is not supported",
                        abi::GLOBALS_IMPORT_MODULE
                    ),
                ));
            }
        }
    }
    for global in [abi::STATE_GLOBAL, abi::DATA_GLOBAL] {
        if module
            .globals
            .iter()
            .any(|g| g.name.as_deref() == Some(global))
        {
            return Err(Error::new(
                ErrorKind::BadOptions,
                format!(
                    "module already has a global named `{global}`; was it already asyncified? \
                     Running asyncify twice is not supported"
                ),
            ));
        }
    }
    Ok(())
}

/// A function type as WAT writes it.
pub fn signature(module: &Module, ty: walrus::TypeId) -> String {
    // As in WAT: `(func (param i32) (result i32))`, empty lists left out.
    let mut text = String::from("(func");
    for (keyword, tys) in [
        ("param", module.types.params(ty)),
        ("result", module.types.results(ty)),
    ] {
        if !tys.is_empty() {
            text.push_str(&format!(" ({keyword}"));
            for t in tys {
                text.push_str(&format!(" {t}"));
            }
            text.push(')');
        }
    }
    text.push(')');
    text
}
