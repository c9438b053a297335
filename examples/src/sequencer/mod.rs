//! The `sequencer` program as a library: a local flashblocks chain, a **test double for
//! op-rbuilder + rollup-boost + the L2 node** on loopback.
//!
//! - **The builder** ([`Chain`]): every `--interval-ms` (200 ms) it makes one
//!   flashblock, executed with `flashblocks-execute`'s EVM (the executing builder's
//!   genesis: the development accounts with 10 000 ether each, chain id 901, Isthmus):
//!   index 0 opens a block with the L1-info deposit, each later index takes what
//!   `eth_sendRawTransaction` put in the mempool; a block has 5 to 10 flashblocks
//!   (`--flashblocks-min`/`--flashblocks-max`) and 150 M gas (`--gas-limit`). Metadata,
//!   receipts, roots and block hashes are all true (the state root over the whole
//!   state, kept up to date as accounts change: [`trie`]).
//! - **rollup-boost's stream**: a websocket server (`ws://HOST:WS_PORT`) sending every
//!   flashblock to every client as JSON text, brotli-compressed JSON (binary) or SSZ V1
//!   (binary) (`--format`); with `--stripped` the JSON carries neither balances nor
//!   receipts (Base's Azul shape), so a receiver must execute. A client that falls
//!   behind by more than 1024 messages is disconnected; a new client gets the
//!   flashblocks made after it connected.
//! - **The L2 node**: JSON-RPC over HTTP (`http://HOST:RPC_PORT`, jsonrpsee): a block
//!   turns canonical when its last flashblock is made, and the canonical queries
//!   answer at any sealed block kept (the newest 1024, `--kept-blocks`), by number, tag
//!   or `{"blockHash": …}` (EIP-1898), with the state included.
//!
//! Methods:
//!
//! | method | answers |
//! | --- | --- |
//! | `eth_chainId`, `net_version`, `eth_blockNumber` | 901, `"901"`, the canonical head |
//! | `eth_getBlockByNumber`, `eth_getBlockByHash` | a sealed block (hashes or full transactions); `pending`: null |
//! | `eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`, `eth_getStorageAt` | at a sealed block; `pending`: after the newest flashblock; missing tag: `latest` |
//! | `eth_getTransactionByHash`, `eth_getTransactionReceipt` | sealed transactions (null otherwise), receipts with the L1 fee fields |
//! | `eth_call`, `eth_estimateGas` | the sequencer's EVM at a sealed block (its state and environment), or on `pending`; missing tag: `latest`; state overrides as third parameter |
//! | `eth_getLogs` | the logs of the sealed blocks kept (`fromBlock`/`toBlock`, default `latest`, or `blockHash`; address and topics), at most 10 000 |
//! | `eth_sendRawTransaction` | into the mempool, then the next flashblock after index 0 that executes it (by sender and nonce, within the block's gas); the hash |
//! | `eth_gasPrice`, `eth_maxPriorityFeePerGas` | twice the base fee, 1000 wei |
//! | `debug_dropStreams` | ends every websocket connection (clients reconnect); how many |
//! | `debug_reorg [holdMs?]` | replaces the canonical head (see [`Chain::reorg`]), then makes no flashblock for `holdMs` (default 0, at most 60 000), as when the L2 node reports a reorg before the builder goes on; the number, the removed and the new head |
//!
//! Errors: an unknown block or hash is -32001 `"block not found"` (also a block no
//! longer kept); a refused transaction -32000 with the reason ([`SubmitError`]); a call
//! that reverts is 3 `"execution reverted"` with the revert data as `data`, one that
//! halts or that the EVM refuses -32000 with the reason (geth's shapes); bad params
//! -32602.
//!
//! Not served: `eth_getProof` (no state trie proofs), filters and subscriptions.
//!
//! **One owner.** The chain (mempool, EVM, state) belongs to one thread, fed through a
//! bounded channel: submissions (decoded and their senders recovered on the server's
//! workers first) and `debug_reorg`; it makes a flashblock every interval and publishes
//! the pending state (an immutable snapshot). The readers read the published snapshot
//! and the sealed blocks' [`History`](history::History), whose lock is taken for one
//! lookup (and by the owner to record a sealed block), never across IO or an await.

mod block;
mod chain;
pub mod history;
mod mempool;
mod rpc;
pub mod trie;

pub use chain::{
    Chain, ChainSettings, Emitted, SealedBlock, StateAt, SubmitError, Submitted, CHAIN_ID,
    DEFAULT_GAS_LIMIT, HARDFORK,
};

