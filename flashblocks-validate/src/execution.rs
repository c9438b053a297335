//! [`ExecutionMismatch`]: the facts of an `execution_invalid` rejection.
//!
//! An execution check (the `flashblocks-execute` crate) runs each flashblock's new
//! transactions and compares what it computed with what the flashblock claims (spec
//! page, "Execution"). The first fact that differs is reported with both values, typed:
//! which fact, about what (the block, a transaction, an account, a slot), the executed
//! value and the claimed one.

use alloy_primitives::{Address, Bloom, Bytes, B256, U256};

/// Which fact of a flashblock differed from its execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecutedFact {
    /// `diff.gas_used`: the block's cumulative gas so far.
    GasUsed,
    /// `diff.receipts_root`: the receipts trie root over the block so far.
    ReceiptsRoot,
    /// `diff.logs_bloom`: the OR of the receipts' blooms over the block so far.
    LogsBloom,
    /// Jovian's `diff.blob_gas_used`: the block's data-availability footprint so far.
    BlobGasUsed,
    /// `diff.state_root`, through the caller's state-root hook.
    StateRoot,
    /// A transaction could not be executed at all (it does not decode, its signature
    /// does not recover, or the EVM rejects it as invalid).
    Executable,
    /// An account's balance.
    Balance,
    /// An account's nonce.
    Nonce,
    /// An account's code.
    Code,
    /// A storage slot's value.
    StorageSlot,
    /// A receipt's status.
    Status,
    /// A transaction's own gas used.
    TransactionGasUsed,
    /// A receipt's cumulative gas used.
    CumulativeGasUsed,
    /// A receipt's logs.
    Logs,
    /// The address of the contract a transaction created.
    ContractAddress,
    /// A deposit receipt's deposit nonce.
    DepositNonce,
    /// A deposit receipt's receipt version.
    DepositReceiptVersion,
    /// A receipt's transaction type.
    ReceiptType,
    /// An SDM gas refund of the post-exec transaction that cannot be settled: above the
    /// transaction's EVM gas (for a transaction; zero for a deposit), or a debit above
    /// an account's balance (for an account).
    GasRefund,
}

impl core::fmt::Display for ExecutedFact {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::GasUsed => "gas_used",
            Self::ReceiptsRoot => "receipts_root",
            Self::LogsBloom => "logs_bloom",
            Self::BlobGasUsed => "blob_gas_used",
            Self::StateRoot => "state_root",
            Self::Executable => "executability",
            Self::Balance => "balance",
            Self::Nonce => "nonce",
            Self::Code => "code",
            Self::StorageSlot => "storage value",
            Self::Status => "status",
            Self::TransactionGasUsed => "gas used",
            Self::CumulativeGasUsed => "cumulative gas used",
            Self::Logs => "logs",
            Self::ContractAddress => "contract address",
            Self::DepositNonce => "deposit nonce",
            Self::DepositReceiptVersion => "deposit receipt version",
            Self::ReceiptType => "receipt type",
            Self::GasRefund => "gas refund settlement",
        })
    }
}

/// What a mismatched fact is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FactSubject {
    /// The block so far (gas, roots, bloom).
    Block,
    /// A transaction of the flashblock: its position in `diff.transactions` and its hash.
    Transaction {
        /// The position in this flashblock's `diff.transactions`.
        index: usize,
        /// The transaction's hash.
        hash: B256,
    },
    /// An account.
    Account(Address),
    /// A storage slot of an account.
    Slot {
        /// The account.
        address: Address,
        /// The slot key.
        key: B256,
    },
}

impl core::fmt::Display for FactSubject {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Block => f.write_str("the block"),
            Self::Transaction { index, hash } => write!(f, "transaction {index} ({hash})"),
            Self::Account(address) => write!(f, "account {address}"),
            Self::Slot { address, key } => write!(f, "slot {key} of {address}"),
        }
    }
}

/// Why a transaction could not be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionRejection {
    /// The bytes are not an OP EIP-2718 transaction.
    Undecodable,
    /// The signature does not recover a sender.
    BadSignature,
    /// The EVM rejected the transaction as invalid (nonce, balance, gas limit, fee, ...).
    Invalid,
}

impl core::fmt::Display for TransactionRejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Undecodable => "not an OP EIP-2718 transaction",
            Self::BadSignature => "the signature recovers no sender",
            Self::Invalid => "invalid for the EVM",
        })
    }
}

/// One side of a mismatched fact.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactValue {
    /// Absent (no such receipt, no code set here, an account not changed, ...).
    Absent,
    /// A number (gas, balance, nonce, status, version, slot value as a number).
    Quantity(U256),
    /// A 32-byte value (a root, a slot value).
    Hash(B256),
    /// A bloom filter.
    Bloom(Box<Bloom>),
    /// Bytes (code).
    Bytes(Bytes),
    /// An address.
    Address(Address),
    /// A receipt's logs, compared as a whole: their count and the hash of their RLP
    /// encoding.
    Logs {
        /// How many logs.
        count: usize,
        /// `keccak256` of the RLP list of the logs.
        hash: B256,
    },
    /// The transaction could not be executed.
    Rejected(TransactionRejection),
}

impl core::fmt::Display for FactValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Absent => f.write_str("absent"),
            Self::Quantity(q) => write!(f, "{q}"),
            Self::Hash(h) => write!(f, "{h}"),
            Self::Bloom(b) => write!(f, "{b}"),
            Self::Bytes(b) => write!(f, "{} bytes", b.len()),
            Self::Address(a) => write!(f, "{a}"),
            Self::Logs { count, hash } => write!(f, "{count} logs ({hash})"),
            Self::Rejected(r) => write!(f, "rejected ({r})"),
        }
    }
}

/// Rule `execution_invalid`: the first fact of a flashblock whose executed value differs
/// from the claimed one.
///
/// ```
/// use flashblocks_validate::{ExecutedFact, ExecutionMismatch, FactSubject, FactValue};
/// use alloy_primitives::U256;
///
/// let m = ExecutionMismatch {
///     fact: ExecutedFact::GasUsed,
///     subject: FactSubject::Block,
///     executed: FactValue::Quantity(U256::from(21_000)),
///     claimed: FactValue::Quantity(U256::from(21_001)),
/// };
/// assert_eq!(m.to_string(), "gas_used of the block: executed 21000, claimed 21001");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{fact} of {subject}: executed {executed}, claimed {claimed}")]
pub struct ExecutionMismatch {
    /// Which fact differs.
    pub fact: ExecutedFact,
    /// What it is about: the block, a transaction, an account or a slot.
    pub subject: FactSubject,
    /// The value execution gave.
    pub executed: FactValue,
    /// The value the flashblock claims.
    pub claimed: FactValue,
}
