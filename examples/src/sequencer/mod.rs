//! The `sequencer` program as a library: a local flashblocks chain, a **test double for
//! op-rbuilder + rollup-boost + the L2 node** on loopback.
//!
//! - **The builder** ([`Chain`]): every `--interval-ms` (200 ms) it makes one
//!   flashblock, executed with `flashblocks-execute`'s EVM (the executing builder's
//!   genesis: the development accounts with 10 000 ether each, chain id 901, Isthmus):
//!   index 0 opens a block with the L1-info deposit, each later index takes what
//!   `eth_sendRawTransaction` put in the mempool; a block has 5 to 10 flashblocks
//!   (`--flashblocks-min`/`--flashblocks-max`). Metadata, receipts, roots and block
//!   hashes are all true (the state root over the whole state through alloy-trie).
//! - **rollup-boost's stream**: a websocket server (`ws://HOST:WS_PORT`) sending every
//!   flashblock to every client as JSON text, brotli-compressed JSON (binary) or SSZ V1
//!   (binary) (`--format`); with `--stripped` the JSON carries neither balances nor
//!   receipts (Base's Azul shape), so a receiver must execute. A client that falls
//!   behind by more than 1024 messages is disconnected; a new client gets the
//!   flashblocks made after it connected.
//! - **The L2 node**: JSON-RPC over HTTP (`http://HOST:RPC_PORT`, jsonrpsee): a block
//!   turns canonical when its last flashblock is made, and the canonical queries
//!   answer at any sealed block kept (the newest 1024), by number, tag or
//!   `{"blockHash": …}` (EIP-1898), with the state included.
//!
//! Methods:
//!
//! | method | answers |
//! | --- | --- |
//! | `eth_chainId`, `net_version`, `eth_blockNumber` | 901, `"901"`, the canonical head |
//! | `eth_getBlockByNumber`, `eth_getBlockByHash` | a sealed block (hashes or full transactions); `pending`: null |
//! | `eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`, `eth_getStorageAt` | at a sealed block; `pending`: after the newest flashblock; missing tag: `latest` |
//! | `eth_getTransactionByHash`, `eth_getTransactionReceipt` | sealed transactions (null otherwise), receipts with the L1 fee fields |
//! | `eth_sendRawTransaction` | into the mempool, then the next flashblock after index 0 that executes it; the hash |
//! | `eth_gasPrice`, `eth_maxPriorityFeePerGas` | twice the base fee, 1000 wei |
//! | `debug_dropStreams` | ends every websocket connection (clients reconnect); how many |
//! | `debug_reorg [holdMs?]` | replaces the canonical head (see [`Chain::reorg`]), then makes no flashblock for `holdMs` (default 0, at most 60 000), as when the L2 node reports a reorg before the builder goes on; the number, the removed and the new head |
//!
//! Errors: an unknown block or hash is -32001 `"block not found"` (also a block no
//! longer kept); a refused transaction -32000 with the reason ([`SubmitError`]); bad
//! params -32602.
//!
//! Not served: `eth_call`, `eth_estimateGas`, `eth_getLogs`, `eth_getProof` (no state
//! trie proofs), filters and subscriptions.

mod chain;

pub use chain::{Chain, ChainSettings, Emitted, SealedBlock, SubmitError, CHAIN_ID, HARDFORK};

