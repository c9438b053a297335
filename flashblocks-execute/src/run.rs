//! Running one flashblock's transactions through alloy-op-evm's block executor.

use crate::{
    fees::receipt_fee_fields,
    settle::{operator_fee_charge, Settlement},
    state::{BlockView, LayerState, PendingDb, Reads},
    ChainConfig, ExecuteError,
};
use alloy_consensus::Transaction as _;
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
    PreparedTransactions, StorageSlot, TransactionDefect, PARALLEL_FROM,
};
use flashblocks_validate::{
    ExecutedFact, ExecutionMismatch, FactSubject, FactValue, TransactionRejection,
};
use op_alloy_consensus::{OpReceipt, PostExecPayload};
use op_revm::L1BlockInfo;
use rayon::prelude::*;
use revm::{
    context::Block,
    primitives::KECCAK_EMPTY,
    state::{Account, AccountInfo, EvmState},
    Database, DatabaseRef,
};

/// The block's cumulative results after a flashblock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Cumulative gas used (canonical: after SDM refunds).
    pub(crate) gas_used: u64,
    /// Cumulative gas the EVM used, before SDM refunds: what the block gas limit bounds
    /// (as the optimism monorepo's executor admits transactions).
    pub(crate) evm_gas_used: u64,
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
    /// The first refund that could not be settled (above the EVM gas, of a deposit, or
    /// a debit above a balance): the flashblock's execution differs from its claims.
    pub(crate) settlement_mismatch: Option<ExecutionMismatch>,
    /// State reads answered by what the executor holds.
    pub(crate) hits: u64,
    /// Keys read from the caller's state (prefetched ones included).
    pub(crate) misses: u64,
}

