//! One pass over a V1 frame that checks every offset, length and limit, in the owned
//! decoder's order, and records where each part is.

use super::parse::{container, fixed_list, fixed_union, over_limit, union, var_list, Field, Span};
use crate::{
    MAX_ACCOUNTS_PER_FLASHBLOCK, MAX_BYTES_PER_CODE, MAX_BYTES_PER_TRANSACTION,
    MAX_EXTRA_DATA_BYTES, MAX_STORAGE_SLOTS_PER_ACCOUNT, MAX_TRANSACTIONS_PER_PAYLOAD,
    MAX_WITHDRAWALS_PER_PAYLOAD,
};
use ssz::DecodeError;
use Field::{Fixed, Var};

/// SSZ size of a `Withdrawal`.
pub(crate) const WITHDRAWAL_LEN: usize = 44;
/// SSZ size of a `StorageSlot`.
pub(crate) const STORAGE_SLOT_LEN: usize = 64;

const PAYLOAD: [Field; 7] = [Fixed(4), Fixed(8), Var, Fixed(8), Var, Var, Var];
pub(crate) const BASE: [Field; 9] =
    [Fixed(32), Fixed(32), Fixed(20), Fixed(32), Fixed(8), Fixed(8), Fixed(8), Var, Fixed(32)];
const DIFF: [Field; 8] =
    [Fixed(32), Fixed(32), Fixed(256), Fixed(8), Fixed(32), Var, Var, Fixed(32)];
pub(crate) const ACCOUNT: [Field; 5] = [Fixed(20), Var, Fixed(8), Var, Var];
pub(crate) const TX_METADATA: [Field; 3] = [Fixed(1), Fixed(8), Var];
const METADATA: [Field; 2] = [Var, Var];

/// Where the parts of a validated frame are (absolute byte ranges).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    /// `parent_flash_hash`: where its 32 bytes start, if `Some`.
    pub(crate) parent: Option<usize>,
    /// The `base` container, if `Some`.
    pub(crate) base: Option<Span>,
    /// The `diff` container.
    pub(crate) diff: Span,
    /// `diff.transactions`: the list's bytes and its length.
    pub(crate) transactions: (Span, usize),
    /// `diff.withdrawals`: the list's bytes and its length.
    pub(crate) withdrawals: (Span, usize),
    /// `metadata.accounts`: the list's bytes and its length.
    pub(crate) accounts: (Span, usize),
    /// `metadata.transactions`: the list's bytes and its length.
    pub(crate) transaction_metadata: (Span, usize),
}

/// The sub-slice `span` of `bytes`, offset by `at` into absolute positions.
fn shift((start, end): Span, at: usize) -> Span {
    (start + at, end + at)
}

fn slice(bytes: &[u8], (start, end): Span) -> &[u8] {
    bytes.get(start..end).unwrap_or_default()
}

/// Checks a whole `FlashblocksPayloadV1` (version bytes included, not checked here).
pub(crate) fn payload(bytes: &[u8]) -> Result<Layout, DecodeError> {
    let [_, _, parent, _, base_span, diff_span, metadata_span] = container(bytes, &PAYLOAD)?;
    let parent = fixed_union(slice(bytes, parent), 32)?.map(|_| parent.0 + 1);
    let base = match union(slice(bytes, base_span))? {
        Some(body) => {
            base(body)?;
            Some((base_span.0 + 1, base_span.1))
        }
        None => None,
    };
    let mut layout = Layout { parent, base, ..Layout::default() };
    layout.diff = diff_span;
    diff(slice(bytes, diff_span), diff_span.0, &mut layout)?;
    metadata(slice(bytes, metadata_span), metadata_span.0, &mut layout)?;
    Ok(layout)
}

fn base(bytes: &[u8]) -> Result<(), DecodeError> {
    let spans = container(bytes, &BASE)?;
    let extra = spans.get(7).map_or(0, |(start, end)| end - start);
    if extra > MAX_EXTRA_DATA_BYTES {
        return Err(over_limit("extra_data", extra, MAX_EXTRA_DATA_BYTES));
    }
    Ok(())
}

fn diff(bytes: &[u8], at: usize, layout: &mut Layout) -> Result<(), DecodeError> {
    let [_, _, _, _, _, txs, withdrawals, _] = container(bytes, &DIFF)?;
    let mut too_long = None;
    let count = var_list(slice(bytes, txs), MAX_TRANSACTIONS_PER_PAYLOAD, |tx| {
        if too_long.is_none() && tx.len() > MAX_BYTES_PER_TRANSACTION {
            too_long = Some(tx.len());
        }
        Ok(())
    })?;
    if let Some(len) = too_long {
        return Err(over_limit("transaction", len, MAX_BYTES_PER_TRANSACTION));
    }
    layout.transactions = (shift(txs, at), count);
    let count = fixed_list(
        "withdrawals",
        slice(bytes, withdrawals),
        WITHDRAWAL_LEN,
        MAX_WITHDRAWALS_PER_PAYLOAD,
    )?;
    layout.withdrawals = (shift(withdrawals, at), count);
    Ok(())
}

fn metadata(bytes: &[u8], at: usize, layout: &mut Layout) -> Result<(), DecodeError> {
    let [accounts, txs] = container(bytes, &METADATA)?;
    let count = var_list(slice(bytes, accounts), MAX_ACCOUNTS_PER_FLASHBLOCK, account)?;
    layout.accounts = (shift(accounts, at), count);
    let count = var_list(slice(bytes, txs), MAX_TRANSACTIONS_PER_PAYLOAD, transaction_metadata)?;
    layout.transaction_metadata = (shift(txs, at), count);
    Ok(())
}

#[inline]
fn account(bytes: &[u8]) -> Result<(), DecodeError> {
    let [_, balance, _, code, slots] = container(bytes, &ACCOUNT)?;
    fixed_union(slice(bytes, balance), 32)?;
    let code = slice(bytes, code);
    // The code's limit is checked before its union (the owned `code` module's order).
    let code_len = code.len().saturating_sub(1);
    if code_len > MAX_BYTES_PER_CODE {
        return Err(over_limit("code", code_len, MAX_BYTES_PER_CODE));
    }
    union(code)?;
    fixed_list(
        "storage_slots",
        slice(bytes, slots),
        STORAGE_SLOT_LEN,
        MAX_STORAGE_SLOTS_PER_ACCOUNT,
    )?;
    Ok(())
}

#[inline]
fn transaction_metadata(bytes: &[u8]) -> Result<(), DecodeError> {
    let [_, _, contract] = container(bytes, &TX_METADATA)?;
    fixed_union(slice(bytes, contract), 20)?;
    Ok(())
}
