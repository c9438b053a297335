//! A canonical upstream: a node's JSON-RPC, through alloy's provider (2.x), for
//! everything that is not `pending`.
//!
//! [`Upstream`] forwards requests as they came ([`Upstream::forward`]), answers the
//! overlay's fallbacks as the [`CanonicalState`] at the latest block, and
//! [`follow_heads`] reports each new canonical head with its transaction hashes (an
//! `http(s)://` upstream is polled, a `ws(s)://` one subscribed to `newHeads`), which
//! the node hands to the overlay (confirmed, broken preconfirmation, reorg).
//!
//! The [`CanonicalState`] methods are synchronous: they wait for the upstream with
//! `tokio::task::block_in_place`, so the server must run on tokio's multi-thread
//! runtime (as `pending_rpc` does).

use crate::Error;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, Bytes, TxHash, B256, U256, U64};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::Header;
use flashblocks_overlay::{CanonicalHead, CanonicalState, PendingBlock};
use futures_util::StreamExt;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::value::RawValue;
use std::{borrow::Cow, fmt, future::Future, time::Duration};

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

/// A node's JSON-RPC (cheap to clone: one connection).
#[derive(Clone, Debug)]
pub struct Upstream {
    provider: DynProvider,
    pubsub: bool,
}

impl Upstream {
    /// Connects to `url` (`http(s)://` or `ws(s)://`).
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
        Ok(Self { provider, pubsub })
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
        self.provider
            .raw_request_dyn(Cow::Owned(method.to_owned()), &params)
            .await
            .map_err(upstream_error)
    }

    /// Waits for `future` from synchronous code on the multi-thread runtime.
    fn wait<T>(
        &self,
        future: impl Future<Output = Result<T, UpstreamError>>,
    ) -> Result<T, UpstreamError> {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
    }

    /// The transaction hashes of the canonical block `hash`.
    async fn transaction_hashes(&self, hash: B256) -> Result<Option<Vec<TxHash>>, UpstreamError> {
        #[derive(serde::Deserialize, Debug)]
        struct Hashes {
            transactions: Vec<TxHash>,
        }
        let block: Option<Hashes> = self.request("eth_getBlockByHash", (hash, false)).await?;
        Ok(block.map(|b| b.transactions))
    }
}

impl CanonicalState for Upstream {
    type Error = UpstreamError;
    fn balance(&self, address: Address) -> Result<U256, Self::Error> {
        self.wait(self.request("eth_getBalance", (address, BlockNumberOrTag::Latest)))
    }
    fn transaction_count(&self, address: Address) -> Result<u64, Self::Error> {
        let count: U64 = self
            .wait(self.request("eth_getTransactionCount", (address, BlockNumberOrTag::Latest)))?;
        Ok(count.to())
    }
    fn code(&self, address: Address) -> Result<Bytes, Self::Error> {
        self.wait(self.request("eth_getCode", (address, BlockNumberOrTag::Latest)))
    }
    fn storage_at(&self, address: Address, slot: B256) -> Result<B256, Self::Error> {
        let slot = U256::from_be_bytes(slot.0);
        self.wait(self.request("eth_getStorageAt", (address, slot, BlockNumberOrTag::Latest)))
    }
    fn transaction_by_hash(&self, hash: TxHash) -> Result<Option<Transaction>, Self::Error> {
        self.wait(self.request("eth_getTransactionByHash", (hash,)))
    }
    fn receipt(&self, hash: TxHash) -> Result<Option<OpTransactionReceipt>, Self::Error> {
        self.wait(self.request("eth_getTransactionReceipt", (hash,)))
    }
    fn latest_block(&self, full: bool) -> Result<Option<PendingBlock>, Self::Error> {
        self.wait(self.request("eth_getBlockByNumber", (BlockNumberOrTag::Latest, full)))
    }
}

/// A new canonical head and its transactions, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHead {
    /// The head.
    pub head: CanonicalHead,
    /// Its transaction hashes (`None` when the upstream no longer had the block).
    pub transactions: Option<Vec<TxHash>>,
}

/// Reports every new canonical head of `upstream` to `on_head`, until the upstream's
/// subscription ends (websocket) or forever (HTTP, polled every `poll`). A head equal to
/// the last one is not reported again; a head that goes back or sideways is (a reorg).
pub async fn follow_heads(upstream: Upstream, poll: Duration, mut on_head: impl FnMut(NewHead)) {
    let mut last: Option<CanonicalHead> = None;
    if upstream.is_pubsub() {
        match upstream.provider.subscribe_blocks().await {
            Ok(subscription) => {
                let mut heads = subscription.into_stream();
                while let Some(header) = heads.next().await {
                    let head = CanonicalHead { number: header.number, hash: header.hash };
                    if last != Some(head) {
                        last = Some(head);
                        let transactions =
                            upstream.transaction_hashes(header.hash).await.ok().flatten();
                        on_head(NewHead { head, transactions });
                    }
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
                if last != Some(head) {
                    last = Some(head);
                    let transactions =
                        upstream.transaction_hashes(header.hash).await.ok().flatten();
                    on_head(NewHead { head, transactions });
                }
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(%err, "upstream head poll failed"),
        }
    }
}
