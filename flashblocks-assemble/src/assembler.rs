//! [`Assembler`]: the block so far, appended to one accepted flashblock at a time.

use crate::{
    header::{check_hash, check_sealed, rebuild_header, results_of},
    AssembleError, AssembledPayload, BlockHashOutcome, Commitments, GroupHashes, TransactionTrie,
};
use alloy_consensus::Header;
use alloy_primitives::{Bytes, Sealable, Sealed, B256, U256};
use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3};
use flashblocks_types::{
    CumulativeResults, DiffBlockHash, ExecutionPayloadStaticV1, Flashblock, PayloadId, Withdrawal,
    MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD,
};
use flashblocks_validate::AcceptedFlashblock;
use std::sync::Arc;

/// Reassembles a block from its flashblocks, incrementally ([spec page](flashblocks_types::spec), "Reassembly").
///
/// It starts from the [`AcceptedFlashblock`] that started the block ([`new`](Self::new))
/// and [`append`](Self::append)s the following ones; appending costs what the
/// flashblock carries (its transactions and withdrawals are cloned by reference count),
/// not what the block holds. At any point [`payload`](Self::payload) gives the block so
/// far, and [`verify_block_hash`](Self::verify_block_hash) its header's hash checked
/// against the latest `diff.block_hash`.
///
/// It trusts the validator: the tokens prove the payload id, the index order and the
/// unchanged `base`, so it does not check them again. When the validator runs the
/// block-hash check ([`BlockHashCheck`](crate::BlockHashCheck)), the token carries the
/// header that check rebuilt and the assembler keeps it instead of rebuilding it: a
/// checked stream is hashed once.
///
/// ```
/// use flashblocks_assemble::Assembler;
/// use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
/// use flashblocks_validate::Validator;
///
/// let block = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
/// let mut validator = Validator::default();
/// let mut tokens = block.into_iter().map(|fb| validator.validate(Flashblock::from(fb)).unwrap().into_accepted().unwrap());
/// let mut assembler = Assembler::new(&tokens.next().unwrap())?;
/// for token in tokens {
///     assembler.append(&token)?;
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
    /// What the stream's `diff.block_hash` is (the dialect's answer): it decides the
    /// block-hash check's outcome and which commitments the payload has.
    diff_block_hash: DiffBlockHash,
    /// The header of the block so far, when the block-hash check rebuilt it.
    header: Option<Arc<Sealed<Header>>>,
    /// Lagoon: the block's latest `diff.post_exec_tx` as sent (the validator's rules
    /// checked it before any stage or check sees it; an omitted field leaves it): the
    /// block so far ends with it, as the sealed block will.
    post_exec: Option<Bytes>,
}

impl Assembler {
    /// Starts a block from the accepted flashblock that started it.
    ///
    /// # Errors
    ///
    /// [`AssembleError::NotBlockStart`] for a token that did not start a block, or a
    /// list over the payload's limits.
    pub fn new(first: &AcceptedFlashblock) -> Result<Self, AssembleError> {
        let fb = first.flashblock();
        if !first.starts_block() {
            return Err(AssembleError::NotBlockStart { index: fb.index() });
        }
        let mut assembler = Self::start(fb, first.dialect().block_hash())?;
        assembler.header = first.header().cloned();
        Ok(assembler)
    }

    /// Appends the next accepted flashblock of the block.
    ///
    /// # Errors
    ///
    /// [`AssembleError::BlockStart`] for a token that starts another block (start a new
    /// assembler with [`new`](Self::new)), or a list over the payload's limits; the
    /// assembler is then unchanged.
    pub fn append(&mut self, next: &AcceptedFlashblock) -> Result<(), AssembleError> {
        if next.starts_block() {
            return Err(AssembleError::BlockStart { payload_id: next.payload_id() });
        }
        self.push(next.flashblock())?;
        self.header = next.header().cloned();
        Ok(())
    }