use crate::Error;
use flashblocks_execute::PendingSnapshot;
use flashblocks_types::JsonFrameReader;
use futures_util::{SinkExt, StreamExt};
use history::SharedHistory;
use jsonrpsee::server::{Server, ServerHandle};
use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc, Arc,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::{
    net::TcpListener,
    sync::{broadcast, oneshot, watch},
    task::JoinHandle,
};
use tokio_tungstenite::tungstenite::Message;

/// How the stream sends each flashblock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StreamFormat {
    /// JSON text messages.
    #[default]
    Json,
    /// Brotli-compressed JSON in binary messages (what rollup-boost sends).
    Brotli,
    /// SSZ V1 frames in binary messages.
    Ssz,
}

/// The stream's dialect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StreamDialect {
    /// rollup-boost's JSON (or SSZ V1 with `--format ssz`).
    #[default]
    RollupBoost,
    /// OP Stack Subblocks (the spec page's "Subblocks and the deployed dialects"): the
    /// JSON with `diff.state_root`, `diff.block_hash` and `diff.withdrawals_root` zero,
    /// `diff.withdrawals` empty and no metadata (balances, receipts), so a receiver
    /// executes; an empty mempool makes heartbeat subblocks. JSON or brotli only.
    Subblocks,
}

/// `sequencer`'s flags; each can also be set by the environment variable named.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "sequencer",
    about = "A local flashblocks chain: a test double for op-rbuilder + rollup-boost + the L2 node",
    long_about = "A local flashblocks chain on loopback, a test double for op-rbuilder + \
                  rollup-boost + the L2 node: an executing builder makes one flashblock per \
                  interval, streams it over a websocket, and serves JSON-RPC: \
                  eth_sendRawTransaction into the next flashblock, canonical queries, \
                  eth_call, eth_estimateGas and eth_getLogs at every sealed block, and \
                  debug_dropStreams / debug_reorg. Prints \
                  `sequencer ws=ws://ADDR rpc=http://ADDR` on stdout once listening."
)]
pub struct Args {
    /// Address to listen on (stream and JSON-RPC).
    #[arg(long, env = "SEQUENCER_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port of the flashblocks websocket (0: a free one).
    #[arg(long, env = "SEQUENCER_WS_PORT", default_value_t = 1111)]
    pub ws_port: u16,
    /// Port of the JSON-RPC endpoint (0: a free one).
    #[arg(long, env = "SEQUENCER_RPC_PORT", default_value_t = 9545)]
    pub rpc_port: u16,
    /// The stream's message format.
    #[arg(long, env = "SEQUENCER_FORMAT", value_enum, default_value_t = StreamFormat::Json)]
    pub format: StreamFormat,
    /// JSON without balances and receipts (a receiver must execute).
    #[arg(long, env = "SEQUENCER_STRIPPED")]
    pub stripped: bool,
    /// Milliseconds between flashblocks.
    #[arg(long, env = "SEQUENCER_INTERVAL_MS", default_value_t = 200)]
    pub interval_ms: u64,
    /// The fewest flashblocks in a block (index 0 included).
    #[arg(long, env = "SEQUENCER_FLASHBLOCKS_MIN", default_value_t = 5)]
    pub flashblocks_min: u64,
    /// The most flashblocks in a block.
    #[arg(long, env = "SEQUENCER_FLASHBLOCKS_MAX", default_value_t = 10)]
    pub flashblocks_max: u64,
    /// Every block's gas limit.
    #[arg(long, env = "SEQUENCER_GAS_LIMIT", default_value_t = DEFAULT_GAS_LIMIT)]
    pub gas_limit: u64,
    /// The sealed blocks kept (state, transactions, receipts); older ones answer "block
    /// not found".
    #[arg(long, env = "SEQUENCER_KEPT_BLOCKS", default_value_t = 1024)]
    pub kept_blocks: usize,
    /// The stream's dialect: `rollup-boost` or `subblocks`.
    #[arg(long, env = "SEQUENCER_DIALECT", value_enum, default_value_t = StreamDialect::RollupBoost)]
    pub dialect: StreamDialect,
    /// Lagoon's activation time (Unix seconds; 0: from genesis): each block from it
    /// carries a post-exec transaction whose SDM entries refund its odd-indexed user
    /// transactions (`diff.post_exec_tx`, restated by each subblock that adds an entry),
    /// settled by the chain's execution, and is sealed with it last. Not with
    /// `--format ssz` (V1 frames cannot carry it).
    #[arg(long, env = "SEQUENCER_LAGOON_TIME")]
    pub lagoon_time: Option<u64>,
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long, env = "SEQUENCER_SECONDS")]
    pub seconds: Option<u64>,
}

