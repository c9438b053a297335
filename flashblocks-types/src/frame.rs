//! Versioned framing: the first 4 bytes of a frame pick the container.

use crate::{CodecError, FlashblocksPayloadV1, SszError, VERSION_LEN, VERSION_V1};
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

/// Reads the version of a frame without decoding it.
///
/// # Errors
///
/// [`CodecError::FrameTooShort`] for fewer than 4 bytes.
pub fn frame_version(frame: &[u8]) -> Result<FixedBytes<4>, CodecError> {
    frame
        .first_chunk::<VERSION_LEN>()
        .map(|v| FixedBytes(*v))
        .ok_or(CodecError::FrameTooShort { len: frame.len() })
}

/// Decodes one SSZ frame: reads the first 4 bytes, picks the container, decodes it.
///
/// This is the [spec page](crate::spec)'s **Frame** check, the first of the validity rules.
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
/// use flashblocks_types::{decode_frame, CodecError, FlashblocksPayloadV1, VersionedFlashblock};
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