    /// Starts a block from an index 0 the caller vouches for (its `base` is present), of
    /// a stream whose `diff.block_hash` is `diff_block_hash`.
    pub(crate) fn start(
        first: &Flashblock,
        diff_block_hash: DiffBlockHash,
    ) -> Result<Self, AssembleError> {
        let Some(base) = first.base() else {
            return Err(AssembleError::NotBlockStart { index: first.index() });
        };
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
            diff_block_hash,
            header: None,
            post_exec: first.post_exec_tx().cloned(),
        })
    }

    /// Appends a flashblock the caller vouches for (the next one of this block).
    pub(crate) fn push(&mut self, next: &Flashblock) -> Result<(), AssembleError> {
        check_limits(self.transactions.len(), self.withdrawals.len(), next)?;
        self.transactions.extend(next.transactions().iter().cloned());
        self.append_rest(next);
        Ok(())
    }

    /// Rebuilds the header of the block with `next` appended, to check its
    /// `diff.block_hash`, without changing the assembler. Returns the sealed header and
    /// the trie work to hand to [`push_checked`](Self::push_checked).
    pub(crate) fn check_next_block_hash(
        &self,
        next: &Flashblock,
    ) -> Result<(Sealed<Header>, GroupHashes), AssembleError> {
        check_limits(self.transactions.len(), self.withdrawals.len(), next)?;
        let (root, groups) = match next.post_exec_tx().or(self.post_exec.as_ref()) {
            // The sealed block ends with it; the subtree work of a root over it is not
            // kept (the post-exec transaction is restated, not appended).
            Some(post) => {
                let mut more = next.transactions().to_vec();
                more.push(post.clone());
                (self.transactions.root_with(&more).0, GroupHashes::default())
            }
            None => self.transactions.root_with(next.transactions()),
        };
        let header =
            rebuild_header(&self.base, &results_of(next.diff()), next.blob_gas_used(), root)?;
        let header = check_sealed(header, next.diff().block_hash)?;
        Ok((header, groups))
    }

    /// [`push`](Self::push), keeping the trie work
    /// [`check_next_block_hash`](Self::check_next_block_hash) did for `next`.
    pub(crate) fn push_checked(
        &mut self,
        next: &Flashblock,
        groups: GroupHashes,
    ) -> Result<(), AssembleError> {
        check_limits(self.transactions.len(), self.withdrawals.len(), next)?;
        self.transactions.commit(next.transactions().iter().cloned(), groups);
        self.append_rest(next);
        Ok(())
    }

    fn append_rest(&mut self, next: &Flashblock) {
        self.header = None;
        self.withdrawals.extend_from_slice(&next.diff().withdrawals);
        self.results = results_of(next.diff());
        self.blob_gas_used = next.blob_gas_used();
        self.flashblocks += 1;
        if let Some(post) = next.post_exec_tx() {
            self.post_exec = Some(post.clone());
        }
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

    /// The block's transactions so far, in order: those of `diff.transactions`, without
    /// the post-exec transaction ([`post_exec_tx`](Self::post_exec_tx)), which the
    /// [`payload`](Self::payload) ends with.
    pub fn transactions(&self) -> &[Bytes] {
        self.transactions.transactions()
    }

    /// Lagoon: the block's latest post-exec transaction as sent (`0x7D || rlp(payload)`),
    /// when it has one; the payload and the header's transactions root end with it.
    pub const fn post_exec_tx(&self) -> Option<&Bytes> {
        self.post_exec.as_ref()
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

    /// The header of the block so far ([spec page](flashblocks_types::spec), "Header rebuild"), sealed with its
    /// hash: the one the validator's block-hash check rebuilt when it runs, else rebuilt
    /// here (the transactions root reuses the previous calls' work).
    ///
    /// # Errors
    ///
    /// [`AssembleError::BaseFeeOverflow`].
    pub fn header(&mut self) -> Result<Arc<Sealed<Header>>, AssembleError> {
        if let Some(header) = &self.header {
            return Ok(Arc::clone(header));
        }
        let mut root = self.transactions.root();
        if let Some(post) = &self.post_exec {
            root = self.transactions.root_with(std::slice::from_ref(post)).0;
        }
        let header = rebuild_header(&self.base, &self.results, self.blob_gas_used, root)?;
        let header = Arc::new(header.seal_slow());
        self.header = Some(Arc::clone(&header));
        Ok(header)
    }

    /// Checks that the header of the block so far ([`header`](Self::header)) hashes to
    /// the latest `diff.block_hash`; returns the hash. As [`block_hash_outcome`](
    /// Self::block_hash_outcome), with every outcome but `ok` an error.
    ///
    /// # Errors
    ///
    /// [`AssembleError::BlockHashMismatch`] with both hashes,
    /// [`AssembleError::NotAHeaderHash`] for a stream whose `diff.block_hash` is not the
    /// header hash, or [`AssembleError::BaseFeeOverflow`].
    pub fn verify_block_hash(&mut self) -> Result<B256, AssembleError> {
        match self.block_hash_outcome()? {
            BlockHashOutcome::Ok(hash) => Ok(hash),
            BlockHashOutcome::Mismatch { computed, claimed } => {
                Err(AssembleError::BlockHashMismatch { computed, claimed })
            }
            BlockHashOutcome::Unavailable | BlockHashOutcome::NotAHeaderHash => {
                Err(AssembleError::NotAHeaderHash(self.diff_block_hash))
            }
        }
    }

    /// The block-hash check of the block so far, as the [spec page](
    /// flashblocks_types::spec)'s table says for the stream's dialect: where
    /// `diff.block_hash` is the header hash, the header ([`header`](Self::header)) is
    /// rebuilt and its hash compared (`ok` or `mismatch`); elsewhere nothing is rebuilt
    /// and the answer is `unavailable` (OP Subblocks) or `not_a_header_hash` (Base).
    ///
    /// # Errors
    ///
    /// [`AssembleError::BaseFeeOverflow`]: no header can be rebuilt.
    pub fn block_hash_outcome(&mut self) -> Result<BlockHashOutcome, AssembleError> {
        if let Some(outcome) = BlockHashOutcome::unchecked(self.diff_block_hash) {
            return Ok(outcome);
        }
        let header = self.header()?;
        Ok(match check_hash(header.hash(), self.results.block_hash) {
            Ok(hash) => BlockHashOutcome::Ok(hash),
            Err(_) => BlockHashOutcome::Mismatch {
                computed: header.hash(),
                claimed: self.results.block_hash,
            },
        })
    }

    /// What the stream's `diff.block_hash` is (the dialect's answer, from the token that
    /// started the block).
    pub const fn diff_block_hash(&self) -> DiffBlockHash {
        self.diff_block_hash
    }

    /// The block so far, as an [`AssembledPayload`] (the lists are cloned by reference
    /// count). Its transactions end with the block's latest post-exec transaction, when
    /// it has one, as the sealed block will.
    pub fn payload(&self) -> AssembledPayload {
        let mut transactions = Vec::with_capacity(self.transactions.len() + 1);
        transactions.extend_from_slice(self.transactions.transactions());
        transactions.extend(self.post_exec.iter().cloned());
        make_payload(
            self.base.clone(),
            transactions,
            &self.withdrawals,
            &self.results,
            self.blob_gas_used,
            self.block_value,
            self.diff_block_hash,
        )
    }

    /// The block so far, consuming the assembler.
    pub fn into_payload(self) -> AssembledPayload {
        let mut transactions = self.transactions.into_transactions();
        transactions.extend(self.post_exec);
        make_payload(
            self.base,
            transactions,
            &self.withdrawals,
            &self.results,
            self.blob_gas_used,
            self.block_value,
            self.diff_block_hash,
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
    diff_block_hash: DiffBlockHash,
) -> AssembledPayload {
    let commitments = Commitments::of(diff_block_hash, results);
    let execution_payload = ExecutionPayloadV3 {
        payload_inner: ExecutionPayloadV2 {
            payload_inner: ExecutionPayloadV1 {
                parent_hash: base.parent_hash,
                fee_recipient: base.fee_recipient,
                state_root: commitments.state_root.unwrap_or_default(),
                receipts_root: results.receipts_root,
                logs_bloom: results.logs_bloom,
                prev_randao: base.prev_randao,
                block_number: base.block_number,
                gas_limit: base.gas_limit,
                gas_used: results.gas_used,
                timestamp: base.timestamp,
                extra_data: base.extra_data,
                base_fee_per_gas: base.base_fee_per_gas,
                block_hash: commitments.block_hash.unwrap_or_default(),
                transactions,
            },
            withdrawals: withdrawals.iter().map(|w| (*w).into()).collect(),
        },
        blob_gas_used: blob_gas_used.unwrap_or(0),
        excess_blob_gas: 0,
    };
    AssembledPayload {
        execution_payload,
        commitments,
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
