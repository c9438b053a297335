//! The answers in the shapes a JSON-RPC server returns: alloy's RPC types, op-alloy's
//! where OP fields are needed.

use crate::{
    layer::BlockLayer,
    snapshot::{Lookup, NotHere, PreconfirmedReceipt, PreconfirmedTransaction, View},
};
use alloy_consensus::transaction::Recovered;
use alloy_consensus::{
    proofs::ordered_trie_root_with_encoder, transaction::TransactionInfo, Eip658Value, Receipt,
    ReceiptWithBloom, Transaction as _,
};
use alloy_primitives::Address;
use alloy_primitives::{logs_bloom, Bytes, TxHash, B256, B64, U256};
use alloy_rpc_types_eth::{
    state::{AccountOverride, StateOverride},
    Block, BlockTransactions, Log, TransactionReceipt,
};
use flashblocks_assemble::{rebuild_header, results_of};
use flashblocks_types::{PostExecTx, RecoveredTransaction};
use op_alloy_consensus::transaction::OpDepositInfo;
use op_alloy_consensus::{
    transaction::OpTransactionInfo, OpDepositReceipt, OpReceipt, OpTxEnvelope,
};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use std::sync::Arc;

/// What `op_supportedCapabilities` returns.
pub const SUPPORTED_CAPABILITIES: [&str; 1] = ["flashblocksv1"];

/// The pending block as `eth_getBlockByNumber("pending", full)` returns it: alloy's RPC
/// block with a [`PendingHeader`], whose `hash` is null while unknown.
pub type PendingBlock = Block<Transaction, PendingHeader>;

/// A block header as JSON-RPC returns it (alloy's RPC `Header`), except that `hash` is
/// `null` while the block's hash is unknown: geth answers a pending block so, and a
/// preconfirmed block whose stream's `diff.block_hash` is not the header hash (OP
/// Subblocks, Base) has no hash until it is learned ([spec page](flashblocks_types::spec),
/// "Subblocks and the deployed dialects"). A canonical block's header has its hash.
///
/// ```
/// use flashblocks_overlay::PendingHeader;
///
/// let header = PendingHeader { hash: None, inner: Default::default(), total_difficulty: None, size: None };
/// let json = serde_json::to_value(&header).unwrap();
/// assert!(json["hash"].is_null());
/// assert_eq!(json["number"], "0x0");
/// let back: PendingHeader = serde_json::from_value(json).unwrap();
/// assert_eq!(back, header);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingHeader {
    /// The block's hash; `None` (null) while unknown.
    pub hash: Option<B256>,
    /// The consensus header.
    #[serde(flatten)]
    pub inner: alloy_consensus::Header,
    /// The total difficulty (deprecated; 0 for a preconfirmed block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_difficulty: Option<U256>,
    /// The block's size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<U256>,
}

