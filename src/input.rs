//! Reading the input: WAT or binary bytes in, a walrus module plus the facts about the
//! original binary that walrus does not keep (which walrus id each original index became).

use crate::error::{Error, ErrorKind, Result, from_anyhow};
use std::sync::{Arc, Mutex};
use walrus::{
    DataId, ElementId, FunctionId, GlobalId, IndicesToIds, MemoryId, Module, ModuleConfig, TableId,
    TagId, TypeId,
};

/// The walrus id of every item of the original module, by original index.
#[derive(Clone, Debug, Default)]
pub struct OriginalIds {
    /// `types[i]` is the id of type `i` (walrus merges identical singleton types, so ids repeat).
    pub types: Vec<TypeId>,
    /// Functions, imports first.
    pub funcs: Vec<FunctionId>,
    /// Globals, imports first.
    pub globals: Vec<GlobalId>,
    /// Tables, imports first.
    pub tables: Vec<TableId>,
    /// Memories, imports first.
    pub memories: Vec<MemoryId>,
    /// Element segments.
    pub elems: Vec<ElementId>,
    /// Data segments.
    pub data: Vec<DataId>,
    /// Tags, imports first.
    pub tags: Vec<TagId>,
    /// For each defined function, the arena index of the `LocalId` walrus gave its local 0 and
    /// how many locals (parameters included) it declared: walrus creates a function's locals
    /// one after the other, so input local `i` is the `LocalId` with index `first + i`. (walrus
    /// reads the name section before the locals exist and drops local names; the writer
    /// recovers them with this.)
    pub locals: crate::ir::IdMap<FunctionId, (usize, u32)>,
    /// How many functions the input defines (the count of its code section).
    pub defined_funcs: usize,
    /// `plain_types[i]`: type `i` is alone in an implicit rec group, final, without
    /// supertype: the type a plain `(type (func ...))` declares. walrus gives a plain type
    /// and an identical one inside an explicit rec group the same id, although they are
    /// distinct types.
    pub plain_types: Vec<bool>,
}

impl OriginalIds {
    /// `local_counts[i]`: how many locals (parameters included) defined function `i` has.
    fn from_walrus(ids: &IndicesToIds, local_counts: &[u32]) -> OriginalIds {
        fn collect<T>(get: impl Fn(u32) -> walrus::Result<T>) -> Vec<T> {
            (0..).map_while(|i| get(i).ok()).collect()
        }
        let funcs = collect(|i| ids.get_func(i));
        let imported = funcs.len().saturating_sub(local_counts.len());
        // Only functions with locals are asked for local 0: a failed lookup is an error value
        // with a backtrace (slow under RUST_BACKTRACE=1).
        let locals = funcs[imported..]
            .iter()
            .zip(local_counts)
            .filter(|&(_, &count)| count > 0)
            .filter_map(|(&f, &count)| Some((f, (ids.get_local(f, 0).ok()?.index(), count))))
            .collect();
        OriginalIds {
            types: collect(|i| ids.get_type(i)),
            funcs,
            globals: collect(|i| ids.get_global(i)),
            tables: collect(|i| ids.get_table(i)),
            memories: collect(|i| ids.get_memory(i)),
            elems: collect(|i| ids.get_element(i)),
            data: collect(|i| ids.get_data(i)),
            tags: collect(|i| ids.get_tag(i)),
            locals,
            defined_funcs: 0,
            plain_types: Vec::new(),
        }
    }
}

/// Turn the input into binary wasm: binary passes through, text is parsed as WAT.
///
/// Binaryen accepts text modules that declare imports after other definitions (the original
/// Asyncify examples do); the text format does not. Such input is accepted here too, by
/// moving the imports first, with a warning (the second value).
pub fn to_binary<'a>(
    input: &'a [u8],
    path: Option<&std::path::Path>,
) -> Result<(std::borrow::Cow<'a, [u8]>, Option<String>)> {
    if input.starts_with(b"\0asm") {
        return Ok((input.into(), None));
    }
    let what = match path {
        Some(p) => format!("`{}`", p.display()),
        None => "input".to_string(),
    };
    let text = match std::str::from_utf8(input) {
        Ok(text) if !text.contains('\0') => text,
        _ => {
            return Err(Error::parse(format!(
                "{what} is not a WebAssembly module: it has no `\\0asm` header and is not WAT text"
            )));
        }
    };
    let parse = |text: &str| {
        wat::Parser::new()
            .parse_bytes(path, text.as_bytes())
            .map(|b| b.into_owned())
    };
    let err = match parse(text) {
        Ok(bytes) => return Ok((bytes.into(), None)),
        Err(e) => e,
    };
    if err.to_string().contains("import after")
        && let Some(Ok(bytes)) = hoist_imports(text).map(|t| parse(&t))
    {
        let warning = "the input text declares imports after other definitions, which the \
                           WebAssembly text format does not allow; accepted by moving the \
                           imports first (as Binaryen does)";
        return Ok((bytes.into(), Some(warning.to_string())));
    }
    Err(Error::parse(err.to_string()).context(format!("failed to parse {what} as WAT")))
}

