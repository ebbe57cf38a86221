//! Write the output module by copying the input and splicing in what changed.
//!
//! * Function bodies asyncify did not touch are copied byte for byte, so untouched code comes
//!   out exactly as it went in (a walrus round trip re-encodes every body, reorders
//!   functions largest-first and grows real modules by ~2%).
//! * Only when `asyncify.*` imports are removed do the later function indices move down;
//!   then untouched bodies are re-encoded with the index change and nothing else. Likewise
//!   for globals when `--import-globals` adds two global imports (the module's own globals
//!   move up by two): untouched bodies, global initializers and data segment offsets are
//!   re-encoded with the new global indices.
//! * Changed bodies are encoded from walrus IR ([`super::encode`]); new functions, globals,
//!   exports, types, tables (the reference side stacks) and (if needed) a memory are appended
//!   at the end of their index spaces; imported globals at the end of the imports.
//! * Custom sections stay where they were. The name section is updated (names of removed
//!   imports dropped, names of new items added, local names of changed functions
//!   regenerated); DWARF, which describes code offsets that moved, is dropped with a warning.

use super::encode::{EncodedFunction, LocalOrder, encode_function, val_type};
use super::indices::{IndexSpace, Indices};
use crate::error::{Error, Result};
use crate::input::OriginalIds;
use crate::ir::{IdMap, IdSet};
use walrus::{
    ExportItem, FunctionId, FunctionKind, GlobalId, GlobalKind, MemoryId, Module, TableId, TypeId,
};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{ConstExpr, Encode, IndirectNameMap, NameMap, RawSection};
use wasmparser::{Name, NameSectionReader, Parser, Payload};

/// What to add to the input and what to take away.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// Functions to append, in order.
    pub new_funcs: Vec<FunctionId>,
    /// Globals to append, in order.
    pub new_globals: Vec<GlobalId>,
    /// Imported globals to append to the imports, in order.
    pub new_global_imports: Vec<GlobalId>,
    /// Tables to append, in order.
    pub new_tables: Vec<TableId>,
    /// A memory to append.
    pub new_memory: Option<MemoryId>,
    /// Exports to append, in order.
    pub new_exports: Vec<(String, ExportItem)>,
    /// Function imports to remove, each with the function that takes its place in calls.
    pub replaced_imports: Vec<(FunctionId, FunctionId)>,
    /// How to number the locals of encoded functions.
    pub local_order: LocalOrder,
    /// Appended functions that are copies of an input function (already encoded), by copy:
    /// their locals take the original's names.
    pub copy_of: IdMap<FunctionId, FunctionId>,
}

/// The written module and what the writer wants the user to know.
pub struct Written {
    /// The module.
    pub wasm: Vec<u8>,
    /// Warnings (for example dropped debug info).
    pub warnings: Vec<String>,
    /// Output function index of every function body we encoded, for error reports.
    pub encoded: Vec<(u32, FunctionId)>,
}