impl core::ops::Deref for PendingHeader {
    type Target = alloy_consensus::Header;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl From<alloy_rpc_types_eth::Header> for PendingHeader {
    fn from(header: alloy_rpc_types_eth::Header) -> Self {
        Self {
            hash: Some(header.hash),
            inner: header.inner,
            total_difficulty: header.total_difficulty,
            size: header.size,
        }
    }
}

fn rpc_transaction(
    tx: &PreconfirmedTransaction,
    recovered: &RecoveredTransaction,
    deposit: OpDepositInfo,
) -> Transaction {
    let info = TransactionInfo {
        hash: Some(tx.hash),
        index: Some(tx.index),
        block_hash: tx.block_hash,
        block_number: Some(tx.block_number),
        base_fee: Some(saturating_u64(tx.base_fee_per_gas)),
        block_timestamp: Some(tx.timestamp),
    };
    Transaction::from_transaction(recovered.clone(), OpTransactionInfo::new(info, deposit))
}

/// The post-exec transaction as the post-exec page's generic object (op-alloy's RPC
/// form of [`OpTxEnvelope::PostExec`]): type `0x7D`, `from` the zero address, gas 0,
/// value 0, `input` the payload; listed after the block's transactions, provisional
/// until the block seals.
fn post_exec_rpc_transaction(block: &BlockLayer, post: &PostExecTx) -> Transaction {
    let info = TransactionInfo {
        hash: Some(post.hash()),
        index: Some(u64::from(block.tx_count)),
        block_hash: block.block_hash(),
        block_number: Some(block.number),
        base_fee: Some(saturating_u64(block.base.base_fee_per_gas)),
        block_timestamp: Some(block.base.timestamp),
    };
    let envelope = OpTxEnvelope::PostExec(post.tx().clone());
    Transaction::from_transaction(
        Recovered::new_unchecked(envelope, Address::ZERO),
        OpTransactionInfo::new(info, OpDepositInfo::default()),
    )
}

/// The post-exec transaction's receipt in `block` (see [`View::rpc_receipt`]).
fn post_exec_rpc_receipt(block: &BlockLayer, hash: TxHash) -> OpTransactionReceipt {
    let cumulative_gas_used = block.gas_and_receipts_root().map_or(0, |(gas, _)| gas);
    let receipt =
        Receipt { status: Eip658Value::Eip658(true), cumulative_gas_used, logs: Vec::new() };
    OpTransactionReceipt {
        inner: TransactionReceipt {
            inner: ReceiptWithBloom {
                receipt: OpReceipt::PostExec(receipt),
                logs_bloom: alloy_primitives::Bloom::ZERO,
            },
            transaction_hash: hash,
            transaction_index: Some(u64::from(block.tx_count)),
            block_hash: block.block_hash(),
            block_number: Some(block.number),
            gas_used: 0,
            effective_gas_price: 0,
            blob_gas_used: None,
            blob_gas_price: None,
            from: Address::ZERO,
            to: Some(Address::ZERO),
            contract_address: None,
        },
        l1_block_info: Default::default(),
        op_gas_refund: None,
    }
}

fn saturating_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

impl View<'_> {
    fn decoded(&self, hash: TxHash) -> Result<Arc<RecoveredTransaction>, NotHere> {
        let (_, _, _, entry, _) = self.snapshot.entry(&hash).ok_or(NotHere::Untouched)?;
        entry.decoded().cloned().ok_or(NotHere::Undecodable)
    }

    /// `eth_getTransactionByHash` for a preconfirmed transaction, decoded with its
    /// recovered sender (prepared once, when the flashblock was validated).
    ///
    /// A pending block's latest post-exec transaction (Lagoon) is found too, as the
    /// post-exec page's generic object (`from` the zero address, gas 0, value 0,
    /// `input` the payload), at the index after the block's transactions.
    pub fn rpc_transaction(&self, hash: TxHash) -> Lookup<Transaction> {
        match self.receipt(hash) {
            Lookup::NotHere(NotHere::Untouched) => self.post_exec_transaction(hash),
            Lookup::Found(found) => {
                let deposit = OpDepositInfo {
                    deposit_nonce: found.value.facts.deposit_nonce,
                    deposit_receipt_version: found.value.facts.deposit_receipt_version,
                };
                found_or(self.decoded(hash), found.snapshot, |tx| {
                    rpc_transaction(&found.value.transaction, &tx, deposit)
                })
            }
            Lookup::NotHere(NotHere::NotCarried) => match self.transaction(hash) {
                Lookup::Found(found) => found_or(self.decoded(hash), found.snapshot, |tx| {
                    rpc_transaction(&found.value, &tx, OpDepositInfo::default())
                }),
                Lookup::NotHere(reason) => Lookup::NotHere(reason),
            },
            Lookup::NotHere(reason) => Lookup::NotHere(reason),
        }
    }

    /// The pending block whose latest post-exec transaction has `hash`, as
    /// `eth_getTransactionByHash` answers it; [`NotHere::Untouched`] when none has.
    fn post_exec_transaction(&self, hash: TxHash) -> Lookup<Transaction> {
        let found = self.snapshot.blocks.iter().rev().find_map(|block| {
            block.post_exec.as_ref().filter(|p| p.hash() == hash).map(|p| (block, p))
        });
        Self::answer(self.ready(), || match found {
            Some((block, post)) => Ok(post_exec_rpc_transaction(block, post)),
            None => Err(NotHere::Untouched),
        })
    }

