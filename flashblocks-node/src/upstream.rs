//! A canonical upstream: a node's JSON-RPC, through alloy's provider (2.x), for
//! everything that is not `pending`.
//!
//! [`Upstream`] forwards requests as they came ([`Upstream::forward`]), answers the
//! overlay's fallbacks (asynchronously: [`Upstream::request`]), and [`follow_heads`]
//! reports each new canonical head with its transaction hashes (an `http(s)://`
//! upstream is polled, a `ws(s)://` one subscribed to `newHeads`), which the node hands
//! to the overlay (confirmed, broken preconfirmation, reorg).
//!
//! [`UpstreamState`] is the EVM's view of the upstream's state fixed at one block hash
//! (a [`revm::DatabaseRef`] over the same provider, written here because revm's own
//! provider database pulls alloy-provider 1.x), and [`Upstream`] is the execution
//! crate's [`CanonicalStates`] through it. The EVM reads synchronously: each
//! [`UpstreamState`] read waits for the upstream with [`Handle::block_on`] on the runtime
//! the upstream was connected on, so it must run on a thread that is not one of that
//! runtime's workers (the node's writer thread, or a `spawn_blocking` thread for
//! `eth_call`): it then parks nothing the runtime needs, and holds nothing another task
//! waits for.

use crate::Error;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxHash, B256, U256, U64};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::Header;
use flashblocks_execute::{CanonicalStates, Prefetch};
use flashblocks_overlay::{CanonicalBlock, CanonicalHead};
use futures_util::StreamExt;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use revm::{
    primitives::KECCAK_EMPTY,
    state::{AccountInfo, Bytecode},
    DatabaseRef,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::value::RawValue;
use std::{borrow::Cow, fmt, future::Future, time::Duration};
use tokio::runtime::Handle;

/// An upstream's failure, as the JSON-RPC error this server answers with: the
/// upstream's own error object, or -32603 when it could not be reached.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamError(pub ErrorObjectOwned);

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upstream: {} ({})", self.0.message(), self.0.code())
    }
}

impl std::error::Error for UpstreamError {}

impl revm::database_interface::DBErrorMarker for UpstreamError {}

impl From<UpstreamError> for ErrorObjectOwned {
    fn from(err: UpstreamError) -> Self {
        err.0
    }
}

fn upstream_error(err: alloy_provider::transport::TransportError) -> UpstreamError {
    UpstreamError(match err.as_error_resp() {
        Some(payload) => ErrorObject::owned(
            i32::try_from(payload.code).unwrap_or(-32603),
            payload.message.to_string(),
            payload.data.clone(),
        ),
        None => ErrorObject::owned(-32603, format!("upstream: {err}"), None::<()>),
    })
}

/// Calls in one JSON-RPC batch by default when state is read ahead of a flashblock.
pub const DEFAULT_BATCH_SIZE: usize = 64;

/// A node's JSON-RPC (cheap to clone: one connection), and the runtime it was
/// connected on (where [`UpstreamState`]'s synchronous reads wait).
#[derive(Clone, Debug)]
pub struct Upstream {
    provider: DynProvider,
    pubsub: bool,
    runtime: Handle,
    batch_size: usize,
}

