//! Which functions an indirect call can reach.
//!
//! A `call_indirect (type T)` on table `t` can only call a function of type `T` that can be
//! in `t`; a `call_ref (type T)` only a function of type `T` whose reference exists as a
//! value. This analysis works out, once per module, a sound superset of those functions for
//! every (table, type) and every `call_ref` type: a *class*. Call sites with the same table
//! and type share a class. [`can_pause`](super::can_pause) then lets an indirect call pause
//! only if one of its class's targets can.
//!
//! ```wat
//! (type $v (func))
//! (table 2 funcref)
//! (elem (i32.const 0) $quiet $sleepy)   ;; the only way functions get into the table
//! (func $sleepy (call $sleep))          ;; can pause
//! (func $quiet)
//! (func $log (param i32))               ;; never in the table
//! (func $f (call_indirect (type $v) (i32.const 0)))
//! ;; class of $f's call: table 0, type (func): targets $quiet and $sleepy.
//! ;; $sleepy can pause, so $f can; a call of type (func (param i32)) on table 0 has no
//! ;; targets at all and never pauses.
//! ```
//!
//! Where function references come from (the *pool*):
//! - `ref.func` anywhere (code, global initializers, element segments of every kind, table
//!   initializers), and function indices in element segments;
//! - when references can come in from outside (see below), the module's exported and
//!   imported functions: the host holds references to those and can hand them back.
//!
//! What a table can hold:
//! - its active element segments and initializer, `table.init` from passive segments,
//!   `table.copy` from other tables, and `table.set`/`table.fill`/`table.grow` of a
//!   `ref.func` or `ref.null` written right before them;
//! - any pool function after a write of a value not known here;
//! - every pool function if the table is imported or exported (the host can write it).
//!
//! References from outside the module (a host function, another module's function) can
//! enter if a table or a function-reference global is imported or exported (mutable, for
//! exports), an import returns a function reference, an export takes one, or a tag carries
//! one. Then classes of shared tables, of tables written with unknown values and of
//! `call_ref` are *foreign*: they can reach functions of other modules, which
//! [`can_pause`](super::can_pause) treats as pausing whenever the host can pause (unless
//! `--closed-world` is given).
//!
//! Types are compared by signature (parameters and results), which is exact without GC
//! types. A module that declares subtypes, non-final types or struct and array types is
//! treated conservatively: types are not compared at all, and references may come from
//! outside.

use crate::ir::IdMap;
use std::collections::{BTreeSet, HashMap};
use walrus::ir::{Instr, InstrLocId};
use walrus::{
    AbstractHeapType, ConstExpr, ElementItems, ExportItem, FunctionId, FunctionKind, GlobalKind,
    HeapType, Module, RefType, TableId, TypeId, ValType,
};

/// An indirect call instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteKind {
    /// `call_indirect`.
    CallIndirect,
    /// `return_call_indirect`.
    ReturnCallIndirect,
    /// `call_ref`.
    CallRef,
    /// `return_call_ref`.
    ReturnCallRef,
}

impl SiteKind {
    /// The instruction's text-format name.
    pub fn mnemonic(self) -> &'static str {
        match self {
            SiteKind::CallIndirect => "call_indirect",
            SiteKind::ReturnCallIndirect => "return_call_indirect",
            SiteKind::CallRef => "call_ref",
            SiteKind::ReturnCallRef => "return_call_ref",
        }
    }

    /// Whether the call goes through a table (as opposed to a function reference).
    pub fn uses_table(self) -> bool {
        matches!(self, SiteKind::CallIndirect | SiteKind::ReturnCallIndirect)
    }
}

/// One indirect call in a function body.
#[derive(Clone, Copy, Debug)]
pub struct Site {
    /// The instruction.
    pub kind: SiteKind,
    /// Its class: index into [`IndirectCalls::classes`].
    pub class: usize,
}

/// Indirect calls that can reach the same functions: one table (or function references)
/// and one signature.
#[derive(Clone, Debug)]
pub struct Class {
    /// The table, by index into [`IndirectCalls::tables`]; `None` for `call_ref`.
    pub table: Option<usize>,
    /// The called type (as written at the first site of the class).
    pub ty: TypeId,
    /// The signature, as text: `(func (param i32) (result i32))`.
    pub signature: String,
    /// Functions (by input index) the calls can reach, ascending.
    pub targets: Vec<usize>,
    /// Whether functions from outside the module can be reached too.
    pub foreign: bool,
    /// Functions (by input index) with a call of this class, ascending.
    pub callers: Vec<usize>,
}

