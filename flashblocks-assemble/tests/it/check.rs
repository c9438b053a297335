//! [`BlockHashCheck`] as the validator drives it: check, commit, reset, and a rejected
//! candidate that leaves it unchanged.

use crate::common::verified_block;
use alloy_primitives::B256;
use flashblocks_assemble::BlockHashCheck;
use flashblocks_types::{Dialect, Flashblock, GeneratorConfig};
use flashblocks_validate::{CheckFailure, CheckOutput, FlashblockCheck};

fn config() -> GeneratorConfig {
    GeneratorConfig {
        flashblocks_per_block: 8,
        transactions_per_flashblock: 9,
        ..Default::default()
    }
}

fn with_hash(fb: &Flashblock, hash: B256) -> Flashblock {
    let mut payload = fb.clone().into_sealed_v1().expect("v1").into_inner();
    payload.diff.block_hash = hash;
    Flashblock::from_v1(payload)
}

#[test]
fn accepts_a_verified_stream_of_two_blocks() {
    let mut check = BlockHashCheck::new();
    for seed in [10, 11] {
        let block = verified_block(seed, config());
        for (i, fb) in block.iter().enumerate() {
            // The output is the rebuilt header, sealed with the claimed hash.
            let output = check.check(fb, i == 0, Dialect::SszV1).expect("verifies");
            let CheckOutput::BlockHash(header) = output else { panic!("seed {seed} index {i}") };
            assert_eq!(header.hash(), fb.diff().block_hash);
            assert_eq!(header.number, fb.base().map_or(header.number, |b| b.block_number));
            check.commit(fb, i == 0);
        }
        let held = check.block().expect("a block");
        assert_eq!(held.flashblock_count(), 8);
        assert_eq!(held.transactions().len(), 1 + 8 * 9);
    }
}

#[test]
fn a_mismatch_names_both_hashes_and_changes_nothing() {
    let block = verified_block(12, config());
    let mut check = BlockHashCheck::new();
    for (i, fb) in block[..3].iter().enumerate() {
        check.check(fb, i == 0, Dialect::SszV1).expect("verifies");
        check.commit(fb, i == 0);
    }
    let claimed = B256::repeat_byte(1);
    let wrong = with_hash(&block[3], claimed);
    assert_eq!(
        check.check(&wrong, false, Dialect::SszV1),
        Err(CheckFailure::BlockHashMismatch { computed: block[3].diff().block_hash, claimed })
    );
    // The right one still verifies, and the stream goes on.
    for fb in &block[3..] {
        assert_eq!(check.check(fb, false, Dialect::SszV1).map(drop), Ok(()));
        check.commit(fb, false);
    }
    assert_eq!(check.block().expect("block").transactions().len(), 1 + 8 * 9);
}

#[test]
fn a_candidate_rejected_by_a_later_check_is_not_committed() {
    // The validator checks a candidate, another check rejects it, and the correct one
    // comes next: the check must answer as if the rejected one never came.
    let block = verified_block(13, config());
    let other = verified_block(14, config());
    let mut check = BlockHashCheck::new();
    check.check(&block[0], true, Dialect::SszV1).expect("verifies");
    check.commit(&block[0], true);
    // A new block's index 0 that passes this check but is then rejected elsewhere.
    assert_eq!(check.check(&other[0], true, Dialect::SszV1).map(drop), Ok(()));
    assert_eq!(check.check(&block[1], false, Dialect::SszV1).map(drop), Ok(()));
    check.commit(&block[1], false);
    // A commit without (or after another) check recomputes rather than trusting stale work.
    assert_eq!(check.check(&block[2], false, Dialect::SszV1).map(drop), Ok(()));
    // (The check trusts the validator's order: index 3 is hashed as if it followed.)
    assert!(matches!(
        check.check(&with_hash(&block[3], B256::ZERO), false, Dialect::SszV1),
        Err(CheckFailure::BlockHashMismatch { claimed: B256::ZERO, .. })
    ));
    check.commit(&block[2], false);
    for fb in &block[3..] {
        assert_eq!(check.check(fb, false, Dialect::SszV1).map(drop), Ok(()));
        check.commit(fb, false);
    }
    assert_eq!(check.block().expect("block").payload_id(), block[0].payload_id());
}

#[test]
fn reset_forgets_the_block() {
    let block = verified_block(15, config());
    let mut check = BlockHashCheck::new();
    check.check(&block[0], true, Dialect::SszV1).expect("verifies");
    check.commit(&block[0], true);
    check.reset();
    assert!(check.block().is_none());
    // No block to check index 1 against: rejected, with no hash computed.
    assert_eq!(
        check.check(&block[1], false, Dialect::SszV1),
        Err(CheckFailure::BlockHashMismatch {
            computed: B256::ZERO,
            claimed: block[1].diff().block_hash
        })
    );
}