impl Upstream {
    /// Connects to `url` (`http(s)://` or `ws(s)://`), on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Upstream`] when the URL is not one of those or the websocket cannot
    /// connect.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        crate::ws::install_tls_provider();
        let pubsub = url.starts_with("ws://") || url.starts_with("wss://");
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect(url)
            .await
            .map_err(|err| Error::Upstream(upstream_error(err)))?
            .erased();
        Ok(Self { provider, pubsub, runtime: Handle::current(), batch_size: DEFAULT_BATCH_SIZE })
    }

    /// The same upstream, reading state ahead of a flashblock in JSON-RPC batches of
    /// `calls` calls ([`DEFAULT_BATCH_SIZE`] by default; 0: not reading ahead).
    #[must_use]
    pub const fn with_batch_size(mut self, calls: usize) -> Self {
        self.batch_size = calls;
        self
    }

    /// Whether new heads come by subscription (a websocket upstream) rather than polling.
    pub const fn is_pubsub(&self) -> bool {
        self.pubsub
    }

    /// One request, its answer deserialized.
    ///
    /// # Errors
    ///
    /// The upstream's error object, or -32603 when it could not be reached or the
    /// answer does not deserialize.
    pub async fn request<P, R>(&self, method: &'static str, params: P) -> Result<R, UpstreamError>
    where
        P: Serialize,
        R: DeserializeOwned,
    {
        let invalid = |err: serde_json::Error| {
            UpstreamError(ErrorObject::owned(-32603, format!("upstream: {err}"), None::<()>))
        };
        let params = serde_json::value::to_raw_value(&params).map_err(invalid)?;
        metrics::counter!("flashblocks_upstream_requests_total", "method" => method).increment(1);
        let raw = self
            .provider
            .raw_request_dyn(Cow::Borrowed(method), &params)
            .await
            .map_err(upstream_error)?;
        serde_json::from_str(raw.get()).map_err(invalid)
    }

    /// Forwards a request with its parameters as they came; the answer as it comes back.
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request).
    pub async fn forward(
        &self,
        method: &str,
        params: Option<&str>,
    ) -> Result<Box<RawValue>, UpstreamError> {
        let params = RawValue::from_string(params.unwrap_or("[]").to_owned()).map_err(|err| {
            UpstreamError(ErrorObject::owned(-32602, err.to_string(), None::<()>))
        })?;
        metrics::counter!("flashblocks_upstream_requests_total", "method" => "forwarded")
            .increment(1);
        self.provider
            .raw_request_dyn(Cow::Owned(method.to_owned()), &params)
            .await
            .map_err(upstream_error)
    }

    /// Waits for `future` from synchronous code on a thread that is not a worker of the
    /// upstream's runtime (the IO is driven by that runtime's workers).
    ///
    /// # Panics
    ///
    /// On a thread inside an async context (a runtime worker), as [`Handle::block_on`]:
    /// the EVM's reads are never made there.
    fn wait<T>(
        &self,
        future: impl Future<Output = Result<T, UpstreamError>>,
    ) -> Result<T, UpstreamError> {
        self.runtime.block_on(future)
    }

    /// The transaction hashes of the canonical block `hash`.
    /// What confirms a preconfirmed block: the block's transaction hashes, `gasUsed`
    /// and `receiptsRoot`.
    async fn canonical_block(&self, hash: B256) -> Result<Option<CanonicalBlock>, UpstreamError> {
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "camelCase")]
        struct Facts {
            transactions: Vec<TxHash>,
            gas_used: U64,
            receipts_root: B256,
        }
        let block: Option<Facts> = self.request("eth_getBlockByHash", (hash, false)).await?;
        Ok(block.map(|b| {
            CanonicalBlock::new(b.transactions)
                .with_gas_used(b.gas_used.to())
                .with_receipts_root(b.receipts_root)
        }))
    }
}

/// The upstream's state fixed at one block hash, as the EVM reads it: an account is
/// `eth_getBalance`, `eth_getTransactionCount` and `eth_getCode` at
/// `{"blockHash": …}` (EIP-1898), a slot `eth_getStorageAt`, a block hash
/// `eth_getBlockByNumber`. Nothing is cached here (the executor keeps what it read in
/// its own layers, and rolls it forward: see [`Executor`](flashblocks_execute::Executor));
/// an account with no balance, nonce or code reads as absent. Read ahead of a
/// flashblock, many keys go in JSON-RPC batches ([`CanonicalStates::prefetch`]).
///
/// Each read waits for the upstream on the upstream's runtime ([`Handle::block_on`]):
/// read it from the node's writer thread or a `spawn_blocking` thread, never from a
/// runtime worker.
#[derive(Clone, Debug)]
pub struct UpstreamState {
    upstream: Upstream,
    block: B256,
}

impl UpstreamState {
    /// The state of `upstream` after the block `block_hash`.
    pub const fn new(upstream: Upstream, block_hash: B256) -> Self {
        Self { upstream, block: block_hash }
    }

    /// The block the state is fixed at.
    pub const fn block_hash(&self) -> B256 {
        self.block
    }

