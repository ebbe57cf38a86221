//! Which functions can be on the stack when a pause happens, and so must be instrumented.
//!
//! The rules are Binaryen's, so that a build switching tools gets the same set:
//!
//! 1. An import can pause if `--imports` lists it (`module.base`, wildcards allowed), or if
//!    there is no list and `--ignore-imports` is not given. `asyncify.start_unwind` and
//!    `asyncify.stop_rewind` always can.
//! 2. A defined function can pause if it calls `asyncify.start_unwind`/`stop_rewind` (it is
//!    then *runtime* code: not instrumented itself, but its callers are), or, with
//!    `--no-narrow-indirect` (Binaryen's rule), if it contains an indirect call and indirect
//!    calls are not ignored. A function calling
//!    `asyncify.stop_unwind`/`start_rewind` is the other half of the runtime: it never
//!    pauses and is never instrumented. (`asyncify.get_state` changes nothing.)
//! 3. The remove-list clears functions; with `--propagate-add-list` the add-list sets them.
//! 4. Propagation: a caller of a function that can pause can pause, unless it is in the
//!    remove-list or is runtime code that stops unwinds. Unless indirect calls are ignored
//!    or narrowing is off, an indirect call counts as a call to each function it can reach
//!    (see [`indirect`](super::indirect)): a function with an indirect call that can reach a
//!    pausing function can pause. Calls that can reach functions from outside the module
//!    pause from the start if the host can pause (some import can) and `--closed-world` is
//!    not given.
//! 5. The only-list then decides alone for every defined function; otherwise the add-list
//!    (without propagation) adds its functions.
//!
//! A function is instrumented if it can pause and is not runtime code. Indirect calls are
//! pause points in an instrumented function if one of them can reach a function that can
//! pause (without narrowing: always), never with `--ignore-indirect`, and always in functions
//! named by the add- or only-list.

use crate::Diagnostic;
use crate::Level;
use crate::abi::Api;
use crate::analysis::call_graph::CallGraph;
use crate::analysis::indirect::IndirectCalls;
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
    /// Contains an indirect call, and indirect calls may pause (Binaryen's rule, used with
    /// `--no-narrow-indirect`).
    IndirectCall,
    /// Contains an indirect call of this class (index into [`IndirectCalls::classes`]) that
    /// can reach a function that can pause.
    CallsIndirect {
        /// The class of the call.
        class: usize,
        /// What it reaches that can pause.
        via: Target,
    },
    /// Calls a function that can pause.
    Calls(FunctionId),
    /// Named in the add-list.
    AddList,
    /// Named in the only-list.
    OnlyList,
}

/// Something an indirect call can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A function of the module (or an import), by input index.
    Function(usize),
    /// A function from outside the module, stored in a shared table or passed in.
    Foreign,
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
    /// Whether each function is in the remove-list.
    pub removed: Vec<bool>,
    /// Whether the only-list decided.
    pub only_list: bool,
    /// Whether indirect calls are decided by what they can reach (no `--no-narrow-indirect`).
    pub narrowing: bool,
    /// Whether the host can pause: some import can (so may functions from outside).
    pub host_can_pause: bool,
    /// Whether functions from outside the module count as pausing (the host can pause and
    /// `--closed-world` is not given).
    pub foreign_pauses: bool,
    /// Per indirect-call class: whether a call of it can reach something that can pause
    /// (after the lists), and what.
    pub class_pauses: Vec<Option<Target>>,
    /// Per function: whether its indirect calls are pause points (if it is instrumented).
    pub indirect_pause_points: Vec<bool>,
}

impl Instrumentation {
    /// Whether the function at input index `index` gets instrumented.
    pub fn instrumented(&self, index: usize) -> bool {
        self.can_pause[index] && self.roles[index] != Role::PauseRuntime && !self.imported[index]
    }

    /// Whether indirect calls are pause points inside the function at `index`.
    pub fn indirect_pauses_in(&self, index: usize) -> bool {
        self.indirect_pause_points[index]
    }

