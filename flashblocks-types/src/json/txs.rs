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
            let total = texts.iter().map(|t| digits(&t.0).len() / 2).sum();
            let mut buf = vec![0u8; total];
            let mut ends = Vec::with_capacity(texts.len());
            let mut start = 0;
            for HexStr(text) in &texts {
                let end = start + digits(text).len() / 2;
                let out = buf.get_mut(start..end).unwrap_or_default();
                hex::decode_to_slice(text.as_bytes(), out).map_err(|_| {
                    de::Error::invalid_value(de::Unexpected::Str(text), &"a valid hex string")
                })?;
                ends.push(end);
                start = end;
            }
            let shared = bytes::Bytes::from(buf);
            let mut start = 0;
            Ok(ends
                .into_iter()
                .map(|end| {
                    let tx = Bytes(shared.slice(start..end));
                    start = end;
                    tx
                })
                .collect())
        }
    }
    d.deserialize_seq(V)
}
