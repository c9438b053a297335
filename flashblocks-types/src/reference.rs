//! The reference SSZ decoder (feature `test-utils`): the owned `ethereum_ssz` derive
//! decoder, kept as the oracle the validated view
//! ([`PayloadViewV1`](crate::PayloadViewV1)) is tested against. Applications decode
//! with [`Flashblock::decode_v1`](crate::Flashblock::decode_v1).

use crate::{frame_version, CodecError, FlashblocksPayloadV1, SszError, VERSION_V1};
use alloy_primitives::FixedBytes;
use ssz::{Decode, Encode};

/// A decoded frame: a flashblock of one of the versions this crate knows.
///
/// New versions are added as variants, so match with a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionedFlashblock {
    /// A [`FlashblocksPayloadV1`] (version `0x00000001`).
    V1(FlashblocksPayloadV1),
}

impl VersionedFlashblock {
    /// The version bytes this flashblock is encoded with.
    pub const fn version(&self) -> FixedBytes<4> {
        match self {
            Self::V1(p) => p.version,
        }
    }

    /// The SSZ frame: the container's encoding, whose first 4 bytes are its version.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::V1(p) => p.as_ssz_bytes(),
        }
    }

    /// The V1 payload, if this is one.
    pub const fn as_v1(&self) -> Option<&FlashblocksPayloadV1> {
        match self {
            Self::V1(p) => Some(p),
        }
    }

    /// The V1 payload, if this is one.
    pub fn into_v1(self) -> Option<FlashblocksPayloadV1> {
        match self {
            Self::V1(p) => Some(p),
        }
    }
}

impl From<FlashblocksPayloadV1> for VersionedFlashblock {
    fn from(p: FlashblocksPayloadV1) -> Self {
        Self::V1(p)
    }
}

/// Decodes one SSZ frame with the owned `ethereum_ssz` derive decoder: reads the first 4
/// bytes, picks the container, decodes it. The reference of
/// [`PayloadViewV1::decode`](crate::PayloadViewV1::decode), which must accept and reject
/// exactly the same frames with the same errors.
///
/// # Errors
///
/// - [`CodecError::FrameTooShort`]: fewer than 4 bytes (`malformed`);
/// - [`CodecError::UnknownVersion`]: a version other than V1, read before any decoding
///   (`unknown_version`);
/// - [`CodecError::Ssz`]: V1 bytes that do not decode, or a list over its limit
///   (`malformed`).
///
/// ```
/// use flashblocks_types::reference::{decode_frame, VersionedFlashblock};
/// use flashblocks_types::{CodecError, FlashblocksPayloadV1};
///
/// let frame = FlashblocksPayloadV1 { index: 3, ..Default::default() }.encode_ssz();
/// let VersionedFlashblock::V1(fb) = decode_frame(&frame)? else { unreachable!() };
/// assert_eq!(fb.index, 3);
///
/// assert!(decode_frame(&[0, 0, 0]).unwrap_err().is_malformed());
/// assert!(decode_frame(&[0, 0, 0, 2, 0]).unwrap_err().is_unknown_version());
/// # Ok::<(), CodecError>(())
/// ```
pub fn decode_frame(frame: &[u8]) -> Result<VersionedFlashblock, CodecError> {
    let version = frame_version(frame)?;
    match version.0 {
        VERSION_V1 => FlashblocksPayloadV1::from_ssz_bytes(frame)
            .map(VersionedFlashblock::V1)
            .map_err(|e| CodecError::Ssz(SszError(e))),
        _ => Err(CodecError::UnknownVersion { version }),
    }
}
