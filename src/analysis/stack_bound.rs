//! How many bytes of asyncify stack a pause can need: a static bound per function, and so
//! per entry point.
//!
//! While unwinding, every instrumented function on the call stack pushes one frame, whose
//! size is fixed per function (the call index and its saved locals, as the frame pass lays
//! them out). The frames of one pause are those of a chain of calls, each made at a pause
//! point, that ends where the pause starts: at a pausing import, runtime code that starts
//! unwinds, or a function from outside the module. So the bound for a function is its
//! frame plus the largest bound among what its pause points can call, and a pause under
//! a recursion that can pause has no bound.
//!
//! ```text
//! main (12 bytes) --call--> helper (16) --call_indirect--> sleepy (8) --call--> env.sleep
//!                 --call--> quick (4)   --call--> env.sleep
//! bound(main) = 12 + max(16 + 8, 4) = 36
//! ```
//!
//! Frames of other modules (a foreign function calling back into an asyncified module of
//! its own) are not counted.

use crate::analysis::call_graph::CallGraph;
use crate::analysis::can_pause::Instrumentation;
use crate::analysis::indirect::{IndirectCalls, SiteKind};
use crate::passes::flow::PauseSite;
use walrus::LocalFunction;
use walrus::ir::Instr;

/// What one pause point calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A direct call, to a function by input index.
    Function(usize),
    /// A direct call to a function asyncify added (never pauses).
    Added,
    /// An indirect call of a class (index into [`IndirectCalls::classes`]).
    Indirect {
        /// The instruction.
        kind: SiteKind,
        /// Its class (`None` only if the call was not seen by the analysis, which would be
        /// a bug; the bound then assumes the call can pause).
        class: Option<usize>,
    },
}

/// One pause point of an instrumented function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PausePoint {
    /// Its call index (what the frame records).
    pub index: u32,
    /// What it calls.
    pub callee: Callee,
}

/// What instrumenting a function produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// Its pause points, by call index.
    pub pause_points: Vec<PausePoint>,
    /// How many locals its frame saves.
    pub saved_locals: u32,
    /// The frames' layout.
    pub layout: crate::analysis::save_groups::FrameKind,
    /// The largest frame's size in bytes: the call index (or the word holding it, or
    /// nothing in a bare frame) and the saved locals. (With several epilogues each pushes a
    /// frame of its own size; the bound takes the largest.)
    pub bytes: u32,
    /// The smallest frame's size in bytes.
    pub smallest_bytes: u32,
    /// How many unwind epilogues save them (see [`crate::analysis::save_groups`]).
    pub epilogues: u32,
    /// The name of its copy for rewinding, if it was split (`-O3`, `--split`).
    pub rewind_copy: Option<String>,
}

/// What each pause point of a function just through the flow pass calls (read before
/// later passes move instructions).
pub fn pause_points(
    func: &LocalFunction,
    sites: &[PauseSite],
    graph: &CallGraph,
) -> Vec<PausePoint> {
    let indirect = &graph.indirect;
    sites
        .iter()
        .map(|site| {
            let instr = &func.block(site.guard).instrs[site.call_at].0;
            let direct = |f| {
                graph
                    .try_position(f)
                    .map_or(Callee::Added, Callee::Function)
            };
            let class = |table, ty| indirect.class_of(table, ty);
            let callee = match instr {
                Instr::Call(c) => direct(c.func),
                Instr::ReturnCall(c) => direct(c.func),
                Instr::CallIndirect(c) => Callee::Indirect {
                    kind: SiteKind::CallIndirect,
                    class: class(Some(c.table), c.ty),
                },
                Instr::ReturnCallIndirect(c) => Callee::Indirect {
                    kind: SiteKind::ReturnCallIndirect,
                    class: class(Some(c.table), c.ty),
                },
                Instr::CallRef(c) => Callee::Indirect {
                    kind: SiteKind::CallRef,
                    class: class(None, c.ty),
                },
                Instr::ReturnCallRef(c) => Callee::Indirect {
                    kind: SiteKind::ReturnCallRef,
                    class: class(None, c.ty),
                },
                _ => Callee::Added,
            };
            PausePoint {
                index: site.index,
                callee,
            }
        })
        .collect()
}

/// Where a chain of frames ends: what starts the pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A function that is not instrumented but can pause: an import, or runtime code that
    /// starts unwinds (by input index).
    Function(usize),
    /// A function from outside the module, reached through an indirect call.
    Foreign,
}

