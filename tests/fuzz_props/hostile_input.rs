//! Property `hostile_input`: whatever the bytes and options, the library returns (never panics,
//! never hangs) and any error is readable; a module it returns validates. The seeded test in
//! `tests/fuzz.rs` also runs the command-line tool on the same inputs with hostile flags and
//! checks it prints `error: ...`, exits non-zero, never panics, and leaves no output file (and
//! an existing output file untouched) when it fails.
//!
//! Inputs, chosen by the first byte:
//! 0. arbitrary bytes, with or without a `\0asm` header;
//! 1. a wasm-smith module mutated (bytes flipped, inserted, cut);
//! 2. arbitrary text (as WAT);
//! 3. a valid module with hostile option values;
//! 4. handcrafted modules with huge counts and sizes (sections, locals, nesting, br_table).

use super::options::{arbitrary_options, describe, is_clear_message, names_of};
use super::{Failure, catch, hex};
use arbitrary::Unstructured;
use asyncify::{ErrorKind, Options};
use std::time::{Duration, Instant};

/// Longest a transform of a hostile input may take (debug build, shared machine).
pub const TIME_LIMIT: Duration = Duration::from_secs(20);

/// A hostile test case.
#[derive(Clone, Debug)]
pub struct Case {
    pub input: Vec<u8>,
    pub options: Options,
    pub what: &'static str,
}

fn small_module(u: &mut Unstructured) -> Vec<u8> {
    let config = wasm_smith::Config {
        available_imports: Some(
            wat::parse_str(super::same_result::IMPORTS).expect("imports parse"),
        ),
        max_funcs: 16,
        max_instructions: 60,
        min_funcs: 1,
        ..wasm_smith::Config::default()
    };
    wasm_smith::Module::new(config, u)
        .map(|m| m.to_bytes())
        .unwrap_or_else(|_| b"\0asm\x01\0\0\0".to_vec())
}

/// Unsigned LEB128.
pub fn leb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn section(id: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![id];
    out.extend(leb(body.len() as u64));
    out.extend_from_slice(body);
    out
}

/// A module with a count or size far larger than its contents (or than any limit).
fn huge(u: &mut Unstructured) -> (Vec<u8>, &'static str) {
    let big: u64 = [0xffff_ffff, 0x7fff_ffff, 1 << 28, 65_536, 50_001, 100_000]
        [u.choose_index(6).unwrap_or(0)];
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let one_type = section(1, &[1, 0x60, 0, 0]); // (type (func))
    let one_func = section(3, &[1, 0]);
    let body = |code: &[u8]| {
        let mut b = leb(code.len() as u64);
        b.extend_from_slice(code);
        let mut s = vec![1];
        s.extend(b);
        section(10, &s)
    };
    let what = match u.int_in_range(0..=8u8).unwrap_or(0) {
        0 => {
            // Type section claiming `big` types.
            let mut s = leb(big);
            s.extend_from_slice(&[0x60, 0, 0]);
            m.extend(section(1, &s));
            "type count"
        }
        1 => {
            m.extend(one_type);
            let mut s = leb(big);
            s.push(0);
            m.extend(section(3, &s));
            "function count"
        }
        2 => {
            // One function declaring `big` locals of i32.
            m.extend(one_type);
            m.extend(one_func);
            let mut code = vec![1];
            code.extend(leb(big));
            code.extend_from_slice(&[0x7f, 0x0b]);
            m.extend(body(&code));
            "local count"
        }
        3 => {
            // Nesting: `n` blocks deep, then as many ends.
            let n = [1_000usize, 20_000, 100_000][u.choose_index(3).unwrap_or(0)];
            m.extend(one_type);
            m.extend(one_func);
            let mut code = vec![0];
            for _ in 0..n {
                code.extend_from_slice(&[0x02, 0x40]);
            }
            code.extend(std::iter::repeat_n(0x0b, n + 1));
            m.extend(body(&code));
            if n > 1000 { "deep nesting" } else { "nesting" }
        }
        4 => {
            // A br_table claiming `big` targets.
            m.extend(one_type);
            m.extend(one_func);
            let mut code = vec![0, 0x41, 0, 0x0e];
            code.extend(leb(big));
            code.extend_from_slice(&[0, 0, 0x0b]);
            m.extend(body(&code));
            "br_table size"
        }
        5 => {
            // A memory of `big` pages.
            let mut s = vec![1, 0];
            s.extend(leb(big));
            m.extend(section(5, &s));
            "memory size"
        }
        6 => {
            // A section whose size runs past the end of the input.
            m.push(1);
            m.extend(leb(big));
            m.extend_from_slice(&[1, 0x60, 0, 0]);
            "section size"
        }
        7 => {
            // A name section with `big` function names.
            let mut s = leb(4);
            s.extend_from_slice(b"name");
            s.push(1);
            let mut sub = leb(big);
            sub.extend_from_slice(&[0, 1, b'a']);
            s.extend(leb(sub.len() as u64));
            s.extend(sub);
            m.extend(section(0, &s));
            "name count"
        }
        _ => {
            // A data section with a segment claiming `big` bytes.
            m.extend(section(5, &[1, 0, 1]));
            let mut s = vec![1, 0, 0x41, 0, 0x0b];
            s.extend(leb(big));
            s.extend_from_slice(b"xyz");
            m.extend(section(11, &s));
            "data size"
        }
    };
    (m, what)
}

