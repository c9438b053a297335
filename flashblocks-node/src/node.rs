//! The `flashblocks-node` program as a library: its flags ([`Args`], `clap`, each also an
//! environment variable), and [`start`], which fills the overlay from a live websocket
//! stream and serves it over JSON-RPC with logs (`tracing`) and Prometheus metrics
//! (`metrics`).
//!
//! Metrics (with `--metrics ADDR`, served at `http://ADDR/metrics`):
//!
//! | name | kind | what |
//! | --- | --- | --- |
//! | `flashblocks_frames_total{verdict, rule}` | counter | messages by verdict (`accept`, `duplicate`, `reject`, `payload_end`: X Layer's end of a sequence) and rule id |
//! | `flashblocks_block_hash_total{outcome}` | counter | accepted flashblocks by the block-hash check's outcome (`ok`, `mismatch`, `unavailable`: OP Subblocks' zero hash, `not_a_header_hash`: Base's per-frame identity, `skipped`: no block assembled) |
//! | `flashblocks_apply_seconds` | histogram | decode + validate + assemble + overlay of one message |
//! | `flashblocks_publish_delay_seconds` | histogram | from an accepted message's arrival (read off the websocket) to its snapshot's publication: the writer's queue and the apply (buckets 1 ms to 5 s, with 0.2 s, one flashblock interval: p99 <= 0.2 s when `le="0.2"` holds 99 % of `_count`) |
//! | `flashblocks_execution_seconds` | histogram | with `--chain`: the validation of one message, its execution included (the execution check runs inside the validator; the other rules take microseconds) |
//! | `flashblocks_execution_reports_total{kind}` | counter | with `--chain`: flashblocks whose execution differs from their claims (`mismatch`) or that were not executed (`not_executed`: parent state unavailable, the upstream failed) |
//! | `flashblocks_heads_deferred_total` | counter | canonical heads that arrived before the last flashblocks of their block (its transactions extend what arrived): taken in once that block is over |
//! | `flashblocks_newest_age_seconds` | gauge | seconds since the newest accepted flashblock arrived |
//! | `flashblocks_pending_behind_seconds` | gauge | wall clock minus the pending block's timestamp |
//! | `flashblocks_stream_reconnects_total` | counter | connections after the first |
//! | `flashblocks_stream_disconnects_total{kind}` | counter | ends of a connection by [`Disconnect::kind`](crate::ws::Disconnect::kind) |
//! | `flashblocks_stream_idle_reconnects_total` | counter | connections dropped for sending no data message for `--idle-deadline-ms` (pings answered or not) |
//! | `flashblocks_subscribers{kind}` | gauge | websocket subscriptions by kind |
//! | `flashblocks_canonical_events_total{kind}` | counter | the overlay's answers to the upstream's heads (`confirmed`, `passed`, `broken_preconfirmation`, `reorg`) |
//! | `flashblocks_upstream_reorgs_total` | counter | upstream heads that went back or sideways |
//! | `flashblocks_upstream_requests_total{method}` | counter | JSON-RPC requests sent to the upstream (each call of a batch counted) |
//! | `flashblocks_upstream_batches_total` | counter | JSON-RPC batches sent to the upstream (state read ahead of a flashblock) |
//! | `flashblocks_state_cache_hits_total` | counter | with `--chain`: state reads of accepted flashblocks answered without the upstream (the rolled cache, preconfirmed blocks, earlier reads) |
//! | `flashblocks_state_cache_misses_total` | counter | with `--chain`: accounts and slots accepted flashblocks read from the upstream |
//! | `flashblocks_state_cache_bytes` | gauge | with `--chain`: the rolled state cache's size (estimated; bounded by `--state-cache-bytes`) |
//! | `flashblocks_state_cache_drops_total` | counter | with `--chain`: rolled caches dropped (broken preconfirmation, reorg, a block passed unconfirmed) |
//!
//! The gauges are refreshed every second.
//!
//! ## Execution
//!
//! With `--ws`, `--upstream` and `--chain`, each flashblock is executed
//! ([`Receiver::with_execution`]) on the state it extends: the executor's own post-state
//! of a preconfirmed parent, else the upstream's state fixed at the parent's hash
//! ([`UpstreamState`]). A stripped stream (no balances,
//! no receipts, as Base and Unichain send) then serves executed balances, nonces, code,
//! storage and receipts, and `eth_call` / `eth_estimateGas` on `pending` run locally on
//! the newest executed state ([`PendingSnapshots`]). Execution runs on the writer thread
//! ([`crate::writer`]), which owns the receiving side: its upstream reads wait there,
//! parking no runtime worker, and the RPC reads only what the writer publishes (the
//! overlay's snapshots, the executor's pending snapshot). `--execution enforce` rejects
//! a flashblock whose execution differs from its claims; `report` (the default) accepts
//! it, logs and counts the mismatch, and stops serving that block's executed facts;
//! `off` does not execute.
//!
//! The state rolls forward: what execution read from the upstream and its own
//! post-state of block `N` serve block `N + 1` once the canonical chain confirms `N` as
//! the node preconfirmed it (dropped on a broken preconfirmation or a reorg), bounded
//! by `--state-cache-bytes` ([`DEFAULT_STATE_CACHE_BYTES`], 256 MiB, estimated). Before
//! a flashblock executes, the accounts and slots it names that the node does not hold
//! (senders, recipients, EIP-2930 and EIP-7702 lists) are read in JSON-RPC batches of
//! `--upstream-batch-size` calls, sent at once; what execution still misses is read
//! one key at a time, the writer waiting for that read only.

