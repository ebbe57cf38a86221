//! Which functions can be on the stack when a pause happens, and so must be instrumented.
//!
//! The rules are Binaryen's, so that a build switching tools gets the same set:
//!
//! 1. An import can pause if `--imports` lists it (`module.base`, wildcards allowed), or if
//!    there is no list and `--ignore-imports` is not given. `asyncify.start_unwind` and
//!    `asyncify.stop_rewind` always can.
//! 2. A defined function can pause if it calls `asyncify.start_unwind`/`stop_rewind` (it is
//!    then *runtime* code: not instrumented itself, but its callers are), or if it contains
//!    an indirect call and indirect calls are not ignored. A function calling
//!    `asyncify.stop_unwind`/`start_rewind` is the other half of the runtime: it never
//!    pauses and is never instrumented. (`asyncify.get_state` changes nothing.)
//! 3. The remove-list clears functions; with `--propagate-add-list` the add-list sets them.
//! 4. Propagation: a caller of a function that can pause can pause, unless it is in the
//!    remove-list or is runtime code that stops unwinds.
//! 5. The only-list then decides alone for every defined function; otherwise the add-list
//!    (without propagation) adds its functions.
//!
//! A function is instrumented if it can pause and is not runtime code. Indirect calls are
//! pause points in instrumented functions unless `--ignore-indirect` is given, except in
//! functions named by the add- or only-list.

use crate::Diagnostic;
use crate::Level;
use crate::abi::Api;
use crate::analysis::call_graph::CallGraph;
use crate::error::{Error, ErrorKind, Result};
use crate::list::{NameList, suggest};
use crate::options::Options;
use std::collections::VecDeque;
use walrus::FunctionId;

/// Why a function can pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// An import that can pause (listed, or every import when there is no list).
    Import,
    /// The `asyncify.start_unwind` or `asyncify.stop_rewind` import.
    ApiImport,
    /// Runtime code that starts unwinds or stops rewinds.
    CallsApi(Api),
    /// Contains an indirect call, and indirect calls may pause.
    IndirectCall,
    /// Calls a function that can pause.
    Calls(FunctionId),
    /// Named in the add-list.
    AddList,
    /// Named in the only-list.
    OnlyList,
}

/// The part a function plays in an in-module runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Role {
    /// Ordinary code.
    #[default]
    Program,
    /// Calls `start_unwind`/`stop_rewind`: where pauses start and end. Not instrumented.
    PauseRuntime,
    /// Calls `stop_unwind`/`start_rewind`: the scheduler that regains control. Not
    /// instrumented and never pausing.
    Scheduler,
}

/// The instrumentation decision for every function, by input index.
#[derive(Clone, Debug)]
pub struct Instrumentation {
    /// Whether each function can be on the stack when a pause happens.
    pub can_pause: Vec<bool>,
    /// Why, for those that can.
    pub reasons: Vec<Option<Reason>>,
    /// Each function's part in an in-module runtime.
    pub roles: Vec<Role>,
    /// Whether each function was named by the add- or only-list.
    pub from_list: Vec<bool>,
    /// Whether indirect calls may pause in general (no `--ignore-indirect`).
    pub indirect_can_pause: bool,
    /// Whether each function is an import (never instrumented).
    pub imported: Vec<bool>,
}

impl Instrumentation {
    /// Whether the function at input index `index` gets instrumented.
    pub fn instrumented(&self, index: usize) -> bool {
        self.can_pause[index] && self.roles[index] != Role::PauseRuntime && !self.imported[index]
    }

    /// Whether indirect calls are pause points inside the function at `index`.
    pub fn indirect_pauses_in(&self, index: usize) -> bool {
        self.indirect_can_pause || self.from_list[index]
    }
}