    /// `eth_getTransactionReceipt` for a preconfirmed transaction. Status, gas used and
    /// the contract address come from the metadata, the cumulative gas is the sum over
    /// the block so far, and the logs come from the source's receipts when it carries
    /// them (V1 carries none: the receipt then has no logs). An executed receipt has
    /// the OP fee fields as op-reth serves them (`l1Fee`, `l1GasPrice`, `l1GasUsed`,
    /// the scalars, the operator fee, Jovian's `daFootprintGasScalar` and
    /// `blobGasUsed`); a receipt the stream carried has none (no stream carries them).
    ///
    /// A pending block's latest post-exec transaction (Lagoon; the stream carries no
    /// receipt for it) answers the receipt the sealed block will give it, provisional
    /// until the block seals (post-exec.md, "Receipt"): status 1, no logs, gas used 0,
    /// the cumulative gas of the block so far (`diff.gas_used`, which execution proves
    /// where the node executes).
    pub fn rpc_receipt(&self, hash: TxHash) -> Lookup<OpTransactionReceipt> {
        match self.receipt(hash) {
            Lookup::Found(found) => {
                found_or(self.decoded(hash), found.snapshot, |tx| rpc_receipt(&found.value, &tx))
            }
            Lookup::NotHere(NotHere::Untouched) => self.post_exec_receipt(hash),
            Lookup::NotHere(reason) => Lookup::NotHere(reason),
        }
    }

    /// The receipt of the pending block's latest post-exec transaction `hash`;
    /// [`NotHere::Untouched`] when no block has it.
    fn post_exec_receipt(&self, hash: TxHash) -> Lookup<OpTransactionReceipt> {
        let found =
            self.snapshot.blocks.iter().rev().find_map(|block| {
                block.post_exec.as_ref().filter(|p| p.hash() == hash).map(|_| block)
            });
        Self::answer(self.ready(), || match found {
            Some(block) => Ok(post_exec_rpc_receipt(block, hash)),
            None => Err(NotHere::Untouched),
        })
    }

    /// `eth_getBlockByNumber("pending", full)`: the newest pending block so far, its
    /// `hash` the block's hash when known (the latest flashblock's `diff.block_hash`
    /// where that is the header hash, else null until learned) and its `nonce` the latest
    /// flashblock index (the [spec page](flashblocks_types::spec)'s decisions). With `full`, every transaction is
    /// decoded (prepared once); [`NotHere::Undecodable`] if one does not decode.
    /// The transactions root is computed on the first call for a snapshot's newest
    /// flashblock and cached.
    pub fn pending_block(&self, full: bool) -> Lookup<PendingBlock> {
        match self.snapshot.newest_block() {
            Some(block) => self.rpc_block(block, full),
            None => Lookup::NotHere(self.ready().err().unwrap_or(NotHere::Empty)),
        }
    }

    /// `eth_getBlockByNumber(number, full)` for a preconfirmed block: any block the
    /// overlay holds, the newest (as [`pending_block`](Self::pending_block)) or an
    /// older one that is complete but not yet canonical. [`NotHere::Untouched`] for a
    /// number it does not hold.
    pub fn block_by_number(&self, number: u64, full: bool) -> Lookup<PendingBlock> {
        match self.snapshot.block(number) {
            Some(block) => self.rpc_block(block, full),
            None => Lookup::NotHere(self.ready().err().unwrap_or(NotHere::Untouched)),
        }
    }

