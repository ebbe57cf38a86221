#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    asyncify_fuzz::run("pause_everywhere", data, asyncify_fuzz::props::pause_everywhere::check);
});
