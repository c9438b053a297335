//! A JSON-RPC server answering the `pending` tag from the overlay (`jsonrpsee`, HTTP and
//! websocket on one port), as the [spec page](flashblocks_types::spec)'s JSON-RPC
//! surface reads it.
//!
//! Block tags are read as geth reads them: a missing tag is `latest`; `pending` reads the
//! overlay and falls back to the canonical state for what it does not hold; `latest`,
//! `safe`, `finalized`, `earliest`, a number or a `{blockHash}` go to the canonical
//! state; anything else is invalid params (-32602). Block and transaction reads look in
//! the preconfirmed blocks first, so every preconfirmed block (a complete one not yet
//! canonical included) is readable by number and by hash.
//!
//! Methods: `eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`,
//! `eth_getStorageAt`, `eth_getBlockByNumber`, `eth_getBlockByHash`,
//! `eth_getTransactionByHash`, `eth_getTransactionReceipt`, `eth_getLogs` (up to
//! `pending`), a block's transactions by index, its transaction count and its receipts
//! ([`blocks`]), `eth_blockNumber` (the canonical head), `eth_chainId`, `net_version`,
//! `op_supportedCapabilities` (`["flashblocksv1"]`), `flashblocks_health` (also as
//! `GET /health`: 200 with the newest flashblock and its age, 500 when there is none or
//! it is older than the staleness bound), over websocket `eth_subscribe` /
//! `eth_unsubscribe` with `newFlashblocks`, `pendingLogs` and
//! `newFlashblockTransactions` ([`feed`]); and with an upstream `eth_sendRawTransaction`,
//! `eth_sendRawTransactionSync`, `eth_call`, `eth_estimateGas` and the canonical-only
//! methods forwarded ([`send`]).
//!
//! The canonical side is the [`Backend`]'s: with an [`Upstream`] every request that is
//! not `pending` is forwarded to it as it came, and the `pending` answers fall back to
//! it (as the [`CanonicalState`] at its latest block); without one, the caller's
//! [`CanonicalState`] answers every other tag, number and hash at that block (the
//! examples' [`NoCanonicalState`] is a chain with nothing in it at `latest` and no other
//! block), and its errors are -32000.
//!
//! [`serve`] bounds what one client can hold ([`ServerConfig`]): a request (headers, body
//! and answer) has [`ServerConfig::http_timeout`] in all (the request timeout, or the
//! longest `eth_sendRawTransactionSync` wait if longer), after which its connection is
//! closed, so clients that send half a request and stop cannot hold every connection
//! slot; request and response bodies and connections are capped; websocket clients are
//! pinged and dropped when they stop answering.
//!
//! ## Mounting the module in a node
//!
//! [`module`] is a plain [`RpcModule`]: a node that serves its own `eth_` namespace
//! mounts it in place of its own `pending` answers by removing, from its own module,
//! every method this one registers, then merging this one. A node built on reth does
//! exactly that with `TransportRpcModules::replace_configured(module)` in its
//! `extend_rpc_modules` hook (passing its own state as the [`CanonicalState`], or an
//! [`Upstream`] to itself); the same with jsonrpsee alone:
//!
//! ```
//! use flashblocks::{overlay::Overlay, overlay::OverlayConfig};
//! use flashblocks_node::rpc::{module, Backend, ServerConfig};
//! use jsonrpsee::RpcModule;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // The node's own module, answering `eth_getBalance` from its database.
//! let mut node = RpcModule::new(());
//! node.register_method("eth_getBalance", |_, _, _| "0x0 from the node's database")?;
//! node.register_method("eth_syncing", |_, _, _| false)?;
//!
//! let overlay = Overlay::new(OverlayConfig::default());
//! let flashblocks = module(Backend::new(overlay.reader()), &ServerConfig::default())?;
//! for name in flashblocks.method_names() {
//!     node.remove_method(name); // what reth's `replace_configured` does
//! }
//! node.merge(flashblocks)?;
//!
//! // `eth_getBalance` is now the overlay's (nothing received yet: "not known" for
//! // `pending`, the canonical state for the rest); the node's other methods stay.
//! let syncing: bool = node.call("eth_syncing", jsonrpsee::rpc_params![]).await?;
//! assert!(!syncing);
//! let latest: String = node
//!     .call("eth_getBalance", ("0x0000000000000000000000000000000000000001", "latest"))
//!     .await?;
//! assert_eq!(latest, "0x0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod blocks;
mod fallback;
pub mod feed;
mod logs;
pub mod send;