use crate::{
    pipeline::{now_ms, Pipeline},
    rpc::{feed::Feed, serve, Backend, NoCanonicalState, ServerConfig},
    upstream::{follow_heads, Upstream, UpstreamState},
    writer::{Input, Writer, WriterSender, DEFAULT_QUEUE, DEFAULT_QUEUE_BYTES},
    ws::{run, ConsumerConfig, ConsumerEvent, Disconnect},
    Error,
};
use flashblocks::{Receiver, ReceiverConfig};
use flashblocks_execute::{
    ChainConfig, Enforcement, ExecutionCheck, Executor, PendingSnapshots, StateCacheStats,
    DEFAULT_STATE_CACHE_BYTES,
};
use flashblocks_overlay::{OverlayConfig, OverlayReader};
use flashblocks_types::{Dialect, DialectChoice};
use flashblocks_validate::ValidatorConfig;
use jsonrpsee::server::ServerHandle;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use std::{net::SocketAddr, time::Duration};
use tokio::task::JoinHandle;

/// The local development chain's id (`--chain dev`).
pub const DEV_CHAIN_ID: u64 = 901;

/// The last hardfork the local development chain runs, active from genesis with every
/// earlier one (`--chain dev`).
pub const DEV_HARDFORK: alloy_op_hardforks::OpHardfork = alloy_op_hardforks::OpHardfork::Isthmus;

/// The chains `--chain` names ([`ChainConfig::NAMES`]): their ids, block times and
/// hardfork schedules (`flashblocks-types`' one definition, from the superchain
/// registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ChainName {
    /// The local development chain (the examples' `sequencer`): chain id 901, every
    /// hardfork up to Isthmus active from genesis.
    Dev,
    /// OP Mainnet (10).
    OpMainnet,
    /// OP Sepolia (11155420).
    OpSepolia,
    /// Base Mainnet (8453).
    BaseMainnet,
    /// Base Sepolia (84532).
    BaseSepolia,
    /// Unichain (130).
    UnichainMainnet,
    /// Unichain Sepolia (1301).
    UnichainSepolia,
    /// World Chain (480).
    WorldchainMainnet,
    /// Ink (57073).
    InkMainnet,
    /// Soneium (1868).
    SoneiumMainnet,
}

