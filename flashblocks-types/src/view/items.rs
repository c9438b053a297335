//! Views of the parts of a validated frame: plain reads at known positions, no checks
//! left to do and nothing allocated.

use super::{
    parse::{read_offset, var_item},
    validate::{STORAGE_SLOT_LEN, WITHDRAWAL_LEN},
};
use crate::{
    AccountMetadata, ExecutionPayloadStaticV1, StorageSlot, TransactionMetadata, Withdrawal,
};
use alloy_primitives::{Address, Bytes, B256, U256};

/// `N` bytes at `at` (zeros if out of range, which validation rules out).
#[inline]
pub(crate) fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    bytes.get(at..).and_then(|b| b.first_chunk::<N>()).copied().unwrap_or([0u8; N])
}

#[inline]
pub(crate) fn b256(bytes: &[u8], at: usize) -> B256 {
    B256::from(array::<32>(bytes, at))
}

#[inline]
pub(crate) fn address(bytes: &[u8], at: usize) -> Address {
    Address::from(array::<20>(bytes, at))
}

#[inline]
pub(crate) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(array::<8>(bytes, at))
}

#[inline]
pub(crate) fn u256_at(bytes: &[u8], at: usize) -> U256 {
    U256::from_le_bytes(array::<32>(bytes, at))
}

/// The offset stored at `at` (0 if out of range, which validation rules out).
#[inline]
pub(crate) fn offset_at(bytes: &[u8], at: usize) -> usize {
    bytes.get(at..).and_then(|b| read_offset(b).ok()).unwrap_or_default()
}

/// `bytes[start..end]`, empty if out of range (which validation rules out).
#[inline]
pub(crate) fn sub(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.get(start..end).unwrap_or_default()
}

/// A validated `Union[None, T]`'s value bytes.
#[inline]
pub(crate) fn union_value(bytes: &[u8]) -> Option<&[u8]> {
    match bytes.split_first() {
        Some((1, body)) => Some(body),
        _ => None,
    }
}

/// The `base` of a validated frame: `ExecutionPayloadStaticV1`'s fields read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseView<'a> {
    pub(crate) bytes: &'a [u8],
}

impl<'a> BaseView<'a> {
    /// The encoded container.
    pub const fn as_ssz_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// `parent_beacon_block_root`.
    pub fn parent_beacon_block_root(&self) -> B256 {
        b256(self.bytes, 0)
    }

    /// `parent_hash`.
    pub fn parent_hash(&self) -> B256 {
        b256(self.bytes, 32)
    }

    /// `fee_recipient`.
    pub fn fee_recipient(&self) -> Address {
        address(self.bytes, 64)
    }

    /// `prev_randao`.
    pub fn prev_randao(&self) -> B256 {
        b256(self.bytes, 84)
    }

    /// `block_number`.
    pub fn block_number(&self) -> u64 {
        u64_at(self.bytes, 116)
    }

    /// `gas_limit`.
    pub fn gas_limit(&self) -> u64 {
        u64_at(self.bytes, 124)
    }

    /// `timestamp`.
    pub fn timestamp(&self) -> u64 {
        u64_at(self.bytes, 132)
    }

    /// `extra_data` (at most 32 bytes).
    pub fn extra_data(&self) -> &'a [u8] {
        sub(self.bytes, offset_at(self.bytes, 140), self.bytes.len())
    }

    /// `base_fee_per_gas`.
    pub fn base_fee_per_gas(&self) -> U256 {
        u256_at(self.bytes, 144)
    }

    /// The owned container (copies `extra_data`).
    pub fn to_owned(&self) -> ExecutionPayloadStaticV1 {
        ExecutionPayloadStaticV1 {
            parent_beacon_block_root: self.parent_beacon_block_root(),
            parent_hash: self.parent_hash(),
            fee_recipient: self.fee_recipient(),
            prev_randao: self.prev_randao(),
            block_number: self.block_number(),
            gas_limit: self.gas_limit(),
            timestamp: self.timestamp(),
            extra_data: Bytes::copy_from_slice(self.extra_data()),
            base_fee_per_gas: self.base_fee_per_gas(),
        }
    }
}

/// A validated list of variable-size items: the list's bytes (offset table first) and
/// its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VarList<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) len: usize,
}

impl<'a> VarList<'a> {
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        var_item(self.bytes, self.len, i).map(|(start, end)| sub(self.bytes, start, end))
    }

    pub(crate) fn iter(self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        (0..self.len).map(move |i| self.get(i).unwrap_or_default())
    }
}

/// `diff.transactions` of a validated frame: each transaction is a slice of the frame.
#[derive(Clone, Copy, Debug)]
pub struct TransactionsView<'a> {
    pub(crate) frame: &'a bytes::Bytes,
    /// Where the list starts in the frame.
    pub(crate) at: usize,
    pub(crate) list: VarList<'a>,
}

impl<'a> TransactionsView<'a> {
    /// The number of transactions.
    pub const fn len(&self) -> usize {
        self.list.len
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.list.len == 0
    }

