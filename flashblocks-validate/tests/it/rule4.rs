//! Rule 4's block-start window over the crate's own fixtures (`tests/fixtures/rule4/`):
//! pauses of 100 and 1,000 blocks, a far-off block start followed by the real stream,
//! replays one to five blocks back after a reconnect, each with and without a
//! canonical head. The receiver's steps (pending blocks, state reads, payloads) are run
//! by the facade's tests; here the validator's answers, and every rejection leaves the
//! validator as it was.

use flashblocks_validate::{
    fixture::{self, Expect, Step},
    BlockStart, StaleBy, ValidationError, Validator, ValidatorConfig,
};

#[test]
fn rule4_fixtures() {
    let fixtures = fixture::rule4_fixtures();
    let mut restarts = 0;
    for fixture in &fixtures {
        let mut validator = Validator::new(ValidatorConfig::default());
        for (line, step) in &fixture.steps {
            let at = format!("{} line {line}", fixture.name);
            match step {
                Step::Head(number) => validator.set_canonical_head(Some(*number)),
                Step::ResetStream => {
                    let newest = validator.newest_block();
                    validator.reset_stream();
                    assert_eq!(validator.current_block(), None, "{at}");
                    assert_eq!(validator.newest_block(), newest, "{at}: C survives a reconnect");
                }
                Step::Frame { number, payload, index, expect } => {
                    let fb = fixture::flashblock(*number, *payload, *index);
                    let (current, newest) =
                        (validator.current_block().cloned(), validator.newest_block());
                    let got = validator.validate(fb);
                    match (expect, got) {
                        (Expect::Accept, Ok(outcome)) => {
                            let token =
                                outcome.accepted().unwrap_or_else(|| panic!("{at}: {outcome:?}"));
                            assert!(!token.block_start().is_some_and(|s| s.is_restart()), "{at}");
                            assert_eq!(token.block_number(), *number, "{at}");
                        }
                        (Expect::Duplicate, Ok(outcome)) => assert!(outcome.is_duplicate(), "{at}"),
                        (Expect::Restart(expected), Ok(outcome)) => {
                            let token =
                                outcome.accepted().unwrap_or_else(|| panic!("{at}: {outcome:?}"));
                            assert_eq!(
                                token.block_start(),
                                Some(BlockStart::Restart { newest: *expected }),
                                "{at}"
                            );
                            assert_eq!(
                                validator.newest_block(),
                                Some(*number),
                                "{at}: C starts over"
                            );
                            assert_eq!(
                                validator.current_block().map(|c| c.next_index()),
                                Some(1),
                                "{at}"
                            );
                            restarts += 1;
                        }
                        (Expect::Reject(rule), Err(err)) => {
                            assert_eq!(err.rule_id(), rule, "{at}: {err}");
                            assert_eq!(
                                validator.current_block(),
                                current.as_ref(),
                                "{at}: state moved"
                            );
                            assert_eq!(validator.newest_block(), newest, "{at}: C moved");
                        }
                        (expect, got) => panic!("{at}: expected {expect:?}, got {got:?}"),
                    }
                }
                Step::Pending(_)
                | Step::State(_)
                | Step::Payloads(_)
                | Step::Transaction { .. } => {}
            }
        }
    }
    assert_eq!(
        fixtures.len(),
        8,
        "pauses of 100 and 1,000, far-off, replay; with and without a head"
    );
    assert_eq!(restarts, 3, "far-off, and five back with and without a head");
}

/// The table's rows, in its order, on one validator: each boundary on both sides.
#[test]
fn the_window_boundaries() {
    let mut v = Validator::new(ValidatorConfig::default());
    let start = |v: &mut Validator, n: u64, p: u8| v.validate(fixture::flashblock(n, p, 0));
    start(&mut v, 1000, 0).expect("first");
    v.set_canonical_head(Some(990));
    // B ≤ H, checked before the replay window.
    let err = start(&mut v, 990, 1).unwrap_err();
    assert_eq!(
        err,
        ValidationError::StaleBlock { received: 990, by: StaleBy::CanonicalHead { head: 990 } }
    );
    // B = H + 64 is within the bound, H + 65 is not.
    assert_eq!(
        start(&mut v, 1055, 0).unwrap_err(),
        ValidationError::TooFarAhead { received: 1055, canonical: 990, max_blocks_ahead: 64 }
    );
    assert!(start(&mut v, 1054, 0).unwrap().is_accepted());
    // C - 4 ≤ B < C: a replay; C - 5 a restart.
    let err = start(&mut v, 1050, 0).unwrap_err();
    assert_eq!(
        err,
        ValidationError::StaleBlock { received: 1050, by: StaleBy::Replay { newest: 1054 } }
    );
    let outcome = start(&mut v, 1049, 0).unwrap();
    assert_eq!(
        outcome.accepted().unwrap().block_start(),
        Some(BlockStart::Restart { newest: 1054 })
    );
    // The same number again is a failover; the configured distances apply.
    let outcome = start(&mut v, 1049, 1).unwrap();
    assert!(matches!(outcome.accepted().unwrap().block_start(), Some(BlockStart::Failover { .. })));
    let config = ValidatorConfig::default().with_max_blocks_ahead(2).with_max_replay_distance(0);
    let mut v = Validator::new(config);
    v.set_canonical_head(Some(10));
    assert_eq!(start(&mut v, 13, 0).unwrap_err().rule_id(), "too_far_ahead");
    start(&mut v, 12, 0).unwrap();
    let outcome = start(&mut v, 11, 0).unwrap();
    assert_eq!(outcome.accepted().unwrap().block_start(), Some(BlockStart::Restart { newest: 12 }));
    // A full reset forgets C: what was a replay is a first block.
    let mut v = Validator::new(ValidatorConfig::default());
    start(&mut v, 1000, 0).unwrap();
    assert_eq!(start(&mut v, 999, 0).unwrap_err().rule_id(), "stale_block");
    v.reset();
    assert_eq!(v.newest_block(), None);
    let outcome = start(&mut v, 999, 0).unwrap();
    assert_eq!(outcome.accepted().unwrap().block_start(), Some(BlockStart::First));
}

/// A restart rejected by a later rule changes nothing, checks included.
#[test]
fn a_rejected_restart_changes_nothing() {
    let mut v = Validator::new(ValidatorConfig::default());
    v.validate(fixture::flashblock(1000, 0, 0)).unwrap();
    v.validate(fixture::flashblock(1000, 0, 1)).unwrap();
    let mut bad = fixture::payload(900, 0, 0);
    bad.diff.gas_used += 1;
    let before = v.current_block().cloned();
    let err = v.validate(flashblocks_types::Flashblock::from_v1(bad)).unwrap_err();
    assert_eq!(err.rule_id(), "gas_accounting_mismatch");
    assert_eq!(v.current_block(), before.as_ref());
    assert_eq!(v.newest_block(), Some(1000));
    assert!(v.validate(fixture::flashblock(1000, 0, 2)).unwrap().is_accepted());
}