/// Write `module` (the input plus `changes`) as a binary, reusing `original` wherever possible.
///
/// `encoded` holds the bodies of the input's functions that changed, already encoded with
/// `indices` (from [`output_indices`]); the bodies of appended functions are encoded here.
pub fn write(
    original: &[u8],
    module: &Module,
    ids: &OriginalIds,
    changes: &Changes,
    mut indices: Indices,
    encoded: IdMap<FunctionId, EncodedFunction>,
) -> Result<Written> {
    // Map from input function index to output index, for re-encoding untouched code.
    let func_map: Vec<u32> = ids.funcs.iter().map(|&f| indices.func(f)).collect();
    let global_map: Vec<u32> = ids.globals.iter().map(|&g| indices.global(g)).collect();
    let globals_shifted = global_map.iter().enumerate().any(|(i, &g)| i as u32 != g);
    let shifted = !changes.replaced_imports.is_empty() || globals_shifted;
    // DWARF addresses code by offset from the code section's contents, which start with the
    // function count: appended functions move every body when the count's LEB128 grows.
    let leb_width = |n: usize| (usize::BITS - n.leading_zeros()).max(1).div_ceil(7);
    let defined = ids.defined_funcs;
    let count_grew = leb_width(defined) != leb_width(defined + changes.new_funcs.len());
    let changed_code = shifted || count_grew || !encoded.is_empty();

    // Encode the new bodies before writing: they may need types the input lacks, which must
    // be known before the type section is written.
    let mut bodies: IdMap<FunctionId, (wasm_encoder::Function, Vec<walrus::LocalId>)> = encoded
        .into_iter()
        .map(|(id, e)| (id, (e.function, e.locals)))
        .collect();
    for &id in &changes.new_funcs {
        if bodies.contains_key(&id) {
            continue;
        }
        let FunctionKind::Local(local) = &module.funcs.get(id).kind else {
            return Err(Error::internal("asked to encode an imported function"));
        };
        let e = encode_function(module, local, &mut indices, changes.local_order);
        bodies.insert(id, (e.function, e.locals));
    }
    let mut encoded: Vec<(u32, FunctionId)> =
        bodies.keys().map(|&id| (indices.func(id), id)).collect();
    encoded.sort_unstable_by_key(|(index, _)| *index);
    let new_func_types: Vec<u32> = changes
        .new_funcs
        .iter()
        .map(|&f| indices.plain_ty(module.funcs.get(f).ty()))
        .collect();
    if let Some(&ty) = indices.take_ambiguous_used().first() {
        return Err(ambiguous_type(module, ty, "a function asyncify adds"));
    }
    let new_tables: Vec<wasm_encoder::TableType> = changes
        .new_tables
        .iter()
        .map(|&t| table_type(module, t, &mut indices))
        .collect();
    let new_global_imports: Vec<(String, String, wasm_encoder::GlobalType)> = changes
        .new_global_imports
        .iter()
        .map(|&g| global_import(module, g, &mut indices))
        .collect::<Result<_>>()?;
    // Converting appended types may append more (references to concrete types).
    let mut new_types = Vec::new();
    let mut i = 0;
    while i < indices.new_types().len() {
        let id = indices.new_types()[i];
        new_types.push(function_type(module, id, &mut indices));
        i += 1;
    }

    let mut w = Writer {
        out: wasm_encoder::Module::new(),
        remap: Remap {
            funcs: &func_map,
            globals: &global_map,
        },
        changed_code,
        warnings: Vec::new(),
        dwarf_dropped: Vec::new(),
    };
    let present: IdSet<u8> = section_ids(original)?;
    let pending = Pending {
        types: !new_types.is_empty() && !present.contains(&1),
        imports: !new_global_imports.is_empty() && !present.contains(&2),
        funcs: !changes.new_funcs.is_empty() && !present.contains(&3),
        tables: !new_tables.is_empty() && !present.contains(&4),
        memory: changes.new_memory.is_some() && !present.contains(&5),
        globals: !changes.new_globals.is_empty() && !present.contains(&6),
        exports: !changes.new_exports.is_empty() && !present.contains(&7),
        code: !changes.new_funcs.is_empty() && !present.contains(&10),
    };
    let mut pending = pending;
    let replaced: IdSet<FunctionId> = changes.replaced_imports.iter().map(|(f, _)| *f).collect();
    let num_func_imports = ids
        .funcs
        .iter()
        .filter(|&&f| matches!(module.funcs.get(f).kind, FunctionKind::Import(_)))
        .count();
    let mut defined_index = 0usize;
    let mut code = wasm_encoder::CodeSection::new();

    let parser = Parser::new(0);
    for payload in parser.parse_all(original) {
        let payload = payload.map_err(|e| Error::parse(e.to_string()))?;
        let err = |e: wasm_encoder::reencode::Error<std::convert::Infallible>| {
            Error::internal(e.to_string())
        };
        match payload {
            Payload::TypeSection(reader) => {
                w.before(
                    1,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::TypeSection::new();
                RoundtripReencoder
                    .parse_type_section(&mut section, reader)
                    .map_err(err)?;
                for (params, results) in &new_types {
                    section
                        .ty()
                        .function(params.iter().copied(), results.iter().copied());
                }
                w.out.section(&section);
            }
            Payload::ImportSection(reader) => {
                w.before(
                    2,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::ImportSection::new();
                let mut func_import = 0usize;
                for import in reader.into_imports() {
                    let import = import.map_err(|e| Error::parse(e.to_string()))?;
                    if let wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_) =
                        import.ty
                    {
                        let id = ids.funcs[func_import];
                        func_import += 1;
                        if replaced.contains(&id) {
                            continue;
                        }
                    }
                    RoundtripReencoder
                        .parse_import(&mut section, import)
                        .map_err(err)?;
                }
                for (module_name, name, ty) in &new_global_imports {
                    section.import(module_name, name, *ty);
                }
                w.out.section(&section);
            }
            Payload::FunctionSection(reader) => {
                w.before(
                    3,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::FunctionSection::new();
                RoundtripReencoder
                    .parse_function_section(&mut section, reader)
                    .map_err(err)?;
                for &ty in &new_func_types {
                    section.function(ty);
                }
                w.out.section(&section);
            }
            Payload::TableSection(reader) => {
                w.before(
                    4,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::TableSection::new();
                w.remap
                    .parse_table_section(&mut section, reader)
                    .map_err(err)?;
                for ty in &new_tables {
                    section.table(*ty);
                }
                w.out.section(&section);
            }
            Payload::MemorySection(reader) => {
                w.before(
                    5,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::MemorySection::new();
                RoundtripReencoder
                    .parse_memory_section(&mut section, reader)
                    .map_err(err)?;
                if let Some(m) = changes.new_memory {
                    section.memory(memory_type(module, m));
                }
                w.out.section(&section);
            }
            Payload::TagSection(reader) => {
                w.before(
                    6,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::TagSection::new();
                RoundtripReencoder
                    .parse_tag_section(&mut section, reader)
                    .map_err(err)?;
                w.out.section(&section);
            }
            Payload::GlobalSection(reader) => {
                w.before(
                    7,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::GlobalSection::new();
                w.remap
                    .parse_global_section(&mut section, reader)
                    .map_err(err)?;
                for &g in &changes.new_globals {
                    add_global(&mut section, module, g)?;
                }
                w.out.section(&section);
            }
            Payload::ExportSection(reader) => {
                w.before(
                    8,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::ExportSection::new();
                w.remap
                    .parse_export_section(&mut section, reader)
                    .map_err(err)?;
                for (name, item) in &changes.new_exports {
                    let (kind, index) = export_target(*item, &indices);
                    section.export(name, kind, index);
                }
                w.out.section(&section);
            }
            Payload::StartSection { func, .. } => {
                w.before(
                    9,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                w.out.section(&wasm_encoder::StartSection {
                    function_index: func_map[func as usize],
                });
            }
            Payload::ElementSection(reader) => {
                w.before(
                    10,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                let mut section = wasm_encoder::ElementSection::new();
                w.remap
                    .parse_element_section(&mut section, reader)
                    .map_err(err)?;
                w.out.section(&section);
            }
            Payload::DataCountSection { count, .. } => {
                w.before(
                    11,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                w.out.section(&wasm_encoder::DataCountSection { count });
            }
            Payload::CodeSectionStart { count, .. } => {
                w.before(
                    12,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                if count == 0 {
                    for f in &changes.new_funcs {
                        code.function(&bodies[f].0);
                    }
                    w.out.section(&code);
                }
            }
            Payload::CodeSectionEntry(body) => {
                let id = ids.funcs[num_func_imports + defined_index];
                defined_index += 1;
                if let Some((function, _)) = bodies.get(&id) {
                    code.function(function);
                } else if shifted {
                    w.remap.parse_function_body(&mut code, body).map_err(err)?;
                } else {
                    code.raw(&original[body.range()]);
                }
                if defined_index == ids.funcs.len() - num_func_imports {
                    for f in &changes.new_funcs {
                        code.function(&bodies[f].0);
                    }
                    w.out.section(&code);
                }
            }
            Payload::DataSection(reader) => {
                w.before(
                    13,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
                if globals_shifted {
                    // Segment offsets can read globals.
                    let mut section = wasm_encoder::DataSection::new();
                    w.remap
                        .parse_data_section(&mut section, reader)
                        .map_err(err)?;
                    w.out.section(&section);
                } else {
                    w.out.section(&RawSection {
                        id: wasm_encoder::SectionId::Data as u8,
                        data: &original[reader.range()],
                    });
                }
            }
            Payload::CustomSection(reader) => {
                let name = reader.name();
                if name == "name" {
                    let names = rewrite_names(
                        reader.data(),
                        reader.data_offset(),
                        module,
                        ids,
                        changes,
                        &indices,
                        &bodies,
                    )?;
                    w.out.section(&names);
                } else if name.starts_with(".debug_") && w.changed_code {
                    w.dwarf_dropped.push(name.to_string());
                } else {
                    w.out.section(&RawSection {
                        id: wasm_encoder::SectionId::Custom as u8,
                        data: &original[reader.range()],
                    });
                }
            }
            Payload::Version { .. } => {}
            Payload::End(_) => {
                w.before(
                    14,
                    &mut pending,
                    &new_types,
                    &new_func_types,
                    &new_tables,
                    &new_global_imports,
                    module,
                    changes,
                    &indices,
                    &bodies,
                )?;
            }
            other => {
                return Err(Error::unsupported(format!(
                    "unsupported section in input: {:?}",
                    other.as_section().map(|(id, _)| id)
                )));
            }
        }
    }

    if !w.dwarf_dropped.is_empty() {
        w.warnings.push(format!(
            "dropped DWARF debug info ({}) because code offsets changed; function and local \
             names are kept",
            w.dwarf_dropped.join(", ")
        ));
    }
    Ok(Written {
        wasm: w.out.finish(),
        warnings: w.warnings,
        encoded,
    })
}

/// Output indices: inputs keep theirs (minus removed imports), additions go last.
///
/// Imported globals go after the input's global imports, so the input's own globals move up.
/// Items appended later (reference side stacks) are added with [`Changes::append`].
pub fn output_indices(module: &Module, ids: &OriginalIds, changes: &Changes) -> Indices {
    let mut indices = Indices::identity(ids);
    let replaced: IdMap<FunctionId, FunctionId> =
        changes.replaced_imports.iter().copied().collect();
    let mut funcs = IndexSpace::default();
    for &f in &ids.funcs {
        if replaced.contains_key(&f) {
            funcs.skip(f.index());
        } else {
            funcs.push(f.index());
        }
    }
    for &f in &changes.new_funcs {
        funcs.push(f.index());
    }
    for (&import, &target) in &replaced {
        let index = funcs
            .get(target.index())
            .expect("replacement functions are appended");
        funcs.alias(import.index(), index);
    }
    indices.funcs = funcs;
    let mut globals = IndexSpace::default();
    let imported = |g: GlobalId| matches!(module.globals.get(g).kind, GlobalKind::Import(_));
    for &g in ids.globals.iter().filter(|&&g| imported(g)) {
        globals.push(g.index());
    }
    for &g in &changes.new_global_imports {
        globals.push(g.index());
    }
    for &g in ids.globals.iter().filter(|&&g| !imported(g)) {
        globals.push(g.index());
    }
    for &g in &changes.new_globals {
        globals.push(g.index());
    }
    indices.globals = globals;
    for &t in &changes.new_tables {
        indices.tables.push(t.index());
    }
    if let Some(m) = changes.new_memory {
        indices.memories.push(m.index());
    }
    indices
}

impl Changes {
    /// Append functions, globals and tables created after [`output_indices`] (they go after
    /// everything appended so far), giving them output indices.
    pub fn append(
        &mut self,
        indices: &mut Indices,
        funcs: &[FunctionId],
        globals: &[GlobalId],
        tables: &[TableId],
    ) {
        for &f in funcs {
            indices.funcs.push(f.index());
            self.new_funcs.push(f);
        }
        for &g in globals {
            indices.globals.push(g.index());
            self.new_globals.push(g);
        }
        for &t in tables {
            indices.tables.push(t.index());
            self.new_tables.push(t);
        }
    }
}

/// Sections we must add that the input does not have, written in their place in the order.
struct Pending {
    types: bool,
    imports: bool,
    funcs: bool,
    tables: bool,
    memory: bool,
    globals: bool,
    exports: bool,
    code: bool,
}

struct Writer<'a> {
    out: wasm_encoder::Module,
    remap: Remap<'a>,
    changed_code: bool,
    warnings: Vec<String>,
    dwarf_dropped: Vec<String>,
}

impl Writer<'_> {
    /// Called before writing a section of order `rank`: write the missing sections that come
    /// before it.
    #[allow(clippy::too_many_arguments)]
    fn before(
        &mut self,
        rank: u8,
        pending: &mut Pending,
        new_types: &[(Vec<wasm_encoder::ValType>, Vec<wasm_encoder::ValType>)],
        new_func_types: &[u32],
        new_tables: &[wasm_encoder::TableType],
        new_global_imports: &[(String, String, wasm_encoder::GlobalType)],
        module: &Module,
        changes: &Changes,
        indices: &Indices,
        bodies: &IdMap<FunctionId, (wasm_encoder::Function, Vec<walrus::LocalId>)>,
    ) -> Result<()> {
        if pending.types && rank > 1 {
            pending.types = false;
            let mut section = wasm_encoder::TypeSection::new();
            for (params, results) in new_types {
                section
                    .ty()
                    .function(params.iter().copied(), results.iter().copied());
            }
            self.out.section(&section);
        }
        if pending.imports && rank > 2 {
            pending.imports = false;
            let mut section = wasm_encoder::ImportSection::new();
            for (module_name, name, ty) in new_global_imports {
                section.import(module_name, name, *ty);
            }
            self.out.section(&section);
        }
        if pending.funcs && rank > 3 {
            pending.funcs = false;
            let mut section = wasm_encoder::FunctionSection::new();
            for &ty in new_func_types {
                section.function(ty);
            }
            self.out.section(&section);
        }
        if pending.tables && rank > 4 {
            pending.tables = false;
            let mut section = wasm_encoder::TableSection::new();
            for ty in new_tables {
                section.table(*ty);
            }
            self.out.section(&section);
        }
        if pending.memory && rank > 5 {
            pending.memory = false;
            let mut section = wasm_encoder::MemorySection::new();
            section.memory(memory_type(module, changes.new_memory.unwrap()));
            self.out.section(&section);
        }
        if pending.globals && rank > 7 {
            pending.globals = false;
            let mut section = wasm_encoder::GlobalSection::new();
            for &g in &changes.new_globals {
                add_global(&mut section, module, g)?;
            }
            self.out.section(&section);
        }
        if pending.exports && rank > 8 {
            pending.exports = false;
            let mut section = wasm_encoder::ExportSection::new();
            for (name, item) in &changes.new_exports {
                let (kind, index) = export_target(*item, indices);
                section.export(name, kind, index);
            }
            self.out.section(&section);
        }
        if pending.code && rank > 12 {
            pending.code = false;
            let mut section = wasm_encoder::CodeSection::new();
            for f in &changes.new_funcs {
                section.function(&bodies[f].0);
            }
            self.out.section(&section);
        }
        Ok(())
    }
}

/// Re-encodes input items with function indices moved.
struct Remap<'a> {
    funcs: &'a [u32],
    globals: &'a [u32],
}

impl Reencode for Remap<'_> {
    type Error = std::convert::Infallible;

    fn function_index(
        &mut self,
        func: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
        Ok(self.funcs[func as usize])
    }

    fn global_index(
        &mut self,
        global: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
        Ok(self.globals[global as usize])
    }
}

fn section_ids(wasm: &[u8]) -> Result<IdSet<u8>> {
    let mut ids = IdSet::default();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| Error::parse(e.to_string()))?;
        if let Some((id, _)) = payload.as_section() {
            ids.insert(id);
        }
    }
    Ok(ids)
}

/// The refusal for code that mentions a type walrus merged with a distinct one.
pub fn ambiguous_type(module: &Module, ty: walrus::TypeId, user: &str) -> Error {
    Error::unsupported(format!(
        "{user} uses type {}, which the input declares more than once (inside and outside \
         rec groups); asyncify cannot tell such types apart yet (its IR merges them)",
        describe_type(module, ty)
    ))
}

/// A type as WAT writes it, for messages (struct and array fields are not spelled out).
fn describe_type(module: &Module, ty: walrus::TypeId) -> String {
    let t = module.types.get(ty);
    if t.as_function().is_some() {
        crate::passes::runtime_api::signature(module, ty)
    } else if let Some(s) = t.as_struct() {
        let n = s.fields.len();
        format!("(struct with {n} field{})", if n == 1 { "" } else { "s" })
    } else {
        "(array)".to_string()
    }
}

fn function_type(
    module: &Module,
    id: TypeId,
    indices: &mut Indices,
) -> (Vec<wasm_encoder::ValType>, Vec<wasm_encoder::ValType>) {
    let params = module.types.params(id).to_vec();
    let results = module.types.results(id).to_vec();
    let mut conv = |tys: Vec<walrus::ValType>| {
        tys.into_iter()
            .map(|t| val_type(indices, t))
            .collect::<Vec<_>>()
    };
    (conv(params), conv(results))
}

fn memory_type(module: &Module, id: MemoryId) -> wasm_encoder::MemoryType {
    let m = module.memories.get(id);
    wasm_encoder::MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
        memory64: m.memory64,
        shared: m.shared,
        page_size_log2: m.page_size_log2,
    }
}

fn table_type(module: &Module, id: TableId, indices: &mut Indices) -> wasm_encoder::TableType {
    let t = module.tables.get(id);
    let wasm_encoder::ValType::Ref(element_type) =
        val_type(indices, walrus::ValType::Ref(t.element_ty))
    else {
        unreachable!("a reference type converts to a reference type")
    };
    wasm_encoder::TableType {
        element_type,
        table64: t.table64,
        minimum: t.initial,
        maximum: t.maximum,
        shared: false,
    }
}

fn global_import(
    module: &Module,
    id: GlobalId,
    indices: &mut Indices,
) -> Result<(String, String, wasm_encoder::GlobalType)> {
    let g = module.globals.get(id);
    let GlobalKind::Import(import) = g.kind else {
        return Err(Error::internal(
            "an appended global import is not an import",
        ));
    };
    let import = module.imports.get(import);
    Ok((
        import.module.clone(),
        import.name.clone(),
        wasm_encoder::GlobalType {
            val_type: val_type(indices, g.ty),
            mutable: g.mutable,
            shared: g.shared,
        },
    ))
}

fn add_global(
    section: &mut wasm_encoder::GlobalSection,
    module: &Module,
    id: GlobalId,
) -> Result<()> {
    let g = module.globals.get(id);
    let walrus::GlobalKind::Local(walrus::ConstExpr::Value(value)) = &g.kind else {
        return Err(Error::internal(
            "appended globals are initialized with constants",
        ));
    };
    let (val_type, init) = match *value {
        walrus::ir::Value::I32(v) => (wasm_encoder::ValType::I32, ConstExpr::i32_const(v)),
        walrus::ir::Value::I64(v) => (wasm_encoder::ValType::I64, ConstExpr::i64_const(v)),
        _ => return Err(Error::internal("appended globals are integers")),
    };
    section.global(
        wasm_encoder::GlobalType {
            val_type,
            mutable: g.mutable,
            shared: g.shared,
        },
        &init,
    );
    Ok(())
}

fn export_target(item: ExportItem, indices: &Indices) -> (wasm_encoder::ExportKind, u32) {
    match item {
        ExportItem::Function(f) => (wasm_encoder::ExportKind::Func, indices.func(f)),
        ExportItem::Global(g) => (wasm_encoder::ExportKind::Global, indices.global(g)),
        ExportItem::Memory(m) => (wasm_encoder::ExportKind::Memory, indices.memory(m)),
        ExportItem::Table(t) => (wasm_encoder::ExportKind::Table, indices.table(t)),
        ExportItem::Tag(t) => (wasm_encoder::ExportKind::Tag, indices.tag(t)),
    }
}

/// The name section with indices moved, removed imports' names dropped, new items named, and
/// local names of changed functions regenerated from walrus.
fn rewrite_names(
    data: &[u8],
    offset: usize,
    module: &Module,
    ids: &OriginalIds,
    changes: &Changes,
    indices: &Indices,
    bodies: &IdMap<FunctionId, (wasm_encoder::Function, Vec<walrus::LocalId>)>,
) -> Result<wasm_encoder::NameSection> {
    let bad =
        |e: wasmparser::BinaryReaderError| Error::parse(format!("malformed name section: {e}"));
    let out_func = |index: u32| -> Option<(u32, FunctionId)> {
        let id = *ids.funcs.get(index as usize)?;
        if changes.replaced_imports.iter().any(|(f, _)| *f == id) {
            return None;
        }
        Some((indices.func(id), id))
    };
    // Subsections must appear in ascending id order; ones we add may have been missing
    // from the input, so collect them all and sort.
    let mut subsections: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut add = |id: u8, payload: &dyn Encode| {
        let mut bytes = Vec::new();
        payload.encode(&mut bytes);
        subsections.push((id, bytes));
    };
    let mut saw_functions = false;
    let mut saw_locals = false;
    let mut saw_globals = false;
    let mut saw_tables = false;
    let reader = NameSectionReader::new(wasmparser::BinaryReader::new(data, offset));
    for subsection in reader {
        match subsection.map_err(bad)? {
            Name::Module { name, .. } => add(0, &name),
            Name::Function(map) => {
                saw_functions = true;
                let mut out = NameMap::new();
                for naming in map {
                    let naming = naming.map_err(bad)?;
                    if let Some((index, _)) = out_func(naming.index) {
                        out.append(index, naming.name);
                    }
                }
                append_func_names(&mut out, module, changes, indices);
                add(1, &out);
            }
            Name::Local(map) => {
                saw_locals = true;
                add(
                    2,
                    &local_names(map, module, ids, changes, &out_func, indices, bodies)?.0,
                );
            }
            Name::Label(map) => {
                let mut out = IndirectNameMap::new();
                for indirect in map {
                    let indirect = indirect.map_err(bad)?;
                    let Some((index, id)) = out_func(indirect.index) else {
                        continue;
                    };
                    if bodies.contains_key(&id) {
                        continue; // labels moved; their names no longer apply
                    }
                    out.append(index, &copy_map(indirect.names)?);
                }
                add(3, &out);
            }
            Name::Type(map) => add(4, &copy_map(map)?),
            Name::Table(map) => {
                saw_tables = true;
                let mut out = copy_map(map)?;
                append_table_names(&mut out, module, changes, indices);
                add(5, &out);
            }
            Name::Memory(map) => {
                let mut out = copy_map(map)?;
                if let Some(m) = changes.new_memory {
                    out.append(indices.memory(m), crate::abi::ADDED_MEMORY);
                }
                add(6, &out);
            }
            Name::Global(map) => {
                saw_globals = true;
                add(7, &global_names(Some(map), module, ids, changes, indices)?);
            }
            Name::Element(map) => add(8, &copy_map(map)?),
            Name::Data(map) => add(9, &copy_map(map)?),
            Name::Field(map) => add(10, &copy_indirect(map)?),
            Name::Tag(map) => add(11, &copy_map(map)?),
            Name::Unknown { ty, data, .. } => add(ty, &RawBytes(data)),
        }
    }
    // Subsections the input lacked but that now have something to say.
    if !saw_functions && !changes.new_funcs.is_empty() {
        let mut out = NameMap::new();
        append_func_names(&mut out, module, changes, indices);
        add(1, &out);
    }
    if !saw_locals && !bodies.is_empty() {
        let empty = wasmparser::IndirectNameMap::new(wasmparser::BinaryReader::new(&[0], 0))
            .map_err(bad)?;
        let (out, count) = local_names(empty, module, ids, changes, &out_func, indices, bodies)?;
        if count > 0 {
            add(2, &out);
        }
    }
    let new_global_names =
        !changes.new_globals.is_empty() || !changes.new_global_imports.is_empty();
    if !saw_globals && new_global_names {
        add(7, &global_names(None, module, ids, changes, indices)?);
    }
    if !saw_tables && !changes.new_tables.is_empty() {
        let mut out = NameMap::new();
        append_table_names(&mut out, module, changes, indices);
        add(5, &out);
    }
    subsections.sort_by_key(|(id, _)| *id);
    let mut names = wasm_encoder::NameSection::new();
    for (id, bytes) in &subsections {
        names.raw(*id, bytes);
    }
    Ok(names)
}

/// Already-encoded subsection contents.
struct RawBytes<'a>(&'a [u8]);

impl Encode for RawBytes<'_> {
    fn encode(&self, sink: &mut Vec<u8>) {
        sink.extend_from_slice(self.0);
    }
}

fn append_func_names(out: &mut NameMap, module: &Module, changes: &Changes, indices: &Indices) {
    for &f in &changes.new_funcs {
        if let Some(name) = &module.funcs.get(f).name {
            out.append(indices.func(f), name);
        }
    }
}

fn local_names(
    map: wasmparser::IndirectNameMap<'_>,
    module: &Module,
    ids: &OriginalIds,
    changes: &Changes,
    out_func: &dyn Fn(u32) -> Option<(u32, FunctionId)>,
    indices: &Indices,
    bodies: &IdMap<FunctionId, (wasm_encoder::Function, Vec<walrus::LocalId>)>,
) -> Result<(IndirectNameMap, usize)> {
    let bad =
        |e: wasmparser::BinaryReaderError| Error::parse(format!("malformed name section: {e}"));
    // Output function index -> names, merged from the input (untouched functions) and walrus
    // (changed and new functions), emitted in index order.
    let mut by_index: Vec<(u32, NameMap)> = Vec::new();
    let mut input_names: IdMap<FunctionId, std::collections::HashMap<u32, String>> =
        IdMap::default();
    for indirect in map {
        let indirect = indirect.map_err(bad)?;
        let Some((index, id)) = out_func(indirect.index) else {
            continue;
        };
        if bodies.contains_key(&id) {
            // Re-encoded: its input locals keep their names wherever they ended up (walrus
            // drops them: it reads the name section before the locals exist).
            let mut names = std::collections::HashMap::new();
            for naming in indirect.names {
                let naming = naming.map_err(bad)?;
                names.insert(naming.index, naming.name.to_string());
            }
            input_names.insert(id, names);
            continue;
        }
        by_index.push((index, copy_map(indirect.names)?));
    }
    for (&id, (_, locals)) in bodies {
        let mut out = NameMap::new();
        let mut any = false;
        let source = changes.copy_of.get(&id).copied().unwrap_or(id);
        let first = ids
            .locals
            .get(&source)
            .map_or(0..0, |&(first, count)| first..first + count as usize);
        let input = input_names.get(&source);
        for (i, &local) in locals.iter().enumerate() {
            let from_input = || {
                let index = local.index().checked_sub(first.start)?;
                first.contains(&local.index()).then_some(())?;
                input?.get(&(index as u32))
            };
            if let Some(name) = from_input().or(module.locals.get(local).name.as_ref()) {
                out.append(i as u32, name);
                any = true;
            }
        }
        if any {
            by_index.push((indices.func(id), out));
        }
    }
    by_index.sort_by_key(|(i, _)| *i);
    let mut out = IndirectNameMap::new();
    for (index, names) in &by_index {
        out.append(*index, names);
    }
    Ok((out, by_index.len()))
}

/// Global names: the input's (moved to their output indices) and the new globals', in index
/// order.
fn global_names(
    map: Option<wasmparser::NameMap<'_>>,
    module: &Module,
    ids: &OriginalIds,
    changes: &Changes,
    indices: &Indices,
) -> Result<NameMap> {
    let mut names: Vec<(u32, String)> = Vec::new();
    for naming in map.into_iter().flatten() {
        let naming = naming.map_err(|e| Error::parse(format!("malformed name section: {e}")))?;
        if let Some(&id) = ids.globals.get(naming.index as usize) {
            names.push((indices.global(id), naming.name.to_string()));
        }
    }
    for &g in changes
        .new_global_imports
        .iter()
        .chain(&changes.new_globals)
    {
        if let Some(name) = &module.globals.get(g).name {
            names.push((indices.global(g), name.clone()));
        }
    }
    names.sort_by_key(|(index, _)| *index);
    let mut out = NameMap::new();
    for (index, name) in &names {
        out.append(*index, name);
    }
    Ok(out)
}

fn append_table_names(out: &mut NameMap, module: &Module, changes: &Changes, indices: &Indices) {
    for &t in &changes.new_tables {
        if let Some(name) = &module.tables.get(t).name {
            out.append(indices.table(t), name);
        }
    }
}

fn copy_map(map: wasmparser::NameMap<'_>) -> Result<NameMap> {
    let mut out = NameMap::new();
    for naming in map {
        let naming = naming.map_err(|e| Error::parse(format!("malformed name section: {e}")))?;
        out.append(naming.index, naming.name);
    }
    Ok(out)
}

fn copy_indirect(map: wasmparser::IndirectNameMap<'_>) -> Result<IndirectNameMap> {
    let mut out = IndirectNameMap::new();
    for indirect in map {
        let indirect =
            indirect.map_err(|e| Error::parse(format!("malformed name section: {e}")))?;
        out.append(indirect.index, &copy_map(indirect.names)?);
    }
    Ok(out)
}
