//! `flashblocks-node`: JSON-RPC answering the `pending` tag from a flashblocks stream's
//! preconfirmed state (see the crate's README, or `flashblocks-node --help`).

use clap::{CommandFactory, Parser};
use flashblocks_node::node::{install_metrics, start, Args};
use std::{process::ExitCode, time::Duration};
use tracing_subscriber::EnvFilter;

// jemalloc (default feature `jemalloc`): glibc's malloc lets the process grow far past
// the overlay's bound under large frames (the crate docs, "Memory and the global
// allocator").
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: flashblocks_node::GlobalAllocator = flashblocks_node::GlobalAllocator;

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.ws.is_none() {
        eprintln!("error: --ws URL (the flashblocks stream to consume) is required\n");
        eprintln!("{}", Args::command().render_help());
        return Ok(ExitCode::from(2));
    }
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
    match args.seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => tokio::signal::ctrl_c().await?,
    }
    node.stop().await;
    Ok(ExitCode::SUCCESS)
}