    /// Whether one indirect call inside the function at `index`, through `table` (`None`:
    /// `call_ref`) with type `ty`, is a pause point: with narrowing, only calls of a class
    /// that can reach something pausing are (a function may make both kinds).
    pub fn indirect_site_pauses(
        &self,
        index: usize,
        indirect: &IndirectCalls,
        table: Option<walrus::TableId>,
        ty: walrus::TypeId,
    ) -> bool {
        if !self.indirect_pause_points[index] {
            return false;
        }
        if self.from_list[index] || !self.narrowing {
            return true;
        }
        indirect
            .class_of(table, ty)
            .is_none_or(|class| self.class_pauses[class].is_some())
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
    let narrowing = !options.no_narrow_indirect;
    let indirect = &graph.indirect;

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
        } else if f.indirect_calls > 0 && indirect_can_pause && !narrowing {
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

    // Host code can pause if an import can (without a list: unless imports are ignored).
    let host_can_pause = match &imports {
        Some(_) => reasons.contains(&Some(Reason::Import)),
        None => !options.ignore_imports,
    };
    let foreign_pauses = host_can_pause && !options.closed_world;

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

    // 4: propagate to callers, breadth first from every function that can pause (so each
    // reason is a shortest path to where a pause starts). With narrowing, an indirect call
    // is a call to every function its class can reach; classes that can reach functions
    // from outside the module start out pausing if those can pause.
    let narrow = narrowing && indirect_can_pause;
    let mut class_reached: Vec<Option<Target>> = vec![None; indirect.classes.len()];
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| can_pause[i]).collect();
    let mark = |c: usize,
                reason: Reason,
                can_pause: &mut [bool],
                reasons: &mut [Option<Reason>],
                verbose: &mut Vec<String>,
                queue: &mut VecDeque<usize>| {
        if can_pause[c] || in_remove[c] || roles[c] == Role::Scheduler {
            return;
        }
        can_pause[c] = true;
        reasons[c] = Some(reason);
        verbose.push(format!(
            "{} can change the state due to {}",
            graph.funcs[c].name,
            describe_reason(graph, &reason)
        ));
        queue.push_back(c);
    };
    if narrow && foreign_pauses {
        for (class, facts) in indirect.classes.iter().enumerate() {
            if facts.foreign {
                class_reached[class] = Some(Target::Foreign);
                for &caller in &facts.callers {
                    let reason = Reason::CallsIndirect {
                        class,
                        via: Target::Foreign,
                    };
                    mark(
                        caller,
                        reason,
                        &mut can_pause,
                        &mut reasons,
                        &mut verbose,
                        &mut queue,
                    );
                }
            }
        }
    }
    while let Some(i) = queue.pop_front() {
        let callee = graph.funcs[i].id;
        // Direct calls to the API imports were accounted for in the scan (their callers are
        // runtime code); an indirect call that can reach one is a pause like any other.
        let callers = graph
            .callers(callee)
            .filter(|_| graph.funcs[i].api.is_none());
        for caller in callers {
            let c = graph.position(caller);
            mark(
                c,
                Reason::Calls(callee),
                &mut can_pause,
                &mut reasons,
                &mut verbose,
                &mut queue,
            );
        }
        if !narrow {
            continue;
        }
        for &class in &indirect.target_of[i] {
            if class_reached[class].is_some() {
                continue;
            }
            class_reached[class] = Some(Target::Function(i));
            for &caller in &indirect.classes[class].callers {
                let reason = Reason::CallsIndirect {
                    class,
                    via: Target::Function(i),
                };
                mark(
                    caller,
                    reason,
                    &mut can_pause,
                    &mut reasons,
                    &mut verbose,
                    &mut queue,
                );
            }
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

    // Which indirect calls are pause points, now that the lists have been applied.
    let class_pauses: Vec<Option<Target>> = indirect
        .classes
        .iter()
        .map(|class| {
            if class.foreign && foreign_pauses {
                Some(Target::Foreign)
            } else {
                class
                    .targets
                    .iter()
                    .find(|&&t| can_pause[t])
                    .map(|&t| Target::Function(t))
            }
        })
        .collect();
    let indirect_pause_points: Vec<bool> = (0..n)
        .map(|i| {
            from_list[i]
                || (indirect_can_pause
                    && (!narrowing
                        || indirect.sites[i]
                            .iter()
                            .any(|s| class_pauses[s.class].is_some())))
        })
        .collect();
    if narrow {
        // Say which indirect calls were found not to pause, once per function and class.
        for (i, sites) in indirect.sites.iter().enumerate() {
            let mut seen = Vec::new();
            for site in sites {
                if class_pauses[site.class].is_some() || seen.contains(&site.class) {
                    continue;
                }
                seen.push(site.class);
                let class = &indirect.classes[site.class];
                verbose.push(format!(
                    "{}'s {} cannot change the state: {}",
                    graph.funcs[i].name,
                    indirect.describe_class(site.class),
                    match class.targets.len() {
                        0 if class.foreign => "it only reaches functions from outside the module, \
                                               which cannot"
                            .to_string(),
                        0 => "it reaches no function".to_string(),
                        1 => "the only function it reaches cannot".to_string(),
                        k => format!("none of the {k} functions it reaches can"),
                    }
                ));
            }
        }
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
            // Lists name functions by their name-section name; an export name is a common
            // mistake (Emscripten exports `_main` for `main`, minified builds `a`, `b`, ...).
            let exported = graph
                .funcs
                .iter()
                .find(|f| f.import.is_none() && f.exports.iter().any(|e| e == entry));
            diagnostics.push(match exported {
                Some(f) => Diagnostic {
                    level: Level::Warning,
                    message: format!(
                        "{} entry `{entry}` matches no function; `{entry}` is an export name: \
                         lists name the function, `{}`",
                        list.flag(),
                        f.name
                    ),
                },
                None => unmatched_warning(list.flag(), entry, "function", function_names()),
            });
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
        removed: in_remove,
        only_list: !only.is_empty(),
        narrowing,
        host_can_pause,
        foreign_pauses,
        class_pauses,
        indirect_pause_points,
    })
}

/// The end of a `--verbose` line "X can change the state due to ...".
fn describe_reason(graph: &CallGraph, reason: &Reason) -> String {
    let indirect: &IndirectCalls = &graph.indirect;
    match *reason {
        Reason::Calls(callee) => graph.facts(callee).name.clone(),
        Reason::CallsIndirect { class, via } => {
            let through = indirect.describe_class(class);
            match via {
                Target::Function(t) => format!("{} (through {through})", graph.funcs[t].name),
                Target::Foreign => format!(
                    "functions from outside the module (through {through}, {})",
                    indirect.describe_source(class)
                ),
            }
        }
        _ => "initial scan".to_string(),
    }
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
            let names_import = graph.funcs.iter().any(|f| {
                f.import
                    .as_ref()
                    .is_some_and(|(m, b)| f.name == *entry || format!("{m}.{b}") == *entry)
            });
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
