//! The JSON dialects' rules (`block_number_mismatch`, `payload_ended`,
//! `prev_flash_id_mismatch`), Base's index-0 link, and `auto` deciding each dialect from
//! its fields, on generated blocks reshaped as each dialect sends them. Each rejection
//! leaves the state as it was.

use alloy_primitives::{B256, U256};
use flashblocks_types::{
    Dialect, DialectChoice, Flashblock, FlashblockAccessListData, FlashblockId, FlashblockJson,
    GeneratorConfig, PayloadEnd, SequenceGenerator,
};
use flashblocks_validate::{
    Outcome, PayloadEnded, PrevBlockLink, RuleSet, ValidationError, Validator, ValidatorConfig,
};

/// `blocks` consecutive generated blocks, as JSON (rollup-boost's shape).
fn json_blocks(seed: u64, blocks: usize) -> Vec<Vec<FlashblockJson>> {
    let mut generator = SequenceGenerator::new(seed, GeneratorConfig::default());
    (0..blocks)
        .map(|_| {
            let block = generator.next_block();
            let number = block[0].base.as_ref().expect("base").block_number;
            block.iter().map(|fb| FlashblockJson::from_v1_lossy(fb, number)).collect()
        })
        .collect()
}

/// Base's shape: `{block_number, prev_flashblock_id}`, each frame naming the one before
/// (the first names the previous block's last frame, or "0-0").
fn as_base(blocks: &mut [Vec<FlashblockJson>]) {
    let mut previous = FlashblockId::NONE;
    for block in blocks {
        for fb in block.iter_mut() {
            let number = fb.metadata.block_number.expect("number");
            fb.metadata.new_account_balances = None;
            fb.metadata.receipts = None;
            fb.metadata.prev_flashblock_id = Some(previous);
            previous = FlashblockId { block_number: number, index: fb.index };
        }
    }
}

fn validator(dialect: DialectChoice) -> Validator {
    Validator::new(ValidatorConfig::json().with_dialect(dialect))
}

fn fb(json: &FlashblockJson) -> Flashblock {
    Flashblock::from_json(json.clone())
}

/// Asserts that `json` is rejected with `rule` and that nothing changed.
fn rejects(v: &mut Validator, json: &FlashblockJson, rule: &str) -> ValidationError {
    let before = (v.current_block().cloned(), v.newest_block(), v.dialect());
    let err = v.validate(fb(json)).expect_err("rejected");
    assert_eq!(err.rule_id(), rule, "{err}");
    assert_eq!((v.current_block().cloned(), v.newest_block(), v.dialect()), before, "moved");
    err
}

fn accept(v: &mut Validator, json: &FlashblockJson) -> flashblocks_validate::AcceptedFlashblock {
    v.validate(fb(json))
        .unwrap_or_else(|e| panic!("index {}: {e}", json.index))
        .into_accepted()
        .expect("accepted")
}

#[test]
fn base_link_is_checked_at_every_index_after_zero() {
    let mut blocks = json_blocks(3, 2);
    as_base(&mut blocks);
    let mut v = validator(DialectChoice::Auto);
    let first = accept(&mut v, &blocks[0][0]);
    assert_eq!(first.decided_dialect(), Some(Dialect::Base));
    // "0-0" with no block held: nothing to report.
    assert_eq!(first.prev_block_link(), None);
    accept(&mut v, &blocks[0][1]);
    // A frame naming the wrong predecessor is refused, after `index_gap`.
    let mut wrong = blocks[0][2].clone();
    let number = wrong.metadata.block_number.expect("number");
    wrong.metadata.prev_flashblock_id = Some(FlashblockId { block_number: number, index: 0 });
    let err = rejects(&mut v, &wrong, "prev_flash_id_mismatch");
    assert_eq!(
        err,
        ValidationError::PrevFlashIdMismatch {
            expected: FlashblockId { block_number: number, index: 1 },
            received: FlashblockId { block_number: number, index: 0 },
        }
    );
    // "0-0" after index 0 is not "<block>-<index - 1>" either.
    wrong.metadata.prev_flashblock_id = Some(FlashblockId::NONE);
    rejects(&mut v, &wrong, "prev_flash_id_mismatch");
    // A gap is reported as the gap, whatever the link says.
    let mut skipping = blocks[0][3].clone();
    skipping.metadata.prev_flashblock_id = Some(FlashblockId { block_number: number, index: 9 });
    rejects(&mut v, &skipping, "index_gap");
    // The right one is still accepted, and so is the rest of the chain.
    for json in &blocks[0][2..] {
        accept(&mut v, json);
    }
    let next = accept(&mut v, &blocks[1][0]);
    assert_eq!(next.prev_block_link(), None, "the link names the last frame held");
    assert_eq!(next.decided_dialect(), None, "decided once");
    assert_eq!(next.dialect(), Dialect::Base);
    // Without the link (Azul's shape) nothing is checked.
    let mut azul = blocks[1][1].clone();
    azul.metadata.prev_flashblock_id = None;
    accept(&mut v, &azul);
}

