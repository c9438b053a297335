//! Arbitrary sequences of frames into one validator: no panic, rejections change no
//! state, and whatever it accepts keeps the sequence invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _stats = flashblocks_validate::fuzz::validate_sequence(data);
});
