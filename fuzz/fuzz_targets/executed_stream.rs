//! An executing builder's stream, mutated on its way to the execution check: nothing
//! panics, unmutated flashblocks give the builder's exact facts, and a reporting and an
//! enforcing check on the same state agree.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    flashblocks_execute::fuzz::executed_stream(data);
});
