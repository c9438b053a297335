//! The sequencer's JSON-RPC methods (the table in the [module](super)'s docs): reads
//! from the published pending state and the sealed blocks' history; submissions and
//! reorgs through the chain's owner.

use super::{
    chain::{Chain, SealedBlock, HARDFORK},
    Command, Shared, CHAIN_ID,
};
use crate::Error;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256, U64};
use alloy_rpc_types_eth::{state::StateOverride, Filter, FilterBlockOption, TransactionRequest};
use flashblocks_execute::{
    CallOutcome, CallRequest, CanonicalCall, ChainConfig, ExecuteError, InMemoryAccount,
};
use jsonrpsee::{
    types::{ErrorObject, ErrorObjectOwned, Params},
    RpcModule,
};
use revm::DatabaseRef;
use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};
use tokio::sync::oneshot;

/// The most logs one `eth_getLogs` returns (as providers cap it).
pub(super) const MAX_LOGS: usize = 10_000;

/// A successful answer.
const fn ok<T>(value: T) -> Result<T, ErrorObjectOwned> {
    Ok(value)
}

/// -32001 "block not found".
fn not_found() -> ErrorObjectOwned {
    ErrorObject::owned(-32001, "block not found", None::<()>)
}

/// -32000 with `message`.
fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(-32000, message.into(), None::<()>)
}

/// -32602 with `message`.
fn invalid_params(message: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32602, format!("invalid params: {message}"), None::<()>)
}

/// Where a read is answered.
enum At {
    Sealed(Arc<SealedBlock>),
    Pending,
}

impl Shared {
    fn head(&self) -> Arc<SealedBlock> {
        // Genesis is sealed before the server starts and a reorg never removes it.
        self.history.read().head().cloned().unwrap_or_else(|| unreachable!("a head"))
    }

    fn resolve(&self, id: Option<BlockId>) -> Result<At, ErrorObjectOwned> {
        let history = self.history.read();
        let block = match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(BlockNumberOrTag::Pending) => return Ok(At::Pending),
            BlockId::Number(
                BlockNumberOrTag::Latest | BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized,
            ) => history.head(),
            BlockId::Number(BlockNumberOrTag::Earliest) => history.oldest(),
            BlockId::Number(BlockNumberOrTag::Number(n)) => history.by_number(n),
            BlockId::Hash(hash) => history.by_hash(&hash.block_hash),
        };
        block.cloned().map(At::Sealed).ok_or_else(not_found)
    }

    /// An account at `id` (the pending state: after the newest flashblock).
    fn account(
        &self,
        address: Address,
        id: Option<BlockId>,
    ) -> Result<InMemoryAccount, ErrorObjectOwned> {
        let block = match self.resolve(id)? {
            At::Sealed(block) => block,
            At::Pending => match self.pending.borrow().clone() {
                Some(pending) => return Ok(pending_account(&pending.state(), address)),
                None => self.head(),
            },
        };
        Ok(self.history.read().account(block.number(), &address))
    }

    /// `eth_call` / `eth_estimateGas` at `id`.
    fn call(
        &self,
        request: &CallRequest,
        id: Option<BlockId>,
        overrides: Option<&StateOverride>,
        estimate: bool,
    ) -> Result<serde_json::Value, ErrorObjectOwned> {
        let block = match self.resolve(id)? {
            At::Sealed(block) => block,
            At::Pending => match self.pending.borrow().clone() {
                Some(pending) => {
                    return if estimate {
                        pending.estimate_gas(request, overrides).map(gas_answer).map_err(call_error)
                    } else {
                        pending.call(request, overrides).map_err(call_error).and_then(output)
                    };
                }
                None => self.head(),
            },
        };
        let config = ChainConfig::dev(CHAIN_ID, HARDFORK);
        let at = CanonicalCall::new(config, block.base.clone(), self.history.at(block.number()));
        if estimate {
            at.estimate_gas(request, overrides).map(gas_answer).map_err(call_error)
        } else {
            at.call(request, overrides).map_err(call_error).and_then(output)
        }
    }

    /// `eth_getLogs` over the sealed blocks kept.
    fn logs(&self, filter: &Filter) -> Result<Vec<alloy_rpc_types_eth::Log>, ErrorObjectOwned> {
        let blocks: Vec<Arc<SealedBlock>> = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                vec![self.history.read().by_hash(&hash).cloned().ok_or_else(not_found)?]
            }
            FilterBlockOption::Range { from_block, to_block } => {
                let history = self.history.read();
                let head = history.head().map_or(0, |b| b.number());
                let oldest = history.oldest().map_or(0, |b| b.number());
                let bound = |tag: Option<BlockNumberOrTag>| match tag {
                    None
                    | Some(
                        BlockNumberOrTag::Latest
                        | BlockNumberOrTag::Pending
                        | BlockNumberOrTag::Safe
                        | BlockNumberOrTag::Finalized,
                    ) => head,
                    Some(BlockNumberOrTag::Earliest) => oldest,
                    Some(BlockNumberOrTag::Number(n)) => n,
                };
                let (from, to) = (bound(from_block), bound(to_block));
                if from > to {
                    return Err(invalid_params(format!("from block {from} after to block {to}")));
                }
                (from.max(oldest)..=to.min(head))
                    .filter_map(|n| history.by_number(n).cloned())
                    .collect()
            }
        };
        let mut logs = Vec::new();
        for block in blocks {
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            for log in block.rpc_logs() {
                if filter.matches(&log.inner) {
                    if logs.len() == MAX_LOGS {
                        return Err(ErrorObject::owned(
                            -32005,
                            format!("query returned more than {MAX_LOGS} results"),
                            None::<()>,
                        ));
                    }
                    logs.push(log);
                }
            }
        }
        Ok(logs)
    }

    /// Hands `command` to the chain's owner and waits for its answer.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, ErrorObjectOwned> {
        let (reply, answer) = oneshot::channel();
        self.commands.try_send(command(reply)).map_err(|err| match err {
            std::sync::mpsc::TrySendError::Full(_) => {
                server_error("busy: too many requests waiting")
            }
            std::sync::mpsc::TrySendError::Disconnected(_) => server_error("the chain stopped"),
        })?;
        answer.await.map_err(|_| server_error("the chain stopped"))
    }
}

