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
//! `pending`), `eth_blockNumber` (the canonical head), `eth_chainId`, `net_version`,
//! `op_supportedCapabilities` (`["flashblocksv1"]`), `flashblocks_health` (also as
//! `GET /health`: 200 with the newest flashblock and its age, 500 when there is none or
//! it is older than the staleness bound), and over websocket `eth_subscribe` /
//! `eth_unsubscribe` with `newFlashblocks`, `pendingLogs` and
//! `newFlashblockTransactions` ([`feed`]).
//!
//! The canonical state is the caller's [`CanonicalState`] at its latest block: a node
//! plugs its database in; the examples use [`NoCanonicalState`], a chain with nothing in
//! it, under which a tag other than `pending` and `latest` is answered with -32000 (no
//! canonical chain holds it).
//!
//! [`serve`] bounds what one client can hold ([`ServerConfig`]): a request (headers, body
//! and answer) has [`ServerConfig::request_timeout`] in all, after which its connection
//! is closed, so clients that send half a request and stop cannot hold every connection
//! slot; request and response bodies and connections are capped; websocket clients are
//! pinged and dropped when they stop answering.

pub mod feed;
mod logs;

use crate::{pipeline::now_ms, Error};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxHash, B256, U256, U64};
use alloy_rpc_types_eth::Filter;
use feed::Feed;
use flashblocks_overlay::{CanonicalState, Lookup, OverlayReader, Pending, PendingBlock};
use jsonrpsee::{
    server::{
        middleware::http::ProxyGetRequestLayer, PingConfig, RegisterMethodError, Server,
        ServerConfig as JsonRpcConfig, ServerHandle,
    },
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use std::{convert::Infallible, fmt, net::SocketAddr, time::Duration};

/// A canonical state with nothing in it: zero balances and nonces, no code, no
/// transactions, no blocks. What the examples fall back to; a node implements
/// [`CanonicalState`] over its database instead.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCanonicalState;

impl CanonicalState for NoCanonicalState {
    type Error = Infallible;
    fn balance(&self, _: Address) -> Result<U256, Self::Error> {
        Ok(U256::ZERO)
    }
    fn transaction_count(&self, _: Address) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn code(&self, _: Address) -> Result<Bytes, Self::Error> {
        Ok(Bytes::new())
    }
    fn storage_at(&self, _: Address, _: B256) -> Result<B256, Self::Error> {
        Ok(B256::ZERO)
    }
    fn transaction_by_hash(&self, _: TxHash) -> Result<Option<Transaction>, Self::Error> {
        Ok(None)
    }
    fn receipt(&self, _: TxHash) -> Result<Option<OpTransactionReceipt>, Self::Error> {
        Ok(None)
    }
    fn latest_block(&self, _: bool) -> Result<Option<PendingBlock>, Self::Error> {
        Ok(None)
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
    /// What `eth_chainId` and `net_version` answer (`None`: -32000).
    pub chain_id: Option<u64>,
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
        }
    }
}

/// What the methods read: the overlay's reader, the canonical state, the feed of
/// accepted flashblocks.
#[derive(Debug)]
struct Context<C> {
    reader: OverlayReader,
    canonical: C,
    feed: Feed,
    config: ServerConfig,
}

/// Where a block tag sends a state read.
enum Target {
    /// The overlay, then the canonical state.
    Pending,
    /// The canonical state at its latest block.
    Latest,
    /// A block the canonical state cannot be asked for.
    Other(BlockId),
}

/// Reads a tag as geth does: missing is `latest`.
fn target(tag: Option<BlockId>) -> Target {
    match tag.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
        BlockId::Number(BlockNumberOrTag::Pending) => Target::Pending,
        BlockId::Number(BlockNumberOrTag::Latest) => Target::Latest,
        other => Target::Other(other),
    }
}

fn internal(err: impl fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32603, err.to_string(), None::<()>)
}

fn not_canonical(block: BlockId) -> ErrorObjectOwned {
    ErrorObject::owned(
        -32000,
        format!("block {block} is not held: no canonical chain behind this server"),
        None::<()>,
    )
}

