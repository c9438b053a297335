//! Versioned framing: the first 4 bytes of a frame pick the container.

use crate::{CodecError, VERSION_LEN};
use alloy_primitives::FixedBytes;

/// The bytes of a frame, as the decoders take them: [`bytes::Bytes`] (as websocket
/// libraries hand frames out), alloy's `Bytes` or a `Vec<u8>` without a copy, a borrowed
/// slice copied once (transactions then share that copy).
///
/// ```
/// use flashblocks_types::{Flashblock, FlashblocksPayloadV1};
///
/// let frame: Vec<u8> = FlashblocksPayloadV1::default().encode_ssz();
/// let from_slice = Flashblock::decode_v1(frame.as_slice())?;
/// let shared = bytes::Bytes::from(frame);
/// let from_bytes = Flashblock::decode_v1(shared.clone())?;
/// assert_eq!(from_slice, from_bytes);
/// # Ok::<(), flashblocks_types::CodecError>(())
/// ```
pub trait FrameBytes {
    /// The frame as one shared buffer.
    fn into_frame(self) -> bytes::Bytes;
}

impl FrameBytes for bytes::Bytes {
    fn into_frame(self) -> bytes::Bytes {
        self
    }
}

impl FrameBytes for alloy_primitives::Bytes {
    fn into_frame(self) -> bytes::Bytes {
        self.0
    }
}

impl FrameBytes for Vec<u8> {
    fn into_frame(self) -> bytes::Bytes {
        self.into()
    }
}

impl FrameBytes for &[u8] {
    fn into_frame(self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self)
    }
}

impl FrameBytes for &Vec<u8> {
    fn into_frame(self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self)
    }
}

impl<const N: usize> FrameBytes for &[u8; N] {
    fn into_frame(self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self)
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
