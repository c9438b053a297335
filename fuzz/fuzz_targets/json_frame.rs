//! Any bytes into the JSON frame reader (plain or brotli, capped): no panic, bounded
//! memory; what reads writes back to the same value.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flashblocks_types::fuzz::json_frame(data));
