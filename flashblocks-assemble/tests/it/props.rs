//! Property: chain maker → encode → decode → validate (with the block-hash check) →
//! assemble gives back exactly the transactions and fields put in.

use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use flashblocks_assemble::{Assembler, BlockHashChainMaker, BlockHashCheck};
use flashblocks_types::{
    CumulativeResults, ExecutionPayloadStaticV1, FlashblockMetadata, FlashblockStep, PayloadId,
    TransactionMetadata,
};
use flashblocks_validate::{Validator, ValidatorConfig};
use proptest::prelude::*;

/// A non-deposit transaction: an EIP-2718 type or a legacy RLP list, then any bytes.
fn user_tx() -> impl Strategy<Value = Bytes> {
    (
        prop::sample::select(vec![0x01u8, 0x02, 0x03, 0x04, 0xf8]),
        prop::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(|(ty, rest)| Bytes::from([vec![ty], rest].concat()))
}

fn deposit_tx() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..80)
        .prop_map(|rest| Bytes::from([vec![0x7e], rest].concat()))
}

fn base() -> impl Strategy<Value = ExecutionPayloadStaticV1> {
    (
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<[u8; 20]>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..=32),
        any::<u64>(),
    )
        .prop_map(|(beacon, parent, fee, number, timestamp, extra, base_fee)| {
            ExecutionPayloadStaticV1 {
                parent_beacon_block_root: B256::from(beacon),
                parent_hash: B256::from(parent),
                fee_recipient: Address::from(fee),
                prev_randao: alloy_primitives::keccak256(beacon),
                block_number: number,
                gas_limit: 30_000_000,
                timestamp,
                extra_data: Bytes::from(extra),
                base_fee_per_gas: U256::from(base_fee),
            }
        })
}

/// Per flashblock: its transactions and some root bytes.
fn flashblocks() -> impl Strategy<Value = Vec<(Vec<Bytes>, [u8; 32])>> {
    (
        deposit_tx(),
        prop::collection::vec((prop::collection::vec(user_tx(), 0..24), any::<[u8; 32]>()), 1..8),
    )
        .prop_map(|(deposit, mut fbs)| {
            if let Some((txs, _)) = fbs.first_mut() {
                txs.insert(0, deposit);
            }
            fbs
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn chain_maker_to_assembler_round_trip(base in base(), fbs in flashblocks(), id in any::<[u8; 8]>()) {
        let mut maker = BlockHashChainMaker::new(PayloadId::new(id), base.clone()).expect("u64 base fee");
        let mut gas_used = 0u64;
        let mut frames = Vec::new();
        let mut steps = Vec::new();
        for (txs, seed) in &fbs {
            let metadata = FlashblockMetadata {
                accounts: Vec::new(),
                transactions: txs
                    .iter()
                    .map(|tx| TransactionMetadata { status: 1, gas_used: 21_000 + tx.len() as u64, contract_address: None })
                    .collect(),
            };
            gas_used += metadata.transactions.iter().map(|m| m.gas_used).sum::<u64>();
            let results = CumulativeResults {
                state_root: B256::from(*seed),
                receipts_root: alloy_primitives::keccak256(seed),
                logs_bloom: Bloom::repeat_byte(seed[0]),
                gas_used,
                block_hash: B256::ZERO,
                withdrawals_root: alloy_primitives::keccak256(alloy_primitives::keccak256(seed)),
            };
            let step = FlashblockStep { transactions: txs.clone(), withdrawals: Vec::new(), results, metadata };
            steps.push(step.clone());
            frames.push(maker.push(step).encode_ssz());
        }

        let mut validator = Validator::new(ValidatorConfig::default())
            .with_check(Box::new(BlockHashCheck::new()));
        let mut assembler: Option<Assembler> = None;
        for (i, frame) in frames.iter().enumerate() {
            let validated = validator.validate_frame(frame).expect("accepted, hash verified");
            prop_assert!(validated.outcome.is_accepted());
            let token = validated.outcome.accepted().expect("accepted");
            prop_assert!(token.header().is_some());
            match &mut assembler {
                None => assembler = Some(Assembler::new(token).expect("index 0")),
                Some(a) => a.append(token).expect("next"),
            }
            let a = assembler.as_mut().expect("started");
            prop_assert_eq!(a.verify_block_hash(), Ok(validated.flashblock.diff().block_hash), "flashblock {}", i);
        }
        let payload = assembler.expect("started").into_payload();
        let expected: Vec<Bytes> = fbs.iter().flat_map(|(txs, _)| txs.iter().cloned()).collect();
        let last = &steps.last().expect("one step").results;
        let v1 = &payload.execution_payload.payload_inner.payload_inner;
        prop_assert_eq!(&v1.transactions, &expected);
        prop_assert_eq!(v1.parent_hash, base.parent_hash);
        prop_assert_eq!(v1.fee_recipient, base.fee_recipient);
        prop_assert_eq!(v1.prev_randao, base.prev_randao);
        prop_assert_eq!(v1.block_number, base.block_number);
        prop_assert_eq!(v1.gas_limit, base.gas_limit);
        prop_assert_eq!(v1.timestamp, base.timestamp);
        prop_assert_eq!(&v1.extra_data, &base.extra_data);
        prop_assert_eq!(v1.base_fee_per_gas, base.base_fee_per_gas);
        prop_assert_eq!(v1.state_root, last.state_root);
        prop_assert_eq!(v1.receipts_root, last.receipts_root);
        prop_assert_eq!(v1.logs_bloom, last.logs_bloom);
        prop_assert_eq!(v1.gas_used, last.gas_used);
        prop_assert!(payload.execution_payload.payload_inner.withdrawals.is_empty());
        prop_assert_eq!(payload.commitments.withdrawals_root, Some(last.withdrawals_root));
        prop_assert_eq!(payload.parent_beacon_block_root, base.parent_beacon_block_root);
        prop_assert_eq!(payload.execution_payload.blob_gas_used, 0);
        prop_assert_eq!(payload.execution_payload.excess_blob_gas, 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The incremental root equals alloy-trie's ordered root at every step, whether the
    /// steps go through `root` or through `root_with` + `commit` (with the work kept or
    /// thrown away).
    #[test]
    fn transaction_trie_matches_the_ordered_root(
        sizes in prop::collection::vec(1usize..24, 0..300),
        steps in prop::collection::vec((1usize..90, 0u8..3), 1..12),
    ) {
        use alloy_trie::root::ordered_trie_root_encoded;
        use flashblocks_assemble::{GroupHashes, TransactionTrie};
        let all: Vec<Bytes> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| Bytes::from(vec![i as u8; *n]))
            .collect();
        let mut trie = TransactionTrie::new();
        let mut len = 0;
        for (step, how) in steps {
            let end = (len + step).min(all.len());
            let more = &all[len..end];
            match how {
                0 => {
                    trie.extend(more.iter().cloned());
                    prop_assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..end]));
                }
                1 => {
                    let (root, groups) = trie.root_with(more);
                    prop_assert_eq!(root, ordered_trie_root_encoded(&all[..end]));
                    trie.commit(more.iter().cloned(), groups);
                }
                _ => trie.commit(more.iter().cloned(), GroupHashes::default()),
            }
            len = end;
        }
        prop_assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..len]));
        prop_assert_eq!(trie.transactions(), &all[..len]);
    }
}
