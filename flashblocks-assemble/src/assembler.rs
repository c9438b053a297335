//! [`Assembler`]: the block so far, appended to one accepted flashblock at a time.

use crate::{
    header::{check_hash, rebuild_header, results_of},
    AssembleError, AssembledPayload, GroupHashes, TransactionTrie,
};
use alloy_consensus::Header;
use alloy_primitives::{Bytes, B256, U256};
use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3};
use flashblocks_types::{
    CumulativeResults, ExecutionPayloadStaticV1, Flashblock, PayloadId, Withdrawal,
    MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD,
};

/// Reassembles a block from its flashblocks, incrementally ([spec page](flashblocks_types::spec), "Reassembly").
///
/// It starts from an index 0 (with its `base`) and appends the following flashblocks in
/// order; appending costs what the flashblock carries (its transactions and withdrawals
/// are cloned by reference count), not what the block holds. At any point
/// [`payload`](Self::payload) gives the block so far, and
/// [`verify_block_hash`](Self::verify_block_hash) rebuilds its header and checks the
/// latest `diff.block_hash`, reusing the previous checks' trie work.
///
/// It expects flashblocks the validator accepted, but checks what it relies on itself
/// (payload id, index order, an unchanged `base`, the payload's list limits); a refused
/// flashblock leaves it unchanged.
///
/// ```
/// use flashblocks_assemble::Assembler;
/// use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
///
/// let block = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
/// let mut flashblocks = block.into_iter().map(Flashblock::from);
/// let mut assembler = Assembler::new(&flashblocks.next().unwrap())?;
/// for fb in flashblocks {
///     assembler.push(&fb)?;
/// }
/// let payload = assembler.payload();
/// assert_eq!(payload.transactions().len(), 1 + 5 * 3);
/// # Ok::<(), flashblocks_assemble::AssembleError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assembler {
    payload_id: PayloadId,
    base: ExecutionPayloadStaticV1,
    transactions: TransactionTrie,
    withdrawals: Vec<Withdrawal>,
    results: CumulativeResults,
    blob_gas_used: Option<u64>,
    flashblocks: u64,
    block_value: U256,
}

impl Assembler {
    /// Starts a block from its index 0.
    ///
    /// # Errors
    ///
    /// [`AssembleError::NotIndexZero`], [`AssembleError::MissingBase`], or a list over
    /// the payload's limits.
    pub fn new(first: &Flashblock) -> Result<Self, AssembleError> {
        if first.index() != 0 {
            return Err(AssembleError::NotIndexZero { index: first.index() });
        }
        let base = first.base().ok_or(AssembleError::MissingBase)?;
        check_limits(0, 0, first)?;
        let mut transactions = TransactionTrie::new();
        transactions.extend(first.transactions().iter().cloned());
        Ok(Self {
            payload_id: first.payload_id(),
            base: base.clone(),
            transactions,
            withdrawals: first.diff().withdrawals.clone(),
            results: results_of(first.diff()),
            blob_gas_used: first.blob_gas_used(),
            flashblocks: 1,
            block_value: U256::ZERO,
        })
    }

    /// Appends the next flashblock of the block.
    ///
    /// # Errors
    ///
    /// [`AssembleError::PayloadIdMismatch`], [`AssembleError::IndexGap`],
    /// [`AssembleError::UnexpectedBase`], or a list over the payload's limits; the
    /// assembler is then unchanged.
    pub fn push(&mut self, next: &Flashblock) -> Result<(), AssembleError> {
        self.check_next(next)?;
        self.transactions.extend(next.transactions().iter().cloned());
        self.append_rest(next);
        Ok(())
    }

