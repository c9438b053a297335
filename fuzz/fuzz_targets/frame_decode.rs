//! Any bytes into the SSZ frame decoder: no panic; what decodes re-encodes exactly.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flashblocks_types::fuzz::frame_decode(data));
