//! Name lists: the values of `--imports`, `--add-list`, `--remove-list` and `--only-list`.
//!
//! A list is given the way Binaryen takes it, with a few things made more forgiving:
//!
//! - Each argument may hold several entries, separated by commas or newlines:
//!   `--imports env.sleep,env.fetch`. The flag may also be repeated.
//! - Commas inside `()`, `<>`, `[]` or `{}` do not separate, so C++ names stay whole:
//!   `--remove-list 'foo(int, char),std::map<int, int>::at(int const&)'`.
//! - An entry `@FILE` is replaced by the entries in `FILE` (split the same way, so one per
//!   line works). Relative paths are relative to the current directory, also inside a file.
//! - `*` matches any run of characters, anywhere in an entry and any number of times:
//!   `env.invoke_*`, `*::poll*`.
//! - Whitespace around entries is trimmed and empty entries are dropped.
//!
//! [`NameList`] remembers which entries matched something, so the analysis can warn about
//! the entries that matched nothing (Binaryen ignores them silently, and a misspelled name
//! means a crash at run time), with a "did you mean" from [`suggest`].
//!
//! ```
//! use asyncify::list::NameList;
//!
//! let list = NameList::new("--imports", &["env.sleep, wasi.*".to_string()]).unwrap();
//! assert!(list.matches("env.sleep"));
//! assert!(!list.matches("env.print"));
//! assert_eq!(list.unmatched(), ["wasi.*"]);
//! ```

use crate::error::{Error, ErrorKind, Result};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// How deeply `@FILE` entries may nest (a file naming a file naming a file ...). Deeper
/// nesting is almost certainly a file that includes itself.
const MAX_FILE_NESTING: usize = 8;

/// Expand raw list arguments into entries.
///
/// Each raw argument may hold several entries separated by commas or newlines; commas inside
/// brackets (`()`, `<>`, `[]`, `{}`) do not separate. An entry starting with `@` names a file
/// whose contents are expanded the same way. Entries are trimmed; empty ones are dropped. The
/// order is kept, duplicates included.
///
/// Errors: [`ErrorKind::Io`] when a file cannot be read, [`ErrorKind::BadList`] for an `@`
/// without a file name, a file that is not UTF-8, or files nested too deeply.
pub fn expand(raw: &[String]) -> Result<Vec<String>> {
    let mut entries = Vec::new();
    for arg in raw {
        expand_into(arg, None, 0, &mut entries)?;
    }
    Ok(entries)
}

/// Expand `text` into `out`. `parent` is the list file `text` came from, if any, and `depth`
/// how many files deep it is.
fn expand_into(
    text: &str,
    parent: Option<&str>,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<()> {
    let named_in = |what: String| match parent {
        Some(parent) => format!("{what} (named in list file `{parent}`)"),
        None => what,
    };
    for entry in split_entries(text) {
        let Some(file) = entry.strip_prefix('@') else {
            out.push(entry.to_string());
            continue;
        };
        let file = file.trim();
        if file.is_empty() {
            return Err(Error::new(
                ErrorKind::BadList,
                named_in("`@` must be followed by the name of a file to read entries from".into()),
            ));
        }
        if depth >= MAX_FILE_NESTING {
            return Err(Error::new(
                ErrorKind::BadList,
                format!(
                    "list files are nested more than {MAX_FILE_NESTING} deep at `{file}`; \
                     does a list file include itself?"
                ),
            ));
        }
        let bytes = std::fs::read(Path::new(file)).map_err(|e| {
            Error::new(ErrorKind::Io, e.to_string())
                .context(named_in(format!("cannot read list file `{file}`")))
        })?;
        let contents = String::from_utf8(bytes).map_err(|_| {
            Error::new(
                ErrorKind::BadList,
                named_in(format!("list file `{file}` is not UTF-8 text")),
            )
        })?;
        expand_into(&contents, Some(file), depth + 1, out)?;
    }
    Ok(())
}

/// Split one piece of list text into trimmed, non-empty entries (`@FILE` entries unexpanded).
///
/// Newlines always separate. Within a line, a comma separates only outside brackets. If a
/// line's brackets do not balance, the whole line is one entry: a name with a stray bracket
/// is more likely than a list that relies on one.
fn split_entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines().flat_map(split_line).filter(|e| !e.is_empty())
}