    /// Checks that `next` may follow, and rebuilds the header of the block with it to
    /// check its `diff.block_hash`, without changing the assembler. Returns the hash and
    /// the trie work to hand to [`push_checked`](Self::push_checked).
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push), and [`AssembleError::BlockHashMismatch`] with both
    /// hashes, or [`AssembleError::BaseFeeOverflow`].
    pub fn check_next_block_hash(
        &self,
        next: &Flashblock,
    ) -> Result<(B256, GroupHashes), AssembleError> {
        self.check_next(next)?;
        let (root, groups) = self.transactions.root_with(next.transactions());
        let header =
            rebuild_header(&self.base, &results_of(next.diff()), next.blob_gas_used(), root)?;
        let hash = check_hash(header.hash_slow(), next.diff().block_hash)?;
        Ok((hash, groups))
    }

    /// [`push`](Self::push), keeping the trie work
    /// [`check_next_block_hash`](Self::check_next_block_hash) did for `next`.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub fn push_checked(
        &mut self,
        next: &Flashblock,
        groups: GroupHashes,
    ) -> Result<(), AssembleError> {
        self.check_next(next)?;
        self.transactions.commit(next.transactions().iter().cloned(), groups);
        self.append_rest(next);
        Ok(())
    }

    fn check_next(&self, next: &Flashblock) -> Result<(), AssembleError> {
        if next.payload_id() != self.payload_id {
            return Err(AssembleError::PayloadIdMismatch {
                expected: self.payload_id,
                got: next.payload_id(),
            });
        }
        if next.index() != self.flashblocks {
            return Err(AssembleError::IndexGap { expected: self.flashblocks, got: next.index() });
        }
        if next.base().is_some_and(|base| *base != self.base) {
            return Err(AssembleError::UnexpectedBase { index: next.index() });
        }
        check_limits(self.transactions.len(), self.withdrawals.len(), next)
    }

    fn append_rest(&mut self, next: &Flashblock) {
        self.withdrawals.extend_from_slice(&next.diff().withdrawals);
        self.results = results_of(next.diff());
        self.blob_gas_used = next.blob_gas_used();
        self.flashblocks += 1;
    }

    /// The block's payload id.
    pub const fn payload_id(&self) -> PayloadId {
        self.payload_id
    }

    /// The block's `base`.
    pub const fn base(&self) -> &ExecutionPayloadStaticV1 {
        &self.base
    }

    /// The number of flashblocks appended (the index the next one must have).
    pub const fn flashblock_count(&self) -> u64 {
        self.flashblocks
    }

    /// The block's transactions so far, in order.
    pub fn transactions(&self) -> &[Bytes] {
        self.transactions.transactions()
    }

    /// The block's withdrawals so far, in order.
    pub fn withdrawals(&self) -> &[Withdrawal] {
        &self.withdrawals
    }

    /// The latest flashblock's cumulative fields.
    pub const fn results(&self) -> &CumulativeResults {
        &self.results
    }

    /// The latest Jovian `blob_gas_used`, if the stream carries it.
    pub const fn blob_gas_used(&self) -> Option<u64> {
        self.blob_gas_used
    }

    /// Reserves room for `transactions` more transactions (e.g. the block's expected
    /// size), so that appending does not grow the list.
    pub fn reserve(&mut self, transactions: usize) {
        self.transactions.reserve(transactions);
    }

    /// Sets the `block_value` the payload reports (flashblocks do not carry it; 0 until
    /// set).
    pub const fn set_block_value(&mut self, block_value: U256) {
        self.block_value = block_value;
    }

    /// The header of the block so far ([spec page](flashblocks_types::spec), "Header rebuild"); the transactions
    /// root reuses the previous calls' work.
    ///
    /// # Errors
    ///
    /// [`AssembleError::BaseFeeOverflow`].
    pub fn header(&mut self) -> Result<Header, AssembleError> {
        let root = self.transactions.root();
        rebuild_header(&self.base, &self.results, self.blob_gas_used, root)
    }

    /// Rebuilds the header of the block so far and checks that it hashes to the latest
    /// `diff.block_hash`; returns the hash.
    ///
    /// # Errors
    ///
    /// [`AssembleError::BlockHashMismatch`] with both hashes, or
    /// [`AssembleError::BaseFeeOverflow`].
    pub fn verify_block_hash(&mut self) -> Result<B256, AssembleError> {
        let header = self.header()?;
        check_hash(header.hash_slow(), self.results.block_hash)
    }

    /// The block so far, as an [`AssembledPayload`] (the lists are cloned by reference
    /// count).
    pub fn payload(&self) -> AssembledPayload {
        make_payload(
            self.base.clone(),
            self.transactions.transactions().to_vec(),
            &self.withdrawals,
            &self.results,
            self.blob_gas_used,
            self.block_value,
        )
    }

    /// The block so far, consuming the assembler.
    pub fn into_payload(self) -> AssembledPayload {
        make_payload(
            self.base,
            self.transactions.into_transactions(),
            &self.withdrawals,
            &self.results,
            self.blob_gas_used,
            self.block_value,
        )
    }
}

fn make_payload(
    base: ExecutionPayloadStaticV1,
    transactions: Vec<Bytes>,
    withdrawals: &[Withdrawal],
    results: &CumulativeResults,
    blob_gas_used: Option<u64>,
    block_value: U256,
) -> AssembledPayload {
    let execution_payload = ExecutionPayloadV3 {
        payload_inner: ExecutionPayloadV2 {
            payload_inner: ExecutionPayloadV1 {
                parent_hash: base.parent_hash,
                fee_recipient: base.fee_recipient,
                state_root: results.state_root,
                receipts_root: results.receipts_root,
                logs_bloom: results.logs_bloom,
                prev_randao: base.prev_randao,
                block_number: base.block_number,
                gas_limit: base.gas_limit,
                gas_used: results.gas_used,
                timestamp: base.timestamp,
                extra_data: base.extra_data,
                base_fee_per_gas: base.base_fee_per_gas,
                block_hash: results.block_hash,
                transactions,
            },
            withdrawals: withdrawals.iter().map(|w| (*w).into()).collect(),
        },
        blob_gas_used: blob_gas_used.unwrap_or(0),
        excess_blob_gas: 0,
    };
    AssembledPayload {
        execution_payload,
        withdrawals_root: results.withdrawals_root,
        parent_beacon_block_root: base.parent_beacon_block_root,
        block_value,
    }
}

/// The block's lists stay within an execution payload's limits with `next` appended.
fn check_limits(
    transactions: usize,
    withdrawals: usize,
    next: &Flashblock,
) -> Result<(), AssembleError> {
    let count = (transactions as u64).saturating_add(next.transactions().len() as u64);
    if count > MAX_TRANSACTIONS_PER_PAYLOAD as u64 {
        return Err(AssembleError::TooManyTransactions {
            count,
            max: MAX_TRANSACTIONS_PER_PAYLOAD as u64,
        });
    }
    let count = (withdrawals as u64).saturating_add(next.diff().withdrawals.len() as u64);
    if count > MAX_WITHDRAWALS_PER_PAYLOAD as u64 {
        return Err(AssembleError::TooManyWithdrawals {
            count,
            max: MAX_WITHDRAWALS_PER_PAYLOAD as u64,
        });
    }
    Ok(())
}
