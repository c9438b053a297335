//! The final answers: the overlay first, then a caller-supplied canonical state.

use crate::{
    rpc::{PendingBlock, SUPPORTED_CAPABILITIES},
    snapshot::{Lookup, NotHere, SnapshotId, View},
};
use alloy_eips::BlockId;
use alloy_primitives::{Address, Bytes, TxHash, B256, U256};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};

/// The canonical state the caller's node holds, at any block it keeps: what the overlay
/// falls back to (always at [`BlockId::latest`]) and what an RPC server asks for every
/// tag other than `pending` (a number, a hash, `latest`, `safe`, ...). Implemented by
/// the caller over its database or an upstream node.
///
/// Required: the four state reads ([`balance`](Self::balance),
/// [`transaction_count`](Self::transaction_count), [`code`](Self::code),
/// [`storage_at`](Self::storage_at)). Provided: [`transaction_by_hash`](Self::transaction_by_hash),
/// [`receipt`](Self::receipt) and [`block`](Self::block) answer `Ok(None)` (nothing
/// canonical is known); override them where the node has the data.
///
/// ```
/// use flashblocks_overlay::CanonicalState;
/// use alloy_eips::BlockId;
/// use alloy_primitives::{Address, Bytes, B256, U256};
///
/// /// An empty chain: every account empty at every block.
/// struct Empty;
///
/// impl CanonicalState for Empty {
///     type Error = std::convert::Infallible;
///     fn balance(&self, _: Address, _: BlockId) -> Result<U256, Self::Error> { Ok(U256::ZERO) }
///     fn transaction_count(&self, _: Address, _: BlockId) -> Result<u64, Self::Error> { Ok(0) }
///     fn code(&self, _: Address, _: BlockId) -> Result<Bytes, Self::Error> { Ok(Bytes::new()) }
///     fn storage_at(&self, _: Address, _: B256, _: BlockId) -> Result<B256, Self::Error> {
///         Ok(B256::ZERO)
///     }
/// }
/// assert_eq!(Empty.block(BlockId::number(7), false), Ok(None));
/// ```
pub trait CanonicalState {
    /// The caller's error (an unknown block, an unreachable database, ...).
    type Error;
    /// The balance at `block`.
    fn balance(&self, address: Address, block: BlockId) -> Result<U256, Self::Error>;
    /// The nonce at `block`.
    fn transaction_count(&self, address: Address, block: BlockId) -> Result<u64, Self::Error>;
    /// The code at `block`.
    fn code(&self, address: Address, block: BlockId) -> Result<Bytes, Self::Error>;
    /// A storage slot at `block`.
    fn storage_at(&self, address: Address, slot: B256, block: BlockId)
        -> Result<B256, Self::Error>;
    /// A canonical transaction. Provided: `Ok(None)`.
    fn transaction_by_hash(&self, hash: TxHash) -> Result<Option<Transaction>, Self::Error> {
        let _ = hash;
        Ok(None)
    }
    /// A canonical receipt. Provided: `Ok(None)`.
    fn receipt(&self, hash: TxHash) -> Result<Option<OpTransactionReceipt>, Self::Error> {
        let _ = hash;
        Ok(None)
    }
    /// The canonical block `block` (at [`BlockId::latest`] for `pending` when nothing is
    /// pending). Provided: `Ok(None)`.
    fn block(&self, block: BlockId, full: bool) -> Result<Option<PendingBlock>, Self::Error> {
        let _ = (block, full);
        Ok(None)
    }
}

/// Where a final answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The overlay, at this snapshot.
    Preconfirmed(SnapshotId),
    /// The canonical state, because the overlay said why not.
    Canonical(NotHere),
}

/// Why [`Pending`] gives no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PendingError<E> {
    /// The pending value is not known: the stream does not carry it and no execution
    /// gave it ([`NotHere::NotCarried`]), so the canonical (`latest`) value would be a
    /// wrong pending answer. An RPC server answers it with an error.
    NotKnown(NotHere),
    /// The canonical state's error.
    Canonical(E),
}

