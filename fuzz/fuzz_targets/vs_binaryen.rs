#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    asyncify_fuzz::run("vs_binaryen", data, asyncify_fuzz::props::vs_binaryen::check);
});
