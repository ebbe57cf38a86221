//! Which function bodies the analysis can need, read straight from the binary before walrus
//! builds its IR.
//!
//! walrus parses every function body into IR, and on a module where few functions can pause
//! that parse is most of the transform's time and memory. So the binary is scanned first
//! (no IR, no validation) for what could make a function pause or matter to the call graph,
//! and the bodies of the other functions are replaced by `unreachable` before walrus sees the
//! module ([`crate::input::stub_bodies`]). The writer copies every untouched body from the
//! input bytes anyway, so the output does not change.
//!
//! The answer is a superset of what [`can_pause`](super::can_pause) decides, built with the
//! same roots and none of the narrowing: a body is needed if the function
//!
//! - calls an import that may pause (by the `--imports` list, or any import without one), or
//!   any `asyncify.*` import;
//! - makes an indirect call, unless `--ignore-indirect`;
//! - calls, directly, a function whose body is needed for one of these reasons;
//! - or puts function references anywhere (`ref.func`, table writes, element segments read
//!   into tables or arrays), which the indirect-call analysis reads to see where indirect
//!   calls can go, or makes an indirect call even though they are ignored (the report lists
//!   every indirect call): these are kept without making their callers needed.
//!
//! For example, with `--imports env.sleep --ignore-indirect`:
//!
//! ```text
//! (func $wait (call $env.sleep))              ;; needed: calls a pausing import
//! (func $main (call $wait) (call $log_all))   ;; needed: calls $wait
//! (func $log_all (call $env.log))             ;; left out: env.log cannot pause
//! (func $run_op (call_indirect (type $op) ..));; kept: the report lists its indirect call
//! (func $setup (table.set (ref.func $wait)))  ;; kept: says where indirect calls can go
//! (func $square (i32.mul ..))                 ;; left out
//! ```
//!
//! becomes, for walrus, the same module with `$log_all` and `$square` reduced to
//! `(func unreachable)`; the output has their original bodies.
//!
//! A function outside that set cannot reach a pause through anything the analysis looks at,
//! so its body is never read. The pipeline checks that every function it instruments had its
//! body kept. The add-list, the only-list and `--asserts` instrument functions for other
//! reasons; with them nothing is stubbed. Nor is anything scanned when every import and every
//! indirect call may pause: then nearly every function can reach a pause (all but 0.5–12% of
//! the code in the benchmark corpus), and the scan would cost more than it saves.

use crate::list::NameList;
use crate::options::Options;
use wasmparser::{Operator, Parser, Payload, TypeRef};

/// For each function the input defines (in code section order), whether its body must be
/// parsed. `None` when every body must be: a list or option that needs them, or anything the
/// scan does not understand (walrus then reports malformed input as usual); also when the
/// bodies left out would be under [`WORTH_IT`] of the code, as the stubbed copy of the module
/// would then cost more memory than it saves.
pub fn bodies_needed(wasm: &[u8], options: &Options) -> Option<Vec<bool>> {
    let every_import = options.imports.as_ref().is_none_or(|l| l.is_empty());
    if every_import && !options.ignore_imports && !options.ignore_indirect {
        return None;
    }
    let (needed, sizes) = scan(wasm, options)?;
    let total: usize = sizes.iter().sum();
    let left_out: usize = sizes
        .iter()
        .zip(&needed)
        .filter(|(_, n)| !**n)
        .map(|(s, _)| s)
        .sum();
    (left_out as f64 >= WORTH_IT * total as f64).then_some(needed)
}

/// Which bodies are needed, and the size of each.
fn scan(wasm: &[u8], options: &Options) -> Option<(Vec<bool>, Vec<usize>)> {
    if options.asserts || !options.add_list.is_empty() || !options.only_list.is_empty() {
        return None;
    }

    let imports = match options.imports.as_deref() {
        Some(raw) => Some(NameList::new("--imports", raw).ok()?).filter(|l| !l.is_empty()),
        None => None,
    };
    let import_pauses = |module: &str, field: &str| {
        module == crate::abi::IMPORT_MODULE
            || match &imports {
                Some(list) => list.matches(&format!("{module}.{field}")),
                None => !options.ignore_imports,
            }
    };

    // Per function (imports first): does it start a pause, its direct callees.
    let mut pauses: Vec<bool> = Vec::new();
    let mut keep_only: Vec<bool> = Vec::new();
    let mut callees: Vec<Vec<u32>> = Vec::new();
    let mut imported = 0usize;
    let mut sizes: Vec<usize> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.ok()?;
                    if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        pauses.push(import_pauses(import.module, import.name));
                        keep_only.push(false);
                        callees.push(Vec::new());
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                sizes.push(body.range().len());
                let mut facts = BodyFacts::default();
                let mut reader = body.get_operators_reader().ok()?;
                while !reader.eof() {
                    facts.operator(&reader.read().ok()?, options.ignore_indirect);
                }
                pauses.push(facts.indirect);
                keep_only.push(facts.references);
                facts.callees.sort_unstable();
                facts.callees.dedup();
                callees.push(facts.callees);
            }
            _ => {}
        }
    }

    // Callers of what can pause can pause: walk the reversed call graph from the roots.
    let n = pauses.len();
    let mut callers: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (caller, list) in callees.iter().enumerate() {
        for &callee in list {
            callers.get_mut(callee as usize)?.push(caller as u32);
        }
    }
    let mut queue: Vec<usize> = (0..n).filter(|&i| pauses[i]).collect();
    while let Some(i) = queue.pop() {
        for &caller in &callers[i] {
            let caller = caller as usize;
            if !pauses[caller] {
                pauses[caller] = true;
                queue.push(caller);
            }
        }
    }
    let needed = (imported..n).map(|i| pauses[i] || keep_only[i]).collect();
    Some((needed, sizes))
}

