//! The receiver's lifecycle: block starts, failover, reorg, reset, a far-future block
//! number, rejections that change nothing, and the byte bound on kept payloads.

use flashblocks::{
    assemble::with_block_hashes,
    overlay::{CanonicalHead, OverlayEvent},
    primitives::{Sealed, B256},
    types::{GeneratorConfig, PayloadId, SealedFlashblock, SequenceGenerator},
    validate::{BlockStart, Outcome},
    Receiver, ReceiverConfig,
};

/// Block `number` of payload `id`, on `parent_hash`: the generator's flashblocks with
/// block hashes that verify, as SSZ frames.
fn block(seed: u64, number: u64, id: u8, parent_hash: B256) -> Vec<Vec<u8>> {
    let generated = SequenceGenerator::new(seed, GeneratorConfig::default()).next_block();
    let remade = generated.into_iter().map(|sealed| {
        let mut payload = sealed.into_inner();
        payload.payload_id = PayloadId::new([id; 8]);
        if let Some(base) = payload.base.as_mut() {
            base.block_number = number;
            base.parent_hash = parent_hash;
        }
        Sealed::new_unchecked(payload, B256::ZERO)
    });
    let chained: Vec<SealedFlashblock> = with_block_hashes(remade).expect("base fee fits");
    chained.iter().map(|fb| fb.encode_ssz()).collect()
}

/// The block hash the last frame of `frames` claims.
fn last_hash(receiver: &Receiver) -> B256 {
    receiver.assembler().expect("a block").results().block_hash
}

fn receive_all(receiver: &mut Receiver, frames: &[Vec<u8>]) {
    for frame in frames {
        let received = receiver.receive(frame, 0).expect("accepted");
        assert!(received.outcome.is_accepted());
        assert!(received.block_hash.expect("assembled").expect("assembles").is_ok());
        received.applied.expect("applied").expect("the overlay took it");
    }
}

fn receiver() -> Receiver {
    Receiver::new(ReceiverConfig::v1().with_block_hash_check(true))
}

#[test]
fn block_starts_finish_the_previous_block() {
    let mut receiver = receiver();
    let reader = receiver.reader();
    receive_all(&mut receiver, &block(1, 100, 1, B256::ZERO));
    assert_eq!(receiver.payloads().len(), 1);
    let hash = last_hash(&receiver);
    let next = block(2, 101, 2, hash);
    let started = receiver.receive(&next[0], 0).expect("accepted");
    let token = started.outcome.accepted().expect("accepted");
    assert_eq!(token.block_start(), Some(BlockStart::Next { previous: PayloadId::new([1; 8]) }));
    receive_all(&mut receiver, &next[1..]);
    // The finished block and the current one; both pending in the overlay.
    let payloads = receiver.payloads();
    assert_eq!(payloads.len(), 2);
    assert_eq!(payloads[0].block_hash(), Some(hash));
    assert_eq!(payloads[1].block_hash(), Some(last_hash(&receiver)));
    let snapshot = reader.snapshot();
    assert_eq!(snapshot.pending_block_numbers().collect::<Vec<_>>(), [100, 101]);
    let id = snapshot.id().expect("pending");
    assert_eq!((id.block_number, id.flashblock_index), (101, 4));
}

#[test]
fn a_failover_replaces_the_block_being_received() {
    let mut receiver = receiver();
    receive_all(&mut receiver, &block(1, 100, 1, B256::ZERO));
    let first = block(2, 101, 2, B256::repeat_byte(1));
    receive_all(&mut receiver, &first[..2]);
    // Another builder starts block 101 again.
    let other = block(3, 101, 3, B256::repeat_byte(1));
    let received = receiver.receive(&other[0], 0).expect("accepted");
    let token = received.outcome.accepted().expect("accepted");
    assert_eq!(
        token.block_start(),
        Some(BlockStart::Failover { replaced: PayloadId::new([2; 8]) })
    );
    let applied = received.applied.expect("applied").expect("placed");
    assert!(matches!(applied.events.as_slice(), [OverlayEvent::Failover { number: 101, .. }]));
    // The replaced block is not kept as finished; the new one is assembled.
    let payloads = receiver.payloads();
    assert_eq!(payloads.len(), 2);
    assert_eq!(receiver.assembler().expect("a block").payload_id(), PayloadId::new([3; 8]));
    // The replaced payload's next flashblock is rejected; the new one goes on.
    assert_eq!(receiver.receive(&first[2], 0).unwrap_err().rule_id(), "payload_id_mismatch");
    receive_all(&mut receiver, &other[1..]);
    assert_eq!(receiver.validator().current_block().expect("block").next_index(), 5);
}

