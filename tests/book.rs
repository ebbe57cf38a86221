//! The book stays true to the command line: every flag `asyncify --help` shows (long and
//! short names, and their visible aliases) is documented in the CLI reference chapter, and
//! the book's table of contents names only files that exist.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const CLI_CHAPTER: &str = "book/src/cli.md";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn long_help() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_asyncify"))
        .arg("--help")
        .output()
        .expect("run asyncify --help");
    assert!(output.status.success(), "asyncify --help failed");
    String::from_utf8(output.stdout).expect("UTF-8 help")
}

/// The flags of the option lines in `--help`: lines starting (after indentation) with `-`,
/// such as `  -o, --output <FILE>` or `      --ignore-indirect`, the `[alias: ...]` /
/// `[aliases: ...]` notes under them, and flags quoted in backticks in the text (the
/// wasm-opt spellings, the `-O` levels).
fn flags_in_help(help: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') && line.len() - trimmed.len() <= 8 {
            // The option line: names up to the first value placeholder or the help text.
            for part in trimmed.split(", ") {
                let name = part.split([' ', '=', '[']).next().unwrap_or("");
                if is_flag(name) {
                    flags.insert(name.to_string());
                }
            }
        }
        if let Some(start) = trimmed.find("[alias") {
            let note = &trimmed[start..];
            let note = note[note.find(':').map_or(0, |i| i + 1)..].trim_end_matches(']');
            for alias in note.split(',') {
                let alias = alias.trim();
                if is_flag(alias) {
                    flags.insert(alias.to_string());
                }
            }
        }
    }
    // Flags the text names in backticks (wasm-opt spellings, `-O` levels); a quoted span may
    // be wrapped over two lines.
    let text = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for (i, span) in text.split('`').enumerate() {
        if i % 2 == 1 && span.starts_with('-') && !span.contains('*') {
            let name = span.split([' ', '=', '@', '[']).next().unwrap_or("");
            if is_flag(name) {
                flags.insert(name.to_string());
            }
        }
    }
    flags
}

fn is_flag(name: &str) -> bool {
    let body = name.trim_start_matches('-');
    name.starts_with('-')
        && !body.is_empty()
        && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Whether `text` mentions `flag` as a whole flag (`--imports` does not count for `--import`).
fn mentions(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(at, _)| {
        let after = text[at + flag.len()..].chars().next();
        let before = text[..at].chars().next_back();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

#[test]
fn help_flags_are_parsed() {
    let flags = flags_in_help(long_help().as_str());
    for expected in [
        "-o",
        "--output",
        "-t",
        "-O",
        "--imports",
        "--help",
        "--addlist",
    ] {
        assert!(
            flags.contains(expected),
            "{expected} not found in {flags:?}"
        );
    }
}

#[test]
fn every_cli_flag_is_in_the_cli_reference() {
    let chapter = std::fs::read_to_string(repo().join(CLI_CHAPTER)).expect("read the CLI chapter");
    let missing: Vec<String> = flags_in_help(&long_help())
        .into_iter()
        .filter(|flag| !mentions(&chapter, flag))
        .collect();
    assert!(
        missing.is_empty(),
        "{CLI_CHAPTER} does not document these flags from `asyncify --help`: {missing:?}"
    );
}

#[test]
fn every_chapter_in_the_summary_exists() {
    let src = repo().join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("read SUMMARY.md");
    let mut chapters = 0;
    for (at, _) in summary.match_indices("](") {
        let rest = &summary[at + 2..];
        let target = &rest[..rest.find(')').expect("closing parenthesis")];
        if target.is_empty() {
            continue; // a draft chapter
        }
        chapters += 1;
        assert!(
            src.join(target).is_file(),
            "SUMMARY.md links to missing {target}"
        );
    }
    assert!(chapters >= 10, "only {chapters} chapters in SUMMARY.md");
}

/// The example of the library chapter (`book/src/library.md`), on `examples/sleep.wat`.
#[test]
fn library_chapter_example_works() {
    use asyncify::{ErrorKind, Level, Options};

    let wasm = std::fs::read(repo().join("examples/sleep.wat")).expect("read sleep.wat");
    let options = Options {
        imports: Some(vec!["env.sleep".into(), "env.fetch_*".into()]),
        ignore_indirect: true,
        optimize: 2,
        ..Default::default()
    };
    let output = asyncify::transform(&wasm, &options).expect("transform");
    let warnings: Vec<&str> = output
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .map(|d| d.message.as_str())
        .collect();
    // `env.fetch_*` matches no import of this module: a warning, as the chapter says.
    assert!(
        warnings.iter().any(|w| w.contains("env.fetch_*")),
        "{warnings:?}"
    );
    wasmparser::Validator::new()
        .validate_all(&output.wasm)
        .expect("valid output");

    let contradictory = Options {
        only_list: vec!["main".into()],
        remove_list: vec!["main".into()],
        ..Default::default()
    };
    let error = asyncify::transform(&wasm, &contradictory).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadList);
}
