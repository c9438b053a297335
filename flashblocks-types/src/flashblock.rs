//! [`Flashblock`]: the one input model the validator, assembler and overlay take.

use crate::{
    AccountMetadata, CodecError, ExecutedMetadata, ExecutionPayloadFlashblockDeltaV1,
    ExecutionPayloadStaticV1, FlashblockAccessListData, FlashblockJson, FlashblockMetadata,
    FlashblocksPayloadV1, JsonDiff, JsonMetadata, PayloadViewV1, PreparedTransactions,
    TransactionMetadata, VERSION_V1,
};
use alloy_primitives::{Bytes, FixedBytes, Sealable, Sealed, B256};
use alloy_rpc_types_engine::PayloadId;
use std::sync::{Arc, OnceLock};

/// A V1 payload together with its `hash_tree_root`, computed once.
pub type SealedFlashblock = Sealed<FlashblocksPayloadV1>;

impl Sealable for FlashblocksPayloadV1 {
    fn hash_slow(&self) -> B256 {
        self.hash_tree_root_slow()
    }
}

/// Where a [`Flashblock`] came from, which decides the rule set that applies to it and
/// what its identity is. A stream is configured as one or the other, never guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlashblockSource {
    /// An SSZ [`FlashblocksPayloadV1`] frame: every rule applies; identity is the
    /// `hash_tree_root`.
    V1,
    /// A flashblock in the deployed JSON format: no hash chain, no metadata rules;
    /// identity is the decoded value.
    Json,
}

impl core::fmt::Display for FlashblockSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::V1 => "V1",
            Self::Json => "JSON",
        })
    }
}

/// The metadata a flashblock carries, in the shape of its source.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Metadata {
    /// The V1 [`FlashblockMetadata`]: accounts with post-state values, one
    /// [`TransactionMetadata`] per transaction.
    V1(FlashblockMetadata),
    /// The deployed JSON metadata: block number, balances and receipts when present.
    Json(JsonMetadata),
    /// What executing the flashblock yielded, beside the metadata it carried on the wire
    /// (see [`Flashblock::with_executed`]). The wire metadata stays what the flashblock's
    /// identity and wire forms are made of.
    Executed {
        /// The metadata the flashblock carried on the wire (never itself `Executed`).
        carried: Box<Metadata>,
        /// The executed post-state and receipts.
        executed: Arc<ExecutedMetadata>,
    },
}

impl Metadata {
    /// The metadata as carried on the wire (for `Executed`, the carried part).
    pub fn carried(&self) -> &Self {
        match self {
            Self::Executed { carried, .. } => carried.carried(),
            other => other,
        }
    }

    /// The executed facts, if the flashblock was executed.
    pub const fn executed(&self) -> Option<&Arc<ExecutedMetadata>> {
        match self {
            Self::Executed { executed, .. } => Some(executed),
            _ => None,
        }
    }

    /// The wire metadata, owned (for `Executed`, the carried part).
    fn into_carried(self) -> Self {
        match self {
            Self::Executed { carried, .. } => carried.into_carried(),
            other => other,
        }
    }
}

/// A flashblock's identity: the `hash_tree_root` of a V1 frame, known once it is
/// decoded (the next frame's `parent_flash_hash` needs it), or the digest of a JSON
/// flashblock's decoded value, computed the first time it is asked for and kept (the
/// resend rule asks only when a second frame arrives at an accepted index).
#[derive(Clone, Debug)]
pub(crate) enum Identity {
    /// V1: the `hash_tree_root`.
    Root(B256),
    /// JSON: [`FlashblockJson::identity`] of the decoded value, once computed.
    Digest(OnceLock<B256>),
}

impl Identity {
    /// A JSON flashblock's identity, not computed yet.
    pub(crate) const fn digest() -> Self {
        Self::Digest(OnceLock::new())
    }
}

