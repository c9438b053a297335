//! A JSON-RPC server answering the `pending` tag from the overlay (`jsonrpsee`, HTTP and
//! websocket on one port).
//!
//! Methods: `eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`,
//! `eth_getStorageAt`, `eth_getBlockByNumber` (the block tag `"pending"` reads the
//! overlay, falling back to the canonical state for what it does not hold; any other tag
//! reads the canonical state), `eth_getTransactionByHash` and
//! `eth_getTransactionReceipt` (preconfirmed first, then canonical), and
//! `op_supportedCapabilities` (`["flashblocksv1"]`).
//!
//! The canonical state is the caller's [`CanonicalState`]: a node plugs its database in;
//! the examples use [`NoCanonicalState`], a chain with nothing in it.

use crate::{pipeline::now_ms, Error};
use alloy_primitives::{Address, Bytes, TxHash, B256, U256, U64};
use flashblocks_overlay::{CanonicalState, OverlayReader, Pending, PendingBlock};
use jsonrpsee::{
    server::{
        middleware::http::ProxyGetRequestLayer, PingConfig, RegisterMethodError, Server,
        ServerConfig as JsonRpcConfig, ServerHandle,
    },
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use serde_json::Value;
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

/// The server's bounds, and the staleness bound its health check applies.
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
    /// `flashblocks_health` fails when the newest flashblock is older than this (`None`:
    /// only when there is none).
    pub max_age_ms: Option<u64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            max_request_bytes: 1 << 20,
            max_response_bytes: 16 << 20,
            max_connections: 512,
            max_age_ms: None,
        }
    }
}

/// What the methods read: the overlay's reader and the canonical state.
#[derive(Debug)]
struct Context<C> {
    reader: OverlayReader,
    canonical: C,
    max_age_ms: Option<u64>,
}

/// Whether a block tag parameter asks for `pending`.
fn is_pending(tag: Option<&Value>) -> bool {
    tag.and_then(Value::as_str) == Some("pending")
}

fn internal(err: impl fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32603, err.to_string(), None::<()>)
}

/// Answers from the overlay for `pending`, from the canonical state otherwise.
fn answer<C, T>(
    ctx: &Context<C>,
    tag: Option<&Value>,
    pending: impl FnOnce(&Pending<'_, C>) -> Result<T, C::Error>,
    canonical: impl FnOnce(&C) -> Result<T, C::Error>,
) -> Result<T, ErrorObjectOwned>
where
    C: CanonicalState,
    C::Error: fmt::Display,
{
    if is_pending(tag) {
        let snapshot = ctx.reader.snapshot();
        let view = snapshot.at(now_ms());
        pending(&Pending::new(view, &ctx.canonical)).map_err(internal)
    } else {
        canonical(&ctx.canonical).map_err(internal)
    }
}

/// The methods, over `reader` and `canonical`.
///
/// # Errors
///
/// [`RegisterMethodError`] never in practice (each name is registered once).
pub fn module<C>(
    reader: OverlayReader,
    canonical: C,
    config: &ServerConfig,
) -> Result<RpcModule<()>, RegisterMethodError>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let mut module = RpcModule::new(Context { reader, canonical, max_age_ms: config.max_age_ms });
    module.register_method("eth_getBalance", |params, ctx, _| {
        let (address, tag): (Address, Option<Value>) = params.parse()?;
        answer(ctx, tag.as_ref(), |p| p.balance(address).map(|a| a.value), |c| c.balance(address))
    })?;
    module.register_method("eth_getTransactionCount", |params, ctx, _| {
        let (address, tag): (Address, Option<Value>) = params.parse()?;
        answer(
            ctx,
            tag.as_ref(),
            |p| p.transaction_count(address).map(|a| a.value),
            |c| c.transaction_count(address),
        )
        .map(U64::from)
    })?;
    module.register_method("eth_getCode", |params, ctx, _| {
        let (address, tag): (Address, Option<Value>) = params.parse()?;
        answer(ctx, tag.as_ref(), |p| p.code(address).map(|a| a.value), |c| c.code(address))
    })?;
    module.register_method("eth_getStorageAt", |params, ctx, _| {
        let (address, slot, tag): (Address, U256, Option<Value>) = params.parse()?;
        let slot = B256::from(slot);
        answer(
            ctx,
            tag.as_ref(),
            |p| p.storage_at(address, slot).map(|a| a.value),
            |c| c.storage_at(address, slot),
        )
    })?;
    module.register_method("eth_getBlockByNumber", |params, ctx, _| {
        let (tag, full): (Value, Option<bool>) = params.parse()?;
        let full = full.unwrap_or(false);
        answer(
            ctx,
            Some(&tag),
            |p| p.block(full).map(|a| a.map(|a| a.value)),
            |c| c.latest_block(full),
        )
    })?;
    module.register_method("eth_getTransactionByHash", |params, ctx, _| {
        let (hash,): (TxHash,) = params.parse()?;
        let pending = Value::from("pending");
        answer(
            ctx,
            Some(&pending),
            |p| p.transaction_by_hash(hash).map(|a| a.map(|a| a.value)),
            |c| c.transaction_by_hash(hash),
        )
    })?;
    module.register_method("eth_getTransactionReceipt", |params, ctx, _| {
        let (hash,): (TxHash,) = params.parse()?;
        let pending = Value::from("pending");
        answer(
            ctx,
            Some(&pending),
            |p| p.receipt(hash).map(|a| a.map(|a| a.value)),
            |c| c.receipt(hash),
        )
    })?;
    module.register_method("op_supportedCapabilities", |_, _, _| {
        flashblocks_overlay::SUPPORTED_CAPABILITIES
    })?;
    module
        .register_method("flashblocks_health", |_, ctx, _| health(&ctx.reader, ctx.max_age_ms))?;
    let mut outer = RpcModule::new(());
    outer.merge(module)?;
    Ok(outer)
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
/// [`ServerHandle::stop`]).
///
/// # Errors
///
/// [`Error`] if the address cannot be bound.
pub async fn serve<C>(
    addr: SocketAddr,
    reader: OverlayReader,
    canonical: C,
    config: &ServerConfig,
) -> Result<(SocketAddr, ServerHandle), Error>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let module = module(reader, canonical, config)?;
    let jsonrpc = JsonRpcConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
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