impl ChainName {
    /// The chain's configuration.
    pub fn config(self) -> ChainConfig {
        match self {
            Self::Dev => ChainConfig::dev(DEV_CHAIN_ID, DEV_HARDFORK),
            Self::OpMainnet => ChainConfig::op_mainnet(),
            Self::OpSepolia => ChainConfig::op_sepolia(),
            Self::BaseMainnet => ChainConfig::base_mainnet(),
            Self::BaseSepolia => ChainConfig::base_sepolia(),
            Self::UnichainMainnet => ChainConfig::unichain_mainnet(),
            Self::UnichainSepolia => ChainConfig::unichain_sepolia(),
            Self::WorldchainMainnet => ChainConfig::worldchain_mainnet(),
            Self::InkMainnet => ChainConfig::ink_mainnet(),
            Self::SoneiumMainnet => ChainConfig::soneium_mainnet(),
        }
    }
}

/// What `--execution` does with a flashblock whose execution differs from its claims.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutionMode {
    /// Do not execute (`--chain` then only names the chain id).
    Off,
    /// Accept it, log and count the mismatch; its block's executed facts stop serving.
    #[default]
    Report,
    /// Reject it (rule `execution_invalid`).
    Enforce,
}

/// `flashblocks-node`'s flags; each can also be set by the environment variable named.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "flashblocks-node",
    version,
    about = "JSON-RPC answering the `pending` tag from a flashblocks stream's preconfirmed state",
    long_about = "JSON-RPC (HTTP and websocket on one port) answering the `pending` tag from \
                  the preconfirmed-state overlay, fed by a live flashblocks websocket (--ws), \
                  executed on a canonical upstream's state (--upstream, --chain). GET /health \
                  fails when the stream is stale."
)]
pub struct Args {
    /// Address to serve JSON-RPC on (HTTP and websocket).
    #[arg(long, env = "FLASHBLOCKS_NODE_HOST", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Port to serve JSON-RPC on (0: a free one).
    #[arg(long, env = "FLASHBLOCKS_NODE_PORT", default_value_t = 8545)]
    pub port: u16,
    /// A flashblocks websocket (`ws://` or `wss://`) to consume, reconnecting as needed.
    #[arg(long, env = "FLASHBLOCKS_NODE_WS", value_name = "URL")]
    pub ws: Option<String>,
    /// The stream sends SSZ V1 frames: the same as `--dialect ssz`.
    #[arg(long, env = "FLASHBLOCKS_NODE_SSZ", conflicts_with = "dialect")]
    pub ssz: bool,
    /// The stream's dialect: `auto` (decided from the first index 0 among the JSON
    /// dialects), `ssz`, `rollup-boost`, `subblocks`, `base`, `worldchain` or `xlayer`.
    #[arg(long, env = "FLASHBLOCKS_NODE_DIALECT", default_value = "auto", value_name = "DIALECT")]
    pub dialect: DialectChoice,
    /// With --ws, pending answers are "not here" (and /health fails) once the newest
    /// flashblock is older than this; 0 turns the bound off.
    #[arg(long, env = "FLASHBLOCKS_NODE_MAX_AGE_MS", default_value_t = 5_000)]
    pub max_age_ms: u64,
    /// With --ws, a stream that sends no data message for this long (pings and pongs do
    /// not count; the time the consumer waits for the pipeline does not either) is
    /// dropped and reconnected; 0 turns the deadline off.
    #[arg(long, env = "FLASHBLOCKS_NODE_IDLE_DEADLINE_MS", default_value_t = 2_000)]
    pub idle_deadline_ms: u64,
    /// Pending blocks the overlay keeps above the canonical head; beyond it the oldest
    /// is evicted (state reads then wait for the canonical chain to reach it).
    #[arg(long, env = "FLASHBLOCKS_NODE_MAX_PENDING_BLOCKS", default_value_t = 64)]
    pub max_pending_blocks: usize,
    /// The overlay's memory bound in bytes, as it counts what it holds (flashblocks,
    /// their layers, the index); beyond it the oldest pending blocks are evicted and a
    /// single larger block is refused. The process's peak stays within about 1.5 times
    /// this plus its memory at start (the crate docs, "Memory and the global
    /// allocator").
    #[arg(long, env = "FLASHBLOCKS_NODE_MAX_OVERLAY_BYTES", default_value_t = 256 << 20)]
    pub max_overlay_bytes: usize,
    /// The time one HTTP request may take, headers to answer, before its connection is
    /// closed.
    #[arg(long, env = "FLASHBLOCKS_NODE_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// The largest request body.
    #[arg(long, env = "FLASHBLOCKS_NODE_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
    pub max_request_bytes: u32,
    /// Connections at once.
    #[arg(long, env = "FLASHBLOCKS_NODE_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: u32,
    /// Accepted flashblocks a subscriber may fall behind by before it is dropped.
    #[arg(long, env = "FLASHBLOCKS_NODE_SUBSCRIBER_BUFFER", default_value_t = 256)]
    pub subscriber_buffer: usize,
    /// What `eth_chainId` answers (default: `--chain`'s id, else forwarded to the
    /// upstream).
    #[arg(long, env = "FLASHBLOCKS_NODE_CHAIN_ID")]
    pub chain_id: Option<u64>,
    /// A canonical node's JSON-RPC (`http(s)://`, polled for new heads, or `ws(s)://`,
    /// subscribed to `newHeads`): non-`pending` requests are forwarded to it, the
    /// overlay falls back to it, its heads confirm or drop preconfirmed blocks, and
    /// transactions are sent through it.
    #[arg(long, env = "FLASHBLOCKS_NODE_UPSTREAM", value_name = "URL")]
    pub upstream: Option<String>,
    /// Execute each flashblock under this chain's rules (needs --upstream, unless
    /// `--execution off`): a stripped stream then serves executed balances, nonces and
    /// receipts, and `eth_call` / `eth_estimateGas` on `pending` run locally.
    #[arg(long, env = "FLASHBLOCKS_NODE_CHAIN", value_enum, value_name = "CHAIN")]
    pub chain: Option<ChainName>,
    /// With --chain: the chain's Lagoon time (seconds since the Unix epoch), overriding
    /// the configuration's (none is known yet).
    #[arg(long, env = "FLASHBLOCKS_NODE_LAGOON_TIME", value_name = "SECONDS")]
    pub lagoon_time: Option<u64>,
    /// With --chain: whether flashblocks are executed (`off`: not), and what one whose
    /// execution differs from its claims gets.
    #[arg(long, env = "FLASHBLOCKS_NODE_EXECUTION", value_enum, default_value_t = ExecutionMode::Report)]
    pub execution: ExecutionMode,
    /// With --chain: the rolled state cache's bound in bytes (estimated; 0: nothing
    /// rolls forward, each block reads its state from the upstream again).
    #[arg(long, env = "FLASHBLOCKS_NODE_STATE_CACHE_BYTES", default_value_t = DEFAULT_STATE_CACHE_BYTES)]
    pub state_cache_bytes: usize,
    /// With --chain: calls in one JSON-RPC batch when state is read ahead of a
    /// flashblock (the batches go at once); 0 turns reading ahead off.
    #[arg(long, env = "FLASHBLOCKS_NODE_UPSTREAM_BATCH_SIZE", default_value_t = crate::upstream::DEFAULT_BATCH_SIZE)]
    pub upstream_batch_size: usize,
    /// How often an HTTP upstream is polled for its head.
    #[arg(long, env = "FLASHBLOCKS_NODE_HEAD_POLL_MS", default_value_t = 1_000)]
    pub head_poll_ms: u64,
    /// The longest wait `eth_sendRawTransactionSync` accepts.
    #[arg(long, env = "FLASHBLOCKS_NODE_MAX_SYNC_TIMEOUT_MS", default_value_t = 20_000)]
    pub max_sync_timeout_ms: u64,
    /// Serve Prometheus metrics at `http://ADDR/metrics`.
    #[arg(long, env = "FLASHBLOCKS_NODE_METRICS", value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long, env = "FLASHBLOCKS_NODE_SECONDS")]
    pub seconds: Option<u64>,
}