fn mutate(u: &mut Unstructured, mut wasm: Vec<u8>) -> Vec<u8> {
    let n = 1 + u.int_in_range(0..=4u8).unwrap_or(0);
    for _ in 0..n {
        if wasm.is_empty() {
            break;
        }
        let at = u.choose_index(wasm.len()).unwrap_or(0);
        match u.int_in_range(0..=4u8).unwrap_or(0) {
            0 => wasm[at] ^= 1 << u.int_in_range(0..=7u8).unwrap_or(0),
            1 => wasm[at] = u.arbitrary().unwrap_or(0xff),
            2 => wasm.truncate(at.max(8)),
            3 => {
                let bytes: Vec<u8> = (0..u.int_in_range(1..=6u8).unwrap_or(1))
                    .map(|_| u.arbitrary().unwrap_or(0x80))
                    .collect();
                wasm.splice(at..at, bytes);
            }
            _ => {
                // A LEB that never ends, or a maximal one.
                wasm.splice(at..at, [0xff, 0xff, 0xff, 0xff, 0x0f]);
            }
        }
    }
    wasm
}

/// A list entry a person should never write (but a script might).
fn hostile_entry(u: &mut Unstructured) -> String {
    match u.int_in_range(0..=9u8).unwrap_or(0) {
        0 => "*".repeat(u.int_in_range(1..=300).unwrap_or(1)),
        1 => format!("{}x", "a*".repeat(u.int_in_range(1..=60).unwrap_or(1))),
        2 => "@".to_string(),
        3 => format!(
            "@/nonexistent-asyncify-fuzz/{}",
            u.int_in_range(0..=99u8).unwrap_or(0)
        ),
        4 => "(((,,,)))<<,>>".to_string(),
        5 => "\u{feff}env.sleep\u{0}".to_string(),
        6 => "x".repeat(10_000),
        7 => ",,,\n\n,".to_string(),
        8 => "env.".to_string(),
        _ => {
            // Arbitrary text, with any `@` made harmless (a list file must not be read).
            let s: String = u.arbitrary().unwrap_or_default();
            s.replace('@', "@/nonexistent-asyncify-fuzz/")
        }
    }
}

fn hostile_options(u: &mut Unstructured, names: &super::options::Names) -> Options {
    let mut options = arbitrary_options(u, names);
    let list = |u: &mut Unstructured| -> Vec<String> {
        (0..u.int_in_range(0..=3).unwrap_or(0))
            .map(|_| hostile_entry(u))
            .collect()
    };
    match u.int_in_range(0..=4u8).unwrap_or(0) {
        0 => options.imports = Some(list(u)),
        1 => options.add_list = list(u),
        2 => options.remove_list = list(u),
        3 => options.only_list = list(u),
        _ => options.optimize = u.arbitrary().unwrap_or(255),
    }
    options
}

/// The case the fuzzer's bytes stand for.
pub fn case_of(data: &[u8]) -> Case {
    let mut u = Unstructured::new(data);
    let kind = u.int_in_range(0..=4u8).unwrap_or(0);
    let options_seed: Vec<u8> = (0..32).map(|_| u.arbitrary().unwrap_or(0)).collect();
    let mut ou = Unstructured::new(&options_seed);
    match kind {
        0 => {
            let mut input: Vec<u8> = u.take_rest().to_vec();
            if input.first().is_some_and(|b| b & 1 == 1) {
                input.splice(0..0, *b"\0asm\x01\0\0\0");
            }
            Case {
                input,
                options: arbitrary_options(&mut ou, &Default::default()),
                what: "arbitrary bytes",
            }
        }
        1 => {
            let wasm = small_module(&mut u);
            let names = names_of(&wasm);
            let input = mutate(&mut u, wasm);
            Case {
                input,
                options: arbitrary_options(&mut ou, &names),
                what: "mutated module",
            }
        }
        2 => {
            let text: String = u.arbitrary().unwrap_or_default();
            let input = format!("(module {text})").into_bytes();
            Case {
                input,
                options: Options::default(),
                what: "arbitrary text",
            }
        }
        3 => {
            let wasm = small_module(&mut u);
            let names = names_of(&wasm);
            Case {
                options: hostile_options(&mut ou, &names),
                input: wasm,
                what: "hostile options",
            }
        }
        _ => {
            let (input, what) = huge(&mut u);
            let mut options = arbitrary_options(&mut ou, &Default::default());
            if what == "deep nesting" && !super::known_bugs() {
                // Known bug: instrumenting a function nested thousands of blocks deep overflows
                // the stack (recursive liveness); see tests/wat/regressions/fuzz-deep-nesting.wat.
                options = Options::default();
            }
            Case {
                input,
                options,
                what,
            }
        }
    }
}

