//! The proof of a flashblock: its claims against its execution (rule
//! `execution_invalid`).

use crate::{
    run::RunOutput,
    state::{BlockView, PostView},
};
use alloy_consensus::TxReceipt;
use alloy_primitives::{keccak256, Address, Bloom, Bytes, Log, B256, U256};
use flashblocks_types::{AccountMetadata, ExecutedReceipt, Flashblock, Metadata};
use flashblocks_validate::{ExecutedFact, ExecutionMismatch, FactSubject, FactValue};
use op_alloy_consensus::OpReceipt;
use revm::{primitives::KECCAK_EMPTY, DatabaseRef};

/// The claims checked, in order: the block's cumulative gas, receipts root, logs bloom
/// and (Jovian) blob gas; then the carried per-transaction facts; then the carried
/// account facts. The first that differs is returned.
pub(crate) fn prove<S>(
    flashblock: &Flashblock,
    run: &RunOutput,
    receipts_root: B256,
    below: BlockView<'_, S>,
) -> Option<ExecutionMismatch>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    if let Some(unsettled) = &run.settlement_mismatch {
        return Some(unsettled.clone());
    }
    let diff = flashblock.diff();
    let block = |fact, executed, claimed| mismatch(fact, FactSubject::Block, executed, claimed);
    if run.totals.gas_used != diff.gas_used {
        return Some(block(ExecutedFact::GasUsed, qty(run.totals.gas_used), qty(diff.gas_used)));
    }
    if receipts_root != diff.receipts_root {
        let (e, c) = (FactValue::Hash(receipts_root), FactValue::Hash(diff.receipts_root));
        return Some(block(ExecutedFact::ReceiptsRoot, e, c));
    }
    if run.totals.logs_bloom != diff.logs_bloom {
        return Some(block(
            ExecutedFact::LogsBloom,
            bloom(run.totals.logs_bloom),
            bloom(diff.logs_bloom),
        ));
    }
    if let Some(claimed) = flashblock.blob_gas_used() {
        if claimed != run.totals.blob_gas_used {
            return Some(block(
                ExecutedFact::BlobGasUsed,
                qty(run.totals.blob_gas_used),
                qty(claimed),
            ));
        }
    }
    match flashblock.metadata().carried() {
        Metadata::V1(m) => {
            for (index, (claimed, executed)) in m.transactions.iter().zip(&run.receipts).enumerate()
            {
                let subject = FactSubject::Transaction { index, hash: executed.transaction_hash };
                let tx = |fact, e, c| Some(mismatch(fact, subject, e, c));
                let status = u8::from(executed.status());
                if claimed.status != status {
                    return tx(ExecutedFact::Status, qty(status), qty(claimed.status));
                }
                if claimed.gas_used != executed.gas_used {
                    let (e, c) = (qty(executed.gas_used), qty(claimed.gas_used));
                    return tx(ExecutedFact::TransactionGasUsed, e, c);
                }
                if claimed.contract_address != executed.contract_address {
                    let (e, c) =
                        (address(executed.contract_address), address(claimed.contract_address));
                    return tx(ExecutedFact::ContractAddress, e, c);
                }
            }
            let post = PostView { scratch: &run.scratch, below };
            m.accounts.iter().find_map(|a| prove_account(a, &post))
        }
        Metadata::Json(m) => {
            if let Some(receipts) = &m.receipts {
                for (index, executed) in run.receipts.iter().enumerate() {
                    if let Some(claimed) = receipts.get(&executed.transaction_hash) {
                        let subject =
                            FactSubject::Transaction { index, hash: executed.transaction_hash };
                        if let Some(m) = prove_receipt(subject, executed, claimed) {
                            return Some(m);
                        }
                    }
                }
            }
            let post = PostView { scratch: &run.scratch, below };
            for (address, claimed) in m.new_account_balances.iter().flatten() {
                let executed =
                    post.basic_ref(*address).ok().flatten().map_or(U256::ZERO, |i| i.balance);
                if executed != *claimed {
                    return Some(mismatch(
                        ExecutedFact::Balance,
                        FactSubject::Account(*address),
                        FactValue::Quantity(executed),
                        FactValue::Quantity(*claimed),
                    ));
                }
            }
            None
        }
        _ => None,
    }
}

