#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    asyncify_fuzz::run("hostile_input", data, asyncify_fuzz::props::hostile_input::check);
});