/// Decide which functions can pause. Warnings (list entries that match nothing) and, with
/// `verbose`, the decisions are appended to `diagnostics`.
pub fn analyze(
    graph: &CallGraph,
    options: &Options,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Instrumentation> {
    let n = graph.funcs.len();
    let imports = options
        .imports
        .as_deref()
        .map(|raw| NameList::new("--imports", raw))
        .transpose()?
        .filter(|list| !list.is_empty());
    let add = NameList::new("--add-list", &options.add_list)?;
    let remove = NameList::new("--remove-list", &options.remove_list)?;
    let only = NameList::new("--only-list", &options.only_list)?;
    if !only.is_empty() && (!add.is_empty() || !remove.is_empty()) {
        return Err(Error::new(
            ErrorKind::BadList,
            "`--only-list` cannot be combined with `--add-list` or `--remove-list`: the only-list \
             alone decides which functions are instrumented",
        ));
    }
    check_lists_name_functions(graph, &[&add, &remove, &only])?;
    check_imports_name_imports(graph, imports.as_ref())?;

    let mut verbose: Vec<String> = Vec::new();
    let mut can_pause = vec![false; n];
    let mut reasons = vec![None; n];
    let mut roles = vec![Role::Program; n];
    let mut from_list = vec![false; n];
    let mut in_remove = vec![false; n];
    let indirect_can_pause = !options.ignore_indirect;

    // 1 and 2: the initial scan.
    for (i, f) in graph.funcs.iter().enumerate() {
        if let Some((module, field)) = &f.import {
            if module == crate::abi::IMPORT_MODULE {
                match f.api {
                    Some(Api::StartUnwind | Api::StopRewind) => {
                        can_pause[i] = true;
                        reasons[i] = Some(Reason::ApiImport);
                    }
                    Some(_) => {}
                    None => {
                        return Err(Error::unsupported(format!(
                            "unknown asyncify import `{module}.{field}`; the in-module API is \
                             `start_unwind`, `stop_unwind`, `start_rewind`, `stop_rewind` and \
                             `get_state`"
                        )));
                    }
                }
                continue;
            }
            let full = format!("{module}.{field}");
            let listed = match &imports {
                Some(list) => list.matches(&full),
                None => !options.ignore_imports,
            };
            if listed {
                can_pause[i] = true;
                reasons[i] = Some(Reason::Import);
                verbose.push(format!("{} is an import that can change the state", f.name));
            }
            continue;
        }
        if let Some(&api) = f
            .api_calls
            .iter()
            .find(|a| matches!(a, Api::StartUnwind | Api::StopRewind))
        {
            can_pause[i] = true;
            reasons[i] = Some(Reason::CallsApi(api));
            roles[i] = Role::PauseRuntime;
        } else if f.indirect_calls > 0 && indirect_can_pause {
            can_pause[i] = true;
            reasons[i] = Some(Reason::IndirectCall);
        }
        if f.api_calls
            .iter()
            .any(|a| matches!(a, Api::StopUnwind | Api::StartRewind))
        {
            // The scheduler side of a runtime wins: it regains control after an unwind, so
            // unwinding must stop there.
            roles[i] = Role::Scheduler;
            can_pause[i] = false;
            reasons[i] = None;
        }
        if can_pause[i] {
            verbose.push(format!(
                "{} can change the state due to initial scan",
                f.name
            ));
        }
    }

    // 3: the remove-list, then (when propagating) the add-list.
    for (i, f) in graph.funcs.iter().enumerate() {
        if f.import.is_some() {
            continue;
        }
        if remove.matches(&f.name) {
            in_remove[i] = true;
            if can_pause[i] {
                verbose.push(format!("{} is in the remove-list, ignore", f.name));
            }
            can_pause[i] = false;
            reasons[i] = None;
        }
    }
    let apply_add_list = |can_pause: &mut [bool],
                          reasons: &mut [Option<Reason>],
                          from_list: &mut [bool],
                          verbose: &mut Vec<String>|
     -> Result<()> {
        for (i, f) in graph.funcs.iter().enumerate() {
            if f.import.is_some() || !add.matches(&f.name) {
                continue;
            }
            if in_remove[i] {
                return Err(Error::new(
                    ErrorKind::BadList,
                    format!("`{}` is in both the add-list and the remove-list", f.name),
                ));
            }
            if !can_pause[i] {
                verbose.push(format!("{} is in the add-list, add", f.name));
                reasons[i] = Some(Reason::AddList);
            }
            can_pause[i] = true;
            from_list[i] = true;
        }
        Ok(())
    };
    if options.propagate_add_list {
        apply_add_list(&mut can_pause, &mut reasons, &mut from_list, &mut verbose)?;
    }

    // 4: propagate to callers, breadth first from every function that can pause.
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| can_pause[i]).collect();
    while let Some(i) = queue.pop_front() {
        let callee = graph.funcs[i].id;
        if graph.funcs[i].api.is_some() {
            // Calls to the API imports were accounted for in the scan.
            continue;
        }
        for caller in graph.callers(callee) {
            let c = graph.position(caller);
            if can_pause[c] || in_remove[c] || roles[c] == Role::Scheduler {
                continue;
            }
            can_pause[c] = true;
            reasons[c] = Some(Reason::Calls(callee));
            verbose.push(format!(
                "{} can change the state due to {}",
                graph.funcs[c].name, graph.funcs[i].name
            ));
            queue.push_back(c);
        }
    }

    // 5: the only-list decides alone; otherwise the plain add-list adds.
    if !only.is_empty() {
        for (i, f) in graph.funcs.iter().enumerate() {
            if f.import.is_some() {
                continue;
            }
            let matched = only.matches(&f.name);
            can_pause[i] = matched;
            from_list[i] = matched;
            reasons[i] = matched.then_some(Reason::OnlyList);
            verbose.push(format!(
                "{}'s state is set based on the only-list to {}",
                f.name, matched as u8
            ));
        }
    }
    if !options.propagate_add_list {
        apply_add_list(&mut can_pause, &mut reasons, &mut from_list, &mut verbose)?;
    }

    // Warnings for entries that matched nothing, with the closest name as a hint.
    let function_names = || {
        graph
            .funcs
            .iter()
            .filter(|f| f.import.is_none())
            .map(|f| f.name.as_str())
    };
    for list in [&add, &remove, &only] {
        for entry in list.unmatched() {
            diagnostics.push(unmatched_warning(
                list.flag(),
                entry,
                "function",
                function_names(),
            ));
        }
    }
    if let Some(list) = &imports {
        let import_names: Vec<String> = graph
            .funcs
            .iter()
            .filter_map(|f| f.import.as_ref().map(|(m, b)| format!("{m}.{b}")))
            .collect();
        for entry in list.unmatched() {
            diagnostics.push(unmatched_warning(
                list.flag(),
                entry,
                "imported function",
                import_names.iter().map(String::as_str),
            ));
        }
    }
    if options.verbose {
        // Binaryen prints its propagation lines in a nondeterministic order and sorts them;
        // we sort everything so the output is stable.
        verbose.sort();
        diagnostics.extend(verbose.into_iter().map(|message| Diagnostic {
            level: Level::Info,
            message,
        }));
    }

    Ok(Instrumentation {
        can_pause,
        reasons,
        roles,
        from_list,
        indirect_can_pause,
        imported: graph.funcs.iter().map(|f| f.import.is_some()).collect(),
    })
}