/// What the analysis found out about one table.
#[derive(Clone, Debug)]
pub struct TableFacts {
    /// `$name` from the name section, or the table's index.
    pub name: String,
    /// The table is imported.
    pub imported: bool,
    /// The table is exported.
    pub exported: bool,
    /// Some write stores a value not known here (`table.set` of a computed reference).
    pub unknown_writes: bool,
    /// Functions (by input index) the table can hold, ascending.
    pub contents: Vec<usize>,
    /// Whether functions from outside the module can be in it.
    pub foreign: bool,
}

impl TableFacts {
    /// Why the table holds what it holds, as a relative clause for messages: "which only
    /// the module fills", "which is exported".
    pub fn describe(&self) -> String {
        let mut why = Vec::new();
        if self.imported {
            why.push("imported");
        }
        if self.exported {
            why.push("exported");
        }
        if self.unknown_writes {
            why.push("written with computed references");
        }
        if why.is_empty() {
            "which only the module fills".to_string()
        } else {
            format!("which is {}", why.join(" and "))
        }
    }
}

/// The indirect calls of a module and what they can reach.
#[derive(Clone, Debug, Default)]
pub struct IndirectCalls {
    /// Per function (input index): its indirect calls, in pre-order.
    pub sites: Vec<Vec<Site>>,
    /// The classes.
    pub classes: Vec<Class>,
    /// Per function (input index): the classes it is a target of, ascending.
    pub target_of: Vec<Vec<usize>>,
    /// The tables, in index order.
    pub tables: Vec<TableFacts>,
    /// Functions (by input index) whose reference can exist as a value, ascending.
    pub pool: Vec<usize>,
    /// Whether references from outside the module can come in.
    pub foreign_refs: bool,
    /// Whether signatures are compared (false for modules with GC types).
    pub types_compared: bool,
    /// The class of each (table index or `None`, signature key).
    class_index: HashMap<(Option<usize>, usize), usize>,
    /// Signature key per type.
    sig_of: IdMap<TypeId, usize>,
    /// Index of each table.
    table_index: IdMap<TableId, usize>,
}

impl IndirectCalls {
    /// The class of an indirect call through `table` (`None`: `call_ref`) of type `ty`, if
    /// the module has such a call.
    pub fn class_of(&self, table: Option<TableId>, ty: TypeId) -> Option<usize> {
        let table = match table {
            Some(t) => Some(*self.table_index.get(&t)?),
            None => None,
        };
        let sig = self.sig_of.get(&ty).copied().unwrap_or(usize::MAX);
        self.class_index.get(&(table, sig)).copied()
    }

    /// How a class's calls are written, for messages: `call_indirect (type (func)) on table
    /// 0` or `call_ref (type (func))`.
    pub fn describe_class(&self, class: usize) -> String {
        let c = &self.classes[class];
        match c.table {
            Some(t) => format!(
                "call_indirect (type {}) on table {}",
                c.signature, self.tables[t].name
            ),
            None => format!("call_ref (type {})", c.signature),
        }
    }

    /// Why a class reaches what it reaches, as a relative clause for messages.
    pub fn describe_source(&self, class: usize) -> String {
        let c = &self.classes[class];
        match c.table {
            Some(t) => self.tables[t].describe(),
            None if self.foreign_refs => format!(
                "which can reach the {} functions whose reference is taken or given out, and \
                 functions from outside the module",
                self.pool.len()
            ),
            None => format!(
                "which can reach the {} functions whose reference is taken",
                self.pool.len()
            ),
        }
    }
}

/// A value stored into a table by `table.set`, `table.fill` or `table.grow`.
enum Stored {
    /// `ref.func`.
    Function(FunctionId),
    /// `ref.null`.
    Null,
    /// Anything else.
    Unknown,
}

/// Collects facts from function bodies, one instruction at a time (the call graph's walk
/// calls [`Scanner::instr`]), then [`Scanner::finish`] computes the classes.
pub struct Scanner {
    /// Signature key per type.
    sig_of: IdMap<TypeId, usize>,
    sig_text: Vec<String>,
    types_compared: bool,
    referenced: BTreeSet<FunctionId>,
    /// `(table, stored)` for every table write.
    writes: Vec<(TableId, Option<FunctionId>, bool)>,
    /// `(dst, elem)` of `table.init`.
    inits: Vec<(TableId, walrus::ElementId)>,
    /// `(dst, src)` of `table.copy`.
    copies: Vec<(TableId, TableId)>,
    /// `(caller, kind, table, type)` of every indirect call, in walk order.
    calls: Vec<(usize, SiteKind, Option<TableId>, TypeId)>,
}

