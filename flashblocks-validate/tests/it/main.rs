//! Integration tests of flashblocks-validate, one binary.

mod checks;
mod corpus;
mod dialects;
mod display;
mod json;
mod lagoon;
mod lagoon_vectors;
mod post_exec_fuzz;
mod props;
mod resend;
mod rule4;
mod rules;
mod scenarios;

use flashblocks_types::{Flashblock, FlashblocksPayloadV1, GeneratorConfig, SequenceGenerator};
use flashblocks_validate::{Outcome, ValidationError, Validator, ValidatorConfig};
use std::path::{Path, PathBuf};

/// The project's copy of the shared vectors.
pub(crate) fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors")
}

/// The JSON files of a directory, sorted by name.
pub(crate) fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read vector");
    serde_json::from_str(&text).expect("vector is JSON")
}

pub(crate) fn hex_bytes(s: &str) -> Vec<u8> {
    hex::decode(s.trim_start_matches("0x")).expect("hex")
}

/// A small generator shape: 4 flashblocks of 2 transactions, 2 accounts of 2 slots.
pub(crate) fn small_shape() -> GeneratorConfig {
    GeneratorConfig {
        flashblocks_per_block: 4,
        transactions_per_flashblock: 2,
        transaction_size: 16,
        accounts_per_flashblock: 2,
        slots_per_account: 2,
        gas_limit: 30_000_000,
    }
}

/// The payloads of consecutive valid blocks.
pub(crate) fn blocks(seed: u64, count: usize) -> Vec<Vec<FlashblocksPayloadV1>> {
    let mut generator = SequenceGenerator::new(seed, small_shape());
    (0..count)
        .map(|_| generator.next_block().into_iter().map(|fb| fb.into_inner()).collect())
        .collect()
}

/// Feeds `payload`, expecting acceptance.
#[track_caller]
pub(crate) fn accept(validator: &mut Validator, payload: &FlashblocksPayloadV1) -> Outcome {
    let outcome = validator.validate(Flashblock::from_v1(payload.clone())).expect("accepted");
    assert!(outcome.is_accepted(), "{outcome:?}");
    outcome
}

/// Feeds `payload`, expecting a rejection that leaves the block as it was.
#[track_caller]
pub(crate) fn reject(validator: &mut Validator, payload: &FlashblocksPayloadV1) -> ValidationError {
    let before = validator.current_block().cloned();
    let err = validator.validate(Flashblock::from_v1(payload.clone())).expect_err("rejected");
    assert_eq!(validator.current_block(), before.as_ref(), "a rejection changed the state");
    err
}

/// A default V1 validator that accepted the first `n` flashblocks of `block`.
pub(crate) fn after(block: &[FlashblocksPayloadV1], n: usize) -> Validator {
    let mut validator = Validator::new(ValidatorConfig::default());
    for payload in &block[..n] {
        accept(&mut validator, payload);
    }
    validator
}
