//! The methods that need the canonical upstream: `eth_sendRawTransaction` (forwarded to
//! the sequencer's endpoint), `eth_sendRawTransactionSync`, `eth_call` and
//! `eth_estimateGas`, and plain forwards of the canonical-only methods.
//!
//! `eth_sendRawTransactionSync` (EIP-7966, a draft) takes `[raw, timeoutMs?]` (default
//! 6000 ms, capped at [`ServerConfig::max_sync_timeout`](super::ServerConfig)). It
//! registers its wait on the overlay's applied flashblocks first, then forwards the
//! transaction, then reads the overlay, then waits: a flashblock carrying the
//! transaction that arrives before the upstream answers is not missed. It returns the
//! preconfirmed receipt; on a stream that carries no receipts (and is not executed) it
//! returns what the overlay knows of the inclusion: `transactionHash`, `blockHash`,
//! `blockNumber`, `transactionIndex`, `from`, `to`, with no `status`. Each time the
//! canonical head moves (and at the deadline) the upstream is asked for a canonical
//! receipt: the block that carried the transaction may have been sealed and dropped
//! from the overlay between two looks, or its flashblocks missed. Without one by the
//! deadline the error is -32000 with the transaction hash as `data`.
//!
//! `eth_call` and `eth_estimateGas` with `pending` are forwarded to the upstream at
//! `latest` with the overlay's preconfirmed state as a state override (the caller's own
//! overrides on top); the block environment is the upstream's latest block.