/// Two roots compare as roots. Two digests always compare equal: a digest is a function
/// of the decoded value beside it in the [`Flashblock`], which the derived comparison
/// compares field by field, so whether it has been computed yet does not matter.
impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Root(a), Self::Root(b)) => a == b,
            (Self::Digest(_), Self::Digest(_)) => true,
            (Self::Root(_), Self::Digest(_)) | (Self::Digest(_), Self::Root(_)) => false,
        }
    }
}

impl Eq for Identity {}

/// A flashblock's transactions prepared ([`PreparedTransactions`]), once, when first
/// asked for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared(OnceLock<Arc<PreparedTransactions>>);

/// Always equal: the preparation is a function of the transactions beside it in the
/// [`Flashblock`], which the derived comparison compares.
impl PartialEq for Prepared {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Prepared {}

/// One flashblock, whatever its wire format: the input of every later stage.
///
/// A V1 frame and a JSON flashblock both decode into this. It remembers its
/// [`source`](Self::source) and has an [`identity`](Self::identity): the
/// `hash_tree_root` for V1, computed when it is built (so `identity` is exactly the root
/// the next flashblock's `parent_flash_hash` must carry), and a digest of the decoded
/// value for JSON (two JSON flashblocks are the same when their decoded fields are
/// equal, whatever their key order or whitespace), computed only when first asked for:
/// it is a hash over the whole flashblock, which only the resend rule needs, and only
/// when a second frame arrives at an index already accepted
/// ([`same_identity`](Self::same_identity) tells the two apart without it when their
/// values are equal).
///
/// The fields are read through accessors so that the identity always matches the
/// content.
///
/// ```
/// use flashblocks_types::{Flashblock, FlashblockSource, FlashblocksPayloadV1};
///
/// let payload = FlashblocksPayloadV1::default();
/// let root = payload.hash_tree_root_slow();
/// let fb = Flashblock::decode_v1(payload.encode_ssz())?;
/// assert_eq!(fb.source(), FlashblockSource::V1);
/// assert_eq!(fb.identity(), root);
/// # Ok::<(), flashblocks_types::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flashblock {
    pub(crate) source: FlashblockSource,
    pub(crate) identity: Identity,
    pub(crate) version: FixedBytes<4>,
    pub(crate) payload_id: PayloadId,
    pub(crate) index: u64,
    pub(crate) parent_flash_hash: Option<B256>,
    pub(crate) base: Option<ExecutionPayloadStaticV1>,
    pub(crate) diff: ExecutionPayloadFlashblockDeltaV1,
    pub(crate) blob_gas_used: Option<u64>,
    pub(crate) access_list_data: Option<Box<FlashblockAccessListData>>,
    pub(crate) target_index: Option<u64>,
    pub(crate) post_exec_tx: Option<Bytes>,
    pub(crate) metadata: Metadata,
    pub(crate) prepared: Prepared,
}

impl Flashblock {
    /// Decodes an SSZ frame (the [spec page](crate::spec)'s **Frame** check) into the
    /// input model, with its root: the one decode of a V1 stream, the validator's and
    /// the conformance runner's.
    ///
    /// The frame is validated in one pass by [`PayloadViewV1::decode`], the
    /// transactions share the frame's buffer (see [`FrameBytes`](crate::FrameBytes): a
    /// [`bytes::Bytes`] or a `Vec<u8>` is taken without a copy, a slice is copied once),
    /// and the root is hashed straight from the frame.
    ///
    /// # Errors
    ///
    /// As [`PayloadViewV1::decode`].
    pub fn decode_v1(frame: impl crate::FrameBytes) -> Result<Self, CodecError> {
        Ok(PayloadViewV1::decode(frame)?.to_flashblock())
    }

