//! Running one flashblock's transactions through alloy-op-evm's block executor.

use crate::{
    fees::receipt_fee_fields,
    state::{BlockView, LayerState, PendingDb},
    ChainConfig, ExecuteError,
};
use alloy_eips::{eip2718::WithEncoded, Encodable2718};
use alloy_evm::{
    block::{BlockExecutionError, BlockExecutor},
    Evm, EvmFactory,
};
use alloy_op_evm::{
    block::OpAlloyReceiptBuilder, OpBlockExecutionCtx, OpBlockExecutor, OpEvmFactory, OpTx,
};
use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use flashblocks_types::{
    AccountMetadata, ExecutedMetadata, ExecutedReceipt, ExecutionPayloadStaticV1,
    PreparedTransactions, StorageSlot, TransactionDefect,
};
use flashblocks_validate::TransactionRejection;
use op_alloy_consensus::OpReceipt;
use op_revm::L1BlockInfo;
use revm::{primitives::KECCAK_EMPTY, state::AccountInfo, DatabaseRef};

/// The block's cumulative results after a flashblock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Cumulative gas used.
    pub(crate) gas_used: u64,
    /// Cumulative data-availability footprint (Jovian).
    pub(crate) blob_gas_used: u64,
    /// OR of the receipts' blooms.
    pub(crate) logs_bloom: Bloom,
    /// Receipts so far.
    pub(crate) receipt_count: u64,
}

/// What running a flashblock's transactions gave.
#[derive(Debug)]
pub(crate) struct RunOutput {
    pub(crate) scratch: LayerState,
    pub(crate) totals: Totals,
    pub(crate) receipts: Vec<ExecutedReceipt>,
    /// The receipts' EIP-2718 encodings with their blooms, as the receipts trie holds
    /// them.
    pub(crate) encodings: Vec<Bytes>,
}

impl RunOutput {
    /// The executed metadata: the accounts whose state changed (compared with `below`,
    /// the state before the flashblock) and the receipts.
    pub(crate) fn metadata<S>(&self, block_number: u64, below: BlockView<'_, S>) -> ExecutedMetadata
    where
        S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
    {
        let mut accounts = Vec::with_capacity(self.scratch.accounts.len());
        for (address, account) in &self.scratch.accounts {
            let before = below.basic_ref(*address).ok().flatten();
            if let Some(meta) = changed_account(*address, before.as_ref(), account, below) {
                accounts.push(meta);
            }
        }
        accounts.sort_unstable_by_key(|a| a.address);
        ExecutedMetadata { block_number, accounts, receipts: self.receipts.clone() }
    }
}

/// The V1 account metadata of `address` if the flashblock changed its balance, nonce,
/// code or storage ("touched" means "changed").
fn changed_account<S>(
    address: Address,
    before: Option<&AccountInfo>,
    after: &crate::state::LayerAccount,
    below: BlockView<'_, S>,
) -> Option<AccountMetadata>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    let (balance_before, nonce_before, code_before) =
        before.map_or((U256::ZERO, 0, KECCAK_EMPTY), |i| (i.balance, i.nonce, i.code_hash));
    let (balance, nonce, code_hash) = after
        .info
        .as_ref()
        .map_or((U256::ZERO, 0, KECCAK_EMPTY), |i| (i.balance, i.nonce, i.code_hash));
    let code = (code_hash != code_before).then(|| {
        after
            .info
            .as_ref()
            .and_then(|i| i.code.as_ref())
            .map(|c| c.original_bytes())
            .unwrap_or_default()
    });
    let mut storage_slots: Vec<StorageSlot> = after
        .storage
        .iter()
        .filter(|(key, value)| below.storage_ref(address, **key).ok() != Some(**value))
        .map(|(key, value)| StorageSlot { key: B256::from(*key), value: B256::from(*value) })
        .collect();
    storage_slots.sort_unstable_by_key(|s| s.key);
    let balance_changed = balance != balance_before;
    if !balance_changed && nonce == nonce_before && code.is_none() && storage_slots.is_empty() {
        return None;
    }
    Some(AccountMetadata {
        address,
        balance: balance_changed.then_some(balance),
        nonce,
        code,
        storage_slots,
    })
}