/// A carried V1 account against the executed post-state.
fn prove_account<S>(claimed: &AccountMetadata, post: &PostView<'_, S>) -> Option<ExecutionMismatch>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    let address = claimed.address;
    let subject = FactSubject::Account(address);
    let info = post.basic_ref(address).ok().flatten().unwrap_or_default();
    if let Some(balance) = claimed.balance {
        if balance != info.balance {
            let (e, c) = (FactValue::Quantity(info.balance), FactValue::Quantity(balance));
            return Some(mismatch(ExecutedFact::Balance, subject, e, c));
        }
    }
    if claimed.nonce != info.nonce {
        return Some(mismatch(ExecutedFact::Nonce, subject, qty(info.nonce), qty(claimed.nonce)));
    }
    if let Some(code) = &claimed.code {
        let executed = if info.code_hash == KECCAK_EMPTY {
            Bytes::new()
        } else {
            match &info.code {
                Some(c) => c.original_bytes(),
                None => post
                    .code_by_hash_ref(info.code_hash)
                    .map(|c| c.original_bytes())
                    .unwrap_or_default(),
            }
        };
        if executed != *code {
            let (e, c) = (FactValue::Bytes(executed), FactValue::Bytes(code.clone()));
            return Some(mismatch(ExecutedFact::Code, subject, e, c));
        }
    }
    for slot in &claimed.storage_slots {
        let executed = post.storage_ref(address, slot.key.into()).unwrap_or_default();
        if B256::from(executed) != slot.value {
            return Some(mismatch(
                ExecutedFact::StorageSlot,
                FactSubject::Slot { address, key: slot.key },
                FactValue::Hash(executed.into()),
                FactValue::Hash(slot.value),
            ));
        }
    }
    None
}

/// A carried JSON receipt against the executed one.
fn prove_receipt(
    subject: FactSubject,
    executed: &ExecutedReceipt,
    claimed: &OpReceipt,
) -> Option<ExecutionMismatch> {
    let e = &executed.receipt;
    let fact = |fact, ev, cv| Some(mismatch(fact, subject, ev, cv));
    if e.tx_type() != claimed.tx_type() {
        return fact(
            ExecutedFact::ReceiptType,
            qty(e.tx_type() as u8),
            qty(claimed.tx_type() as u8),
        );
    }
    if e.status() != claimed.status() {
        return fact(
            ExecutedFact::Status,
            qty(u8::from(e.status())),
            qty(u8::from(claimed.status())),
        );
    }
    if e.cumulative_gas_used() != claimed.cumulative_gas_used() {
        let (ev, cv) = (qty(e.cumulative_gas_used()), qty(claimed.cumulative_gas_used()));
        return fact(ExecutedFact::CumulativeGasUsed, ev, cv);
    }
    if e.logs() != claimed.logs() {
        return fact(ExecutedFact::Logs, logs(e.logs()), logs(claimed.logs()));
    }
    if let (OpReceipt::Deposit(ed), OpReceipt::Deposit(cd)) = (e, claimed) {
        if ed.deposit_nonce != cd.deposit_nonce {
            return fact(ExecutedFact::DepositNonce, opt(ed.deposit_nonce), opt(cd.deposit_nonce));
        }
        if ed.deposit_receipt_version != cd.deposit_receipt_version {
            let (ev, cv) = (opt(ed.deposit_receipt_version), opt(cd.deposit_receipt_version));
            return fact(ExecutedFact::DepositReceiptVersion, ev, cv);
        }
    }
    None
}

const fn mismatch(
    fact: ExecutedFact,
    subject: FactSubject,
    executed: FactValue,
    claimed: FactValue,
) -> ExecutionMismatch {
    ExecutionMismatch { fact, subject, executed, claimed }
}

fn qty(v: impl Into<u64>) -> FactValue {
    FactValue::Quantity(U256::from(v.into()))
}

fn opt(v: Option<u64>) -> FactValue {
    v.map_or(FactValue::Absent, qty)
}

fn bloom(b: Bloom) -> FactValue {
    FactValue::Bloom(Box::new(b))
}

fn address(a: Option<Address>) -> FactValue {
    a.map_or(FactValue::Absent, FactValue::Address)
}

fn logs(logs: &[Log]) -> FactValue {
    FactValue::Logs { count: logs.len(), hash: keccak256(alloy_rlp::encode(logs.to_vec())) }
}