use crate::{
    pipeline::now_ms,
    upstream::{Upstream, UpstreamState},
    Error,
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxHash, B256, U256, U64};
use alloy_rpc_types_eth::{Filter, Log};
use fallback::{Fallback, FallbackError};
use feed::Feed;
use flashblocks_execute::PendingSnapshots;
use flashblocks_overlay::{CanonicalState, OverlayReader, Pending, PendingError};
use jsonrpsee::{
    server::{
        middleware::http::ProxyGetRequestLayer, PingConfig, RegisterMethodError, Server,
        ServerConfig as JsonRpcConfig, ServerHandle,
    },
    types::{ErrorObject, ErrorObjectOwned, Params},
    RpcModule,
};
use serde_json::value::RawValue;
use std::{fmt, net::SocketAddr, time::Duration};

/// A canonical state with nothing in it at its latest block: zero balances and nonces,
/// no code, no transactions, no blocks; any other block is not held
/// ([`NotHeld`]). What the examples fall back to; a node implements
/// [`CanonicalState`] over its database instead.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCanonicalState;

/// [`NoCanonicalState`] holds no block but `latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("block {0} is not held: no canonical chain behind this server (--upstream)")]
pub struct NotHeld(pub BlockId);

impl NoCanonicalState {
    fn at<T: Default>(block: BlockId) -> Result<T, NotHeld> {
        if block == BlockId::latest() {
            Ok(T::default())
        } else {
            Err(NotHeld(block))
        }
    }
}

impl CanonicalState for NoCanonicalState {
    type Error = NotHeld;
    fn balance(&self, _: Address, block: BlockId) -> Result<U256, Self::Error> {
        Self::at(block)
    }
    fn transaction_count(&self, _: Address, block: BlockId) -> Result<u64, Self::Error> {
        Self::at(block)
    }
    fn code(&self, _: Address, block: BlockId) -> Result<Bytes, Self::Error> {
        Self::at(block)
    }
    fn storage_at(&self, _: Address, _: B256, block: BlockId) -> Result<B256, Self::Error> {
        Self::at(block)
    }
}

/// The server's bounds, and what its health check and chain methods answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The time one HTTP request may take, from its first byte to its answer; the
    /// connection is closed after it (default 10 s). Also the time a new connection has
    /// to send its first request.
    pub request_timeout: Duration,
    /// The largest request body (default 1 MiB).
    pub max_request_bytes: u32,
    /// The largest response body (default 16 MiB).
    pub max_response_bytes: u32,
    /// Connections at once (default 512); more are answered with HTTP 429.
    pub max_connections: u32,
    /// Subscriptions one websocket connection may hold (default 64).
    pub max_subscriptions_per_connection: u32,
    /// `flashblocks_health` fails when the newest flashblock is older than this (`None`:
    /// only when there is none).
    pub max_age_ms: Option<u64>,
    /// What `eth_chainId` and `net_version` answer (`None`: the upstream's, or
    /// -32000 without one).
    pub chain_id: Option<u64>,
    /// The longest wait `eth_sendRawTransactionSync` accepts (default 20 s); its
    /// default wait is 6 s.
    pub max_sync_timeout: Duration,
}

impl ServerConfig {
    /// The time one HTTP request has in all: the request timeout, or longer for the
    /// longest `eth_sendRawTransactionSync` wait (plus a second to answer).
    pub fn http_timeout(&self) -> Duration {
        self.request_timeout.max(self.max_sync_timeout + Duration::from_secs(1))
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            max_request_bytes: 1 << 20,
            max_response_bytes: 16 << 20,
            max_connections: 512,
            max_subscriptions_per_connection: 64,
            max_age_ms: None,
            chain_id: None,
            max_sync_timeout: Duration::from_secs(20),
        }
    }
}

/// What the methods read: the overlay's reader, the canonical state (the overlay's
/// fallback and every other tag, when there is no upstream), the canonical upstream node
/// that non-`pending` requests are forwarded to and `pending` answers fall back to
/// (asynchronously), the feed of accepted flashblocks, and the newest executed pending
/// state when the stream is executed.
#[derive(Debug)]
pub struct Backend<C> {
    /// The overlay's reader.
    pub reader: OverlayReader,
    /// The canonical state the `pending` answers fall back to and the other tags read,
    /// when there is no upstream (read synchronously: in memory, or a node's database).
    pub canonical: C,
    /// The node non-`pending` requests are forwarded to and `pending` answers fall
    /// back to (at `latest`), if any; then `canonical` is not read.
    pub upstream: Option<Upstream>,
    /// The accepted flashblocks, for subscriptions and `eth_sendRawTransactionSync`.
    pub feed: Feed,
    /// The executed pending state (a stream executed with `--chain`): `eth_call` and
    /// `eth_estimateGas` on `pending` run on it locally.
    pub execution: Option<PendingSnapshots<UpstreamState>>,
}

