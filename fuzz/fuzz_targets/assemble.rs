//! Whatever the validator accepts from arbitrary input is assembled: the block's
//! transactions are the concatenation of the accepted ones, and its incremental block
//! hash agrees with the one recomputed from scratch.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    flashblocks_assemble::fuzz::assemble(data);
});