impl Args {
    /// The stream's dialect (`--ssz` is `--dialect ssz`).
    pub fn dialect(&self) -> DialectChoice {
        if self.ssz {
            DialectChoice::Fixed(Dialect::SszV1)
        } else {
            self.dialect
        }
    }

    /// The `--chain` configuration, with `--lagoon-time` when given.
    pub fn chain_config(&self) -> Option<ChainConfig> {
        self.chain.map(|chain| {
            let config = chain.config();
            match self.lagoon_time {
                Some(time) => config.with_lagoon_time(Some(time)),
                None => config,
            }
        })
    }

    /// The staleness bound for a live stream (`None` without `--ws`, or with
    /// `--max-age-ms 0`).
    pub fn max_age_ms(&self) -> Option<u64> {
        (self.ws.is_some() && self.max_age_ms > 0).then_some(self.max_age_ms)
    }

    /// The overlay's bounds (`--max-pending-blocks`, `--max-overlay-bytes`) and
    /// staleness bound.
    pub fn overlay_config(&self) -> OverlayConfig {
        OverlayConfig {
            max_pending_blocks: self.max_pending_blocks,
            max_bytes: self.max_overlay_bytes,
            max_age_ms: self.max_age_ms(),
        }
    }

    /// The server's bounds.
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            max_request_bytes: self.max_request_bytes,
            max_connections: self.max_connections,
            max_age_ms: self.max_age_ms(),
            chain_id: self.chain_id.or_else(|| self.chain.map(|c| c.config().chain_id())),
            max_sync_timeout: Duration::from_millis(self.max_sync_timeout_ms),
            ..ServerConfig::default()
        }
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    /// The JSON-RPC address.
    pub addr: SocketAddr,
    handle: ServerHandle,
    tasks: Vec<JoinHandle<()>>,
    writer: Writer,
}