impl Scanner {
    /// Prepare to scan `module`.
    pub fn new(module: &Module) -> Scanner {
        let mut types_compared = true;
        let mut sig_of = IdMap::default();
        let mut sig_text = Vec::new();
        let mut by_signature: HashMap<(Vec<ValType>, Vec<ValType>), usize> = HashMap::new();
        for ty in module.types.iter() {
            if !ty.is_function() || !ty.is_final || ty.supertype.is_some() {
                types_compared = false;
            }
            if !ty.is_function() {
                continue;
            }
            let key = (ty.params().to_vec(), ty.results().to_vec());
            let next = by_signature.len();
            let sig = *by_signature.entry(key).or_insert_with(|| {
                sig_text.push(signature_text(ty.params(), ty.results()));
                next
            });
            sig_of.insert(ty.id(), sig);
        }
        Scanner {
            sig_of,
            sig_text,
            types_compared,
            referenced: BTreeSet::new(),
            writes: Vec::new(),
            inits: Vec::new(),
            copies: Vec::new(),
            calls: Vec::new(),
        }
    }

    /// Look at the instruction at `at` in `seq` (a sequence of `caller`, by input index).
    pub fn instr(&mut self, caller: usize, seq: &[(Instr, InstrLocId)], at: usize) {
        match &seq[at].0 {
            Instr::CallIndirect(c) => {
                self.calls
                    .push((caller, SiteKind::CallIndirect, Some(c.table), c.ty));
            }
            Instr::ReturnCallIndirect(c) => {
                self.calls
                    .push((caller, SiteKind::ReturnCallIndirect, Some(c.table), c.ty));
            }
            Instr::CallRef(c) => self.calls.push((caller, SiteKind::CallRef, None, c.ty)),
            Instr::ReturnCallRef(c) => {
                self.calls
                    .push((caller, SiteKind::ReturnCallRef, None, c.ty));
            }
            Instr::RefFunc(r) => {
                self.referenced.insert(r.func);
            }
            // table.set: [index, value]; the value is the instruction just before.
            Instr::TableSet(t) => self.write(t.table, stored(seq, at, 1)),
            // table.fill: [index, value, count]; table.grow: [value, delta]. The value is
            // known if it is a `ref.func`/`ref.null` followed by one plain push.
            Instr::TableFill(t) => self.write(t.table, stored(seq, at, 2)),
            Instr::TableGrow(t) => self.write(t.table, stored(seq, at, 2)),
            Instr::TableInit(t) => self.inits.push((t.table, t.elem)),
            Instr::TableCopy(t) => self.copies.push((t.dst, t.src)),
            _ => {}
        }
    }

    fn write(&mut self, table: TableId, value: Stored) {
        match value {
            Stored::Function(f) => self.writes.push((table, Some(f), false)),
            Stored::Null => {}
            Stored::Unknown => self.writes.push((table, None, true)),
        }
    }

