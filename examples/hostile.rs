//! `hostile`: the full-size hostile streams of the overlay's bounds, run in one process
//! each, printing the process's memory (`VmRSS`, peak `VmHWM` from `/proc/self/status`,
//! Linux) against the configured byte bound, and the costs the bounds promise.
//!
//! ```text
//! cargo run --release --example hostile -- slots      # 60 index-0 blocks × 100 k slots
//! cargo run --release --example hostile -- receipts   # 242 JSON frames of 200 k unmatched logs
//! cargo run --release --example hostile -- nonce      # one 71,292-transaction JSON flashblock
//! cargo run --release --example hostile -- wide       # one block of 10,000 flashblocks
//! cargo run --release --example hostile -- ping       # 60 s ping flood at the ws consumer
//! ```
//!
//! Each case starts a fresh process (`hostile CASE`), so that the peak is its own. The
//! goal it checks is printed with the figure: peak RSS at most 1.5 × the bound plus the
//! baseline (the process before the flood plus two of the flood's flashblocks, the one
//! being applied and the next being built), the first pending-nonce query after the
//! 71 k-transaction flashblock at most 1 ms, flashblock #k's apply within 1.2× of #1,
//! and the websocket consumer's RSS flat under a 60 s ping flood (`ping`: a server that
//! never reads sends pings without pause, reconnections included; the consumer's flood
//! detection is off, so that its write-buffer cap alone holds the queued pongs; `ping
//! default` runs the default configuration, which also ends a flooding connection).

use flashblocks_overlay::{
    fuzz::hostile::{self, Feed, LongBlock},
    Overlay, OverlayConfig,
};
use std::{process::ExitCode, time::Instant};

/// A `/proc/self/status` field in bytes (0 where there is none).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<usize>().ok())
        .map_or(0, |kib| kib * 1024)
}

const MIB: f64 = 1024.0 * 1024.0;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / MIB
}

/// Prints the memory verdict: the peak against 1.5 × the bound plus the baseline.
fn verdict(start_rss: usize, input: usize, overlay: &Overlay) -> bool {
    let bound = overlay.config().max_bytes;
    let peak = status_bytes("VmHWM");
    let baseline = start_rss + 2 * input;
    let limit = bound + bound / 2 + baseline;
    let ok = peak <= limit;
    println!(
        "peak RSS {:.1} MiB; bound {:.1} MiB, baseline {:.1} MiB (start {:.1} + 2 × input {:.1}): \
         limit 1.5 × bound + baseline = {:.1} MiB: {}; peak / bound = {:.2}; held now {:.1} MiB, RSS now {:.1} MiB",
        mib(peak),
        mib(bound),
        mib(baseline),
        mib(start_rss),
        mib(input),
        mib(limit),
        if ok { "ok" } else { "MISSED" },
        peak as f64 / bound as f64,
        mib(overlay.snapshot().bytes_held()),
        mib(status_bytes("VmRSS")),
    );
    ok
}

fn slots() -> bool {
    let mut feed = Feed::new(false, 20, OverlayConfig::default());
    let start = status_bytes("VmRSS");
    let mut input = 0;
    for number in 1..=60 {
        let fb = hostile::slot_flood(number, 100_000);
        input = input.max(status_bytes("VmRSS").saturating_sub(start).min(64 << 20));
        let t = Instant::now();
        let applied = feed.apply(fb, 0);
        let took = t.elapsed();
        if number % 10 == 0 || applied.is_err() {
            println!(
                "block {number:>2}: validate + apply {took:?}, pending {}, held {:.1} MiB, RSS {:.1} MiB{}",
                feed.overlay.snapshot().pending_block_numbers().count(),
                mib(feed.overlay.snapshot().bytes_held()),
                mib(status_bytes("VmRSS")),
                applied.err().map(|e| format!(", refused: {e:?}")).unwrap_or_default(),
            );
        }
    }
    // One flashblock of 100 k slots as decoded: 100 k × 64 bytes of slots.
    verdict(start, 100_000 * 64 * 2, &feed.overlay)
}

