//! [`SealedBlock`]: a sealed (canonical) block of the sequencer's chain and the JSON-RPC
//! shapes of its block, transactions, receipts and logs.

use alloy_consensus::{
    transaction::SignerRecoverable, Eip658Value, Header, Receipt, ReceiptWithBloom,
    Transaction as _, TxReceipt as _,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{logs_bloom, Address, Bytes, B256, U256};
use flashblocks_types::{ExecutedReceipt, ExecutionPayloadStaticV1};
use op_alloy_consensus::{OpDepositReceipt, OpReceipt, OpTxEnvelope};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};

/// A sealed (canonical) block: its header, transactions, receipts and the state after it.
#[derive(Debug)]
pub struct SealedBlock {
    /// Its hash (the header's).
    pub hash: B256,
    /// Its header.
    pub header: Header,
    /// Its transactions: hash and EIP-2718 bytes.
    pub transactions: Vec<(B256, Bytes)>,
    /// One receipt per transaction.
    pub receipts: Vec<ExecutedReceipt>,
    /// The block's environment (its header's fields as the flashblock's `base`).
    pub base: ExecutionPayloadStaticV1,
    /// The accounts the block changed, ascending.
    pub changed: Vec<Address>,
}

impl SealedBlock {
    /// Its number.
    pub const fn number(&self) -> u64 {
        self.header.number
    }

    /// The block as `eth_getBlockByNumber` returns it (transactions as hashes, or in
    /// full with their recovered senders).
    pub fn rpc_block(&self, full: bool) -> alloy_rpc_types_eth::Block<Transaction> {
        use alloy_rpc_types_eth::BlockTransactions;
        let transactions = if full {
            BlockTransactions::Full(
                (0..self.transactions.len()).filter_map(|i| self.rpc_transaction(i)).collect(),
            )
        } else {
            BlockTransactions::Hashes(self.transactions.iter().map(|(hash, _)| *hash).collect())
        };
        alloy_rpc_types_eth::Block {
            header: alloy_rpc_types_eth::Header {
                hash: self.hash,
                inner: self.header.clone(),
                total_difficulty: Some(U256::ZERO),
                size: None,
            },
            uncles: Vec::new(),
            transactions,
            withdrawals: Some(Default::default()),
        }
    }

    /// Transaction `index` as `eth_getTransactionByHash` returns it.
    pub fn rpc_transaction(&self, index: usize) -> Option<Transaction> {
        use alloy_consensus::transaction::TransactionInfo;
        use op_alloy_consensus::transaction::{OpDepositInfo, OpTransactionInfo};
        let (hash, raw) = self.transactions.get(index)?;
        let envelope = OpTxEnvelope::decode_2718(&mut raw.as_ref()).ok()?;
        let signer = match &envelope {
            OpTxEnvelope::Deposit(d) => d.from,
            // The post-exec transaction is from the zero address (post-exec.md).
            OpTxEnvelope::PostExec(_) => Address::ZERO,
            other => other.recover_signer().ok()?,
        };
        let receipt = self.receipts.get(index)?;
        let deposit = match &receipt.receipt {
            OpReceipt::Deposit(d) => OpDepositInfo {
                deposit_nonce: d.deposit_nonce,
                deposit_receipt_version: d.deposit_receipt_version,
            },
            _ => OpDepositInfo::default(),
        };
        let info = TransactionInfo {
            hash: Some(*hash),
            index: Some(index as u64),
            block_hash: Some(self.hash),
            block_number: Some(self.header.number),
            base_fee: self.header.base_fee_per_gas,
            block_timestamp: Some(self.header.timestamp),
        };
        let recovered = alloy_consensus::transaction::Recovered::new_unchecked(envelope, signer);
        Some(Transaction::from_transaction(recovered, OpTransactionInfo::new(info, deposit)))
    }