fn split_line(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut cuts = Vec::new();
    let mut depth = 0usize;
    let mut balanced = true;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // NB: the C++ operators `operator<`, `operator()`, `operator,` ... and the arrow
            // `->` contain brackets (or commas) that are not brackets (or separators).
            b'o' if is_operator_keyword(bytes, i) => {
                i += "operator".len();
                i += operator_symbol_len(&bytes[i..]);
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'>') => i += 1,
            b'(' | b'<' | b'[' | b'{' => depth += 1,
            b')' | b'>' | b']' | b'}' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => balanced = false,
            },
            b',' if depth == 0 => cuts.push(i),
            _ => {}
        }
        i += 1;
    }
    if !balanced || depth != 0 {
        return vec![line.trim()];
    }
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        pieces.push(line[start..cut].trim());
        start = cut + 1;
    }
    pieces.push(line[start..].trim());
    pieces
}

/// Whether `bytes[i..]` starts the C++ keyword `operator` (as a whole word) followed by an
/// operator symbol rather than by more of an identifier.
fn is_operator_keyword(bytes: &[u8], i: usize) -> bool {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    bytes[i..].starts_with(b"operator")
        && (i == 0 || !is_ident(bytes[i - 1]))
        && bytes
            .get(i + "operator".len())
            .is_some_and(|&b| !is_ident(b) && b != b' ')
}

