//! The `pending` answers' fallbacks to the canonical state, made asynchronously when the
//! canonical state is an upstream node.
//!
//! The overlay's [`Pending`] answers synchronously over a [`CanonicalState`]. Over an
//! upstream, a read must not wait on a runtime worker, so [`answer`] runs the answer
//! over a [`Fallback`] that knows the reads already fetched and defers any other
//! ([`FallbackError::Deferred`]); it then fetches that read with an `await` and runs
//! the answer again, on the same snapshot at the same clock, until it completes (an
//! answer reads at most two canonical values; [`MAX_ROUNDS`] bounds the loop). Without
//! an upstream the caller's [`CanonicalState`] (in memory, or a node's database)
//! answers directly.

use super::{pending_error, Context};
use crate::{pipeline::now_ms, upstream::Upstream};
use alloy_eips::BlockId;
use alloy_primitives::{Address, Bytes, TxHash, B256, U256, U64};
use flashblocks_overlay::{CanonicalState, Pending, PendingBlock, PendingError};
use jsonrpsee::types::ErrorObjectOwned;
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use std::fmt;

/// The most canonical reads one answer fetches.
pub(super) const MAX_ROUNDS: usize = 4;

/// A read of the canonical state a `pending` answer falls back to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Read {
    Balance(Address, BlockId),
    TransactionCount(Address, BlockId),
    Code(Address, BlockId),
    Storage(Address, B256, BlockId),
    Transaction(TxHash),
    Receipt(TxHash),
    Block(BlockId, bool),
}

/// A fetched read's value.
#[derive(Debug)]
pub(super) enum Fetched {
    Balance(U256),
    TransactionCount(u64),
    Code(Bytes),
    Storage(B256),
    Transaction(Box<Option<Transaction>>),
    Receipt(Box<Option<OpTransactionReceipt>>),
    Block(Box<Option<PendingBlock>>),
}

/// Why a fallback read has no value yet.
#[derive(Debug)]
pub(super) enum FallbackError<E> {
    /// The read is to be fetched from the upstream first.
    Deferred(Read),
    /// The caller's canonical state failed.
    Canonical(E),
}

impl<E: fmt::Display> fmt::Display for FallbackError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deferred(read) => write!(f, "canonical read {read:?} not fetched"),
            Self::Canonical(err) => err.fmt(f),
        }
    }
}

/// The canonical state one answer sees: the caller's (no upstream), or the reads
/// fetched from the upstream so far.
pub(super) struct Fallback<'a, C> {
    canonical: &'a C,
    upstream: bool,
    fetched: &'a [(Read, Fetched)],
}

impl<C: CanonicalState> Fallback<'_, C> {
    fn read<T>(
        &self,
        read: Read,
        pick: impl FnOnce(&Fetched) -> Option<T>,
        direct: impl FnOnce(&C) -> Result<T, C::Error>,
    ) -> Result<T, FallbackError<C::Error>> {
        if !self.upstream {
            return direct(self.canonical).map_err(FallbackError::Canonical);
        }
        self.fetched
            .iter()
            .find(|(r, _)| *r == read)
            .and_then(|(_, value)| pick(value))
            .ok_or(FallbackError::Deferred(read))
    }
}