/// An account of the pending state.
fn pending_account(state: &impl DatabaseRef, address: Address) -> InMemoryAccount {
    let Ok(Some(info)) = state.basic_ref(address) else { return InMemoryAccount::default() };
    let code = match &info.code {
        Some(code) => code.original_bytes(),
        None => {
            state.code_by_hash_ref(info.code_hash).map(|c| c.original_bytes()).unwrap_or_default()
        }
    };
    InMemoryAccount { balance: info.balance, nonce: info.nonce, code, storage: Default::default() }
}

/// A pending slot.
fn pending_slot(state: &impl DatabaseRef, address: Address, slot: U256) -> U256 {
    state.storage_ref(address, slot).unwrap_or_default()
}

fn gas_answer(gas: u64) -> serde_json::Value {
    serde_json::json!(U64::from(gas))
}

/// A call's output, or geth's error for one that did not succeed.
fn output(outcome: CallOutcome) -> Result<serde_json::Value, ErrorObjectOwned> {
    if outcome.success {
        Ok(serde_json::json!(outcome.output))
    } else {
        Err(failed_call(&outcome))
    }
}

/// A call that did not succeed, as geth answers it: a revert is code 3 with the revert
/// data, a halt -32000 with its reason.
fn failed_call(outcome: &CallOutcome) -> ErrorObjectOwned {
    match &outcome.halt {
        Some(reason) => server_error(reason.clone()),
        None => ErrorObject::owned(3, "execution reverted", Some(outcome.output.clone())),
    }
}

