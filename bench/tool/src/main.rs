//! Helpers for `bench/run.sh` (see `book/src/performance.md`). Every command prints JSON on
//! stdout, one object per line, so the driver (`bench/bench.mjs`) can collect the numbers.
//!
//! ```text
//! asyncify-bench roundtrip IN OUT            walrus parse + emit, nothing else (the floor)
//! asyncify-bench inspect FILE...             size, sections, validity, instrumented functions
//! asyncify-bench imports FILE                imports and how many call sites each has
//! asyncify-bench compile FILE...             Cranelift compile time (wasmtime)
//! asyncify-bench kernel FILE N REPS          run a C kernel's `run(N)` REPS times (wasmtime)
//! asyncify-bench pause FILE DEPTH            pause+resume at a stack depth (wasmtime)
//! asyncify-bench sqljs FILE GLUE SQL REPS    sql.js's SQLite on a SQL script (wasmtime)
//! asyncify-bench quickjs FILE GLUE JS REPS   quickjs-emscripten evaluating a script (wasmtime)
//! ```

mod emscripten;
mod inspect;
mod runners;

use std::time::Instant;
use wasmtime::error::Context;
use wasmtime::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        bail!("usage: asyncify-bench COMMAND ARGS... (see the top of bench/tool/src/main.rs)");
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (command.as_str(), rest.as_slice()) {
        ("roundtrip", [input, output]) => roundtrip(input, output),
        ("inspect", files) => {
            for file in files {
                println!("{}", inspect::inspect(file));
            }
            Ok(())
        }
        ("imports", [file]) => inspect::imports(file),
        ("compile", files) => runners::compile(files),
        ("kernel", [file, n, reps]) => runners::kernel(file, n.parse()?, reps.parse()?),
        ("pause", [file, depth]) => runners::pause(file, depth.parse()?),
        ("sqljs", [file, glue, sql, reps]) => emscripten::sqljs(file, glue, sql, reps.parse()?),
        ("quickjs", [file, glue, script, reps]) => {
            emscripten::quickjs(file, glue, script, reps.parse()?)
        }
        _ => bail!(
            "unknown command or wrong arguments: {command} {}",
            rest.join(" ")
        ),
    }
}

/// A plain walrus round trip: what any walrus-based tool pays before doing anything.
fn roundtrip(input: &str, output: &str) -> Result<()> {
    let start = Instant::now();
    let bytes = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let mut config = walrus::ModuleConfig::new();
    config.generate_producers_section(false);
    let mut module = config
        .parse(&bytes)
        .map_err(|e| wasmtime::format_err!("walrus could not parse the module: {e:#}"))?;
    let out = module.emit_wasm();
    std::fs::write(output, &out).with_context(|| format!("writing {output}"))?;
    println!(
        "{}",
        serde_json::json!({ "seconds": start.elapsed().as_secs_f64(), "bytes": out.len() })
    );
    Ok(())
}

/// Seconds since `start`, for JSON output.
pub fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}