    /// As [`decode_v1`](Self::decode_v1), through the owned `ethereum_ssz` decoder and
    /// the reference merkleizer: slower, kept as the oracle the fast path is tested
    /// against (feature `test-utils`).
    ///
    /// # Errors
    ///
    /// As [`decode_v1`](Self::decode_v1).
    #[cfg(feature = "test-utils")]
    pub fn decode_v1_slow(frame: &[u8]) -> Result<Self, CodecError> {
        match crate::reference::decode_frame(frame)? {
            crate::reference::VersionedFlashblock::V1(payload) => {
                let root = crate::merkle::payload_root(&payload);
                Ok(Self::from_sealed_v1(Sealed::new_unchecked(payload, root)))
            }
        }
    }

    /// Builds the input model from a V1 payload, hashing it (`hash_tree_root`).
    pub fn from_v1(payload: FlashblocksPayloadV1) -> Self {
        Self::from_sealed_v1(payload.seal_slow())
    }

    /// Builds the input model from a V1 payload whose root is already known.
    pub fn from_sealed_v1(sealed: SealedFlashblock) -> Self {
        let (payload, root) = sealed.into_parts();
        Self {
            source: FlashblockSource::V1,
            identity: Identity::Root(root),
            version: payload.version,
            payload_id: payload.payload_id,
            index: payload.index,
            parent_flash_hash: payload.parent_flash_hash,
            base: payload.base,
            diff: payload.diff,
            blob_gas_used: None,
            access_list_data: None,
            target_index: None,
            post_exec_tx: None,
            metadata: Metadata::V1(payload.metadata),
            prepared: Prepared::default(),
        }
    }

    /// The V1 payload this was built from, if its source is V1 (the reverse of
    /// [`from_v1`](Self::from_v1), without hashing); the flashblock itself otherwise.
    #[allow(clippy::result_large_err)] // hands the caller's value back, boxing would allocate
    pub fn into_sealed_v1(self) -> Result<SealedFlashblock, Self> {
        let executed = self.metadata.executed().cloned();
        let root = match self.identity {
            Identity::Root(root) => Some(root),
            Identity::Digest(_) => None,
        };
        match (self.source, root, self.metadata.into_carried()) {
            (FlashblockSource::V1, Some(root), Metadata::V1(metadata)) => {
                Ok(Sealed::new_unchecked(
                    FlashblocksPayloadV1 {
                        version: self.version,
                        payload_id: self.payload_id,
                        parent_flash_hash: self.parent_flash_hash,
                        index: self.index,
                        base: self.base,
                        diff: self.diff,
                        metadata,
                    },
                    root,
                ))
            }
            (source, _, metadata) => {
                let fb = Self { source, metadata, ..self };
                Err(match executed {
                    Some(executed) => fb.with_executed(executed),
                    None => fb,
                })
            }
        }
    }

    /// Builds the input model from a JSON flashblock: source [`FlashblockSource::Json`],
    /// no `parent_flash_hash`, the diff's Jovian `blob_gas_used` kept aside, and as
    /// identity [`FlashblockJson::identity`] (SHA-256 of the canonical JSON of the
    /// decoded value), computed when first asked for.
    ///
    /// ```
    /// use flashblocks_types::{Flashblock, FlashblockJson, FlashblockSource};
    ///
    /// let text = std::fs::read_to_string(concat!(
    ///     env!("CARGO_MANIFEST_DIR"),
    ///     "/../testdata/vectors/real/unichain-sepolia-35535698-full-sequence.json"
    /// )).unwrap();
    /// let stream: Vec<FlashblockJson> = serde_json::from_str(&text).unwrap();
    /// let block: Vec<Flashblock> = stream.into_iter().map(Flashblock::from_json).collect();
    /// assert_eq!(block.len(), 5);
    /// assert_eq!(block[0].source(), FlashblockSource::Json);
    /// assert_eq!(block[0].base().map(|b| b.block_number), Some(0x21e3b52));
    /// assert_eq!(block.iter().map(|fb| fb.transactions().len()).sum::<usize>(), 6);
    /// assert_eq!(block[4].diff().gas_used, 0x32138);
    /// ```
    pub fn from_json(json: FlashblockJson) -> Self {
        let FlashblockJson { payload_id, index, base, diff, metadata, target_index } = json;
        let (diff, blob_gas_used, access_list_data, post_exec_tx) = diff.into_parts();
        Self {
            source: FlashblockSource::Json,
            identity: Identity::digest(),
            version: FixedBytes(VERSION_V1),
            payload_id,
            index,
            parent_flash_hash: None,
            base,
            diff,
            blob_gas_used,
            access_list_data,
            target_index,
            post_exec_tx,
            metadata: Metadata::Json(metadata),
            prepared: Prepared::default(),
        }
    }