fn call_error(err: ExecuteError) -> ErrorObjectOwned {
    match err {
        ExecuteError::CallFailed(outcome) => failed_call(&outcome),
        other => server_error(other.to_string()),
    }
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

/// `eth_call` / `eth_estimateGas`'s parameters: the call, the block (default `latest`),
/// the state overrides.
fn call_params(
    params: &Params<'_>,
) -> Result<(CallRequest, Option<BlockId>, Option<StateOverride>), ErrorObjectOwned> {
    let mut seq = params.sequence();
    let (request, id, overrides): (TransactionRequest, Option<BlockId>, Option<StateOverride>) =
        (seq.next()?, seq.optional_next()?, seq.optional_next()?);
    Ok((call_request(request), id, overrides))
}

/// The JSON-RPC methods (see the [module](super)).
pub(super) fn module(shared: Arc<Shared>) -> Result<RpcModule<Arc<Shared>>, Error> {
    let mut m = RpcModule::new(shared);
    m.register_method("eth_chainId", |_, _, _| ok(U64::from(CHAIN_ID)))?;
    m.register_method("net_version", |_, _, _| CHAIN_ID.to_string())?;
    m.register_method("eth_blockNumber", |_, s, _| ok(U64::from(s.head().number())))?;
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
        match s.resolve(Some(BlockId::Number(tag))) {
            Ok(At::Sealed(block)) => Ok(Some(block.rpc_block(full.unwrap_or(false)))),
            Ok(At::Pending) => Ok(None),
            // geth answers null for a number above the head.
            Err(_) if matches!(tag, BlockNumberOrTag::Number(n) if n > s.head().number()) => {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    })?;
    m.register_method("eth_getBlockByHash", |params, s, _| {
        let mut seq = params.sequence();
        let (hash, full): (B256, Option<bool>) = (seq.next()?, seq.optional_next()?);
        let block = s.history.read().by_hash(&hash).cloned();
        ok(block.map(|b| b.rpc_block(full.unwrap_or(false))))
    })?;
    m.register_method("eth_getBalance", |params, s, _| {
        let mut seq = params.sequence();
        let (address, id): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        s.account(address, id).map(|a| a.balance)
    })?;
    m.register_method("eth_getTransactionCount", |params, s, _| {
        let mut seq = params.sequence();
        let (address, id): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        s.account(address, id).map(|a| U64::from(a.nonce))
    })?;
    m.register_method("eth_getCode", |params, s, _| {
        let mut seq = params.sequence();
        let (address, id): (Address, Option<BlockId>) = (seq.next()?, seq.optional_next()?);
        s.account(address, id).map(|a| a.code)
    })?;
    m.register_method("eth_getStorageAt", |params, s, _| {
        let mut seq = params.sequence();
        let (address, slot, id): (Address, U256, Option<BlockId>) =
            (seq.next()?, seq.next()?, seq.optional_next()?);
        let block = match s.resolve(id)? {
            At::Sealed(block) => block,
            At::Pending => match s.pending.borrow().clone() {
                Some(pending) => {
                    return ok(B256::from(pending_slot(&pending.state(), address, slot)))
                }
                None => s.head(),
            },
        };
        let account = s.history.read().account(block.number(), &address);
        ok(B256::from(account.storage.get(&slot).copied().unwrap_or_default()))
    })?;
    m.register_method("eth_getTransactionByHash", |params, s, _| {
        let (hash,): (B256,) = params.parse()?;
        let found = s.history.read().transaction(&hash);
        ok(found.and_then(|(block, i)| block.rpc_transaction(i)))
    })?;
    m.register_method("eth_getTransactionReceipt", |params, s, _| {
        let (hash,): (B256,) = params.parse()?;
        let found = s.history.read().transaction(&hash);
        ok(found.and_then(|(block, i)| block.rpc_receipt(i)))
    })?;
    // The EVM runs off the async workers.
    m.register_blocking_method("eth_call", |params, s, _| {
        let (request, id, overrides) = call_params(&params)?;
        s.call(&request, id, overrides.as_ref(), false)
    })?;
    m.register_blocking_method("eth_estimateGas", |params, s, _| {
        let (request, id, overrides) = call_params(&params)?;
        s.call(&request, id, overrides.as_ref(), true)
    })?;
    m.register_blocking_method("eth_getLogs", |params, s, _| {
        let (filter,): (Filter,) = params.parse()?;
        s.logs(&filter)
    })?;
    m.register_async_method("eth_sendRawTransaction", |params, s, _| async move {
        let (raw,): (Bytes,) = params.parse()?;
        // Decoded and its sender recovered here, on the server's worker; the owner only
        // admits it.
        let tx = Chain::prepare(raw).map_err(|err| server_error(err.to_string()))?;
        s.ask(|reply| Command::Submit(tx, reply))
            .await?
            .map_err(|err| server_error(err.to_string()))
    })?;
    m.register_method("debug_dropStreams", |_, s, _| {
        let open = s.connections.load(Ordering::SeqCst);
        s.drops.send_modify(|n| *n += 1);
        tracing::info!(open, "dropping every stream connection");
        open
    })?;
    m.register_async_method("debug_reorg", |params, s, _| async move {
        let hold_ms: Option<u64> = params.sequence().optional_next()?;
        let hold = Duration::from_millis(hold_ms.unwrap_or(0).min(60_000));
        let Some((removed, replacement)) = s.ask(|reply| Command::Reorg(hold, reply)).await? else {
            return Err(server_error("nothing to reorg"));
        };
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