impl Backend<NoCanonicalState> {
    /// The overlay behind `reader` over an empty canonical chain, no upstream, a feed
    /// nobody publishes on, no execution.
    pub fn new(reader: OverlayReader) -> Self {
        Self {
            reader,
            canonical: NoCanonicalState,
            upstream: None,
            feed: Feed::default(),
            execution: None,
        }
    }
}

/// What the methods read, with the server's settings.
#[derive(Debug)]
struct Context<C> {
    reader: OverlayReader,
    canonical: C,
    upstream: Option<Upstream>,
    feed: Feed,
    execution: Option<PendingSnapshots<UpstreamState>>,
    config: ServerConfig,
}

type RpcResult = Result<Box<RawValue>, ErrorObjectOwned>;

fn to_raw<T: serde::Serialize>(value: &T) -> RpcResult {
    serde_json::value::to_raw_value(value).map_err(internal)
}

/// Where a block tag sends a state read.
enum Target {
    /// The overlay, then the canonical state at `latest`.
    Pending,
    /// The canonical state (or the upstream) at this block.
    Canonical(BlockId),
}

/// Reads a tag as geth does: missing is `latest`.
fn target(tag: Option<BlockId>) -> Target {
    match tag.unwrap_or_else(BlockId::latest) {
        BlockId::Number(BlockNumberOrTag::Pending) => Target::Pending,
        other => Target::Canonical(other),
    }
}

fn internal(err: impl fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32603, err.to_string(), None::<()>)
}

/// A pending fact the stream does not carry (and no execution gave) is a server error
/// (-32000), never the `latest` value; the canonical state's errors are internal.
fn pending_error<E: fmt::Display>(err: PendingError<E>) -> ErrorObjectOwned {
    match err {
        PendingError::NotKnown(_) => ErrorObject::owned(
            -32000,
            "pending state not known: the stream does not carry it and is not executed",
            None::<()>,
        ),
        PendingError::Canonical(err) => internal(err),
        _ => internal(err),
    }
}

/// A canonical read that failed (a block the canonical state does not hold, an
/// unreachable database) is a server error (-32000).
fn canonical_error(err: impl fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32000, err.to_string(), None::<()>)
}

fn no_upstream(method: &str) -> ErrorObjectOwned {
    ErrorObject::owned(
        -32000,
        format!("{method} needs a canonical upstream (--upstream URL)"),
        None::<()>,
    )
}

/// Forwards the request as it came when there is an upstream, else answers `without`.
async fn forward_or<C>(
    ctx: &Context<C>,
    method: &str,
    params: &Params<'_>,
    without: impl FnOnce() -> RpcResult,
) -> RpcResult {
    match &ctx.upstream {
        Some(upstream) => Ok(upstream.forward(method, params.as_str()).await?),
        None => without(),
    }
}

/// A state read: the overlay then the canonical state for `pending`, the upstream (or
/// the canonical state at `latest`) otherwise.
async fn state<C, T>(
    ctx: &Context<C>,
    method: &str,
    params: &Params<'_>,
    tag: Option<BlockId>,
    pending: impl Fn(&Pending<'_, Fallback<'_, C>>) -> Result<T, PendingError<FallbackError<C::Error>>>,
    canonical: impl FnOnce(&C, BlockId) -> Result<T, C::Error>,
) -> RpcResult
where
    C: CanonicalState,
    C::Error: fmt::Display,
    T: serde::Serialize,
{
    match target(tag) {
        Target::Pending => to_raw(&fallback::answer(ctx, pending).await?),
        Target::Canonical(block) => {
            forward_or(ctx, method, params, || {
                to_raw(&canonical(&ctx.canonical, block).map_err(canonical_error)?)
            })
            .await
        }
    }
}

