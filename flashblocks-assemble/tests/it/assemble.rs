//! Reassembly from the validator's tokens: at every prefix, the header carried from the
//! block-hash check, the refusals, the inverse (split a block back into
//! flashblocks and reassemble it), and the payload conversions.

use crate::common::{accept_all, assembled, validator, verified_block};
use alloy_primitives::{Bytes, B256, U256};
use alloy_rpc_types_engine::ExecutionPayloadV3;
use flashblocks_assemble::{
    verify_block_hash_slow, AssembleError, Assembler, BlockHashChainMaker, BlockHashCheck,
};
use flashblocks_types::{
    CumulativeResults, Dialect, Flashblock, FlashblockStep, FlashblocksPayloadV1, GeneratorConfig,
};
use flashblocks_validate::{CheckOutput, FlashblockCheck, ValidationError};
use std::sync::Arc;

fn config() -> GeneratorConfig {
    GeneratorConfig {
        flashblocks_per_block: 6,
        transactions_per_flashblock: 7,
        ..Default::default()
    }
}

#[test]
fn reassembles_and_verifies_at_every_prefix() {
    let block = verified_block(1, config());
    let tokens = accept_all(&mut validator(false), &block);
    for prefix in 1..=block.len() {
        let mut assembler = assembled(&tokens[..prefix]);
        let last = &block[prefix - 1];
        let expected: Vec<Bytes> =
            block[..prefix].iter().flat_map(|fb| fb.transactions().iter().cloned()).collect();
        assert_eq!(assembler.transactions(), &expected[..]);
        assert_eq!(assembler.verify_block_hash(), Ok(last.diff().block_hash));
        let base = block[0].base().expect("base");
        assert_eq!(verify_block_hash_slow(base, last, &expected), Ok(last.diff().block_hash));

        let payload = assembler.payload();
        let v1 = &payload.execution_payload.payload_inner.payload_inner;
        assert_eq!(v1.transactions, expected);
        assert_eq!(v1.gas_used, last.diff().gas_used);
        assert_eq!(v1.state_root, last.diff().state_root);
        assert_eq!(v1.receipts_root, last.diff().receipts_root);
        assert_eq!(v1.logs_bloom, last.diff().logs_bloom);
        assert_eq!(v1.block_hash, last.diff().block_hash);
        assert_eq!(v1.parent_hash, base.parent_hash);
        assert_eq!(v1.block_number, base.block_number);
        assert_eq!(v1.extra_data, base.extra_data);
        assert_eq!(v1.base_fee_per_gas, base.base_fee_per_gas);
        assert_eq!(payload.commitments.withdrawals_root, Some(last.diff().withdrawals_root));
        assert_eq!(payload.parent_beacon_block_root, base.parent_beacon_block_root);
        assert_eq!(payload.block_value, U256::ZERO);
        assert_eq!(payload.execution_payload.blob_gas_used, 0);
        assert_eq!(payload.execution_payload.excess_blob_gas, 0);
        assert_eq!(assembler.clone().into_payload(), payload);
    }
}

#[test]
fn with_the_block_hash_check_the_header_is_rebuilt_once() {
    // The validator's check rebuilds each header; the token carries it, and the
    // assembler hands out that same header instead of rebuilding it.
    let block = verified_block(9, config());
    let checked = accept_all(&mut validator(true), &block);
    let plain = accept_all(&mut validator(false), &block);
    let mut assembler = Assembler::new(&checked[0]).expect("a block start");
    let mut rebuilt = Assembler::new(&plain[0]).expect("a block start");
    for (i, (token, plain)) in checked.iter().zip(&plain).enumerate() {
        if i > 0 {
            assembler.append(token).expect("next");
            rebuilt.append(plain).expect("next");
        }
        let carried = token.header().expect("the check's header");
        assert!(plain.header().is_none());
        let header = assembler.header().expect("a header");
        assert!(Arc::ptr_eq(&header, carried), "flashblock {i}: rebuilt again");
        // And it is the header the assembler would have rebuilt itself.
        assert_eq!(*header, *rebuilt.header().expect("a header"));
        assert_eq!(assembler.verify_block_hash(), Ok(block[i].diff().block_hash));
    }
}

#[test]
fn a_wrong_block_hash_is_reported_with_both_hashes() {
    let block = verified_block(2, config());
    let mut payload: FlashblocksPayloadV1 =
        block[2].clone().into_sealed_v1().expect("v1").into_inner();
    let claimed = B256::repeat_byte(0xab);
    payload.diff.block_hash = claimed;
    let wrong = Flashblock::from_v1(payload);

    // With the check, the validator rejects it, naming both hashes.
    let mut checked = validator(true);
    accept_all(&mut checked, &block[..2]);
    let err = checked.validate(wrong.clone()).expect_err("mismatch");
    assert_eq!(
        err,
        ValidationError::BlockHashMismatch { computed: block[2].diff().block_hash, claimed }
    );
    // Accepted without the check, the assembled block reports it.
    let mut plain = validator(false);
    let mut tokens = accept_all(&mut plain, &block[..2]);
    tokens.extend(accept_all(&mut plain, &[wrong]));
    let mut assembler = assembled(&tokens);
    let err = assembler.verify_block_hash().expect_err("mismatch");
    assert_eq!(
        err,
        AssembleError::BlockHashMismatch { computed: block[2].diff().block_hash, claimed }
    );
    assert!(err.is_block_hash_mismatch());
}