impl RunOutput {
    /// The executed metadata: the accounts whose state changed (compared with `below`,
    /// the state before the flashblock) and the receipts.
    pub(crate) fn metadata<S>(&self, block_number: u64, below: BlockView<'_, S>) -> ExecutedMetadata
    where
        S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
    {
        let mut accounts = Vec::with_capacity(self.scratch.accounts.len());
        let reads = &self.scratch.reads;
        for (address, account) in &self.scratch.accounts {
            // What the flashblock read from the caller's state is the state before it.
            let before = match reads.accounts.get(address) {
                Some(info) => info.clone(),
                None => below.basic_ref(*address).ok().flatten(),
            };
            if let Some(meta) = changed_account(*address, before.as_ref(), account, below, reads) {
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
    reads: &Reads,
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
        .filter(|(key, value)| {
            let before = match reads.slots.get(&(address, **key)) {
                Some(before) => Some(*before),
                None => below.storage_ref(address, **key).ok(),
            };
            before != Some(**value)
        })
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
/// at a block's start (`starts_block`) the pre-execution system calls run first. Each
/// transaction `post_exec` (the block's latest post-exec payload) names with a refund is
/// settled as part of its own state change (Sequencer-Defined Metering, [`Settlement`]).
#[allow(clippy::too_many_arguments)] // the flashblock's parts and the block's running state
pub(crate) fn run_flashblock<S>(
    config: &ChainConfig,
    base: &ExecutionPayloadStaticV1,
    db: PendingDb<'_, S>,
    totals: Totals,
    starts_block: bool,
    transactions: &[Bytes],
    prepared: &PreparedTransactions,
    post_exec: Option<&PostExecPayload>,
) -> Result<RunOutput, ExecuteError>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    let env = crate::evm_env(config, base);
    let spec = env.cfg_env.spec;
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
    let refunds = Refunds::of(post_exec, totals.receipt_count, transactions.len());
    let mut evm_gas_used = totals.evm_gas_used;
    let mut l1_info: Option<L1BlockInfo> = None;
    let mut settlement_mismatch = None;
    for (index, (raw, prepared)) in transactions.iter().zip(prepared).enumerate() {
        let hash = prepared.hash();
        let rejected = |rejection| ExecuteError::TransactionRejected { index, hash, rejection };
        // Decoded and recovered once, when the flashblock was validated.
        let recovered = prepared.decoded().map_err(|defect| rejected(rejection_of(defect)))?;
        // The post-exec transaction is never executed (the rules refuse it here).
        if recovered.inner().is_post_exec() {
            return Err(rejected(TransactionRejection::Invalid));
        }
        let is_deposit = recovered.inner().is_deposit();
        let gas_before = executor.gas_used;
        // The block gas limit bounds the gas before refunds: the admission check reads
        // the executor's gas used, the EVM's total for it, the canonical one after.
        executor.gas_used = evm_gas_used.min(base.gas_limit);
        let executed = executor
            .execute_transaction_without_commit(WithEncoded::new(raw.clone(), &**recovered));
        executor.gas_used = gas_before;
        let mut output = executed.map_err(|e| match e {
            BlockExecutionError::Validation(_) => rejected(TransactionRejection::Invalid),
            other => internal(other),
        })?;
        evm_gas_used = evm_gas_used.saturating_add(output.inner.result.result.tx_gas_used());
        let contract_address = output.inner.result.result.created_address();
        let block_index = totals.receipt_count.saturating_add(index as u64);
        let mut op_gas_refund = None;
        if let Some(refund) = refunds.get(block_index) {
            let subject = FactSubject::Transaction { index, hash };
            let tx_evm_gas = output.inner.result.result.tx_gas_used();
            let info = match &mut l1_info {
                Some(info) => info,
                None => l1_info.insert(
                    L1BlockInfo::try_fetch(
                        executor.evm_mut().db_mut(),
                        U256::from(base.block_number),
                        spec,
                    )
                    .map_err(|e| ExecuteError::State(Box::new(e)))?,
                ),
            };
            let base_fee = executor.evm().block().basefee();
            let price = recovered.inner().effective_gas_price(Some(base_fee));
            let settlement = (!is_deposit)
                .then(|| {
                    Settlement::compute(refund, tx_evm_gas, price, base_fee, |gas| {
                        operator_fee_charge(info, raw, spec, gas)
                    })
                })
                .flatten();
            let applied = match settlement {
                None => {
                    Err(refund_mismatch(subject, if is_deposit { 0 } else { tx_evm_gas }, refund))
                }
                Some(settlement) => {
                    let fee_recipient = executor.evm().block().beneficiary();
                    let moves = settlement.moves(*recovered.signer_ref(), fee_recipient);
                    settle_state(executor.evm_mut().db_mut(), &mut output.inner.result.state, moves)
                        .map_err(internal_state)?
                        .map(|()| settlement)
                }
            };
            match applied {
                Ok(settlement) => {
                    canonicalize_gas(&mut output.inner.result.result, settlement.refund);
                    op_gas_refund = Some(settlement.refund);
                }
                Err(mismatch) => {
                    settlement_mismatch.get_or_insert(mismatch);
                }
            }
        }
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
            op_gas_refund,
        });
        deposits.push(is_deposit);
    }
    let totals = Totals {
        gas_used: executor.gas_used,
        evm_gas_used,
        blob_gas_used: executor.da_footprint_used,
        logs_bloom,
        receipt_count: totals.receipt_count.saturating_add(receipts.len() as u64),
    };
    let (mut db, _) = executor.evm.finish();
    if !receipts.is_empty() {
        // The L1 block info as op-revm reads it from the `L1Block` predeploy, after the
        // block's L1-info deposit (which op-revm's own cache does not see for a
        // flashblock of deposits only); only that deposit writes it.
        let info = L1BlockInfo::try_fetch(&mut db, U256::from(base.block_number), spec)
            .map_err(|e| ExecuteError::State(Box::new(e)))?;
        // Each receipt's fields are its own transaction's (a compression each, from
        // Fjord): a large flashblock's on rayon's threads.
        let fill = |((receipt, raw), is_deposit): ((&mut ExecutedReceipt, &Bytes), &bool)| {
            let fees = receipt_fee_fields(&info, raw, *is_deposit, spec);
            receipt.l1_block_info = fees.l1_block_info;
            receipt.blob_gas_used = fees.blob_gas_used;
        };
        if receipts.len() >= PARALLEL_FROM {
            receipts.par_iter_mut().zip(transactions).zip(&deposits).for_each(fill);
        } else {
            receipts.iter_mut().zip(transactions).zip(&deposits).for_each(fill);
        }
    }
    Ok(RunOutput {
        scratch: db.scratch,
        totals,
        receipts,
        encodings,
        settlement_mismatch,
        hits: db.hits,
        misses: db.misses,
    })
}

/// The refunds a post-exec payload gives the transactions at block indices
/// `first..first + len`, sorted by index (entries outside that range were settled, or
/// are refused by the rules).
struct Refunds(Vec<(u64, u64)>);

impl Refunds {
    fn of(post_exec: Option<&PostExecPayload>, first: u64, len: usize) -> Self {
        let end = first.saturating_add(len as u64);
        let mut refunds: Vec<(u64, u64)> = post_exec
            .map(|p| p.gas_refund_entries.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|e| (first..end).contains(&e.index))
            .map(|e| (e.index, e.gas_refund))
            .collect();
        refunds.sort_unstable();
        // An index named twice (the rules refuse it) settles its first entry.
        refunds.dedup_by_key(|(index, _)| *index);
        Self(refunds)
    }

    fn get(&self, index: u64) -> Option<u64> {
        let found = self.0.binary_search_by_key(&index, |(i, _)| *i).ok()?;
        self.0.get(found).map(|(_, refund)| *refund)
    }
}

/// A refund that cannot be settled: above the transaction's EVM gas (`executed`; zero
/// for a deposit, which has no refundable gas).
fn refund_mismatch(subject: FactSubject, executed: u64, refund: u64) -> ExecutionMismatch {
    ExecutionMismatch {
        fact: ExecutedFact::GasRefund,
        subject,
        executed: FactValue::Quantity(U256::from(executed)),
        claimed: FactValue::Quantity(U256::from(refund)),
    }
}

/// Applies a settlement's balance moves to a transaction's state change, before it is
/// committed; `Ok(Err(_))` when a debit is above the balance (nothing applied).
fn settle_state<DB: Database>(
    db: &mut DB,
    state: &mut EvmState,
    moves: [(Address, crate::Move); 4],
) -> Result<Result<(), ExecutionMismatch>, DB::Error> {
    let mut balances: Vec<(Address, U256)> = Vec::with_capacity(moves.len());
    for (address, step) in moves {
        // A zero move touches nothing (no empty account appears).
        if matches!(step, crate::Move::Credit(a) | crate::Move::Debit(a) if a.is_zero()) {
            continue;
        }
        let current = match balances.iter().find(|(a, _)| *a == address) {
            Some((_, balance)) => *balance,
            None => match state.get(&address) {
                Some(account) => account.info.balance,
                None => db.basic(address)?.map(|i| i.balance).unwrap_or_default(),
            },
        };
        let Some(next) = step.apply(current) else {
            let debit = match step {
                crate::Move::Debit(amount) | crate::Move::Credit(amount) => amount,
            };
            return Ok(Err(ExecutionMismatch {
                fact: ExecutedFact::GasRefund,
                subject: FactSubject::Account(address),
                executed: FactValue::Quantity(current),
                claimed: FactValue::Quantity(debit),
            }));
        };
        match balances.iter_mut().find(|(a, _)| *a == address) {
            Some(entry) => entry.1 = next,
            None => balances.push((address, next)),
        }
    }
    for (address, balance) in balances {
        let account = match state.entry(address) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let info = db.basic(address)?.unwrap_or_default();
                entry.insert(Account::from(info))
            }
        };
        account.mark_touch();
        account.info.balance = balance;
    }
    Ok(Ok(()))
}