/// The bound for one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    /// No pause can happen while the function is on the stack.
    Never,
    /// Pauses start in the function itself (an import or runtime code): no frame of its own.
    Start,
    /// A pause under the function needs at most `bytes` bytes: its own frame and those of
    /// the deepest chain below it, which goes on to `next` (an input index; `None`: straight
    /// to `origin`). [`chain`] lists the whole chain.
    Bytes {
        bytes: u64,
        next: Option<usize>,
        origin: Origin,
    },
    /// A recursion that can pause is reachable: `cycle` (input indices, first = last), shared
    /// by every function that reaches it.
    Unbounded { cycle: std::sync::Arc<[usize]> },
}

/// The deepest chain of frames under `f`, outermost (`f`) first; empty unless
/// `bounds[f]` is [`Bound::Bytes`]. Each function keeps only its next step, so bounds stay
/// linear in the number of functions even for long call chains.
pub fn chain(bounds: &[Bound], f: usize) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut at = Some(f);
    while let Some(g) = at {
        let Bound::Bytes { next, .. } = &bounds[g] else {
            break;
        };
        chain.push(g);
        at = *next;
    }
    chain
}

/// A step from a frame to what a pause point can call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Frame(usize),
    Origin(Option<usize>),
}

/// The bound of every function (by input index). `frames[i]` is what instrumenting function
/// `i` produced (`None` if it was not instrumented).
pub fn compute(
    decision: &Instrumentation,
    indirect: &IndirectCalls,
    frames: &[Option<Frame>],
) -> Vec<Bound> {
    let n = frames.len();
    // Where each instrumented function's pause points lead.
    let step_to = |f: usize| -> Option<Step> {
        if !decision.can_pause[f] {
            None
        } else if decision.instrumented(f) {
            Some(Step::Frame(f))
        } else {
            Some(Step::Origin(Some(f)))
        }
    };
    let mut steps: Vec<Vec<Step>> = vec![Vec::new(); n];
    for (f, frame) in frames.iter().enumerate() {
        let Some(frame) = frame else { continue };
        let mut out = Vec::new();
        for point in &frame.pause_points {
            match point.callee {
                Callee::Function(g) => out.extend(step_to(g)),
                Callee::Added => {}
                Callee::Indirect { class: None, .. } => out.push(Step::Origin(None)),
                Callee::Indirect {
                    class: Some(class), ..
                } => {
                    let c = &indirect.classes[class];
                    out.extend(c.targets.iter().filter_map(|&t| step_to(t)));
                    if c.foreign && decision.foreign_pauses {
                        out.push(Step::Origin(None));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        steps[f] = out;
    }

    // 1. Which frames can be on the stack in a pause: those with a path to an origin.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut reaches = vec![false; n];
    let mut work = Vec::new();
    for f in 0..n {
        for step in &steps[f] {
            match *step {
                Step::Frame(g) => preds[g].push(f),
                Step::Origin(_) => {
                    if !reaches[f] {
                        reaches[f] = true;
                        work.push(f);
                    }
                }
            }
        }
    }
    while let Some(g) = work.pop() {
        for &f in &preds[g] {
            if !reaches[f] {
                reaches[f] = true;
                work.push(f);
            }
        }
    }
    let succs: Vec<Vec<usize>> = (0..n)
        .map(|f| {
            steps[f]
                .iter()
                .filter_map(|s| match *s {
                    Step::Frame(g) if reaches[g] => Some(g),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let succ = |f: usize| succs[f].iter().copied();

    // 2. Recursions: strongly connected components with a cycle, and everything that can
    // call into one.
    let component = components(n, |f| succ(f).collect());
    let mut size = vec![0usize; n];
    for f in 0..n {
        if reaches[f] {
            size[component[f]] += 1;
        }
    }
    let mut unbounded: Vec<Option<std::sync::Arc<[usize]>>> = vec![None; n];
    let mut work = Vec::new();
    for f in 0..n {
        if !reaches[f] || unbounded[f].is_some() {
            continue;
        }
        let cyclic = size[component[f]] > 1 || succ(f).any(|g| g == f);
        if cyclic {
            let cycle: std::sync::Arc<[usize]> = find_cycle(f, |g| {
                succ(g).filter(|&h| component[h] == component[f]).collect()
            })
            .into();
            for g in 0..n {
                if reaches[g] && component[g] == component[f] {
                    unbounded[g] = Some(cycle.clone());
                    work.push(g);
                }
            }
        }
    }
    while let Some(g) = work.pop() {
        for &f in &preds[g] {
            if reaches[f] && unbounded[f].is_none() {
                unbounded[f] = unbounded[g].clone();
                work.push(f);
            }
        }
    }

    // 3. The rest is a DAG: the deepest chain, by an explicit post-order walk.
    let frame_bytes = |f: usize| u64::from(frames[f].as_ref().map_or(0, |fr| fr.bytes));
    // Per function: bytes, the next step and where that chain's pause starts.
    let mut best: Vec<Option<(u64, Step, Origin)>> = vec![None; n];
    for root in 0..n {
        if !reaches[root] || unbounded[root].is_some() || best[root].is_some() {
            continue;
        }
        let mut stack = vec![(root, false)];
        while let Some((f, expanded)) = stack.pop() {
            if best[f].is_some() {
                continue;
            }
            if !expanded {
                stack.push((f, true));
                stack.extend(succ(f).filter(|&g| best[g].is_none()).map(|g| (g, false)));
                continue;
            }
            let mut choice: Option<(u64, Step, Origin)> = None;
            for step in &steps[f] {
                let (below, origin) = match *step {
                    Step::Origin(Some(o)) => (0, Origin::Function(o)),
                    Step::Origin(None) => (0, Origin::Foreign),
                    Step::Frame(g) if reaches[g] => {
                        let (bytes, _, origin) = best[g].expect("visited first");
                        (bytes, origin)
                    }
                    Step::Frame(_) => continue,
                };
                if choice.is_none_or(|(b, _, _)| below > b) {
                    choice = Some((below, *step, origin));
                }
            }
            let (below, step, origin) = choice.expect("a frame that reaches an origin has a step");
            best[f] = Some((frame_bytes(f) + below, step, origin));
        }
    }

    (0..n)
        .map(|f| {
            if !decision.can_pause[f] {
                return Bound::Never;
            }
            if !decision.instrumented(f) {
                return Bound::Start;
            }
            if let Some(cycle) = &unbounded[f] {
                return Bound::Unbounded {
                    cycle: cycle.clone(),
                };
            }
            let Some((bytes, step, origin)) = best[f] else {
                return Bound::Never;
            };
            Bound::Bytes {
                bytes,
                next: match step {
                    Step::Frame(g) => Some(g),
                    Step::Origin(_) => None,
                },
                origin,
            }
        })
        .collect()
}

/// Strongly connected components (Tarjan's algorithm, without recursion): a component id
/// per node.
fn components(n: usize, succ: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![UNSEEN; n];
    let mut next_index = 0;
    let mut next_component = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, its successors, how many of them were handled)
        let mut calls: Vec<(usize, Vec<usize>, usize)> = Vec::new();
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, succ(root), 0));
        while let Some((v, succs, done)) = calls.last_mut() {
            let v = *v;
            if *done < succs.len() {
                let w = succs[*done];
                *done += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    let next = succ(w);
                    calls.push((w, next, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some((parent, _, _)) = calls.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w] = false;
                    component[w] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// A shortest cycle through `start` (breadth first), as `[start, ..., start]`.
fn find_cycle(start: usize, succ: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let mut parent: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in succ(v) {
            if w == start {
                let mut path = vec![start, v];
                let mut at = v;
                while at != start {
                    at = parent[&at];
                    path.push(at);
                }
                // [start, v, parent of v, ..., start], backwards: the calls in order.
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(w) {
                e.insert(v);
                queue.push_back(w);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_cycles() {
        // 0 -> 1 -> 2 -> 1, 2 -> 3, 4 -> 4
        let edges = [vec![1], vec![2], vec![1, 3], vec![], vec![4]];
        let c = components(5, |v| edges[v].clone());
        assert_eq!(c[1], c[2]);
        assert_ne!(c[0], c[1]);
        assert_ne!(c[3], c[1]);
        assert_eq!(find_cycle(1, |v| edges[v].clone()), vec![1, 2, 1]);
        assert_eq!(find_cycle(4, |v| edges[v].clone()), vec![4, 4]);
        // A long chain does not recurse.
        let n = 200_000;
        let c = components(n, |v| if v + 1 < n { vec![v + 1] } else { vec![] });
        assert_eq!(c.iter().collect::<std::collections::HashSet<_>>().len(), n);
    }
}
