//! Rule 4's block-start window through every stage of the receiver, over the validator
//! crate's fixtures (`flashblocks-validate/tests/fixtures/rule4/`): pauses of 100 and
//! 1,000 blocks, a far-off block start followed by the real stream, replays after a
//! reconnect, each with and without a canonical head. A restart resets the validator,
//! the overlay's pending chain and what it waits for, and the kept payloads before it
//! takes the frame; a forward gap serves blocks and transactions while state reads wait
//! for the canonical chain; a rejection changes nothing.

use flashblocks::{
    overlay::{CanonicalHead, Lookup, NotHere, OverlayEvent},
    primitives::keccak256,
    validate::{
        fixture::{self, Expect, StateRead, Step},
        BlockStart,
    },
    Receiver, ReceiverConfig,
};

#[test]
fn rule4_fixtures_through_every_stage() {
    let fixtures = fixture::rule4_fixtures();
    assert_eq!(fixtures.len(), 8);
    for fixture in &fixtures {
        let mut receiver = Receiver::new(ReceiverConfig::v1());
        let reader = receiver.reader();
        for (line, step) in &fixture.steps {
            let at = format!("{} line {line}", fixture.name);
            match step {
                Step::Head(number) => {
                    let head =
                        CanonicalHead { number: *number, hash: fixture::block_hash(*number) };
                    let events = receiver.canonical_head(head, None);
                    assert!(
                        !events.iter().any(|e| matches!(
                            e,
                            OverlayEvent::Reorg { .. } | OverlayEvent::BrokenPreconfirmation { .. }
                        )),
                        "{at}: {events:?}"
                    );
                }
                Step::ResetStream => receiver.reset_stream(),
                Step::Frame { number, payload, index, expect } => {
                    let frame = fixture::payload(*number, *payload, *index).encode_ssz();
                    let before = (
                        receiver.validator().current_block().cloned(),
                        receiver.validator().newest_block(),
                        reader.snapshot().sequence(),
                        receiver.payloads().len(),
                    );
                    let got = receiver.receive(&frame, 0);
                    match (expect, got) {
                        (Expect::Accept | Expect::Restart(_), Ok(received)) => {
                            let token =
                                received.outcome.accepted().unwrap_or_else(|| panic!("{at}"));
                            let events = received
                                .applied
                                .unwrap_or_else(|| panic!("{at}: not applied"))
                                .unwrap_or_else(|e| panic!("{at}: the overlay refused: {e}"))
                                .events;
                            let restart =
                                events.iter().any(|e| matches!(e, OverlayEvent::Restart { .. }));
                            if let Expect::Restart(newest) = expect {
                                let start = token.block_start();
                                assert_eq!(
                                    start,
                                    Some(BlockStart::Restart { newest: *newest }),
                                    "{at}"
                                );
                                assert!(restart, "{at}: {events:?}");
                                assert_eq!(
                                    reader.snapshot().pending_block_numbers().collect::<Vec<_>>(),
                                    [*number],
                                    "{at}: the pending chain starts over"
                                );
                            } else {
                                assert!(!restart, "{at}: {events:?}");
                            }
                        }
                        (Expect::Duplicate, Ok(received)) => {
                            assert!(received.outcome.is_duplicate(), "{at}");
                            assert_eq!(reader.snapshot().sequence(), before.2, "{at}");
                        }
                        (Expect::Reject(rule), Err(err)) => {
                            assert_eq!(err.rule_id(), rule, "{at}: {err}");
                            let after = (
                                receiver.validator().current_block().cloned(),
                                receiver.validator().newest_block(),
                                reader.snapshot().sequence(),
                                receiver.payloads().len(),
                            );
                            assert_eq!(after, before, "{at}: a rejection changed the state");
                        }
                        (expect, got) => panic!("{at}: expected {expect:?}, got {got:?}"),
                    }
                }
                Step::Pending(numbers) => assert_eq!(
                    &reader.snapshot().pending_block_numbers().collect::<Vec<_>>(),
                    numbers,
                    "{at}"
                ),
                Step::State(expected) => {
                    let snapshot = reader.snapshot();
                    let balance = snapshot.at(0).balance(fixture::ACCOUNT);
                    match (expected, &balance) {
                        (StateRead::Found, Lookup::Found(_))
                        | (StateRead::Incomplete, Lookup::NotHere(NotHere::Incomplete { .. })) => {}
                        _ => panic!("{at}: expected {expected:?}, got {balance:?}"),
                    }
                }
                Step::Payloads(count) => assert_eq!(receiver.payloads().len(), *count, "{at}"),
                Step::Transaction { number, payload, index, found } => {
                    let fb = fixture::flashblock(*number, *payload, *index);
                    let hash = keccak256(&fb.transactions()[0]);
                    let lookup = reader.snapshot().at(0).transaction(hash);
                    assert_eq!(lookup.value().is_some(), *found, "{at}: {lookup:?}");
                }
            }
        }
    }
}
