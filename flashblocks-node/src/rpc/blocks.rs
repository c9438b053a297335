//! Reads of a block's transactions by position, its transaction count and its receipts:
//! `eth_getTransactionByBlockNumberAndIndex`, `eth_getTransactionByBlockHashAndIndex`,
//! `eth_getBlockTransactionCountByNumber`, `eth_getBlockTransactionCountByHash` and
//! `eth_getBlockReceipts`.
//!
//! `pending`, and a number or hash of a block the overlay holds (the pending block, or a
//! complete one not yet canonical), are answered from the preconfirmed blocks; anything
//! else is forwarded to the upstream as it came, or, without one, read from the
//! canonical state at that block (`eth_getBlockReceipts` then needs the upstream).
//! `pending` with no pending block reads `latest`, as `eth_getBlockByNumber` does. A
//! preconfirmed block's receipts the stream does not carry (a stripped stream not
//! executed) are an error (-32000), never a partial list.

use super::{forward_or, no_upstream, to_raw, Context, RpcResult};
use crate::pipeline::now_ms;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{B256, U64};
use flashblocks_overlay::{CanonicalState, Lookup, PendingBlock};
use jsonrpsee::{
    server::RegisterMethodError,
    types::{ErrorObject, ErrorObjectOwned, Params},
    RpcModule,
};
use std::fmt;

/// The preconfirmed block `block` names: `Some` when the overlay answers for it
/// (`pending` always: the pending block, else `latest` from the canonical state),
/// `None` when it is not the overlay's to answer.
async fn preconfirmed<C>(
    ctx: &Context<C>,
    block: BlockId,
    full: bool,
) -> Result<Option<Option<PendingBlock>>, ErrorObjectOwned>
where
    C: CanonicalState,
    C::Error: fmt::Display,
{
    if block == BlockId::Number(BlockNumberOrTag::Pending) {
        let answer = super::fallback::answer(ctx, |p| p.block(full)).await?;
        return Ok(Some(answer.map(|a| a.value)));
    }
    let snapshot = ctx.reader.snapshot();
    let view = snapshot.at(now_ms());
    Ok(match block {
        BlockId::Number(BlockNumberOrTag::Number(number)) => {
            view.block_by_number(number, full).into_value().map(Some)
        }
        BlockId::Hash(hash) => view.block_by_hash(hash.block_hash, full).into_value().map(Some),
        BlockId::Number(_) => None,
    })
}

/// Answers `method` from the block `block` names: the overlay's, else the upstream's
/// (forwarded), else the canonical state's.
async fn from_block<C, T>(
    ctx: &Context<C>,
    method: &str,
    params: &Params<'_>,
    block: BlockId,
    full: bool,
    answer: impl Fn(Option<&PendingBlock>) -> T,
) -> RpcResult
where
    C: CanonicalState,
    C::Error: fmt::Display,
    T: serde::Serialize,
{
    if let Some(held) = preconfirmed(ctx, block, full).await? {
        return to_raw(&answer(held.as_ref()));
    }
    forward_or(ctx, method, params, || {
        let canonical = ctx.canonical.block(block, full).map_err(super::canonical_error)?;
        to_raw(&answer(canonical.as_ref()))
    })
    .await
}

/// The transaction at `index` of a block read with its transactions.
fn at_index(block: Option<&PendingBlock>, index: U64) -> Option<op_alloy_rpc_types::Transaction> {
    let index = usize::try_from(index.to::<u64>()).ok()?;
    block?.transactions.as_transactions()?.get(index).cloned()
}

fn count(block: Option<&PendingBlock>) -> Option<U64> {
    block.map(|b| U64::from(b.transactions.len()))
}

/// `eth_getBlockReceipts` of a block the overlay holds (`None`: not the overlay's).
fn preconfirmed_receipts<C>(ctx: &Context<C>, block: BlockId) -> Option<RpcResult> {
    let snapshot = ctx.reader.snapshot();
    let view = snapshot.at(now_ms());
    let held = match block {
        BlockId::Number(BlockNumberOrTag::Pending) => view.pending_block(false),
        BlockId::Number(BlockNumberOrTag::Number(number)) => view.block_by_number(number, false),
        BlockId::Hash(hash) => view.block_by_hash(hash.block_hash, false),
        BlockId::Number(_) => return None,
    };
    let held = held.into_value()?;
    let mut receipts = Vec::with_capacity(held.transactions.len());
    for hash in held.transactions.hashes() {
        match view.rpc_receipt(hash) {
            Lookup::Found(found) => receipts.push(found.value),
            Lookup::NotHere(reason) => {
                return Some(Err(ErrorObject::owned(
                    -32000,
                    format!("the receipt of preconfirmed transaction {hash} is not known ({reason:?}): the stream does not carry it and is not executed"),
                    None::<()>,
                )))
            }
        }
    }
    Some(to_raw(&receipts))
}

/// Registers the methods.
pub(super) fn register<C>(module: &mut RpcModule<Context<C>>) -> Result<(), RegisterMethodError>
where
    C: CanonicalState + Send + Sync + 'static,
    C::Error: fmt::Display,
{
    module.register_async_method(
        "eth_getTransactionByBlockNumberAndIndex",
        |params, ctx, _| async move {
            let (tag, index): (BlockNumberOrTag, U64) = params.parse()?;
            let method = "eth_getTransactionByBlockNumberAndIndex";
            from_block(&ctx, method, &params, tag.into(), true, |b| at_index(b, index)).await
        },
    )?;
    module.register_async_method(
        "eth_getTransactionByBlockHashAndIndex",
        |params, ctx, _| async move {
            let (hash, index): (B256, U64) = params.parse()?;
            let method = "eth_getTransactionByBlockHashAndIndex";
            from_block(&ctx, method, &params, hash.into(), true, |b| at_index(b, index)).await
        },
    )?;
    module.register_async_method(
        "eth_getBlockTransactionCountByNumber",
        |params, ctx, _| async move {
            let (tag,): (BlockNumberOrTag,) = params.parse()?;
            from_block(
                &ctx,
                "eth_getBlockTransactionCountByNumber",
                &params,
                tag.into(),
                false,
                count,
            )
            .await
        },
    )?;
    module.register_async_method(
        "eth_getBlockTransactionCountByHash",
        |params, ctx, _| async move {
            let (hash,): (B256,) = params.parse()?;
            from_block(
                &ctx,
                "eth_getBlockTransactionCountByHash",
                &params,
                hash.into(),
                false,
                count,
            )
            .await
        },
    )?;
    module.register_async_method("eth_getBlockReceipts", |params, ctx, _| async move {
        let (block,): (BlockId,) = params.parse()?;
        if let Some(answer) = preconfirmed_receipts(&ctx, block) {
            return answer;
        }
        forward_or(&ctx, "eth_getBlockReceipts", &params, || {
            Err(no_upstream("eth_getBlockReceipts"))
        })
        .await
    })?;
    Ok(())
}