fn unmatched_warning<'a>(
    flag: &str,
    entry: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Diagnostic {
    let hint = match suggest(entry, candidates) {
        Some(close) => format!("; did you mean `{close}`?"),
        None => String::new(),
    };
    Diagnostic {
        level: Level::Warning,
        message: format!("{flag} entry `{entry}` matches no {what}{hint}"),
    }
}

/// Function lists name defined functions; naming an import there is a mistake worth an error
/// (Binaryen stops too), since imports are chosen with `--imports`.
fn check_lists_name_functions(graph: &CallGraph, lists: &[&NameList]) -> Result<()> {
    for list in lists {
        for entry in list.entries() {
            if entry.contains('*') {
                continue;
            }
            let names_import = graph
                .funcs
                .iter()
                .any(|f| f.import.is_some() && f.name == *entry);
            let names_function = graph
                .funcs
                .iter()
                .any(|f| f.import.is_none() && f.name == *entry);
            if names_import && !names_function {
                return Err(Error::new(
                    ErrorKind::BadList,
                    format!(
                        "{} names `{entry}`, which is an imported function; function lists \
                         name functions defined in the module, list imports with `--imports \
                         module.name`",
                        list.flag()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `--imports` entries are `module.base`; an entry without a dot that names a defined
/// function was meant for a function list.
fn check_imports_name_imports(graph: &CallGraph, imports: Option<&NameList>) -> Result<()> {
    let Some(list) = imports else { return Ok(()) };
    for entry in list.entries() {
        if entry.contains('.') || entry.contains('*') {
            continue;
        }
        if graph
            .funcs
            .iter()
            .any(|f| f.import.is_none() && f.name == *entry)
        {
            return Err(Error::new(
                ErrorKind::BadList,
                format!(
                    "--imports names `{entry}`, which is a function defined in the module; \
                     `--imports` takes imports as `module.name`, use `--add-list` to \
                     instrument a defined function"
                ),
            ));
        }
    }
    Ok(())
}
