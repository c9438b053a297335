//! Error texts: sentences with the facts, no `Debug` formatting, and a cause's text said
//! once (in the text, not again as a `source`).

use flashblocks_types::{CodecError, FlashblockSource};
use flashblocks_validate::{
    ExecutedFact, ExecutionMismatch, FactSubject, FactValue, RuleSet, Tip, TransactionRejection,
    ValidationError,
};
use std::error::Error as _;

#[test]
fn texts_use_display_forms() {
    let e =
        ValidationError::SourceMismatch { expected: RuleSet::V1, received: FlashblockSource::Json };
    assert_eq!(e.to_string(), "a JSON flashblock on a stream configured for the V1 rule set");

    let e = ValidationError::MissingL1InfoDeposit { first_type: Some(2) };
    assert_eq!(
        e.to_string(),
        "index 0 does not start with the L1-info deposit (first type byte 0x02)"
    );
    let e = ValidationError::MissingL1InfoDeposit { first_type: None };
    assert_eq!(e.to_string(), "index 0 does not start with the L1-info deposit (no transactions)");

    let e = ValidationError::GasAccountingMismatch { increase: 5, metadata_sum: None };
    assert_eq!(e.to_string(), "gas_used rose by 5, the transactions' gas sums to more than 2^64");

    let tip = Tip { hash: Default::default(), number: 7, timestamp: 9 };
    assert!(tip.to_string().starts_with("7 (0x0000"), "{tip}");

    let m = ExecutionMismatch {
        fact: ExecutedFact::Executable,
        subject: FactSubject::Transaction { index: 3, hash: Default::default() },
        executed: FactValue::Rejected(TransactionRejection::BadSignature),
        claimed: FactValue::Absent,
    };
    let text = m.to_string();
    assert!(text.starts_with("executability of transaction 3 (0x"), "{text}");
    assert!(text.ends_with("executed rejected (the signature recovers no sender), claimed absent"));
}

#[test]
fn a_cause_is_said_once() {
    let cause = CodecError::FrameTooShort { len: 2 };
    let e = ValidationError::from(cause.clone());
    assert!(e.to_string().contains(&cause.to_string()), "{e}");
    assert!(e.source().is_none(), "the cause's text is in the message; no source repeats it");
}