/// Runs `transactions` on a scratch layer over `below`, continuing the block's `totals`;
/// at a block's start (`starts_block`) the pre-execution system calls run first.
pub(crate) fn run_flashblock<S>(
    config: &ChainConfig,
    base: &ExecutionPayloadStaticV1,
    below: BlockView<'_, S>,
    totals: Totals,
    starts_block: bool,
    transactions: &[Bytes],
    prepared: &PreparedTransactions,
) -> Result<RunOutput, ExecuteError>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    let env = crate::evm_env(config, base);
    let spec = env.cfg_env.spec;
    let db = PendingDb { below, scratch: LayerState::default() };
    let evm = OpEvmFactory::<OpTx>::default().create_evm(db, env);
    let ctx = OpBlockExecutionCtx {
        parent_hash: base.parent_hash,
        parent_beacon_block_root: Some(base.parent_beacon_block_root),
        extra_data: base.extra_data.clone(),
    };
    let mut executor = OpBlockExecutor::new(
        evm,
        ctx,
        config.hardforks().clone(),
        OpAlloyReceiptBuilder::default(),
    );
    executor.gas_used = totals.gas_used;
    executor.da_footprint_used = totals.blob_gas_used;
    if starts_block {
        executor.apply_pre_execution_changes().map_err(internal)?;
    }
    let mut receipts = Vec::with_capacity(transactions.len());
    let mut logs_bloom = totals.logs_bloom;
    let mut encodings = Vec::with_capacity(transactions.len());
    let mut deposits = Vec::with_capacity(transactions.len());
    for (index, (raw, prepared)) in transactions.iter().zip(prepared).enumerate() {
        let hash = prepared.hash();
        let rejected = |rejection| ExecuteError::TransactionRejected { index, hash, rejection };
        // Decoded and recovered once, when the flashblock was validated.
        let recovered = prepared.decoded().map_err(|defect| rejected(rejection_of(defect)))?;
        let is_deposit = recovered.inner().is_deposit();
        let gas_before = executor.gas_used;
        let output = executor
            .execute_transaction_without_commit(WithEncoded::new(raw.clone(), &**recovered))
            .map_err(|e| match e {
                BlockExecutionError::Validation(_) => rejected(TransactionRejection::Invalid),
                other => internal(other),
            })?;
        let contract_address = output.inner.result.result.created_address();
        executor.commit_transaction(output).map_err(internal)?;
        let Some(envelope) = executor.receipts.pop() else {
            return Err(internal(BlockExecutionError::msg("no receipt")));
        };
        logs_bloom |= *envelope.logs_bloom();
        encodings.push(Bytes::from(envelope.encoded_2718()));
        receipts.push(ExecutedReceipt {
            transaction_hash: hash,
            receipt: OpReceipt::from(envelope),
            gas_used: executor.gas_used.saturating_sub(gas_before),
            contract_address,
            // Filled below, from the L1 block info the block's L1-info deposit set.
            l1_block_info: Default::default(),
            blob_gas_used: None,
        });
        deposits.push(is_deposit);
    }
    let totals = Totals {
        gas_used: executor.gas_used,
        blob_gas_used: executor.da_footprint_used,
        logs_bloom,
        receipt_count: totals.receipt_count.saturating_add(receipts.len() as u64),
    };
    let (mut db, _) = executor.evm.finish();
    if !receipts.is_empty() {
        // The L1 block info as op-revm reads it from the `L1Block` predeploy, after the
        // block's L1-info deposit (which op-revm's own cache does not see for a
        // flashblock of deposits only); only that deposit writes it.
        let mut info = L1BlockInfo::try_fetch(&mut db, U256::from(base.block_number), spec)
            .map_err(|e| ExecuteError::State(Box::new(e)))?;
        for ((receipt, raw), is_deposit) in receipts.iter_mut().zip(transactions).zip(deposits) {
            let fees = receipt_fee_fields(&mut info, raw, is_deposit, spec);
            receipt.l1_block_info = fees.l1_block_info;
            receipt.blob_gas_used = fees.blob_gas_used;
        }
    }
    Ok(RunOutput { scratch: db.scratch, totals, receipts, encodings })
}

/// Why a prepared transaction cannot be executed.
const fn rejection_of(defect: TransactionDefect) -> TransactionRejection {
    match defect {
        TransactionDefect::BadSignature => TransactionRejection::BadSignature,
        // `TransactionDefect` is non-exhaustive: anything else leaves no transaction.
        _ => TransactionRejection::Undecodable,
    }
}

/// An executor failure that is not the transaction's fault: the state failed.
fn internal(e: BlockExecutionError) -> ExecuteError {
    ExecuteError::State(Box::new(e))
}
