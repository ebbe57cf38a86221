//! Random option sets, the names they draw from, and which errors count as documented
//! refusals.

use arbitrary::Unstructured;
use asyncify::{Error, ErrorKind, Options};

/// The names in a module that lists can mention.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Defined functions, as lists match them: the name-section name, or the index.
    pub funcs: Vec<String>,
    /// Function imports as `module.base`.
    pub imports: Vec<String>,
    /// Import names as lists would spell them by mistake (name-section names of imports).
    pub import_func_names: Vec<String>,
}

/// Read the names from a binary module (best effort: a module that does not parse has none).
pub fn names_of(wasm: &[u8]) -> Names {
    let mut names = Names::default();
    let mut imported = 0u32;
    let mut defined = 0u32;
    let mut func_names = std::collections::HashMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { break };
        match payload {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports().flatten() {
                    if let wasmparser::TypeRef::Func(_) = import.ty {
                        names
                            .imports
                            .push(format!("{}.{}", import.module, import.name));
                        imported += 1;
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => defined = reader.count(),
            wasmparser::Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader.flatten() {
                        if let wasmparser::Name::Function(map) = sub {
                            for naming in map.into_iter().flatten() {
                                func_names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for i in 0..imported {
        if let Some(n) = func_names.get(&i) {
            names.import_func_names.push(n.clone());
        }
    }
    for i in imported..imported + defined {
        names
            .funcs
            .push(func_names.get(&i).cloned().unwrap_or_else(|| i.to_string()));
    }
    names
}

/// True with probability `num/den`; false when the bytes run out, so exhausted input means
/// the plainest option set.
pub fn odds(u: &mut Unstructured, num: u32, den: u32) -> bool {
    u.int_in_range(1..=den).unwrap_or(den) <= num && !u.is_empty()
}

fn pick<'a>(u: &mut Unstructured, list: &'a [String]) -> Option<&'a String> {
    if list.is_empty() {
        return None;
    }
    let i = u.choose_index(list.len()).ok()?;
    Some(&list[i])
}

/// A list entry drawn from `names`: an exact name, a wildcard pattern cut from one, `*`, or a
/// name that matches nothing.
fn entry(u: &mut Unstructured, names: &[String]) -> String {
    let choice = u.int_in_range(0..=9u8).unwrap_or(0);
    match (choice, pick(u, names)) {
        (0..=5, Some(name)) => name.clone(),
        (6, Some(name)) if name.len() > 1 => {
            let cut = u.int_in_range(1..=name.len() - 1).unwrap_or(1);
            let cut = (0..=cut)
                .rev()
                .find(|&c| name.is_char_boundary(c))
                .unwrap_or(0);
            format!("{}*", &name[..cut])
        }
        (7, Some(name)) if name.len() > 1 => {
            let cut = u.int_in_range(1..=name.len() - 1).unwrap_or(1);
            let cut = (cut..=name.len())
                .find(|&c| name.is_char_boundary(c))
                .unwrap();
            format!("*{}", &name[cut..])
        }
        (8, _) => "*".to_string(),
        _ => ["nothing_here", "env.nope", "f_missing", "12345"][choice as usize % 4].to_string(),
    }
}

fn list(u: &mut Unstructured, names: &[String], max: usize) -> Vec<String> {
    let n = u.int_in_range(0..=max).unwrap_or(0);
    (0..n).map(|_| entry(u, names)).collect()
}

/// An arbitrary option set for a module with these names: import lists (wildcards included),
/// ignore-imports, ignore-indirect, add/remove/only lists, propagate-add-list, asserts,
/// verbose, and an optimization level. Some combinations are contradictory on purpose (the
/// library must refuse them clearly).
pub fn arbitrary_options(u: &mut Unstructured, names: &Names) -> Options {
    let mut options = Options::default();
    if odds(u, 2, 3) {
        let mut imports = list(u, &names.imports, 4);
        if odds(u, 1, 20) {
            // A mistake worth an error: a defined function in the import list.
            if let Some(f) = pick(u, &names.funcs) {
                imports.push(f.clone());
            }
        }
        options.imports = Some(imports);
    }
    options.ignore_imports = odds(u, 1, 8);
    options.ignore_indirect = odds(u, 1, 3);
    let mut with_imports: Vec<String> = names.funcs.clone();
    if odds(u, 1, 20) {
        // Another mistake: naming imports in function lists.
        with_imports.extend(names.import_func_names.iter().cloned());
    }
    match u.int_in_range(0..=5u8).unwrap_or(0) {
        0 | 1 => {}
        2 => options.add_list = list(u, &with_imports, 3),
        3 => options.remove_list = list(u, &with_imports, 3),
        4 => options.only_list = list(u, &with_imports, 4),
        _ => {
            options.add_list = list(u, &with_imports, 2);
            options.remove_list = list(u, &with_imports, 2);
            if odds(u, 1, 4) {
                options.only_list = list(u, &with_imports, 2);
            }
        }
    }
    options.propagate_add_list = odds(u, 1, 4);
    options.asserts = odds(u, 1, 4);
    options.verbose = odds(u, 1, 8);
    options.optimize = u.int_in_range(0..=3).unwrap_or(0);
    options.epilogues = arbitrary_epilogues(u);
    options.split = arbitrary_split(u, options.optimize);
    options
}

/// Which functions get a copy for rewinding, when optimizing: mostly the level's default,
/// sometimes the other extreme (`-O1 --split all`, `-O3 --split none`). `huge` is left out:
/// generated functions are far below its threshold, so it would be `none` again.
pub fn arbitrary_split(u: &mut Unstructured, optimize: u8) -> Option<asyncify::Split> {
    if optimize == 0 {
        return None;
    }
    match u.int_in_range(0..=3u8).unwrap_or(0) {
        0 => Some(asyncify::Split::None),
        1 => Some(asyncify::Split::All),
        _ => None,
    }
}

/// An epilogue layout; exact (the one splitting most) when the bytes have run out.
pub fn arbitrary_epilogues(u: &mut Unstructured) -> asyncify::Epilogues {
    match u.int_in_range(0..=2u8).unwrap_or(0) {
        0 => asyncify::Epilogues::Exact,
        1 => asyncify::Epilogues::Auto,
        _ => asyncify::Epilogues::Shared,
    }
}

/// The options as command-line flags, for reports (`asyncify in.wasm <flags>` reproduces).
pub fn describe(options: &Options) -> String {
    let mut flags = Vec::new();
    let quote = |list: &[String]| format!("'{}'", list.join(","));
    if let Some(imports) = &options.imports {
        flags.push(format!("--imports={}", quote(imports)));
    }
    if options.ignore_imports {
        flags.push("--ignore-imports".into());
    }
    if options.ignore_indirect {
        flags.push("--ignore-indirect".into());
    }
    for (flag, list) in [
        ("--add-list", &options.add_list),
        ("--remove-list", &options.remove_list),
        ("--only-list", &options.only_list),
    ] {
        if !list.is_empty() {
            flags.push(format!("{flag}={}", quote(list)));
        }
    }
    if options.propagate_add_list {
        flags.push("--propagate-add-list".into());
    }
    if options.asserts {
        flags.push("--asserts".into());
    }
    if options.verbose {
        flags.push("--verbose".into());
    }
    if options.optimize > 0 {
        flags.push(format!("-O{}", options.optimize));
    }
    if options.epilogues != asyncify::Epilogues::Auto {
        flags.push(format!("--epilogues {}", options.epilogues));
    }
    if let Some(split) = options.split {
        let which = match split {
            asyncify::Split::None => "none",
            asyncify::Split::Huge => "huge",
            asyncify::Split::All => "all",
        };
        flags.push(format!("--split {which}"));
    }
    if flags.is_empty() {
        "(no flags)".into()
    } else {
        flags.join(" ")
    }
}

/// Whether `err` is one of the refusals the documentation promises for valid input and
/// well-formed options: an unsupported feature, a bad or contradictory list, or options that
/// do not fit the module, with a message written for a person (not empty, not a debug dump,
/// not a panic). `Internal` is never acceptable: it means the output failed validation.
pub fn is_documented_refusal(err: &Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Unsupported | ErrorKind::BadList | ErrorKind::BadOptions
    ) && is_clear_message(err.message())
}

/// A message a person can act on: some words, no Rust debug formatting, no panic text.
pub fn is_clear_message(message: &str) -> bool {
    let m = message.trim();
    m.len() >= 12
        && m.contains(' ')
        && !m.contains("panicked")
        && !m.contains("RUST_BACKTRACE")
        && !m.starts_with('{')
        && !m.contains("Some(")
}