/// A block by number or tag: `pending` and preconfirmed numbers from the overlay, the
/// rest from the upstream (or `latest` from the canonical state).
async fn block_by_number<C>(ctx: &Context<C>, params: &Params<'_>) -> RpcResult
where
    C: CanonicalState,
    C::Error: fmt::Display,
{
    let mut seq = params.sequence();
    let (tag, full): (BlockNumberOrTag, Option<bool>) = (seq.next()?, seq.optional_next()?);
    let full = full.unwrap_or(false);
    let preconfirmed = match tag {
        BlockNumberOrTag::Pending => {
            let block = fallback::answer(ctx, |p| p.block(full)).await?;
            return to_raw(&block.map(|a| a.value));
        }
        BlockNumberOrTag::Number(number) => {
            let snapshot = ctx.reader.snapshot();
            let block = snapshot.at(now_ms()).block_by_number(number, full).into_value();
            block
        }
        _ => None,
    };
    if let Some(block) = preconfirmed {
        return to_raw(&block);
    }
    forward_or(ctx, "eth_getBlockByNumber", params, || {
        to_raw(&ctx.canonical.block(BlockId::Number(tag), full).map_err(canonical_error)?)
    })
    .await
}

/// The methods, over `backend`.
///
/// # Errors
///
/// [`RegisterMethodError`] never in practice (each name is registered once).
pub fn module<C>(
    backend: Backend<C>,
    config: &ServerConfig,
) -> Result<RpcModule<()>, RegisterMethodError>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let Backend { reader, canonical, upstream, feed, execution } = backend;
    let has_upstream = upstream.is_some();
    let context = Context { reader, canonical, upstream, feed, execution, config: *config };
    let mut module = RpcModule::new(context);
    module.register_async_method("eth_getBalance", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (address, tag): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        state(
            &ctx,
            "eth_getBalance",
            &params,
            tag,
            |p| p.balance(address).map(|a| a.value),
            |c, block| c.balance(address, block),
        )
        .await
    })?;
    module.register_async_method("eth_getTransactionCount", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (address, tag): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        state(
            &ctx,
            "eth_getTransactionCount",
            &params,
            tag,
            |p| p.transaction_count(address).map(|a| U64::from(a.value)),
            |c, block| c.transaction_count(address, block).map(U64::from),
        )
        .await
    })?;
    module.register_async_method("eth_getCode", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (address, tag): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        state(
            &ctx,
            "eth_getCode",
            &params,
            tag,
            |p| p.code(address).map(|a| a.value),
            |c, block| c.code(address, block),
        )
        .await
    })?;
    module.register_async_method("eth_getStorageAt", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (address, slot, tag): (Address, U256, Option<BlockId>) =
            (seq.next()?, seq.next()?, seq.optional_next()?);
        let slot = B256::from(slot);
        state(
            &ctx,
            "eth_getStorageAt",
            &params,
            tag,
            |p| p.storage_at(address, slot).map(|a| a.value),
            |c, block| c.storage_at(address, slot, block),
        )
        .await
    })?;
    module.register_async_method("eth_getBlockByNumber", |params, ctx, _| async move {
        block_by_number(&ctx, &params).await
    })?;
    module.register_async_method("eth_getBlockByHash", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (hash, full): (B256, Option<bool>) = (seq.next()?, seq.optional_next()?);
        let preconfirmed = {
            let snapshot = ctx.reader.snapshot();
            let block = snapshot.at(now_ms()).block_by_hash(hash, full.unwrap_or(false));
            block.into_value()
        };
        match preconfirmed {
            Some(block) => to_raw(&block),
            None => {
                forward_or(&ctx, "eth_getBlockByHash", &params, || {
                    let block = BlockId::from(hash);
                    to_raw(
                        &ctx.canonical
                            .block(block, full.unwrap_or(false))
                            .map_err(canonical_error)?,
                    )
                })
                .await
            }
        }
    })?;
    module.register_async_method("eth_getTransactionByHash", |params, ctx, _| async move {
        let (hash,): (TxHash,) = params.parse()?;
        let answer = fallback::answer(&ctx, |p| p.transaction_by_hash(hash)).await?;
        to_raw(&answer.map(|a| a.value))
    })?;
    module.register_async_method("eth_getTransactionReceipt", |params, ctx, _| async move {
        let (hash,): (TxHash,) = params.parse()?;
        let answer = fallback::answer(&ctx, |p| p.receipt(hash)).await?;
        to_raw(&answer.map(|a| a.value))
    })?;
    module.register_async_method("eth_getLogs", |params, ctx, _| async move {
        let (filter,): (Filter,) = params.parse()?;
        let (preconfirmed, canonical_part) = {
            let snapshot = ctx.reader.snapshot();
            let view = snapshot.at(now_ms());
            (logs::preconfirmed_logs(&view, &filter)?, logs::canonical_filter(&view, &filter))
        };
        let (Some(upstream), Some(canonical_part)) = (&ctx.upstream, canonical_part) else {
            return to_raw(&preconfirmed);
        };
        let mut logs: Vec<Log> = upstream.request("eth_getLogs", (canonical_part,)).await?;
        logs.extend(preconfirmed);
        to_raw(&logs)
    })?;
    module.register_async_method("eth_blockNumber", |params, ctx, _| async move {
        forward_or(&ctx, "eth_blockNumber", &params, || {
            let latest = ctx.canonical.block(BlockId::latest(), false).map_err(internal)?;
            let head = ctx.reader.snapshot().canonical_head().map(|h| h.number);
            to_raw(&U64::from(latest.map(|b| b.header.number).or(head).unwrap_or_default()))
        })
        .await
    })?;
    module.register_async_method("eth_chainId", |params, ctx, _| async move {
        match ctx.config.chain_id {
            Some(id) => to_raw(&U64::from(id)),
            None => forward_or(&ctx, "eth_chainId", &params, || Err(unknown_chain())).await,
        }
    })?;
    module.register_async_method("net_version", |params, ctx, _| async move {
        match ctx.config.chain_id {
            Some(id) => to_raw(&id.to_string()),
            None => forward_or(&ctx, "net_version", &params, || Err(unknown_chain())).await,
        }
    })?;
    module.register_method("op_supportedCapabilities", |_, _, _| {
        flashblocks_overlay::SUPPORTED_CAPABILITIES
    })?;
    module.register_method("flashblocks_health", |_, ctx, _| {
        health(&ctx.reader, ctx.config.max_age_ms)
    })?;
    send::register(&mut module, has_upstream)?;
    blocks::register(&mut module)?;
    feed::register(&mut module)?;
    let mut outer = RpcModule::new(());
    outer.merge(module)?;
    Ok(outer)
}