/// Answers a state read from the overlay for `pending`, from the canonical state for
/// `latest`.
fn answer<C, T>(
    ctx: &Context<C>,
    tag: Option<BlockId>,
    pending: impl FnOnce(&Pending<'_, C>) -> Result<T, C::Error>,
    canonical: impl FnOnce(&C) -> Result<T, C::Error>,
) -> Result<T, ErrorObjectOwned>
where
    C: CanonicalState,
    C::Error: fmt::Display,
{
    match target(tag) {
        Target::Pending => {
            let snapshot = ctx.reader.snapshot();
            let view = snapshot.at(now_ms());
            pending(&Pending::new(view, &ctx.canonical)).map_err(internal)
        }
        Target::Latest => canonical(&ctx.canonical).map_err(internal),
        Target::Other(block) => Err(not_canonical(block)),
    }
}

/// A block by number or tag: `pending` and preconfirmed numbers from the overlay,
/// `latest` from the canonical state.
fn block_by_number<C>(
    ctx: &Context<C>,
    tag: BlockNumberOrTag,
    full: bool,
) -> Result<Option<PendingBlock>, ErrorObjectOwned>
where
    C: CanonicalState,
    C::Error: fmt::Display,
{
    let snapshot = ctx.reader.snapshot();
    let view = snapshot.at(now_ms());
    match tag {
        BlockNumberOrTag::Pending => Pending::new(view, &ctx.canonical)
            .block(full)
            .map(|a| a.map(|a| a.value))
            .map_err(internal),
        BlockNumberOrTag::Latest => ctx.canonical.latest_block(full).map_err(internal),
        BlockNumberOrTag::Number(number) => match view.block_by_number(number, full) {
            Lookup::Found(found) => Ok(Some(found.value)),
            Lookup::NotHere(_) => Err(not_canonical(BlockId::number(number))),
        },
        other => Err(not_canonical(BlockId::Number(other))),
    }
}

/// The methods, over `reader`, `canonical` and `feed`.
///
/// # Errors
///
/// [`RegisterMethodError`] never in practice (each name is registered once).
pub fn module<C>(
    reader: OverlayReader,
    canonical: C,
    feed: Feed,
    config: &ServerConfig,
) -> Result<RpcModule<()>, RegisterMethodError>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let mut module = RpcModule::new(Context { reader, canonical, feed, config: *config });
    module.register_method("eth_getBalance", |params, ctx, _| {
        let mut seq = params.sequence();
        let (address, tag): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        answer(ctx, tag, |p| p.balance(address).map(|a| a.value), |c| c.balance(address))
    })?;
    module.register_method("eth_getTransactionCount", |params, ctx, _| {
        let mut seq = params.sequence();
        let (address, tag): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        answer(
            ctx,
            tag,
            |p| p.transaction_count(address).map(|a| a.value),
            |c| c.transaction_count(address),
        )
        .map(U64::from)
    })?;
    module.register_method("eth_getCode", |params, ctx, _| {
        let mut seq = params.sequence();
        let (address, tag): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        answer(ctx, tag, |p| p.code(address).map(|a| a.value), |c| c.code(address))
    })?;
    module.register_method("eth_getStorageAt", |params, ctx, _| {
        let mut seq = params.sequence();
        let (address, slot, tag): (Address, U256, Option<BlockId>) =
            (seq.next()?, seq.next()?, seq.optional_next()?);
        let slot = B256::from(slot);
        answer(
            ctx,
            tag,
            |p| p.storage_at(address, slot).map(|a| a.value),
            |c| c.storage_at(address, slot),
        )
    })?;
    module.register_method("eth_getBlockByNumber", |params, ctx, _| {
        let mut seq = params.sequence();
        let (tag, full): (BlockNumberOrTag, Option<bool>) = (seq.next()?, seq.optional_next()?);
        block_by_number(ctx, tag, full.unwrap_or(false))
    })?;
    module.register_method("eth_getBlockByHash", |params, ctx, _| {
        let mut seq = params.sequence();
        let (hash, full): (B256, Option<bool>) = (seq.next()?, seq.optional_next()?);
        let snapshot = ctx.reader.snapshot();
        Ok::<_, ErrorObjectOwned>(
            snapshot.at(now_ms()).block_by_hash(hash, full.unwrap_or(false)).into_value(),
        )
    })?;
    module.register_method("eth_getTransactionByHash", |params, ctx, _| {
        let (hash,): (TxHash,) = params.parse()?;
        answer(
            ctx,
            Some(BlockId::pending()),
            |p| p.transaction_by_hash(hash).map(|a| a.map(|a| a.value)),
            |c| c.transaction_by_hash(hash),
        )
    })?;
    module.register_method("eth_getTransactionReceipt", |params, ctx, _| {
        let (hash,): (TxHash,) = params.parse()?;
        answer(
            ctx,
            Some(BlockId::pending()),
            |p| p.receipt(hash).map(|a| a.map(|a| a.value)),
            |c| c.receipt(hash),
        )
    })?;
    module.register_method("eth_getLogs", |params, ctx, _| {
        let (filter,): (Filter,) = params.parse()?;
        let snapshot = ctx.reader.snapshot();
        logs::preconfirmed_logs(&snapshot.at(now_ms()), &filter)
    })?;
    module.register_method("eth_blockNumber", |_, ctx, _| {
        let latest = ctx.canonical.latest_block(false).map_err(internal)?;
        let head = ctx.reader.snapshot().canonical_head().map(|h| h.number);
        Ok::<_, ErrorObjectOwned>(U64::from(
            latest.map(|b| b.header.number).or(head).unwrap_or_default(),
        ))
    })?;
    module.register_method("eth_chainId", |_, ctx, _| chain_id(&ctx.config).map(U64::from))?;
    module.register_method("net_version", |_, ctx, _| {
        chain_id(&ctx.config).map(|id| id.to_string())
    })?;
    module.register_method("op_supportedCapabilities", |_, _, _| {
        flashblocks_overlay::SUPPORTED_CAPABILITIES
    })?;
    module.register_method("flashblocks_health", |_, ctx, _| {
        health(&ctx.reader, ctx.config.max_age_ms)
    })?;
    feed::register(&mut module)?;
    let mut outer = RpcModule::new(());
    outer.merge(module)?;
    Ok(outer)
}

fn chain_id(config: &ServerConfig) -> Result<u64, ErrorObjectOwned> {
    config
        .chain_id
        .ok_or_else(|| ErrorObject::owned(-32000, "the chain id is not configured", None::<()>))
}

/// What `flashblocks_health` answers when the stream is fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The pending block's number.
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
    let Some(id) = snapshot.id() else {
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
/// [`ServerHandle::stop`]). Subscriptions read `feed`.
///
/// # Errors
///
/// [`Error`] if the address cannot be bound.
pub async fn serve<C>(
    addr: SocketAddr,
    reader: OverlayReader,
    canonical: C,
    feed: Feed,
    config: &ServerConfig,
) -> Result<(SocketAddr, ServerHandle), Error>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let module = module(reader, canonical, feed, config)?;
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
        .layer(tower::timeout::TimeoutLayer::new(config.request_timeout));
    let server =
        Server::builder().set_config(jsonrpc).set_http_middleware(http).build(addr).await?;
    let local = server.local_addr()?;
    Ok((local, server.start(module)))
}