    /// Compute the classes. `order` lists every function in input index order.
    pub fn finish(self, module: &Module, order: &[FunctionId]) -> IndirectCalls {
        let n = order.len();
        let position: IdMap<FunctionId, usize> =
            order.iter().enumerate().map(|(i, &f)| (f, i)).collect();
        let pos = |f: &FunctionId| position[f];

        // Where references come from: code (collected), element segments, globals, tables.
        // A `global.get` in a constant expression reads an imported global (covered by the
        // check for references from outside below) or an earlier immutable one (whose
        // initializer is scanned too): its value is some pool function.
        let mut referenced: BTreeSet<usize> = self.referenced.iter().map(pos).collect();
        let collect = |expr: &ConstExpr, into: &mut Vec<usize>, unknown: &mut bool| {
            const_refs(expr, &mut |f| into.push(pos(&f)), unknown);
        };
        let mut elem_items: IdMap<walrus::ElementId, (Vec<usize>, bool)> = IdMap::default();
        for elem in module.elements.iter() {
            let mut items = Vec::new();
            let mut unknown = false;
            match &elem.items {
                ElementItems::Functions(funcs) => items.extend(funcs.iter().map(pos)),
                ElementItems::Expressions(_, exprs) => {
                    for expr in exprs {
                        collect(expr, &mut items, &mut unknown);
                    }
                }
            }
            referenced.extend(items.iter().copied());
            elem_items.insert(elem.id(), (items, unknown));
        }
        for global in module.globals.iter() {
            if let GlobalKind::Local(expr) = &global.kind {
                let mut items = Vec::new();
                collect(expr, &mut items, &mut false);
                referenced.extend(items);
            }
        }
        let table_ids: Vec<TableId> = module.tables.iter().map(|t| t.id()).collect();
        let table_index: IdMap<TableId, usize> =
            table_ids.iter().enumerate().map(|(i, &t)| (t, i)).collect();
        let mut table_init: Vec<(Vec<usize>, bool)> = vec![(Vec::new(), false); table_ids.len()];
        for (i, &id) in table_ids.iter().enumerate() {
            if let Some(expr) = &module.tables.get(id).init {
                let (items, unknown) = &mut table_init[i];
                collect(expr, items, unknown);
                referenced.extend(items.iter().copied());
            }
        }

        // Can references come in from outside?
        let func_hierarchy = |ty: &ValType| match ty {
            ValType::Ref(r) => is_func_ref(module, r),
            _ => false,
        };
        let mut exported_tables = BTreeSet::new();
        let mut exported_globals = BTreeSet::new();
        let mut exported_funcs = BTreeSet::new();
        for e in module.exports.iter() {
            match e.item {
                ExportItem::Table(t) => {
                    exported_tables.insert(t);
                }
                ExportItem::Global(g) => {
                    exported_globals.insert(g);
                }
                ExportItem::Function(f) => {
                    exported_funcs.insert(f);
                }
                _ => {}
            }
        }
        let mut foreign_refs = !self.types_compared;
        for table in module.tables.iter() {
            let shared = table.import.is_some() || exported_tables.contains(&table.id());
            foreign_refs |= shared && is_func_ref(module, &table.element_ty);
        }
        for global in module.globals.iter() {
            let shared = matches!(global.kind, GlobalKind::Import(_))
                || (global.mutable && exported_globals.contains(&global.id()));
            foreign_refs |= shared && func_hierarchy(&global.ty);
        }
        for func in module.funcs.iter() {
            let ty = module.types.get(func.ty());
            let inbound = match &func.kind {
                FunctionKind::Import(_) => ty.results(),
                _ if exported_funcs.contains(&func.id()) => ty.params(),
                _ => &[],
            };
            foreign_refs |= inbound.iter().any(func_hierarchy);
        }
        for tag in module.tags.iter() {
            foreign_refs |= module.types.get(tag.ty).params().iter().any(func_hierarchy);
        }

        // The pool: every function whose reference can exist as a value.
        let mut pool = referenced;
        if foreign_refs {
            pool.extend(exported_funcs.iter().map(pos));
            for (i, &f) in order.iter().enumerate() {
                if matches!(module.funcs.get(f).kind, FunctionKind::Import(_)) {
                    pool.insert(i);
                }
            }
        }

        // Table contents, to a fixpoint over `table.copy`.
        let mut tables: Vec<TableFacts> = table_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let table = module.tables.get(id);
                let imported = table.import.is_some();
                let exported = exported_tables.contains(&id);
                let shared = imported || exported;
                let (init, init_unknown) = &table_init[i];
                let mut contents: BTreeSet<usize> = init.iter().copied().collect();
                let mut unknown_writes = *init_unknown;
                for &seg in &table.elem_segments {
                    let (items, unknown) = &elem_items[&seg];
                    contents.extend(items.iter().copied());
                    unknown_writes |= *unknown;
                }
                if shared {
                    contents.extend(pool.iter().copied());
                }
                TableFacts {
                    name: match &table.name {
                        Some(name) => format!("${name}"),
                        None => i.to_string(),
                    },
                    imported,
                    exported,
                    unknown_writes,
                    contents: contents.into_iter().collect(),
                    foreign: shared && foreign_refs,
                }
            })
            .collect();
        // Writes from code. (`table.init` of an active or declarative segment copies nothing,
        // since those are dropped at instantiation; counting them anyway is harmless.)
        for &(table, f, unknown) in &self.writes {
            let t = &mut tables[table_index[&table]];
            t.unknown_writes |= unknown;
            if let Some(f) = f {
                t.contents.push(pos(&f));
            }
        }
        for &(table, elem) in &self.inits {
            let t = &mut tables[table_index[&table]];
            let (items, unknown) = &elem_items[&elem];
            t.contents.extend(items.iter().copied());
            t.unknown_writes |= *unknown;
        }
        for t in tables.iter_mut() {
            if t.unknown_writes {
                t.contents.extend(pool.iter().copied());
                t.foreign |= foreign_refs;
            }
            t.contents.sort_unstable();
            t.contents.dedup();
        }
        loop {
            let mut changed = false;
            for &(dst, src) in &self.copies {
                let (d, s) = (table_index[&dst], table_index[&src]);
                if d == s {
                    continue;
                }
                let from = tables[s].contents.clone();
                let foreign = tables[s].foreign;
                let to = &mut tables[d];
                let before = to.contents.len();
                to.contents.extend(from);
                to.contents.sort_unstable();
                to.contents.dedup();
                changed |= to.contents.len() != before || (foreign && !to.foreign);
                to.foreign |= foreign;
            }
            if !changed {
                break;
            }
        }

        // Classes: one per (table or call_ref, signature), in order of first appearance.
        let sig = |ty: TypeId| self.sig_of.get(&ty).copied().unwrap_or(usize::MAX);
        let func_sig: Vec<usize> = order
            .iter()
            .map(|&f| sig(module.funcs.get(f).ty()))
            .collect();
        let pool: Vec<usize> = pool.into_iter().collect();
        let mut class_of: HashMap<(Option<usize>, usize), usize> = HashMap::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut sites: Vec<Vec<Site>> = vec![Vec::new(); n];
        for &(caller, kind, table, ty) in &self.calls {
            let table = table.map(|t| table_index[&t]);
            let key = (table, sig(ty));
            let class = *class_of.entry(key).or_insert_with(|| {
                let (candidates, foreign) = match table {
                    Some(t) => (&tables[t].contents, tables[t].foreign),
                    None => (&pool, foreign_refs),
                };
                let targets = candidates
                    .iter()
                    .copied()
                    .filter(|&f| !self.types_compared || func_sig[f] == key.1)
                    .collect();
                classes.push(Class {
                    table,
                    ty,
                    signature: self
                        .sig_text
                        .get(key.1)
                        .cloned()
                        .unwrap_or_else(|| "?".into()),
                    targets,
                    foreign,
                    callers: Vec::new(),
                });
                classes.len() - 1
            });
            sites[caller].push(Site { kind, class });
            let callers = &mut classes[class].callers;
            if callers.last() != Some(&caller) {
                callers.push(caller);
            }
        }
        let mut target_of = vec![Vec::new(); n];
        for (c, class) in classes.iter_mut().enumerate() {
            class.callers.sort_unstable();
            class.callers.dedup();
            for &t in &class.targets {
                target_of[t].push(c);
            }
        }
        IndirectCalls {
            sites,
            classes,
            target_of,
            tables,
            pool,
            foreign_refs,
            types_compared: self.types_compared,
            class_index: class_of,
            sig_of: self.sig_of,
            table_index,
        }
    }
}

