//! Lagoon's Sequencer-Defined Metering in execution: the executing builder's subblocks
//! carry a post-exec transaction with refunds; a receiver re-executes them to the
//! builder's facts, settles each refund as sdm.md says (checked here against balances
//! computed from the transactions, not by the code under test), includes the post-exec
//! receipt in the receipts root, and refuses a refund it cannot settle.

use crate::reexecute::{plans, reexecute_on};
use alloy_consensus::{proofs::ordered_trie_root_with_encoder, ReceiptWithBloom, Transaction};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Address, TxKind, U256};
use flashblocks_execute::{
    builder::{post_exec_tx, sdm_refund, ExecutingBuilder, TxPlan, BASE_FEE, SEQUENCER_FEE_VAULT},
    Executor,
};
use flashblocks_types::{ExecutedReceipt, Flashblock};
use flashblocks_validate::{ExecutedFact, FactSubject};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope, OpTxType, SDMGasEntry};
use revm::DatabaseRef;
use std::collections::BTreeMap;

const BASE_FEE_VAULT: Address = op_revm::constants::BASE_FEE_RECIPIENT;
const OPERATOR_FEE_VAULT: Address = op_revm::constants::OPERATOR_FEE_RECIPIENT;
const L1_FEE_VAULT: Address = op_revm::constants::L1_FEE_RECIPIENT;

#[test]
fn lagoon_subblocks_with_refunds_reexecute_to_the_builders_facts() {
    let plan = vec![
        vec![TxPlan::Transfer, TxPlan::Transfer],
        vec![],
        vec![TxPlan::Deploy, TxPlan::Call, TxPlan::LegacyTransfer],
        vec![TxPlan::RevertingCall, TxPlan::Delegate],
    ];
    for hardfork in [OpHardfork::Isthmus, OpHardfork::Jovian] {
        reexecute_on(ExecutingBuilder::new(hardfork).with_lagoon(), &[plan.clone(), plan.clone()]);
    }
    // The blocks carry refunds, restated append-only, omitted where nothing is new.
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_lagoon();
    let block = builder.next_block(&plan);
    let restated: Vec<Option<Vec<SDMGasEntry>>> = block
        .iter()
        .map(|b| {
            b.flashblock.post_exec_tx().map(|raw| {
                let tx = flashblocks_types::PostExecTx::decode(raw.clone()).unwrap();
                assert_eq!(tx.block_number(), 1);
                tx.gas_refund_entries().to_vec()
            })
        })
        .collect();
    let entry = |index| SDMGasEntry { index, gas_refund: sdm_refund(index).unwrap() };
    // Block indices: 0-1 the deposits, 2-3 flashblock 1, 4-6 flashblock 3, 7-8 flashblock 4.
    assert_eq!(
        restated,
        vec![
            None,
            Some(vec![entry(3)]),
            None,
            Some(vec![entry(3), entry(5)]),
            Some(vec![entry(3), entry(5), entry(7)]),
        ]
    );
    let refunded: Vec<(u64, u64)> = block
        .iter()
        .flat_map(|b| b.executed.receipts.iter())
        .filter_map(|r| r.op_gas_refund.map(|refund| (r.cumulative_gas_used(), refund)))
        .collect();
    assert_eq!(refunded.len(), 3);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 8, ..Default::default() })]

    #[test]
    fn random_lagoon_mixes_with_refunds_reexecute(plans in plans()) {
        reexecute_on(ExecutingBuilder::new(OpHardfork::Isthmus).with_lagoon(), &plans);
    }
}

/// The balances a flashblock of plain transfers leaves, modelled from the transactions
/// and receipts alone: each transfer moves its value; its sender pays canonical gas ×
/// effective gas price, its L1 fee and Jovian's operator fee for the canonical gas
/// (`gas × 1 × 100 + 100`, the builder's scalar 1 and constant 100); the fee recipient
/// gets the tip, the base fee vault the base fee, the operator fee vault the operator
/// fee, each for the canonical gas.
fn modelled_balances(
    before: impl Fn(Address) -> U256,
    raws: &[alloy_primitives::Bytes],
    receipts: &[ExecutedReceipt],
) -> BTreeMap<Address, U256> {
    let mut after = BTreeMap::new();
    let mut moved = |address: Address, f: &dyn Fn(U256) -> U256| {
        let current = *after.entry(address).or_insert_with(|| before(address));
        after.insert(address, f(current));
    };
    for (raw, receipt) in raws.iter().zip(receipts) {
        let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
        let sender = alloy_consensus::transaction::SignerRecoverable::recover_signer(&tx).unwrap();
        let TxKind::Call(to) = tx.kind() else { panic!("a transfer") };
        let value = tx.value();
        let gas = U256::from(receipt.gas_used);
        let price = U256::from(tx.effective_gas_price(Some(BASE_FEE)));
        let base = U256::from(BASE_FEE);
        let operator = gas * U256::from(100) + U256::from(100);
        let l1 = U256::from(receipt.l1_block_info.l1_fee.unwrap());
        moved(sender, &|b| b - value - gas * price - l1 - operator);
        moved(to, &|b| b + value);
        moved(SEQUENCER_FEE_VAULT, &|b| b + gas * (price - base));
        moved(BASE_FEE_VAULT, &|b| b + gas * base);
        moved(OPERATOR_FEE_VAULT, &|b| b + operator);
        moved(L1_FEE_VAULT, &|b| b + l1);
    }
    after
}