    /// Transaction `i`'s EIP-2718 bytes, borrowed.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.list.get(i)
    }

    /// Transaction `i` as [`Bytes`] sharing the frame's buffer (no copy: a reference
    /// count).
    pub fn get_bytes(&self, i: usize) -> Option<Bytes> {
        let (start, end) = var_item(self.list.bytes, self.list.len, i)?;
        (end <= self.list.bytes.len())
            .then(|| Bytes(self.frame.slice(self.at + start..self.at + end)))
    }

    /// The transactions, borrowed, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        self.list.iter()
    }

    /// The transactions as [`Bytes`] sharing the frame's buffer, in order.
    pub fn iter_bytes(&self) -> impl ExactSizeIterator<Item = Bytes> + 'a {
        let this = *self;
        (0..self.list.len).map(move |i| this.get_bytes(i).unwrap_or_default())
    }
}

/// The withdrawals of a validated list (44 bytes each).
pub(crate) fn withdrawals(bytes: &[u8]) -> impl ExactSizeIterator<Item = Withdrawal> + '_ {
    bytes.chunks_exact(WITHDRAWAL_LEN).map(|w| Withdrawal {
        index: u64_at(w, 0),
        validator_index: u64_at(w, 8),
        address: address(w, 16),
        amount: u64_at(w, 36),
    })
}

/// The storage slots of a validated list (64 bytes each).
pub(crate) fn storage_slots(bytes: &[u8]) -> impl ExactSizeIterator<Item = StorageSlot> + '_ {
    bytes
        .chunks_exact(STORAGE_SLOT_LEN)
        .map(|s| StorageSlot { key: b256(s, 0), value: b256(s, 32) })
}

/// One `AccountMetadata` of a validated frame, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountView<'a> {
    pub(crate) bytes: &'a [u8],
}

impl<'a> AccountView<'a> {
    /// The encoded container.
    pub const fn as_ssz_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// `address`.
    pub fn address(&self) -> Address {
        address(self.bytes, 0)
    }

    /// `nonce`.
    pub fn nonce(&self) -> u64 {
        u64_at(self.bytes, 24)
    }

    /// The encoded `balance` union.
    pub(crate) fn balance_union(&self) -> &'a [u8] {
        sub(self.bytes, offset_at(self.bytes, 20), offset_at(self.bytes, 32))
    }

    /// The encoded `code` union.
    pub(crate) fn code_union(&self) -> &'a [u8] {
        sub(self.bytes, offset_at(self.bytes, 32), offset_at(self.bytes, 36))
    }

    /// The encoded `storage_slots` list.
    pub(crate) fn slots_bytes(&self) -> &'a [u8] {
        sub(self.bytes, offset_at(self.bytes, 36), self.bytes.len())
    }

    /// `balance`, `None` if unchanged.
    pub fn balance(&self) -> Option<U256> {
        union_value(self.balance_union()).map(|b| u256_at(b, 0))
    }

    /// `code`, `Some` only when set by this flashblock.
    pub fn code(&self) -> Option<&'a [u8]> {
        union_value(self.code_union())
    }

    /// The number of storage slots.
    pub fn storage_slot_count(&self) -> usize {
        self.slots_bytes().len() / STORAGE_SLOT_LEN
    }

    /// `storage_slots`, in order.
    pub fn storage_slots(&self) -> impl ExactSizeIterator<Item = StorageSlot> + 'a {
        storage_slots(self.slots_bytes())
    }

    /// The owned container (copies code and slots).
    pub fn to_owned(&self) -> AccountMetadata {
        AccountMetadata {
            address: self.address(),
            balance: self.balance(),
            nonce: self.nonce(),
            code: self.code().map(Bytes::copy_from_slice),
            storage_slots: self.storage_slots().collect(),
        }
    }
}

/// `metadata.accounts` of a validated frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountsView<'a> {
    pub(crate) list: VarList<'a>,
}

impl<'a> AccountsView<'a> {
    /// The number of accounts.
    pub const fn len(&self) -> usize {
        self.list.len
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.list.len == 0
    }

    /// Account `i`.
    pub fn get(&self, i: usize) -> Option<AccountView<'a>> {
        self.list.get(i).map(|bytes| AccountView { bytes })
    }

    /// The accounts, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = AccountView<'a>> + 'a {
        self.list.iter().map(|bytes| AccountView { bytes })
    }
}

/// Reads one validated `TransactionMetadata`.
pub(crate) fn transaction_metadata(bytes: &[u8]) -> TransactionMetadata {
    TransactionMetadata {
        status: bytes.first().copied().unwrap_or_default(),
        gas_used: u64_at(bytes, 1),
        contract_address: union_value(sub(bytes, 13, bytes.len())).map(|a| address(a, 0)),
    }
}

/// `metadata.transactions` of a validated frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransactionMetadataView<'a> {
    pub(crate) list: VarList<'a>,
}

impl<'a> TransactionMetadataView<'a> {
    /// The number of entries.
    pub const fn len(&self) -> usize {
        self.list.len
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.list.len == 0
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<TransactionMetadata> {
        self.list.get(i).map(transaction_metadata)
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = TransactionMetadata> + 'a {
        self.list.iter().map(transaction_metadata)
    }
}
