//! `pending_rpc`: a JSON-RPC server on `127.0.0.1` answering the `pending` tag from the
//! preconfirmed-state overlay, fed by the same replay as `replay` (the simulated
//! builder, or a capture).
//!
//! ```text
//! cargo run --release --example pending_rpc                 # port 8545, simulated blocks
//! cargo run --release --example pending_rpc -- --port 0 FILE
//! curl -s -H 'content-type: application/json' 127.0.0.1:8545 \
//!   -d '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["pending",false]}'
//! ```
//!
//! With `--ws URL` it is a live node's pending state: it consumes a flashblocks websocket
//! (JSON, plain or brotli; `--ssz` for SSZ) and serves from the overlay as it fills.
//!
//! ```text
//! cargo run --release --example pending_rpc -- --ws wss://HOST/ws
//! ```
//!
//! It serves until Ctrl-C (or for `--seconds N`).

use flashblocks_examples::{
    pipeline::{Pipeline, Verdict},
    replay::{replay_bytes, replay_frames, simulated_stream, ReplayOptions},
    rpc::{serve, NoCanonicalState},
    simulate::{dev_signers, simulate, SimulationConfig},
    ws::{run, ConsumerConfig, ConsumerEvent},
};
use flashblocks_overlay::OverlayReader;
use flashblocks_validate::RuleSet;
use std::{net::SocketAddr, time::Duration};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut port = 8545u16;
    let mut seconds = None;
    let mut path = None;
    let mut ws = None;
    let mut rule_set = RuleSet::Json;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().ok_or("--port needs a number")?.parse()?,
            "--ws" => ws = Some(args.next().ok_or("--ws needs a URL")?),
            "--ssz" => rule_set = RuleSet::V1,
            "--seconds" => seconds = Some(args.next().ok_or("--seconds needs a number")?.parse()?),
            _ => path = Some(arg),
        }
    }
    // Replay quietly: only the totals and the final payloads.
    let options = ReplayOptions { max_rows: 0, progress_every: 0 };
    let mut lines = Vec::new();
    let pipeline = match (ws, path) {
        (Some(url), _) => {
            // A live stream: the consumer task owns the pipeline (the one writer), the
            // server reads snapshots through the reader.
            let mut pipeline = Pipeline::new(rule_set);
            let reader = pipeline.reader();
            tokio::spawn(async move {
                let config = ConsumerConfig::default();
                let summary = run(&url, &mut pipeline, &config, |event| match event {
                    ConsumerEvent::Report(report) => {
                        if let Verdict::Reject(err) = &report.verdict {
                            eprintln!("frame {} rejected: {} ({err})", report.frame, err.rule_id());
                        }
                    }
                    ConsumerEvent::Disconnected(why) => eprintln!("stream ended: {why}"),
                    _ => {}
                })
                .await;
                eprintln!("stream consumer stopped: {summary:?}");
            });
            return serve_until_done(port, reader, seconds).await;
        }
        (None, Some(path)) => replay_bytes(&std::fs::read(&path)?, options, &mut lines)?.2,
        (None, None) => {
            let (frames, _) = simulated_stream(&simulate(&SimulationConfig::default())?);
            let mut pipeline = Pipeline::new(RuleSet::V1);
            replay_frames(&mut pipeline, frames.iter().map(Vec::as_slice), options, &mut lines);
            pipeline
        }
    };
    for line in lines.iter().skip(1) {
        println!("{line}");
    }
    serve_until_done(port, pipeline.reader(), seconds).await
}

/// Serves the overlay behind `reader` on `127.0.0.1:port` until Ctrl-C or `seconds`.
async fn serve_until_done(
    port: u16,
    reader: OverlayReader,
    seconds: Option<u64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (addr, handle) = serve(addr, reader, NoCanonicalState).await?;
    let account = dev_signers().first().map(|s| s.address()).unwrap_or_default();
    println!("\nserving the pending state on http://{addr} (and ws://{addr}); try:");
    println!(
        "  curl -s -H 'content-type: application/json' {addr} -d \
         '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"{account}\",\"pending\"]}}'"
    );
    match seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => tokio::signal::ctrl_c().await?,
    }
    handle.stop()?;
    handle.stopped().await;
    Ok(())
}
