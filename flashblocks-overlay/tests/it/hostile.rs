//! The hostile-stream suite, CI-sized (the full-size runs are the `hostile` example):
//! each case of the bounds issue as a test that asserts the bound, in memory measured by
//! the process itself, or in work counted, never in time.
//!
//! Memory cases run in a child process (this test binary again, with one test selected
//! and `FLASHBLOCKS_HOSTILE_CHILD` set), so that the peak (`VmHWM` in
//! `/proc/self/status`, Linux) is the flood's own: the child prints its figures and the
//! parent asserts peak ≤ start + 1.5 × the configured bound + a baseline of two input
//! flashblocks and 16 MiB (the test harness and the allocator's slack).

use flashblocks_assemble::Assembler;
use flashblocks_overlay::{
    fuzz::hostile::{self, Feed},
    Lookup, NotHere, Overlay, OverlayConfig, OverlayEvent,
};
use flashblocks_types::{
    Flashblock, FlashblockJson, JsonDiff, JsonMetadata, MAX_TRANSACTIONS_PER_PAYLOAD,
};
use flashblocks_validate::{Validator, ValidatorConfig};

const CHILD: &str = "FLASHBLOCKS_HOSTILE_CHILD";
const MIB: usize = 1024 * 1024;

/// A `/proc/self/status` field in bytes.
fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<usize>()
        .ok()?;
    Some(kib * 1024)
}

/// What a child reports.
#[derive(Debug)]
struct Figures {
    start: usize,
    peak: usize,
    end: usize,
    bound: usize,
    held_max: usize,
    input: usize,
}

