//! The `pending_rpc` program as a library: `flashblocks-node` over a live stream
//! (`--ws`, every flag of [`flashblocks_node::node::Args`]), or, without one, the replay
//! of a capture (`FILE`) or of the simulated builder, served over the same JSON-RPC
//! module.

use crate::{
    replay::{replay_bytes, replay_frames, simulated_stream, ReplayOptions},
    simulate::{simulate, SimulationConfig, CHAIN_ID},
    Error,
};
use flashblocks_node::{
    node::{self, refresh_gauges},
    pipeline::Pipeline,
    rpc::{serve, Backend},
};
use flashblocks_validate::RuleSet;
use jsonrpsee::server::ServerHandle;
use std::{net::SocketAddr, path::PathBuf};
use tokio::task::JoinHandle;

/// `pending_rpc`'s flags: the node's, and a capture to replay.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "pending_rpc",
    about = "JSON-RPC answering the `pending` tag from a flashblocks stream's preconfirmed state",
    long_about = "flashblocks-node over a live flashblocks websocket (--ws); without one, \
                  the replay of a capture (FILE) or of the simulated builder, served over \
                  the same JSON-RPC."
)]
// The node's flags are the group `Args`; these, another.
#[group(id = "pending_rpc")]
pub struct Args {
    /// The node's flags.
    #[command(flatten)]
    pub node: node::Args,
    /// A capture to replay instead of the simulated builder (ignored with --ws).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// A running `pending_rpc`: the node, or the replay's server.
#[derive(Debug)]
pub enum Running {
    /// `flashblocks-node` over the stream.
    Node(node::Node),
    /// The replay, served.
    Replay {
        /// The JSON-RPC address.
        addr: SocketAddr,
        /// The replay's table lines.
        lines: Vec<String>,
        /// The server.
        handle: ServerHandle,
        /// The gauges' task.
        gauges: JoinHandle<()>,
    },
}

impl Running {
    /// The JSON-RPC address.
    pub const fn addr(&self) -> SocketAddr {
        match self {
            Self::Node(node) => node.addr,
            Self::Replay { addr, .. } => *addr,
        }
    }

    /// The replay's table lines (none for a live stream).
    pub fn replay_lines(&self) -> &[String] {
        match self {
            Self::Node(_) => &[],
            Self::Replay { lines, .. } => lines,
        }
    }

    /// Stops it.
    pub async fn stop(self) {
        match self {
            Self::Node(node) => node.stop().await,
            Self::Replay { handle, gauges, .. } => {
                gauges.abort();
                // Err: already stopped.
                let _ = handle.stop();
                handle.stopped().await;
            }
        }
    }
}

/// Starts what `args` describe: [`node::start`] with `--ws`, else the replay served.
///
/// # Errors
///
/// [`Error::Node`] for the node's errors, and for `--chain` or `--upstream` without
/// `--ws` ([`flashblocks_node::Error::Usage`]); [`Error`] when the capture cannot be
/// read or the server cannot bind.
pub async fn start(args: &Args) -> Result<Running, Error> {
    if args.node.ws.is_some() {
        return Ok(Running::Node(node::start(&args.node).await?));
    }
    if args.node.chain.is_some() || args.node.upstream.is_some() {
        let why = "--chain (execution) and --upstream need --ws (a live stream)";
        return Err(flashblocks_node::Error::Usage(why).into());
    }
    // Replay quietly: only the totals and the final payloads.
    let options = ReplayOptions { max_rows: 0, progress_every: 0 };
    let mut lines = Vec::new();
    let pipeline = match &args.file {
        Some(path) => replay_bytes(&std::fs::read(path)?, options, &mut lines)?.2,
        None => {
            let (frames, _) = simulated_stream(&simulate(&SimulationConfig::default())?);
            let mut pipeline = Pipeline::new(RuleSet::V1);
            let frames = frames.iter().map(Vec::as_slice);
            replay_frames(&mut pipeline, frames, options, &mut lines);
            pipeline
        }
    };
    let reader = pipeline.reader();
    let gauges = tokio::spawn(refresh_gauges(reader.clone()));
    let mut config = args.node.server_config();
    config.chain_id = config.chain_id.or(Some(CHAIN_ID));
    let addr = SocketAddr::new(args.node.host, args.node.port);
    let (addr, handle) = serve(addr, Backend::new(reader), &config).await.map_err(Error::Node)?;
    tracing::info!(%addr, "serving JSON-RPC (HTTP and websocket), GET /health");
    Ok(Running::Replay { addr, lines, handle, gauges })
}