impl Args {
    /// The chain's shape from the flags.
    pub fn settings(&self) -> ChainSettings {
        ChainSettings {
            flashblocks_min: self.flashblocks_min.max(1),
            flashblocks_max: self.flashblocks_max.max(self.flashblocks_min.max(1)),
            gas_limit: self.gas_limit,
            kept_blocks: self.kept_blocks,
            lagoon_time: self.lagoon_time,
            ..ChainSettings::default()
        }
    }
}

/// A running sequencer.
#[derive(Debug)]
pub struct Sequencer {
    /// The websocket stream's address.
    pub ws_addr: SocketAddr,
    /// The JSON-RPC address.
    pub rpc_addr: SocketAddr,
    handle: ServerHandle,
    tasks: Vec<JoinHandle<()>>,
    commands: mpsc::SyncSender<Command>,
}

impl Sequencer {
    /// The line `sequencer` prints once listening (tests read the addresses from it).
    pub fn ready_line(&self) -> String {
        format!("sequencer ws=ws://{} rpc=http://{}", self.ws_addr, self.rpc_addr)
    }

    /// Stops the builder, the stream and the server.
    pub async fn stop(self) {
        // The owner also stops when every sender is gone; the server holds one.
        let _ = self.commands.try_send(Command::Stop);
        for task in &self.tasks {
            task.abort();
        }
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// What the chain's owner is asked to do.
#[derive(Debug)]
enum Command {
    /// Admit a prepared transaction into the mempool.
    Submit(Submitted, oneshot::Sender<Result<alloy_primitives::B256, SubmitError>>),
    /// Replace the head, then make no flashblock for the duration.
    Reorg(Duration, oneshot::Sender<Option<(Arc<SealedBlock>, Arc<SealedBlock>)>>),
    /// End.
    Stop,
}

/// The commands waiting for the owner at most (a full queue answers "busy").
const COMMANDS: usize = 16_384;

/// The newest pending state the owner published (`None` between blocks: the head's).
type Pending = Option<Arc<PendingSnapshot<StateAt>>>;

/// What the server's methods share: the read side of the chain and the way to its owner.
#[derive(Debug)]
struct Shared {
    history: SharedHistory,
    pending: watch::Receiver<Pending>,
    commands: mpsc::SyncSender<Command>,
    /// Bumped to end every stream connection.
    drops: watch::Sender<u64>,
    /// Stream connections open.
    connections: Arc<AtomicUsize>,
}

/// Seconds since the Unix epoch.
fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Starts the builder, the stream and the JSON-RPC server that `args` describe.
///
/// # Errors
///
/// [`Error`] when an address cannot be bound.
pub async fn start(args: &Args) -> Result<Sequencer, Error> {
    if args.format == StreamFormat::Ssz
        && (args.dialect == StreamDialect::Subblocks || args.lagoon_time.is_some())
    {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "--format ssz cannot carry subblocks or Lagoon's post-exec transaction",
        )));
    }
    let chain = Chain::new(args.settings(), now_secs().saturating_sub(1));
    let (drops, _) = watch::channel(0u64);
    let (pending_tx, pending) = watch::channel(None);
    let (commands, inbox) = mpsc::sync_channel(COMMANDS);
    let shared = Arc::new(Shared {
        history: chain.history().clone(),
        pending,
        commands: commands.clone(),
        drops,
        connections: Arc::new(AtomicUsize::new(0)),
    });
    let (frames, _) = broadcast::channel::<Message>(1024);
    let listener = TcpListener::bind(SocketAddr::new(args.host, args.ws_port)).await?;
    let ws_addr = listener.local_addr()?;
    let module = rpc::module(Arc::clone(&shared))?;
    let server = Server::builder().build(SocketAddr::new(args.host, args.rpc_port)).await?;
    let rpc_addr = server.local_addr()?;
    let handle = server.start(module);
    let owner = Owner {
        chain,
        inbox,
        pending: pending_tx,
        frames: frames.clone(),
        format: args.format,
        stripped: args.stripped,
        dialect: args.dialect,
        interval: Duration::from_millis(args.interval_ms.max(1)),
    };
    std::thread::Builder::new().name("sequencer-chain".into()).spawn(move || owner.run())?;
    let tasks = vec![tokio::spawn(accept(listener, frames, Arc::clone(&shared)))];
    tracing::info!(%ws_addr, %rpc_addr, format = ?args.format, "sequencer listening");
    Ok(Sequencer { ws_addr, rpc_addr, handle, tasks, commands })
}

/// The chain's owner: one thread that makes a flashblock every interval and, between,
/// takes the commands in arrival order.
struct Owner {
    chain: Chain,
    inbox: mpsc::Receiver<Command>,
    pending: watch::Sender<Pending>,
    frames: broadcast::Sender<Message>,
    format: StreamFormat,
    stripped: bool,
    dialect: StreamDialect,
    interval: Duration,
}

