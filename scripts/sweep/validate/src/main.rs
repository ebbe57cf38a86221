//! `sweep-validate FILE...`: validate each file with every feature wasmparser knows; print
//! `FILE: ok` or `FILE: invalid: <reason>`; exit 1 if any is invalid.

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let result = std::fs::read(&path).map_err(|e| e.to_string()).and_then(|bytes| {
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                .validate_all(&bytes)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => println!("{path}: ok"),
            Err(e) => {
                failed = true;
                println!("{path}: invalid: {e}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}