use super::{forward_or, no_upstream, target, to_raw, Context, RpcResult, Target};
use crate::pipeline::now_ms;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{keccak256, Bytes, TxHash};
use flashblocks_overlay::View;
use jsonrpsee::{
    server::RegisterMethodError,
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use serde_json::{json, Value};
use std::time::Duration;

/// `eth_sendRawTransactionSync`'s wait when the call gives none.
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_millis(6000);

/// Methods only the canonical chain answers, forwarded as they come when there is an
/// upstream.
const FORWARDED: [&str; 13] = [
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_blobBaseFee",
    "eth_feeHistory",
    "eth_getBlockReceipts",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getBlockTransactionCountByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getProof",
    "eth_createAccessList",
    "eth_syncing",
    "web3_clientVersion",
];

/// What the overlay knows of `hash`'s inclusion: its receipt, or the transaction's
/// position when the stream carries no receipt.
fn inclusion(view: &View<'_>, hash: TxHash) -> Option<Value> {
    if let Some(receipt) = view.rpc_receipt(hash).into_value() {
        return serde_json::to_value(receipt).ok();
    }
    let tx = view.transaction(hash).into_value()?;
    let rpc = view.rpc_transaction(hash).into_value();
    Some(json!({
        "transactionHash": hash,
        "blockHash": tx.block_hash,
        "blockNumber": format!("{:#x}", tx.block_number),
        "transactionIndex": format!("{:#x}", tx.index),
        "from": rpc.as_ref().map(|t| t.inner.inner.signer()),
        "to": rpc.as_ref().and_then(|t| alloy_consensus::Transaction::to(t.inner.inner.inner())),
    }))
}

/// The overlay's state as an `eth_call` state override, with the caller's on top.
fn merged_overrides(view: &View<'_>, caller: Option<Value>) -> Value {
    let mut merged = view
        .state_override()
        .into_value()
        .and_then(|o| serde_json::to_value(o).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    if let Some(Value::Object(caller)) = caller {
        for (address, account) in caller {
            merged.insert(address, account);
        }
    }
    Value::Object(merged)
}

/// `eth_call` / `eth_estimateGas`: `pending` at the upstream's `latest` with the
/// overlay's state as an override, any other tag forwarded as it came.
async fn call<C>(
    ctx: &Context<C>,
    method: &'static str,
    params: &jsonrpsee::types::Params<'_>,
) -> RpcResult {
    let mut seq = params.sequence();
    let (request, tag, overrides): (Value, Option<BlockId>, Option<Value>) =
        (seq.next()?, seq.optional_next()?, seq.optional_next()?);
    let Some(upstream) = &ctx.upstream else { return Err(no_upstream(method)) };
    if !matches!(target(tag), Target::Pending) {
        return Ok(upstream.forward(method, params.as_str()).await?);
    }
    let overrides = {
        let snapshot = ctx.reader.snapshot();
        merged_overrides(&snapshot.at(now_ms()), overrides)
    };
    let answer: Value =
        upstream.request(method, (request, BlockNumberOrTag::Latest, overrides)).await?;
    to_raw(&answer)
}

fn timeout_error(hash: TxHash, waited: Duration) -> ErrorObjectOwned {
    ErrorObject::owned(
        -32000,
        format!("transaction not preconfirmed within {} ms", waited.as_millis()),
        Some(hash),
    )
}

/// Registers the methods.
pub(super) fn register<C>(
    module: &mut RpcModule<Context<C>>,
    has_upstream: bool,
) -> Result<(), RegisterMethodError>
where
    C: Send + Sync + 'static,
{
    module.register_async_method("eth_sendRawTransaction", |params, ctx, _| async move {
        let (_raw,): (Bytes,) = params.parse()?;
        forward_or(&ctx, "eth_sendRawTransaction", &params, || {
            Err(no_upstream("eth_sendRawTransaction"))
        })
        .await
    })?;
    module.register_async_method("eth_sendRawTransactionSync", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (raw, timeout_ms): (Bytes, Option<u64>) = (seq.next()?, seq.optional_next()?);
        let timeout = timeout_ms
            .map_or(DEFAULT_SYNC_TIMEOUT, Duration::from_millis)
            .min(ctx.config.max_sync_timeout);
        let Some(upstream) = &ctx.upstream else {
            return Err(no_upstream("eth_sendRawTransactionSync"));
        };
        let hash = keccak256(&raw);
        let deadline = tokio::time::Instant::now() + timeout;
        // The wait is registered before the transaction leaves.
        let mut applied = ctx.feed.watch_applied();
        let _: TxHash = upstream.request("eth_sendRawTransaction", (raw,)).await?;
        let mut head = None;
        loop {
            let (found, now_head) = {
                let snapshot = ctx.reader.snapshot();
                (inclusion(&snapshot.at(now_ms()), hash), snapshot.canonical_head())
            };
            if let Some(found) = found {
                return to_raw(&found);
            }
            if now_head.is_some() && now_head != head {
                // The canonical head moved: the block that carried it may have been
                // sealed and dropped from the overlay before this look.
                head = now_head;
                let receipt: Option<Value> =
                    upstream.request("eth_getTransactionReceipt", (hash,)).await.unwrap_or(None);
                if let Some(receipt) = receipt {
                    return to_raw(&receipt);
                }
            }
            tokio::select! {
                changed = applied.changed() => {
                    if changed.is_err() {
                        // No writer any more: nothing can arrive.
                        tokio::time::sleep_until(deadline).await;
                        break;
                    }
                }
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        // Not seen preconfirmed (a flashblock missed, e.g. while reconnecting): sealed
        // meanwhile, the canonical receipt answers.
        let receipt: Option<Value> =
            upstream.request("eth_getTransactionReceipt", (hash,)).await.unwrap_or(None);
        receipt.map_or_else(|| Err(timeout_error(hash, timeout)), |r| to_raw(&r))
    })?;
    module.register_async_method("eth_call", |params, ctx, _| async move {
        call(&ctx, "eth_call", &params).await
    })?;
    module.register_async_method("eth_estimateGas", |params, ctx, _| async move {
        call(&ctx, "eth_estimateGas", &params).await
    })?;
    if has_upstream {
        for method in FORWARDED {
            module.register_async_method(method, move |params, ctx, _| async move {
                forward_or(&ctx, method, &params, || Err(no_upstream(method))).await
            })?;
        }
    }
    Ok(())
}
