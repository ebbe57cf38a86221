//! Filetests: run the `asyncify` binary on every `tests/wat/**/*.wat` and compare what it
//! prints with expected files next to the test.
//!
//! # Writing a filetest
//!
//! A `.wat` file starts with comment lines; each `;; RUN: <args>` line is one run of the
//! binary with those arguments, split like a shell does (`'...'`, `"..."` and `\` quote).
//! In each argument:
//!
//! - `%` is the test file's path (relative to the crate root, which is the working directory),
//! - `%S` the directory it is in,
//! - `%t` a fresh temporary path for this run (for `-o %t`),
//! - `%%` a literal `%`.
//!
//! An argument `<` followed by a path feeds that file to standard input (for `-`); otherwise
//! standard input is empty.
//!
//! The expected output of a file `foo.wat` with one RUN line lives in `foo.wat.stderr` (always
//! present; its first line is `exit status: N`) and `foo.wat.stdout` (only if something is
//! printed). With several RUN lines they are numbered from 1: `foo.wat.1.stderr`,
//! `foo.wat.1.stdout`, `foo.wat.2.stderr`, ... The temporary path of `%t` reads `%t` in them.
//!
//! Besides comparing, every run is checked:
//! - a module written with `-o` (or to standard output) must validate (all features); with
//!   `-t` the text is parsed back with `wat` and validated. Binary standard output is
//!   recorded as text, printed by wasmprinter;
//! - a failed run must not leave its `-o %t` file (or any temporary file) behind;
//! - the binary must not panic.
//!
//! `BLESS=1 cargo test --test filetests` writes the expected files from the actual output
//! (and removes stale ones). `FILETESTS=cli/` runs only the files whose path contains `cli/`.
//! A line `;; PENDING: <reason>` skips the file (it is listed, never run or blessed): for
//! fixtures written before the code they test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_asyncify");
/// Longest a single run may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn filetests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0");
    let filter = std::env::var("FILETESTS").unwrap_or_default();

    let mut files = Vec::new();
    find_wat_files(&root.join("tests/wat"), &mut files);
    files.retain(|f| f.to_string_lossy().contains(&filter));
    files.sort();
    let files: Vec<PathBuf> = files
        .into_iter()
        .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
        .collect();

    let temp_root = fresh_dir(&format!("filetests-{}", std::process::id()));
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(index) else { break };
                    let temp = temp_root.join(index.to_string());
                    let outcome = run_file(root, file, &temp, bless);
                    results.lock().unwrap().push((file.clone(), outcome));
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&temp_root);

    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut runs = 0;
    let mut pending = Vec::new();
    let mut failures = String::new();
    for (file, outcome) in &results {
        match outcome {
            Outcome::Ran {
                runs: n,
                failures: f,
            } => {
                runs += n;
                if !f.is_empty() {
                    let _ = writeln!(failures, "\n==== {} ====\n{}", file.display(), f.join("\n"));
                }
            }
            Outcome::Pending(reason) => pending.push(format!("{} ({reason})", file.display())),
        }
    }
    println!(
        "filetests: {} files, {runs} runs, {} pending",
        results.len(),
        pending.len()
    );
    for p in &pending {
        println!("  pending: {p}");
    }
    assert!(
        !results.is_empty() || !filter.is_empty(),
        "no filetests found"
    );
    if !failures.is_empty() {
        let count = results
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Ran { failures, .. } if !failures.is_empty()))
            .count();
        panic!(
            "{count} filetest file(s) failed:\n{failures}\n\
             (run with BLESS=1 to accept the actual output as expected)"
        );
    }
}