/// Move every top-level `(import ...)` field of a `(module ...)` before the other fields.
/// Returns `None` if the text is not a single module form this simple scanner understands.
fn hoist_imports(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let start = skip_trivia(bytes, 0)?;
    if !text[start..].starts_with("(module") {
        return None;
    }
    let mut pos = start + "(module".len();
    let mut head_end = pos; // `(module $name` stays in front
    let mut imports: Vec<&str> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    loop {
        let next = skip_trivia(bytes, pos)?;
        match bytes.get(next)? {
            b')' => {
                let mut out = String::with_capacity(text.len());
                out.push_str(&text[..head_end]);
                for field in imports.iter().chain(&others) {
                    out.push('\n');
                    out.push_str(field);
                }
                out.push_str(&text[next..]);
                return Some(out);
            }
            b'(' => {
                let end = form_end(bytes, next)?;
                let field = &text[next..end];
                if field.starts_with("(import") {
                    imports.push(field);
                } else {
                    others.push(field);
                }
                pos = end;
            }
            _ => {
                // An atom such as the module's `$name`: only allowed before any field.
                if !imports.is_empty() || !others.is_empty() {
                    return None;
                }
                let mut end = next;
                while end < bytes.len()
                    && !bytes[end].is_ascii_whitespace()
                    && !b"();".contains(&bytes[end])
                {
                    end += 1;
                }
                pos = end;
                head_end = end;
            }
        }
    }
}

/// Skip whitespace and comments; the position of the next token.
fn skip_trivia(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if bytes[pos..].starts_with(b";;") {
            while pos < bytes.len() && bytes[pos] != b'\n' {
                pos += 1;
            }
        } else if bytes[pos..].starts_with(b"(;") {
            pos = block_comment_end(bytes, pos)?;
        } else {
            return (pos < bytes.len()).then_some(pos);
        }
    }
}

fn block_comment_end(bytes: &[u8], mut pos: usize) -> Option<usize> {
    let mut depth = 0;
    while pos + 1 < bytes.len() {
        if bytes[pos..].starts_with(b"(;") {
            depth += 1;
            pos += 2;
        } else if bytes[pos..].starts_with(b";)") {
            depth -= 1;
            pos += 2;
            if depth == 0 {
                return Some(pos);
            }
        } else {
            pos += 1;
        }
    }
    None
}

/// The end (exclusive) of the parenthesized form starting at `pos`.
fn form_end(bytes: &[u8], mut pos: usize) -> Option<usize> {
    let mut depth = 0usize;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => {
                pos += 1;
                while pos < bytes.len() && bytes[pos] != b'"' {
                    pos += if bytes[pos] == b'\\' { 2 } else { 1 };
                }
                pos += 1;
                continue;
            }
            b';' if bytes.get(pos + 1) == Some(&b';') => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
                continue;
            }
            b'(' if bytes.get(pos + 1) == Some(&b';') => {
                pos = block_comment_end(bytes, pos)?;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(pos + 1);
                }
            }
            _ => {}
        }
        pos += 1;
    }
    None
}

/// Stack for the threads walrus parses on (its parser keeps nesting on the heap).
const PARSE_STACK: usize = 8 << 20;

/// walrus parses function bodies on rayon's global pool. Unless the program already set
/// that pool up, size it like the workers (see `crate::workers`), once. (Running the parse
/// inside a pool of our own measured 7-13% slower: the module's own tables then live on a
/// pool thread, away from the threads that instrument.)
fn size_parse_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only if the pool exists already (then it is used as it is).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(crate::workers::thread_count())
            .thread_name(|i| format!("asyncify-parse-{i}"))
            .stack_size(PARSE_STACK)
            .build_global();
    });
}