#[test]
fn base_index_zero_reports_an_incomplete_or_restarted_previous_block() {
    let mut blocks = json_blocks(4, 2);
    as_base(&mut blocks);
    let held = blocks[0].len() as u64 - 1;
    let number = blocks[0][0].metadata.block_number.expect("number");
    // The last frame of the first block never arrives.
    let mut v = validator(DialectChoice::Fixed(Dialect::Base));
    for json in &blocks[0][..held as usize] {
        accept(&mut v, json);
    }
    let next = accept(&mut v, &blocks[1][0]);
    assert_eq!(
        next.prev_block_link(),
        Some(PrevBlockLink::Incomplete { block_number: number, held, named: held + 1 })
    );
    // Never a rejection: the new block is taken either way, and so is its next frame.
    accept(&mut v, &blocks[1][1]);
    // "0-0" while a block is held: the builder restarted; reported.
    let mut v = validator(DialectChoice::Fixed(Dialect::Base));
    for json in &blocks[0] {
        accept(&mut v, json);
    }
    let mut restarted = blocks[1][0].clone();
    restarted.metadata.prev_flashblock_id = Some(FlashblockId::NONE);
    let next = accept(&mut v, &restarted);
    assert_eq!(next.prev_block_link(), Some(PrevBlockLink::NoPrevious { held: number }));
    // A complete block is not reported.
    let mut v = validator(DialectChoice::Fixed(Dialect::Base));
    for json in &blocks[0] {
        accept(&mut v, json);
    }
    assert_eq!(accept(&mut v, &blocks[1][0]).prev_block_link(), None);
}

#[test]
fn block_number_mismatch_at_index_zero_and_after() {
    let blocks = json_blocks(5, 1);
    let mut v = validator(DialectChoice::Auto);
    let mut wrong0 = blocks[0][0].clone();
    let number = wrong0.metadata.block_number.expect("number");
    wrong0.metadata.block_number = Some(number + 1);
    let err = rejects(&mut v, &wrong0, "block_number_mismatch");
    assert_eq!(
        err,
        ValidationError::BlockNumberMismatch { expected: number, received: number + 1 }
    );
    assert_eq!(v.dialect(), None, "a rejected index 0 decides nothing");
    accept(&mut v, &blocks[0][0]);
    let mut wrong1 = blocks[0][1].clone();
    wrong1.metadata.block_number = Some(number - 1);
    rejects(&mut v, &wrong1, "block_number_mismatch");
    // Before `index_gap`: a frame with both is reported as the block number.
    let mut both = blocks[0][2].clone();
    both.metadata.block_number = Some(number - 1);
    rejects(&mut v, &both, "block_number_mismatch");
    // Absent (World Chain's metadata has none): not checked.
    let mut absent = blocks[0][1].clone();
    absent.metadata.block_number = None;
    accept(&mut v, &absent);
}

#[test]
fn a_payload_end_completes_the_block() {
    let blocks = json_blocks(6, 2);
    let mut v = validator(DialectChoice::Fixed(Dialect::XLayer));
    let payload_id = blocks[0][0].payload_id;
    assert_eq!(v.end_payload(PayloadEnd { payload_id }), PayloadEnded::Unknown { payload_id });
    accept(&mut v, &blocks[0][0]);
    accept(&mut v, &blocks[0][1]);
    let number = blocks[0][0].metadata.block_number.expect("number");
    let ended = PayloadEnded::Completed { payload_id, block_number: number, flashblocks: 2 };
    assert_eq!(v.end_payload(PayloadEnd { payload_id }), ended);
    assert_eq!(v.end_payload(PayloadEnd { payload_id }), ended, "a second end answers the same");
    // A later index of that payload: `payload_ended`, before `index_gap`.
    let err = rejects(&mut v, &blocks[0][2], "payload_ended");
    assert_eq!(err, ValidationError::PayloadEnded { payload_id, index: 2, ended_at: 2 });
    rejects(&mut v, &blocks[0][3], "payload_ended");
    // A resend of what was accepted is still a duplicate.
    assert!(matches!(v.validate(fb(&blocks[0][1])), Ok(Outcome::Duplicate { index: 1, .. })));
    // The next block starts as usual.
    accept(&mut v, &blocks[1][0]);
    accept(&mut v, &blocks[1][1]);
}

