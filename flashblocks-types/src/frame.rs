//! Versioned framing: the first 4 bytes of a frame pick the container.

use crate::{CodecError, VERSION_LEN};
use alloy_primitives::FixedBytes;

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
