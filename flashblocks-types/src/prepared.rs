//! [`PreparedTransactions`]: a flashblock's transactions decoded, hashed and with their
//! senders recovered, once, for every later stage.
//!
//! Sender recovery is the expensive part of receiving a flashblock (tens of
//! microseconds a transaction). It is done here and nowhere else: the validator
//! prepares a flashblock once the built-in rules have passed (a frame they reject pays
//! nothing), the result is kept in the [`Flashblock`](crate::Flashblock)
//! ([`Flashblock::prepared`](crate::Flashblock::prepared)), and the checks, the
//! assembler, the overlay and the executor read it from there.
//!
//! Recovery uses libsecp256k1 when the `secp256k1` feature is on (the pure-Rust `k256`
//! otherwise), and with the `parallel` feature a flashblock of more than
//! [`PARALLEL_FROM`] transactions is spread over rayon's threads.

use alloy_consensus::transaction::{Recovered, SignerRecoverable};
use alloy_eips::Decodable2718;
use alloy_primitives::{keccak256, Address, Bytes, TxHash};
use op_alloy_consensus::OpTxEnvelope;
use std::sync::Arc;

/// A decoded OP transaction with its recovered sender (a deposit's sender is its
/// `from`).
pub type RecoveredTransaction = Recovered<OpTxEnvelope>;

/// Above this many transactions, a flashblock's senders are recovered on rayon's
/// threads (feature `parallel`); below, on the caller's: a recovery costs tens of
/// microseconds, more than handing work to the pool, but a handful are not worth waking
/// it.
pub const PARALLEL_FROM: usize = 16;

/// Why a transaction has no sender. Not a rejection of its flashblock (the rules never
/// decode transactions, and the shared vectors carry arbitrary bytes): the transaction
/// is kept as bytes and served without a sender, and execution reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionDefect {
    /// The bytes are not an OP EIP-2718 transaction.
    Undecodable,
    /// The signature recovers no sender.
    BadSignature,
}

impl core::fmt::Display for TransactionDefect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Undecodable => "not an OP EIP-2718 transaction",
            Self::BadSignature => "the signature recovers no sender",
        })
    }
}

/// One transaction of a flashblock, prepared: its hash (keccak-256 of its EIP-2718
/// bytes) and, when it decodes and its signature recovers, the decoded transaction with
/// its sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedTransaction {
    hash: TxHash,
    decoded: Result<Arc<RecoveredTransaction>, TransactionDefect>,
}

impl PreparedTransaction {
    /// Hashes and decodes `raw` and recovers its sender: the one place this is done.
    ///
    /// ```
    /// use flashblocks_types::{PreparedTransaction, TransactionDefect};
    ///
    /// let junk = PreparedTransaction::prepare(&[0x02, 0xc0]);
    /// assert_eq!(junk.hash(), alloy_primitives::keccak256([0x02, 0xc0]));
    /// assert_eq!(junk.decoded().err(), Some(TransactionDefect::Undecodable));
    /// assert_eq!(junk.sender(), None);
    /// ```
    pub fn prepare(raw: &[u8]) -> Self {
        let hash = keccak256(raw);
        let decoded = match OpTxEnvelope::decode_2718_exact(raw) {
            Ok(tx) => recover(tx).map(Arc::new),
            Err(_) => Err(TransactionDefect::Undecodable),
        };
        Self { hash, decoded }
    }

    /// The transaction's hash.
    pub const fn hash(&self) -> TxHash {
        self.hash
    }

    /// The decoded transaction with its sender, or why there is none.
    ///
    /// # Errors
    ///
    /// The [`TransactionDefect`] that leaves it without a sender.
    pub fn decoded(&self) -> Result<&Arc<RecoveredTransaction>, TransactionDefect> {
        self.decoded.as_ref().map_err(|e| *e)
    }

    /// Its sender, when it has one.
    pub fn sender(&self) -> Option<Address> {
        self.decoded.as_ref().ok().map(|tx| tx.signer())
    }

    /// Whether it is a deposit (type `0x7E`), when it decodes.
    pub fn is_deposit(&self) -> bool {
        self.decoded.as_ref().is_ok_and(|tx| tx.inner().is_deposit())
    }
}

/// Recovers the sender of a decoded transaction (a deposit's is its `from`, no
/// signature to check).
fn recover(tx: OpTxEnvelope) -> Result<RecoveredTransaction, TransactionDefect> {
    if let OpTxEnvelope::Deposit(deposit) = &tx {
        let from = deposit.from;
        return Ok(Recovered::new_unchecked(tx, from));
    }
    #[cfg(feature = "test-utils")]
    counter::count();
    let signer = tx.recover_signer().map_err(|_| TransactionDefect::BadSignature)?;
    Ok(Recovered::new_unchecked(tx, signer))
}

/// A flashblock's transactions, prepared ([`PreparedTransaction`]), in order.
///
/// ```
/// use alloy_primitives::Bytes;
/// use flashblocks_types::PreparedTransactions;
///
/// let txs = vec![Bytes::from_static(&[0x02, 0xc0]), Bytes::from_static(&[0x7e])];
/// let prepared = PreparedTransactions::prepare(&txs);
/// assert_eq!(prepared.len(), 2);
/// assert!(prepared.iter().all(|tx| tx.sender().is_none()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreparedTransactions(Vec<PreparedTransaction>);

impl PreparedTransactions {
    /// Prepares each of `transactions` ([`PreparedTransaction::prepare`]), on rayon's
    /// threads for more than [`PARALLEL_FROM`] of them with the `parallel` feature.
    pub fn prepare(transactions: &[Bytes]) -> Self {
        #[cfg(feature = "parallel")]
        if transactions.len() > PARALLEL_FROM {
            use rayon::prelude::*;
            return Self(
                transactions.par_iter().map(|raw| PreparedTransaction::prepare(raw)).collect(),
            );
        }
        Self(transactions.iter().map(|raw| PreparedTransaction::prepare(raw)).collect())
    }

    /// The number of transactions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The transaction at `index`.
    pub fn get(&self, index: usize) -> Option<&PreparedTransaction> {
        self.0.get(index)
    }

    /// The transactions in order.
    pub fn iter(&self) -> core::slice::Iter<'_, PreparedTransaction> {
        self.0.iter()
    }

    /// The transactions as a slice.
    pub fn as_slice(&self) -> &[PreparedTransaction] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a PreparedTransactions {
    type Item = &'a PreparedTransaction;
    type IntoIter = core::slice::Iter<'a, PreparedTransaction>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The number of signature recoveries [`PreparedTransaction::prepare`] has done in this
/// process, on every thread (feature `test-utils`): tests hold it to one per signed
/// transaction received.
#[cfg(feature = "test-utils")]
pub fn recoveries() -> u64 {
    counter::RECOVERIES.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(feature = "test-utils")]
mod counter {
    use std::sync::atomic::{AtomicU64, Ordering};

    pub(super) static RECOVERIES: AtomicU64 = AtomicU64::new(0);

    pub(super) fn count() {
        RECOVERIES.fetch_add(1, Ordering::Relaxed);
    }
}
