//! The chain maker and the generator: sequences link, and everything round-trips.

use flashblocks_types::reference::decode_frame;
use flashblocks_types::{
    ChainMaker, ExecutionPayloadStaticV1, Flashblock, FlashblockSource, FlashblockStep,
    FlashblocksPayloadV1, GeneratorConfig, SequenceGenerator, DEPOSIT_TX_TYPE,
};
use proptest::prelude::*;
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

/// Generator shapes for property tests (shared by the JSON property tests).
pub(crate) fn config_strategy() -> impl Strategy<Value = GeneratorConfig> {
    (1usize..6, 0usize..5, 1usize..300, 0usize..5, 0usize..4).prop_map(
        |(
            flashblocks_per_block,
            transactions_per_flashblock,
            transaction_size,
            accounts,
            slots,
        )| {
            GeneratorConfig {
                flashblocks_per_block,
                transactions_per_flashblock,
                transaction_size,
                accounts_per_flashblock: accounts,
                slots_per_account: slots,
                gas_limit: 30_000_000,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_sequences_round_trip_and_link(seed in any::<u64>(), config in config_strategy()) {
        let mut generator = SequenceGenerator::new(seed, config.clone());
        for _ in 0..2 {
            let block = generator.next_block();
            prop_assert_eq!(block.len(), config.flashblocks_per_block);
            let mut parent = None;
            let mut gas = 0;
            for (i, sealed) in block.iter().enumerate() {
                prop_assert_eq!(sealed.index, i as u64);
                prop_assert_eq!(sealed.payload_id, block[0].payload_id);
                prop_assert_eq!(sealed.parent_flash_hash, parent);
                prop_assert_eq!(sealed.base.is_some(), i == 0);
                prop_assert_eq!(sealed.seal(), sealed.hash_tree_root_slow());
                prop_assert_eq!(sealed.seal(), sealed.inner().tree_hash_root());
                // Valid by construction.
                prop_assert_eq!(sealed.metadata.transactions.len(), sealed.diff.transactions.len());
                gas += sealed.metadata.transactions.iter().map(|t| t.gas_used).sum::<u64>();
                prop_assert_eq!(sealed.diff.gas_used, gas);
                for (j, tx) in sealed.diff.transactions.iter().enumerate() {
                    prop_assert_eq!(tx.first() == Some(&DEPOSIT_TX_TYPE), i == 0 && j == 0);
                }
                // Encode, decode, re-encode.
                let bytes = sealed.encode_ssz();
                let decoded = decode_frame(&bytes).unwrap().into_v1().unwrap();
                prop_assert_eq!(&decoded, sealed.inner());
                prop_assert_eq!(decoded.as_ssz_bytes(), bytes);
                let fb = Flashblock::decode_v1(sealed.encode_ssz()).unwrap();
                prop_assert_eq!(fb.identity(), sealed.seal());
                prop_assert_eq!(fb.source(), FlashblockSource::V1);
                let back = fb.into_sealed_v1().unwrap();
                prop_assert_eq!(back.inner(), sealed.inner());
                parent = Some(sealed.seal());
            }
            if let Some(last) = block.last() {
                prop_assert!(last.diff.gas_used <= config.gas_limit);
            }
        }
    }

    /// Any bytes: the decoder never panics, and what decodes re-encodes exactly.
    #[test]
    fn arbitrary_bytes_never_panic(mut data in proptest::collection::vec(any::<u8>(), 0..600)) {
        if data.len() >= 4 && data[0] % 2 == 0 {
            data[..4].copy_from_slice(&[0, 0, 0, 1]);
        }
        flashblocks_types::fuzz::frame_decode(&data);
    }

    /// Mutations of valid frames: rejected, or decoded to a value that re-encodes exactly.
    #[test]
    fn mutated_frames_never_panic(seed in any::<u64>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in any::<usize>()) {
        let block = SequenceGenerator::new(seed, GeneratorConfig { flashblocks_per_block: 2, ..Default::default() }).next_block();
        let mut bytes = block[1].encode_ssz();
        for (at, value) in flips {
            let i = at % bytes.len();
            bytes[i] = value;
        }
        flashblocks_types::fuzz::frame_decode(&bytes);
        bytes.truncate(cut % (bytes.len() + 1));
        flashblocks_types::fuzz::frame_decode(&bytes);
        if let Ok(p) = FlashblocksPayloadV1::from_ssz_bytes(&bytes) {
            prop_assert_eq!(p.as_ssz_bytes(), bytes);
        }
    }
}

#[test]
fn chain_maker_links_and_starts_at_zero() {
    let base = ExecutionPayloadStaticV1 { block_number: 9, gas_limit: 100, ..Default::default() };
    let mut maker = ChainMaker::new(flashblocks_types::PayloadId::new([1; 8]), base.clone());
    let a = maker.push(FlashblockStep::default());
    let b = maker.push(FlashblockStep::default());
    let c = maker.push(FlashblockStep::default());
    assert_eq!((a.index, b.index, c.index), (0, 1, 2));
    assert_eq!(a.base.as_ref(), Some(&base));
    assert_eq!(a.parent_flash_hash, None);
    assert_eq!(b.parent_flash_hash, Some(a.seal()));
    assert_eq!(c.parent_flash_hash, Some(b.seal()));
    assert_eq!(maker.parent_flash_hash(), Some(c.seal()));
    assert_eq!(maker.next_index(), 3);
    // b and c have equal content but for the parent: different roots.
    assert_ne!(b.seal(), c.seal());
    assert_eq!(a.hash_tree_root_slow(), a.seal());
}

#[test]
fn generator_is_deterministic() {
    let a = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
    let b = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
    let c = SequenceGenerator::new(8, GeneratorConfig::default()).next_block();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mut g = SequenceGenerator::new(7, GeneratorConfig::default());
    let first = g.next_block();
    let second = g.next_block();
    let (b0, b1) = (first[0].base.as_ref().unwrap(), second[0].base.as_ref().unwrap());
    assert_eq!(b1.block_number, b0.block_number + 1);
    assert_eq!(b1.parent_hash, first.last().unwrap().diff.block_hash);
    assert_ne!(first[0].payload_id, second[0].payload_id);
}