/// `-o FILE` replaces FILE atomically: a failed run leaves an existing file as it was and no
/// temporary files behind; a successful one replaces it (through a symlink) with a valid module;
/// a special file (a named pipe here, `/dev/null` in real life) is written to, not replaced.
#[test]
fn output_is_atomic() {
    let dir = fresh_dir(&format!("atomic-{}", std::process::id()));
    let original = b"original contents, not wasm".as_slice();
    std::fs::write(dir.join("out.wasm"), original).unwrap();
    std::fs::write(dir.join("bad.wat"), "(module (func (i32.bogus)))").unwrap();
    std::fs::write(
        dir.join("truncated.wasm"),
        b"\0asm\x01\0\0\0\x01\x05\x01\x60",
    )
    .unwrap();
    std::fs::write(
        dir.join("good.wat"),
        r#"(module (import "env" "sleep" (func $sleep)) (func (export "run") call $sleep))"#,
    )
    .unwrap();
    let listing = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let before = listing(&dir);
    let asyncify = |args: &[&str]| {
        Command::new(BINARY)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };

    for input in ["bad.wat", "truncated.wasm"] {
        for extra in [&[][..], &["-t"][..]] {
            let mut args = vec![input, "-o", "out.wasm"];
            args.extend(extra);
            let output = asyncify(&args);
            assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
            assert!(output.stdout.is_empty());
            assert_eq!(
                std::fs::read(dir.join("out.wasm")).unwrap(),
                original,
                "{args:?}"
            );
            assert_eq!(listing(&dir), before, "{args:?} left files behind");
        }
    }

    // Writing into a directory that does not exist creates nothing.
    let output = asyncify(&["good.wat", "-o", "missing/out.wasm"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(listing(&dir), before);

    // A successful run replaces the file, also through a symlink; a failing one (the
    // transform may not handle this module yet) leaves everything as it was.
    #[cfg(unix)]
    std::os::unix::fs::symlink("out.wasm", dir.join("link.wasm")).unwrap();
    #[cfg(unix)]
    let before = listing(&dir);
    let output = asyncify(&["good.wat", "-o", "link.wasm"]);
    if output.status.success() {
        let wasm = std::fs::read(dir.join("out.wasm")).unwrap();
        validate_binary(&wasm).unwrap();
        #[cfg(unix)]
        assert!(
            std::fs::symlink_metadata(dir.join("link.wasm"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    } else {
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_eq!(std::fs::read(dir.join("out.wasm")).unwrap(), original);
    }
    assert_eq!(listing(&dir), before);

    // Special files are written to, never replaced (renaming over `/dev/null` as root would
    // replace the device with a regular file).
    #[cfg(unix)]
    {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let fifo = dir.join("pipe");
        let made = Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || {
                    let mut received = Vec::new();
                    std::fs::File::open(&fifo)
                        .and_then(|mut f| f.read_to_end(&mut received))
                        .map(|_| received)
                })
            };
            let output = asyncify(&["good.wat", "-o", "pipe"]);
            // If asyncify never opened the pipe, the reader still waits for a writer: be one.
            drop(
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&fifo),
            );
            let received = reader.join().unwrap().unwrap();
            assert!(
                std::fs::symlink_metadata(&fifo)
                    .unwrap()
                    .file_type()
                    .is_fifo()
            );
            if output.status.success() {
                validate_binary(&received).unwrap();
            }
            std::fs::remove_file(&fifo).unwrap();
            assert_eq!(listing(&dir), before);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The functions are instrumented in batches, several at once on as many threads as there
/// are cores (or `ASYNCIFY_THREADS`); the output must not depend on how many, at any level.
/// The module has more functions than a batch holds, and bodies whose block types the input
/// lacks (`[] -> [i32 i64]` and the like), which the output appends in the order a single
/// thread meets them. (A dependence on the interleaving shows only when threads overlap, so
/// a run can miss one; it cannot fail spuriously.)
#[test]
fn output_does_not_depend_on_threads() {
    let dir = fresh_dir("threads");
    let mut wat = String::from(
        "(module\n  (import \"env\" \"sleep\" (func $sleep (param i32) (result i32)))\n  (memory 1)\n",
    );
    let results = ["i32 i64", "f64 i32", "i32", "i64 f32 i32", ""];
    for i in 0..200 {
        let result = results[i % results.len()];
        let _ = write!(
            wat,
            "  (func $f{i} (export \"f{i}\") (param $x i32) (result {result}) (local $a i64) \
             (local $b f64) (local $n i32)\n    (local.set $a (i64.extend_i32_u (local.get $x)))\n    \
             (local.set $b (f64.convert_i32_s (local.get $x)))\n    \
             (loop $again (local.set $n (i32.add (local.get $n) (call $sleep (local.get $x))))\n      \
             (br_if $again (i32.lt_u (local.get $n) (i32.const {})))) ",
            i % 7
        );
        if i > 0 {
            // A call to the previous function, its results dropped.
            let _ = write!(wat, "(call $f{} (local.get $n))", i - 1);
            let before = results[(i - 1) % results.len()];
            for _ in before.split_whitespace() {
                wat.push_str(" (drop)");
            }
        }
        for ty in result.split_whitespace() {
            wat.push_str(match ty {
                "i32" => " (i32.add (local.get $n) (local.get $x))",
                "i64" => " (local.get $a)",
                "f32" => " (f32.demote_f64 (local.get $b))",
                _ => " (local.get $b)",
            });
        }
        wat.push_str(")\n");
    }
    wat.push_str(")\n");
    std::fs::write(dir.join("many.wat"), &wat).unwrap();
    for level in ["-O0", "-O", "-O3"] {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "3", "8"] {
            let out = format!("out-{threads}.wasm");
            let output = Command::new(BINARY)
                .args(["many.wat", "--imports", "env.sleep", level, "-o", &out])
                .env("ASYNCIFY_THREADS", threads)
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{level}, {threads} threads: {output:?}"
            );
            let wasm = std::fs::read(dir.join(&out)).unwrap();
            validate_binary(&wasm).unwrap();
            outputs.push(wasm);
        }
        assert!(
            outputs.windows(2).all(|w| w[0] == w[1]),
            "{level}: the output depends on the number of threads"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

enum Outcome {
    /// The file ran: how many RUN lines, and what went wrong.
    Ran { runs: usize, failures: Vec<String> },
    /// `;; PENDING:` with its reason.
    Pending(String),
}

fn run_file(root: &Path, file: &Path, temp: &Path, bless: bool) -> Outcome {
    let mut failures = Vec::new();
    let source = match std::fs::read_to_string(root.join(file)) {
        Ok(source) => source,
        Err(e) => {
            return Outcome::Ran {
                runs: 0,
                failures: vec![format!("cannot read: {e}")],
            };
        }
    };
    let header = Header::parse(&source);
    if let Some(reason) = header.pending {
        return Outcome::Pending(reason);
    }
    if header.runs.is_empty() {
        failures.push("no `;; RUN:` line at the top of the file".to_string());
    }
    let _ = std::fs::remove_dir_all(temp);
    std::fs::create_dir_all(temp).unwrap();

    let numbered = header.runs.len() > 1;
    let mut expected_files = Vec::new();
    for (i, run) in header.runs.iter().enumerate() {
        let stem = if numbered {
            format!("{}.{}", file.display(), i + 1)
        } else {
            file.display().to_string()
        };
        let stdout_file = root.join(format!("{stem}.stdout"));
        let stderr_file = root.join(format!("{stem}.stderr"));
        expected_files.push(stdout_file.clone());
        expected_files.push(stderr_file.clone());
        let label = if numbered {
            format!("RUN {} (`{run}`)", i + 1)
        } else {
            format!("RUN `{run}`")
        };
        let temp_path = temp.join(format!("run{}", i + 1));
        match execute(root, file, run, &temp_path, temp) {
            Err(message) => failures.push(format!("{label}: {message}")),
            Ok(actual) => {
                for problem in actual.problems {
                    failures.push(format!("{label}: {problem}"));
                }
                if !bless && !stderr_file.exists() {
                    failures.push(format!(
                        "{label}: no expected output yet (`{}` is missing); run with BLESS=1 \
                         to create it",
                        stderr_file.file_name().unwrap().to_string_lossy()
                    ));
                    continue;
                }
                let stderr = format!("exit status: {}\n{}", actual.status, actual.stderr);
                check(&stderr_file, &stderr, bless, &label, &mut failures);
                check(&stdout_file, &actual.stdout, bless, &label, &mut failures);
            }
        }
    }
    check_stale_files(root, file, &expected_files, bless, &mut failures);
    let _ = std::fs::remove_dir_all(temp);
    Outcome::Ran {
        runs: header.runs.len(),
        failures,
    }
}

/// The directives at the top of a test file.
struct Header {
    runs: Vec<String>,
    pending: Option<String>,
}

impl Header {
    fn parse(source: &str) -> Header {
        let mut header = Header {
            runs: Vec::new(),
            pending: None,
        };
        for line in source.lines().map(str::trim) {
            if line.is_empty() {
                continue;
            }
            let Some(comment) = line.strip_prefix(";;") else {
                break;
            };
            let comment = comment.trim();
            if let Some(run) = comment.strip_prefix("RUN:") {
                header.runs.push(run.trim().to_string());
            } else if let Some(reason) = comment.strip_prefix("PENDING:") {
                header.pending = Some(reason.trim().to_string());
            }
        }
        header
    }
}

/// What one run printed, normalized for comparison, and any problems found while checking it.
struct Actual {
    status: String,
    stdout: String,
    stderr: String,
    problems: Vec<String>,
}

/// Run one RUN line. `temp_path` is what `%t` stands for; `temp` is the file's temp directory.
fn execute(
    root: &Path,
    file: &Path,
    run: &str,
    temp_path: &Path,
    temp: &Path,
) -> Result<Actual, String> {
    let words = shell_split(run)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let substitute = |word: &str| -> String {
        let mut out = String::new();
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.peek() {
                Some('t') => {
                    chars.next();
                    out.push_str(&temp_path.display().to_string());
                }
                Some('S') => {
                    chars.next();
                    out.push_str(&dir.display().to_string());
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                }
                _ => out.push_str(&file.display().to_string()),
            }
        }
        out
    };
    let mut args = Vec::new();
    let mut stdin = None;
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if word == "<" {
            let path = words.next().ok_or("`<` without a file")?;
            stdin = Some(substitute(path));
        } else {
            args.push(substitute(word));
        }
    }

    let stdout_path = temp.join("stdout");
    let stderr_path = temp.join("stderr");
    let create = |path: &Path| std::fs::File::create(path).map_err(|e| e.to_string());
    let stdin = match &stdin {
        Some(path) => Stdio::from(
            std::fs::File::open(root.join(path))
                .map_err(|e| format!("cannot open `{path}`: {e}"))?,
        ),
        None => Stdio::null(),
    };
    let mut child = Command::new(BINARY)
        .args(&args)
        .current_dir(root)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env("RUST_BACKTRACE", "0")
        .stdin(stdin)
        .stdout(create(&stdout_path)?)
        .stderr(create(&stderr_path)?)
        .spawn()
        .map_err(|e| format!("cannot start {BINARY}: {e}"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout_bytes = std::fs::read(&stdout_path).map_err(|e| e.to_string())?;
    let stderr_bytes = std::fs::read(&stderr_path).map_err(|e| e.to_string())?;
    std::fs::remove_file(&stdout_path).ok();
    std::fs::remove_file(&stderr_path).ok();

    let mut problems = Vec::new();
    let normalize = |text: &str| text.replace(&temp_path.display().to_string(), "%t");
    let stderr = normalize(&String::from_utf8_lossy(&stderr_bytes));
    if stderr.contains("panicked at") {
        problems.push("the binary panicked".to_string());
    }
    let status_text = match status.code() {
        Some(code) => code.to_string(),
        None => format!("{status}"),
    };

    let has = |flags: &[&str]| args.iter().any(|a| flags.contains(&a.as_str()));
    let text_output = has(&["-t", "--wat", "-S", "--emit-text"]);
    let informational = has(&["-h", "--help", "-V", "--version"]);
    let output_file = output_path(&args);

    // Standard output: binary modules are validated and recorded as text.
    let stdout = if stdout_bytes.starts_with(b"\0asm") {
        if let Err(e) = validate_binary(&stdout_bytes) {
            problems.push(format!("standard output is not a valid module: {e}"));
        }
        match wasmprinter::print_bytes(&stdout_bytes) {
            Ok(text) => format!(";; (binary output, printed by wasmprinter)\n{text}"),
            Err(e) => {
                problems.push(format!("cannot print the binary output: {e}"));
                String::new()
            }
        }
    } else {
        let text = String::from_utf8_lossy(&stdout_bytes).into_owned();
        let prints_module =
            text_output && output_file.is_none() && status.success() && !informational;
        if prints_module && let Err(e) = validate_text(&text) {
            problems.push(format!("standard output is not a valid module: {e}"));
        }
        normalize(&text)
    };

    // The `-o` file: valid after success; after failure, not there if the run created it.
    if let Some(out) = &output_file {
        let out = root.join(out);
        let is_temp = out.starts_with(temp);
        if status.success() && !informational {
            match std::fs::read(&out) {
                Ok(bytes) => {
                    let valid = if text_output {
                        validate_text(&String::from_utf8_lossy(&bytes))
                    } else {
                        validate_binary(&bytes)
                    };
                    if let Err(e) = valid {
                        problems.push(format!("`{}` is not a valid module: {e}", out.display()));
                    }
                }
                Err(e) => problems.push(format!("`-o` file not written: {e}")),
            }
        } else if !status.success() && is_temp && out.exists() {
            problems.push("a failed run left its `-o` file behind".to_string());
        }
        if is_temp {
            let _ = std::fs::remove_file(&out);
        }
    }
    let leftovers: Vec<String> = std::fs::read_dir(temp)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".asyncify-"))
        .collect();
    if !leftovers.is_empty() {
        problems.push(format!("temporary files left behind: {leftovers:?}"));
    }

    Ok(Actual {
        status: status_text,
        stdout,
        stderr,
        problems,
    })
}

/// The value of `-o`/`--output` in `args`, if any.
fn output_path(args: &[String]) -> Option<String> {
    let mut args = args.iter();
    let mut found = None;
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        } else if arg == "-o" || arg == "--output" {
            found = args.next().cloned();
        } else if let Some(value) = arg.strip_prefix("--output=") {
            found = Some(value.to_string());
        } else if let Some(value) = arg.strip_prefix("-o").filter(|v| !v.is_empty()) {
            found = Some(value.to_string());
        }
    }
    found
}

fn validate_binary(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn validate_text(text: &str) -> Result<(), String> {
    let wasm = wat::parse_str(text).map_err(|e| format!("does not parse back: {e}"))?;
    validate_binary(&wasm)
}

/// Compare `actual` with the contents of `expected` (a missing file counts as empty), or with
/// `bless`, make it so.
fn check(expected: &Path, actual: &str, bless: bool, label: &str, failures: &mut Vec<String>) {
    let want = std::fs::read_to_string(expected).ok();
    let is_stdout = expected.extension().is_some_and(|e| e == "stdout");
    if want.as_deref().unwrap_or("") == actual && (want.is_some() || is_stdout) {
        return;
    }
    if bless {
        let result = if actual.is_empty() && is_stdout {
            std::fs::remove_file(expected)
        } else {
            std::fs::write(expected, actual)
        };
        if let Err(e) = result {
            failures.push(format!("cannot bless `{}`: {e}", expected.display()));
        }
        return;
    }
    let name = expected.file_name().unwrap().to_string_lossy();
    failures.push(format!(
        "{label}: output differs from `{name}` (- expected, + actual):\n{}",
        line_diff(want.as_deref().unwrap_or(""), actual)
    ));
}

/// Expected-output files of `file` that no RUN line produces any more.
fn check_stale_files(
    root: &Path,
    file: &Path,
    expected: &[PathBuf],
    bless: bool,
    failures: &mut Vec<String>,
) {
    let path = root.join(file);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = entry_name.strip_prefix(&prefix) else {
            continue;
        };
        let kind = rest.rsplit_once('.').map_or(rest, |(number, kind)| {
            if number.parse::<usize>().is_ok() {
                kind
            } else {
                ""
            }
        });
        if kind != "stdout" && kind != "stderr" || expected.contains(&entry.path()) {
            continue;
        }
        if bless {
            let _ = std::fs::remove_file(entry.path());
        } else {
            failures.push(format!(
                "stale expected file `{entry_name}` (no RUN line produces it); BLESS=1 removes it"
            ));
        }
    }
}

/// A line diff of `expected` and `actual`, with three lines of context around changes.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut out = String::new();
    if n.saturating_mul(m) > 25_000_000 {
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(n.min(m));
        let _ = writeln!(
            out,
            "(too long to diff; first difference at line {})",
            first + 1
        );
        let _ = writeln!(out, "-{}", a.get(first).unwrap_or(&"<end of file>"));
        let _ = writeln!(out, "+{}", b.get(first).unwrap_or(&"<end of file>"));
        return out;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let mut lines = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        lines.push(('~', "(the files differ in the newline at the end)"));
    }
    const CONTEXT: usize = 3;
    let changed: Vec<bool> = lines.iter().map(|(c, _)| *c != ' ').collect();
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(lines.len());
        changed[lo..hi].iter().any(|&c| c)
    };
    let mut skipped = false;
    for (k, (c, line)) in lines.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("   ...\n");
                skipped = false;
            }
            let _ = writeln!(out, "{c} {line}");
        } else {
            skipped = true;
        }
    }
    out
}

