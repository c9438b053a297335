//! `pending_rpc`: a JSON-RPC server answering the `pending` tag from the
//! preconfirmed-state overlay, fed by a live flashblocks websocket (`--ws`), a capture
//! (`FILE`), or the simulated builder.
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
//! Every flag is also an environment variable (`PENDING_RPC_*`, see `--help`); logs go
//! to stderr, filtered by `RUST_LOG` (default `info`). It serves until Ctrl-C (or for
//! `--seconds N`).

use clap::Parser;
use flashblocks_examples::{
    node::{install_metrics, start, Args},
    simulate::dev_signers,
};
use std::time::Duration;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let metrics = match args.metrics {
        Some(addr) => {
            let (_, addr) = install_metrics(addr)?;
            tracing::info!(%addr, "Prometheus metrics at /metrics");
            Some(addr)
        }
        None => None,
    };
    let node = start(&args).await?;
    // The first line on stdout: harnesses read the bound addresses (of port 0) here.
    match metrics {
        Some(metrics) => println!("listening on {} metrics {metrics}", node.addr),
        None => println!("listening on {}", node.addr),
    }
    for line in node.replay_lines.iter().skip(1) {
        println!("{line}");
    }
    let addr = node.addr;
    let account = dev_signers().first().map(|s| s.address()).unwrap_or_default();
    println!("\nserving the pending state on http://{addr} (and ws://{addr}); try:");
    println!(
        "  curl -s -H 'content-type: application/json' {addr} -d \
         '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"{account}\",\"pending\"]}}'"
    );
    println!("  curl -s {addr}/health");
    match args.seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => tokio::signal::ctrl_c().await?,
    }
    node.stop().await;
    Ok(())
}
