//! Lagoon (issue 21): `diff.post_exec_tx` carried with the token for the block so far
//! (append-only restatements), and the rules `post_exec_in_transactions`,
//! `post_exec_inactive`, `post_exec_invalid`, `sdm_invalid`, `sdm_restated` and
//! `receipt_without_transaction` for its receipt, each rejection leaving the state as it
//! was.

use alloy_primitives::{keccak256, Bytes};
use flashblocks_types::{
    post_exec_raw, Dialect, DialectChoice, Flashblock, FlashblockJson, SDMGasEntry,
    SequenceGenerator,
};
use flashblocks_validate::{
    AcceptedFlashblock, RuleSet, SdmInvalid, SdmRestated, ValidationError, Validator,
    ValidatorConfig,
};
use std::sync::Arc;

/// A generated block as OP Subblocks (4 subblocks; index 0 opens with the L1 info
/// deposit), at time `timestamp`.
pub(crate) fn subblocks(seed: u64, timestamp: u64) -> Vec<FlashblockJson> {
    let mut generator = SequenceGenerator::new(seed, crate::small_shape());
    let block = generator.next_block();
    let number = block[0].base.as_ref().expect("base").block_number;
    block
        .iter()
        .map(|fb| {
            let mut json = FlashblockJson::from_v1_lossy(fb, number);
            if let Some(base) = json.base.as_mut() {
                base.timestamp = timestamp;
            }
            json.diff.state_root = Default::default();
            json.diff.block_hash = Default::default();
            json.diff.withdrawals_root = Default::default();
            json
        })
        .collect()
}

/// The block position of subblock `index`'s first transaction.
pub(crate) fn first_of(block: &[FlashblockJson], index: usize) -> u64 {
    block[..index].iter().map(|fb| fb.diff.transactions.len() as u64).sum()
}

pub(crate) fn number(block: &[FlashblockJson]) -> u64 {
    block[0].base.as_ref().expect("base").block_number
}

pub(crate) fn validator(lagoon_time: Option<u64>) -> Validator {
    Validator::new(
        ValidatorConfig::json()
            .with_dialect(DialectChoice::Fixed(Dialect::Subblocks))
            .with_lagoon_time(lagoon_time),
    )
}

#[track_caller]
fn accept(v: &mut Validator, json: &FlashblockJson) -> AcceptedFlashblock {
    v.validate(Flashblock::from_json(json.clone()))
        .expect("accepted")
        .into_accepted()
        .expect("not a duplicate")
}

/// Asserts that `json` is rejected with `rule` and that nothing changed.
#[track_caller]
fn rejects(v: &mut Validator, json: &FlashblockJson, rule: &str) -> ValidationError {
    let before = (v.current_block().cloned(), v.newest_block(), v.dialect());
    let err = v.validate(Flashblock::from_json(json.clone())).expect_err("rejected");
    assert_eq!(err.rule_id(), rule, "{err}");
    assert_eq!((v.current_block().cloned(), v.newest_block(), v.dialect()), before, "moved");
    err
}

#[test]
fn the_token_carries_the_latest_post_exec_of_the_block_so_far() {
    let mut block = subblocks(3, 1_000);
    let n = number(&block);
    let (at1, at3) = (first_of(&block, 1), first_of(&block, 3));
    let first = post_exec_raw(1, n, &[(at1, 100)]);
    let second = post_exec_raw(1, n, &[(at1, 100), (at3 + 1, 5)]);
    block[1].diff.post_exec_tx = Some(first.clone());
    block[3].diff.post_exec_tx = Some(second.clone());
    let mut v = validator(Some(0));
    assert!(accept(&mut v, &block[0]).post_exec_tx().is_none());
    let one = accept(&mut v, &block[1]);
    let latest = one.post_exec_tx().expect("carried");
    assert_eq!(latest.raw(), &first);
    assert_eq!(latest.hash(), keccak256(&first));
    assert_eq!(latest.block_number(), n);
    assert_eq!(latest.gas_refund_entries(), &[SDMGasEntry { index: at1, gas_refund: 100 }]);
    assert_eq!(one.flashblock().post_exec_tx(), Some(&first));
    // Omitted: the last one stays, the very same value.
    let two = accept(&mut v, &block[2]);
    assert!(two.flashblock().post_exec_tx().is_none());
    assert!(Arc::ptr_eq(two.post_exec_tx().expect("kept"), latest));
    let three = accept(&mut v, &block[3]);
    assert_eq!(three.post_exec_tx().expect("restated").raw(), &second);
    assert_eq!(
        v.current_block().and_then(|c| c.post_exec_tx()).map(|p| p.raw().clone()),
        Some(second)
    );
    // The next block starts without one.
    let next = subblocks(4, 1_002);
    let mut next0 = next[0].clone();
    next0.base.as_mut().expect("base").block_number = n + 1;
    next0.metadata.block_number = Some(n + 1);
    assert!(accept(&mut v, &next0).post_exec_tx().is_none());
    assert!(v.current_block().expect("block").post_exec_tx().is_none());
}