/// Parse a binary module with walrus, keeping names, and record the original index maps.
pub fn parse(wasm: &[u8]) -> Result<(Module, OriginalIds)> {
    let captured: Arc<Mutex<Option<OriginalIds>>> = Arc::default();
    let sink = captured.clone();
    let scanned = scan(wasm);
    if scanned.gc_types
        && let Some(e) = invalid(wasm)
    {
        return Err(e);
    }
    let local_counts = scanned.locals;
    let mut config = ModuleConfig::new();
    config
        .generate_producers_section(false)
        .on_parse(move |_, ids| {
            *sink.lock().unwrap() = Some(OriginalIds::from_walrus(ids, &local_counts));
            Ok(())
        });
    // A panic in walrus on an input it should have refused is reported, not propagated.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        size_parse_threads();
        config.parse(wasm)
    }));
    let module = match parsed {
        Ok(Ok(module)) => module,
        Ok(Err(e)) => {
            return Err(if invalid(wasm).is_none() {
                // walrus parses a fixed set of features: a module that validates with every
                // feature enabled uses one asyncify does not support, and is not invalid.
                from_anyhow(ErrorKind::Unsupported, &e)
                    .context("the module uses a WebAssembly feature asyncify does not support yet")
            } else {
                from_anyhow(ErrorKind::Parse, &e).context("input is not a valid WebAssembly module")
            });
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Err(invalid(wasm).unwrap_or_else(|| {
                Error::internal(format!("the wasm parser (walrus) panicked: {what}"))
            }));
        }
    };
    let mut ids = captured
        .lock()
        .unwrap()
        .take()
        .expect("walrus calls on_parse after a successful parse");
    ids.plain_types = scanned.plain;
    ids.defined_funcs = module
        .funcs
        .iter()
        .filter(|f| matches!(f.kind, walrus::FunctionKind::Local(_)))
        .count();
    Ok((module, ids))
}

/// A copy of `wasm` in which the body of each defined function `i` with `keep[i] == false`
/// is `unreachable` (valid for any signature), for walrus to parse without building IR for
/// code nobody reads (see [`crate::analysis::prescan`]). Every other byte stays as it was.
/// `None` if the module cannot be read this far (walrus then reports why).
pub fn stub_bodies(wasm: &[u8], keep: &[bool]) -> Option<Stubbed> {
    use wasm_encoder::Encode;
    // Where the code section's header starts (where the section before it ended), its
    // contents and its bodies.
    let mut header_start = 8;
    let mut code = None;
    let mut bodies = Vec::with_capacity(keep.len());
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.ok()?;
        match &payload {
            wasmparser::Payload::CodeSectionStart { count, range, .. } => {
                code = Some((header_start, range.clone(), *count));
            }
            wasmparser::Payload::CodeSectionEntry(body) => bodies.push(body.range()),
            wasmparser::Payload::End(_) => break,
            _ => {}
        }
        if let Some((_, range)) = payload.as_section() {
            header_start = range.end;
        }
    }
    let Some((header_start, contents, count)) = code else {
        return keep.is_empty().then(|| Stubbed {
            wasm: wasm.to_vec(),
            shifts: Vec::new(),
        });
    };
    if count as usize != keep.len()
        || bodies.len() != keep.len()
        || bodies.last().is_some_and(|b| b.end != contents.end)
    {
        return None;
    }
    // A stub: size 3, no locals, unreachable, end.
    const STUB: [u8; 4] = [3, 0x00, 0x00, 0x0b];
    let leb_len = |n: usize| (n.max(1).ilog2() / 7 + 1) as usize;
    let size = leb_len(bodies.len())
        + bodies
            .iter()
            .zip(keep)
            .map(|(b, &k)| {
                if k {
                    leb_len(b.len()) + b.len()
                } else {
                    STUB.len()
                }
            })
            .sum::<usize>();
    let mut out = Vec::with_capacity(wasm.len());
    out.extend_from_slice(&wasm[..header_start]);
    out.push(10);
    (size as u32).encode(&mut out);
    count.encode(&mut out);
    // Each kept body moves as a whole: one distance per body translates offsets.
    let mut shifts = Vec::with_capacity(bodies.len());
    for (body, &k) in bodies.iter().zip(keep) {
        if k {
            (body.len() as u32).encode(&mut out);
            shifts.push(body.start as isize - out.len() as isize);
            out.extend_from_slice(&wasm[body.clone()]);
        } else {
            shifts.push(0);
            out.extend_from_slice(&STUB);
        }
    }
    out.extend_from_slice(&wasm[contents.end..]);
    Some(Stubbed { wasm: out, shifts })
}

/// A module with some bodies stubbed out ([`stub_bodies`]).
pub struct Stubbed {
    /// The module.
    pub wasm: Vec<u8>,
    /// For each defined function, how far its body sits before the input's: an offset into
    /// a kept body here plus this is the same instruction's offset in the input (0 for the
    /// stubs).
    pub shifts: Vec<isize>,
}

/// Why `wasm` does not validate with every feature enabled, if it does not.
pub fn invalid(wasm: &[u8]) -> Option<Error> {
    let e = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .err()?;
    Some(
        Error::new(ErrorKind::Parse, e.to_string())
            .context("input is not a valid WebAssembly module"),
    )
}

