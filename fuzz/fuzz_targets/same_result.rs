#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    asyncify_fuzz::run("same_result", data, asyncify_fuzz::props::same_result::check);
});