impl<C: CanonicalState> CanonicalState for Fallback<'_, C> {
    type Error = FallbackError<C::Error>;
    fn balance(&self, address: Address, block: BlockId) -> Result<U256, Self::Error> {
        self.read(
            Read::Balance(address, block),
            |f| match f {
                Fetched::Balance(v) => Some(*v),
                _ => None,
            },
            |c| c.balance(address, block),
        )
    }
    fn transaction_count(&self, address: Address, block: BlockId) -> Result<u64, Self::Error> {
        self.read(
            Read::TransactionCount(address, block),
            |f| match f {
                Fetched::TransactionCount(v) => Some(*v),
                _ => None,
            },
            |c| c.transaction_count(address, block),
        )
    }
    fn code(&self, address: Address, block: BlockId) -> Result<Bytes, Self::Error> {
        self.read(
            Read::Code(address, block),
            |f| match f {
                Fetched::Code(v) => Some(v.clone()),
                _ => None,
            },
            |c| c.code(address, block),
        )
    }
    fn storage_at(
        &self,
        address: Address,
        slot: B256,
        block: BlockId,
    ) -> Result<B256, Self::Error> {
        self.read(
            Read::Storage(address, slot, block),
            |f| match f {
                Fetched::Storage(v) => Some(*v),
                _ => None,
            },
            |c| c.storage_at(address, slot, block),
        )
    }
    fn transaction_by_hash(&self, hash: TxHash) -> Result<Option<Transaction>, Self::Error> {
        self.read(
            Read::Transaction(hash),
            |f| match f {
                Fetched::Transaction(v) => Some((**v).clone()),
                _ => None,
            },
            |c| c.transaction_by_hash(hash),
        )
    }
    fn receipt(&self, hash: TxHash) -> Result<Option<OpTransactionReceipt>, Self::Error> {
        self.read(
            Read::Receipt(hash),
            |f| match f {
                Fetched::Receipt(v) => Some((**v).clone()),
                _ => None,
            },
            |c| c.receipt(hash),
        )
    }
    fn block(&self, block: BlockId, full: bool) -> Result<Option<PendingBlock>, Self::Error> {
        self.read(
            Read::Block(block, full),
            |f| match f {
                Fetched::Block(v) => Some((**v).clone()),
                _ => None,
            },
            |c| c.block(block, full),
        )
    }
}

/// Fetches `read` from the upstream.
async fn fetch(upstream: &Upstream, read: &Read) -> Result<Fetched, ErrorObjectOwned> {
    Ok(match *read {
        Read::Balance(address, block) => {
            Fetched::Balance(upstream.request("eth_getBalance", (address, block)).await?)
        }
        Read::TransactionCount(address, block) => {
            let count: U64 = upstream.request("eth_getTransactionCount", (address, block)).await?;
            Fetched::TransactionCount(count.to())
        }
        Read::Code(address, block) => {
            Fetched::Code(upstream.request("eth_getCode", (address, block)).await?)
        }
        Read::Storage(address, slot, block) => {
            let slot = U256::from_be_bytes(slot.0);
            Fetched::Storage(upstream.request("eth_getStorageAt", (address, slot, block)).await?)
        }
        Read::Transaction(hash) => Fetched::Transaction(Box::new(
            upstream.request("eth_getTransactionByHash", (hash,)).await?,
        )),
        Read::Receipt(hash) => Fetched::Receipt(Box::new(
            upstream.request("eth_getTransactionReceipt", (hash,)).await?,
        )),
        Read::Block(BlockId::Hash(hash), full) => Fetched::Block(Box::new(
            upstream.request("eth_getBlockByHash", (hash.block_hash, full)).await?,
        )),
        Read::Block(BlockId::Number(number), full) => Fetched::Block(Box::new(
            upstream.request("eth_getBlockByNumber", (number, full)).await?,
        )),
    })
}

/// A `pending` answer: `answer` over the overlay's newest snapshot, falling back to the
/// canonical state (fetched asynchronously from the upstream when there is one).
///
/// # Errors
///
/// As [`pending_error`]: a fact not known is -32000, the canonical state's or the
/// upstream's failure as it came.
pub(super) async fn answer<C, T>(
    ctx: &Context<C>,
    answer: impl Fn(&Pending<'_, Fallback<'_, C>>) -> Result<T, PendingError<FallbackError<C::Error>>>,
) -> Result<T, ErrorObjectOwned>
where
    C: CanonicalState,
    C::Error: fmt::Display,
{
    let snapshot = ctx.reader.snapshot();
    let now = now_ms();
    let mut fetched = Vec::new();
    loop {
        let outcome = {
            let fallback = Fallback {
                canonical: &ctx.canonical,
                upstream: ctx.upstream.is_some(),
                fetched: &fetched,
            };
            answer(&Pending::new(snapshot.at(now), &fallback))
        };
        let (read, upstream) = match (outcome, &ctx.upstream) {
            (Err(PendingError::Canonical(FallbackError::Deferred(read))), Some(upstream))
                if fetched.len() < MAX_ROUNDS =>
            {
                (read, upstream)
            }
            (outcome, _) => return outcome.map_err(pending_error),
        };
        let value = fetch(upstream, &read).await?;
        fetched.push((read, value));
    }
}
