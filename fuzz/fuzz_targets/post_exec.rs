//! Lagoon's `diff.post_exec_tx`: decoding (never a panic; what decodes is version 1 and
//! op-alloy's encoding of itself) and the SDM rules over a block of OP Subblocks (a
//! rejection changes nothing; what is accepted holds to the rules, restated apart from
//! the validator). See `flashblocks_validate::fuzz_post_exec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _stats = flashblocks_validate::fuzz_post_exec::post_exec(data);
});