fn receipts() -> bool {
    let mut feed = Feed::new(true, 20, OverlayConfig::default());
    let start = status_bytes("VmRSS");
    let mut refused = 0;
    for number in 1..=242 {
        if feed.apply(hostile::receipt_flood(number, 200_000), 0).is_err() {
            refused += 1;
        }
        if number % 40 == 0 {
            println!(
                "frame {number:>3}: validator refused {refused}, held {:.1} MiB, RSS {:.1} MiB",
                mib(feed.overlay.snapshot().bytes_held()),
                mib(status_bytes("VmRSS"))
            );
        }
    }
    // One flashblock of 200 k logs as decoded: about 200 k × 120 bytes.
    verdict(start, 200_000 * 120, &feed.overlay) && refused == 242
}

fn nonce() -> bool {
    let mut feed = Feed::new(true, 20, OverlayConfig::default());
    let reader = feed.overlay.reader();
    let t = Instant::now();
    let fb = hostile::nonce_flood(1, 71_292);
    let build = t.elapsed();
    let last = hostile::signed_transfer(1, 71_291);
    let sender = flashblocks_types::PreparedTransaction::prepare(&last)
        .decoded()
        .ok()
        .cloned()
        .map(|tx| tx.signer());
    let t = Instant::now();
    let applied = feed.apply(fb, 0).is_ok();
    let apply = t.elapsed();
    let snapshot = reader.snapshot();
    let t = Instant::now();
    let nonce = sender.and_then(|s| snapshot.at(0).nonce_from_transactions(s).into_value());
    let first = t.elapsed();
    let ok = applied && nonce == Some(71_292) && first.as_micros() <= 1_000;
    println!(
        "71,292 transactions: built in {build:?}, applied in {apply:?} (senders recovered there); \
         first pending-nonce query {first:?} (goal ≤ 1 ms): {} → {nonce:?}",
        if ok { "ok" } else { "MISSED" }
    );
    ok
}

fn wide() -> bool {
    let k = 10_000u64;
    let config =
        OverlayConfig { max_bytes: 4 << 30, max_pending_blocks: 1 << 20, ..Default::default() };
    let mut feed = Feed::new(false, k + 1, config);
    // Applies `count` flashblocks of `block`, returning each apply's time (the
    // validation before it is not timed).
    let mut run = |block: &mut LongBlock, count: u64| -> Option<Vec<f64>> {
        let mut times = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let fb = block.next_flashblock(10);
            let token = match feed.validator.validate(fb) {
                Ok(outcome) => outcome.into_accepted()?,
                Err(e) => {
                    println!("refused: {e}");
                    return None;
                }
            };
            let t = Instant::now();
            if let Err(e) = feed.overlay.apply(&token, 0) {
                println!("refused: {e}");
                return None;
            }
            times.push(t.elapsed().as_nanos() as f64);
        }
        Some(times)
    };
    let median = |times: &[f64]| {
        let mut v = times.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    let Some(first) = run(&mut LongBlock::new(1), k) else { return false };
    let early = median(first.get(1..101).unwrap_or_default());
    let late = median(first.get(first.len() - 100..).unwrap_or_default());
    // #1-100 of the next block, with the first block still pending: the same index fill.
    let Some(next) = run(&mut LongBlock::new(2), 101) else { return false };
    let same_fill = median(next.get(1..).unwrap_or_default());
    let ratio = late / early;
    println!(
        "apply of flashblocks #1-100 into an empty overlay: median {:.1} µs; #9,900-9,999: median {:.1} µs \
         ({ratio:.2}x, goal ≤ 1.2); #1-100 of the next block above that one: median {:.1} µs \
         ({:.2}x #1-100 into an empty overlay)",
        early / 1e3,
        late / 1e3,
        same_fill / 1e3,
        same_fill / early,
    );
    ratio <= 1.2
}

