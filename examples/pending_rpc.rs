//! `pending_rpc`: `flashblocks-node` over a live flashblocks websocket (`--ws`), or
//! the replay of a capture (`FILE`) or of the simulated builder, served over the same
//! JSON-RPC.
//!
//! ```text
//! cargo run --release --bin pending_rpc -- --help
//! cargo run --release --bin pending_rpc                 # port 8545, simulated blocks
//! cargo run --release --bin pending_rpc -- --port 0 FILE
//! cargo run --release --bin pending_rpc -- --ws wss://HOST/ws --metrics 127.0.0.1:9090
//! curl -s -H 'content-type: application/json' 127.0.0.1:8545 \
//!   -d '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["pending",false]}'
//! curl -s 127.0.0.1:8545/health
//! ```
//!
//! Every flag is also an environment variable (`FLASHBLOCKS_NODE_*`, see `--help`); logs
//! go to stderr, filtered by `RUST_LOG` (default `info`). It serves until Ctrl-C (or for
//! `--seconds N`).

use clap::Parser;
use flashblocks_examples::{
    pending_rpc::{start, Args},
    simulate::dev_signers,
};
use flashblocks_node::node::install_metrics;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let metrics = match args.node.metrics {
        Some(addr) => {
            let (_, addr) = install_metrics(addr)?;
            tracing::info!(%addr, "Prometheus metrics at /metrics");
            Some(addr)
        }
        None => None,
    };
    let running = start(&args).await?;
    let addr = running.addr();
    // The first line on stdout: harnesses read the bound addresses (of port 0) here.
    match metrics {
        Some(metrics) => println!("listening on {addr} metrics {metrics}"),
        None => println!("listening on {addr}"),
    }
    for line in running.replay_lines().iter().skip(1) {
        println!("{line}");
    }
    let account = dev_signers().first().map(|s| s.address()).unwrap_or_default();
    println!("\nserving the pending state on http://{addr} (and ws://{addr}); try:");
    println!(
        "  curl -s -H 'content-type: application/json' {addr} -d \
         '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"{account}\",\"pending\"]}}'"
    );
    println!("  curl -s {addr}/health");
    match args.node.seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => tokio::signal::ctrl_c().await?,
    }
    running.stop().await;
    Ok(())
}
