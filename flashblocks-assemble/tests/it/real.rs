//! The real Unichain Sepolia block 35535698 (deployed JSON, decoded by
//! `flashblocks-types`): reassembled and verified at each of its 5 flashblocks, through
//! the assembler, the slow function and the validator's block-hash check; and Jovian's
//! `blob_gas_used` in the header and the payload.

use alloy_primitives::{Bytes, B256};
use flashblocks_assemble::{
    rebuild_header, results_of, verify_block_hash_slow, Assembler, BlockHashCheck,
};
use flashblocks_types::{Flashblock, FlashblockJson};
use flashblocks_validate::{ValidationError, Validator, ValidatorConfig};
use std::str::FromStr;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/real/unichain-sepolia-35535698-full-sequence.json"
);

fn stream() -> Vec<FlashblockJson> {
    let text = std::fs::read_to_string(PATH).expect("vector present");
    serde_json::from_str(&text).expect("a JSON flashblock array")
}

fn block() -> Vec<Flashblock> {
    stream().into_iter().map(Flashblock::from_json).collect()
}

fn canonical_hash() -> B256 {
    B256::from_str("0xc463a3120c35268f610d969f5608b479332ef10953af77c7a6be806195831196")
        .expect("hash")
}

#[test]
fn reassembles_and_verifies_at_all_five_flashblocks() {
    let block = block();
    assert_eq!(block.len(), 5);
    let base = block[0].base().expect("index 0 has base").clone();
    let mut validator =
        Validator::new(ValidatorConfig::json()).with_check(Box::new(BlockHashCheck::new()));
    let mut tokens = block.iter().map(|fb| {
        validator.validate(fb.clone()).expect("verifies").into_accepted().expect("accepted")
    });
    let mut assembler = Assembler::new(&tokens.next().expect("index 0")).expect("index 0");
    let mut transactions: Vec<Bytes> = block[0].transactions().to_vec();
    assert_eq!(assembler.verify_block_hash(), Ok(block[0].diff().block_hash));
    for (fb, token) in block[1..].iter().zip(tokens) {
        let header = token.header().expect("the check's header");
        assert_eq!(header.hash(), fb.diff().block_hash, "flashblock {}", fb.index());
        assembler.append(&token).expect("next");
        transactions.extend(fb.transactions().iter().cloned());
        assert_eq!(assembler.verify_block_hash(), Ok(fb.diff().block_hash));
        assert_eq!(verify_block_hash_slow(&base, fb, &transactions), Ok(fb.diff().block_hash));
    }
    let payload = assembler.into_payload();
    let v1 = &payload.execution_payload.payload_inner.payload_inner;
    assert_eq!(v1.transactions.len(), 6);
    assert_eq!(block.iter().map(|fb| fb.transactions().len()).collect::<Vec<_>>(), [2, 1, 1, 1, 1]);
    assert_eq!(v1.transactions, transactions);
    assert_eq!(v1.gas_used, 0x32138);
    assert_eq!(v1.block_number, 0x21e3b52);
    assert_eq!(v1.timestamp, 0x690be89e);
    assert_eq!(payload.block_hash(), Some(canonical_hash()));
    assert_eq!(payload.execution_payload.blob_gas_used, 0);
    assert_eq!(payload.parent_beacon_block_root, base.parent_beacon_block_root);
    assert_eq!(payload.commitments.withdrawals_root, Some(block[4].diff().withdrawals_root));
}

#[test]
fn the_validator_with_the_block_hash_check_accepts_the_stream() {
    let mut validator =
        Validator::new(ValidatorConfig::json()).with_check(Box::new(BlockHashCheck::new()));
    for fb in block() {
        let index = fb.index();
        let outcome = validator.validate(fb).expect("accepted with the check on");
        assert!(outcome.is_accepted(), "flashblock {index}");
    }
}

#[test]
fn a_changed_field_breaks_the_hash() {
    let mut stream = stream();
    stream[2].diff.gas_used += 1;
    let block: Vec<Flashblock> = stream.into_iter().map(Flashblock::from_json).collect();
    let mut validator =
        Validator::new(ValidatorConfig::json()).with_check(Box::new(BlockHashCheck::new()));
    validator.validate(block[0].clone()).expect("index 0");
    validator.validate(block[1].clone()).expect("index 1");
    let err = validator.validate(block[2].clone()).expect_err("gas changed");
    let ValidationError::BlockHashMismatch { computed, claimed } = err else {
        panic!("not a mismatch: {err:?}")
    };
    assert_eq!(claimed, block[2].diff().block_hash);
    assert_ne!(computed, claimed);
}

#[test]
fn jovian_blob_gas_used_goes_into_the_header_and_the_payload() {
    // The same block as if on Jovian: the diff carries `blob_gas_used`. Its header (and
    // so its hash) changes; with the hash the builder would then claim, it verifies.
    let mut stream = stream();
    let base = stream[0].base.clone().expect("base");
    let mut transactions = Vec::new();
    for (i, fb) in stream.iter_mut().enumerate() {
        let blob_gas = 1000 * (i as u64 + 1);
        let (diff, _, _, _) = fb.diff.clone().into_parts();
        transactions.extend(diff.transactions.iter().cloned());
        let root = alloy_trie::root::ordered_trie_root_encoded(&transactions);
        let isthmus = rebuild_header(&base, &results_of(&diff), None, root).expect("fits");
        assert_eq!(isthmus.hash_slow(), diff.block_hash);
        let jovian = rebuild_header(&base, &results_of(&diff), Some(blob_gas), root).expect("fits");
        assert_eq!(jovian.blob_gas_used, Some(blob_gas));
        assert_ne!(jovian.hash_slow(), diff.block_hash);
        let diff = flashblocks_types::ExecutionPayloadFlashblockDeltaV1 {
            block_hash: jovian.hash_slow(),
            ..diff
        };
        fb.diff = flashblocks_types::JsonDiff::from_parts(diff, Some(blob_gas));
    }
    let block: Vec<Flashblock> = stream.into_iter().map(Flashblock::from_json).collect();
    let mut validator = Validator::new(ValidatorConfig::json());
    let mut tokens = block.iter().map(|fb| {
        validator.validate(fb.clone()).expect("accepted").into_accepted().expect("accepted")
    });
    let mut assembler = Assembler::new(&tokens.next().expect("index 0")).expect("index 0");
    assert_eq!(assembler.verify_block_hash(), Ok(block[0].diff().block_hash));
    for (fb, token) in block[1..].iter().zip(tokens) {
        assembler.append(&token).expect("next");
        assert_eq!(assembler.verify_block_hash(), Ok(fb.diff().block_hash));
    }
    assert_eq!(assembler.blob_gas_used(), Some(5000));
    assert_eq!(assembler.into_payload().execution_payload.blob_gas_used, 5000);
}