/// A validator that accepted subblocks `..upto` of `block`.
fn after(block: &[FlashblockJson], upto: usize, lagoon_time: Option<u64>) -> Validator {
    let mut v = validator(lagoon_time);
    for json in &block[..upto] {
        accept(&mut v, json);
    }
    v
}

#[test]
fn post_exec_in_transactions_is_refused_in_every_json_dialect() {
    let block = subblocks(5, 1_000);
    let n = number(&block);
    let mut bad = block[1].clone();
    bad.diff.transactions.insert(1, post_exec_raw(1, n, &[(1, 1)]));
    let mut v = after(&block, 1, None);
    let err = rejects(&mut v, &bad, "post_exec_in_transactions");
    assert_eq!(err, ValidationError::PostExecInTransactions { position: 1 });
    // After the gas rules: a gas rule broken as well is reported first.
    bad.diff.gas_used = 0;
    rejects(&mut v, &bad, "gas_decreased");
    // Every JSON dialect, configured or not; the SSZ stream carries such bytes (the V1
    // vectors do) and runs none of the Lagoon rules.
    for id in [
        "post_exec_in_transactions",
        "post_exec_inactive",
        "post_exec_invalid",
        "sdm_invalid",
        "sdm_restated",
    ] {
        assert!(RuleSet::Json.rule_ids().any(|r| r == id), "{id}");
        assert!(!RuleSet::V1.rule_ids().any(|r| r == id), "{id}");
    }
    let mut v1 = crate::blocks(12, 1).remove(0);
    let tx = &mut v1[1].diff.transactions[0];
    let mut bytes = tx.to_vec();
    bytes[0] = 0x7d;
    *tx = bytes.into();
    let mut v = crate::after(&v1, 1);
    crate::accept(&mut v, &v1[1]);
}

#[test]
fn post_exec_inactive_before_the_lagoon_time_and_off_without_one() {
    let mut block = subblocks(6, 1_000);
    let n = number(&block);
    let at1 = first_of(&block, 1);
    block[1].diff.post_exec_tx = Some(post_exec_raw(1, n, &[(at1, 10)]));
    let mut v = after(&block, 1, Some(1_001));
    let err = rejects(&mut v, &block[1], "post_exec_inactive");
    assert_eq!(err, ValidationError::PostExecInactive { timestamp: 1_000, lagoon_time: 1_001 });
    // At the Lagoon time, and without one, it is taken.
    assert!(after(&block, 2, Some(1_000)).current_block().unwrap().post_exec_tx().is_some());
    assert!(after(&block, 2, None).current_block().unwrap().post_exec_tx().is_some());
}

#[test]
fn post_exec_invalid_does_not_decode_another_block_or_version() {
    let block = subblocks(7, 1_000);
    let n = number(&block);
    let at1 = first_of(&block, 1);
    let mut v = after(&block, 1, Some(0));
    let mut bad = block[1].clone();
    for (raw, what) in [
        (Bytes::from_static(&[0x7d, 0xc0]), "no fields"),
        (Bytes::from_static(&[0x02, 0xc0]), "another type"),
        (Bytes::new(), "empty"),
        (post_exec_raw(2, n, &[(at1, 10)]), "version 2"),
        (post_exec_raw(0, n, &[(at1, 10)]), "version 0"),
    ] {
        bad.diff.post_exec_tx = Some(raw);
        let err = rejects(&mut v, &bad, "post_exec_invalid");
        assert!(
            matches!(
                err,
                ValidationError::PostExecInvalid(flashblocks_validate::PostExecInvalid::Decode(_))
            ),
            "{what}: {err}"
        );
    }
    bad.diff.post_exec_tx = Some(post_exec_raw(1, n + 1, &[(at1, 10)]));
    assert_eq!(
        rejects(&mut v, &bad, "post_exec_invalid"),
        ValidationError::PostExecInvalid(flashblocks_validate::PostExecInvalid::BlockNumber {
            expected: n,
            received: n + 1
        })
    );
}

