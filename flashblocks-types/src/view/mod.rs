//! A fully validated, zero-copy view of a V1 frame (see [`PayloadViewV1`]).

mod hash;
mod items;
mod parse;
mod validate;

pub use items::{AccountView, AccountsView, BaseView, TransactionMetadataView, TransactionsView};

use crate::{
    frame_version, CodecError, ExecutionPayloadFlashblockDeltaV1, Flashblock, FlashblockMetadata,
    FlashblocksPayloadV1, SszError, TransactionMetadata, Withdrawal, VERSION_V1,
};
use alloy_primitives::{Bloom, FixedBytes, Sealed, B256};
use alloy_rpc_types_engine::PayloadId;
use items::{array, b256, sub, u64_at, VarList};
use validate::Layout;

/// A fully validated, zero-copy view of a V1 frame over [`bytes::Bytes`]. Cloning it
/// clones a reference count.
///
/// [`decode`](Self::decode) checks every offset, length, union selector and list limit
/// of the frame in one pass, before the view is handed out, and allocates nothing per
/// transaction or per account. It rejects exactly the frames the owned derive decoder
/// (`reference::decode_frame`, feature `test-utils`) rejects, with the same [`CodecError`]: the
/// checks mirror `ethereum_ssz`'s, one by one and in the same order (see the fuzz target
/// `view_decode` and the property tests). Once validated, every accessor is a plain read
/// at a known position: transactions come out as slices of the frame (or as [`Bytes`](alloy_primitives::Bytes)
/// sharing its buffer), accounts as [`AccountView`]s.
///
/// ```
/// use flashblocks_types::{FlashblocksPayloadV1, PayloadViewV1};
///
/// let payload = FlashblocksPayloadV1 { index: 2, ..Default::default() };
/// let frame = bytes::Bytes::from(payload.encode_ssz());
/// let view = PayloadViewV1::decode(frame)?;
/// assert_eq!(view.index(), 2);
/// assert!(view.transactions().is_empty());
/// assert_eq!(view.hash_tree_root_slow(), payload.hash_tree_root_slow());
/// assert_eq!(view.to_payload(), payload);
///
/// // Hostile bytes fail as the owned decoder fails.
/// let bad: &'static [u8] = &[0, 0, 0, 1, 9];
/// assert_eq!(PayloadViewV1::decode(bad).unwrap_err(),
///            flashblocks_types::reference::decode_frame(bad).unwrap_err());
/// # Ok::<(), flashblocks_types::CodecError>(())
/// ```
///
/// Convert to the owned [`FlashblocksPayloadV1`] with [`to_payload`](Self::to_payload),
/// which shares the transactions' bytes with the frame instead of copying them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadViewV1 {
    frame: bytes::Bytes,
    layout: Layout,
}

impl PayloadViewV1 {
    /// Validates an SSZ frame and returns its view: the [spec page](crate::spec)'s
    /// **Frame** check, the first of the validity rules. The frame is taken as
    /// [`FrameBytes`](crate::FrameBytes) says: [`bytes::Bytes`] or a `Vec<u8>` without a
    /// copy, a borrowed slice copied once.
    ///
    /// # Errors
    ///
    /// - [`CodecError::FrameTooShort`]: fewer than 4 bytes (`malformed`);
    /// - [`CodecError::UnknownVersion`]: a version other than V1, read before any
    ///   decoding (`unknown_version`);
    /// - [`CodecError::Ssz`]: V1 bytes that do not decode, or a list over its limit
    ///   (`malformed`), with the [`ssz::DecodeError`] `ethereum_ssz`'s own decoder gives.
    pub fn decode(frame: impl crate::FrameBytes) -> Result<Self, CodecError> {
        let frame = frame.into_frame();
        let version = frame_version(&frame)?;
        if version.0 != VERSION_V1 {
            return Err(CodecError::UnknownVersion { version });
        }
        let layout = validate::payload(&frame).map_err(|e| CodecError::Ssz(SszError(e)))?;
        Ok(Self { frame, layout })
    }

    /// The whole frame.
    pub const fn frame(&self) -> &bytes::Bytes {
        &self.frame
    }

    fn span(&self, (start, end): (usize, usize)) -> &[u8] {
        sub(&self.frame, start, end)
    }

    /// `version` (always [`VERSION_V1`]).
    pub fn version(&self) -> FixedBytes<4> {
        FixedBytes(array::<4>(&self.frame, 0))
    }

    /// `payload_id`.
    pub fn payload_id(&self) -> PayloadId {
        PayloadId::new(array::<8>(&self.frame, 4))
    }

    /// `parent_flash_hash`.
    pub fn parent_flash_hash(&self) -> Option<B256> {
        self.layout.parent.map(|at| b256(&self.frame, at))
    }

    /// `index`.
    pub fn index(&self) -> u64 {
        u64_at(&self.frame, 16)
    }