#[test]
fn a_reorg_drops_the_pending_chain_and_the_block_being_received() {
    let mut receiver = receiver();
    receive_all(&mut receiver, &block(1, 100, 1, B256::repeat_byte(9)));
    let frames = block(2, 101, 2, last_hash(&receiver));
    receive_all(&mut receiver, &frames[..2]);
    // The canonical chain's block 99 is another one: nothing pending sits on it.
    let head = CanonicalHead { number: 99, hash: B256::repeat_byte(0x99) };
    let events = receiver.canonical_head(head, None);
    assert_eq!(events, vec![OverlayEvent::Reorg { canonical: head, dropped_from: Some(100) }]);
    assert!(receiver.validator().current_block().is_none());
    assert!(receiver.assembler().is_none());
    assert_eq!(receiver.overlay().snapshot().id(), None);
    // The rest of the dropped block is rejected; the stream resumes at an index 0.
    assert_eq!(receiver.receive(&frames[2], 0).unwrap_err().rule_id(), "not_started");
    receive_all(&mut receiver, &block(3, 100, 3, head.hash));
    assert_eq!(receiver.overlay().snapshot().pending_block_numbers().collect::<Vec<_>>(), [100]);
}

#[test]
fn the_canonical_chain_confirms_blocks() {
    let mut receiver = receiver();
    receive_all(&mut receiver, &block(1, 100, 1, B256::ZERO));
    let hash = last_hash(&receiver);
    receive_all(&mut receiver, &block(2, 101, 2, hash));
    let events = receiver.canonical_head(CanonicalHead { number: 100, hash }, None);
    assert_eq!(events, vec![OverlayEvent::Confirmed { number: 100, hash }]);
    // The block being received stays.
    assert_eq!(receiver.validator().current_block().map(|b| b.block_number()), Some(101));
    assert_eq!(receiver.overlay().snapshot().pending_block_numbers().collect::<Vec<_>>(), [101]);
}

#[test]
fn reset_forgets_what_was_being_received() {
    let mut receiver = receiver();
    receive_all(&mut receiver, &block(1, 100, 1, B256::ZERO));
    receiver.reset();
    assert!(receiver.validator().current_block().is_none());
    assert!(receiver.assembler().is_none());
    assert_eq!(receiver.overlay().snapshot().id(), None);
    // The same block can start again.
    receive_all(&mut receiver, &block(1, 100, 1, B256::ZERO));
    // reset_stream keeps the overlay's pending blocks.
    receiver.reset_stream();
    assert!(receiver.validator().current_block().is_none());
    assert_eq!(receiver.overlay().snapshot().pending_block_numbers().collect::<Vec<_>>(), [100]);
}

#[test]
fn a_far_future_block_number_cannot_lock_out_honest_blocks() {
    // Without a canonical head nothing bounds a far-off block start: it is taken, and the
    // honest next block, far below it, restarts every stage (rule 4).
    let mut receiver = receiver();
    receive_all(&mut receiver, &block(1, 100, 1, B256::ZERO));
    let hash = last_hash(&receiver);
    let far = block(7, u64::MAX, 7, hash);
    receive_all(&mut receiver, &far[..1]);
    let honest = block(2, 101, 2, hash);
    let restarted = receiver.receive(&honest[0], 0).expect("accepted");
    let start = restarted.outcome.accepted().expect("accepted").block_start();
    assert_eq!(start, Some(BlockStart::Restart { newest: u64::MAX }));
    let events = restarted.applied.expect("applied").expect("taken").events;
    assert_eq!(events, vec![OverlayEvent::Restart { number: 101, dropped_from: Some(u64::MAX) }]);
    receive_all(&mut receiver, &honest[1..]);
    assert_eq!(receiver.overlay().snapshot().pending_block_numbers().collect::<Vec<_>>(), [101]);
    assert_eq!(receiver.payloads().len(), 1, "the kept payloads went with the restart");

    // With the canonical head known, the far block is too far ahead.
    let mut with_head = self::receiver();
    receive_all(&mut with_head, &block(1, 100, 1, B256::ZERO));
    with_head.canonical_head(CanonicalHead { number: 100, hash }, None);
    assert_eq!(with_head.receive(&far[0], 0).unwrap_err().rule_id(), "too_far_ahead");
    receive_all(&mut with_head, &honest);

    // A far block taken before the head was known goes when the head shows it
    // implausible, and the newest block seen with it.
    let mut fresh = receiver_with_far_block(&far);
    let head = CanonicalHead { number: 100, hash };
    let events = fresh.canonical_head(head, None);
    assert!(events.contains(&OverlayEvent::Reorg { canonical: head, dropped_from: Some(u64::MAX) }));
    assert!(fresh.validator().current_block().is_none());
    assert_eq!(fresh.validator().newest_block(), None);
    receive_all(&mut fresh, &honest);
}

fn receiver_with_far_block(far: &[Vec<u8>]) -> Receiver {
    let mut receiver = receiver();
    receive_all(&mut receiver, &far[..1]);
    receiver
}