/// A 60 s ping flood from a server that never reads, at the websocket consumer.
#[cfg(feature = "io")]
fn ping(default: bool) -> bool {
    use flashblocks_node::{
        pipeline::Pipeline,
        ws::{run, ConsumerConfig},
    };
    use std::time::Duration;
    use tokio::{io::AsyncWriteExt, net::TcpListener};
    const FLOOD: Duration = Duration::from_secs(60);
    let Ok(runtime) =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
    else {
        return false;
    };
    let start = status_bytes("VmRSS");
    let (peak_during, connections, pings) = runtime.block_on(async move {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { return (0, 0, 0) };
        let Ok(addr) = listener.local_addr() else { return (0, 0, 0) };
        let deadline = tokio::time::Instant::now() + FLOOD;
        let server = tokio::spawn(async move {
            let (mut connections, mut pings) = (0u64, 0u64);
            // A ping of 125 bytes (the most a control frame holds), 1024 a write.
            let mut ping = vec![0x89, 125];
            ping.extend_from_slice(&[0x55; 125]);
            let batch: Vec<u8> = ping.iter().copied().cycle().take(ping.len() * 1024).collect();
            while let Ok(Ok((tcp, _))) = tokio::time::timeout_at(deadline, listener.accept()).await
            {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { continue };
                connections += 1;
                let tcp = ws.get_mut();
                while let Ok(Ok(())) =
                    tokio::time::timeout_at(deadline, tcp.write_all(&batch)).await
                {
                    pings += 1024;
                }
            }
            (connections, pings)
        });
        let config = if default {
            ConsumerConfig::default()
        } else {
            ConsumerConfig { max_control_frames: u32::MAX, ..ConsumerConfig::default() }
        };
        let mut pipeline = Pipeline::new(flashblocks_validate::RuleSet::Json);
        let sampler = tokio::spawn(async move {
            let mut rss = Vec::new();
            while tokio::time::Instant::now() < deadline {
                rss.push(status_bytes("VmRSS"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            rss
        });
        let _ = tokio::time::timeout_at(
            deadline,
            run(&format!("ws://{addr}"), &mut pipeline, &config, |_| {}),
        )
        .await;
        let rss = sampler.await.unwrap_or_default();
        for (second, bytes) in rss.iter().enumerate().filter(|(i, _)| i % 10 == 0) {
            println!("  t = {second:>2} s: RSS {:.1} MiB", mib(*bytes));
        }
        let peak = rss.iter().copied().max().unwrap_or_default();
        let (connections, pings) = server.await.unwrap_or_default();
        (peak, connections, pings)
    });
    let end = status_bytes("VmRSS");
    let hwm = status_bytes("VmHWM");
    // Flat: the peak within 16 MiB of the start (the write buffer holds 1 MiB at most
    // by default; beside it, the runtime's and the reader's buffers).
    let ok = pings > 0 && hwm <= start + (16 << 20);
    println!(
        "60 s ping flood ({}): {pings} pings over {connections} connections; RSS at start {:.1} MiB, \
         peak {:.1} MiB (sampled each second: {:.1} MiB), end {:.1} MiB: {}",
        if default { "default configuration" } else { "flood detection off: the write-buffer cap alone" },
        mib(start),
        mib(hwm),
        mib(peak_during),
        mib(end),
        if ok { "flat" } else { "GREW" }
    );
    ok
}

fn main() -> ExitCode {
    let case = std::env::args().nth(1).unwrap_or_default();
    let ok = match case.as_str() {
        "slots" => slots(),
        "receipts" => receipts(),
        "nonce" => nonce(),
        "wide" => wide(),
        #[cfg(feature = "io")]
        "ping" => ping(std::env::args().nth(2).as_deref() == Some("default")),
        _ => {
            eprintln!("usage: hostile slots|receipts|nonce|wide|ping [default]");
            return ExitCode::from(2);
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
