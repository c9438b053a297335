//! `loadgen`: signed transfers and contract calls sent to a local chain at a set rate,
//! on loopback (see [`flashblocks_examples::loadgen`]).
//!
//! ```text
//! cargo run --release --bin sequencer &
//! cargo run --release --bin loadgen -- --rpc http://127.0.0.1:9545 --rate 1000 --seconds 60
//! ```
//!
//! It prints what it sent, the errors by message, the achieved rate, the request
//! latency, and how much of what was accepted the chain included; it exits non-zero
//! when the setup fails.

use clap::Parser;
use flashblocks_examples::loadgen::{run, Args};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!(
        "loadgen rpc={} rate={}/s seconds={} concurrency={} mix=50% transfers to fresh addresses, 25% transfers between development keys, 25% contract calls (a slot written, a log)",
        args.rpc, args.rate, args.seconds, args.concurrency
    );
    let report = run(&args).await?;
    print!("{report}");
    Ok(())
}
