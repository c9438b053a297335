//! The Lagoon post-exec transaction a subblock carries in `diff.post_exec_tx`
//! ([spec page](crate::spec), "Subblocks and the deployed dialects").
//!
//! The wire form is the EIP-2718 encoding of op-alloy-consensus's [`TxPostExec`]:
//! `0x7D || rlp([version, blockNumber, [[index, gasRefund], ...]])`
//! (ethereum-optimism/specs `specs/protocol/lagoon/post-exec.md`; version 1 is
//! Sequencer-Defined Metering, `lagoon/sdm.md`). [`PostExecTx::decode`] reads it with
//! op-alloy's codec ([`Decodable2718`] of [`TxPostExec`], whose
//! `PostExecPayload::decode_checked` refuses versions other than 1), keeps the bytes as
//! sent beside the decoded value, and seals it with its hash (`keccak256` of those
//! bytes).

use crate::CodecError;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{keccak256, Bytes, Sealed, B256};
use alloy_rlp::Decodable;
use op_alloy_consensus::{
    PostExecPayload, SDMGasEntry, TxPostExec, POST_EXEC_PAYLOAD_VERSION, POST_EXEC_TX_TYPE_ID,
};

/// Why a `diff.post_exec_tx` is not a post-exec transaction (inside
/// [`CodecError::PostExecTx`]). The validator reports each as `post_exec_invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PostExecTxError {
    /// No bytes at all.
    #[error("empty post_exec_tx")]
    Empty,
    /// The first byte is not the post-exec type `0x7D`.
    #[error("post_exec_tx of type {ty:#04x}, not 0x7d")]
    NotPostExec {
        /// The type byte read.
        ty: u8,
    },
    /// The payload's version is not 1 (op-alloy's `decode_checked` refuses it).
    #[error("post-exec payload version {version}, not 1")]
    UnsupportedVersion {
        /// The version read.
        version: u8,
    },
    /// The payload is not `rlp([version, blockNumber, [[index, gasRefund], ...]])`.
    #[error("post-exec payload does not decode: {0}")]
    Rlp(alloy_rlp::Error),
    /// Bytes follow the payload's RLP list.
    #[error("{trailing} bytes after the post-exec payload")]
    TrailingBytes {
        /// How many.
        trailing: usize,
    },
    /// The payload decodes but its canonical encoding differs from the bytes sent, so
    /// the hash of what was sent would not be the transaction's hash.
    #[error("post-exec payload is not canonically encoded")]
    NotCanonical,
}

/// A decoded `diff.post_exec_tx`: the bytes as sent and op-alloy's [`TxPostExec`]
/// sealed with its hash (`keccak256` of the bytes, the transaction hash lookups use).
///
/// ```
/// use flashblocks_types::PostExecTx;
/// use alloy_eips::eip2718::Encodable2718;
/// use op_alloy_consensus::{build_post_exec_tx, SDMGasEntry};
///
/// let tx = build_post_exec_tx(7, vec![SDMGasEntry { index: 1, gas_refund: 2_100 }]);
/// let raw = tx.encoded_2718();
/// assert_eq!(raw[0], 0x7d);
/// let post = PostExecTx::decode(raw.clone().into())?;
/// assert_eq!(post.block_number(), 7);
/// assert_eq!(post.gas_refund_entries(), &[SDMGasEntry { index: 1, gas_refund: 2_100 }]);
/// assert_eq!(post.hash(), tx.tx_hash());
/// assert_eq!(post.raw().as_ref(), raw.as_slice());
/// // Another version, or another type byte, is refused.
/// let mut v2 = raw.clone();
/// v2[2] = 2; // the version, right after the list header
/// assert!(PostExecTx::decode(v2.into()).is_err());
/// # Ok::<(), flashblocks_types::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostExecTx {
    raw: Bytes,
    tx: Sealed<TxPostExec>,
}

impl PostExecTx {
    /// Decodes `0x7D || rlp(payload)` with op-alloy's codec: exactly one payload, of
    /// version 1, canonically encoded.
    ///
    /// # Errors
    ///
    /// [`CodecError::PostExecTx`] with the reason ([`PostExecTxError`]).
    pub fn decode(raw: Bytes) -> Result<Self, CodecError> {
        Self::decode_inner(&raw)
            .map(|tx| {
                let hash = keccak256(&raw);
                Self { raw, tx: Sealed::new_unchecked(tx, hash) }
            })
            .map_err(CodecError::PostExecTx)
    }

    fn decode_inner(raw: &[u8]) -> Result<TxPostExec, PostExecTxError> {
        let (&ty, body) = raw.split_first().ok_or(PostExecTxError::Empty)?;
        if ty != POST_EXEC_TX_TYPE_ID {
            return Err(PostExecTxError::NotPostExec { ty });
        }
        let mut buf = body;
        let tx = match TxPostExec::typed_decode(ty, &mut buf) {
            Ok(tx) => tx,
            Err(error) => {
                // Only to name the reason: op-alloy's codec without its version check
                // tells a payload of another version from one that does not decode.
                let mut again = body;
                return Err(match PostExecPayload::decode(&mut again) {
                    Ok(p) if p.version != POST_EXEC_PAYLOAD_VERSION => {
                        PostExecTxError::UnsupportedVersion { version: p.version }
                    }
                    _ => PostExecTxError::Rlp(match error {
                        alloy_eips::eip2718::Eip2718Error::RlpError(e) => e,
                        _ => alloy_rlp::Error::Custom("not a post-exec transaction"),
                    }),
                });
            }
        };
        if !buf.is_empty() {
            return Err(PostExecTxError::TrailingBytes { trailing: buf.len() });
        }
        if tx.encode_2718_len() != raw.len() || tx.input.as_ref() != body {
            return Err(PostExecTxError::NotCanonical);
        }
        Ok(tx)
    }

    /// The bytes as sent (`0x7D || rlp(payload)`).
    pub const fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// op-alloy's transaction, sealed with its hash.
    pub const fn tx(&self) -> &Sealed<TxPostExec> {
        &self.tx
    }

    /// The transaction hash: `keccak256` of [`raw`](Self::raw).
    pub fn hash(&self) -> B256 {
        self.tx.hash()
    }

    /// The decoded payload.
    pub fn payload(&self) -> &PostExecPayload {
        &self.tx.inner().payload
    }

    /// The block number the payload is anchored to.
    pub fn block_number(&self) -> u64 {
        self.payload().block_number
    }

    /// The SDM refund entries, as sent.
    pub fn gas_refund_entries(&self) -> &[SDMGasEntry] {
        &self.payload().gas_refund_entries
    }
}

/// `0x7D || rlp([version, block_number, [[index, gas_refund], ...]])` for any version
/// (one [`PostExecTx::decode`] refuses included): the tests' and fuzz targets' post-exec
/// transactions. A builder sends op-alloy's `build_post_exec_tx(..).encoded_2718()`.
#[cfg(feature = "test-utils")]
pub fn post_exec_raw(version: u8, block_number: u64, entries: &[(u64, u64)]) -> Bytes {
    let payload = PostExecPayload {
        version,
        block_number,
        gas_refund_entries: entries
            .iter()
            .map(|&(index, gas_refund)| SDMGasEntry { index, gas_refund })
            .collect(),
    };
    let mut raw = vec![POST_EXEC_TX_TYPE_ID];
    raw.extend_from_slice(&payload.to_rlp_bytes());
    raw.into()
}