/// The value a table write stores: `depth` is 1 when it is the top of the stack, 2 when one
/// plain push follows it.
fn stored(seq: &[(Instr, InstrLocId)], at: usize, depth: usize) -> Stored {
    if at < depth {
        return Stored::Unknown;
    }
    if depth == 2 && !pushes_one_plain_value(&seq[at - 1].0) {
        return Stored::Unknown;
    }
    match &seq[at - depth].0 {
        Instr::RefFunc(r) => Stored::Function(r.func),
        Instr::RefNull(_) => Stored::Null,
        _ => Stored::Unknown,
    }
}

/// Instructions that push one value and pop nothing.
fn pushes_one_plain_value(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Const(_) | Instr::LocalGet(_) | Instr::GlobalGet(_)
    )
}

/// The functions a constant expression references; `unknown` is set if it reads a global
/// (whose value is not tracked) that could hold a function reference.
fn const_refs(expr: &ConstExpr, found: &mut dyn FnMut(FunctionId), unknown: &mut bool) {
    match expr {
        ConstExpr::RefFunc(f) => found(*f),
        ConstExpr::Global(_) => *unknown = true,
        ConstExpr::Extended(ops) => {
            for op in ops {
                match op {
                    walrus::ConstOp::RefFunc(f) => found(*f),
                    walrus::ConstOp::GlobalGet(_) => *unknown = true,
                    _ => {}
                }
            }
        }
        ConstExpr::Value(_) | ConstExpr::RefNull(_) => {}
    }
}

/// Whether a reference type can hold a function.
fn is_func_ref(module: &Module, r: &RefType) -> bool {
    match r.heap_type {
        HeapType::Abstract(AbstractHeapType::Func | AbstractHeapType::NoFunc) => true,
        HeapType::Abstract(_) => false,
        HeapType::Concrete(ty) | HeapType::Exact(ty) => module.types.get(ty).is_function(),
        // A heap type walrus added later: assume it can.
        _ => true,
    }
}

/// `(func (param i32) (result i32))`.
pub fn signature_text(params: &[ValType], results: &[ValType]) -> String {
    let list = |tys: &[ValType]| {
        tys.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut text = String::from("(func");
    if !params.is_empty() {
        text.push_str(&format!(" (param {})", list(params)));
    }
    if !results.is_empty() {
        text.push_str(&format!(" (result {})", list(results)));
    }
    text.push(')');
    text
}
