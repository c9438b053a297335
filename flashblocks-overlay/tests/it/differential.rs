//! The overlay against a naive model that rebuilds `HashMap`s from scratch after every
//! flashblock: random valid streams from the chain maker, random interleavings of
//! canonical advances, reorgs, failovers and gaps, and the fuzz corpus.

use crate::common::{blocks, Fed};
use flashblocks_overlay::{
    fuzz::{check_against, overlay, Driver, NaiveModel},
    CanonicalHead, OverlayConfig, OverlayEvent,
};
use flashblocks_types::GeneratorConfig;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Streams of the seeded generator (the chain maker) with the canonical chain
    /// lagging by a random number of blocks, each confirmed with its preconfirmed hash
    /// or a broken one, checked after every flashblock.
    #[test]
    fn generator_streams_with_random_lag_agree(
        seed in any::<u64>(),
        lags in proptest::collection::vec(0u8..4, 1..8),
        broken in any::<u8>(),
    ) {
        let config = GeneratorConfig { flashblocks_per_block: 3, accounts_per_flashblock: 4, ..GeneratorConfig::default() };
        let overlay_config = OverlayConfig { max_pending_blocks: 3, ..Default::default() };
        let mut overlay = Fed::new(overlay_config);
        let mut model = NaiveModel::new(overlay_config);
        let mut heads = Vec::new();
        for (n, block) in blocks(seed, config, lags.len()).into_iter().enumerate() {
            for fb in &block {
                // The validator accepts every flashblock of the generator's stream.
                let token = overlay.validate(fb.clone()).expect("valid");
                prop_assert_eq!(overlay.overlay.apply(&token, 0).is_ok(), model.apply(fb.clone()));
                check_against(&overlay.snapshot(), &model);
            }
            let number = block[0].base().map_or(0, |b| b.block_number);
            let hash = block.last().map(|fb| fb.diff().block_hash).unwrap_or_default();
            heads.push(CanonicalHead { number, hash });
            // The canonical chain catches up to `lags[n]` blocks behind the stream.
            let behind = usize::from(lags[n]);
            if heads.len() > behind {
                let mut head = heads[heads.len() - 1 - behind];
                if broken == n as u8 {
                    head.hash = alloy_primitives::B256::repeat_byte(0xbb);
                }
                overlay.advance_canonical(head, None);
                model.advance_canonical(head, None);
                check_against(&overlay.snapshot(), &model);
            }
        }
    }

    /// Arbitrary interleavings of apply / failover / gap / canonical advance / reorg /
    /// reset / replay, checked against the model after every step.
    #[test]
    fn interleavings_agree_with_the_model(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        overlay(&data);
    }
}

#[test]
fn mostly_applies_agree_with_the_model_step_by_step() {
    // Many flashblocks with few other events: long pending chains, many overrides.
    let mut driver = Driver::new(OverlayConfig { max_pending_blocks: 4, ..Default::default() });
    let mut x: u32 = 12345;
    let mut bytes = Vec::new();
    for _ in 0..4000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    let mut input = bytes.as_slice();
    let mut steps = 0;
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        // Bias towards applies: 3 of 4 steps apply a flashblock.
        let op = if op % 4 == 0 { op } else { op % 7 };
        driver.step(op, &mut input);
        driver.check();
        steps += 1;
    }
    assert!(steps > 300, "{steps}");
    assert!(driver.model.transactions.len() + driver.model.nonces.len() > 0);
}

#[test]
fn generated_streams_agree_with_the_model() {
    // Valid V1 streams from the chain maker (`SequenceGenerator`), canonical one block
    // behind, confirmed with the preconfirmed hash.
    let config = GeneratorConfig { accounts_per_flashblock: 5, ..GeneratorConfig::default() };
    let mut overlay = Fed::new(OverlayConfig::default());
    let mut model = NaiveModel::new(OverlayConfig::default());
    let mut previous: Option<CanonicalHead> = None;
    for block in blocks(9, config, 12) {
        for fb in &block {
            assert!(overlay.apply(fb.clone(), 0).is_ok());
            assert!(model.apply(fb.clone()));
            check_against(&overlay.snapshot(), &model);
        }
        if let Some(head) = previous {
            let events = overlay.advance_canonical(head, None);
            model.advance_canonical(head, None);
            assert_eq!(
                events,
                vec![OverlayEvent::Confirmed { number: head.number, hash: head.hash }]
            );
            check_against(&overlay.snapshot(), &model);
        }
        let last = block.last().expect("a block has flashblocks");
        previous = Some(CanonicalHead {
            number: block[0].base().map_or(0, |b| b.block_number),
            hash: last.diff().block_hash,
        });
        // Two blocks pending at the boundary: N complete, N+1 about to start.
        assert!(overlay.snapshot().pending_block_numbers().count() <= 2);
    }
}

#[test]
fn corpus_replays_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/overlay");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("corpus directory") {
        let path = entry.expect("entry").path();
        overlay(&std::fs::read(&path).expect("corpus file"));
        count += 1;
    }
    assert!(count >= 8, "corpus has {count} files");
}
