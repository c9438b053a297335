//! Any bytes into the zero-copy view and the owned decoder: no panic; both reject with
//! the same error or both accept the same payload with the same root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flashblocks_types::fuzz::view_decode(data));