impl Node {
    /// Stops the server, the stream consumer and the head follower, then waits (at
    /// most 10 s) for the writer to finish what it was doing.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            // Err: aborted, as asked.
            let _ = task.await;
        }
        // Err: already stopped.
        let _ = self.handle.stop();
        self.handle.stopped().await;
        if tokio::time::timeout(Duration::from_secs(10), self.writer.join()).await.is_err() {
            tracing::warn!("the writer did not stop within 10 s");
        }
    }
}

/// `flashblocks_publish_delay_seconds`'s buckets (seconds): one flashblock interval
/// (0.2 s) is a bound, so the share of frames published within it reads off one bucket.
pub const PUBLISH_DELAY_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0];

/// Installs the Prometheus recorder as the process's and serves its page at
/// `http://addr/metrics` (call it inside the tokio runtime; port 0 picks a free one);
/// the handle (it renders the same page) and the address bound.
///
/// # Errors
///
/// [`Error::Io`] when the address cannot be bound, [`Error::Metrics`] when a recorder
/// is installed already.
pub fn install_metrics(addr: SocketAddr) -> Result<(PrometheusHandle, SocketAddr), Error> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("flashblocks_apply_seconds".to_owned()),
            &[1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        )?
        .set_buckets_for_metric(
            Matcher::Full("flashblocks_execution_seconds".to_owned()),
            &[1e-4, 1e-3, 5e-3, 1e-2, 5e-2, 1e-1, 0.5, 1.0],
        )?
        .set_buckets_for_metric(
            Matcher::Full("flashblocks_publish_delay_seconds".to_owned()),
            PUBLISH_DELAY_BUCKETS,
        )?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(BuildError::from)?;
    tokio::spawn(serve_metrics(listener, handle.clone()));
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok((handle, local))
}

/// Answers `GET /metrics` with the page, anything else with 404; one request per
/// connection, its head read within 5 s and 8 KiB.
async fn serve_metrics(listener: tokio::net::TcpListener, handle: PrometheusHandle) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let Ok((mut tcp, _)) = listener.accept().await else { continue };
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut head = Vec::with_capacity(1024);
            let read = async {
                let mut buf = [0u8; 1024];
                while head.len() < 8192 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
                    }
                }
            };
            if tokio::time::timeout(Duration::from_secs(5), read).await.is_err() {
                return;
            }
            let (status, body) = if head.starts_with(b"GET /metrics ") {
                ("200 OK", handle.render())
            } else {
                ("404 Not Found", String::new())
            };
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tcp.write_all(answer.as_bytes()).await;
            let _ = tcp.shutdown().await;
        });
    }
}

