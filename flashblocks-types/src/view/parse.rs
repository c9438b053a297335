//! The one place the view checks offsets, lengths and limits.
//!
//! Each function mirrors, check for check and in the same order, what `ethereum_ssz`
//! (0.10) and the crate's `#[ssz(with = ...)]` limit modules do when the owned
//! [`FlashblocksPayloadV1`](crate::FlashblocksPayloadV1) is decoded, and returns the
//! same [`DecodeError`]: so the view rejects exactly the bytes the owned decoder
//! rejects, with the same error. The property tests and the fuzz target `view_decode`
//! hold the two to that.

use ssz::{DecodeError, BYTES_PER_LENGTH_OFFSET};

/// A field of a container: fixed-size (its length) or variable-size (an offset).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Field {
    /// A fixed-size field of this many bytes.
    Fixed(usize),
    /// A variable-size field, found through a 4-byte offset.
    Var,
}

/// A validated byte range `start..end` of the frame.
pub(crate) type Span = (usize, usize);

/// Reads a 4-byte little-endian offset at the start of `bytes` (`read_offset`).
///
/// Stops: fewer than 4 bytes left where an offset must be.
#[inline]
pub(crate) fn read_offset(bytes: &[u8]) -> Result<usize, DecodeError> {
    bytes.first_chunk::<BYTES_PER_LENGTH_OFFSET>().map(|b| u32::from_le_bytes(*b) as usize).ok_or(
        DecodeError::InvalidLengthPrefix { len: bytes.len(), expected: BYTES_PER_LENGTH_OFFSET },
    )
}

/// `sanitize_offset`: the checks on one offset.
///
/// Stops: an offset into the fixed part, a first offset that skips bytes, an offset past
/// the end, offsets that decrease.
#[inline]
fn sanitize_offset(
    offset: usize,
    previous: Option<usize>,
    len: usize,
    fixed: Option<usize>,
) -> Result<usize, DecodeError> {
    if fixed.is_some_and(|f| offset < f) {
        Err(DecodeError::OffsetIntoFixedPortion(offset))
    } else if previous.is_none() && fixed.is_some_and(|f| offset != f) {
        Err(DecodeError::OffsetSkipsVariableBytes(offset))
    } else if offset > len {
        Err(DecodeError::OffsetOutOfBounds(offset))
    } else if previous.is_some_and(|p| p > offset) {
        Err(DecodeError::OffsetsAreDecreasing(offset))
    } else {
        Ok(offset)
    }
}

/// Splits a container's bytes into its fields' spans (relative to `bytes`), as the
/// derived decoder's `SszDecoderBuilder` does.
///
/// Stops: a fixed part cut short, a bad offset (see [`sanitize_offset`]), a first offset
/// that does not point right after the fixed part, excess bytes after an all-fixed
/// container.
#[inline(always)] // with its const field table, the checks fold into straight-line code
pub(crate) fn container<const N: usize>(
    bytes: &[u8],
    fields: &[Field; N],
) -> Result<[Span; N], DecodeError> {
    let len = bytes.len();
    let mut spans = [(0usize, 0usize); N];
    // (field position, offset) of the variable fields, in order; at most N.
    let mut offsets = [(0usize, 0usize); N];
    let mut var_count: usize = 0;
    let mut index = 0;
    for (position, field) in fields.iter().enumerate() {
        match *field {
            Field::Fixed(size) => {
                let end = index + size;
                if end > len {
                    return Err(DecodeError::InvalidByteLength { len, expected: end });
                }
                if let Some(span) = spans.get_mut(position) {
                    *span = (index, end);
                }
                index = end;
            }
            Field::Var => {
                let previous = var_count
                    .checked_sub(1)
                    .and_then(|i| offsets.get(i))
                    .map(|&(_, offset): &(usize, usize)| offset);
                let offset = read_offset(bytes.get(index..).unwrap_or_default())?;
                let offset = sanitize_offset(offset, previous, len, None)?;
                if let Some(slot) = offsets.get_mut(var_count) {
                    *slot = (position, offset);
                }
                var_count += 1;
                index += BYTES_PER_LENGTH_OFFSET;
            }
        }
    }
    let offsets = offsets.get(..var_count).unwrap_or_default();
    match offsets.first() {
        Some(&(_, first)) => {
            if first < index {
                return Err(DecodeError::OffsetIntoFixedPortion(first));
            }
            if first > index {
                return Err(DecodeError::OffsetSkipsVariableBytes(first));
            }
            for (i, &(position, start)) in offsets.iter().enumerate() {
                let end = offsets.get(i + 1).map_or(len, |&(_, next)| next);
                if let Some(span) = spans.get_mut(position) {
                    *span = (start, end);
                }
            }
        }
        None if index != len => {
            return Err(DecodeError::InvalidByteLength { len, expected: index });
        }
        None => {}
    }
    Ok(spans)
}