fn unknown_chain() -> ErrorObjectOwned {
    ErrorObject::owned(-32000, "the chain id is not configured (--chain-id)", None::<()>)
}

/// What `flashblocks_health` answers when the stream is fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The newest flashblock's block number (pending, or confirmed since).
    pub block_number: u64,
    /// Its newest flashblock's index.
    pub flashblock_index: u64,
    /// Milliseconds since that flashblock was applied.
    pub age_ms: u64,
}

/// The health check: the newest flashblock and its age, or an error (-32000) when
/// there is none or it is older than `max_age_ms`.
fn health(reader: &OverlayReader, max_age_ms: Option<u64>) -> Result<Health, ErrorObjectOwned> {
    let snapshot = reader.snapshot();
    // The newest flashblock taken, pending or not: between a block's confirmation and
    // the next block's first flashblock nothing is pending, and the stream is as fresh.
    let Some(id) = snapshot.newest_received() else {
        return Err(ErrorObject::owned(-32000, "no flashblock received yet", None::<()>));
    };
    let age_ms = snapshot.age_ms(now_ms()).unwrap_or_default();
    if let Some(max) = max_age_ms.filter(|&max| age_ms > max) {
        return Err(ErrorObject::owned(
            -32000,
            format!("stale: the newest flashblock is {age_ms} ms old (bound {max} ms)"),
            None::<()>,
        ));
    }
    Ok(Health { block_number: id.block_number, flashblock_index: id.flashblock_index, age_ms })
}

/// Starts the server on `addr` (port 0 picks a free one) with `config`'s bounds and
/// returns the address it listens on and its handle (stop it with
/// [`ServerHandle::stop`]).
///
/// # Errors
///
/// [`Error`] if the address cannot be bound.
pub async fn serve<C>(
    addr: SocketAddr,
    backend: Backend<C>,
    config: &ServerConfig,
) -> Result<(SocketAddr, ServerHandle), Error>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let module = module(backend, config)?;
    let jsonrpc = JsonRpcConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_first_request_timeout(Some(config.request_timeout))
        .enable_ws_ping(
            PingConfig::new()
                .ping_interval(Duration::from_secs(15))
                .inactive_limit(Duration::from_secs(45)),
        )
        .build();
    // GET /health is the health method; every HTTP request has the request timeout in
    // all (a timeout closes its connection, freeing the slot).
    let http = tower::ServiceBuilder::new()
        .layer(ProxyGetRequestLayer::new([("/health", "flashblocks_health")])?)
        .layer(tower::timeout::TimeoutLayer::new(config.http_timeout()));
    let server =
        Server::builder().set_config(jsonrpc).set_http_middleware(http).build(addr).await?;
    let local = server.local_addr()?;
    Ok((local, server.start(module)))
}
