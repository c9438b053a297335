//! Header rebuild ([spec page](flashblocks_types::spec), "Header rebuild") and the block-hash check as a function.

use crate::AssembleError;
use alloy_consensus::{constants::EMPTY_OMMER_ROOT_HASH, Header};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Bytes, Sealable, Sealed, B256, B64, U256};
use alloy_trie::root::ordered_trie_root_encoded;
use flashblocks_types::{
    CumulativeResults, ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1, Flashblock,
};

/// Rebuilds the OP block header of the block so far, from its `base`, the latest
/// flashblock's cumulative results (see [`results_of`]), the Jovian `blob_gas_used` when the stream carries it,
/// and the ordered trie root over all transactions so far.
///
/// The fields are those the [spec page](flashblocks_types::spec) lists: `ommers_hash` is the keccak of the empty RLP
/// list, `difficulty` and `nonce` 0, `beneficiary` the `fee_recipient`, `mix_hash` the
/// `prev_randao`, `withdrawals_root` the diff's (Isthmus: the message passer's storage
/// root), `blob_gas_used` 0 (Jovian: the diff's), `excess_blob_gas` 0, and
/// `requests_hash` the sha256 of the empty string (Isthmus has no execution requests).
///
/// # Errors
///
/// [`AssembleError::BaseFeeOverflow`] when `base.base_fee_per_gas` does not fit the
/// header's 64 bits.
pub fn rebuild_header(
    base: &ExecutionPayloadStaticV1,
    diff: &CumulativeResults,
    blob_gas_used: Option<u64>,
    transactions_root: B256,
) -> Result<Header, AssembleError> {
    let base_fee = u64::try_from(base.base_fee_per_gas)
        .map_err(|_| AssembleError::BaseFeeOverflow(base.base_fee_per_gas))?;
    Ok(Header {
        parent_hash: base.parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: base.fee_recipient,
        state_root: diff.state_root,
        transactions_root,
        receipts_root: diff.receipts_root,
        logs_bloom: diff.logs_bloom,
        difficulty: U256::ZERO,
        number: base.block_number,
        gas_limit: base.gas_limit,
        gas_used: diff.gas_used,
        timestamp: base.timestamp,
        extra_data: base.extra_data.clone(),
        mix_hash: base.prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(base_fee),
        withdrawals_root: Some(diff.withdrawals_root),
        blob_gas_used: Some(blob_gas_used.unwrap_or(0)),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(base.parent_beacon_block_root),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    })
}

/// Checks a flashblock's `diff.block_hash` against the header rebuilt from the block's
/// `base`, the flashblock, and `transactions`: every transaction of the block up to and
/// including this flashblock. Returns the hash.
///
/// This recomputes the whole transactions root (`_slow`): a stream is checked faster by
/// [`BlockHashCheck`](crate::BlockHashCheck) or [`Assembler::verify_block_hash`](
/// crate::Assembler::verify_block_hash), which reuse the previous roots' work.
///
/// # Errors
///
/// [`AssembleError::BlockHashMismatch`] with both hashes, or
/// [`AssembleError::BaseFeeOverflow`].
pub fn verify_block_hash_slow(
    base: &ExecutionPayloadStaticV1,
    latest: &Flashblock,
    transactions: &[Bytes],
) -> Result<B256, AssembleError> {
    let root = ordered_trie_root_encoded(transactions);
    let header = rebuild_header(base, &results_of(latest.diff()), latest.blob_gas_used(), root)?;
    check_hash(header.hash_slow(), latest.diff().block_hash)
}

/// Seals `header` and checks its hash against `claimed`.
pub(crate) fn check_sealed(header: Header, claimed: B256) -> Result<Sealed<Header>, AssembleError> {
    let sealed = header.seal_slow();
    check_hash(sealed.hash(), claimed)?;
    Ok(sealed)
}

/// `Ok(computed)` when it equals `claimed`, the mismatch otherwise.
pub(crate) fn check_hash(computed: B256, claimed: B256) -> Result<B256, AssembleError> {
    if computed == claimed {
        Ok(computed)
    } else {
        Err(AssembleError::BlockHashMismatch { computed, claimed })
    }
}

/// The cumulative fields of a diff ([spec page](flashblocks_types::spec), decision 6).
pub fn results_of(diff: &ExecutionPayloadFlashblockDeltaV1) -> CumulativeResults {
    CumulativeResults {
        state_root: diff.state_root,
        receipts_root: diff.receipts_root,
        logs_bloom: diff.logs_bloom,
        gas_used: diff.gas_used,
        block_hash: diff.block_hash,
        withdrawals_root: diff.withdrawals_root,
    }
}
