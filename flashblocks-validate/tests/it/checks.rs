//! The optional checks: the tip (`head_mismatch`) and the caller's extra checks.

use crate::{accept, blocks, reject};
use alloy_primitives::B256;
use flashblocks_types::{Dialect, Flashblock, FlashblockSource};
use flashblocks_validate::{
    CheckFailure, CheckOutput, ExecutedFact, ExecutionMismatch, FactSubject, FactValue,
    FlashblockCheck, RuleSet, Tip, ValidationError, Validator, ValidatorConfig,
};
use std::sync::{Arc, Mutex};

#[test]
fn head_check() {
    let chain = blocks(20, 2);
    let base = chain[0][0].base.clone().unwrap();
    let tip = Tip {
        hash: base.parent_hash,
        number: base.block_number - 1,
        timestamp: base.timestamp - 2,
    };
    let mut v = Validator::default();
    let wrong = Tip { hash: B256::repeat_byte(1), ..tip };
    v.set_tip(Some(wrong));
    assert_eq!(
        reject(&mut v, &chain[0][0]),
        ValidationError::HeadMismatch {
            tip: wrong,
            parent_hash: base.parent_hash,
            number: base.block_number,
            timestamp: base.timestamp,
        }
    );
    v.set_tip(Some(Tip { timestamp: base.timestamp, ..tip }));
    assert!(reject(&mut v, &chain[0][0]).is_optional_check());
    v.set_tip(Some(tip));
    accept(&mut v, &chain[0][0]);
    // Only index 0 is checked against the tip.
    v.set_tip(Some(wrong));
    accept(&mut v, &chain[0][1]);
    // The caller moves the tip to the block it just completed.
    v.set_tip(Some(Tip {
        hash: chain[0][3].diff.block_hash,
        number: base.block_number,
        timestamp: base.timestamp,
    }));
    accept(&mut v, &chain[1][0]);
}

/// Records the calls it gets; fails the candidates whose index is `fail_at`.
#[derive(Debug)]
struct Probe {
    fail_at: u64,
    log: Arc<Mutex<Vec<String>>>,
}

impl FlashblockCheck for Probe {
    fn check(
        &mut self,
        candidate: &Flashblock,
        starts_block: bool,
        _dialect: Dialect,
    ) -> Result<CheckOutput, CheckFailure> {
        self.log.lock().unwrap().push(format!("check {} {starts_block}", candidate.index()));
        if candidate.index() == self.fail_at {
            return Err(CheckFailure::BlockHashMismatch {
                computed: B256::ZERO,
                claimed: candidate.diff().block_hash,
            });
        }
        Ok(CheckOutput::None)
    }

    fn commit(&mut self, accepted: &Flashblock, starts_block: bool) {
        self.log.lock().unwrap().push(format!("commit {} {starts_block}", accepted.index()));
    }

    fn reset(&mut self) {
        self.log.lock().unwrap().push("reset".into());
    }
}

#[test]
fn extra_checks_run_last_and_commit_only_on_acceptance() {
    let block = &blocks(21, 1)[0];
    let first = Arc::new(Mutex::new(Vec::new()));
    let second = Arc::new(Mutex::new(Vec::new()));
    let mut v = Validator::default()
        .with_check(Box::new(Probe { fail_at: 99, log: Arc::clone(&first) }))
        .with_check(Box::new(Probe { fail_at: 1, log: Arc::clone(&second) }));
    accept(&mut v, &block[0]);
    let err = reject(&mut v, &block[1]);
    assert_eq!(
        err,
        ValidationError::BlockHashMismatch {
            computed: B256::ZERO,
            claimed: block[1].diff.block_hash
        }
    );
    assert_eq!(err.rule_id(), "block_hash_mismatch");
    // A built-in rejection never reaches the checks; a duplicate neither.
    assert_eq!(reject(&mut v, &block[2]).rule_id(), "index_gap");
    assert!(v.validate(Flashblock::from_v1(block[0].clone())).unwrap().is_duplicate());
    v.reset();
    let first = first.lock().unwrap().clone();
    assert_eq!(first, ["check 0 true", "commit 0 true", "check 1 false", "reset"]);
    let second = second.lock().unwrap().clone();
    assert_eq!(second, ["check 0 true", "commit 0 true", "check 1 false", "reset"]);
    assert_eq!(
        ValidationError::from(CheckFailure::ExecutionInvalid(Box::new(ExecutionMismatch {
            fact: ExecutedFact::GasUsed,
            subject: FactSubject::Block,
            executed: FactValue::Absent,
            claimed: FactValue::Absent,
        })))
        .rule_id(),
        "execution_invalid"
    );
}

#[test]
fn rule_sets_are_configured_not_guessed() {
    let block = &blocks(22, 1)[0];
    let mut v = Validator::new(ValidatorConfig::json());
    assert_eq!(v.rule_set(), RuleSet::Json);
    // An SSZ frame on a JSON stream is read as JSON, and is not.
    assert_eq!(v.validate_frame(&block[0].encode_ssz()).unwrap_err().rule_id(), "malformed");
    // A decoded V1 flashblock on a JSON stream is a source mismatch.
    let err = v.validate(Flashblock::from_v1(block[0].clone())).unwrap_err();
    assert_eq!(
        err,
        ValidationError::SourceMismatch { expected: RuleSet::Json, received: FlashblockSource::V1 }
    );
    assert_eq!(err.rule_id(), "source_mismatch");
    assert!(v.current_block().is_none());
    let json_ids: Vec<_> = RuleSet::Json.rule_ids().collect();
    assert!(!json_ids.contains(&"parent_hash_mismatch"));
    assert!(json_ids.contains(&"gas_over_limit"));
    // 9 V1-only rules off, 8 JSON-only dialect rules on (3 dialect, 5 Lagoon).
    assert_eq!(json_ids.len() + 9, RuleSet::V1.rule_ids().count() + 8);
}
