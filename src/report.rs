//! What the transform decided and why, for people: [`Analysis`] is returned with every
//! [`Output`](crate::Output); [`Analysis::explain`] says why one function is (or is not)
//! instrumented (`--explain`), [`Analysis::to_json`] writes the whole picture (`--report`).
//!
//! Both formats are documented in the book (`book/src/analysis.md` and
//! `book/src/report-schema.md`) and are stable: new JSON fields may be added, existing ones
//! keep their meaning.

use crate::abi::Api;
use crate::analysis::call_graph::CallGraph;
use crate::analysis::can_pause::{Instrumentation, Reason, Role, Target};
use crate::analysis::indirect::IndirectCalls;
use crate::analysis::save_groups::FrameKind;
use crate::analysis::stack_bound::{self, Bound, Callee, Frame, Origin};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::IdMap;
use crate::options::Options;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One function of the input, as the report names it.
#[derive(Clone, Debug)]
pub struct FunctionInfo {
    /// Index in the input module.
    pub index: u32,
    /// The name lists match: name-section name, or the index.
    pub name: String,
    /// `(module, base)` for an import.
    pub import: Option<(String, String)>,
    /// The asyncify API functions it calls directly.
    pub api_calls: BTreeSet<Api>,
    /// The names it is exported under.
    pub exports: Vec<String>,
}

impl FunctionInfo {
    /// `module.base` for imports, else the name.
    pub fn display(&self) -> String {
        match &self.import {
            Some((m, b)) => format!("{m}.{b}"),
            None => self.name.clone(),
        }
    }
}

/// The options that shaped the decision.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// `--imports` was given.
    pub imports_listed: bool,
    /// `--ignore-imports`.
    pub ignore_imports: bool,
    /// `--ignore-indirect`.
    pub ignore_indirect: bool,
    /// Narrowing is on (no `--no-narrow-indirect`).
    pub narrow_indirect: bool,
    /// `--closed-world`.
    pub closed_world: bool,
}

/// Everything the transform decided, with the reasons.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Every function of the input, by index.
    pub functions: Vec<FunctionInfo>,
    /// The instrumentation decision.
    pub decision: Instrumentation,
    /// The indirect calls and what they can reach.
    pub indirect: IndirectCalls,
    /// What instrumenting each function produced (`None`: not instrumented).
    pub frames: Vec<Option<Frame>>,
    /// The asyncify stack bound of each function.
    pub bounds: Vec<Bound>,
    /// Exported functions: export name and function index, in export order.
    pub entry_points: Vec<(String, usize)>,
    /// Size of the input (binary) and the output.
    pub bytes_before: usize,
    /// Size of the output.
    pub bytes_after: usize,
    /// The options that shaped the decision.
    pub settings: Settings,
    /// Input index of each function id.
    positions: IdMap<walrus::FunctionId, usize>,
}

