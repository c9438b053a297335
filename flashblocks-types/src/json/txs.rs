//! `diff.transactions` read fast: the hex strings borrowed from the text (when they hold
//! no escapes, as deployed streams never do), decoded into one buffer that every
//! transaction shares (one allocation for the list, not one per transaction).

use alloy_primitives::{hex, Bytes};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use std::{borrow::Cow, fmt};

/// One `0x`-hex string of the list, borrowed when the text allows.
struct HexStr<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for HexStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HexStr<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a transaction as a 0x-hex string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(HexStr(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(HexStr(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(HexStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The hex digits of a string, without its optional `0x` prefix.
fn digits(text: &str) -> &str {
    text.strip_prefix("0x").unwrap_or(text)
}

/// Decodes hex digit strings (without `0x`) into one buffer that every returned `Bytes`
/// shares (one allocation for the list, not one per string); `Err(i)` names the first
/// string that is not hex of an even length. The derive decode (below) and the fast
/// path (`splice`) both use it.
pub(super) fn shared<'t>(
    digits: impl Iterator<Item = &'t [u8]> + Clone,
) -> Result<Vec<Bytes>, usize> {
    let total = digits.clone().map(|d| d.len() / 2).sum();
    let mut buf = vec![0u8; total];
    let mut start = 0;
    for (i, d) in digits.clone().enumerate() {
        let end = start + d.len() / 2;
        let out = buf.get_mut(start..end).ok_or(i)?;
        hex::decode_to_slice(d, out).map_err(|_| i)?;
        start = end;
    }
    let shared = bytes::Bytes::from(buf);
    let mut start = 0;
    Ok(digits
        .map(|d| {
            let end = start + d.len() / 2;
            let tx = Bytes(shared.slice(start..end));
            start = end;
            tx
        })
        .collect())
}

/// Reads a JSON array of `0x`-hex strings as `Vec<Bytes>` whose items share one buffer.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Bytes>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Bytes>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of transactions as 0x-hex strings")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Bytes>, A::Error> {
            // The strings first (borrowed: no copy), then one buffer of their total
            // decoded size, which is at most half the text's.
            let mut texts: Vec<HexStr<'de>> = Vec::new();
            while let Some(text) = seq.next_element::<HexStr<'de>>()? {
                texts.push(text);
            }
            shared(texts.iter().map(|HexStr(text)| digits(text).as_bytes())).map_err(|i| {
                let text = texts.get(i).map_or("", |HexStr(text)| text);
                de::Error::invalid_value(de::Unexpected::Str(text), &"a valid hex string")
            })
        }
    }
    d.deserialize_seq(V)
}
