//! Reassembly: at every prefix, the refusals, the inverse (split a block back into
//! flashblocks and reassemble it), and the payload conversions.

use crate::common::verified_block;
use alloy_primitives::{Bytes, B256, U256};
use alloy_rpc_types_engine::ExecutionPayloadV3;
use flashblocks_assemble::{verify_block_hash_slow, AssembleError, Assembler, BlockHashChainMaker};
use flashblocks_types::{
    CumulativeResults, Flashblock, FlashblockStep, FlashblocksPayloadV1, GeneratorConfig,
};

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
    for prefix in 1..=block.len() {
        let mut assembler = Assembler::new(&block[0]).expect("index 0");
        for fb in &block[1..prefix] {
            assembler.push(fb).expect("next");
        }
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
        assert_eq!(payload.withdrawals_root, last.diff().withdrawals_root);
        assert_eq!(payload.parent_beacon_block_root, base.parent_beacon_block_root);
        assert_eq!(payload.block_value, U256::ZERO);
        assert_eq!(payload.execution_payload.blob_gas_used, 0);
        assert_eq!(payload.execution_payload.excess_blob_gas, 0);
        assert_eq!(assembler.clone().into_payload(), payload);
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

    let mut assembler = Assembler::new(&block[0]).expect("index 0");
    assembler.push(&block[1]).expect("next");
    let before = assembler.clone();
    let err = assembler.check_next_block_hash(&wrong).expect_err("mismatch");
    assert_eq!(
        err,
        AssembleError::BlockHashMismatch { computed: block[2].diff().block_hash, claimed }
    );
    assert!(err.is_block_hash_mismatch());
    assert_eq!(assembler, before);
    // Appended without the check, the block reports it.
    assembler.push(&wrong).expect("structurally fine");
    assert_eq!(
        assembler.verify_block_hash(),
        Err(AssembleError::BlockHashMismatch { computed: block[2].diff().block_hash, claimed })
    );
}

#[test]
fn refused_flashblocks_leave_the_assembler_unchanged() {
    let block = verified_block(3, config());
    let other = verified_block(4, config());
    let mut assembler = Assembler::new(&block[0]).expect("index 0");
    assembler.push(&block[1]).expect("next");
    let before = assembler.clone();

    assert_eq!(
        assembler.push(&other[2]),
        Err(AssembleError::PayloadIdMismatch {
            expected: block[0].payload_id(),
            got: other[0].payload_id()
        })
    );
    assert_eq!(assembler.push(&block[3]), Err(AssembleError::IndexGap { expected: 2, got: 3 }));
    assert_eq!(assembler.push(&block[1]), Err(AssembleError::IndexGap { expected: 2, got: 1 }));
    let mut with_base = block[2].clone().into_sealed_v1().expect("v1").into_inner();
    with_base.base = other[0].base().cloned();
    assert_eq!(
        assembler.push(&Flashblock::from_v1(with_base)),
        Err(AssembleError::UnexpectedBase { index: 2 })
    );
    assert_eq!(assembler, before);

    // An identical copy of the base is allowed.
    let mut same_base = block[2].clone().into_sealed_v1().expect("v1").into_inner();
    same_base.base = block[0].base().cloned();
    assembler.push(&Flashblock::from_v1(same_base)).expect("same base");
    assert_eq!(assembler.flashblock_count(), 3);

    assert_eq!(Assembler::new(&block[1]), Err(AssembleError::NotIndexZero { index: 1 }));
    let mut no_base = block[0].clone().into_sealed_v1().expect("v1").into_inner();
    no_base.base = None;
    assert_eq!(Assembler::new(&Flashblock::from_v1(no_base)), Err(AssembleError::MissingBase));
}

#[test]
fn too_many_withdrawals_are_refused() {
    let block = verified_block(5, config());
    let mut payload = block[0].clone().into_sealed_v1().expect("v1").into_inner();
    payload.diff.withdrawals = vec![Default::default(); 17];
    assert_eq!(
        Assembler::new(&Flashblock::from_v1(payload)),
        Err(AssembleError::TooManyWithdrawals { count: 17, max: 16 })
    );
}

#[test]
fn a_split_block_reassembles_to_itself() {
    // Reassemble, split the block back into flashblocks of other sizes with the chain
    // maker, and reassemble again: same transactions, same cumulative fields, and hashes
    // that verify at every flashblock.
    let block = verified_block(6, config());
    let mut assembler = Assembler::new(&block[0]).expect("index 0");
    for fb in &block[1..] {
        assembler.push(fb).expect("next");
    }
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
        let mut again = Assembler::new(&split[0]).expect("index 0");
        again.verify_block_hash().expect("hash at 0");
        for fb in &split[1..] {
            let (hash, groups) = again.check_next_block_hash(fb).expect("hash verifies");
            assert_eq!(hash, fb.diff().block_hash);
            again.push_checked(fb, groups).expect("next");
        }
        let payload_again = again.payload();
        assert_eq!(payload_again.transactions(), &transactions[..], "chunk {chunk}");
        // Same block, same header: the hash is the original's.
        assert_eq!(payload_again.block_hash(), payload.block_hash(), "chunk {chunk}");
        assert_eq!(payload_again, payload);
    }
}

#[test]
fn converts_into_alloy_payload() {
    let block = verified_block(7, config());
    let payload = Assembler::new(&block[0]).expect("index 0").into_payload();
    let (v3, withdrawals_root, beacon_root, value) = payload.clone().into_parts();
    assert_eq!(withdrawals_root, block[0].diff().withdrawals_root);
    assert_eq!(beacon_root, block[0].base().expect("base").parent_beacon_block_root);
    assert_eq!(value, U256::ZERO);
    assert_eq!(ExecutionPayloadV3::from(payload), v3);
}

#[cfg(feature = "op-alloy")]
#[test]
fn converts_into_op_alloy_envelope() {
    use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelopeV4;
    let block = verified_block(8, config());
    let mut assembler = Assembler::new(&block[0]).expect("index 0");
    assembler.set_block_value(U256::from(5));
    let payload = assembler.payload();
    let envelope = OpExecutionPayloadEnvelopeV4::from(payload.clone());
    assert_eq!(envelope.execution_payload.withdrawals_root, payload.withdrawals_root);
    assert_eq!(envelope.execution_payload.payload_inner, payload.execution_payload);
    assert_eq!(envelope.parent_beacon_block_root, payload.parent_beacon_block_root);
    assert_eq!(envelope.block_value, U256::from(5));
    assert!(envelope.execution_requests.is_empty());
}