/// The smallest share of the code bytes worth leaving out: below it the module is parsed
/// whole. (With no list, 5% of swc's 18 MB module could be left out, 0.5% of esbuild's, and
/// the copy raised peak memory by 10 to 30 MB; SQLite with `--ignore-indirect`: 96%.)
pub const WORTH_IT: f64 = 0.1;

/// What one body's operators say.
#[derive(Default)]
struct BodyFacts {
    callees: Vec<u32>,
    /// Makes an indirect call that may pause.
    indirect: bool,
    /// Produces function references, writes tables or makes an indirect call.
    references: bool,
}

impl BodyFacts {
    fn operator(&mut self, op: &Operator<'_>, ignore_indirect: bool) {
        match op {
            Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                self.callees.push(*function_index)
            }
            Operator::CallIndirect { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. } => {
                self.indirect |= !ignore_indirect;
                self.references = true;
            }
            Operator::RefFunc { .. }
            | Operator::TableSet { .. }
            | Operator::TableFill { .. }
            | Operator::TableGrow { .. }
            | Operator::TableInit { .. }
            | Operator::TableCopy { .. }
            | Operator::ArrayNewElem { .. }
            | Operator::ArrayInitElem { .. } => self.references = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"(module
        (import "env" "sleep" (func $sleep))
        (import "env" "log" (func $log))
        (import "asyncify" "get_state" (func $state (result i32)))
        (type $v (func))
        (table 1 funcref)
        (func $sleeps (call $sleep))
        (func $calls_sleeps (call $sleeps))
        (func $logs (call $log))
        (func $indirect (call_indirect (type $v) (i32.const 0)))
        (func $refers (drop (ref.func $pure)))
        (func $pure)
        (func $asks (drop (call $state)))
        (func $tail (return_call $calls_sleeps)))"#;

    fn needed(options: Options) -> Option<Vec<bool>> {
        scan(&wat::parse_str(MODULE).unwrap(), &options).map(|(needed, _)| needed)
    }

    fn with_imports(list: &str) -> Options {
        Options {
            imports: Some(vec![list.to_string()]),
            ..Options::default()
        }
    }

    #[test]
    fn keeps_what_can_reach_a_pause_and_what_takes_references() {
        // sleeps, calls_sleeps, logs, indirect, refers, pure, asks, tail
        let t = true;
        let f = false;
        assert_eq!(
            needed(with_imports("env.sleep")),
            Some(vec![t, t, f, t, t, f, t, t])
        );
        assert_eq!(
            needed(Options::default()),
            Some(vec![t, t, t, t, t, f, t, t])
        );
        let ignore = Options {
            ignore_indirect: true,
            ..with_imports("env.sleep")
        };
        assert_eq!(needed(ignore), Some(vec![t, t, f, t, t, f, t, t]));
        let none = Options {
            ignore_imports: true,
            ignore_indirect: true,
            ..Options::default()
        };
        assert_eq!(needed(none), Some(vec![f, f, f, t, t, f, t, f]));
    }

    #[test]
    fn leaving_out_little_is_not_worth_a_copy() {
        let wasm = wat::parse_str(MODULE).unwrap();
        // When every import can pause, not even scanned; with a list naming both imports only
        // `$pure` (2 of about 50 body bytes) is left out, not worth a copy; with a list naming
        // one, `$logs` and `$pure` are left out.
        assert_eq!(bodies_needed(&wasm, &Options::default()), None);
        assert_eq!(bodies_needed(&wasm, &with_imports("env.*")), None);
        assert!(bodies_needed(&wasm, &with_imports("env.sleep")).is_some());
    }

    #[test]
    fn lists_that_name_functions_need_every_body() {
        for options in [
            Options {
                add_list: vec!["pure".into()],
                ..Options::default()
            },
            Options {
                only_list: vec!["pure".into()],
                ..Options::default()
            },
            Options {
                asserts: true,
                ..Options::default()
            },
        ] {
            assert_eq!(needed(options), None);
        }
        // A list the real analysis will refuse is left to it.
        assert_eq!(needed(with_imports("@/no/such/file")), None);
    }
}