impl Owner {
    fn run(mut self) {
        let mut next = Instant::now() + self.interval;
        // No flashblock before this instant (`debug_reorg`'s hold).
        let mut hold_until: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= next {
                // As a ticker that delays missed ticks: late, the next one is an interval on.
                next = if now - next > self.interval {
                    now + self.interval
                } else {
                    next + self.interval
                };
                if hold_until.is_none_or(|until| now >= until) {
                    self.tick();
                }
                continue;
            }
            match self.inbox.recv_timeout(next - now) {
                Ok(Command::Submit(tx, reply)) => {
                    let _ = reply.send(self.chain.admit(tx));
                }
                Ok(Command::Reorg(hold, reply)) => {
                    let reorg = self.chain.reorg();
                    if reorg.is_some() {
                        hold_until = Some(Instant::now() + hold);
                        self.publish();
                    }
                    let _ = reply.send(reorg);
                }
                Ok(Command::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// One flashblock: made, published, sent to every connection.
    fn tick(&mut self) {
        let started = Instant::now();
        let emitted = match self.chain.tick(now_secs()) {
            Ok(emitted) => emitted,
            Err(err) => {
                tracing::error!(%err, "the builder's flashblock did not execute");
                return;
            }
        };
        self.publish();
        let message = encode(&emitted, self.format, self.stripped, self.dialect);
        // Err: no connection.
        let _ = self.frames.send(message);
        let fb = emitted.v1.inner();
        tracing::debug!(
            block = emitted.json.base.as_ref().map_or(0, |b| b.block_number),
            index = fb.index,
            transactions = fb.diff.transactions.len(),
            mempool = self.chain.mempool_len(),
            accounts = self.chain.accounts(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "flashblock"
        );
        if let Some(block) = emitted.sealed {
            tracing::info!(
                number = block.number(),
                hash = %block.hash,
                transactions = block.transactions.len(),
                gas_used = block.header.gas_used,
                mempool = self.chain.mempool_len(),
                accounts = self.chain.accounts(),
                "block sealed (canonical)"
            );
        }
    }

    fn publish(&self) {
        self.pending.send_replace(self.chain.pending_snapshot().map(Arc::new));
    }
}

/// One flashblock as a websocket message in `format` and `dialect` (SSZ only as
/// rollup-boost's).
pub fn encode(
    emitted: &Emitted,
    format: StreamFormat,
    stripped: bool,
    dialect: StreamDialect,
) -> Message {
    let json = || {
        if dialect == StreamDialect::Subblocks {
            return flashblocks_execute::builder::into_subblock(emitted.json.clone()).to_vec();
        }
        let mut json = emitted.json.clone();
        if stripped {
            json.metadata.new_account_balances = None;
            json.metadata.receipts = None;
        }
        json.to_vec()
    };
    match format {
        StreamFormat::Json => Message::text(String::from_utf8_lossy(&json()).into_owned()),
        StreamFormat::Brotli => Message::binary(JsonFrameReader::encode_brotli(&json())),
        StreamFormat::Ssz => Message::binary(emitted.v1.encode_ssz()),
    }
}

/// Accepts stream clients.
async fn accept(listener: TcpListener, frames: broadcast::Sender<Message>, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else { continue };
        let rx = frames.subscribe();
        let drops = shared.drops.subscribe();
        let connections = Arc::clone(&shared.connections);
        tokio::spawn(async move {
            connections.fetch_add(1, Ordering::SeqCst);
            let end = serve_client(tcp, rx, drops).await;
            connections.fetch_sub(1, Ordering::SeqCst);
            tracing::info!(%peer, end, "stream client gone");
        });
    }
}

/// Sends every flashblock to one client until it leaves, lags, or the streams are
/// dropped; returns why it ended.
async fn serve_client(
    tcp: tokio::net::TcpStream,
    mut frames: broadcast::Receiver<Message>,
    mut drops: watch::Receiver<u64>,
) -> &'static str {
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else { return "handshake failed" };
    let (mut sink, mut stream) = ws.split();
    drops.mark_unchanged();
    loop {
        tokio::select! {
            frame = frames.recv() => match frame {
                Ok(message) => {
                    if sink.send(message).await.is_err() {
                        return "send failed";
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => return "lagged",
                Err(broadcast::error::RecvError::Closed) => return "stopped",
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return "closed by client",
                Some(Ok(_)) => {}
            },
            // The socket is dropped without a close frame: an abrupt end.
            _ = drops.changed() => return "dropped",
        }
    }
}