/// The result's gas lowered by `refund` (the EVM's own refund counter unchanged), so
/// the receipt and the block's cumulative gas carry the canonical gas.
fn canonicalize_gas<H>(result: &mut revm::context::result::ExecutionResult<H>, refund: u64) {
    use revm::context::result::ExecutionResult;
    let (ExecutionResult::Success { gas, .. }
    | ExecutionResult::Revert { gas, .. }
    | ExecutionResult::Halt { gas, .. }) = result;
    *gas = gas
        .with_total_gas_spent(gas.total_gas_spent().saturating_sub(refund))
        .with_floor_gas(gas.floor_gas().saturating_sub(refund));
}

fn internal_state<E: std::error::Error + Send + Sync + 'static>(e: E) -> ExecuteError {
    ExecuteError::State(Box::new(e))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Move;
    use revm::database::EmptyDB;

    fn account(balance: u64) -> Account {
        let mut account =
            Account::from(AccountInfo { balance: U256::from(balance), ..Default::default() });
        account.mark_touch();
        account
    }

    #[test]
    fn a_debit_above_a_balance_applies_nothing_and_names_the_account() {
        let (sender, recipient) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let mut state = EvmState::default();
        state.insert(sender, account(10));
        state.insert(recipient, account(3));
        let moves = [
            (sender, Move::Credit(U256::from(5))),
            (recipient, Move::Debit(U256::from(4))),
            (Address::repeat_byte(3), Move::Debit(U256::ZERO)),
            (Address::repeat_byte(4), Move::Debit(U256::ZERO)),
        ];
        let mismatch =
            settle_state(&mut EmptyDB::default(), &mut state, moves).unwrap().unwrap_err();
        assert_eq!(mismatch.fact, ExecutedFact::GasRefund);
        assert_eq!(mismatch.subject, FactSubject::Account(recipient));
        assert_eq!(mismatch.executed, FactValue::Quantity(U256::from(3)));
        assert_eq!(mismatch.claimed, FactValue::Quantity(U256::from(4)));
        // Nothing applied, not even the credit before it.
        assert_eq!(state[&sender].info.balance, U256::from(10));
        assert_eq!(state[&recipient].info.balance, U256::from(3));
    }

    #[test]
    fn moves_on_one_account_apply_in_order_and_zero_moves_touch_nothing() {
        // The sender is also the fee recipient: its credit comes before its debit.
        let sender = Address::repeat_byte(1);
        let vault = Address::repeat_byte(9);
        let mut state = EvmState::default();
        state.insert(sender, account(0));
        let moves = [
            (sender, Move::Credit(U256::from(5))),
            (sender, Move::Debit(U256::from(5))),
            (vault, Move::Debit(U256::ZERO)),
            (vault, Move::Debit(U256::ZERO)),
        ];
        settle_state(&mut EmptyDB::default(), &mut state, moves).unwrap().unwrap();
        assert_eq!(state[&sender].info.balance, U256::ZERO);
        assert!(!state.contains_key(&vault), "a zero move touches nothing");
    }
}
