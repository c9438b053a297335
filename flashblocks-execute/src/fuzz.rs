//! Fuzz target bodies (behind `test-utils`), also run over a checked-in corpus by
//! `cargo test`.

use crate::{
    builder::{ExecutingBuilder, TxPlan},
    Enforcement, ExecutionCheck, Executor,
};
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Bytes, U256};
use flashblocks_types::Flashblock;
use flashblocks_validate::{FlashblockCheck, Validator, ValidatorConfig};

/// The transaction kinds an input byte picks (`None`: an empty slot).
const PLANS: [Option<TxPlan>; 7] = [
    Some(TxPlan::Transfer),
    Some(TxPlan::LegacyTransfer),
    Some(TxPlan::Deploy),
    Some(TxPlan::Call),
    Some(TxPlan::RevertingCall),
    Some(TxPlan::Delegate),
    None,
];

/// An executed stream from arbitrary bytes: the first bytes plan up to two blocks of an
/// executing builder (flashblocks and transaction kinds), the rest mutate the stripped
/// JSON flashblocks on their way to a JSON validator with an [`ExecutionCheck`] in
/// report mode (corrupt a transaction byte, cut a transaction, shift `gas_used`, change
/// a carried balance, drop or repeat a flashblock). Nothing panics; every unmutated
/// flashblock the check executes gives exactly the builder's executed facts, and a
/// second, enforcing check never accepts what the reporting one found wrong.
///
/// # Panics
///
/// When one of those properties fails (that is the finding).
pub fn executed_stream(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let mut next = move || bytes.next();
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let states = builder.genesis_states();
    let reporting = ExecutionCheck::new(Executor::new(builder.config().clone(), states.clone()));
    let mut enforcing = ExecutionCheck::new(Executor::new(builder.config().clone(), states))
        .with_enforcement(Enforcement::Enforce);
    let mut reporting = reporting;
    let mut validator = Validator::new(ValidatorConfig::json());
    let blocks = 1 + usize::from(next().unwrap_or(0) % 2);
    for _ in 0..blocks {
        let flashblocks = usize::from(next().unwrap_or(1) % 4);
        let plan: Vec<Vec<TxPlan>> = (0..flashblocks)
            .map(|_| {
                (0..3)
                    .filter_map(|_| {
                        PLANS.get(usize::from(next().unwrap_or(6) % 7)).copied().flatten()
                    })
                    .collect()
            })
            .collect();
        for built in builder.next_block(&plan) {
            let mutation = next().unwrap_or(0);
            let mut json = built.json.clone();
            json.metadata.receipts = None;
            let mutated = mutate(&mut json, mutation, next().unwrap_or(0));
            let fb = Flashblock::from_json(json);
            let repeats = if mutation % 8 == 7 { 2 } else { 1 };
            for _ in 0..repeats {
                if mutation % 8 == 6 {
                    continue; // dropped
                }
                feed(&mut validator, &mut reporting, &mut enforcing, &fb, mutated, &built.executed);
            }
        }
    }
}

/// Applies mutation `kind` (with parameter `p`) to `json`; whether it changed it.
fn mutate(json: &mut flashblocks_types::FlashblockJson, kind: u8, p: u8) -> bool {
    match kind % 8 {
        1 => match json.diff.transactions.last_mut() {
            Some(tx) if !tx.is_empty() => {
                let mut raw = tx.to_vec();
                let i = usize::from(p) % raw.len();
                if let Some(byte) = raw.get_mut(i) {
                    *byte ^= 1 | p;
                }
                *tx = Bytes::from(raw);
                true
            }
            _ => false,
        },
        2 => match json.diff.transactions.last_mut() {
            Some(tx) if tx.len() > 1 => {
                *tx = tx.slice(..tx.len() / 2);
                true
            }
            _ => false,
        },
        3 => {
            json.diff.gas_used = json.diff.gas_used.wrapping_add(u64::from(p) + 1);
            true
        }
        4 => {
            match json.metadata.new_account_balances.as_mut().and_then(|b| b.values_mut().next()) {
                Some(balance) => {
                    *balance = balance.wrapping_add(U256::from(p) + U256::from(1));
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// Feeds one flashblock to the validator and both checks, checking the properties.
fn feed<C: crate::CanonicalStates>(
    validator: &mut Validator,
    reporting: &mut ExecutionCheck<C>,
    enforcing: &mut ExecutionCheck<C>,
    fb: &Flashblock,
    mutated: bool,
    expected: &flashblocks_types::ExecutedMetadata,
) {
    let Ok(outcome) = validator.validate(fb.clone()) else { return };
    let Some(accepted) = outcome.accepted() else { return };
    let starts = accepted.starts_block();
    let in_step = reporting.executor().current() == enforcing.executor().current()
        && reporting.executor().preconfirmed() == enforcing.executor().preconfirmed()
        && !reporting.is_broken(fb.payload_id());
    let dialect = accepted.dialect();
    let reported = reporting.check(fb, starts, dialect);
    assert!(reported.is_ok(), "report mode never rejects");
    let executed = reporting.last_executed().cloned();
    let enforced = enforcing.check(fb, starts, dialect);
    if let (Some(executed), false) = (&executed, mutated) {
        assert_eq!(executed.as_ref(), expected, "unmutated flashblock, other facts");
    }
    reporting.commit(fb, starts);
    if enforced.is_ok() {
        enforcing.commit(fb, starts);
    }
    let mismatch_reported = reporting
        .take_reports()
        .iter()
        .any(|r| matches!(r, crate::ExecutionReport::Mismatch { .. }));
    if in_step {
        // Two checks on the same state: one reports exactly what the other rejects.
        assert_eq!(mismatch_reported, enforced.is_err(), "report and enforce disagree");
    }
}