#[test]
fn refused_tokens_leave_the_assembler_unchanged() {
    // The sequence is the validator's to check: the assembler only refuses a token in the
    // wrong place (a block start to append, a continuation to start from).
    let block = verified_block(3, config());
    let other = verified_block(4, config());
    let mut v = validator(false);
    let tokens = accept_all(&mut v, &block[..3]);
    let next = accept_all(&mut v, &other[..1]);
    let mut assembler = assembled(&tokens[..2]);
    let before = assembler.clone();
    assert_eq!(
        assembler.append(&next[0]),
        Err(AssembleError::BlockStart { payload_id: other[0].payload_id() })
    );
    assert_eq!(assembler, before);
    assert_eq!(Assembler::new(&tokens[1]), Err(AssembleError::NotBlockStart { index: 1 }));
    assembler.append(&tokens[2]).expect("next");
    assert_eq!(assembler.flashblock_count(), 3);
}

#[test]
fn too_many_withdrawals_are_refused() {
    let block = verified_block(5, config());
    let mut payload = block[0].clone().into_sealed_v1().expect("v1").into_inner();
    payload.diff.withdrawals = vec![Default::default(); 17];
    // Over the list's limit: the validator refuses it (as SSZ decoding would), so no
    // token for it reaches the assembler.
    let err = validator(false).validate(Flashblock::from_v1(payload)).unwrap_err();
    assert_eq!(err.rule_id(), "malformed", "{err}");
}

#[test]
fn a_split_block_reassembles_to_itself() {
    // Reassemble, split the block back into flashblocks of other sizes with the chain
    // maker, and reassemble again through the block-hash check: same transactions, same
    // cumulative fields, and hashes that verify at every flashblock.
    let block = verified_block(6, config());
    let assembler = assembled(&accept_all(&mut validator(false), &block));
    let payload = assembler.payload();
    let transactions = payload.transactions().to_vec();
    let last = assembler.results().clone();

    for chunk in [1, 5, 13, transactions.len()] {
        let base = block[0].base().expect("base").clone();
        let mut maker = BlockHashChainMaker::new(block[0].payload_id(), base).expect("base fee");
        let mut split = Vec::new();
        for txs in transactions.chunks(chunk) {
            let results = CumulativeResults { block_hash: B256::ZERO, ..last.clone() };
            let step = FlashblockStep { transactions: txs.to_vec(), results, ..Default::default() };
            split.push(Flashblock::from(maker.push(step)));
        }
        let mut check = BlockHashCheck::new();
        for (i, fb) in split.iter().enumerate() {
            let output = check.check(fb, i == 0, Dialect::SszV1).expect("hash verifies");
            let CheckOutput::BlockHash(header) = output else { panic!("a header") };
            assert_eq!(header.hash(), fb.diff().block_hash);
            check.commit(fb, i == 0);
        }
        let payload_again = check.block().expect("a block").payload();
        assert_eq!(payload_again.transactions(), &transactions[..], "chunk {chunk}");
        // Same block, same header: the hash is the original's.
        assert_eq!(payload_again.block_hash(), payload.block_hash(), "chunk {chunk}");
        assert_eq!(payload_again, payload);
    }
}

#[test]
fn converts_into_alloy_payload() {
    let block = verified_block(7, config());
    let payload = assembled(&accept_all(&mut validator(false), &block[..1])).into_payload();
    let (v3, withdrawals_root, beacon_root, value) =
        payload.clone().try_into_parts().expect("every commitment");
    assert_eq!(withdrawals_root, block[0].diff().withdrawals_root);
    assert_eq!(beacon_root, block[0].base().expect("base").parent_beacon_block_root);
    assert_eq!(value, U256::ZERO);
    assert_eq!(ExecutionPayloadV3::try_from(payload), Ok(v3));
}

#[cfg(feature = "op-alloy")]
#[test]
fn converts_into_op_alloy_envelope() {
    use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelopeV4;
    let block = verified_block(8, config());
    let mut assembler = assembled(&accept_all(&mut validator(false), &block[..1]));
    assembler.set_block_value(U256::from(5));
    let payload = assembler.payload();
    let envelope = OpExecutionPayloadEnvelopeV4::try_from(payload.clone()).expect("complete");
    assert_eq!(
        Some(envelope.execution_payload.withdrawals_root),
        payload.commitments.withdrawals_root
    );
    assert_eq!(envelope.execution_payload.payload_inner, payload.execution_payload);
    assert_eq!(envelope.parent_beacon_block_root, payload.parent_beacon_block_root);
    assert_eq!(envelope.block_value, U256::from(5));
    assert!(envelope.execution_requests.is_empty());
}