impl Analysis {
    /// Put the analysis together once the module is written. `frames` is what instrumenting
    /// each function produced, by input index.
    pub fn new(
        graph: &CallGraph,
        decision: &Instrumentation,
        frames: Vec<Option<Frame>>,
        exports: impl IntoIterator<Item = (String, walrus::FunctionId)>,
        sizes: (usize, usize),
        options: &Options,
    ) -> Analysis {
        let mut functions: Vec<FunctionInfo> = graph
            .funcs
            .iter()
            .map(|f| FunctionInfo {
                index: f.index,
                name: f.name.clone(),
                import: f.import.clone(),
                api_calls: f.api_calls.clone(),
                exports: Vec::new(),
            })
            .collect();
        let mut entry_points = Vec::new();
        for (name, id) in exports {
            if let Some(f) = graph.try_position(id) {
                functions[f].exports.push(name.clone());
                entry_points.push((name, f));
            }
        }
        let bounds = stack_bound::compute(decision, &graph.indirect, &frames);
        Analysis {
            functions,
            decision: decision.clone(),
            indirect: graph.indirect.clone(),
            frames,
            bounds,
            entry_points,
            bytes_before: sizes.0,
            bytes_after: sizes.1,
            positions: graph
                .funcs
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id, i))
                .collect(),
            settings: Settings {
                imports_listed: options.imports.as_ref().is_some_and(|l| !l.is_empty()),
                ignore_imports: options.ignore_imports,
                ignore_indirect: options.ignore_indirect,
                narrow_indirect: !options.no_narrow_indirect,
                closed_world: options.closed_world,
            },
        }
    }

    fn name(&self, f: usize) -> String {
        self.functions[f].display()
    }

    /// Find a function by the name `--explain` was given: a function's name, an import's
    /// `module.base` or name, or an export name.
    pub fn find(&self, query: &str) -> Result<usize> {
        let by = |pred: &dyn Fn(&FunctionInfo) -> bool| self.functions.iter().position(pred);
        by(&|f| f.import.is_none() && f.name == query)
            .or_else(|| by(&|f| f.import.is_some() && f.display() == query))
            .or_else(|| by(&|f| f.import.is_some() && f.name == query))
            .or_else(|| {
                self.entry_points
                    .iter()
                    .find(|(name, _)| name == query)
                    .map(|&(_, f)| f)
            })
            .ok_or_else(|| {
                let names: Vec<String> = self.functions.iter().map(|f| f.display()).collect();
                let hint = match crate::list::suggest(query, names.iter().map(String::as_str)) {
                    Some(close) => format!("; did you mean `{close}`?"),
                    None => String::new(),
                };
                Error::new(
                    ErrorKind::BadOptions,
                    format!("`--explain {query}` names no function of the module{hint}"),
                )
            })
    }

    /// Why the function named `query` is (or is not) instrumented, its frame and pause
    /// points, and its asyncify stack bound, as text (see the book for the format).
    pub fn explain(&self, query: &str) -> Result<String> {
        let f = self.find(query)?;
        Ok(self.explain_index(f))
    }

    /// [`Analysis::explain`] for the function at input index `f`.
    pub fn explain_index(&self, f: usize) -> String {
        let info = &self.functions[f];
        let d = &self.decision;
        let mut out = String::new();
        let what = if info.import.is_some() {
            "import"
        } else {
            "function"
        };
        let exported = if info.exports.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = info.exports.iter().map(|e| format!("`{e}`")).collect();
            format!(", exported as {}", names.join(", "))
        };
        let verdict = if info.import.is_some() {
            if d.can_pause[f] {
                "can pause"
            } else {
                "cannot pause"
            }
        } else if d.instrumented(f) {
            "instrumented"
        } else if d.roles[f] == Role::PauseRuntime {
            "not instrumented (runtime code where pauses start)"
        } else {
            "not instrumented"
        };
        let _ = writeln!(
            out,
            "{what} `{}` (index {}{exported}): {verdict}",
            info.display(),
            info.index
        );
        let why = if d.can_pause[f] {
            self.why_pausing(f)
        } else {
            self.why_not(f)
        };
        let _ = writeln!(out, "  why:");
        for line in why {
            let _ = writeln!(out, "    {line}");
        }
        if let Some(frame) = &self.frames[f] {
            let _ = writeln!(
                out,
                "  frame: {} ({} frame: {}{}{} saved {}){}",
                if frame.smallest_bytes < frame.bytes {
                    format!("{} to {} bytes", frame.smallest_bytes, frame.bytes)
                } else {
                    format!("{} bytes", frame.bytes)
                },
                frame.layout.name(),
                match frame.layout {
                    FrameKind::Bare => "",
                    FrameKind::Prefixes => "a word with the call index and ",
                    FrameKind::Fixed | FrameKind::Grouped => "call index and ",
                },
                if frame.smallest_bytes < frame.bytes {
                    "up to "
                } else {
                    ""
                },
                frame.saved_locals,
                plural(frame.saved_locals as usize, "local", "locals"),
                if frame.epilogues > 1 {
                    format!(", saved by {} epilogues", frame.epilogues)
                } else {
                    String::new()
                }
            );
            if let Some(copy) = &frame.rewind_copy {
                let _ = writeln!(
                    out,
                    "  rewinds run its copy `{copy}` (the function was split)"
                );
            }
            let _ = writeln!(out, "  pause points: {}", frame.pause_points.len());
            for point in &frame.pause_points {
                let _ = writeln!(
                    out,
                    "    {}: {}",
                    point.index,
                    self.describe_point(point.callee)
                );
            }
        }
        if info.import.is_none() {
            let _ = writeln!(out, "  asyncify stack: {}", self.describe_bound(f));
        }
        out
    }

    /// The reason chain from a function that can pause to where pauses start.
    fn why_pausing(&self, f: usize) -> Vec<String> {
        let d = &self.decision;
        let mut lines = Vec::new();
        let mut at = f;
        for _ in 0..=self.functions.len() {
            let name = self.name(at);
            let Some(reason) = d.reasons[at] else { break };
            match reason {
                Reason::Calls(callee) => {
                    let Some(g) = self.position_of(callee) else {
                        break;
                    };
                    lines.push(format!("{name} calls {}", self.name(g)));
                    at = g;
                    continue;
                }
                Reason::CallsIndirect {
                    class,
                    via: Target::Function(t),
                } => {
                    lines.push(format!(
                        "{name} calls {} through {}, {}",
                        self.name(t),
                        self.indirect.describe_class(class),
                        self.indirect.describe_source(class)
                    ));
                    at = t;
                    continue;
                }
                Reason::CallsIndirect {
                    class,
                    via: Target::Foreign,
                } => lines.push(format!(
                    "{name} makes a {}, {}, so it can reach functions from outside the module; \
                     those can pause since the host can (give `--closed-world` if the host \
                     never puts functions of its own there)",
                    self.indirect.describe_class(class),
                    self.indirect.describe_source(class)
                )),
                Reason::IndirectCall => lines.push(format!(
                    "{name} makes indirect calls, and with `--no-narrow-indirect` every indirect \
                     call may pause"
                )),
                Reason::Import => lines.push(if self.settings.imports_listed {
                    format!("{name} is an import that can pause: `--imports` names it")
                } else {
                    format!(
                        "{name} is an import, and every import can pause when `--imports` is not \
                         given"
                    )
                }),
                Reason::ApiImport => lines.push(format!(
                    "{name} is asyncify's in-module API: calling it starts or ends a pause"
                )),
                Reason::CallsApi(api) => lines.push(format!(
                    "{name} is runtime code: it calls `asyncify.{}`, so pauses start there",
                    api.import_name()
                )),
                Reason::AddList => lines.push(format!("`--add-list` names {name}")),
                Reason::OnlyList => lines.push(format!("`--only-list` names {name}")),
            }
            break;
        }
        if lines.is_empty() {
            lines.push(format!("{} can pause", self.name(f)));
        }
        lines
    }

    /// Why a function cannot pause.
    fn why_not(&self, f: usize) -> Vec<String> {
        let d = &self.decision;
        let info = &self.functions[f];
        let name = info.display();
        if let Some((module, _)) = &info.import {
            return vec![if module == crate::abi::IMPORT_MODULE {
                format!("{name} is asyncify's in-module API and does not start pauses")
            } else if self.settings.imports_listed {
                format!("`--imports` does not name {name}")
            } else {
                "no import can pause: `--ignore-imports` is given".to_string()
            }];
        }
        if d.roles[f] == Role::Scheduler {
            return vec![format!(
                "{name} calls `asyncify.stop_unwind` or `asyncify.start_rewind`: it is a \
                 scheduler that regains control after an unwind, so unwinds stop at it"
            )];
        }
        if d.removed[f] {
            return vec![format!(
                "`--remove-list` names {name}: it is assumed never to be on the stack in a \
                 pause, and calls to it are not pause points"
            )];
        }
        if d.only_list {
            return vec![format!("`--only-list` is given and does not name {name}")];
        }
        let mut lines = vec![format!(
            "no call in {name} can reach a function that can pause"
        )];
        let sites = &self.indirect.sites[f];
        if !sites.is_empty() && self.settings.ignore_indirect {
            lines.push("its indirect calls are assumed not to pause (`--ignore-indirect`)".into());
        } else {
            let mut seen = Vec::new();
            for site in sites {
                if seen.contains(&site.class) {
                    continue;
                }
                seen.push(site.class);
                lines.push(format!(
                    "its {} {}",
                    self.indirect.describe_class(site.class),
                    self.reach_text(site.class)
                ));
            }
        }
        lines
    }

    /// "reaches 2 functions (a, b), none of which can pause".
    fn reach_text(&self, class: usize) -> String {
        let c = &self.indirect.classes[class];
        let shown: Vec<String> = c.targets.iter().take(5).map(|&t| self.name(t)).collect();
        let more = if c.targets.len() > shown.len() {
            format!(", and {} more", c.targets.len() - shown.len())
        } else {
            String::new()
        };
        let list = if shown.is_empty() {
            String::new()
        } else {
            format!(" ({}{more})", shown.join(", "))
        };
        let k = c.targets.len();
        let reached = format!("reaches {k} {}{list}", plural(k, "function", "functions"));
        let foreign = "functions from outside the module";
        match (self.decision.class_pauses[class], c.foreign, k) {
            (Some(Target::Function(t)), _, _) => {
                format!("{reached}, of which {} can pause", self.name(t))
            }
            (Some(Target::Foreign), _, 0) => format!("reaches only {foreign}, which can pause"),
            (Some(Target::Foreign), _, _) => format!("{reached} and {foreign}, which can pause"),
            (None, true, 0) => format!("reaches only {foreign}, which cannot pause"),
            (None, true, _) => format!("{reached} and {foreign}, none of which can pause"),
            (None, false, 0) => "reaches no function".to_string(),
            (None, false, 1) => format!("{reached}, which cannot pause"),
            (None, false, _) => format!("{reached}, none of which can pause"),
        }
    }

    fn position_of(&self, id: walrus::FunctionId) -> Option<usize> {
        self.positions.get(&id).copied()
    }

    fn describe_point(&self, callee: Callee) -> String {
        match callee {
            Callee::Function(g) => format!("call {}", self.name(g)),
            Callee::Added => "call to a function asyncify added".to_string(),
            Callee::Indirect { kind, class } => match class {
                Some(class) => {
                    let c = &self.indirect.classes[class];
                    let on = match c.table {
                        Some(t) => format!(" on table {}", self.indirect.tables[t].name),
                        None => String::new(),
                    };
                    format!(
                        "{} (type {}){on}: {}",
                        kind.mnemonic(),
                        c.signature,
                        self.reach_text(class)
                    )
                }
                None => kind.mnemonic().to_string(),
            },
        }
    }

    /// One line about the asyncify stack a pause under `f` needs.
    fn describe_bound(&self, f: usize) -> String {
        match &self.bounds[f] {
            Bound::Never => format!("no pause can happen while {} is on the stack", self.name(f)),
            Bound::Start => format!("0 bytes: pauses start in {}", self.name(f)),
            Bound::Bytes { bytes, origin, .. } => {
                let frames: Vec<String> = stack_bound::chain(&self.bounds, f)
                    .into_iter()
                    .map(|g| format!("{} {}", self.name(g), self.frame_bytes(g)))
                    .collect();
                format!(
                    "at most {bytes} bytes for a pause under {}: {}, pausing in {}",
                    self.name(f),
                    frames.join(" + "),
                    self.origin_name(*origin)
                )
            }
            Bound::Unbounded { cycle } => {
                let names: Vec<String> = cycle.iter().map(|&g| self.name(g)).collect();
                format!(
                    "unbounded: a pause can happen under the recursion {}",
                    names.join(" -> ")
                )
            }
        }
    }

    fn frame_bytes(&self, f: usize) -> u32 {
        self.frames[f].as_ref().map_or(0, |fr| fr.bytes)
    }

    fn origin_name(&self, origin: Origin) -> String {
        match origin {
            Origin::Function(f) => self.name(f),
            Origin::Foreign => "a function from outside the module".to_string(),
        }
    }

    /// The report as JSON (see `book/src/report-schema.md`), ending with a newline.
    pub fn to_json(&self) -> String {
        let d = &self.decision;
        let instrumented: Vec<usize> = (0..self.functions.len())
            .filter(|&f| d.instrumented(f))
            .collect();
        let pause_points: usize = instrumented
            .iter()
            .filter_map(|&f| self.frames[f].as_ref())
            .map(|fr| fr.pause_points.len())
            .sum();
        let frame_bytes: u64 = instrumented
            .iter()
            .map(|&f| u64::from(self.frame_bytes(f)))
            .sum();
        let defined = self.functions.iter().filter(|f| f.import.is_none()).count();
        let totals = Json::obj([
            ("functions", Json::num(defined)),
            ("imports", Json::num(self.functions.len() - defined)),
            ("instrumented", Json::num(instrumented.len())),
            ("pause_points", Json::num(pause_points)),
            ("frame_bytes", Json::Num(frame_bytes)),
            ("bytes_before", Json::num(self.bytes_before)),
            ("bytes_after", Json::num(self.bytes_after)),
        ]);
        let s = &self.settings;
        let settings = Json::obj([
            ("imports_listed", Json::Bool(s.imports_listed)),
            ("ignore_imports", Json::Bool(s.ignore_imports)),
            ("ignore_indirect", Json::Bool(s.ignore_indirect)),
            ("narrow_indirect", Json::Bool(s.narrow_indirect)),
            ("closed_world", Json::Bool(s.closed_world)),
            ("host_can_pause", Json::Bool(d.host_can_pause)),
        ]);
        let functions = Json::Arr(
            instrumented
                .iter()
                .map(|&f| self.function_json(f))
                .collect(),
        );
        let indirect = Json::Arr(
            (0..self.indirect.classes.len())
                .map(|c| self.class_json(c))
                .collect(),
        );
        let tables = Json::Arr(
            self.indirect
                .tables
                .iter()
                .map(|t| {
                    Json::obj([
                        ("name", Json::str(&t.name)),
                        ("imported", Json::Bool(t.imported)),
                        ("exported", Json::Bool(t.exported)),
                        ("unknown_writes", Json::Bool(t.unknown_writes)),
                        ("foreign", Json::Bool(t.foreign)),
                        ("functions", Json::num(t.contents.len())),
                    ])
                })
                .collect(),
        );
        let entry_points = Json::Arr(
            self.entry_points
                .iter()
                .map(|(export, f)| {
                    Json::obj([
                        ("export", Json::str(export)),
                        ("function", self.func_ref(*f)),
                        ("stack_bound", self.bound_json(*f)),
                    ])
                })
                .collect(),
        );
        let report = Json::obj([
            ("version", Json::num(1)),
            ("totals", totals),
            ("settings", settings),
            ("functions", functions),
            ("indirect_calls", indirect),
            ("tables", tables),
            ("entry_points", entry_points),
        ]);
        let mut text = String::new();
        report.write(&mut text, 0);
        text.push('\n');
        text
    }

    /// `{"index": 3, "name": "main"}`.
    fn func_ref(&self, f: usize) -> Json {
        Json::obj([
            ("index", Json::num(self.functions[f].index as usize)),
            ("name", Json::str(&self.name(f))),
        ])
    }

    fn function_json(&self, f: usize) -> Json {
        let info = &self.functions[f];
        let frame = self.frames[f].clone().unwrap_or_default();
        let points = frame
            .pause_points
            .iter()
            .map(|p| {
                let mut fields = vec![("call_index", Json::num(p.index as usize))];
                match p.callee {
                    Callee::Function(g) => {
                        fields.push(("instruction", Json::str("call")));
                        fields.push(("callee", Json::str(&self.name(g))));
                    }
                    Callee::Added => fields.push(("instruction", Json::str("call"))),
                    Callee::Indirect { kind, class } => {
                        fields.push(("instruction", Json::str(kind.mnemonic())));
                        if let Some(class) = class {
                            fields.push(("indirect_call", Json::num(class)));
                            fields.push((
                                "can_pause",
                                Json::Bool(self.decision.class_pauses[class].is_some()),
                            ));
                        }
                    }
                }
                Json::Obj(fields)
            })
            .collect();
        Json::obj([
            ("index", Json::num(info.index as usize)),
            ("name", Json::str(&info.name)),
            (
                "exports",
                Json::Arr(info.exports.iter().map(|e| Json::str(e)).collect()),
            ),
            ("reason", self.reason_json(f)),
            ("pause_points", Json::Arr(points)),
            ("saved_locals", Json::num(frame.saved_locals as usize)),
            ("frame_layout", Json::str(frame.layout.name())),
            ("frame_bytes", Json::num(frame.bytes as usize)),
            (
                "smallest_frame_bytes",
                Json::num(frame.smallest_bytes as usize),
            ),
            ("epilogues", Json::num(frame.epilogues as usize)),
            (
                "rewind_copy",
                frame.rewind_copy.as_deref().map_or(Json::Null, Json::str),
            ),
            ("stack_bound", self.bound_json(f)),
        ])
    }

    fn reason_json(&self, f: usize) -> Json {
        let kind = |k: &str| ("kind", Json::str(k));
        match self.decision.reasons[f] {
            Some(Reason::Calls(callee)) => Json::obj([
                kind("calls"),
                (
                    "callee",
                    self.position_of(callee)
                        .map_or(Json::Null, |g| Json::str(&self.name(g))),
                ),
            ]),
            Some(Reason::CallsIndirect { class, via }) => Json::obj([
                kind("calls_indirect"),
                ("indirect_call", Json::num(class)),
                (
                    "via",
                    match via {
                        Target::Function(t) => Json::str(&self.name(t)),
                        Target::Foreign => Json::Null,
                    },
                ),
            ]),
            Some(Reason::IndirectCall) => Json::obj([kind("indirect_call")]),
            Some(Reason::AddList) => Json::obj([kind("add_list")]),
            Some(Reason::OnlyList) => Json::obj([kind("only_list")]),
            Some(Reason::Import) => Json::obj([kind("import")]),
            Some(Reason::ApiImport) => Json::obj([kind("api_import")]),
            Some(Reason::CallsApi(api)) => {
                Json::obj([kind("runtime"), ("api", Json::str(api.import_name()))])
            }
            None => Json::Null,
        }
    }

    fn class_json(&self, class: usize) -> Json {
        let c = &self.indirect.classes[class];
        let names =
            |list: &[usize]| Json::Arr(list.iter().map(|&f| Json::str(&self.name(f))).collect());
        let via = match self.decision.class_pauses[class] {
            Some(Target::Function(t)) => Json::str(&self.name(t)),
            Some(Target::Foreign) => Json::str("foreign"),
            None => Json::Null,
        };
        Json::obj([
            ("id", Json::num(class)),
            (
                "instruction",
                Json::str(if c.table.is_some() {
                    "call_indirect"
                } else {
                    "call_ref"
                }),
            ),
            ("type", Json::str(&c.signature)),
            (
                "table",
                c.table
                    .map_or(Json::Null, |t| Json::str(&self.indirect.tables[t].name)),
            ),
            ("targets", names(&c.targets)),
            ("foreign", Json::Bool(c.foreign)),
            (
                "can_pause",
                Json::Bool(self.decision.class_pauses[class].is_some()),
            ),
            ("via", via),
            ("callers", names(&c.callers)),
        ])
    }

    fn bound_json(&self, f: usize) -> Json {
        match &self.bounds[f] {
            Bound::Never => Json::obj([("kind", Json::str("never"))]),
            Bound::Start => self.bytes_json(0, Vec::new(), Origin::Function(f)),
            Bound::Bytes { bytes, origin, .. } => {
                self.bytes_json(*bytes, stack_bound::chain(&self.bounds, f), *origin)
            }
            Bound::Unbounded { cycle } => Json::obj([
                ("kind", Json::str("unbounded")),
                (
                    "cycle",
                    Json::Arr(cycle.iter().map(|&g| Json::str(&self.name(g))).collect()),
                ),
            ]),
        }
    }

    fn bytes_json(&self, bytes: u64, chain: Vec<usize>, origin: Origin) -> Json {
        Json::obj([
            ("kind", Json::str("bytes")),
            ("bytes", Json::Num(bytes)),
            (
                "chain",
                Json::Arr(
                    chain
                        .into_iter()
                        .map(|g| {
                            Json::obj([
                                ("name", Json::str(&self.name(g))),
                                ("frame_bytes", Json::num(self.frame_bytes(g) as usize)),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "pauses_in",
                match origin {
                    Origin::Function(o) => Json::str(&self.name(o)),
                    Origin::Foreign => Json::str("foreign"),
                },
            ),
        ])
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A JSON value, written with two-space indentation and keys in the order given.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(u64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

impl Json {
    fn num(n: usize) -> Json {
        Json::Num(n as u64)
    }

    fn str(s: &str) -> Json {
        Json::Str(s.to_string())
    }

    fn obj<const N: usize>(fields: [(&'static str, Json); N]) -> Json {
        Json::Obj(fields.into())
    }

    /// Append the value to `out`, at indentation level `depth`.
    pub fn write(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Str(s) => write_string(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    item.write(out, depth + 1);
                }
                indent(out, depth);
                out.push(']');
            }
            Json::Obj(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Obj(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

/// A JSON string literal: `"`, `\` and control characters escaped, everything else as is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}e\u{7f}é\u{2028}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001e\u{7f}é\\u2028\"");
    }

    #[test]
    fn json_layout() {
        let value = Json::obj([
            ("a", Json::Arr(vec![Json::num(1), Json::Null])),
            ("b", Json::Obj(Vec::new())),
            ("c", Json::Arr(Vec::new())),
            ("d", Json::Bool(true)),
        ]);
        let mut out = String::new();
        value.write(&mut out, 0);
        assert_eq!(
            out,
            "{\n  \"a\": [\n    1,\n    null\n  ],\n  \"b\": {},\n  \"c\": [],\n  \"d\": true\n}"
        );
    }
}
