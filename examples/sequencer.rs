//! `sequencer`: a local flashblocks chain on loopback, a test double for op-rbuilder +
//! rollup-boost + the L2 node (see [`flashblocks_examples::sequencer`]).
//!
//! ```text
//! cargo run --release --bin sequencer -- --help
//! cargo run --release --bin sequencer                    # ws://127.0.0.1:1111, http://127.0.0.1:9545
//! cargo run --release --bin sequencer -- --ws-port 0 --rpc-port 0 --format brotli
//! ```
//!
//! Once listening it prints one line on stdout, `sequencer ws=ws://ADDR rpc=http://ADDR`;
//! logs go to stderr, filtered by `RUST_LOG` (default `info`). It runs until Ctrl-C (or
//! for `--seconds N`).

use clap::Parser;
use flashblocks_examples::sequencer::{start, Args};
use std::{io::Write, time::Duration};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let sequencer = start(&args).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", sequencer.ready_line())?;
    stdout.flush()?;
    match args.seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => tokio::signal::ctrl_c().await?,
    }
    sequencer.stop().await;
    Ok(())
}
