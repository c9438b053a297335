//! Any bytes as a capture (format detected) through the whole receiving pipeline; the
//! body is `flashblocks_examples::fuzz::replay`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    flashblocks_examples::fuzz::replay(data);
});
