//! Arbitrary interleavings of apply / failover / gap / canonical advance / reorg /
//! reset / replay / query against the overlay and a naive model; they must agree.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flashblocks_overlay::fuzz::overlay(data));
