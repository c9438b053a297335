//! JSON frames: plain or brotli-compressed JSON, told apart by content, with a cap on
//! the JSON text's size.

use super::{JsonMessage, PayloadEnd};
use crate::{CodecError, Flashblock};
use std::{borrow::Cow, io::Read};

/// The default cap on a JSON flashblock's text, after decompression: 16 MiB.
///
/// A flashblock's JSON is its transactions in hex (twice their size) plus a few
/// kilobytes; 16 MiB holds more than an OP block's worth of calldata at today's gas
/// limits, while a brotli bomb (a few kilobytes that expand into gigabytes) stops there.
pub const DEFAULT_MAX_JSON_LEN: usize = 16 * 1024 * 1024;

/// The buffer the brotli decoder reads its input through.
const BROTLI_BUFFER: usize = 4096;

/// Brotli quality used by [`JsonFrameReader::encode_brotli`]: high enough to shrink hex
/// well, low enough to keep up with a 200 ms stream.
const BROTLI_QUALITY: u32 = 5;

/// Brotli window (log2 of its size) used when compressing: the format's default.
const BROTLI_LGWIN: u32 = 22;

/// How a JSON frame is encoded, read from its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonFrameEncoding {
    /// Plain JSON text: the frame's first byte is `{`.
    Plain,
    /// Brotli-compressed JSON text: any other first byte.
    Brotli,
}

impl JsonFrameEncoding {
    /// Tells plain from brotli-compressed JSON by the frame's first byte.
    ///
    /// A flashblock is a JSON object, and every deployed sender writes it without
    /// leading whitespace, so plain JSON starts with `{` (0x7B). No valid brotli stream
    /// starts with that byte: read as a brotli stream header it declares a window of
    /// 2^22, then a meta-block with `ISLAST` and `ISLASTEMPTY` set (the end of the
    /// stream) followed by a non-zero padding bit, which decoders reject. Brotli has no
    /// magic number, so this is the whole test, and no frame is decoded twice.
    ///
    /// JSON with leading whitespace is therefore taken for brotli and fails as
    /// [`CodecError::Brotli`].
    pub fn detect(frame: &[u8]) -> Self {
        match frame.first() {
            Some(b'{') => Self::Plain,
            _ => Self::Brotli,
        }
    }
}

/// Reads JSON frames, plain or brotli-compressed, with a cap on the decompressed size.
///
/// ```
/// use flashblocks_types::{
///     CodecError, FlashblockJson, FlashblockSource, GeneratorConfig, JsonFrameReader,
///     SequenceGenerator,
/// };
///
/// let reader = JsonFrameReader::default();
/// let block = SequenceGenerator::new(1, GeneratorConfig::default()).next_block();
/// let plain = FlashblockJson::from_v1_lossy(&block[0], 1).to_vec();
/// let plain = plain.as_slice();
/// let compressed = JsonFrameReader::encode_brotli(plain);
/// assert!(compressed.len() < plain.len());
///
/// let a = reader.decode(plain)?;
/// let b = reader.decode(&compressed)?;
/// assert_eq!(a.source(), FlashblockSource::Json);
/// assert_eq!(a, b);
///
/// // A cap smaller than the text is a typed error.
/// let err = JsonFrameReader::new(100).decode(&compressed).unwrap_err();
/// assert_eq!(err, CodecError::JsonTooLarge { limit: 100 });
/// # Ok::<(), CodecError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonFrameReader {
    max_json_len: usize,
}

impl Default for JsonFrameReader {
    /// A reader with the [`DEFAULT_MAX_JSON_LEN`] cap.
    fn default() -> Self {
        Self::new(DEFAULT_MAX_JSON_LEN)
    }
}

impl JsonFrameReader {
    /// A reader that accepts JSON text of at most `max_json_len` bytes (after
    /// decompression; a plain frame is held to the same cap).
    pub const fn new(max_json_len: usize) -> Self {
        Self { max_json_len }
    }

    /// The cap on the JSON text's length, in bytes.
    pub const fn max_json_len(&self) -> usize {
        self.max_json_len
    }

