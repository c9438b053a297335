//! The resend rule on JSON streams, decided lazily: a JSON flashblock's identity (a
//! SHA-256 over the whole flashblock) is computed only when a frame with another value
//! arrives at an accepted index, and every answer is the one the eager digest gives.

use crate::blocks;
use alloy_primitives::{Address, Bytes, B256, U256};
use flashblocks_types::{Flashblock, FlashblockJson, FlashblocksPayloadV1, JsonFrameReader};
use flashblocks_validate::{ValidationError, Validator, ValidatorConfig};
use proptest::prelude::*;

/// The JSON frames of one chain-maker block.
fn json_block(seed: u64) -> Vec<FlashblockJson> {
    let block: Vec<FlashblocksPayloadV1> = blocks(seed, 1).remove(0);
    let number = block[0].base.as_ref().expect("index 0 has a base").block_number;
    block.iter().map(|p| FlashblockJson::from_v1_lossy(p, number)).collect()
}

/// A validator that accepted all of `block`, and the accepted flashblocks (the very
/// ones the validator keeps: the tokens share them).
fn accept_all(block: &[FlashblockJson]) -> (Validator, Vec<std::sync::Arc<Flashblock>>) {
    let mut v = Validator::new(ValidatorConfig::json());
    let reader = JsonFrameReader::default();
    let accepted = block
        .iter()
        .map(|json| {
            let validated = v.validate_frame(&json.to_vec()).expect("valid");
            let token = validated.outcome.into_accepted().expect("accepted");
            std::sync::Arc::clone(token.flashblock())
        })
        .collect();
    // The decode computes no identity.
    assert_eq!(reader.decode(&block[0].to_vec()).expect("decodes").known_identity(), None);
    (v, accepted)
}

#[test]
fn a_resend_of_the_same_value_hashes_nothing() {
    let block = json_block(41);
    let (mut v, accepted) = accept_all(&block);
    for (json, kept) in block.iter().zip(&accepted) {
        // Other whitespace and key order: the same decoded value.
        let value: serde_json::Value = serde_json::from_slice(&json.to_vec()).expect("JSON");
        let pretty = serde_json::to_vec_pretty(&value).expect("JSON");
        let validated = v.validate_frame(&pretty).expect("a resend");
        assert!(validated.outcome.is_duplicate());
        // Neither the kept flashblock nor the resend was hashed ...
        assert_eq!(kept.known_identity(), None);
        assert_eq!(validated.flashblock.known_identity(), None);
        // ... and the answer is the digests' answer.
        assert_eq!(validated.flashblock.identity(), json.identity());
    }
    assert_eq!(v.current_block().expect("a block").next_index(), block.len() as u64);
}

#[test]
fn an_equivocation_reports_both_digests() {
    let block = json_block(42);
    let (mut v, accepted) = accept_all(&block);
    let mut other = block[2].clone();
    other.diff.receipts_root = B256::repeat_byte(0xee);
    let before = v.current_block().cloned();
    let err = v.validate(Flashblock::from_json(other.clone())).expect_err("an equivocation");
    assert_eq!(
        err,
        ValidationError::Equivocation {
            index: 2,
            accepted: block[2].identity(),
            received: other.identity(),
        }
    );
    // Only the flashblock at that index was hashed; the state is as before.
    assert_eq!(accepted[2].known_identity(), Some(block[2].identity()));
    assert_eq!(accepted[1].known_identity(), None);
    assert_eq!(v.current_block(), before.as_ref());
    // After that the cached digest decides a duplicate of the same frame too.
    assert!(v.validate_frame(&block[2].to_vec()).expect("a resend").outcome.is_duplicate());
    // The block's identities are the digests, computed when asked for.
    let identities: Vec<B256> = v.current_block().expect("a block").identities().collect();
    let expected: Vec<B256> = block.iter().map(FlashblockJson::identity).collect();
    assert_eq!(identities, expected);
}

/// Changes a frame in one of several ways, or (for `m` = 0) not at all.
fn mutate(json: &mut FlashblockJson, m: u8, x: u64) {
    let b = B256::from(U256::from(x));
    match m {
        1 => json.diff.state_root = b,
        2 => json.diff.gas_used ^= x | 1,
        3 => json.diff.block_hash = b,
        4 => {
            if let Some(tx) = json.diff.transactions.last_mut() {
                let mut raw = tx.to_vec();
                if let Some(byte) = raw.last_mut() {
                    *byte ^= (x as u8) | 1;
                }
                *tx = Bytes::from(raw);
            }
        }
        5 => json.diff.transactions.push(Bytes::from(x.to_be_bytes().to_vec())),
        6 => {
            json.metadata
                .new_account_balances
                .get_or_insert_with(Default::default)
                .insert(Address::with_last_byte(x as u8), U256::from(x));
        }
        7 => json.metadata.new_account_balances = None,
        8 => json.metadata.block_number = Some(json.metadata.block_number.unwrap_or(0) ^ (x | 1)),
        9 => json.diff.blob_gas_used = Some(x),
        10 => {
            if let Some(base) = json.base.as_mut() {
                base.timestamp ^= x | 1;
            }
        }
        // 0 and the rest: the same value (a resend).
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any frame at an accepted index is a duplicate exactly when the eager digests are
    /// equal, else an equivocation naming both digests; the state never moves.
    #[test]
    fn lazy_resend_decides_as_the_digest(
        seed in any::<u64>(),
        resends in proptest::collection::vec((any::<usize>(), 0u8..14, any::<u64>()), 1..8),
    ) {
        let block = json_block(seed);
        let (mut v, _) = accept_all(&block);
        let before = v.current_block().cloned();
        for (i, m, x) in resends {
            let original = &block[i % block.len()];
            let mut json = original.clone();
            mutate(&mut json, m, x);
            let same = json.identity() == original.identity();
            match v.validate(Flashblock::from_json(json.clone())) {
                Ok(outcome) => prop_assert!(same && outcome.is_duplicate(), "{:?}", outcome),
                Err(ValidationError::Equivocation { index, accepted, received }) => {
                    prop_assert!(!same);
                    prop_assert_eq!(index, original.index);
                    prop_assert_eq!(accepted, original.identity());
                    prop_assert_eq!(received, json.identity());
                }
                Err(other) => prop_assert!(false, "{}", other),
            }
            prop_assert_eq!(v.current_block(), before.as_ref());
        }
    }
}
