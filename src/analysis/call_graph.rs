//! The module's call graph: who calls whom directly, who calls indirectly, and who calls the
//! in-module asyncify runtime API.
//!
//! Built once from walrus IR and then only read. Nodes are functions (imports included);
//! edges are direct calls (`call` and `return_call`), from caller to callee. The same walk
//! collects what [`indirect`](super::indirect) needs to say where indirect calls can go.

use crate::abi::{self, Api};
use crate::analysis::indirect::{IndirectCalls, Scanner};
use crate::ir;
use crate::ir::IdMap;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeSet;
use walrus::{FunctionId, FunctionKind, Module};

/// What the call graph knows about one function.
#[derive(Clone, Debug)]
pub struct FuncFacts {
    /// The function.
    pub id: FunctionId,
    /// The function's index in the input module.
    pub index: u32,
    /// The name lists match against: the name-section name, or the index if unnamed.
    pub name: String,
    /// `(module, field)` if the function is an import.
    pub import: Option<(String, String)>,
    /// If the function is an `asyncify.*` import, which API function it stands for.
    pub api: Option<Api>,
    /// Number of `call_indirect`/`call_ref` (including their tail-call forms) in the body.
    pub indirect_calls: u32,
    /// Whether the body contains a tail call of any kind.
    pub tail_calls: bool,
    /// The asyncify API functions this function calls directly.
    pub api_calls: BTreeSet<Api>,
    /// The names the function is exported under.
    pub exports: Vec<String>,
    /// How deeply blocks nest in the body (the body alone is 1; 0 for an import).
    pub nesting: usize,
}

/// The call graph.
pub struct CallGraph {
    /// Facts per function, in input index order.
    pub funcs: Vec<FuncFacts>,
    /// The indirect calls and the functions each can reach.
    pub indirect: IndirectCalls,
    graph: DiGraph<FunctionId, ()>,
    node_of: IdMap<FunctionId, NodeIndex>,
}

impl CallGraph {
    /// Build the call graph of `module`. `order` lists every function of the input in index
    /// order (imports first).
    pub fn new(module: &Module, order: &[FunctionId]) -> CallGraph {
        let mut graph = DiGraph::with_capacity(order.len(), order.len() * 2);
        let mut node_of = IdMap::with_capacity_and_hasher(order.len(), Default::default());
        for &id in order {
            node_of.insert(id, graph.add_node(id));
        }

        let mut funcs = Vec::with_capacity(order.len());
        let mut edges = Vec::new();
        let mut scanner = Scanner::new(module);
        for (index, &id) in order.iter().enumerate() {
            let func = module.funcs.get(id);
            let name = func.name.clone().unwrap_or_else(|| index.to_string());
            let mut facts = FuncFacts {
                id,
                index: index as u32,
                name,
                import: None,
                api: None,
                indirect_calls: 0,
                tail_calls: false,
                api_calls: BTreeSet::new(),
                exports: Vec::new(),
                nesting: 0,
            };
            match &func.kind {
                FunctionKind::Import(import) => {
                    let import = module.imports.get(import.import);
                    if import.module == abi::IMPORT_MODULE {
                        facts.api = Api::from_import_name(&import.name);
                    }
                    facts.import = Some((import.module.clone(), import.name.clone()));
                }
                FunctionKind::Local(local) => {
                    let mut callees = BTreeSet::new();
                    for (seq, depth) in ir::seqs_pre_order_nested(local) {
                        facts.nesting = facts.nesting.max(depth);
                        let instrs = &local.block(seq).instrs;
                        for (at, (instr, _)) in instrs.iter().enumerate() {
                            scanner.instr(index, instrs, at);
                            if let Some(callee) = ir::direct_callee(instr) {
                                callees.insert(callee);
                            }
                            if ir::is_indirect_call(instr) {
                                facts.indirect_calls += 1;
                            }
                            facts.tail_calls |= ir::is_tail_call(instr);
                        }
                    }
                    for callee in callees {
                        edges.push((node_of[&id], node_of[&callee]));
                    }
                }
                FunctionKind::Uninitialized(_) => unreachable!("walrus finished parsing"),
            }
            funcs.push(facts);
        }
        for export in module.exports.iter() {
            if let walrus::ExportItem::Function(f) = export.item {
                funcs[node_of[&f].index()].exports.push(export.name.clone());
            }
        }
        for (from, to) in edges {
            graph.add_edge(from, to, ());
        }

        let mut call_graph = CallGraph {
            funcs,
            indirect: scanner.finish(module, order),
            graph,
            node_of,
        };
        // Record which API functions each function calls (needs the import facts above).
        for i in 0..call_graph.funcs.len() {
            let id = call_graph.funcs[i].id;
            let api_calls: BTreeSet<Api> = call_graph
                .callees(id)
                .filter_map(|callee| call_graph.facts(callee).api)
                .collect();
            call_graph.funcs[i].api_calls = api_calls;
        }
        call_graph
    }

    /// Facts about `id`.
    pub fn facts(&self, id: FunctionId) -> &FuncFacts {
        &self.funcs[self.node_of[&id].index()]
    }

    /// Position of `id` in [`CallGraph::funcs`] (its input index).
    pub fn position(&self, id: FunctionId) -> usize {
        self.node_of[&id].index()
    }

    /// Position of `id` in [`CallGraph::funcs`], if it is a function of the input (not one
    /// asyncify added).
    pub fn try_position(&self, id: FunctionId) -> Option<usize> {
        self.node_of.get(&id).map(|n| n.index())
    }

    /// The functions `id` calls directly.
    pub fn callees(&self, id: FunctionId) -> impl Iterator<Item = FunctionId> + '_ {
        self.graph
            .neighbors_directed(self.node_of[&id], petgraph::Direction::Outgoing)
            .map(|n| self.graph[n])
    }

    /// The functions that call `id` directly.
    pub fn callers(&self, id: FunctionId) -> impl Iterator<Item = FunctionId> + '_ {
        self.graph
            .neighbors_directed(self.node_of[&id], petgraph::Direction::Incoming)
            .map(|n| self.graph[n])
    }
}