#[test]
fn a_refund_moves_the_four_balances_by_exactly_the_settled_amounts() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Jovian).with_lagoon();
    let block = builder.next_block(&[vec![TxPlan::Transfer, TxPlan::Transfer]]);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let first = receiver.execute(&block[0].json_stripped(), true).unwrap();
    receiver.commit(first);
    let balance_now = |receiver: &Executor<_>, a: Address| {
        receiver.pending_state().unwrap().basic_ref(a).unwrap().map_or(U256::ZERO, |i| i.balance)
    };
    let before: BTreeMap<Address, U256> = builder
        .dev_accounts()
        .into_iter()
        .chain([SEQUENCER_FEE_VAULT, BASE_FEE_VAULT, OPERATOR_FEE_VAULT, L1_FEE_VAULT])
        .map(|a| (a, balance_now(&receiver, a)))
        .collect();
    let execution = receiver.execute(&block[1].json_stripped(), false).unwrap();
    assert_eq!(execution.proof(), Ok(()));
    let receipts = execution.metadata().receipts.clone();
    receiver.commit(execution);
    // Block index 2 is not refunded; index 3 is, by 2 000 gas (1 000 × (1 + 3 / 2)):
    // 21 000 - 2 000 = 19 000 canonical gas.
    assert_eq!(sdm_refund(3), Some(2_000));
    assert_eq!((receipts[0].gas_used, receipts[0].op_gas_refund), (21_000, None));
    assert_eq!((receipts[1].gas_used, receipts[1].op_gas_refund), (19_000, Some(2_000)));
    // The deposits' cumulative gas, then 21 000 + 19 000.
    let deposits = block[0].executed.cumulative_gas_used().unwrap();
    assert_eq!(receipts[1].cumulative_gas_used(), deposits + 40_000);
    let raws = block[1].flashblock.transactions();
    let modelled = modelled_balances(|a| before[&a], raws, &receipts);
    for (address, expected) in &modelled {
        assert_eq!(balance_now(&receiver, *address), *expected, "{address}");
    }
    // Written out for the vaults (the fee recipient and the base fee vault started the
    // block at zero): base fee vault (21 000 + 19 000) × 10^6; fee recipient
    // 40 000 × 1 000 (the tip); operator fee vault (21 000 × 100 + 100) +
    // (19 000 × 100 + 100) = 4 000 200.
    assert_eq!(before[&BASE_FEE_VAULT], U256::ZERO);
    assert_eq!(modelled[&BASE_FEE_VAULT], U256::from(40_000_000_000u64));
    assert_eq!(
        modelled[&SEQUENCER_FEE_VAULT] - before[&SEQUENCER_FEE_VAULT],
        U256::from(40_000_000u64)
    );
    assert_eq!(
        modelled[&OPERATOR_FEE_VAULT] - before[&OPERATOR_FEE_VAULT],
        U256::from(4_000_200u64)
    );
}

#[test]
fn the_receipts_root_covers_the_post_exec_receipt() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_lagoon();
    let block = builder.next_block(&[vec![TxPlan::Transfer, TxPlan::Transfer], vec![TxPlan::Call]]);
    let mut receipts: Vec<OpReceiptEnvelope> = Vec::new();
    for built in &block {
        receipts.extend(built.executed.receipts.iter().map(|r| {
            OpReceiptEnvelope::from(ReceiptWithBloom {
                receipt: r.receipt.clone(),
                logs_bloom: r.bloom(),
            })
        }));
        let cumulative = receipts.last().map_or(0, |r| r.cumulative_gas_used());
        let mut sealed = receipts.clone();
        if built.flashblock.index() > 0 {
            // post-exec.md, "Receipt": status 1, no logs, the cumulative gas before it.
            sealed.push(OpReceiptEnvelope::from_parts(
                true,
                cumulative,
                std::iter::empty(),
                OpTxType::PostExec,
                None,
                None,
            ));
        }
        let root = ordered_trie_root_with_encoder(&sealed, |r, buf| r.encode_2718(buf));
        assert_eq!(
            built.flashblock.diff().receipts_root,
            root,
            "index {}",
            built.flashblock.index()
        );
    }
}

