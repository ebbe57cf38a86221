#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    asyncify_fuzz::run("validates", data, asyncify_fuzz::props::validates::check);
});
