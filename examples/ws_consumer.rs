//! `ws_consumer`: connects to a flashblocks websocket (plain or brotli-compressed JSON
//! messages, or SSZ with `--ssz`), validates every flashblock, assembles the block with
//! the block-hash check, keeps the overlay, and prints what it accepts.
//!
//! ```text
//! cargo run --release --example ws_consumer -- wss://HOST/ws [--dialect D|--ssz] [--chain NAME [--lagoon-time S]] [--max N] [--once]
//! cargo run --release --example ws_consumer      # a loopback demo stream
//! ```
//!
//! Given a URL it reconnects after every end of the connection (with a capped backoff),
//! until `--max N` messages; `--once` stops after the first connection.
//!
//! With no URL it starts a loopback server that streams the simulated blocks as the
//! deployed streams do (JSON text and brotli binary messages, one malformed) and
//! consumes it.

use flashblocks_examples::{
    replay::{header, row},
    simulate::{simulate, SimulationConfig},
};
use flashblocks_node::{
    pipeline::Pipeline,
    ws::{run, serve_once, ConsumerConfig, ConsumerEvent, WsFrame},
};
use flashblocks_overlay::OverlayConfig;
use flashblocks_types::{ChainConfig, Dialect, DialectChoice, JsonFrameReader};
use flashblocks_validate::{max_flashblocks_per_block, ValidatorConfig};

// The node's allocator (jemalloc): with glibc's the process grows far past the
// overlay's bound under large frames (flashblocks-node's docs, "Memory and the global
// allocator").
#[global_allocator]
static GLOBAL: flashblocks_node::GlobalAllocator = flashblocks_node::GlobalAllocator;

const USAGE: &str = "usage: ws_consumer [URL] [--dialect D|--ssz] [--chain NAME [--lagoon-time S]] [--max N] [--once]
  URL: a flashblocks websocket (ws:// or wss://); without one, a loopback demo stream";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut url = None;
    let mut dialect = DialectChoice::Auto;
    let mut chain: Option<ChainConfig> = None;
    let mut max = None;
    let mut once = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ssz" => dialect = DialectChoice::Fixed(Dialect::SszV1),
            "--dialect" => dialect = args.next().ok_or("--dialect needs a name")?.parse()?,
            "--chain" => {
                let name = args.next().ok_or("--chain needs a name")?;
                chain = Some(ChainConfig::by_name(&name).ok_or("unknown --chain")?);
            }
            "--lagoon-time" => {
                let time = args.next().ok_or("--lagoon-time needs seconds")?.parse()?;
                chain = chain.map(|c| c.with_lagoon_time(Some(time)));
            }
            "--max" => max = Some(args.next().ok_or("--max needs a number")?.parse()?),
            "--once" => once = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => {
                eprintln!("unknown option {flag}\n{USAGE}");
                std::process::exit(2);
            }
            _ => url = Some(arg),
        }
    }
    let mut server = None;
    let url = match url {
        Some(url) => url,
        None => {
            let sim = simulate(&SimulationConfig::default())?;
            let mut frames: Vec<WsFrame> = sim
                .json_frames()
                .into_iter()
                .enumerate()
                .map(|(i, json)| {
                    if i % 2 == 0 {
                        WsFrame::Text(String::from_utf8_lossy(&json).into_owned())
                    } else {
                        WsFrame::Binary(JsonFrameReader::encode_brotli(&json))
                    }
                })
                .collect();
            frames.insert(6, WsFrame::Binary(b"\xffnot brotli".to_vec()));
            let (addr, task) = serve_once(([127, 0, 0, 1], 0).into(), frames).await?;
            server = Some(task);
            dialect = DialectChoice::Auto;
            once = true;
            println!("demo: a loopback server streams the simulated blocks as JSON (every other message brotli, one malformed)");
            format!("ws://{addr}")
        }
    };
    println!("consuming {url} (dialect {dialect})\n{}", header());
    let mut validator = ValidatorConfig::v1().with_dialect(dialect);
    if let Some(chain) = &chain {
        validator = validator
            .with_max_flashblocks_per_block(max_flashblocks_per_block(
                chain.block_time_ms(),
                chain.flashblock_interval_ms(),
            ))
            .with_lagoon_time(chain.lagoon_time());
    }
    if validator.rule_set() == flashblocks_validate::RuleSet::Json
        && validator.lagoon_time.is_none()
    {
        println!("no Lagoon time (--chain, --lagoon-time): the rule post_exec_inactive is off");
    }
    let mut pipeline = Pipeline::with_config(validator, OverlayConfig::default());
    let config = ConsumerConfig {
        max_messages: max,
        max_connections: once.then_some(1),
        ..ConsumerConfig::default()
    };
    let summary = run(&url, &mut pipeline, &config, |event| match event {
        ConsumerEvent::Report { report, .. } => println!("{}", row(report)),
        ConsumerEvent::Disconnected(why) => eprintln!("disconnected: {why} ({})", why.kind()),
        ConsumerEvent::Backoff(delay) => eprintln!("reconnecting in {delay:?}"),
        _ => {}
    })
    .await;
    if let Some(task) = server {
        task.await??;
    }
    println!(
        "\n{} messages: {} accepted, {} duplicate, {} rejected {:?}",
        summary.received,
        summary.accepted,
        summary.duplicates,
        summary.rejected_count,
        summary.rejected
    );
    if let Some(id) = pipeline.reader().snapshot().id() {
        println!("overlay: block {} up to flashblock {}", id.block_number, id.flashblock_index);
    }
    Ok(())
}