    /// The JSON form of this flashblock, for writing.
    ///
    /// A JSON-sourced flashblock gives back exactly the value it was built from. A V1
    /// one converts strictly (see [`FlashblockJson::try_from_v1`]), taking the block
    /// number from its `base`; for the lossy conversion see
    /// [`FlashblockJson::from_v1_lossy`].
    ///
    /// # Errors
    ///
    /// For a V1 source: [`CodecError::BlockNumberUnknown`] without `base`, and the errors
    /// of [`FlashblockJson::try_from_v1`].
    pub fn to_json(&self) -> Result<FlashblockJson, CodecError> {
        self.clone().into_json()
    }

    /// As [`to_json`](Self::to_json), consuming the flashblock (no copy of the
    /// transactions).
    ///
    /// # Errors
    ///
    /// As [`to_json`](Self::to_json).
    pub fn into_json(self) -> Result<FlashblockJson, CodecError> {
        match self.metadata.into_carried() {
            Metadata::Json(metadata) => Ok(FlashblockJson {
                payload_id: self.payload_id,
                index: self.index,
                base: self.base,
                diff: JsonDiff {
                    access_list_data: self.access_list_data,
                    post_exec_tx: self.post_exec_tx,
                    ..JsonDiff::from_parts(self.diff, self.blob_gas_used)
                },
                metadata,
                target_index: self.target_index,
            }),
            Metadata::V1(metadata) => {
                let block_number = self
                    .base
                    .as_ref()
                    .map(|b| b.block_number)
                    .ok_or(CodecError::BlockNumberUnknown { index: self.index })?;
                let payload = FlashblocksPayloadV1 {
                    version: self.version,
                    payload_id: self.payload_id,
                    parent_flash_hash: self.parent_flash_hash,
                    index: self.index,
                    base: self.base,
                    diff: self.diff,
                    metadata,
                };
                FlashblockJson::try_from_v1(&payload, block_number)
            }
            Metadata::Executed { .. } => unreachable_carried(self.index),
        }
    }

    /// Where this flashblock came from.
    pub const fn source(&self) -> FlashblockSource {
        self.source
    }

    /// The identity used to tell a harmless duplicate from an equivocation: the
    /// `hash_tree_root` for V1, a digest of the decoded value for JSON
    /// ([`FlashblockJson::identity`], SHA-256 over the whole flashblock), computed the
    /// first time it is asked for and kept (clones made after that share it).
    ///
    /// To tell whether two flashblocks have the same identity, use
    /// [`same_identity`](Self::same_identity), which hashes only when it must.
    pub fn identity(&self) -> B256 {
        match &self.identity {
            Identity::Root(root) => *root,
            Identity::Digest(cell) => *cell.get_or_init(|| self.json_digest()),
        }
    }

    /// The identity if it is known without hashing: always for V1, for JSON once
    /// [`identity`](Self::identity) has computed it.
    pub fn known_identity(&self) -> Option<B256> {
        match &self.identity {
            Identity::Root(root) => Some(*root),
            Identity::Digest(cell) => cell.get().copied(),
        }
    }