impl<E: core::fmt::Display> core::fmt::Display for PendingError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotKnown(_) => f.write_str(
                "pending state not known: the stream does not carry it and it was not executed",
            ),
            Self::Canonical(err) => err.fmt(f),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for PendingError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::NotKnown(_) => None,
            Self::Canonical(err) => err.source(),
        }
    }
}

/// A final answer and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<T> {
    /// The value.
    pub value: T,
    /// Its source.
    pub source: Source,
}

/// The `pending`-tag methods over a [`View`] and a [`CanonicalState`].
///
/// ```
/// use flashblocks_overlay::{Overlay, Pending, Source};
/// # use flashblocks_overlay::CanonicalState;
/// # use alloy_eips::BlockId;
/// # use alloy_primitives::{Address, Bytes, B256, U256};
/// # struct Latest;
/// # impl CanonicalState for Latest {
/// #     type Error = std::convert::Infallible;
/// #     fn balance(&self, _: Address, block: BlockId) -> Result<U256, Self::Error> {
/// #         assert_eq!(block, BlockId::latest());
/// #         Ok(U256::from(7))
/// #     }
/// #     fn transaction_count(&self, _: Address, _: BlockId) -> Result<u64, Self::Error> { Ok(0) }
/// #     fn code(&self, _: Address, _: BlockId) -> Result<Bytes, Self::Error> { Ok(Bytes::new()) }
/// #     fn storage_at(&self, _: Address, _: B256, _: BlockId) -> Result<B256, Self::Error> { Ok(B256::ZERO) }
/// # }
///
/// let overlay = Overlay::default();
/// let snapshot = overlay.snapshot();
/// let pending = Pending::new(snapshot.at(0), &Latest);
/// // Nothing is pending: the canonical state answers, and says why.
/// let answer = pending.balance(Address::ZERO)?;
/// assert_eq!(answer.value, U256::from(7));
/// assert!(matches!(answer.source, Source::Canonical(_)));
/// assert_eq!(Pending::new(snapshot.at(0), &Latest).supported_capabilities(), ["flashblocksv1"]);
/// # Ok::<(), flashblocks_overlay::PendingError<std::convert::Infallible>>(())
/// ```
#[derive(Debug)]
pub struct Pending<'a, C> {
    view: View<'a>,
    canonical: &'a C,
}

impl<'a, C: CanonicalState> Pending<'a, C> {
    /// The methods over `view`, falling back to `canonical`.
    pub const fn new(view: View<'a>, canonical: &'a C) -> Self {
        Self { view, canonical }
    }

    /// The overlay's value, else the canonical one, except for a value the overlay does
    /// not know ([`NotHere::NotCarried`]): then [`PendingError::NotKnown`], never `latest`.
    fn or_canonical<T>(
        lookup: Lookup<T>,
        canonical: impl FnOnce() -> Result<T, C::Error>,
    ) -> Result<Answer<T>, PendingError<C::Error>> {
        Ok(match lookup {
            Lookup::Found(p) => Answer { value: p.value, source: Source::Preconfirmed(p.snapshot) },
            Lookup::NotHere(reason @ NotHere::NotCarried) => {
                return Err(PendingError::NotKnown(reason))
            }
            Lookup::NotHere(reason) => Answer {
                value: canonical().map_err(PendingError::Canonical)?,
                source: Source::Canonical(reason),
            },
        })
    }

    fn opt_or_canonical<T>(
        lookup: Lookup<T>,
        canonical: impl FnOnce() -> Result<Option<T>, C::Error>,
    ) -> Result<Option<Answer<T>>, PendingError<C::Error>> {
        Ok(match lookup {
            Lookup::Found(p) => {
                Some(Answer { value: p.value, source: Source::Preconfirmed(p.snapshot) })
            }
            Lookup::NotHere(reason) => canonical()
                .map_err(PendingError::Canonical)?
                .map(|value| Answer { value, source: Source::Canonical(reason) }),
        })
    }

