//! Lagoon: the assembled payload ends with the block's latest post-exec transaction
//! (an omitted `diff.post_exec_tx` leaves it), and the rebuilt header's transactions
//! root covers it, as the sealed block's does.

use alloy_primitives::Bytes;
use alloy_trie::root::ordered_trie_root_encoded;
use flashblocks_assemble::{Assembler, BlockHashCheck};
use flashblocks_types::{
    post_exec_raw, Dialect, DialectChoice, Flashblock, FlashblockJson, GeneratorConfig,
    SequenceGenerator,
};
use flashblocks_validate::{AcceptedFlashblock, Validator, ValidatorConfig};

/// A generated block as JSON, subblock 1 carrying a post-exec transaction refunding its
/// first transaction and subblock 3 restating it with one more; subblock 2 omits it.
fn block_with_post_exec() -> (Vec<FlashblockJson>, Bytes, Bytes) {
    let config = GeneratorConfig { flashblocks_per_block: 4, ..GeneratorConfig::default() };
    let block = SequenceGenerator::new(21, config).next_block();
    let number = block[0].base.as_ref().expect("base").block_number;
    let mut json: Vec<FlashblockJson> =
        block.iter().map(|fb| FlashblockJson::from_v1_lossy(fb, number)).collect();
    let at = |i: usize| json[..i].iter().map(|fb| fb.diff.transactions.len() as u64).sum::<u64>();
    let first = post_exec_raw(1, number, &[(at(1), 700)]);
    let second = post_exec_raw(1, number, &[(at(1), 700), (at(3), 9)]);
    json[1].diff.post_exec_tx = Some(first.clone());
    json[3].diff.post_exec_tx = Some(second.clone());
    (json, first, second)
}

fn validator(dialect: Dialect) -> Validator {
    Validator::new(
        ValidatorConfig::json()
            .with_dialect(DialectChoice::Fixed(dialect))
            .with_op_rules(false)
            .with_max_flashblocks_per_block(64),
    )
}

fn tokens(v: &mut Validator, block: &[FlashblockJson]) -> Vec<AcceptedFlashblock> {
    block
        .iter()
        .map(|json| {
            v.validate(Flashblock::from_json(json.clone()))
                .expect("accepted")
                .into_accepted()
                .expect("accepted")
        })
        .collect()
}

#[test]
fn the_payload_ends_with_the_latest_post_exec_transaction() {
    let (block, first, second) = block_with_post_exec();
    let tokens = tokens(&mut validator(Dialect::Subblocks), &block);
    let mut assembler = Assembler::new(&tokens[0]).expect("start");
    let txs = |upto: usize| -> Vec<Bytes> {
        block[..upto].iter().flat_map(|fb| fb.diff.transactions.iter().cloned()).collect()
    };
    assert_eq!(
        assembler.payload().execution_payload.payload_inner.payload_inner.transactions,
        txs(1)
    );
    assert_eq!(assembler.post_exec_tx(), None);
    for (i, expected) in [(1, &first), (2, &first), (3, &second)] {
        assembler.append(&tokens[i]).expect("append");
        let mut want = txs(i + 1);
        want.push(expected.clone());
        let payload = assembler.payload();
        assert_eq!(payload.execution_payload.payload_inner.payload_inner.transactions, want, "{i}");
        assert_eq!(assembler.post_exec_tx(), Some(expected));
        assert_eq!(assembler.transactions(), &txs(i + 1)[..], "not one of the transactions");
        // The header's transactions root covers it.
        let header = assembler.header().expect("header");
        assert_eq!(header.transactions_root, ordered_trie_root_encoded(&want), "{i}");
    }
    let payload = assembler.into_payload();
    assert_eq!(
        payload.execution_payload.payload_inner.payload_inner.transactions.last(),
        Some(&second)
    );
}

#[test]
fn the_block_hash_check_hashes_the_block_with_its_post_exec_transaction() {
    // A rollup-boost stream (diff.block_hash the header hash) carrying post-exec
    // transactions: each diff.block_hash set to the hash of the header whose
    // transactions end with the latest one.
    let (mut block, ..) = block_with_post_exec();
    let plain = tokens(&mut validator(Dialect::RollupBoost), &block);
    let mut assembler = Assembler::new(&plain[0]).expect("start");
    block[0].diff.block_hash = assembler.header().expect("header").hash();
    for i in 1..block.len() {
        assembler.append(&plain[i]).expect("append");
        block[i].diff.block_hash = assembler.header().expect("header").hash();
    }
    let mut checked = validator(Dialect::RollupBoost).with_check(Box::new(BlockHashCheck::new()));
    let tokens = tokens(&mut checked, &block);
    assert!(tokens.iter().all(|t| t.header().is_some()));
    // The same claimed hash without the post-exec transaction it covers: a mismatch.
    let mut v = validator(Dialect::RollupBoost).with_check(Box::new(BlockHashCheck::new()));
    let mut stripped = block.clone();
    stripped[1].diff.post_exec_tx = None;
    v.validate(Flashblock::from_json(stripped[0].clone())).expect("index 0");
    let err = v.validate(Flashblock::from_json(stripped[1].clone())).expect_err("mismatch");
    assert_eq!(err.rule_id(), "block_hash_mismatch");
}