    /// Whether `self` and `other` have the same [`identity`](Self::identity) (the
    /// resend rule's question: a harmless duplicate or an equivocation), hashing only
    /// when it must: V1 roots are compared; two JSON flashblocks with equal decoded
    /// values are the same without hashing (the digest is a function of the value); for
    /// JSON flashblocks whose values differ, the digests decide (computed then, and kept).
    /// Flashblocks of different sources never have the same identity.
    ///
    /// ```
    /// use flashblocks_types::{FlashblockJson, GeneratorConfig, JsonFrameReader, SequenceGenerator};
    ///
    /// let block = SequenceGenerator::new(1, GeneratorConfig::default()).next_block();
    /// let text = FlashblockJson::from_v1_lossy(&block[0], 1).to_vec();
    /// let reader = JsonFrameReader::default();
    /// let (a, b) = (reader.decode(&text)?, reader.decode(&text)?);
    /// assert!(a.same_identity(&b));
    /// assert_eq!(a.known_identity(), None); // no hash was needed
    /// assert_eq!(a.identity(), b.identity());
    /// # Ok::<(), flashblocks_types::CodecError>(())
    /// ```
    pub fn same_identity(&self, other: &Self) -> bool {
        match (&self.identity, &other.identity) {
            (Identity::Root(a), Identity::Root(b)) => a == b,
            (Identity::Digest(_), Identity::Digest(_)) => {
                if let (Some(a), Some(b)) = (self.known_identity(), other.known_identity()) {
                    return a == b;
                }
                // Equal values (the executed facts included, which the digest leaves
                // out: an inequality there only sends the question to the digests).
                self == other || self.identity() == other.identity()
            }
            (Identity::Root(_), Identity::Digest(_)) | (Identity::Digest(_), Identity::Root(_)) => {
                false
            }
        }
    }

    /// [`FlashblockJson::identity`] of this JSON flashblock's decoded value.
    fn json_digest(&self) -> B256 {
        match self.clone().into_json() {
            Ok(json) => json.identity(),
            // A JSON flashblock always has its JSON form; a V1 one has a root instead.
            Err(_) => B256::ZERO,
        }
    }

    /// The payload id of the block this flashblock belongs to.
    pub const fn payload_id(&self) -> PayloadId {
        self.payload_id
    }

    /// The position of this flashblock in its block.
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// The root of the previous flashblock (V1 only; always `None` for JSON).
    pub const fn parent_flash_hash(&self) -> Option<B256> {
        self.parent_flash_hash
    }

    /// The block properties fixed at the start, present at index 0.
    pub const fn base(&self) -> Option<&ExecutionPayloadStaticV1> {
        self.base.as_ref()
    }

    /// What this flashblock adds, and the cumulative results.
    pub const fn diff(&self) -> &ExecutionPayloadFlashblockDeltaV1 {
        &self.diff
    }

    /// The transactions this flashblock adds.
    pub fn transactions(&self) -> &[Bytes] {
        &self.diff.transactions
    }

    /// The transactions decoded, hashed and with their senders recovered
    /// ([`PreparedTransactions`]): done the first time it is asked for, and then kept for
    /// every later reader (clones made after that share it). The validator asks once a
    /// flashblock has passed the built-in rules, so the checks, the assembler, the
    /// overlay and the executor all read the same preparation, and a frame the rules
    /// reject pays nothing.
    pub fn prepared(&self) -> &Arc<PreparedTransactions> {
        self.prepared.0.get_or_init(|| Arc::new(PreparedTransactions::prepare(self.transactions())))
    }

    /// The preparation, if something asked for it already (see
    /// [`prepared`](Self::prepared)).
    pub fn prepared_if_done(&self) -> Option<&Arc<PreparedTransactions>> {
        self.prepared.0.get()
    }

    /// The cumulative `blob_gas_used` a Jovian JSON diff carries (V1 has none).
    pub const fn blob_gas_used(&self) -> Option<u64> {
        self.blob_gas_used
    }

