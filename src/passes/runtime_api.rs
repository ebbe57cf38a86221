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

use crate::abi::{self, Api, PointerWidth};
use crate::error::{Error, ErrorKind, Result};
use crate::passes::frame::StackPlace;
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
    /// A memory added because the module had none (exported as `asyncify_memory`, so a host
    /// can set up the data structure in it).
    pub added_memory: Option<MemoryId>,
    /// Exports added, in order.
    pub exports: Vec<(String, ExportItem)>,
    /// `asyncify.*` imports to remove, with the generated function each stands for.
    pub replaced_imports: Vec<(FunctionId, FunctionId)>,
}

/// Add the globals and API functions, choosing (or adding) the memory for the stack.
pub fn run(module: &mut Module) -> Result<Runtime> {
    check_no_clashes(module)?;
    let (memory, added_memory) = choose_memory(module)?;
    let width = if module.memories.get(memory).memory64 {
        PointerWidth::W64
    } else {
        PointerWidth::W32
    };
    let ptr = width.val_type();

    let state =
        module
            .globals
            .add_local(ValType::I32, true, false, ConstExpr::Value(Value::I32(0)));
    module.globals.get_mut(state).name = Some(abi::STATE_GLOBAL.to_string());
    let zero_ptr = match width {
        PointerWidth::W32 => Value::I32(0),
        PointerWidth::W64 => Value::I64(0),
    };
    let data = module
        .globals
        .add_local(ptr, true, false, ConstExpr::Value(zero_ptr));
    module.globals.get_mut(data).name = Some(abi::DATA_GLOBAL.to_string());
    let (push_frame, pop_frame) = add_frame_helpers(module, data, memory, width);
    let place = StackPlace {
        state,
        data,
        memory,
        width,
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
        globals: vec![state, data],
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
    let (load, store, add, sub, gt) = match width {
        PointerWidth::W32 => (
            walrus::ir::LoadKind::I32 { atomic: false },
            walrus::ir::StoreKind::I32 { atomic: false },
            BinaryOp::I32Add,
            BinaryOp::I32Sub,
            BinaryOp::I32GtU,
        ),
        PointerWidth::W64 => (
            walrus::ir::LoadKind::I64 { atomic: false },
            walrus::ir::StoreKind::I64 { atomic: false },
            BinaryOp::I64Add,
            BinaryOp::I64Sub,
            BinaryOp::I64GtU,
        ),
    };
    let arg = |offset| walrus::ir::MemArg {
        align: width.bytes(),
        offset,
    };

    let size = module.locals.add(ptr);
    let pos = module.locals.add(ptr);
    let new = module.locals.add(ptr);
    let mut builder = FunctionBuilder::new(&mut module.types, &[ptr], &[ptr]);
    builder.name("asyncify_push_frame".to_string());
    let mut body = builder.func_body();
    body.global_get(data)
        .load(memory, load, arg(width.pos_offset()))
        .local_tee(pos)
        .local_get(size)
        .binop(add)
        .local_tee(new)
        .global_get(data)
        .load(memory, load, arg(width.end_offset()))
        .binop(gt)
        .if_else(
            None,
            |overflow| {
                overflow
                    .global_get(data)
                    .local_get(new)
                    .store(memory, store, arg(width.pos_offset()))
                    .unreachable();
            },
            |_| {},
        )
        .global_get(data)
        .local_get(new)
        .store(memory, store, arg(width.pos_offset()))
        .local_get(pos);
    let push = builder.finish(vec![size], &mut module.funcs);

    let size = module.locals.add(ptr);
    let new = module.locals.add(ptr);
    let mut builder = FunctionBuilder::new(&mut module.types, &[ptr], &[ptr]);
    builder.name("asyncify_pop_frame".to_string());
    builder
        .func_body()
        .global_get(data)
        .load(memory, load, arg(width.pos_offset()))
        .local_get(size)
        .binop(sub)
        .local_set(new)
        .global_get(data)
        .local_get(new)
        .store(memory, store, arg(width.pos_offset()))
        .local_get(new);
    let pop = builder.finish(vec![size], &mut module.funcs);
    for (local, name) in [(pos, "pos"), (new, "new")] {
        module.locals.get_mut(local).name = Some(name.to_string());
    }
    (push, pop)
}

/// The memory for the asyncify stack: the only one, or a new one if there is none.
fn choose_memory(module: &mut Module) -> Result<(MemoryId, Option<MemoryId>)> {
    let memories: Vec<MemoryId> = module.memories.iter().map(|m| m.id()).collect();
    match memories.as_slice() {
        [] => {
            let id = module.memories.add_local(false, false, 1, None, None);
            Ok((id, Some(id)))
        }
        [only] => Ok((*only, None)),
        several => {
            let names: Vec<String> = several
                .iter()
                .enumerate()
                .map(|(i, &m)| match exported_name(module, m) {
                    Some(name) => format!("`{name}`"),
                    None => format!("#{i}"),
                })
                .collect();
            Err(Error::unsupported(format!(
                "module has {} memories ({}); choosing the memory for the asyncify stack is not \
                 supported yet",
                several.len(),
                names.join(", ")
            )))
        }
    }
}

fn exported_name(module: &Module, memory: MemoryId) -> Option<String> {
    module.exports.iter().find_map(|e| match e.item {
        ExportItem::Memory(m) if m == memory => Some(e.name.clone()),
        _ => None,
    })
}

/// Refuse modules that already have the ABI's exports or globals (already asyncified?).
fn check_no_clashes(module: &Module) -> Result<()> {
    if module.memories.iter().next().is_none()
        && module.exports.iter().any(|e| e.name == abi::ADDED_MEMORY)
    {
        return Err(Error::new(
            ErrorKind::BadOptions,
            format!(
                "module has no memory but exports something named `{}`, the name asyncify \
                 gives the memory it adds",
                abi::ADDED_MEMORY
            ),
        ));
    }
    for api in abi::API {
        if module.exports.iter().any(|e| e.name == api.export_name()) {
            return Err(Error::new(
                ErrorKind::BadOptions,
                format!(
                    "module already exports `{}`; was it already asyncified? Running asyncify \
                     twice is not supported",
                    api.export_name()
                ),
            ));
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

fn signature(module: &Module, ty: walrus::TypeId) -> String {
    let list = |tys: &[ValType]| {
        tys.iter()
            .map(|t| format!("{t}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "(param {}) (result {})",
        list(module.types.params(ty)),
        list(module.types.results(ty))
    )
}