/// The property.
pub fn check(data: &[u8]) -> Result<(), Failure> {
    check_case(&case_of(data))
}

pub fn check_case(case: &Case) -> Result<(), Failure> {
    let stat = |what: String| super::stat(format!("hostile_input: {what}"));
    let details = || {
        let shown = if case.input.len() > 4096 {
            format!(
                "({} bytes; first 4096)\n{}",
                case.input.len(),
                hex(&case.input[..4096])
            )
        } else {
            hex(&case.input)
        };
        format!(
            "-- {}\n-- options: {}\n-- input:\n{shown}",
            case.what,
            describe(&case.options)
        )
    };
    let start = Instant::now();
    let result = catch(|| asyncify::transform(&case.input, &case.options));
    let elapsed = start.elapsed();
    if elapsed > TIME_LIMIT {
        return Err(Failure::new(
            format!("transform took {elapsed:?}"),
            details(),
        ));
    }
    match result {
        Err(panic) => Err(Failure::new(
            format!("transform panicked: {panic}"),
            details(),
        )),
        Ok(Ok(output)) => match super::validate(&output.wasm) {
            Ok(()) => {
                stat(format!("{}: transformed", case.what));
                Ok(())
            }
            Err(e) => Err(Failure::new(
                format!("output does not validate: {e}"),
                details(),
            )),
        },
        Ok(Err(e)) if e.kind() == ErrorKind::Internal => Err(Failure::new(
            format!("internal error: {}", e.to_string().replace('\n', " ")),
            details(),
        )),
        Ok(Err(e)) if !is_clear_message(e.message()) => Err(Failure::new(
            format!("unclear error message: {:?}", e.message()),
            details(),
        )),
        Ok(Err(e)) => {
            stat(format!(
                "{}: {:?}: {}",
                case.what,
                e.kind(),
                super::error_shape(&e)
            ));
            Ok(())
        }
    }
}

/// Command-line flags for a case: its options spelled as flags, plus hostile extras.
pub fn cli_flags(case: &Case, u: &mut Unstructured) -> Vec<String> {
    let mut flags = Vec::new();
    let o = &case.options;
    if let Some(imports) = &o.imports {
        flags.push(format!("--imports={}", imports.join(",")));
    }
    for (flag, list) in [
        ("--add-list", &o.add_list),
        ("--remove-list", &o.remove_list),
        ("--only-list", &o.only_list),
    ] {
        if !list.is_empty() {
            flags.push(format!("{flag}={}", list.join(",")));
        }
    }
    for (on, flag) in [
        (o.ignore_imports, "--ignore-imports"),
        (o.ignore_indirect, "--ignore-indirect"),
        (o.propagate_add_list, "--propagate-add-list"),
        (o.asserts, "--asserts"),
        (o.verbose, "--verbose"),
    ] {
        if on {
            flags.push(flag.to_string());
        }
    }
    if o.optimize > 0 {
        flags.push(format!("-O{}", o.optimize.min(4)));
    }
    flags.push(format!("--epilogues={}", o.epilogues));
    let extras: &[&[&str]] = &[
        &[],
        &[],
        &["--frobnicate"],
        &["-O9"],
        &["--imports"],
        &["--pass-arg=asyncify-imports@"],
        &["--pass-arg=asyncify-memory@1"],
        &["--pass-arg=asyncify-nonsense@x"],
        &["--inlining"],
        &["--only-list=a", "--add-list=b"],
        &["--asyncify", "-all", "-g"],
        &["-t"],
        &["--imports=@"],
        &["--add-list=@/nonexistent-asyncify-fuzz/list"],
    ];
    let pick = u.choose_index(extras.len()).unwrap_or(0);
    flags.extend(extras[pick].iter().map(|s| s.to_string()));
    flags
}
