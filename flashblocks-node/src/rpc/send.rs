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
//! `eth_call` and `eth_estimateGas` with `pending` on an executed stream (`--chain`) run
//! here, in the execution crate's EVM, on the newest executed pending state (the
//! executor's post-state of the newest flashblock over its preconfirmed layers over the
//! upstream's state at the oldest one's parent hash) in the pending block's environment,
//! the caller's state overrides first; off the async workers (a blocking thread, since
//! the upstream's state is read synchronously). Errors as geth's: a revert is code 3,
//! `execution reverted`, with the revert data as `data`; a halt or a rejected call
//! (the caller cannot pay, ...) is -32000 with the reason. Without an executed state
//! (no `--chain`, none yet, or the stream is stale) `pending` is forwarded to the
//! upstream at `latest` with the overlay's preconfirmed state as a state override (the
//! caller's own overrides on top; the block environment is then the upstream's latest
//! block). Any other tag is forwarded as it came.
//!
//! Both send methods refuse a post-exec transaction (type `0x7D`, Lagoon: the sequencer
//! makes it, no user sends one) with -32000 and its hash as `data`, before anything
//! else ([`Error::PostExecNotSendable`](crate::Error::PostExecNotSendable)).

use super::{forward_or, no_upstream, target, to_raw, Context, RpcResult, Target};
use crate::{pipeline::now_ms, upstream::UpstreamState};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{keccak256, Bytes, TxHash, TxKind, U64};
use alloy_rpc_types_eth::{state::StateOverride, TransactionRequest};
use flashblocks_execute::{CallOutcome, CallRequest, ExecuteError, PendingSnapshot};
use flashblocks_overlay::View;
use jsonrpsee::{
    server::RegisterMethodError,
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use serde_json::{json, Value};
use std::{sync::Arc, time::Duration};

/// `eth_sendRawTransactionSync`'s wait when the call gives none.
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_millis(6000);

/// Methods only the canonical chain answers, forwarded as they come when there is an
/// upstream.
const FORWARDED: [&str; 8] = [
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_blobBaseFee",
    "eth_feeHistory",
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
    let pending = matches!(target(tag), Target::Pending);
    if let Some(executed) = pending.then(|| executed(ctx)).flatten() {
        return local_call(executed, method, request, overrides).await;
    }
    let Some(upstream) = &ctx.upstream else { return Err(no_upstream(method)) };
    if !pending {
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

/// The newest executed pending state, unless the stream is stale (then the overlay does
/// not answer `pending` either). Once the canonical chain confirmed the newest executed
/// block and the next has not started, that block's state is `latest`'s.
fn executed<C>(ctx: &Context<C>) -> Option<Arc<PendingSnapshot<UpstreamState>>> {
    let snapshots = ctx.execution.as_ref()?;
    let age_ms = ctx.reader.snapshot().age_ms(now_ms()).unwrap_or_default();
    if ctx.config.max_age_ms.is_some_and(|max| age_ms > max) {
        return None;
    }
    snapshots.latest()
}

/// The fields of `eth_call`'s transaction object the EVM reads.
fn call_request(request: TransactionRequest) -> CallRequest {
    CallRequest {
        from: request.from,
        to: match request.to {
            Some(TxKind::Call(to)) => Some(to),
            Some(TxKind::Create) | None => None,
        },
        gas: request.gas,
        gas_price: request.gas_price.or(request.max_fee_per_gas),
        value: request.value.unwrap_or_default(),
        input: request.input.into_input().unwrap_or_default(),
    }
}

fn invalid_params(err: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32602, format!("invalid params: {err}"), None::<()>)
}

/// A call that did not succeed, as geth answers it: a revert is code 3 with the revert
/// data, a halt -32000 with its reason.
fn failed_call(outcome: &CallOutcome) -> ErrorObjectOwned {
    match &outcome.halt {
        Some(reason) => ErrorObject::owned(-32000, reason.clone(), None::<()>),
        None => ErrorObject::owned(3, "execution reverted", Some(outcome.output.clone())),
    }
}

fn call_error(err: ExecuteError) -> ErrorObjectOwned {
    match err {
        ExecuteError::CallFailed(outcome) => failed_call(&outcome),
        other => ErrorObject::owned(-32000, other.to_string(), None::<()>),
    }
}

/// `eth_call` / `eth_estimateGas` on the executed pending state, on a blocking thread.
async fn local_call(
    executed: Arc<PendingSnapshot<UpstreamState>>,
    method: &'static str,
    request: Value,
    overrides: Option<Value>,
) -> RpcResult {
    let request: TransactionRequest = serde_json::from_value(request).map_err(invalid_params)?;
    let overrides: Option<StateOverride> =
        overrides.map(serde_json::from_value).transpose().map_err(invalid_params)?;
    let request = call_request(request);
    let estimate = method == "eth_estimateGas";
    let started = std::time::Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        if estimate {
            let gas = executed.estimate_gas(&request, overrides.as_ref()).map_err(call_error)?;
            to_raw(&U64::from(gas))
        } else {
            let outcome = executed.call(&request, overrides.as_ref()).map_err(call_error)?;
            if !outcome.success {
                return Err(failed_call(&outcome));
            }
            to_raw(&outcome.output)
        }
    })
    .await
    .map_err(super::internal)?;
    metrics::histogram!("flashblocks_pending_call_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
    answer
}

/// Refuses a post-exec transaction (type `0x7D`) before it goes anywhere
/// ([`Error::PostExecNotSendable`](crate::Error::PostExecNotSendable)): -32000, the hash as
/// `data`.
fn refuse_post_exec(raw: &[u8]) -> Result<(), ErrorObjectOwned> {
    if raw.first() != Some(&flashblocks_types::POST_EXEC_TX_TYPE_ID) {
        return Ok(());
    }
    let hash = keccak256(raw);
    let err = crate::Error::PostExecNotSendable { hash };
    Err(ErrorObject::owned(-32000, err.to_string(), Some(hash)))
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
        let (raw,): (Bytes,) = params.parse()?;
        refuse_post_exec(&raw)?;
        forward_or(&ctx, "eth_sendRawTransaction", &params, || {
            Err(no_upstream("eth_sendRawTransaction"))
        })
        .await
    })?;
    module.register_async_method("eth_sendRawTransactionSync", |params, ctx, _| async move {
        let mut seq = params.sequence();
        let (raw, timeout_ms): (Bytes, Option<u64>) = (seq.next()?, seq.optional_next()?);
        refuse_post_exec(&raw)?;
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
