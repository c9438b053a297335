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
    server::{RegisterMethodError, Server, ServerHandle},
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use serde_json::Value;
use std::{convert::Infallible, fmt, net::SocketAddr};

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

/// What the methods read: the overlay's reader and the canonical state.
#[derive(Debug)]
struct Context<C> {
    reader: OverlayReader,
    canonical: C,
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
pub fn module<C>(reader: OverlayReader, canonical: C) -> Result<RpcModule<()>, RegisterMethodError>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let mut module = RpcModule::new(Context { reader, canonical });
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
    let mut outer = RpcModule::new(());
    outer.merge(module)?;
    Ok(outer)
}

/// Starts the server on `addr` (port 0 picks a free one) and returns the address it
/// listens on and its handle (stop it with [`ServerHandle::stop`]).
///
/// # Errors
///
/// [`Error`] if the address cannot be bound.
pub async fn serve<C>(
    addr: SocketAddr,
    reader: OverlayReader,
    canonical: C,
) -> Result<(SocketAddr, ServerHandle), Error>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    let module = module(reader, canonical)?;
    let server = Server::builder().build(addr).await?;
    let local = server.local_addr()?;
    Ok((local, server.start(module)))
}