/// `built`'s stripped JSON with `post_exec_tx` replaced by one carrying `entries`.
fn with_entries(
    built: &flashblocks_execute::builder::BuiltFlashblock,
    entries: Vec<SDMGasEntry>,
) -> Flashblock {
    let mut json = built.json.clone();
    json.metadata = Default::default();
    json.diff.post_exec_tx = Some(post_exec_tx(1, entries));
    Flashblock::from_json(json)
}

#[test]
fn a_refund_above_the_evm_gas_or_of_a_deposit_is_a_mismatch() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_lagoon();
    let block = builder.next_block(&[vec![TxPlan::Transfer, TxPlan::Transfer]]);
    let receiver = || {
        let mut r = Executor::new(builder.config().clone(), builder.genesis_states());
        let first = r.execute(&block[0].json_stripped(), true).unwrap();
        r.commit(first);
        r
    };
    // Block index 3 used 21 000 gas: a refund of 21 001 cannot be settled.
    let r = receiver();
    let execution = r
        .execute(
            &with_entries(&block[1], vec![SDMGasEntry { index: 3, gas_refund: 21_001 }]),
            false,
        )
        .unwrap();
    let mismatch = execution.proof().unwrap_err();
    assert_eq!(mismatch.fact, ExecutedFact::GasRefund);
    assert!(matches!(mismatch.subject, FactSubject::Transaction { index: 1, .. }));
    assert_eq!(mismatch.claimed, flashblocks_validate::FactValue::Quantity(U256::from(21_001)));
    // A deposit (block index 1, the user deposit) has no refundable gas.
    let mut json = block[0].json.clone();
    json.metadata = Default::default();
    json.diff.post_exec_tx = Some(post_exec_tx(1, vec![SDMGasEntry { index: 1, gas_refund: 1 }]));
    let fresh = Executor::new(builder.config().clone(), builder.genesis_states());
    let execution = fresh.execute(&Flashblock::from_json(json), true).unwrap();
    assert_eq!(execution.proof().unwrap_err().fact, ExecutedFact::GasRefund);
    // The builder's own refund settles; a smaller one differs only in the claims.
    let r = receiver();
    let execution = r
        .execute(&with_entries(&block[1], vec![SDMGasEntry { index: 3, gas_refund: 1_000 }]), false)
        .unwrap();
    assert_eq!(execution.proof().unwrap_err().fact, ExecutedFact::GasUsed);
}

/// The block gas limit bounds the gas before refunds (as the optimism monorepo's
/// executor admits transactions): with `D` the deposits' gas, 48 transfers (block
/// indices 2..=49, every odd one refunded) fit a limit of `D + 48 x 21 000`, and the
/// 48th does not fit one gas less (`D + 47 x 21 000` EVM gas before it leaves 20 999),
/// although the canonical gas before it (less the refunds) would leave room. The limit
/// stays above the L1-info deposit's gas limit (1 000 000).
#[test]
fn the_block_gas_limit_bounds_the_gas_before_refunds() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_lagoon();
    let block = builder.next_block(&[vec![TxPlan::Transfer; 48]]);
    let deposits = block[0].executed.cumulative_gas_used().unwrap();
    let refunded: u64 = block[1].executed.receipts.iter().filter_map(|r| r.op_gas_refund).sum();
    assert!(refunded > 0);
    let fit = deposits + 48 * 21_000;
    assert!(fit - 1 > 1_000_000);
    for (limit, fits) in [(fit, true), (fit - 1, false)] {
        let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
        let mut first = block[0].json.clone();
        first.metadata = Default::default();
        first.base.as_mut().unwrap().gas_limit = limit;
        let execution = receiver.execute(&Flashblock::from_json(first), true).unwrap();
        receiver.commit(execution);
        match receiver.execute(&block[1].json_stripped(), false) {
            Ok(execution) => {
                assert!(fits, "{limit}");
                assert_eq!(execution.gas_used(), fit - refunded);
            }
            Err(flashblocks_execute::ExecuteError::TransactionRejected { index, .. }) => {
                assert!(!fits, "{limit}");
                assert_eq!(index, 47);
            }
            Err(other) => panic!("{other}"),
        }
    }
}