/// Split a RUN line into words the way a shell would: whitespace separates; `'...'` quotes
/// literally; `"..."` quotes with `\"` and `\\` escapes; `\` outside quotes escapes a character.
fn shell_split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated `'` in `{line}`")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unterminated `\"` in `{line}`")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated `\"` in `{line}`")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or(format!("trailing `\\` in `{line}`"))?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn find_wat_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            find_wat_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "wat") {
            out.push(path);
        }
    }
}

/// An empty directory under cargo's temporary directory for integration tests.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn runner_helpers() {
    assert_eq!(
        shell_split(r#"a  'b c' "d \"e\" \n" f\ g '' x"y"z"#).unwrap(),
        ["a", "b c", "d \"e\" \\n", "f g", "", "xyz"]
    );
    assert!(shell_split("'open").is_err());
    assert!(shell_split("\"open").is_err());

    let args = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    assert_eq!(output_path(&args(&["x", "-o", "y"])), Some("y".into()));
    assert_eq!(output_path(&args(&["x", "-oy"])), Some("y".into()));
    assert_eq!(output_path(&args(&["--output=y", "x"])), Some("y".into()));
    assert_eq!(output_path(&args(&["x", "-t"])), None);

    let header = Header::parse(";; RUN: a\n\n;; some comment\n;;RUN:  b c \n(module)\n;; RUN: d");
    assert_eq!(header.runs, ["a", "b c"]);
    assert!(header.pending.is_none());

    assert_eq!(line_diff("a\nb\n", "a\nb\n"), "");
    let diff = line_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n");
    assert_eq!(diff, "   ...\n  2\n  3\n  4\n- 5\n+ X\n  6\n  7\n  8\n");
    let diff = line_diff("a\n", "a");
    assert!(diff.contains("newline at the end"), "{diff}");
}