    /// `eth_getBlockByHash(hash, full)` for a preconfirmed block whose hash is known (the
    /// `diff.block_hash` of its newest flashblock where that is the header hash, else the
    /// hash learned from the next block): a block whose hash is unknown is found by no
    /// hash, `0x0` included. [`NotHere::Untouched`] for a hash it does not hold.
    pub fn block_by_hash(&self, hash: B256, full: bool) -> Lookup<PendingBlock> {
        match self.snapshot.blocks.iter().find(|b| b.block_hash() == Some(hash)) {
            Some(block) => self.rpc_block(block, full),
            None => Lookup::NotHere(self.ready().err().unwrap_or(NotHere::Untouched)),
        }
    }

    fn rpc_block(&self, block: &BlockLayer, full: bool) -> Lookup<PendingBlock> {
        let snapshot = match self.ready() {
            Ok(id) => id,
            Err(reason) => return Lookup::NotHere(reason),
        };
        let Some(latest) = block.latest() else { return Lookup::NotHere(NotHere::Empty) };
        let diff = latest.flashblock.diff();
        let base = &block.base;
        // Computed once per flashblock, without a lock: readers racing on it both
        // compute it, and the first store wins (the values are equal).
        let transactions_root = match latest.transactions_root.get() {
            Some(root) => *root,
            None => {
                // The sealed block ends with the latest post-exec transaction.
                let post_exec = block.post_exec.as_ref().map(|p| p.raw());
                let raw: Vec<&Bytes> =
                    block.transactions().map(|(raw, _)| raw).chain(post_exec).collect();
                let root =
                    ordered_trie_root_with_encoder(&raw, |tx, buf| buf.extend_from_slice(tx));
                let _ = latest.transactions_root.set(root);
                root
            }
        };
        // The header the assembler rebuilds for the block-hash check, with the spec
        // page's one change for this answer: `nonce` is the latest flashblock index.
        let Ok(mut header) = rebuild_header(
            base,
            &results_of(diff),
            latest.flashblock.blob_gas_used(),
            transactions_root,
        ) else {
            // A base fee over 64 bits: no header can carry it.
            return Lookup::NotHere(NotHere::Undecodable);
        };
        header.nonce = B64::from(latest.flashblock.index());
        let transactions = if full {
            let mut txs = Vec::with_capacity(block.tx_count as usize);
            for (index, (raw, entry)) in block.transactions().enumerate() {
                let Some(recovered) = entry.decoded() else {
                    return Lookup::NotHere(NotHere::Undecodable);
                };
                let tx = PreconfirmedTransaction {
                    hash: entry.hash,
                    raw: raw.clone(),
                    block_number: block.number,
                    block_hash: block.block_hash(),
                    index: index as u64,
                    flashblock_index: 0,
                    timestamp: base.timestamp,
                    base_fee_per_gas: base.base_fee_per_gas,
                };
                let deposit =
                    entry.receipt.as_ref().map_or_else(OpDepositInfo::default, |r| OpDepositInfo {
                        deposit_nonce: r.deposit_nonce,
                        deposit_receipt_version: r.deposit_receipt_version,
                    });
                txs.push(rpc_transaction(&tx, recovered, deposit));
            }
            if let Some(post) = &block.post_exec {
                txs.push(post_exec_rpc_transaction(block, post));
            }
            BlockTransactions::Full(txs)
        } else {
            BlockTransactions::Hashes(block.listed_hashes().collect())
        };
        let header = PendingHeader {
            hash: block.block_hash(),
            inner: header,
            total_difficulty: Some(U256::ZERO),
            size: None,
        };
        Lookup::Found(crate::Preconfirmed {
            value: Block {
                header,
                uncles: Vec::new(),
                transactions,
                withdrawals: Some(Default::default()),
            },
            snapshot,
        })
    }

