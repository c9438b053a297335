//! Length-prefixed frame files: each frame preceded by its length as 4 bytes
//! little-endian.

use crate::Error;

/// Splits a length-prefixed file into its frames.
///
/// # Errors
///
/// [`Error::Truncated`] if the file ends inside a prefix or a frame.
pub fn read_length_prefixed(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    match read_length_prefixed_lossy(bytes) {
        (frames, None) => Ok(frames),
        (_, Some(err)) => Err(err),
    }
}

/// Splits a length-prefixed file into as many frames as it holds: the complete frames,
/// and the truncation that stopped the reading, if any.
pub fn read_length_prefixed_lossy(bytes: &[u8]) -> (Vec<Vec<u8>>, Option<Error>) {
    let mut frames = Vec::new();
    let mut rest = bytes;
    let mut offset = 0;
    while !rest.is_empty() {
        let frame = frames.len();
        let truncated = |needed, available| Error::Truncated { frame, offset, needed, available };
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return (frames, Some(truncated(4, rest.len())));
        };
        let len = u32::from_le_bytes(*len) as usize;
        let Some((frame, tail)) = tail.split_at_checked(len) else {
            return (frames, Some(truncated(len, tail.len())));
        };
        frames.push(frame.to_vec());
        offset += 4 + len;
        rest = tail;
    }
    (frames, None)
}

/// Writes frames as a length-prefixed file.
pub fn write_length_prefixed(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(frame);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let frames = vec![vec![1, 2, 3], vec![], vec![9; 300]];
        let file = write_length_prefixed(&frames);
        assert_eq!(file.len(), 3 * 4 + 303);
        assert_eq!(read_length_prefixed(&file).unwrap(), frames);
        let err = read_length_prefixed(&file[..file.len() - 1]).unwrap_err();
        assert!(matches!(
            err,
            Error::Truncated { frame: 2, offset: 11, needed: 300, available: 299 }
        ));
        let err = read_length_prefixed(&file[..2]).unwrap_err();
        assert!(matches!(err, Error::Truncated { frame: 0, offset: 0, needed: 4, available: 2 }));
    }
}