/// What [`scan`] learns from the section headers.
struct Scanned {
    /// Which of the input's types are plain (see [`OriginalIds::plain_types`]).
    plain: Vec<bool>,
    /// How many locals (parameters included) each defined function has.
    locals: Vec<u32>,
    /// Whether some type is not a function type (struct, array): walrus looks up function
    /// types by index before validating (a function or `try` declared with a struct type
    /// makes it panic), so such modules are validated first.
    gc_types: bool,
}

/// What walrus does not tell: which types are plain and how many locals each defined function
/// has. Reads the type, function and code sections' headers, not the code; stops at the first
/// malformed part (walrus then reports it).
fn scan(wasm: &[u8]) -> Scanned {
    let mut plain = Vec::new();
    // Parameter count of each type; `None` for types that are not function types.
    let mut params: Vec<Option<u32>> = Vec::new();
    let mut func_types = Vec::new();
    let mut locals = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::TypeSection(reader)) => {
                for group in reader.into_iter().flatten() {
                    let explicit = group.is_explicit_rec_group();
                    for ty in group.into_types() {
                        plain.push(!explicit && ty.is_final && ty.supertype_idx.is_none());
                        params.push(match &ty.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => {
                                Some(f.params().len() as u32)
                            }
                            _ => None,
                        });
                    }
                }
            }
            Ok(wasmparser::Payload::FunctionSection(reader)) => {
                func_types.extend(reader.into_iter().map_while(|t| t.ok()));
            }
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => {
                let Some(&ty) = func_types.get(locals.len()) else {
                    break;
                };
                let Ok(reader) = body.get_locals_reader() else {
                    break;
                };
                let declared = reader
                    .into_iter()
                    .map_while(|l| l.ok())
                    .fold(0u32, |n, (count, _)| n.saturating_add(count));
                let from_type = params.get(ty as usize).copied().flatten().unwrap_or(0);
                locals.push(from_type.saturating_add(declared));
            }
            Err(_) => break,
            Ok(_) => {}
        }
    }
    let gc_types = params.iter().any(Option::is_none);
    Scanned {
        plain,
        locals,
        gc_types,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hoists_imports_after_memory() {
        let text = "(module $m (memory 1) ;; c\n (import \"a\" \"b\" (func)) (; x ;) (func))";
        let hoisted = hoist_imports(text).unwrap();
        assert!(hoisted.find("(import").unwrap() < hoisted.find("(memory").unwrap());
        wat::parse_str(&hoisted).unwrap();
        let (_, warning) = to_binary(text.as_bytes(), None).unwrap();
        assert!(warning.is_some());
    }

    #[test]
    fn stubbed_bodies_leave_every_other_byte() {
        let wasm = wat::parse_str(
            r#"(module $m
                (func $a (result i32) (local i64) (i32.const 1))
                (func $b (param i32) (result i32) (local.get 0))
                (func $c (nop))
                (@custom "after" "tail"))"#,
        )
        .unwrap();
        let Stubbed {
            wasm: stubbed,
            shifts,
        } = stub_bodies(&wasm, &[true, false, true]).unwrap();
        wasmparser::Validator::new().validate_all(&stubbed).unwrap();
        let sections = |wasm: &[u8]| -> Vec<(u8, Vec<u8>)> {
            wasmparser::Parser::new(0)
                .parse_all(wasm)
                .filter_map(|p| p.unwrap().as_section())
                .map(|(id, range)| (id, wasm[range].to_vec()))
                .collect()
        };
        let bodies = |wasm: &[u8]| -> Vec<Vec<u8>> {
            wasmparser::Parser::new(0)
                .parse_all(wasm)
                .filter_map(|p| match p.unwrap() {
                    wasmparser::Payload::CodeSectionEntry(b) => Some(wasm[b.range()].to_vec()),
                    _ => None,
                })
                .collect()
        };
        let (before, after) = (bodies(&wasm), bodies(&stubbed));
        assert_eq!(
            after,
            vec![before[0].clone(), vec![0, 0, 0x0b], before[2].clone()]
        );
        // $a did not move; $c moved by what $b lost (its body and size byte shrank by 2).
        assert_eq!(shifts[0], 0);
        assert_eq!(shifts[2], before[1].len() as isize - 3);
        let (before, after) = (sections(&wasm), sections(&stubbed));
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.0, a.0);
            if b.0 != 10 {
                assert_eq!(b, a, "section {} changed", b.0);
            }
        }
        // The count must match; a module without code comes back as it was.
        assert!(stub_bodies(&wasm, &[true, false]).is_none());
        let empty = wat::parse_str("(module (memory 1))").unwrap();
        assert_eq!(stub_bodies(&empty, &[]).unwrap().wasm, empty);
    }

    #[test]
    fn valid_text_needs_no_warning() {
        let (_, warning) =
            to_binary(b"(module (import \"a\" \"b\" (func)) (memory 1))", None).unwrap();
        assert!(warning.is_none());
    }
}