#[test]
fn rejections_change_nothing() {
    let mut receiver = receiver();
    let frames = block(1, 100, 1, B256::ZERO);
    receive_all(&mut receiver, &frames[..2]);
    let before = (
        receiver.validator().current_block().cloned(),
        receiver.assembler().cloned(),
        receiver.overlay().snapshot().sequence(),
        receiver.payloads(),
    );
    let mut wrong_hash = flashblocks::types::Flashblock::decode_v1(&frames[2])
        .expect("decodes")
        .into_sealed_v1()
        .expect("v1")
        .into_inner();
    wrong_hash.diff.block_hash = B256::repeat_byte(0xee);
    for (frame, rule) in [
        (vec![1, 2, 3], "malformed"),
        (frames[3].clone(), "index_gap"),
        (wrong_hash.encode_ssz(), "block_hash_mismatch"),
    ] {
        assert_eq!(receiver.receive(&frame, 0).unwrap_err().rule_id(), rule);
        let after = (
            receiver.validator().current_block().cloned(),
            receiver.assembler().cloned(),
            receiver.overlay().snapshot().sequence(),
            receiver.payloads(),
        );
        assert_eq!(after, before, "{rule}");
    }
    // A resend is a duplicate: nothing assembled or applied again.
    let received = receiver.receive(&frames[1], 0).expect("a duplicate");
    assert!(matches!(received.outcome, Outcome::Duplicate { index: 1, .. }));
    assert!(received.block_hash.is_none() && received.applied.is_none());
    assert_eq!(receiver.overlay().snapshot().sequence(), before.2);
    receive_all(&mut receiver, &frames[2..]);
}

#[test]
fn kept_payloads_are_bounded_by_bytes() {
    let config = ReceiverConfig { max_payload_bytes: 10_000, ..ReceiverConfig::v1() };
    let mut receiver = Receiver::new(config);
    let mut parent = B256::ZERO;
    for n in 0..20u64 {
        receive_all(&mut receiver, &block(n, 100 + n, n as u8 + 1, parent));
        parent = last_hash(&receiver);
    }
    // Each finished block is counted (about 2 kB here), the oldest dropped first.
    let payloads = receiver.payloads();
    let finished = &payloads[..payloads.len() - 1];
    assert!(!finished.is_empty() && finished.len() < 19, "{}", finished.len());
    let numbers: Vec<u64> = finished
        .iter()
        .map(|p| p.execution_payload.payload_inner.payload_inner.block_number)
        .collect();
    assert_eq!(numbers.last(), Some(&118));
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1));
    // With the default bound, all 19 finished blocks are kept.
    let mut receiver = Receiver::new(ReceiverConfig::v1());
    let mut parent = B256::ZERO;
    for n in 0..20u64 {
        receive_all(&mut receiver, &block(n, 100 + n, n as u8 + 1, parent));
        parent = last_hash(&receiver);
    }
    assert_eq!(receiver.payloads().len(), 20);
    // A bound of 0 keeps none: only the block being received is listed.
    let config = ReceiverConfig { max_payload_bytes: 0, ..ReceiverConfig::v1() };
    let mut receiver = Receiver::new(config);
    let mut parent = B256::ZERO;
    for n in 0..5u64 {
        receive_all(&mut receiver, &block(n, 100 + n, n as u8 + 1, parent));
        parent = last_hash(&receiver);
    }
    let payloads = receiver.payloads();
    assert_eq!(payloads.len(), 1);
    assert_eq!(payloads[0].execution_payload.payload_inner.payload_inner.block_number, 104);
}

/// A kept payload owns its transactions: a V1 frame is one buffer that its
/// transactions point into, and a payload sharing them would keep every frame whole
/// (storage slots and all) beyond what the bound counts.
#[test]
fn kept_payloads_do_not_hold_the_frames() {
    let mut receiver = receiver();
    let mut in_frames = Vec::new();
    for frame in block(1, 100, 1, B256::ZERO) {
        let received = receiver.receive(&frame, 0).expect("accepted");
        let flashblock = received.flashblock.expect("a flashblock");
        in_frames.extend(flashblock.transactions().iter().map(|tx| tx.as_ptr()));
    }
    // The block being received shares the frames' bytes (nothing is copied per frame).
    let current = receiver.payloads().pop().expect("the current block");
    let current = &current.execution_payload.payload_inner.payload_inner.transactions;
    assert_eq!(current.len(), in_frames.len());
    assert!(current.iter().zip(&in_frames).all(|(tx, ptr)| tx.as_ptr() == *ptr));
    let parent = last_hash(&receiver);
    receive_all(&mut receiver, &block(2, 101, 2, parent));
    let kept = receiver.payloads().remove(0);
    let kept = &kept.execution_payload.payload_inner.payload_inner;
    assert_eq!(kept.block_number, 100);
    assert_eq!(kept.transactions, *current, "the same bytes");
    assert!(kept.transactions.iter().all(|tx| !in_frames.contains(&tx.as_ptr())), "copied");
}