#[test]
fn sdm_invalid_empty_zero_unordered_deposit_or_past_the_block() {
    let block = subblocks(8, 1_000);
    let n = number(&block);
    let at1 = first_of(&block, 1);
    let end = first_of(&block, 2);
    let mut v = after(&block, 1, Some(0));
    let mut bad = block[1].clone();
    let cases: [(&[(u64, u64)], SdmInvalid); 6] = [
        (&[], SdmInvalid::Empty),
        (&[(at1, 0)], SdmInvalid::ZeroRefund { index: at1 }),
        (&[(at1 + 1, 5), (at1, 5)], SdmInvalid::NotIncreasing { previous: at1 + 1, index: at1 }),
        (&[(at1, 5), (at1, 6)], SdmInvalid::NotIncreasing { previous: at1, index: at1 }),
        (&[(0, 5)], SdmInvalid::Deposit { index: 0 }),
        (&[(end, 5)], SdmInvalid::NoSuchTransaction { index: end, transactions: end }),
    ];
    for (entries, reason) in cases {
        bad.diff.post_exec_tx = Some(post_exec_raw(1, n, entries));
        assert_eq!(rejects(&mut v, &bad, "sdm_invalid"), ValidationError::SdmInvalid(reason));
    }
    // The last transaction of the block so far is fine.
    bad.diff.post_exec_tx = Some(post_exec_raw(1, n, &[(end - 1, 5)]));
    accept(&mut v, &bad);
}

#[test]
fn sdm_restated_changes_removes_or_reaches_back() {
    let mut block = subblocks(10, 1_000);
    let n = number(&block);
    let (at1, at2) = (first_of(&block, 1), first_of(&block, 2));
    block[1].diff.post_exec_tx = Some(post_exec_raw(1, n, &[(at1, 50)]));
    let mut v = after(&block, 2, Some(0));
    let mut bad = block[2].clone();
    let earlier = SDMGasEntry { index: at1, gas_refund: 50 };
    let cases: [(&[(u64, u64)], SdmRestated); 4] = [
        (
            &[(at1, 51)],
            SdmRestated::Changed {
                earlier: earlier.clone(),
                received: Some(SDMGasEntry { index: at1, gas_refund: 51 }),
            },
        ),
        (
            &[(at2, 5)],
            SdmRestated::Changed {
                earlier: earlier.clone(),
                received: Some(SDMGasEntry { index: at2, gas_refund: 5 }),
            },
        ),
        (&[(at1, 50), (at1 + 1, 5)], SdmRestated::EarlierSubblock { index: at1 + 1, first: at2 }),
        (&[(at1, 50), (at2 - 1, 5)], SdmRestated::EarlierSubblock { index: at2 - 1, first: at2 }),
    ];
    for (entries, reason) in cases {
        bad.diff.post_exec_tx = Some(post_exec_raw(1, n, entries));
        assert_eq!(rejects(&mut v, &bad, "sdm_restated"), ValidationError::SdmRestated(reason));
    }
    // Restated unchanged, with an entry of its own subblock appended: accepted.
    bad.diff.post_exec_tx = Some(post_exec_raw(1, n, &[(at1, 50), (at2, 5)]));
    assert_eq!(accept(&mut v, &bad).post_exec_tx().unwrap().gas_refund_entries().len(), 2);
    // A subblock that omits it after a later one carried it: entries of the skipped
    // subblock can no longer be added.
    let mut v = after(&block, 3, Some(0));
    let at3 = first_of(&block, 3);
    let mut late = block[3].clone();
    late.diff.post_exec_tx = Some(post_exec_raw(1, n, &[(at1, 50), (at2, 5), (at3, 1)]));
    assert_eq!(
        rejects(&mut v, &late, "sdm_restated"),
        ValidationError::SdmRestated(SdmRestated::EarlierSubblock { index: at2, first: at3 })
    );
}

#[test]
fn a_receipt_for_the_post_exec_transaction_has_no_transaction() {
    let mut block = subblocks(11, 1_000);
    let n = number(&block);
    let at1 = first_of(&block, 1);
    let raw = post_exec_raw(1, n, &[(at1, 5)]);
    block[1].diff.post_exec_tx = Some(raw.clone());
    let receipt = op_receipt();
    block[1]
        .metadata
        .receipts
        .get_or_insert_with(Default::default)
        .insert(keccak256(&raw), receipt);
    let mut v = after(&block, 1, Some(0));
    assert_eq!(
        rejects(&mut v, &block[1], "receipt_without_transaction"),
        ValidationError::ReceiptWithoutTransaction { hash: keccak256(&raw) }
    );
}

/// A post-exec receipt as post-exec.md describes it: status 1, no logs.
fn op_receipt() -> op_alloy_consensus::OpReceipt {
    op_alloy_consensus::OpReceipt::PostExec(alloy_consensus::Receipt {
        status: alloy_consensus::Eip658Value::Eip658(true),
        cumulative_gas_used: 21_000,
        logs: vec![],
    })
}