    fn at(&self) -> BlockId {
        BlockId::hash(self.block)
    }
}

impl DatabaseRef for UpstreamState {
    type Error = UpstreamError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        let upstream = &self.upstream;
        let (balance, nonce, code) = upstream.wait(async {
            let balance = upstream.request::<_, U256>("eth_getBalance", (address, self.at()));
            let nonce = upstream.request::<_, U64>("eth_getTransactionCount", (address, self.at()));
            let code = upstream.request::<_, Bytes>("eth_getCode", (address, self.at()));
            futures_util::try_join!(balance, nonce, code)
        })?;
        account_info(balance, nonce.to::<u64>(), code)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        // Every account read carries its code, so the EVM asks here only for the empty
        // code.
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        Err(UpstreamError(ErrorObject::owned(
            -32603,
            format!("code {code_hash} not read with its account"),
            None::<()>,
        )))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.upstream.wait(self.upstream.request("eth_getStorageAt", (address, index, self.at())))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        let header: Option<Header> = self.upstream.wait(
            self.upstream
                .request("eth_getBlockByNumber", (BlockNumberOrTag::Number(number), false)),
        )?;
        // A block the upstream does not have hashes to zero, as revm's own databases do.
        Ok(header.map_or(B256::ZERO, |h| h.hash))
    }
}

impl CanonicalStates for Upstream {
    type State = UpstreamState;

    /// The state at `block_hash`, read lazily: a block the upstream does not hold shows
    /// as errors on the first read.
    fn state_at(&self, block_hash: B256) -> Option<UpstreamState> {
        Some(UpstreamState::new(self.clone(), block_hash))
    }

    /// Reads `wanted` in JSON-RPC batches of the upstream's batch size (an account is
    /// three calls, a slot one), all sent at once, waiting on this thread as the EVM's
    /// reads do; a failed batch leaves its keys to the EVM.
    fn prefetch(&self, state: &UpstreamState, wanted: &Prefetch) -> Prefetch {
        if self.batch_size == 0 {
            return Prefetch::default();
        }
        state.read_many(wanted, self.batch_size)
    }
}

/// One call of a batch.
enum Call {
    Account(Address),
    Slot(Address, U256),
}

impl UpstreamState {
    /// Reads `wanted` at this state's block in batches of at most `batch_size` calls,
    /// sent concurrently; what was answered.
    fn read_many(&self, wanted: &Prefetch, batch_size: usize) -> Prefetch {
        let per_batch = batch_size.max(3);
        let mut calls: Vec<Call> = wanted.accounts.iter().map(|(a, _)| Call::Account(*a)).collect();
        calls.extend(wanted.slots.iter().map(|(a, k, _)| Call::Slot(*a, *k)));
        // Accounts cost three calls each; slots one.
        let mut batches: Vec<Vec<Call>> = Vec::new();
        let mut size = 0;
        for call in calls {
            let cost = if matches!(call, Call::Account(_)) { 3 } else { 1 };
            match batches.last_mut() {
                Some(batch) if size + cost <= per_batch => batch.push(call),
                _ => {
                    batches.push(vec![call]);
                    size = 0;
                }
            }
            size += cost;
        }
        let at = self.at();
        let upstream = &self.upstream;
        let answered = upstream.runtime.block_on(futures_util::future::join_all(
            batches.iter().map(|batch| upstream.batch(batch, at)),
        ));
        let mut out = Prefetch::default();
        for part in answered.into_iter().flatten() {
            out.accounts.extend(part.accounts);
            out.slots.extend(part.slots);
        }
        out
    }
}