#[test]
fn the_ssz_stream_runs_none_of_the_dialect_rules() {
    let v1: Vec<_> = RuleSet::V1.rule_ids().collect();
    let json: Vec<_> = RuleSet::Json.rule_ids().collect();
    for rule in ["block_number_mismatch", "payload_ended", "prev_flash_id_mismatch"] {
        assert!(!v1.contains(&rule) && json.contains(&rule), "{rule}");
    }
    // In the spec's order: after payload_id_mismatch, index_gap between them.
    let at = |id: &str| json.iter().position(|r| *r == id).expect(id);
    assert!(at("payload_id_mismatch") < at("block_number_mismatch"));
    assert!(at("block_number_mismatch") < at("payload_ended"));
    assert!(at("payload_ended") < at("index_gap"));
    assert!(at("index_gap") < at("prev_flash_id_mismatch"));
    assert!(at("prev_flash_id_mismatch") < at("unexpected_base"));
}

/// Each dialect reshaped from the same generated block, as its builder sends it.
fn reshaped(dialect: Dialect) -> Vec<FlashblockJson> {
    let mut blocks = json_blocks(7, 1);
    match dialect {
        Dialect::Base => as_base(&mut blocks),
        Dialect::Subblocks => {
            for fb in &mut blocks[0] {
                fb.diff.state_root = B256::ZERO;
                fb.diff.block_hash = B256::ZERO;
                fb.diff.withdrawals_root = B256::ZERO;
            }
        }
        Dialect::WorldChain => {
            for fb in &mut blocks[0] {
                fb.metadata = flashblocks_types::JsonMetadata {
                    fees: Some(U256::from(fb.index)),
                    flashblock_timestamp: Some(1),
                    ..Default::default()
                };
                fb.diff.access_list_data = Some(Box::new(FlashblockAccessListData::default()));
            }
        }
        Dialect::XLayer => {
            for fb in &mut blocks[0] {
                fb.target_index = Some(if fb.index == 0 { 0 } else { 5 });
            }
        }
        _ => {}
    }
    blocks.remove(0)
}

#[test]
fn auto_decides_each_dialect_from_its_fields_once_and_again_after_a_reset() {
    for dialect in Dialect::ALL.into_iter().filter(|d| d.is_json()) {
        let block = reshaped(dialect);
        let mut v = validator(DialectChoice::Auto);
        assert_eq!(v.dialect(), None);
        let first = accept(&mut v, &block[0]);
        assert_eq!(first.decided_dialect(), Some(dialect), "{dialect}");
        assert_eq!(v.dialect(), Some(dialect));
        for json in &block[1..] {
            let later = accept(&mut v, json);
            assert_eq!((later.decided_dialect(), later.dialect()), (None, dialect));
        }
        v.reset();
        assert_eq!(v.dialect(), None, "decided again after a reset");
        assert_eq!(accept(&mut v, &block[0]).decided_dialect(), Some(dialect));
    }
    // A fixed dialect is never decided, whatever the frames carry.
    let mut v = validator(DialectChoice::Fixed(Dialect::RollupBoost));
    let base = reshaped(Dialect::Base);
    let first = accept(&mut v, &base[0]);
    assert_eq!((first.decided_dialect(), first.dialect()), (None, Dialect::RollupBoost));
}

#[test]
fn auto_takes_base_before_the_subblock_zeros() {
    let mut block = reshaped(Dialect::Base);
    for fb in &mut block {
        fb.diff.state_root = B256::ZERO;
        fb.diff.block_hash = B256::ZERO;
    }
    let mut v = validator(DialectChoice::Auto);
    assert_eq!(accept(&mut v, &block[0]).decided_dialect(), Some(Dialect::Base));
}