    /// The JSON text of a frame: the frame itself when plain, its decompression when
    /// brotli. Memory stays bounded: decompression stops one byte past the cap, the
    /// output buffer grows (by doubling) to at most about twice the cap, and the brotli
    /// window is at most 16 MiB.
    ///
    /// # Errors
    ///
    /// - [`CodecError::JsonTooLarge`]: the text is longer than the cap (a brotli frame
    ///   stops decompressing there);
    /// - [`CodecError::Brotli`]: a frame that is not plain JSON is not a valid brotli
    ///   stream either.
    pub fn json_text<'a>(&self, frame: &'a [u8]) -> Result<Cow<'a, [u8]>, CodecError> {
        match JsonFrameEncoding::detect(frame) {
            JsonFrameEncoding::Plain if frame.len() > self.max_json_len => {
                Err(CodecError::JsonTooLarge { limit: self.max_json_len })
            }
            JsonFrameEncoding::Plain => Ok(Cow::Borrowed(frame)),
            JsonFrameEncoding::Brotli => self.decompress(frame).map(Cow::Owned),
        }
    }

    /// Decompresses a brotli stream, stopping one byte past the cap.
    fn decompress(&self, frame: &[u8]) -> Result<Vec<u8>, CodecError> {
        let limit = self.max_json_len;
        let reader = brotli::Decompressor::new(frame, BROTLI_BUFFER);
        // Read at most limit + 1 bytes: one more than allowed tells "too large" apart
        // from "exactly at the cap".
        let mut bounded = reader.take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1));
        // Start small: the capacity grows with what is actually produced, never beyond
        // limit + 1.
        let mut out = Vec::with_capacity(frame.len().saturating_mul(4).min(limit));
        bounded
            .read_to_end(&mut out)
            .map_err(|_| CodecError::Brotli { decompressed: out.len() })?;
        if out.len() > limit {
            return Err(CodecError::JsonTooLarge { limit });
        }
        Ok(out)
    }

    /// Reads a JSON frame, plain or brotli, into the input model (see
    /// [`Flashblock::from_json`]): the one decode of a JSON stream, the validator's and
    /// the conformance runner's. Its JSON form is [`Flashblock::into_json`].
    ///
    /// # Errors
    ///
    /// As [`json_text`](Self::json_text), and [`CodecError::Json`] for text that is not
    /// a JSON flashblock.
    pub fn decode(&self, frame: &[u8]) -> Result<Flashblock, CodecError> {
        let text = self.json_text(frame)?;
        super::from_text(&text).map(Flashblock::from_json)
    }

    /// Reads a frame of a JSON stream that may also carry X Layer's end of a sequence:
    /// a flashblock as [`decode`](Self::decode) reads it, or a [`PayloadEnd`] (exactly
    /// `{"payload_id": "0x…"}`, no other key), which is not a flashblock.
    ///
    /// ```
    /// use flashblocks_types::{JsonFrameReader, JsonMessage, PayloadEnd, PayloadId};
    ///
    /// let end = JsonFrameReader::default().decode_message(br#"{"payload_id":"0x0102030405060708"}"#)?;
    /// assert_eq!(end, JsonMessage::PayloadEnd(PayloadEnd { payload_id: PayloadId::new([1, 2, 3, 4, 5, 6, 7, 8]) }));
    /// // With any other key it is neither a flashblock nor an end: the flashblock's error.
    /// assert!(JsonFrameReader::default().decode_message(br#"{"payload_id":"0x0102030405060708","index":1}"#).is_err());
    /// # Ok::<(), flashblocks_types::CodecError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode) (for a frame that is neither).
    pub fn decode_message(&self, frame: &[u8]) -> Result<JsonMessage, CodecError> {
        let text = self.json_text(frame)?;
        match super::from_text(&text) {
            Ok(json) => Ok(JsonMessage::Flashblock(Flashblock::from_json(json))),
            Err(error) => match serde_json::from_slice::<PayloadEnd>(&text) {
                Ok(end) => Ok(JsonMessage::PayloadEnd(end)),
                Err(_) => Err(error),
            },
        }
    }

    /// Compresses JSON text into a brotli frame (quality 5, window 2^22), the form the
    /// deployed websocket streams send.
    pub fn encode_brotli(json: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(json.len() / 3 + 64);
        {
            let mut writer = brotli::CompressorWriter::new(
                &mut out,
                BROTLI_BUFFER,
                BROTLI_QUALITY,
                BROTLI_LGWIN,
            );
            // Writing into a `Vec` cannot fail.
            let _ = std::io::Write::write_all(&mut writer, json);
        } // dropping the writer finishes the stream
        out
    }
}