/// Starts what `args` describe: the stream consumer (`--ws`), the canonical head
/// follower (`--upstream`), and the server.
///
/// # Errors
///
/// [`Error::Usage`] without `--ws`, or with `--chain` (executing) and no `--upstream`;
/// [`Error`] when the upstream cannot be reached or the server cannot bind.
pub async fn start(args: &Args) -> Result<Node, Error> {
    let Some(url) = &args.ws else {
        return Err(Error::Usage("--ws URL (the flashblocks stream) is required"));
    };
    let executing = args.chain.is_some() && args.execution != ExecutionMode::Off;
    if executing && args.upstream.is_none() {
        return Err(Error::Usage(
            "--chain (execution) needs --upstream (or --execution off to only name the chain)",
        ));
    }
    let mut tasks = Vec::new();
    let feed = Feed::new(args.subscriber_buffer);
    let upstream = match &args.upstream {
        Some(url) => {
            let upstream = Upstream::connect(url).await?.with_batch_size(args.upstream_batch_size);
            tracing::info!(url = %url, pubsub = upstream.is_pubsub(), "canonical upstream");
            Some(upstream)
        }
        None => None,
    };
    let lagoon_time = args.chain_config().and_then(|c| c.lagoon_time());
    let validator =
        ValidatorConfig::v1().with_dialect(args.dialect()).with_lagoon_time(lagoon_time);
    if validator.rule_set() == flashblocks_validate::RuleSet::Json {
        match lagoon_time {
            Some(time) => {
                tracing::info!(lagoon_time = time, "post_exec_tx before it: post_exec_inactive")
            }
            None => tracing::info!(
                "no Lagoon time (--chain, --lagoon-time): the rule post_exec_inactive is off"
            ),
        }
    }
    // The node serves no finished payload (`Receiver::payloads`): it keeps none, rather
    // than the receiver's default 64 MiB of blocks it would never read.
    let config = ReceiverConfig {
        max_payload_bytes: 0,
        ..ReceiverConfig::with_validator(validator).with_overlay(args.overlay_config())
    };
    let mut snapshots = None;
    let mut cache_stats = None;
    let pipeline = match (args.chain, &upstream) {
        (Some(chain), Some(upstream)) if executing => {
            let (receiver, pending, stats) = executing_receiver(config, chain, args, upstream);
            snapshots = Some(pending);
            cache_stats = Some(stats);
            tracing::info!(?chain, execution = ?args.execution, "executing flashblocks");
            Pipeline::from_receiver(receiver)
        }
        _ => Pipeline::from_receiver(Receiver::new(config)),
    };
    let reader = pipeline.reader();
    // The frames waiting for the writer stay a small part of the overlay's bound.
    let queue_bytes = DEFAULT_QUEUE_BYTES.min(args.max_overlay_bytes / 16);
    let writer = Writer::spawn(pipeline, feed.clone(), DEFAULT_QUEUE, queue_bytes, executing)?;
    let consumer = ConsumerConfig {
        idle_deadline: match args.idle_deadline_ms {
            0 => Duration::MAX,
            ms => Duration::from_millis(ms),
        },
        ..ConsumerConfig::default()
    };
    tasks.push(tokio::spawn(consume(url.clone(), writer.sender(), consumer)));
    tasks.push(tokio::spawn(refresh_gauges(reader.clone())));
    if let Some(stats) = cache_stats {
        tasks.push(tokio::spawn(refresh_cache_metrics(stats)));
    }
    if let Some(upstream) = &upstream {
        let poll = Duration::from_millis(args.head_poll_ms);
        tasks.push(tokio::spawn(follow(upstream.clone(), poll, writer.sender())));
    }
    let backend =
        Backend { reader, canonical: NoCanonicalState, upstream, feed, execution: snapshots };
    let addr = SocketAddr::new(args.host, args.port);
    let (addr, handle) = serve(addr, backend, &args.server_config()).await?;
    tracing::info!(%addr, "serving JSON-RPC (HTTP and websocket), GET /health");
    Ok(Node { addr, handle, tasks, writer })
}

