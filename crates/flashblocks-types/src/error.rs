//! The crate's error type.

use alloy_primitives::FixedBytes;
use core::fmt;

/// Why bytes or a value could not be read as, written as, or converted into a flashblock.
///
/// The spec page's rule ids map onto it as: [`FrameTooShort`](Self::FrameTooShort) and
/// [`Ssz`](Self::Ssz) are `malformed`; [`UnknownVersion`](Self::UnknownVersion) is
/// `unknown_version` (see [`is_malformed`](Self::is_malformed)).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The frame is shorter than the 4-byte version prefix.
    #[error("frame of {len} bytes is shorter than the 4-byte version")]
    FrameTooShort {
        /// The frame's length.
        len: usize,
    },
    /// The frame's first 4 bytes name no version this crate knows.
    #[error("unknown flashblock version {version}")]
    UnknownVersion {
        /// The version bytes read.
        version: FixedBytes<4>,
    },
    /// The bytes carry a known version but do not decode as its container.
    #[error("malformed SSZ: {0}")]
    Ssz(#[from] SszError),
    /// A conformance vector's neutral JSON (see [`vectors`](crate::vectors)) has a field
    /// missing or of the wrong type.
    #[error("vector field `{field}` is missing or invalid")]
    InvalidVectorField {
        /// The field's name.
        field: String,
    },
}

impl CodecError {
    /// Whether this is the spec page's `malformed` (a short frame or bytes that do not
    /// decode).
    pub const fn is_malformed(&self) -> bool {
        matches!(self, Self::FrameTooShort { .. } | Self::Ssz(_))
    }

    /// Whether this is the spec page's `unknown_version`.
    pub const fn is_unknown_version(&self) -> bool {
        matches!(self, Self::UnknownVersion { .. })
    }
}

/// An SSZ decoding failure: [`ssz::DecodeError`] with `Display` and `Error`, which it
/// lacks.
#[derive(Clone, Debug, PartialEq)]
pub struct SszError(pub ssz::DecodeError);

impl SszError {
    /// The underlying `ethereum_ssz` error.
    pub const fn inner(&self) -> &ssz::DecodeError {
        &self.0
    }
}

impl From<ssz::DecodeError> for SszError {
    fn from(e: ssz::DecodeError) -> Self {
        Self(e)
    }
}

impl From<ssz::DecodeError> for CodecError {
    fn from(e: ssz::DecodeError) -> Self {
        Self::Ssz(SszError(e))
    }
}

impl fmt::Display for SszError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ssz::DecodeError as E;
        match &self.0 {
            E::InvalidByteLength { len, expected } => {
                write!(f, "{len} bytes where {expected} were expected")
            }
            E::InvalidLengthPrefix { len, expected } => {
                write!(f, "length prefix of {len} bytes, expected {expected}")
            }
            E::OutOfBoundsByte { i } => write!(f, "offset points out of bounds, at byte {i}"),
            E::OffsetIntoFixedPortion(o) => write!(f, "offset {o} points into the fixed part"),
            E::OffsetSkipsVariableBytes(o) => {
                write!(f, "first offset {o} does not point right after the fixed part")
            }
            E::OffsetsAreDecreasing(o) => write!(f, "offsets decrease, at offset {o}"),
            E::OffsetOutOfBounds(o) => write!(f, "offset {o} is past the end"),
            E::InvalidListFixedBytesLen(n) => {
                write!(f, "list offset table of {n} bytes is not a multiple of 4")
            }
            E::ZeroLengthItem => f.write_str("zero-length item"),
            E::BytesInvalid(why) => f.write_str(why),
            E::UnionSelectorInvalid(s) => write!(f, "union selector {s} does not exist"),
            E::NoMatchingVariant => f.write_str("no matching variant"),
        }
    }
}

impl std::error::Error for SszError {}