    /// World Chain's `diff.access_list_data`, when the flashblock carried one.
    pub fn access_list_data(&self) -> Option<&FlashblockAccessListData> {
        self.access_list_data.as_deref()
    }

    /// OP Subblocks from Lagoon: `diff.post_exec_tx` as sent (`0x7D || rlp(payload)`),
    /// when the flashblock carried one; [`PostExecTx::decode`](crate::PostExecTx::decode)
    /// reads it (the validator does, and its token carries the block's latest). Never
    /// one of [`transactions`](Self::transactions); V1 has none.
    pub const fn post_exec_tx(&self) -> Option<&Bytes> {
        self.post_exec_tx.as_ref()
    }

    /// X Layer's `target_index`, when the flashblock carried one.
    pub const fn target_index(&self) -> Option<u64> {
        self.target_index
    }

    /// The metadata, in its source's shape.
    pub const fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The JSON metadata the flashblock carried (JSON only).
    pub fn json_metadata(&self) -> Option<&JsonMetadata> {
        match self.metadata.carried() {
            Metadata::Json(m) => Some(m),
            _ => None,
        }
    }

    /// The per-transaction metadata the flashblock carried (V1 only).
    pub fn transaction_metadata(&self) -> Option<&[TransactionMetadata]> {
        match self.metadata.carried() {
            Metadata::V1(m) => Some(&m.transactions),
            _ => None,
        }
    }

    /// The touched accounts' post-state the flashblock carried (V1 only).
    pub fn accounts(&self) -> Option<&[AccountMetadata]> {
        match self.metadata.carried() {
            Metadata::V1(m) => Some(&m.accounts),
            _ => None,
        }
    }

    /// The executed facts, once an executor has added them
    /// ([`with_executed`](Self::with_executed)).
    pub const fn executed(&self) -> Option<&Arc<ExecutedMetadata>> {
        self.metadata.executed()
    }

    /// This flashblock with the facts its execution yielded added beside its wire
    /// metadata ([`Metadata::Executed`]); replaces earlier executed facts. Its
    /// [`identity`](Self::identity), [`source`](Self::source) and wire forms
    /// ([`to_json`](Self::to_json), [`into_sealed_v1`](Self::into_sealed_v1)) stay those
    /// of what came over the wire.
    ///
    /// ```
    /// use flashblocks_types::{ExecutedMetadata, Flashblock, FlashblocksPayloadV1};
    /// use std::sync::Arc;
    ///
    /// let fb = Flashblock::from_v1(FlashblocksPayloadV1::default());
    /// let executed = fb.clone().with_executed(Arc::new(ExecutedMetadata::default()));
    /// assert_eq!(executed.identity(), fb.identity());
    /// assert_eq!(executed.metadata().carried(), fb.metadata());
    /// assert!(executed.executed().is_some() && fb.executed().is_none());
    /// ```
    pub fn with_executed(self, executed: Arc<ExecutedMetadata>) -> Self {
        let carried = Box::new(self.metadata.into_carried());
        Self { metadata: Metadata::Executed { carried, executed }, ..self }
    }

    /// This flashblock without executed facts: its wire metadata only (the reverse of
    /// [`with_executed`](Self::with_executed)).
    pub fn without_executed(self) -> Self {
        Self { metadata: self.metadata.into_carried(), ..self }
    }
}

impl From<FlashblocksPayloadV1> for Flashblock {
    fn from(payload: FlashblocksPayloadV1) -> Self {
        Self::from_v1(payload)
    }
}

impl From<SealedFlashblock> for Flashblock {
    fn from(sealed: SealedFlashblock) -> Self {
        Self::from_sealed_v1(sealed)
    }
}

/// `into_carried` never returns `Executed`; this arm exists only because the match is
/// exhaustive. Answered as the V1 conversion would answer a payload without `base`.
fn unreachable_carried(index: u64) -> Result<FlashblockJson, CodecError> {
    Err(CodecError::BlockNumberUnknown { index })
}
