//! Limits and constants of the SSZ schema (`schema.py`, [spec page](crate::spec) decision 4).

/// The version bytes of [`FlashblocksPayloadV1`](crate::FlashblocksPayloadV1): `0x00000001`.
pub const VERSION_V1: [u8; 4] = [0, 0, 0, 1];

/// Length of the version prefix every frame starts with.
pub const VERSION_LEN: usize = 4;

/// `MAX_EXTRA_DATA_BYTES`: the limit of `ExecutionPayloadStaticV1.extra_data`.
pub const MAX_EXTRA_DATA_BYTES: usize = 32;

/// `BYTES_PER_LOGS_BLOOM`: the length of `logs_bloom`.
pub const BYTES_PER_LOGS_BLOOM: usize = 256;

/// `MAX_BYTES_PER_TRANSACTION` = 2^30: the limit of one transaction's bytes.
pub const MAX_BYTES_PER_TRANSACTION: usize = 1 << 30;

/// `MAX_TRANSACTIONS_PER_PAYLOAD` = 2^20: the limit of `diff.transactions` and of
/// `metadata.transactions`.
pub const MAX_TRANSACTIONS_PER_PAYLOAD: usize = 1 << 20;

/// `MAX_WITHDRAWALS_PER_PAYLOAD` = 2^4: the limit of `diff.withdrawals`.
pub const MAX_WITHDRAWALS_PER_PAYLOAD: usize = 1 << 4;

/// `MAX_ACCOUNTS_PER_FLASHBLOCK` = 2^20: the limit of `metadata.accounts`.
pub const MAX_ACCOUNTS_PER_FLASHBLOCK: usize = 1 << 20;

/// `MAX_STORAGE_SLOTS_PER_ACCOUNT` = 2^20: the limit of `AccountMetadata.storage_slots`.
pub const MAX_STORAGE_SLOTS_PER_ACCOUNT: usize = 1 << 20;

/// `MAX_BYTES_PER_CODE` = 2^24: the limit of `AccountMetadata.code`.
pub const MAX_BYTES_PER_CODE: usize = 1 << 24;

/// The first byte of an OP deposit transaction (EIP-2718 type `0x7E`).
pub const DEPOSIT_TX_TYPE: u8 = 0x7E;
