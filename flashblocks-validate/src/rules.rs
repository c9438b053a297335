//! Step 3 of the [spec page](flashblocks_types::spec)'s order, **the flashblock alone**: the rules that need no
//! state, checked in the page's order.

use crate::{RuleSet, ValidationError, ValidatorConfig};
use alloy_primitives::{keccak256, Address, B256};
use flashblocks_types::{
    AccountMetadata, Flashblock, TransactionMetadata, DEPOSIT_TX_TYPE, MAX_ACCOUNTS_PER_FLASHBLOCK,
    MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD,
};

/// Checks `fb` against the stateless rules of its rule set: `missing_base`, the hash
/// chain's ends (V1), the metadata rules (V1), `empty_transaction`, and the OP rules when
/// on.
///
/// # Errors
///
/// The first rule broken, in the [spec page](flashblocks_types::spec)'s order.
pub(crate) fn check_alone(
    fb: &Flashblock,
    config: &ValidatorConfig,
) -> Result<(), ValidationError> {
    // Lists over the containers' limits never decode as SSZ: `malformed` comes first.
    check_lists(fb)?;
    if config.rule_set() == RuleSet::Json {
        check_receipts(fb)?;
    }
    let index = fb.index();
    if index == 0 && fb.base().is_none() {
        return Err(ValidationError::MissingBase { payload_id: fb.payload_id() });
    }
    let v1 = config.rule_set() == RuleSet::V1;
    if v1 {
        match (index, fb.parent_flash_hash()) {
            (0, Some(parent_flash_hash)) => {
                return Err(ValidationError::UnexpectedParentHash { parent_flash_hash })
            }
            (1.., None) => return Err(ValidationError::MissingParentHash { index }),
            _ => {}
        }
        let tx_meta = fb.transaction_metadata().unwrap_or_default();
        check_metadata(fb.transactions().len(), tx_meta, fb.accounts().unwrap_or_default())?;
    }
    if let Some(position) = fb.transactions().iter().position(|tx| tx.is_empty()) {
        return Err(ValidationError::EmptyTransaction { position });
    }
    if config.op_rules {
        check_op(fb)?;
    }
    Ok(())
}

/// `malformed` for lists over the containers' limits, which SSZ decoding enforces and a
/// JSON decoder does not.
fn check_lists(fb: &Flashblock) -> Result<(), ValidationError> {
    let balances =
        fb.json_metadata().and_then(|m| m.new_account_balances.as_ref()).map_or(0, |b| b.len());
    let lists = [
        ("transactions", fb.transactions().len(), MAX_TRANSACTIONS_PER_PAYLOAD),
        ("withdrawals", fb.diff().withdrawals.len(), MAX_WITHDRAWALS_PER_PAYLOAD),
        ("balances", balances, MAX_ACCOUNTS_PER_FLASHBLOCK),
    ];
    match lists.into_iter().find(|(_, len, max)| len > max) {
        Some((list, len, max)) => Err(ValidationError::ListTooLong { list, len, max }),
        None => Ok(()),
    }
}

/// `receipt_without_transaction`: every JSON receipt is under the hash of one of the
/// flashblock's transactions. Hashes the transactions only when receipts are present.
fn check_receipts(fb: &Flashblock) -> Result<(), ValidationError> {
    let Some(receipts) = fb.json_metadata().and_then(|m| m.receipts.as_ref()) else {
        return Ok(());
    };
    if receipts.is_empty() {
        return Ok(());
    }
    let hashes: std::collections::HashSet<B256> = fb.transactions().iter().map(keccak256).collect();
    match receipts.keys().find(|hash| !hashes.contains(*hash)) {
        Some(hash) => Err(ValidationError::ReceiptWithoutTransaction { hash: *hash }),
        None => Ok(()),
    }
}

/// `metadata_count_mismatch`, `duplicate_account`, `storage_keys_unsorted`,
/// `invalid_status`, in this order.
fn check_metadata(
    transactions: usize,
    tx_meta: &[TransactionMetadata],
    accounts: &[AccountMetadata],
) -> Result<(), ValidationError> {
    if tx_meta.len() != transactions {
        return Err(ValidationError::MetadataCountMismatch {
            transactions,
            metadata: tx_meta.len(),
        });
    }
    if let Some(address) = repeated_address(accounts) {
        return Err(ValidationError::DuplicateAccount { address });
    }
    for account in accounts {
        let unsorted = account.storage_slots.windows(2).find_map(|w| match w {
            [previous, slot] if previous.key >= slot.key => Some((previous.key, slot.key)),
            _ => None,
        });
        if let Some((previous, key)) = unsorted {
            return Err(ValidationError::StorageKeysUnsorted {
                address: account.address,
                previous,
                key,
            });
        }
    }
    if let Some((position, meta)) = tx_meta.iter().enumerate().find(|(_, m)| m.status > 1) {
        return Err(ValidationError::InvalidStatus { position, status: meta.status });
    }
    Ok(())
}

/// The first address (in sorted order) that appears twice. O(n) and allocation-free when
/// the accounts are strictly ascending (as builders write them), O(n log n) otherwise.
fn repeated_address(accounts: &[AccountMetadata]) -> Option<Address> {
    if accounts.is_sorted_by(|a, b| a.address < b.address) {
        return None;
    }
    let mut addresses: Vec<&Address> = accounts.iter().map(|a| &a.address).collect();
    addresses.sort_unstable();
    addresses.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(**a),
        _ => None,
    })
}

/// The OP Stack rules: `missing_l1_info_deposit`, `deposit_misplaced`,
/// `withdrawals_not_empty`. A deposit is a transaction whose first byte is `0x7E`; the
/// transactions are not decoded.
fn check_op(fb: &Flashblock) -> Result<(), ValidationError> {
    let is_deposit = |tx: &[u8]| tx.first() == Some(&DEPOSIT_TX_TYPE);
    let txs = fb.transactions();
    let index = fb.index();
    if index == 0 {
        match txs.first() {
            Some(first) if is_deposit(first) => {}
            first => {
                return Err(ValidationError::MissingL1InfoDeposit {
                    first_type: first.and_then(|tx| tx.first().copied()),
                })
            }
        }
        // Deposits lead the block: once a non-deposit is seen, none may follow.
        if let Some(first_user) = txs.iter().position(|tx| !is_deposit(tx)) {
            if let Some(late) = txs.iter().skip(first_user).position(|tx| is_deposit(tx)) {
                return Err(ValidationError::DepositMisplaced {
                    index,
                    position: first_user + late,
                });
            }
        }
    } else if let Some(position) = txs.iter().position(|tx| is_deposit(tx)) {
        return Err(ValidationError::DepositMisplaced { index, position });
    }
    let count = fb.diff().withdrawals.len();
    if count > 0 {
        return Err(ValidationError::WithdrawalsNotEmpty { count });
    }
    Ok(())
}