impl Upstream {
    /// One batch of state reads at `at`; `None` when it failed as a whole (a call that
    /// failed is left out).
    async fn batch(&self, calls: &[Call], at: BlockId) -> Option<Prefetch> {
        let mut batch = alloy_rpc_client::BatchRequest::new(self.provider.client());
        let mut accounts = Vec::new();
        let mut slots = Vec::new();
        let mut count = 0u64;
        for call in calls {
            match *call {
                Call::Account(address) => {
                    let balance =
                        batch.add_call::<_, U256>("eth_getBalance", &(address, at)).ok()?;
                    let nonce =
                        batch.add_call::<_, U64>("eth_getTransactionCount", &(address, at)).ok()?;
                    let code = batch.add_call::<_, Bytes>("eth_getCode", &(address, at)).ok()?;
                    accounts.push((address, balance, nonce, code));
                    count += 3;
                }
                Call::Slot(address, key) => {
                    let value =
                        batch.add_call::<_, U256>("eth_getStorageAt", &(address, key, at)).ok()?;
                    slots.push((address, key, value));
                    count += 1;
                }
            }
        }
        metrics::counter!("flashblocks_upstream_batches_total").increment(1);
        metrics::counter!("flashblocks_upstream_requests_total", "method" => "batched")
            .increment(count);
        batch.send().await.ok()?;
        let mut out = Prefetch::default();
        for (address, balance, nonce, code) in accounts {
            let (Ok(balance), Ok(nonce), Ok(code)) = (balance.await, nonce.await, code.await)
            else {
                continue;
            };
            if let Ok(info) = account_info(balance, nonce.to::<u64>(), code) {
                out.accounts.push((address, Some(info)));
            }
        }
        for (address, key, value) in slots {
            if let Ok(value) = value.await {
                out.slots.push((address, key, Some(value)));
            }
        }
        Some(out)
    }
}

/// An account as the upstream reports it: absent when it has no balance, nonce or code.
fn account_info(
    balance: U256,
    nonce: u64,
    code: Bytes,
) -> Result<Option<AccountInfo>, UpstreamError> {
    if balance.is_zero() && nonce == 0 && code.is_empty() {
        return Ok(None);
    }
    let code = Bytecode::new_raw_checked(code).map_err(|err| {
        UpstreamError(ErrorObject::owned(-32603, format!("upstream code: {err}"), None::<()>))
    })?;
    Ok(Some(AccountInfo::new(balance, nonce, code.hash_slow(), code)))
}

/// A new canonical head and what confirms a preconfirmed block at its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHead {
    /// The head.
    pub head: CanonicalHead,
    /// Its transaction hashes in order, `gasUsed` and `receiptsRoot` (`None` when the
    /// upstream no longer had the block).
    pub block: Option<CanonicalBlock>,
}

/// Reports every new canonical head of `upstream` to `on_head`, until the upstream's
/// subscription ends (websocket) or forever (HTTP, polled every `poll`). A head equal to
/// the last one is not reported again; a head that goes back or sideways is (a reorg).
/// The next head is read once `on_head`'s future is done (the node's waits while the
/// writer's queue is full: a head is never dropped).
pub async fn follow_heads<F, Fut>(upstream: Upstream, poll: Duration, mut on_head: F)
where
    F: FnMut(NewHead) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut last: Option<CanonicalHead> = None;
    if upstream.is_pubsub() {
        match upstream.provider.subscribe_blocks().await {
            Ok(subscription) => {
                let mut heads = subscription.into_stream();
                while let Some(header) = heads.next().await {
                    let head = CanonicalHead { number: header.number, hash: header.hash };
                    report_new_head(&upstream, &mut last, head, &mut on_head).await;
                }
            }
            Err(err) => tracing::warn!(%err, "upstream newHeads subscription failed"),
        }
        return;
    }
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let latest: Result<Option<Header>, _> =
            upstream.request("eth_getBlockByNumber", (BlockNumberOrTag::Latest, false)).await;
        match latest {
            Ok(Some(header)) => {
                let head = CanonicalHead { number: header.number, hash: header.hash };
                report_new_head(&upstream, &mut last, head, &mut on_head).await;
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(%err, "upstream head poll failed"),
        }
    }
}

/// Reports `head` with its transactions unless it is the `last` one reported.
async fn report_new_head<F, Fut>(
    upstream: &Upstream,
    last: &mut Option<CanonicalHead>,
    head: CanonicalHead,
    on_head: &mut F,
) where
    F: FnMut(NewHead) -> Fut,
    Fut: Future<Output = ()>,
{
    if *last != Some(head) {
        *last = Some(head);
        let block = upstream.canonical_block(head.hash).await.ok().flatten();
        on_head(NewHead { head, block }).await;
    }
}
