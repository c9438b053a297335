//! The storage flood against the `flashblocks-node` program, scaled down: the process's
//! own peak memory (`VmHWM`, Linux) stays within 1.5 × the overlay's byte bound + its
//! baseline (the same process after it connected and took one small frame), past ten
//! times the overlay's pending-block and byte bounds, across a reconnect. Loopback only;
//! the program is started here and killed by its id when the test ends. The full size
//! is the `storage_flood_ws` example.

#[path = "support/flood.rs"]
mod flood;

use flood::{run, Plan};
use std::time::Duration;

const MIB: f64 = 1024.0 * 1024.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_flood_stays_within_the_bound_in_the_process() {
    // 4 pending blocks and 8 MiB: the overlay counts about 1.4 MiB for each block of
    // 5,000 slots, so it evicts by bytes after about five blocks and by count after four.
    const BOUND: usize = 8 << 20;
    const BLOCKS: usize = 4;
    let plan = Plan {
        slots: 5_000,
        first: 40,
        second: 20,
        settle: Duration::from_millis(300),
        deadline: Duration::from_secs(120),
    };
    let args: Vec<String> = [
        "--ws",
        "{url}",
        "--ssz",
        "--port",
        "0",
        "--max-pending-blocks",
        &BLOCKS.to_string(),
        "--max-overlay-bytes",
        &BOUND.to_string(),
        "--max-age-ms",
        "0",
    ]
    .map(String::from)
    .into();
    let report = run(env!("CARGO_BIN_EXE_flashblocks-node"), &args, plan, |n, m| {
        if n % 5 == 0 {
            println!(
                "{n} frames: RSS {:.1} MiB, peak {:.1} MiB",
                m.rss as f64 / MIB,
                m.hwm as f64 / MIB
            );
        }
    })
    .await
    .expect("the flood ran to its end");
    let frames = plan.first + plan.second;
    // Past ten times each bound: in blocks, and in the bytes the overlay counts for them.
    let counted = frames as usize * counted_for_one_block(plan.slots);
    assert!(frames as usize >= 10 * BLOCKS, "{frames} blocks");
    assert!(counted >= 10 * BOUND, "{counted} bytes counted");
    // 1 small frame's connection, the two of the flood, and the one that says it took them.
    assert_eq!(report.connections, 4);
    let limit = BOUND + BOUND / 2 + report.baseline;
    let peak = report.end.hwm;
    println!(
        "frame {:.2} MiB × {frames}; baseline {:.1} MiB, peak {:.1} MiB, limit {:.1} MiB, RSS at the end {:.1} MiB",
        report.frame_len as f64 / MIB,
        report.baseline as f64 / MIB,
        peak as f64 / MIB,
        limit as f64 / MIB,
        report.end.rss as f64 / MIB,
    );
    println!("the overlay counts {:.1} MiB for the flood's blocks", counted as f64 / MIB);
    assert!(report.baseline > 0, "the program's memory is readable");
    assert!(peak <= limit, "peak {peak} over 1.5 × {BOUND} + baseline {}", report.baseline);
}

/// What the overlay counts ([`Snapshot::bytes_held`](flashblocks_overlay::Snapshot::bytes_held))
/// for one block of the flood, applied alone.
fn counted_for_one_block(slots: usize) -> usize {
    use flashblocks_overlay::{fuzz::hostile::slot_flood_frame, Overlay};
    use flashblocks_validate::{Validator, ValidatorConfig};
    let mut validator = Validator::new(ValidatorConfig::v1());
    let mut overlay = Overlay::default();
    let empty = overlay.snapshot().bytes_held();
    let validated = validator.validate_frame(&slot_flood_frame(2, slots)).expect("a valid frame");
    let token = validated.outcome.into_accepted().expect("accepted");
    overlay.apply(&token, 0).expect("applied");
    overlay.snapshot().bytes_held() - empty
}