    /// `eth_getBalance(address, "pending")`.
    ///
    /// # Errors
    ///
    /// [`PendingError::NotKnown`] when the stream carries no balances for a pending block
    /// and was not executed; the canonical state's, when it is asked.
    pub fn balance(&self, address: Address) -> Result<Answer<U256>, PendingError<C::Error>> {
        Self::or_canonical(self.view.balance(address), || {
            self.canonical.balance(address, BlockId::latest())
        })
    }

    /// `eth_getTransactionCount(address, "pending")`. Where the source carries no nonce
    /// (deployed JSON), the larger of the canonical nonce and
    /// [`View::nonce_from_transactions`] (see there for where that can be low).
    ///
    /// # Errors
    ///
    /// The canonical state's, when it is asked (never [`PendingError::NotKnown`]: the
    /// nonce has the fallback above).
    pub fn transaction_count(
        &self,
        address: Address,
    ) -> Result<Answer<u64>, PendingError<C::Error>> {
        match self.view.transaction_count(address) {
            Lookup::NotHere(NotHere::NotCarried) => {
                let canonical = self
                    .canonical
                    .transaction_count(address, BlockId::latest())
                    .map_err(PendingError::Canonical)?;
                Ok(match self.view.nonce_from_transactions(address) {
                    Lookup::Found(p) if p.value > canonical => {
                        Answer { value: p.value, source: Source::Preconfirmed(p.snapshot) }
                    }
                    _ => {
                        Answer { value: canonical, source: Source::Canonical(NotHere::NotCarried) }
                    }
                })
            }
            lookup => Self::or_canonical(lookup, || {
                self.canonical.transaction_count(address, BlockId::latest())
            }),
        }
    }

    /// `eth_getCode(address, "pending")`.
    ///
    /// # Errors
    ///
    /// [`PendingError::NotKnown`] when the stream carries no code and was not executed;
    /// the canonical state's, when it is asked.
    pub fn code(&self, address: Address) -> Result<Answer<Bytes>, PendingError<C::Error>> {
        Self::or_canonical(self.view.code(address), || {
            self.canonical.code(address, BlockId::latest())
        })
    }

    /// `eth_getStorageAt(address, slot, "pending")`.
    ///
    /// # Errors
    ///
    /// [`PendingError::NotKnown`] when the stream carries no storage and was not
    /// executed; the canonical state's, when it is asked.
    pub fn storage_at(
        &self,
        address: Address,
        slot: B256,
    ) -> Result<Answer<B256>, PendingError<C::Error>> {
        Self::or_canonical(self.view.storage_at(address, slot), || {
            self.canonical.storage_at(address, slot, BlockId::latest())
        })
    }

    /// `eth_getTransactionByHash`: preconfirmed first, then canonical.
    ///
    /// # Errors
    ///
    /// The canonical state's, when it is asked.
    pub fn transaction_by_hash(
        &self,
        hash: TxHash,
    ) -> Result<Option<Answer<Transaction>>, PendingError<C::Error>> {
        Self::opt_or_canonical(self.view.rpc_transaction(hash), || {
            self.canonical.transaction_by_hash(hash)
        })
    }

    /// `eth_getTransactionReceipt`: preconfirmed first, then canonical.
    ///
    /// # Errors
    ///
    /// The canonical state's, when it is asked.
    pub fn receipt(
        &self,
        hash: TxHash,
    ) -> Result<Option<Answer<OpTransactionReceipt>>, PendingError<C::Error>> {
        Self::opt_or_canonical(self.view.rpc_receipt(hash), || self.canonical.receipt(hash))
    }

    /// `eth_getBlockByNumber("pending", full)`: the pending block, else the latest.
    ///
    /// # Errors
    ///
    /// The canonical state's, when it is asked.
    pub fn block(
        &self,
        full: bool,
    ) -> Result<Option<Answer<PendingBlock>>, PendingError<C::Error>> {
        Self::opt_or_canonical(self.view.pending_block(full), || {
            self.canonical.block(BlockId::latest(), full)
        })
    }

    /// `op_supportedCapabilities`.
    pub const fn supported_capabilities(&self) -> [&'static str; 1] {
        SUPPORTED_CAPABILITIES
    }
}