/// Splits a `Union[None, T]` (`Option<T>`'s decoder): `None`, or `Some` with the value's
/// bytes.
///
/// Stops: no selector byte, a selector other than 0 or 1, a `None` followed by bytes.
#[inline]
pub(crate) fn union(bytes: &[u8]) -> Result<Option<&[u8]>, DecodeError> {
    let Some((&selector, body)) = bytes.split_first() else {
        return Err(DecodeError::OutOfBoundsByte { i: 0 });
    };
    match selector {
        0 if body.is_empty() => Ok(None),
        0 => Err(DecodeError::InvalidByteLength { len: body.len(), expected: 0 }),
        1 => Ok(Some(body)),
        // Above MAX_UNION_SELECTOR, or a selector this two-variant union lacks.
        other => Err(DecodeError::UnionSelectorInvalid(other)),
    }
}

/// A union of a fixed-size value of `size` bytes.
///
/// Stops: as [`union`], and a value of another length.
#[inline]
pub(crate) fn fixed_union(bytes: &[u8], size: usize) -> Result<Option<&[u8]>, DecodeError> {
    match union(bytes)? {
        Some(body) if body.len() != size => {
            Err(DecodeError::InvalidByteLength { len: body.len(), expected: size })
        }
        value => Ok(value),
    }
}

/// The crate's error for a list or byte list over its schema limit (the same text as the
/// owned decoder's).
pub(crate) fn over_limit(field: &str, len: usize, max: usize) -> DecodeError {
    DecodeError::BytesInvalid(format!("{field}: length {len} exceeds the limit {max}"))
}

/// A list of fixed-size items: its item count.
///
/// Stops: a length that is not a whole number of items, more items than the limit.
#[inline]
pub(crate) fn fixed_list(
    field: &str,
    bytes: &[u8],
    item_len: usize,
    max: usize,
) -> Result<usize, DecodeError> {
    if !bytes.len().is_multiple_of(item_len) {
        return Err(DecodeError::InvalidByteLength {
            len: bytes.len(),
            expected: bytes.len() / item_len * item_len + item_len,
        });
    }
    let count = bytes.len() / item_len;
    if count > max {
        return Err(over_limit(field, count, max));
    }
    Ok(count)
}

/// A list of variable-size items (`decode_list_of_variable_length_items`): checks the
/// offset table and hands each item's bytes, in order, to `item`, interleaved as the
/// owned decoder does (item `i` is decoded before offset `i + 1` is read). Returns the
/// item count.
///
/// Stops: a short or misaligned offset table, more items than the limit, a bad offset
/// (see [`sanitize_offset`]), and whatever `item` stops.
#[inline]
pub(crate) fn var_list(
    bytes: &[u8],
    max: usize,
    mut item: impl FnMut(&[u8]) -> Result<(), DecodeError>,
) -> Result<usize, DecodeError> {
    if bytes.is_empty() {
        return Ok(0);
    }
    let len = bytes.len();
    let first = read_offset(bytes)?;
    sanitize_offset(first, None, len, Some(first))?;
    if !first.is_multiple_of(BYTES_PER_LENGTH_OFFSET) || first < BYTES_PER_LENGTH_OFFSET {
        return Err(DecodeError::InvalidListFixedBytesLen(first));
    }
    let count = first / BYTES_PER_LENGTH_OFFSET;
    if count > max {
        return Err(DecodeError::BytesInvalid(format!(
            "Variable length list of {count} items exceeds maximum of {:?}",
            Some(max)
        )));
    }
    let mut offset = first;
    for i in 1..=count {
        let start = offset;
        if i < count {
            let next = read_offset(bytes.get(i * BYTES_PER_LENGTH_OFFSET..).unwrap_or_default())?;
            offset = sanitize_offset(next, Some(offset), len, Some(first))?;
        } else {
            offset = len;
        }
        let slice = bytes.get(start..offset).ok_or(DecodeError::OutOfBoundsByte { i: offset })?;
        item(slice)?;
    }
    Ok(count)
}

/// The bytes of item `i` of a validated list of variable-size items (`None` past the
/// end): reads two offsets, no checks left to do.
#[inline]
pub(crate) fn var_item(bytes: &[u8], count: usize, i: usize) -> Option<Span> {
    if i >= count {
        return None;
    }
    let at = i * BYTES_PER_LENGTH_OFFSET;
    let start = read_offset(bytes.get(at..)?).ok()?;
    let end = if i + 1 == count {
        bytes.len()
    } else {
        read_offset(bytes.get(at + BYTES_PER_LENGTH_OFFSET..)?).ok()?
    };
    Some((start, end))
}