    /// The receipt of transaction `index` as `eth_getTransactionReceipt` returns it
    /// (with the L1 fee fields execution computed).
    pub fn rpc_receipt(&self, index: usize) -> Option<OpTransactionReceipt> {
        let (hash, raw) = self.transactions.get(index)?;
        let executed = self.receipts.get(index)?;
        let envelope = OpTxEnvelope::decode_2718(&mut raw.as_ref()).ok()?;
        let from = match &envelope {
            OpTxEnvelope::Deposit(d) => d.from,
            OpTxEnvelope::PostExec(_) => Address::ZERO,
            other => other.recover_signer().ok()?,
        };
        let first_log_index: usize =
            self.receipts.iter().take(index).map(|r| r.receipt.logs().len()).sum();
        let logs = self.rpc_logs_of(index, *hash, executed, first_log_index);
        let bloom = logs_bloom(logs.iter().map(|l| &l.inner));
        let receipt = Receipt {
            status: Eip658Value::Eip658(executed.status()),
            cumulative_gas_used: executed.cumulative_gas_used(),
            logs,
        };
        let inner = match &executed.receipt {
            OpReceipt::Legacy(_) => OpReceipt::Legacy(receipt),
            OpReceipt::Eip2930(_) => OpReceipt::Eip2930(receipt),
            OpReceipt::Eip1559(_) => OpReceipt::Eip1559(receipt),
            OpReceipt::Eip7702(_) => OpReceipt::Eip7702(receipt),
            OpReceipt::PostExec(_) => OpReceipt::PostExec(receipt),
            OpReceipt::Deposit(d) => OpReceipt::Deposit(OpDepositReceipt {
                inner: receipt,
                deposit_nonce: d.deposit_nonce,
                deposit_receipt_version: d.deposit_receipt_version,
            }),
        };
        let effective_gas_price = if envelope.is_deposit() {
            0
        } else {
            envelope.effective_gas_price(self.header.base_fee_per_gas)
        };
        Some(OpTransactionReceipt {
            inner: alloy_rpc_types_eth::TransactionReceipt {
                inner: ReceiptWithBloom { receipt: inner, logs_bloom: bloom },
                transaction_hash: *hash,
                transaction_index: Some(index as u64),
                block_hash: Some(self.hash),
                block_number: Some(self.header.number),
                gas_used: executed.gas_used,
                effective_gas_price,
                blob_gas_used: executed.blob_gas_used,
                blob_gas_price: None,
                from,
                to: envelope.to(),
                contract_address: executed.contract_address,
            },
            l1_block_info: executed.l1_block_info,
            op_gas_refund: executed.op_gas_refund,
        })
    }

    /// Transaction `index`'s logs as JSON-RPC renders them, its first log being the
    /// block's `first_log_index`-th.
    fn rpc_logs_of(
        &self,
        index: usize,
        hash: B256,
        executed: &ExecutedReceipt,
        first_log_index: usize,
    ) -> Vec<alloy_rpc_types_eth::Log> {
        executed
            .receipt
            .logs()
            .iter()
            .enumerate()
            .map(|(i, log)| alloy_rpc_types_eth::Log {
                inner: log.clone(),
                block_hash: Some(self.hash),
                block_number: Some(self.header.number),
                block_timestamp: Some(self.header.timestamp),
                transaction_hash: Some(hash),
                transaction_index: Some(index as u64),
                log_index: Some((first_log_index + i) as u64),
                removed: false,
            })
            .collect()
    }

    /// Every log of the block, in order, as `eth_getLogs` renders them.
    pub fn rpc_logs(&self) -> Vec<alloy_rpc_types_eth::Log> {
        let mut logs = Vec::new();
        for (index, ((hash, _), executed)) in
            self.transactions.iter().zip(&self.receipts).enumerate()
        {
            let first = logs.len();
            logs.extend(self.rpc_logs_of(index, *hash, executed, first));
        }
        logs
    }
}
