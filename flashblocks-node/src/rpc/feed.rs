//! Subscriptions over websocket: `eth_subscribe` with
//!
//! - `newFlashblocks`: each accepted flashblock, in the stream's JSON shape;
//! - `pendingLogs` (optional filter `{address, topics}`): each log of an accepted
//!   flashblock's transactions that matches, shaped as an `eth_subscribe("logs")` entry;
//! - `newFlashblockTransactions` (optional `true` for full transactions): each
//!   transaction an accepted flashblock adds, its hash or as `eth_getTransactionByHash`
//!   returns it.
//!
//! The stream's writer publishes one [`FlashblockEvent`] per accepted flashblock on a
//! [`Feed`], a tokio `broadcast` ring of [`Feed::capacity`] events, and never waits for
//! a subscriber. Each subscriber reads the ring at its own pace; one that falls behind
//! by more than the ring (or whose connection does not take a message within
//! [`SEND_TIMEOUT`]) is dropped with a reason (`{"reason": "lagged", "missed": n}` or
//! `{"reason": "slow"}`) as its last notification. The events are only built while
//! someone subscribes.

use super::Context;
use alloy_consensus::TxReceipt as _;
use alloy_primitives::keccak256;
use alloy_rpc_types_eth::{Filter, Log};
use flashblocks_overlay::View;
use flashblocks_types::Flashblock;
use jsonrpsee::{
    core::SubscriptionError,
    server::{RegisterMethodError, SendTimeoutError, SubscriptionMessage},
    types::ErrorObject,
    PendingSubscriptionSink, RpcModule,
};
use op_alloy_rpc_types::Transaction;
use serde_json::{json, Value};
use std::{sync::Arc, time::Duration};
use tokio::sync::{
    broadcast::{self, error::RecvError},
    watch,
};

/// How long a subscriber's connection may take to accept one notification before it is
/// dropped as slow.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// What subscribers see of one accepted flashblock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashblockEvent {
    /// The flashblock, in the stream's JSON shape.
    pub flashblock: Value,
    /// The transactions it adds, as `eth_getTransactionByHash` returns them (those the
    /// overlay cannot decode are left out).
    pub transactions: Vec<Transaction>,
    /// Their logs, as `eth_getLogs` returns them (empty on a stream without receipts).
    pub logs: Vec<Log>,
}

impl FlashblockEvent {
    /// The event of `flashblock`, read from the overlay `view` it was applied to.
    pub fn new(flashblock: &Flashblock, view: &View<'_>) -> Self {
        let json = flashblock
            .to_json()
            .ok()
            .and_then(|json| serde_json::to_value(json).ok())
            .unwrap_or(Value::Null);
        let mut transactions = Vec::with_capacity(flashblock.transactions().len());
        let mut logs = Vec::new();
        for raw in flashblock.transactions() {
            let hash = keccak256(raw);
            if let Some(tx) = view.rpc_transaction(hash).into_value() {
                transactions.push(tx);
            }
            if let Some(receipt) = view.rpc_receipt(hash).into_value() {
                logs.extend(receipt.inner.inner.logs().iter().cloned());
            }
        }
        Self { flashblock: json, transactions, logs }
    }
}

/// The broadcast of accepted flashblocks to subscribers (cheap to clone: one ring).
#[derive(Clone, Debug)]
pub struct Feed {
    sender: broadcast::Sender<Arc<FlashblockEvent>>,
    capacity: usize,
    applied: Arc<watch::Sender<u64>>,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new(256)
    }
}

