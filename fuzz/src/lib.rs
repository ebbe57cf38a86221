//! The fuzz properties, compiled once for every target. The code lives in the main crate's
//! `tests/fuzz_props/`, where `tests/fuzz.rs` also runs each property as a seeded test.

#[path = "../../tests/fuzz_props/mod.rs"]
pub mod props;

/// Run a property on one input: panic (so libFuzzer records a crash) when it does not hold.
/// With `ASYNCIFY_FUZZ_STATS=1`, print the outcome statistics every 1000 inputs.
pub fn run(name: &str, data: &[u8], check: fn(&[u8]) -> Result<(), props::Failure>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed) + 1;
    if n % 1000 == 0 && std::env::var("ASYNCIFY_FUZZ_STATS").as_deref() == Ok("1") {
        eprintln!("{name}: after {n} inputs:\n{}", props::stats_report(name));
    }
    if let Err(failure) = check(data) {
        panic!("property {name} does not hold: {failure}");
    }
}