/// A receiver executing each flashblock under `chain`'s rules over `upstream`'s state,
/// and the handle on its newest executed pending state.
fn executing_receiver(
    config: ReceiverConfig,
    chain: ChainName,
    args: &Args,
    upstream: &Upstream,
) -> (Receiver, PendingSnapshots<UpstreamState>, StateCacheStats) {
    let enforcement = match args.execution {
        ExecutionMode::Off | ExecutionMode::Report => Enforcement::Report,
        ExecutionMode::Enforce => Enforcement::Enforce,
    };
    let chain = args.chain_config().unwrap_or_else(|| chain.config());
    let executor =
        Executor::new(chain, upstream.clone()).with_state_cache_bytes(args.state_cache_bytes);
    let stats = executor.state_cache_stats();
    let mut check = ExecutionCheck::new(executor).with_enforcement(enforcement);
    let snapshots = check.pending_snapshots();
    (Receiver::with_execution(config, check), snapshots, stats)
}

/// The consumer task: reads the stream into the writer's queue (waiting while it is
/// full), recording connections and disconnections.
async fn consume(url: String, mut writer: WriterSender, config: ConsumerConfig) {
    let summary = run(&url, &mut writer, &config, |event| match event {
        ConsumerEvent::Connected(n) => {
            if n > 1 {
                metrics::counter!("flashblocks_stream_reconnects_total").increment(1);
            }
            tracing::info!(url = %url, connection = n, "stream connected");
        }
        ConsumerEvent::Disconnected(why) => {
            metrics::counter!("flashblocks_stream_disconnects_total", "kind" => why.kind())
                .increment(1);
            if matches!(why, Disconnect::Idle(_)) {
                metrics::counter!("flashblocks_stream_idle_reconnects_total").increment(1);
            }
            tracing::warn!(url = %url, kind = why.kind(), %why, "stream ended");
        }
        ConsumerEvent::Backoff(delay) => {
            tracing::info!(delay_ms = delay.as_millis() as u64, "reconnecting");
        }
        // The writer records the reports.
        _ => {}
    })
    .await;
    tracing::info!(?summary, "stream consumer stopped");
}

/// The canonical head follower: each new head of the upstream goes to the writer's
/// queue (waiting while it is full: a head is never dropped).
async fn follow(upstream: Upstream, poll: Duration, writer: WriterSender) {
    let mut last: Option<flashblocks_overlay::CanonicalHead> = None;
    follow_heads(upstream, poll, |new| {
        if last.is_some_and(|l| new.head.number <= l.number) {
            // The head went back or sideways: the upstream reorged (whether or not the
            // overlay held anything on the old head).
            metrics::counter!("flashblocks_upstream_reorgs_total").increment(1);
            tracing::warn!(from = ?last, to = ?new.head, "upstream reorg");
        }
        last = Some(new.head);
        let writer = writer.clone();
        async move {
            if writer.send(Input::Head(new)).await.is_err() {
                tracing::debug!("the writer stopped: head not taken");
            }
        }
    })
    .await;
    tracing::warn!("canonical head follower stopped");
}

/// Refreshes the age gauges every second.
pub async fn refresh_gauges(reader: OverlayReader) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = now_ms();
        let snapshot = reader.snapshot();
        if let Some(age_ms) = snapshot.age_ms(now) {
            metrics::gauge!("flashblocks_newest_age_seconds").set(age_ms as f64 / 1000.0);
        }
        if let Some(block) = snapshot.at(now).pending_block(false).into_value() {
            let behind = now as f64 / 1000.0 - block.header.timestamp as f64;
            metrics::gauge!("flashblocks_pending_behind_seconds").set(behind);
        }
    }
}

/// Copies the state cache's counters (the writer's) into the metrics, every second.
async fn refresh_cache_metrics(stats: StateCacheStats) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        metrics::counter!("flashblocks_state_cache_hits_total").absolute(stats.hits());
        metrics::counter!("flashblocks_state_cache_misses_total").absolute(stats.misses());
        metrics::counter!("flashblocks_state_cache_drops_total").absolute(stats.drops());
        metrics::gauge!("flashblocks_state_cache_bytes").set(stats.bytes() as f64);
    }
}
