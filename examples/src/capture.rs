//! Captures: a file of flashblocks whose format is read from its content, never flagged.
//!
//! | content | format |
//! | --- | --- |
//! | splits exactly into frames, each preceded by its length as 4 bytes little-endian | [`CaptureFormat::LengthPrefixed`] |
//! | first non-blank byte `[` | [`CaptureFormat::JsonArray`] (the deployed JSON) |
//! | first non-blank byte `{`, one JSON value | [`CaptureFormat::JsonObject`] |
//! | first non-blank byte `{`, more than one | [`CaptureFormat::JsonLines`], one flashblock a line |
//! | anything else | [`CaptureFormat::LengthPrefixed`], reading as many frames as it can |
//!
//! A text file never splits exactly into length-prefixed frames (its first four bytes
//! read as a length far past its end), and a binary capture never starts with a blank
//! and a bracket unless its first frame happens to be 91 or 123 bytes long and its
//! frames do not split exactly, which is why the exact split is tried first.
//!
//! Each frame of a length-prefixed capture is told apart by its first bytes
//! ([`FrameEncoding::detect`]): SSZ when they are a known version (`0x00000001`), plain
//! JSON when the first is `{`, brotli-compressed JSON otherwise.

use crate::{frames::read_length_prefixed_lossy, Error};
use flashblocks_node::pipeline::FrameEncoding;
use flashblocks_validate::RuleSet;
use serde_json::value::RawValue;

/// How a capture's flashblocks are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// A JSON array of flashblock objects.
    JsonArray,
    /// One flashblock object.
    JsonObject,
    /// One flashblock object per line.
    JsonLines,
    /// Frames each preceded by their length (4 bytes, little-endian).
    LengthPrefixed,
}

impl CaptureFormat {
    /// A short name, for output.
    pub const fn name(self) -> &'static str {
        match self {
            Self::JsonArray => "JSON array",
            Self::JsonObject => "JSON object",
            Self::JsonLines => "JSON lines",
            Self::LengthPrefixed => "length-prefixed frames",
        }
    }
}

/// A capture split into frames.
#[derive(Debug)]
pub struct Capture {
    /// Its format.
    pub format: CaptureFormat,
    /// Its frames, in order: each a flashblock's bytes (SSZ, JSON text, or brotli).
    pub frames: Vec<Vec<u8>>,
    /// What stopped the reading early, if anything (a truncated length-prefixed file).
    pub truncated: Option<Error>,
}

impl Capture {
    /// The rule set to validate the capture with: from its first frame's encoding
    /// (JSON when it has no frames).
    pub fn rule_set(&self) -> RuleSet {
        self.frames.first().map_or(RuleSet::Json, |f| FrameEncoding::detect(f).rule_set())
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Splits a capture into frames, its format detected from the content (see the module
/// docs).
///
/// ```
/// use flashblocks_examples::capture::{read_capture, CaptureFormat};
///
/// let capture = read_capture(b"{\"a\": 1}\n{\"a\": 2}\n")?;
/// assert_eq!(capture.format, CaptureFormat::JsonLines);
/// assert_eq!(capture.frames, [b"{\"a\": 1}".to_vec(), b"{\"a\": 2}".to_vec()]);
/// let capture = read_capture(b" [ {\"a\": 1}, {\"b\": [2]} ]")?;
/// assert_eq!(capture.format, CaptureFormat::JsonArray);
/// assert_eq!(capture.frames[1], b"{\"b\": [2]}");
/// # Ok::<(), flashblocks_examples::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::EmptyCapture`], or [`Error::CaptureJson`] for a JSON array or object that
/// does not parse. JSON lines that do not parse and a truncated length-prefixed tail are
/// not errors here: each bad line is a frame the decoder rejects, and the truncation is
/// in [`Capture::truncated`].
pub fn read_capture(bytes: &[u8]) -> Result<Capture, Error> {
    let first = bytes.iter().position(|b| !is_blank(*b)).ok_or(Error::EmptyCapture)?;
    let (frames, truncated) = read_length_prefixed_lossy(bytes);
    if truncated.is_none() && !frames.is_empty() {
        return Ok(Capture { format: CaptureFormat::LengthPrefixed, frames, truncated: None });
    }
    let text = bytes.get(first..).unwrap_or_default();
    match text.first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_slice(text)
                .map_err(|error| Error::CaptureJson { format: "JSON array", error })?;
            let frames = items.iter().map(|raw| raw.get().as_bytes().to_vec()).collect();
            Ok(Capture { format: CaptureFormat::JsonArray, frames, truncated: None })
        }
        Some(b'{') => {
            if serde_json::from_slice::<&RawValue>(text).is_ok() {
                let end = text.iter().rposition(|b| !is_blank(*b)).map_or(0, |i| i + 1);
                let frame = text.get(..end).unwrap_or_default().to_vec();
                return Ok(Capture {
                    format: CaptureFormat::JsonObject,
                    frames: vec![frame],
                    truncated: None,
                });
            }
            let frames = text
                .split(|b| *b == b'\n')
                .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
                .filter(|line| line.iter().any(|b| !is_blank(*b)))
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>();
            if frames.len() == 1 {
                // One object over several lines that does not parse: say why.
                let source = serde_json::from_slice::<&RawValue>(text).err();
                if let Some(source) = source {
                    return Err(Error::CaptureJson { format: "JSON object", error: source });
                }
            }
            Ok(Capture { format: CaptureFormat::JsonLines, frames, truncated: None })
        }
        _ => Ok(Capture { format: CaptureFormat::LengthPrefixed, frames, truncated }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::write_length_prefixed;

    #[test]
    fn formats_are_detected() {
        let object = br#"{"index": 0,
  "x": [1, 2]}"#;
        let c = read_capture(object).unwrap();
        assert_eq!((c.format, c.frames.len()), (CaptureFormat::JsonObject, 1));
        assert_eq!(c.frames[0], object.to_vec());

        let lines = b"{\"i\":0}\r\n\n{\"i\":1}\nnot json\n";
        let c = read_capture(lines).unwrap();
        assert_eq!(c.format, CaptureFormat::JsonLines);
        assert_eq!(c.frames, [b"{\"i\":0}".to_vec(), b"{\"i\":1}".to_vec(), b"not json".to_vec()]);

        // A first frame of 123 bytes starts with `{` and still reads as frames.
        let frames = vec![vec![0u8; 123], vec![1, 2, 3]];
        let c = read_capture(&write_length_prefixed(&frames)).unwrap();
        assert_eq!(c.format, CaptureFormat::LengthPrefixed);
        assert_eq!(c.frames, frames);

        // A truncated one reads as far as it can and says where it stopped.
        let mut file = write_length_prefixed(&[vec![0, 0, 0, 1], vec![7; 10]]);
        file.truncate(file.len() - 3);
        let c = read_capture(&file).unwrap();
        assert_eq!(c.frames, [vec![0, 0, 0, 1]]);
        assert!(matches!(
            c.truncated,
            Some(Error::Truncated { frame: 1, needed: 10, available: 7, .. })
        ));
        assert_eq!(c.rule_set(), RuleSet::V1);

        assert!(matches!(read_capture(b" \n"), Err(Error::EmptyCapture)));
        assert!(matches!(read_capture(b"[{]"), Err(Error::CaptureJson { .. })));
    }
}
