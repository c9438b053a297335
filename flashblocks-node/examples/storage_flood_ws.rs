//! `storage_flood_ws`: the bounds issue's storage flood over a websocket, against a
//! consumer program in its own process, measured by the process: a loopback server
//! sends V1 SSZ index-0 frames of one account's storage slots (ever-new block numbers,
//! no canonical head) and reads the program's `VmHWM` / `VmRSS` from
//! `/proc/<pid>/status` (Linux).
//!
//! ```text
//! cargo build --release -p flashblocks-node --example storage_flood_ws --bin flashblocks-node
//! cargo build --release -p flashblocks-examples --example ws_consumer
//! target/release/examples/storage_flood_ws [--first 100] [--second 50] [--slots 100000] [--bound-mib 256] \
//!     -- target/release/examples/ws_consumer '{url}' --ssz
//! target/release/examples/storage_flood_ws -- target/release/flashblocks-node --ws '{url}' --ssz --port 0
//! ```
//!
//! `{url}` in the program's arguments is the server's address. The plan: one small
//! frame, then the baseline (the program's peak after it connected and took it);
//! `--first` frames of `--slots` slots (6.4 MB at 100,000); the server closes, the
//! program reconnects, `--second` more; its peak once it has taken them (its next
//! reconnect says so). The goal it prints: the peak at most 1.5 × the overlay's bound
//! (`--bound-mib`, the program's; 256 MiB by default) + the baseline. The program is
//! started here and killed by its id at the end.

#[path = "../tests/support/flood.rs"]
mod flood;

use flood::{run, Plan};
use std::{process::ExitCode, time::Duration};

const MIB: f64 = 1024.0 * 1024.0;

#[tokio::main]
async fn main() -> ExitCode {
    let mut plan = Plan {
        slots: 100_000,
        first: 100,
        second: 50,
        settle: Duration::from_millis(500),
        deadline: Duration::from_secs(1_800),
    };
    let mut bound_mib: usize = 256;
    let mut args = std::env::args().skip(1);
    let mut program = Vec::new();
    while let Some(arg) = args.next() {
        let mut number = || args.next().and_then(|v| v.parse::<u64>().ok());
        match arg.as_str() {
            "--first" => plan.first = number().unwrap_or(plan.first),
            "--second" => plan.second = number().unwrap_or(plan.second),
            "--slots" => plan.slots = number().map_or(plan.slots, |n| n as usize),
            "--bound-mib" => bound_mib = number().map_or(bound_mib, |n| n as usize),
            "--" => {
                program.extend(args.by_ref());
                break;
            }
            _ => {
                eprintln!("usage: storage_flood_ws [--first N] [--second N] [--slots N] [--bound-mib N] -- PROGRAM ARGS ('{{url}}' for the address)");
                return ExitCode::from(2);
            }
        }
    }
    let Some((name, rest)) = program.split_first() else {
        eprintln!("no program to flood (after --)");
        return ExitCode::from(2);
    };
    println!(
        "storage flood of {name}: {} + {} frames of {} slots, bound {bound_mib} MiB",
        plan.first, plan.second, plan.slots
    );
    let started = std::time::Instant::now();
    let report = match run(name, rest, plan, |n, m| {
        if n % 10 == 0 {
            println!(
                "{n:>4} frames sent: RSS {:>7.1} MiB, peak {:>7.1} MiB ({:.0} s)",
                m.rss as f64 / MIB,
                m.hwm as f64 / MIB,
                started.elapsed().as_secs_f64()
            );
        }
    })
    .await
    {
        Ok(report) => report,
        Err(e) => {
            eprintln!("the flood failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = bound_mib << 20;
    let limit = bound + bound / 2 + report.baseline;
    let peak = report.end.hwm;
    println!(
        "frame {:.2} MiB; {} connections; baseline {:.1} MiB; peak {:.1} MiB, RSS at the end {:.1} MiB; limit 1.5 × bound + baseline = {:.1} MiB: {}",
        report.frame_len as f64 / MIB,
        report.connections,
        report.baseline as f64 / MIB,
        peak as f64 / MIB,
        report.end.rss as f64 / MIB,
        limit as f64 / MIB,
        if peak <= limit { "ok" } else { "MISSED" },
    );
    if peak <= limit {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