impl Feed {
    /// A feed whose ring holds `capacity` events (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let applied = Arc::new(watch::channel(0).0);
        Self { sender: broadcast::channel(capacity).0, capacity, applied }
    }

    /// Tells waiters (`eth_sendRawTransactionSync`) that a flashblock was applied to the
    /// overlay; the writer calls it after every accepted flashblock.
    pub fn notify_applied(&self) {
        self.applied.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A watch on [`notify_applied`](Self::notify_applied): subscribe first, then read
    /// the overlay, then wait for a change, and nothing applied in between is missed.
    pub fn watch_applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    /// The ring's size: how far a subscriber may fall behind.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Subscribers now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Publishes an event (never waits); returns how many subscribers will see it.
    pub fn publish(&self, event: FlashblockEvent) -> usize {
        self.sender.send(Arc::new(event)).unwrap_or(0)
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<FlashblockEvent>> {
        self.sender.subscribe()
    }
}

/// What one subscription asked for.
enum Kind {
    Flashblocks,
    Logs(Box<Filter>),
    Transactions { full: bool },
}

impl Kind {
    const fn label(&self) -> &'static str {
        match self {
            Self::Flashblocks => "newFlashblocks",
            Self::Logs(_) => "pendingLogs",
            Self::Transactions { .. } => "newFlashblockTransactions",
        }
    }

    /// The notifications of one event for this subscription.
    fn messages(&self, event: &FlashblockEvent) -> Vec<Value> {
        match self {
            Self::Flashblocks => vec![event.flashblock.clone()],
            Self::Logs(filter) => event
                .logs
                .iter()
                .filter(|log| filter.matches(&log.inner))
                .filter_map(|log| serde_json::to_value(log).ok())
                .collect(),
            Self::Transactions { full: false } => {
                event.transactions.iter().map(|tx| json!(tx.inner.inner.tx_hash())).collect()
            }
            Self::Transactions { full: true } => {
                event.transactions.iter().filter_map(|tx| serde_json::to_value(tx).ok()).collect()
            }
        }
    }
}

fn closing(reason: Value) -> SubscriptionError {
    SubscriptionError::from_json(serde_json::value::to_raw_value(&reason).unwrap_or_else(|_| {
        serde_json::value::to_raw_value("dropped").expect("a string serializes")
    }))
}

/// Registers `eth_subscribe` / `eth_unsubscribe` on the server's module.
pub(super) fn register<C>(module: &mut RpcModule<Context<C>>) -> Result<(), RegisterMethodError>
where
    C: Send + Sync + 'static,
{
    module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending: PendingSubscriptionSink, ctx, _| async move {
            let mut seq = params.sequence();
            let kind = match seq.next::<String>() {
                Ok(name) => match name.as_str() {
                    "newFlashblocks" => Ok(Kind::Flashblocks),
                    "pendingLogs" => seq
                        .optional_next::<Filter>()
                        .map(|f| Kind::Logs(Box::new(f.unwrap_or_default()))),
                    "newFlashblockTransactions" => seq
                        .optional_next::<bool>()
                        .map(|full| Kind::Transactions { full: full.unwrap_or(false) }),
                    other => Err(ErrorObject::owned(
                        -32602,
                        format!(
                            "unknown subscription {other:?} (newFlashblocks, pendingLogs, newFlashblockTransactions)"
                        ),
                        None::<()>,
                    )),
                },
                Err(err) => Err(err),
            };
            let kind = match kind {
                Ok(kind) => kind,
                Err(err) => {
                    pending.reject(err).await;
                    return Ok(());
                }
            };
            // Subscribe before accepting: nothing published after the answer is missed.
            let mut events = ctx.feed.subscribe();
            let sink = pending.accept().await?;
            let gauge = metrics::gauge!("flashblocks_subscribers", "kind" => kind.label());
            gauge.increment(1.0);
            let result = 'events: loop {
                let event = tokio::select! {
                    () = sink.closed() => break Ok(()),
                    event = events.recv() => event,
                };
                match event {
                    Ok(event) => {
                        for message in kind.messages(&event) {
                            let message: SubscriptionMessage =
                                serde_json::value::to_raw_value(&message)?.into();
                            match sink.send_timeout(message, SEND_TIMEOUT).await {
                                Ok(()) => {}
                                Err(SendTimeoutError::Closed(_)) => break 'events Ok(()),
                                Err(SendTimeoutError::Timeout(_)) => {
                                    break 'events Err(closing(json!({"reason": "slow"})));
                                }
                            }
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        break Err(closing(json!({"reason": "lagged", "missed": missed})));
                    }
                    Err(RecvError::Closed) => break Ok(()),
                }
                if sink.is_closed() {
                    break Ok(());
                }
            };
            gauge.decrement(1.0);
            result
        },
    )?;
    Ok(())
}