    /// The preconfirmed state as an alloy [`StateOverride`], for `eth_call` and
    /// `eth_estimateGas` on top of the latest canonical state: every account a pending
    /// block touched, with the balance, nonce and code it set and its changed slots as a
    /// `stateDiff`. Its size is that of the pending state.
    pub fn state_override(&self) -> Lookup<StateOverride> {
        let snapshot = match self.ready() {
            Ok(id) => id,
            Err(reason) => return Lookup::NotHere(reason),
        };
        if let Some(required) = self.snapshot.required_canonical {
            return Lookup::NotHere(NotHere::Incomplete {
                canonical: self.snapshot.canonical.map(|c| c.number),
                required,
            });
        }
        let mut out = StateOverride::default();
        let index = &self.snapshot.index;
        for (address, balance) in &index.balances {
            out.entry(*address).or_insert_with(AccountOverride::default).balance =
                Some(balance.value);
        }
        for (address, nonce) in &index.nonces {
            out.entry(*address).or_insert_with(AccountOverride::default).nonce = Some(nonce.value);
        }
        for (address, code) in &index.codes {
            out.entry(*address).or_insert_with(AccountOverride::default).code =
                Some(code.value.clone());
        }
        // Oldest block first: a newer block's value of a slot replaces an older one's.
        for block in &self.snapshot.blocks {
            for ((address, slot), value) in &block.storage {
                out.entry(*address)
                    .or_default()
                    .state_diff
                    .get_or_insert_with(Default::default)
                    .insert(*slot, *value);
            }
        }
        Lookup::Found(crate::Preconfirmed { value: out, snapshot })
    }
}

fn found_or<T, U>(
    decoded: Result<T, NotHere>,
    snapshot: crate::SnapshotId,
    f: impl FnOnce(T) -> U,
) -> Lookup<U> {
    match decoded {
        Ok(tx) => Lookup::Found(crate::Preconfirmed { value: f(tx), snapshot }),
        Err(reason) => Lookup::NotHere(reason),
    }
}

fn rpc_receipt(found: &PreconfirmedReceipt, tx: &RecoveredTransaction) -> OpTransactionReceipt {
    let meta = &found.transaction;
    let facts = &found.facts;
    let logs: Vec<Log> = facts
        .logs
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: meta.block_hash,
            block_number: Some(meta.block_number),
            block_timestamp: Some(meta.timestamp),
            transaction_hash: Some(meta.hash),
            transaction_index: Some(meta.index),
            log_index: Some(facts.first_log_index + i as u64),
            removed: false,
        })
        .collect();
    let bloom = logs_bloom(logs.iter().map(|l| &l.inner));
    let receipt = Receipt {
        status: Eip658Value::Eip658(facts.success),
        cumulative_gas_used: facts.cumulative_gas_used,
        logs,
    };
    let envelope = tx.inner();
    let inner = match envelope {
        OpTxEnvelope::Legacy(_) => OpReceipt::Legacy(receipt),
        OpTxEnvelope::Eip2930(_) => OpReceipt::Eip2930(receipt),
        OpTxEnvelope::Eip7702(_) => OpReceipt::Eip7702(receipt),
        OpTxEnvelope::PostExec(_) => OpReceipt::PostExec(receipt),
        OpTxEnvelope::Deposit(_) => OpReceipt::Deposit(OpDepositReceipt {
            inner: receipt,
            deposit_nonce: facts.deposit_nonce,
            deposit_receipt_version: facts.deposit_receipt_version,
        }),
        OpTxEnvelope::Eip1559(_) => OpReceipt::Eip1559(receipt),
    };
    let base_fee = saturating_u64(meta.base_fee_per_gas);
    let effective_gas_price =
        if envelope.is_deposit() { 0 } else { envelope.effective_gas_price(Some(base_fee)) };
    OpTransactionReceipt {
        inner: TransactionReceipt {
            inner: ReceiptWithBloom { receipt: inner, logs_bloom: bloom },
            transaction_hash: meta.hash,
            transaction_index: Some(meta.index),
            block_hash: meta.block_hash,
            block_number: Some(meta.block_number),
            gas_used: facts.gas_used,
            effective_gas_price,
            blob_gas_used: found.blob_gas_used,
            blob_gas_price: None,
            from: tx.signer(),
            to: envelope.to(),
            contract_address: facts.contract_address,
        },
        l1_block_info: found.l1_block_info,
        op_gas_refund: found.op_gas_refund,
    }
}