/// Length of the operator symbol right after `operator`: `()`, `[]`, or a run of operator
/// characters such as `<`, `<<=`, `->*`, `,`.
fn operator_symbol_len(rest: &[u8]) -> usize {
    if rest.starts_with(b"()") || rest.starts_with(b"[]") {
        return 2;
    }
    rest.iter()
        .take_while(|b| b"<>=!+-*/%^&|~,".contains(b))
        .count()
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (possibly empty)
/// and every other character matches itself.
///
/// Runs in time linear in the lengths (no backtracking): the part before the first `*` must
/// be a prefix, the part after the last `*` a suffix, and the parts in between are found
/// left to right, each at its first occurrence after the previous one, which is never worse
/// than a later occurrence.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let Some((prefix, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let (middle, suffix) = rest.rsplit_once('*').unwrap_or(("", rest));
    if text.len() < prefix.len() + suffix.len()
        || !text.starts_with(prefix)
        || !text.ends_with(suffix)
    {
        return false;
    }
    // Both ends are char boundaries: they border a matched prefix and suffix.
    let mut hay = &text[prefix.len()..text.len() - suffix.len()];
    for part in middle.split('*').filter(|p| !p.is_empty()) {
        match hay.find(part) {
            Some(at) => hay = &hay[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A list of names and `*` patterns, as given to one flag, that remembers which entries
/// matched something.
///
/// Exact names are found with a hash lookup; only the entries containing `*` are scanned.
/// Matching takes `&self` (the record of matches uses atomics), so a list can be shared,
/// also across threads.
#[derive(Debug)]
pub struct NameList {
    flag: &'static str,
    /// Entries in the order given, without duplicates.
    entries: Vec<String>,
    /// Exact names (entries without `*`) → index in `entries`.
    exact: HashMap<String, usize>,
    /// Indices in `entries` of the entries containing `*`.
    patterns: Vec<usize>,
    /// `matched[i]`: whether `entries[i]` has matched a name.
    matched: Vec<AtomicBool>,
}

impl NameList {
    /// Build a list from the raw values of `flag` (e.g. `"--add-list"`, used in messages),
    /// expanding them with [`expand`]. Duplicate entries are kept once.
    pub fn new(flag: &'static str, raw: &[String]) -> Result<NameList> {
        let expanded = expand(raw).map_err(|e| e.context(format!("invalid `{flag}` list")))?;
        let mut list = NameList {
            flag,
            entries: Vec::with_capacity(expanded.len()),
            exact: HashMap::new(),
            patterns: Vec::new(),
            matched: Vec::new(),
        };
        for entry in expanded {
            let index = list.entries.len();
            if entry.contains('*') {
                if list.patterns.iter().any(|&p| list.entries[p] == entry) {
                    continue;
                }
                list.patterns.push(index);
            } else {
                if list.exact.contains_key(&entry) {
                    continue;
                }
                list.exact.insert(entry.clone(), index);
            }
            list.entries.push(entry);
            list.matched.push(AtomicBool::new(false));
        }
        Ok(list)
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in the order given, without duplicates.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Whether `name` is in the list (as an exact entry or matching a pattern). Every entry
    /// that matches is recorded as used.
    pub fn matches(&self, name: &str) -> bool {
        let mut hit = false;
        if let Some(&index) = self.exact.get(name) {
            self.matched[index].store(true, Ordering::Relaxed);
            hit = true;
        }
        for &index in &self.patterns {
            let seen = self.matched[index].load(Ordering::Relaxed);
            // Once we know the answer, only patterns not yet used still need a look.
            if hit && seen {
                continue;
            }
            if wildcard_match(&self.entries[index], name) {
                if !seen {
                    self.matched[index].store(true, Ordering::Relaxed);
                }
                hit = true;
            }
        }
        hit
    }

    /// The entries (exact names and patterns) that have matched nothing so far, in order.
    pub fn unmatched(&self) -> Vec<&str> {
        self.entries
            .iter()
            .zip(&self.matched)
            .filter(|(_, m)| !m.load(Ordering::Relaxed))
            .map(|(e, _)| e.as_str())
            .collect()
    }

    /// The flag this list came from, such as `"--imports"`.
    pub fn flag(&self) -> &'static str {
        self.flag
    }
}

/// The candidate closest to `entry`, for a "did you mean" hint: the smallest edit distance,
/// ignoring case, if it is at most a third of the entry's length (at least 1); otherwise a
/// candidate that is `entry` with a prefix ending in `.` (`sleep` → `env.sleep`, the module
/// part of an import name left out). Ties go to the earliest candidate. Patterns are compared
/// as plain text.
pub fn suggest<'a>(entry: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let entry_lower: Vec<char> = entry.chars().flat_map(char::to_lowercase).collect();
    let limit = entry_lower.len().max(3) / 3;
    let dotted_suffix = format!(".{}", entry.to_lowercase());

    let mut best: Option<(usize, &'a str)> = None;
    let mut by_suffix: Option<&'a str> = None;
    let mut candidate_lower = Vec::new();
    let mut row = Vec::new();
    for candidate in candidates {
        candidate_lower.clear();
        candidate_lower.extend(candidate.chars().flat_map(char::to_lowercase));
        let bound = best.map_or(limit, |(d, _)| d.saturating_sub(1));
        if let Some(distance) = edit_distance(&entry_lower, &candidate_lower, bound, &mut row) {
            best = Some((distance, candidate));
            if distance == 0 {
                break;
            }
        }
        if by_suffix.is_none()
            && candidate.len() > dotted_suffix.len()
            && candidate.to_lowercase().ends_with(&dotted_suffix)
        {
            by_suffix = Some(candidate);
        }
    }
    best.map(|(_, c)| c).or(by_suffix)
}

/// Edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of two
/// adjacent characters, so `mian` is one edit from `main`) if it is at most `bound`, else
/// `None`. `rows` is scratch space, reused between calls.
fn edit_distance(a: &[char], b: &[char], bound: usize, rows: &mut Vec<usize>) -> Option<usize> {
    if a.len().abs_diff(b.len()) > bound {
        return None;
    }
    let width = b.len() + 1;
    rows.clear();
    rows.resize(3 * width, 0);
    // Three rows: two back (for swaps), previous, current.
    let (mut back, mut prev, mut cur) = (0, width, 2 * width);
    for j in 0..width {
        rows[prev + j] = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev + j - 1] + cost)
                .min(rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[back + j - 2] + 1);
            }
            rows[cur + j] = d;
            row_min = row_min.min(d);
        }
        if row_min > bound {
            return None;
        }
        (back, prev, cur) = (prev, cur, back);
    }
    let distance = rows[prev + b.len()];
    (distance <= bound).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn expand_strs(items: &[&str]) -> Vec<String> {
        expand(&strings(items)).unwrap()
    }

    /// A fresh directory under the target directory's temp area, unique to this test.
    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("asyncify-list-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn splits_on_commas_and_newlines() {
        assert_eq!(
            expand_strs(&["a,b", " c , ,d\n e\r\n\nf ", "g"]),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        assert!(expand_strs(&["", " , \n ,"]).is_empty());
    }

    #[test]
    fn keeps_commas_inside_brackets() {
        assert_eq!(
            expand_strs(&["foo(int, char),std::map<int, int>::at(int const&),bar"]),
            [
                "foo(int, char)",
                "std::map<int, int>::at(int const&)",
                "bar"
            ]
        );
        assert_eq!(
            expand_strs(&["f(a, g<b, c[1, 2]>, {d, e}), h"]),
            ["f(a, g<b, c[1, 2]>, {d, e})", "h"]
        );
    }

    #[test]
    fn cpp_operators_and_arrows_are_not_brackets() {
        assert_eq!(
            expand_strs(&["operator<(A const&, A const&),b"]),
            ["operator<(A const&, A const&)", "b"]
        );
        assert_eq!(
            expand_strs(&["X::operator()(int, int),Y::operator->(),Z::operator<<=(int),w"]),
            [
                "X::operator()(int, int)",
                "Y::operator->()",
                "Z::operator<<=(int)",
                "w"
            ]
        );
        assert_eq!(
            expand_strs(&["operator,(A, B),c"]),
            ["operator,(A, B)", "c"]
        );
        assert_eq!(
            expand_strs(&["<F as Fn() -> u32>::call(a, b),c"]),
            ["<F as Fn() -> u32>::call(a, b)", "c"]
        );
        // `operator` as part of a longer identifier is just a name.
        assert_eq!(
            expand_strs(&["my_operator(a, b),operators<x, y>"]),
            ["my_operator(a, b)", "operators<x, y>"]
        );
    }

    #[test]
    fn unbalanced_line_stays_whole() {
        assert_eq!(expand_strs(&["foo(a, b"]), ["foo(a, b"]);
        assert_eq!(expand_strs(&["a), b\nc,d"]), ["a), b", "c", "d"]);
    }

    #[test]
    fn reads_files() {
        let dir = temp_dir("files");
        let inner = dir.join("inner.txt");
        std::fs::write(&inner, "x\n  y  \n").unwrap();
        let outer = dir.join("outer.txt");
        std::fs::write(
            &outer,
            format!("a, b\nfoo(int, int)\n@{}\n", inner.display()),
        )
        .unwrap();
        assert_eq!(
            expand(&[format!("first,@{},last", outer.display())]).unwrap(),
            ["first", "a", "b", "foo(int, int)", "x", "y", "last"]
        );
        // Binaryen's spelling: the whole argument is `@FILE`.
        assert_eq!(
            expand(&[format!("@{}", inner.display())]).unwrap(),
            ["x", "y"]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn file_errors_are_clear() {
        let err = expand(&strings(&["a,@/nonexistent/list.txt"])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert_eq!(
            err.message(),
            "cannot read list file `/nonexistent/list.txt`"
        );
        assert_eq!(err.causes().len(), 1);

        let err = expand(&strings(&["a, @ ,b"])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadList);

        let dir = temp_dir("errors");
        let outer = dir.join("outer.txt");
        std::fs::write(&outer, "a\n@/nonexistent/inner.txt\n").unwrap();
        let err = expand(&[format!("@{}", outer.display())]).unwrap_err();
        assert_eq!(
            err.message(),
            format!(
                "cannot read list file `/nonexistent/inner.txt` (named in list file `{}`)",
                outer.display()
            )
        );

        let looping = dir.join("loop.txt");
        std::fs::write(&looping, format!("a\n@{}\n", looping.display())).unwrap();
        let err = expand(&[format!("@{}", looping.display())]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadList);
        assert!(err.message().contains("include itself"), "{err}");

        let binary = dir.join("binary.txt");
        std::fs::write(&binary, b"\xff\xfe").unwrap();
        let err = expand(&[format!("@{}", binary.display())]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadList);
        assert!(err.message().contains("not UTF-8"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();

        let err = NameList::new("--imports", &strings(&["@/nonexistent/x"])).unwrap_err();
        assert_eq!(err.message(), "invalid `--imports` list");
        assert_eq!(err.causes()[0], "cannot read list file `/nonexistent/x`");
    }

    #[test]
    fn wildcards() {
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("abc", "ab", false),
            ("*", "", true),
            ("*", "anything", true),
            ("**", "", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ba", false),
            ("*c", "abc", true),
            ("*c", "cb", false),
            ("a*c", "ac", true),
            ("a*c", "abbc", true),
            ("a*c", "abcd", false),
            ("ab*ba", "aba", false),
            ("ab*ba", "abba", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("env.invoke_*", "env.invoke_vii", true),
            ("env.invoke_*", "env.invoke", false),
            ("*::poll*", "Foo::poll_next", true),
            ("foo(char*)", "foo(char*)", true),
            (
                "a*a*a*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("é*ü", "éaü", true),
            ("*ü", "ü", true),
        ];
        for &(pattern, text, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern:?} vs {text:?}"
            );
        }
    }

    #[test]
    fn wildcard_is_not_exponential() {
        let pattern = format!("{}b", "a*".repeat(200));
        let text = "a".repeat(100_000);
        let start = std::time::Instant::now();
        assert!(!wildcard_match(&pattern, &text));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn name_list_records_matches() {
        let list = NameList::new(
            "--add-list",
            &strings(&["foo, bar, foo", "b*", "baz*", "*never*", "qux"]),
        )
        .unwrap();
        assert_eq!(list.flag(), "--add-list");
        assert_eq!(
            list.entries(),
            ["foo", "bar", "b*", "baz*", "*never*", "qux"]
        );
        assert!(!list.is_empty());
        assert_eq!(list.unmatched().len(), 6);

        assert!(list.matches("foo"));
        assert!(!list.matches("fo"));
        // An exact hit still records the patterns that match too.
        assert!(list.matches("bar"));
        assert_eq!(list.unmatched(), ["baz*", "*never*", "qux"]);
        assert!(list.matches("bazooka"));
        assert_eq!(list.unmatched(), ["*never*", "qux"]);
        assert!(list.matches("bazooka"));

        let empty = NameList::new("--only-list", &[]).unwrap();
        assert!(empty.is_empty());
        assert!(!empty.matches("foo"));
        assert!(empty.unmatched().is_empty());
    }

    #[test]
    fn name_list_is_fast_on_many_names() {
        let names: Vec<String> = (0..200_000).map(|i| format!("func_{i}")).collect();
        let mut raw: Vec<String> = names.iter().step_by(2).cloned().collect();
        raw.push("other_*".to_string());
        let list = NameList::new("--remove-list", &raw).unwrap();
        let start = std::time::Instant::now();
        let hits = names.iter().filter(|n| list.matches(n)).count();
        assert_eq!(hits, 100_000);
        assert_eq!(list.unmatched(), ["other_*"]);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn suggestions() {
        let names = ["env.sleep", "env.fetch", "wasi.fd_write", "Main"];
        assert_eq!(suggest("env.slep", names), Some("env.sleep"));
        assert_eq!(suggest("ENV.SLEEP", names), Some("env.sleep"));
        assert_eq!(suggest("env.fetcj", names), Some("env.fetch"));
        assert_eq!(suggest("main", names), Some("Main"));
        assert_eq!(suggest("sleep", names), Some("env.sleep"));
        assert_eq!(suggest("fd_write", names), Some("wasi.fd_write"));
        assert_eq!(suggest("completely_different", names), None);
        assert_eq!(suggest("ab", ["xy"]), None);
        assert_eq!(suggest("ab", ["ax"]), Some("ax"));
        assert_eq!(suggest("x", std::iter::empty()), None);
        // A swap of two neighbours is one edit.
        assert_eq!(suggest("mian", ["main", "exit"]), Some("main"));
        // The closest wins, not the first within the limit.
        assert_eq!(
            suggest("abcdefghi", ["abcdefgzz", "abcdefghz"]),
            Some("abcdefghz")
        );
    }
}
