//! [`ExecutedMetadata`]: what executing a flashblock yields (spec page, "Execution").
//!
//! Deployed streams often carry no state. An executor (the `flashblocks-execute` crate)
//! derives it by running the flashblock's new transactions on the state the previous
//! flashblock left; its result is plain data, defined here so that every stage above the
//! types can read it without compiling an EVM.

use crate::{AccountMetadata, FlashblockMetadata, JsonMetadata, TransactionMetadata};
use alloy_consensus::TxReceipt;
use alloy_primitives::{Address, Bloom, B256, U256};
use op_alloy_consensus::OpReceipt;
use op_alloy_rpc_types::L1BlockInfo;
use std::collections::BTreeMap;

/// One transaction's full OP receipt, as execution produced it.
///
/// The consensus receipt (status, cumulative gas, logs, and for deposits the deposit
/// nonce and receipt version) is op-alloy's [`OpReceipt`], exactly what goes into the
/// receipts trie; the rest is what an RPC receipt adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutedReceipt {
    /// The transaction's hash (`keccak256` of its EIP-2718 encoding).
    pub transaction_hash: B256,
    /// The consensus receipt: status, cumulative gas over the block, logs, deposit
    /// nonce and receipt version.
    pub receipt: OpReceipt,
    /// The gas this transaction used.
    pub gas_used: u64,
    /// The address of the contract the transaction created, if any.
    pub contract_address: Option<Address>,
    /// The OP fee fields of the RPC receipt (`l1Fee`, `l1GasPrice`, `l1GasUsed`, the
    /// Ecotone scalars and blob base fee, Isthmus' operator fee scalar and constant,
    /// Jovian's `daFootprintGasScalar`), each present exactly when op-reth serves it:
    /// the L1 fields on every receipt of a block (a deposit's `l1Fee` is zero),
    /// `l1FeeScalar` only before Ecotone, the operator fee fields only when one of them
    /// is not zero, `daFootprintGasScalar` from Jovian.
    pub l1_block_info: L1BlockInfo,
    /// The receipt's `blobGasUsed`: from Jovian, the transaction's DA footprint (its
    /// estimated compressed size times `daFootprintGasScalar`), `None` before.
    pub blob_gas_used: Option<u64>,
    /// From Lagoon, the SDM gas refund the block's post-exec transaction gave this
    /// transaction (the RPC receipt's `opGasRefund`); `gas_used` and the cumulative gas
    /// are then the canonical gas (the EVM's gas minus the refund).
    pub op_gas_refund: Option<u64>,
}

impl ExecutedReceipt {
    /// Whether the transaction succeeded (EIP-658 status 1).
    pub fn status(&self) -> bool {
        self.receipt.status()
    }

    /// The cumulative gas used by the block up to and including this transaction.
    pub fn cumulative_gas_used(&self) -> u64 {
        self.receipt.cumulative_gas_used()
    }

    /// The bloom of this receipt's logs.
    pub fn bloom(&self) -> Bloom {
        self.receipt.bloom()
    }

    /// The V1 [`TransactionMetadata`] this receipt implies.
    pub fn to_transaction_metadata(&self) -> TransactionMetadata {
        TransactionMetadata {
            status: u8::from(self.status()),
            gas_used: self.gas_used,
            contract_address: self.contract_address,
        }
    }
}

/// What executing one flashblock yields: the post-state of every account it changed
/// (V1 [`AccountMetadata`]) and one full receipt per transaction, in order.
///
/// `accounts` are sorted by address, unique, and hold only accounts whose balance,
/// nonce, code or storage the flashblock changed ("touched" means "changed"): `balance`
/// is `Some` when it changed, `nonce` is the post-state nonce, `code` is `Some` when
/// set here, `storage_slots` are the changed slots (keys strictly ascending). An account
/// a transaction merely read or called without effect is not listed.
///
/// ```
/// use flashblocks_types::{AccountMetadata, ExecutedMetadata};
/// use alloy_primitives::{Address, U256};
///
/// let executed = ExecutedMetadata {
///     block_number: 7,
///     accounts: vec![AccountMetadata {
///         address: Address::repeat_byte(1),
///         balance: Some(U256::from(5)),
///         nonce: 1,
///         ..Default::default()
///     }],
///     receipts: vec![],
/// };
/// // The same facts in the two wire shapes.
/// assert_eq!(executed.to_v1().accounts, executed.accounts);
/// let json = executed.to_json();
/// assert_eq!(json.new_account_balances.unwrap()[&Address::repeat_byte(1)], U256::from(5));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutedMetadata {
    /// The number of the block the flashblock belongs to.
    pub block_number: u64,
    /// The post-state of every account the flashblock changed, sorted by address.
    pub accounts: Vec<AccountMetadata>,
    /// One receipt per transaction of `diff.transactions`, in order.
    pub receipts: Vec<ExecutedReceipt>,
}

impl ExecutedMetadata {
    /// The changed account at `address`, if any (binary search: `accounts` is sorted).
    pub fn account(&self, address: &Address) -> Option<&AccountMetadata> {
        self.accounts
            .binary_search_by(|a| a.address.cmp(address))
            .ok()
            .and_then(|i| self.accounts.get(i))
    }

    /// The cumulative gas of the block after this flashblock's last transaction, `None`
    /// when it has none.
    pub fn cumulative_gas_used(&self) -> Option<u64> {
        self.receipts.last().map(ExecutedReceipt::cumulative_gas_used)
    }

    /// The OR of this flashblock's receipts' blooms.
    pub fn logs_bloom(&self) -> Bloom {
        let mut bloom = Bloom::ZERO;
        for r in &self.receipts {
            bloom |= r.bloom();
        }
        bloom
    }

    /// The V1 metadata with the same facts: the accounts, and each receipt's
    /// [`TransactionMetadata`].
    pub fn to_v1(&self) -> FlashblockMetadata {
        FlashblockMetadata {
            accounts: self.accounts.clone(),
            transactions: self
                .receipts
                .iter()
                .map(ExecutedReceipt::to_transaction_metadata)
                .collect(),
        }
    }

    /// The deployed JSON metadata with the same facts it can hold: the changed balances
    /// (`new_account_balances`) and the consensus receipts by transaction hash. Nonces,
    /// code, storage, gas used per transaction and L1 fee fields have no place there.
    pub fn to_json(&self) -> JsonMetadata {
        let balances: BTreeMap<Address, U256> =
            self.accounts.iter().filter_map(|a| a.balance.map(|b| (a.address, b))).collect();
        let receipts =
            self.receipts.iter().map(|r| (r.transaction_hash, r.receipt.clone())).collect();
        JsonMetadata {
            block_number: Some(self.block_number),
            new_account_balances: Some(balances),
            receipts: Some(receipts),
            ..JsonMetadata::default()
        }
    }
}