    /// `base`, present at index 0.
    pub fn base(&self) -> Option<BaseView<'_>> {
        self.layout.base.map(|span| BaseView { bytes: self.span(span) })
    }

    fn diff_bytes(&self) -> &[u8] {
        self.span(self.layout.diff)
    }

    /// `diff.state_root`.
    pub fn state_root(&self) -> B256 {
        b256(self.diff_bytes(), 0)
    }

    /// `diff.receipts_root`.
    pub fn receipts_root(&self) -> B256 {
        b256(self.diff_bytes(), 32)
    }

    /// `diff.logs_bloom`.
    pub fn logs_bloom(&self) -> Bloom {
        Bloom::from(array::<256>(self.diff_bytes(), 64))
    }

    /// `diff.gas_used` (cumulative).
    pub fn gas_used(&self) -> u64 {
        u64_at(self.diff_bytes(), 320)
    }

    /// `diff.block_hash`.
    pub fn block_hash(&self) -> B256 {
        b256(self.diff_bytes(), 328)
    }

    /// `diff.withdrawals_root`.
    pub fn withdrawals_root(&self) -> B256 {
        b256(self.diff_bytes(), 368)
    }

    /// `diff.transactions`.
    pub fn transactions(&self) -> TransactionsView<'_> {
        let ((start, end), len) = self.layout.transactions;
        TransactionsView {
            frame: &self.frame,
            at: start,
            list: VarList { bytes: sub(&self.frame, start, end), len },
        }
    }

    /// `diff.withdrawals`.
    pub fn withdrawals(&self) -> impl ExactSizeIterator<Item = Withdrawal> + '_ {
        items::withdrawals(self.span(self.layout.withdrawals.0))
    }

    /// `metadata.accounts`.
    pub fn accounts(&self) -> AccountsView<'_> {
        let (span, len) = self.layout.accounts;
        AccountsView { list: VarList { bytes: self.span(span), len } }
    }

    /// `metadata.transactions`.
    pub fn transaction_metadata(&self) -> TransactionMetadataView<'_> {
        let (span, len) = self.layout.transaction_metadata;
        TransactionMetadataView { list: VarList { bytes: self.span(span), len } }
    }

    /// The owned payload. Transactions share the frame's buffer ([`Bytes`](alloy_primitives::Bytes) slices, no
    /// copy); the rest is copied into the owned types.
    pub fn to_payload(&self) -> FlashblocksPayloadV1 {
        FlashblocksPayloadV1 {
            version: self.version(),
            payload_id: self.payload_id(),
            parent_flash_hash: self.parent_flash_hash(),
            index: self.index(),
            base: self.base().map(|b| b.to_owned()),
            diff: ExecutionPayloadFlashblockDeltaV1 {
                state_root: self.state_root(),
                receipts_root: self.receipts_root(),
                logs_bloom: self.logs_bloom(),
                gas_used: self.gas_used(),
                block_hash: self.block_hash(),
                transactions: self.transactions().iter_bytes().collect(),
                withdrawals: self.withdrawals().collect(),
                withdrawals_root: self.withdrawals_root(),
            },
            metadata: FlashblockMetadata {
                accounts: self.accounts().iter().map(|a| a.to_owned()).collect(),
                transactions: self
                    .transaction_metadata()
                    .iter()
                    .collect::<Vec<TransactionMetadata>>(),
            },
        }
    }

    /// `hash_tree_root` of the payload, computed over the frame's bytes with the fast
    /// hasher (equal to [`FlashblocksPayloadV1::hash_tree_root_slow`] of the owned
    /// payload). It hashes the whole frame each time: keep the result, as
    /// [`to_flashblock`](Self::to_flashblock) does.
    pub fn hash_tree_root_slow(&self) -> B256 {
        hash::payload(self).0
    }

    /// [`hash_tree_root_slow`](Self::hash_tree_root_slow) and the number of node hashes
    /// it did.
    #[cfg(feature = "test-utils")]
    pub fn hash_tree_root_counted(&self) -> (B256, u64) {
        hash::payload(self)
    }
}

impl PayloadViewV1 {
    /// The input model of the later stages, from the view: the owned payload (with the
    /// transactions sharing the frame's buffer) and its root, hashed over the frame.
    /// Equal to `Flashblock::decode_v1_slow` (the reference, feature `test-utils`) of the
    /// same frame, for less work.
    ///
    /// ```
    /// use flashblocks_types::{Flashblock, GeneratorConfig, PayloadViewV1, SequenceGenerator};
    ///
    /// let block = SequenceGenerator::new(2, GeneratorConfig::default()).next_block();
    /// let frame = block[1].encode_ssz();
    /// let fb = PayloadViewV1::decode(frame.clone())?.to_flashblock();
    /// assert_eq!(fb, Flashblock::decode_v1_slow(&frame)?);
    /// # Ok::<(), flashblocks_types::CodecError>(())
    /// ```
    pub fn to_flashblock(&self) -> Flashblock {
        Flashblock::from_sealed_v1(Sealed::new_unchecked(
            self.to_payload(),
            self.hash_tree_root_slow(),
        ))
    }
}

impl From<PayloadViewV1> for FlashblocksPayloadV1 {
    fn from(view: PayloadViewV1) -> Self {
        view.to_payload()
    }
}

impl AsRef<[u8]> for PayloadViewV1 {
    fn as_ref(&self) -> &[u8] {
        &self.frame
    }
}