/// Runs `test` (this module's test of that name) in a child process and parses its
/// figures; `None` where `/proc/self/status` is not there (not Linux).
fn in_child(test: &str) -> Option<Figures> {
    status_bytes("VmHWM")?;
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args([&format!("hostile::{test}"), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("HOSTILE ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no figures in {stdout}"));
    let field = |name: &str| -> usize {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .expect("a figure")
    };
    Some(Figures {
        start: field("start"),
        peak: field("peak"),
        end: field("end"),
        bound: field("bound"),
        held_max: field("held_max"),
        input: field("input"),
    })
}

/// The child's side: runs `flood` and prints its figures.
fn report(start: usize, overlay: &Overlay, held_max: usize, input: usize) {
    println!(
        "HOSTILE start={start} peak={} end={} bound={} held_max={held_max} input={input}",
        status_bytes("VmHWM").unwrap_or_default(),
        status_bytes("VmRSS").unwrap_or_default(),
        overlay.config().max_bytes,
    );
}

/// The parent's side: the bound holds, and the count is an upper bound of what stayed.
fn check(f: &Figures) {
    let baseline = 2 * f.input + 16 * MIB;
    let limit = f.start + f.bound + f.bound / 2 + baseline;
    assert!(f.held_max <= f.bound, "{f:?}");
    assert!(f.peak <= limit, "peak {} MiB over {} MiB: {f:?}", f.peak / MIB, limit / MIB);
    // What the process still holds beyond its start is within what the overlay counts
    // plus the baseline: the count is not an underestimate.
    assert!(f.end.saturating_sub(f.start) <= f.held_max + baseline, "{f:?}");
}

fn slot_flood_run() {
    let config = OverlayConfig { max_bytes: 12 * MIB, ..Default::default() };
    let mut feed = Feed::new(false, 20, config);
    let start = status_bytes("VmRSS").unwrap_or_default();
    let mut held_max = 0;
    for number in 1..=16 {
        feed.apply(hostile::slot_flood(number, 10_000), 0).expect("applies");
        held_max = held_max.max(feed.overlay.snapshot().bytes_held());
    }
    assert!(feed.overlay.snapshot().pending_block_numbers().count() >= 2, "a few blocks fit");
    report(start, &feed.overlay, held_max, 10_000 * 64 * 2);
}

#[test]
fn slot_flood_memory_stays_within_the_bound() {
    if std::env::var_os(CHILD).is_some() {
        return slot_flood_run();
    }
    if let Some(figures) = in_child("slot_flood_memory_stays_within_the_bound") {
        check(&figures);
    }
}

/// The storage flood as a peer sends it, past eviction: V1 SSZ index-0 frames of
/// 5,000 slots of one account, ever-new block numbers, no canonical head, through
/// `Validator::validate_frame` and `Overlay::apply`, for 60 blocks: 15x the pending-block
/// bound (4) and over 10x the byte bound (8 MiB) in what the overlay counted.
fn storage_flood_past_eviction_run() {
    let config = OverlayConfig { max_bytes: 8 * MIB, max_pending_blocks: 4, ..Default::default() };
    let mut feed = Feed::new(false, 20, config);
    let start = status_bytes("VmRSS").unwrap_or_default();
    let (mut held_max, mut first_block, mut evicted) = (0, 0, 0);
    for number in 1..=60 {
        let frame = hostile::slot_flood_frame(number, 5_000);
        let validated = feed.validator.validate_frame(&frame).expect("accepted");
        drop(frame);
        let token = validated.outcome.into_accepted().expect("a new block");
        let applied = feed.overlay.apply(&token, 0).expect("applies");
        evicted +=
            applied.events.iter().filter(|e| matches!(e, OverlayEvent::Evicted { .. })).count();
        let snapshot = feed.overlay.snapshot();
        if number == 1 {
            first_block = snapshot.bytes_held();
        }
        held_max = held_max.max(snapshot.bytes_held());
        assert!(snapshot.pending_block_numbers().count() <= 4);
        assert!(snapshot.indexed_entries() <= 4 * 5_002, "{}", snapshot.indexed_entries());
    }
    assert!(evicted >= 55, "{evicted}");
    assert!(60 * first_block >= 10 * config.max_bytes, "{first_block}");
    report(start, &feed.overlay, held_max, 5_000 * 64 * 2);
}

#[test]
fn storage_flood_past_eviction_stays_within_the_bound() {
    if std::env::var_os(CHILD).is_some() {
        return storage_flood_past_eviction_run();
    }
    if let Some(figures) = in_child("storage_flood_past_eviction_stays_within_the_bound") {
        check(&figures);
        println!("{figures:?}");
    }
}

/// As the slot flood, while a reader holds three snapshots (after blocks 4, 8 and 12)
/// to the end: each keeps alive at most what its own `bytes_held()` counted.
fn held_snapshots_run() {
    let config = OverlayConfig { max_bytes: 12 * MIB, ..Default::default() };
    let mut feed = Feed::new(false, 20, config);
    let reader = feed.overlay.reader();
    let start = status_bytes("VmRSS").unwrap_or_default();
    let (mut held, mut current_max) = (Vec::new(), 0);
    for number in 1..=16 {
        feed.apply(hostile::slot_flood(number, 10_000), 0).expect("applies");
        current_max = current_max.max(feed.overlay.snapshot().bytes_held());
        if number % 4 == 0 && number < 16 {
            held.push(reader.snapshot());
        }
    }
    assert_eq!(held.len(), 3);
    assert!(
        held[0].pending_block_numbers().all(|n| n < 5),
        "the first held snapshot's blocks were evicted since"
    );
    let held_sum: usize = held.iter().map(|s| s.bytes_held()).sum();
    // The bound for r = 3 held snapshots: r + 1 snapshots' counts.
    println!(
        "HOSTILE start={start} peak={} end={} bound={} held_max={} input={}",
        status_bytes("VmHWM").unwrap_or_default(),
        status_bytes("VmRSS").unwrap_or_default(),
        4 * config.max_bytes,
        held_sum + current_max,
        10_000 * 64 * 2,
    );
    drop(held);
}

#[test]
fn reader_held_snapshots_keep_at_most_their_own_count() {
    if std::env::var_os(CHILD).is_some() {
        return held_snapshots_run();
    }
    if let Some(figures) = in_child("reader_held_snapshots_keep_at_most_their_own_count") {
        check(&figures);
    }
}

fn receipt_flood_run() {
    let config = OverlayConfig { max_bytes: 8 * MIB, ..Default::default() };
    let mut feed = Feed::new(true, 20, config);
    let start = status_bytes("VmRSS").unwrap_or_default();
    let mut held_max = 0;
    for number in 1..=12 {
        // Refused by the validator: nothing reaches the overlay.
        assert!(feed.apply(hostile::receipt_flood(number, 5_000), 0).is_err());
        held_max = held_max.max(feed.overlay.snapshot().bytes_held());
    }
    report(start, &feed.overlay, held_max, 5_000 * 160);
}

#[test]
fn receipt_flood_memory_stays_within_the_bound() {
    if std::env::var_os(CHILD).is_some() {
        return receipt_flood_run();
    }
    if let Some(figures) = in_child("receipt_flood_memory_stays_within_the_bound") {
        check(&figures);
    }
}

#[test]
fn receipts_of_no_transaction_are_refused() {
    let fb = hostile::receipt_flood(7, 5_000);
    let mut validator = Validator::new(ValidatorConfig::json().with_op_rules(false));
    let err = validator.validate(fb).unwrap_err();
    assert_eq!(err.rule_id(), "receipt_without_transaction");
}

#[test]
fn the_pending_nonce_is_known_when_the_flashblock_is_published() {
    const TXS: u64 = 2_000;
    let mut feed = Feed::new(true, 20, OverlayConfig::default());
    let reader = feed.overlay.reader();
    feed.apply(hostile::nonce_flood(1, TXS as usize), 0).expect("applies");
    let snapshot = reader.snapshot();
    let view = snapshot.at(0);
    // Every transaction has its own sender here: each one's nonce + 1.
    for nonce in [0, 1, TXS / 2, TXS - 1] {
        let tx = hostile::signed_transfer(1, nonce);
        let sender = flashblocks_types::PreparedTransaction::prepare(&tx)
            .decoded()
            .ok()
            .cloned()
            .expect("recovers")
            .signer();
        assert_eq!(view.nonce_from_transactions(sender).into_value(), Some(nonce + 1));
        // The state answer says the source carries no nonce.
        assert_eq!(view.transaction_count(sender).not_here(), Some(NotHere::NotCarried));
    }
    assert!(matches!(
        view.nonce_from_transactions(alloy_primitives::Address::ZERO),
        Lookup::NotHere(NotHere::Untouched)
    ));
}

/// A JSON index 0 with `txs` one-byte (static, unallocated) transactions.
fn json_index_zero(txs: usize) -> Flashblock {
    static TX: [u8; 1] = [0x02];
    let transactions = vec![alloy_primitives::Bytes::from_static(&TX); txs];
    Flashblock::from_json(FlashblockJson {
        payload_id: Default::default(),
        index: 0,
        base: Some(hostile::base(1)),
        diff: JsonDiff { transactions, ..Default::default() },
        metadata: JsonMetadata { block_number: Some(1), ..Default::default() },
        target_index: None,
    })
}

#[test]
fn the_stages_agree_on_the_payload_list_limits() {
    // JSON index 0 with 1,048,586 transactions: over 2^20 in one flashblock.
    let fb = json_index_zero(MAX_TRANSACTIONS_PER_PAYLOAD + 10);
    let config = ValidatorConfig::json().with_op_rules(false);
    let err = Validator::new(config).validate(fb).unwrap_err();
    assert_eq!(err.rule_id(), "malformed", "{err}");
    // At the limit, the validator accepts it and the assembler and overlay take it.
    let fb = json_index_zero(MAX_TRANSACTIONS_PER_PAYLOAD);
    let mut validator = Validator::new(config);
    let token = validator.validate(fb.clone()).expect("accepted").into_accepted().expect("new");
    let assembler = Assembler::new(&token).expect("taken");
    assert_eq!(assembler.transactions().len(), MAX_TRANSACTIONS_PER_PAYLOAD);
    // One more in the next flashblock: over the payload's limit, refused before either.
    let mut next = fb.to_json().expect("json");
    next.index = 1;
    next.base = None;
    next.diff.transactions.truncate(1);
    let err = validator.validate(Flashblock::from_json(next)).unwrap_err();
    assert_eq!(err.rule_id(), "payload_list_too_long", "{err}");
    assert_eq!(assembler.transactions().len(), MAX_TRANSACTIONS_PER_PAYLOAD);
}