use crate::Error;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use flashblocks_types::JsonFrameReader;
use futures_util::{SinkExt, StreamExt};
use jsonrpsee::{
    server::{Server, ServerHandle},
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::{
    net::TcpListener,
    sync::{broadcast, watch},
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

/// `sequencer`'s flags; each can also be set by the environment variable named.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "sequencer",
    about = "A local flashblocks chain: a test double for op-rbuilder + rollup-boost + the L2 node",
    long_about = "A local flashblocks chain on loopback, a test double for op-rbuilder + \
                  rollup-boost + the L2 node: an executing builder makes one flashblock per \
                  interval, streams it over a websocket, and serves JSON-RPC: \
                  eth_sendRawTransaction into the next flashblock, canonical queries at every \
                  sealed block, and debug_dropStreams / debug_reorg. Prints \
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
}

impl Sequencer {
    /// The line `sequencer` prints once listening (tests read the addresses from it).
    pub fn ready_line(&self) -> String {
        format!("sequencer ws=ws://{} rpc=http://{}", self.ws_addr, self.rpc_addr)
    }

    /// Stops the builder, the stream and the server.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// What the tasks share.
#[derive(Debug)]
struct Shared {
    chain: Mutex<Chain>,
    /// Bumped to end every stream connection.
    drops: watch::Sender<u64>,
    /// Stream connections open.
    connections: Arc<AtomicUsize>,
    /// No flashblock is made before this instant (`debug_reorg`'s hold).
    hold_until: Mutex<Option<Instant>>,
}

impl Shared {
    fn chain(&self) -> MutexGuard<'_, Chain> {
        // A panic while holding the lock leaves the chain as it was before the call.
        self.chain.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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
    let chain = Chain::new(args.settings(), now_secs().saturating_sub(1));
    let (drops, _) = watch::channel(0u64);
    let shared = Arc::new(Shared {
        chain: Mutex::new(chain),
        drops,
        connections: Arc::new(AtomicUsize::new(0)),
        hold_until: Mutex::new(None),
    });
    let (frames, _) = broadcast::channel::<Message>(1024);
    let listener = TcpListener::bind(SocketAddr::new(args.host, args.ws_port)).await?;
    let ws_addr = listener.local_addr()?;
    let rpc = module(Arc::clone(&shared))?;
    let server = Server::builder().build(SocketAddr::new(args.host, args.rpc_port)).await?;
    let rpc_addr = server.local_addr()?;
    let handle = server.start(rpc);
    let tasks = vec![
        tokio::spawn(accept(listener, frames.clone(), Arc::clone(&shared))),
        tokio::spawn(build(
            shared,
            frames,
            args.format,
            args.stripped,
            Duration::from_millis(args.interval_ms.max(1)),
        )),
    ];
    tracing::info!(%ws_addr, %rpc_addr, format = ?args.format, "sequencer listening");
    Ok(Sequencer { ws_addr, rpc_addr, handle, tasks })
}

/// The builder task: one flashblock per interval, sent to every connection.
async fn build(
    shared: Arc<Shared>,
    frames: broadcast::Sender<Message>,
    format: StreamFormat,
    stripped: bool,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let held = *shared.hold_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.is_some_and(|until| Instant::now() < until) {
            continue;
        }
        let emitted = shared.chain().tick(now_secs());
        let emitted = match emitted {
            Ok(emitted) => emitted,
            Err(err) => {
                tracing::error!(%err, "the builder's flashblock did not execute");
                continue;
            }
        };
        let message = encode(&emitted, format, stripped);
        // Err: no connection.
        let _ = frames.send(message);
        let fb = emitted.v1.inner();
        tracing::debug!(
            block = emitted.json.base.as_ref().map_or(0, |b| b.block_number),
            index = fb.index,
            transactions = fb.diff.transactions.len(),
            "flashblock"
        );
        if let Some(block) = emitted.sealed {
            tracing::info!(
                number = block.number(),
                hash = %block.hash,
                transactions = block.transactions.len(),
                "block sealed (canonical)"
            );
        }
    }
}

/// One flashblock as a websocket message in `format`.
pub fn encode(emitted: &Emitted, format: StreamFormat, stripped: bool) -> Message {
    let json = || {
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

/// A successful answer.
const fn ok<T>(value: T) -> Result<T, ErrorObjectOwned> {
    Ok(value)
}

/// -32001 "block not found".
fn not_found() -> ErrorObjectOwned {
    ErrorObject::owned(-32001, "block not found", None::<()>)
}

/// Where a state read is answered.
enum At {
    Sealed(Arc<SealedBlock>),
    Pending,
}

fn resolve(chain: &Chain, id: Option<BlockId>) -> Result<At, ErrorObjectOwned> {
    let block = match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
        BlockId::Number(BlockNumberOrTag::Pending) => return Ok(At::Pending),
        BlockId::Number(
            BlockNumberOrTag::Latest | BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized,
        ) => Some(chain.head()),
        BlockId::Number(BlockNumberOrTag::Earliest) => Some(chain.oldest()),
        BlockId::Number(BlockNumberOrTag::Number(n)) => chain.block_by_number(n),
        BlockId::Hash(hash) => chain.block_by_hash(&hash.block_hash),
    };
    block.map(At::Sealed).ok_or_else(not_found)
}

fn account(
    shared: &Shared,
    address: Address,
    id: Option<BlockId>,
) -> Result<flashblocks_execute::InMemoryAccount, ErrorObjectOwned> {
    let chain = shared.chain();
    Ok(match resolve(&chain, id)? {
        At::Sealed(block) => block.account(&address),
        At::Pending => chain.pending_account(&address),
    })
}

/// The JSON-RPC methods (see the [module](self)).
fn module(shared: Arc<Shared>) -> Result<RpcModule<Arc<Shared>>, Error> {
    let mut m = RpcModule::new(shared);
    m.register_method("eth_chainId", |_, _, _| ok(U64::from(CHAIN_ID)))?;
    m.register_method("net_version", |_, _, _| CHAIN_ID.to_string())?;
    m.register_method("eth_blockNumber", |_, s, _| ok(U64::from(s.chain().head().number())))?;
    m.register_method("eth_gasPrice", |_, _, _| {
        ok(U256::from(flashblocks_execute::builder::BASE_FEE * 2))
    })?;
    m.register_method("eth_maxPriorityFeePerGas", |_, _, _| ok(U256::from(1_000u64)))?;
    m.register_method("eth_getBlockByNumber", |params, s, _| {
        let mut seq = params.sequence();
        let (tag, full): (BlockNumberOrTag, Option<bool>) = (seq.next()?, seq.optional_next()?);
        if tag.is_pending() {
            return Ok(None);
        }
        let chain = s.chain();
        match resolve(&chain, Some(BlockId::Number(tag))) {
            Ok(At::Sealed(block)) => Ok(Some(block.rpc_block(full.unwrap_or(false)))),
            Ok(At::Pending) => Ok(None),
            // geth answers null for a number above the head.
            Err(_) if matches!(tag, BlockNumberOrTag::Number(n) if n > chain.head().number()) => {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    })?;
    m.register_method("eth_getBlockByHash", |params, s, _| {
        let mut seq = params.sequence();
        let (hash, full): (B256, Option<bool>) = (seq.next()?, seq.optional_next()?);
        let block = s.chain().block_by_hash(&hash);
        Ok::<_, ErrorObjectOwned>(block.map(|b| b.rpc_block(full.unwrap_or(false))))
    })?;
    m.register_method("eth_getBalance", |params, s, _| {
        let mut seq = params.sequence();
        let (address, id): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        account(s, address, id).map(|a| a.balance)
    })?;
    m.register_method("eth_getTransactionCount", |params, s, _| {
        let mut seq = params.sequence();
        let (address, id): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        account(s, address, id).map(|a| U64::from(a.nonce))
    })?;
    m.register_method("eth_getCode", |params, s, _| {
        let mut seq = params.sequence();
        let (address, id): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        account(s, address, id).map(|a| a.code)
    })?;
    m.register_method("eth_getStorageAt", |params, s, _| {
        let mut seq = params.sequence();
        let (address, slot, id): (Address, U256, Option<BlockId>) =
            (seq.next()?, seq.next()?, seq.optional_next()?);
        account(s, address, id)
            .map(|a| B256::from(a.storage.get(&slot).copied().unwrap_or_default()))
    })?;
    m.register_method("eth_getTransactionByHash", |params, s, _| {
        let (hash,): (B256,) = params.parse()?;
        let found = s.chain().transaction(&hash);
        Ok::<_, ErrorObjectOwned>(found.and_then(|(block, i)| block.rpc_transaction(i)))
    })?;
    m.register_method("eth_getTransactionReceipt", |params, s, _| {
        let (hash,): (B256,) = params.parse()?;
        let found = s.chain().transaction(&hash);
        Ok::<_, ErrorObjectOwned>(found.and_then(|(block, i)| block.rpc_receipt(i)))
    })?;
    m.register_method("eth_sendRawTransaction", |params, s, _| {
        let (raw,): (Bytes,) = params.parse()?;
        s.chain().submit(raw).map_err(|err| ErrorObject::owned(-32000, err.to_string(), None::<()>))
    })?;
    m.register_method("debug_dropStreams", |_, s, _| {
        let open = s.connections.load(Ordering::SeqCst);
        s.drops.send_modify(|n| *n += 1);
        tracing::info!(open, "dropping every stream connection");
        open
    })?;
    m.register_method("debug_reorg", |params, s, _| {
        let hold_ms: Option<u64> = params.sequence().optional_next()?;
        let mut chain = s.chain();
        let Some((removed, replacement)) = chain.reorg() else {
            return Err(ErrorObject::owned(-32000, "nothing to reorg", None::<()>));
        };
        // Held under the chain's lock: no flashblock of the new chain is made before.
        let hold = Duration::from_millis(hold_ms.unwrap_or(0).min(60_000));
        *s.hold_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Instant::now() + hold);
        drop(chain);
        tracing::info!(
            number = removed.number(),
            removed = %removed.hash,
            replacement = %replacement.hash,
            "reorg: canonical head replaced"
        );
        Ok(serde_json::json!({
            "number": U64::from(removed.number()),
            "removed": removed.hash,
            "replacement": replacement.hash,
        }))
    })?;
    Ok(m)
}
