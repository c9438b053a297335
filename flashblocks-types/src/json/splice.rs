//! The fast path of the JSON decode: the two large parts of a flashblock's text,
//! `diff.transactions` and `metadata.new_account_balances`, read by a scanner of our
//! own, the rest by `serde_json`.
//!
//! A large flashblock's text is mostly its transactions in hex (400 KB of the bench
//! flashblock's 440 KB) and its balances. `serde_json` reads every string byte by byte
//! (its escape scan, then UTF-8 validation) before the hex decoder sees it, and `ruint`
//! parses each balance digit by digit. Here a small structural scanner finds the two
//! parts, finds each string's end with `memchr` and decodes the hex with `const-hex`
//! (SIMD): the transactions into one buffer they all share, each balance into a
//! big-endian word. `serde_json` then reads a copy of the text with those parts replaced
//! by `[]` and `{}`, and the decoded parts are put in their place.
//!
//! The result is exactly the derive decode's (`serde_json::from_slice` of
//! [`FlashblockJson`]). A part is taken only when it is plain: an array of `"0x"` strings
//! of an even number of hex digits; an object whose keys are `"0x"` and 40 hex digits and
//! whose values are `"0x"` and 1 to 64 hex digits; JSON whitespace between tokens, no
//! escapes. Every key the scanner reads on its way must be free of escapes too.
//! Otherwise, and whenever `serde_json` rejects the shortened text, the original text is
//! read by the derive decode, which gives its own value or error. Why that is exact: when
//! `serde_json` accepts the shortened text, that text is valid JSON, which the scanner
//! tokenizes as `serde_json` does, so each part stood where the derive decode reads that
//! field; a plain part reads there to the very value the scanner decoded (for balances,
//! the later of two equal addresses wins, as with one map insertion per entry), and
//! leaves the parser where `[]` or `{}` leaves it.
//!
//! Hostile text costs linear time (the scanner moves forward only, and skips nested
//! values with a depth counter instead of recursion) and memory within a few times the
//! text's length, which the frame reader caps.

use super::FlashblockJson;
use alloy_primitives::{hex, Address, Bytes, U256};
use std::{collections::BTreeMap, ops::Range};

/// Reads JSON text into the model: the fast path when the text allows, else the derive
/// decode.
pub(super) fn from_text(text: &[u8]) -> Result<FlashblockJson, serde_json::Error> {
    if let Some(parts) = Parts::scan(text) {
        if let Ok(mut json) = serde_json::from_slice::<FlashblockJson>(&parts.shortened(text)) {
            if let Some((_, transactions)) = parts.transactions {
                json.diff.transactions = transactions;
            }
            if let Some((_, balances)) = parts.balances {
                json.metadata.new_account_balances = Some(balances);
            }
            return Ok(json);
        }
    }
    serde_json::from_slice(text)
}

/// The plain parts the scanner read: where each stood in the text, and its value.
#[derive(Default)]
struct Parts {
    transactions: Option<(Range<usize>, Vec<Bytes>)>,
    balances: Option<(Range<usize>, BTreeMap<Address, U256>)>,
}

impl Parts {
    /// Scans the top-level object; `None` when the text is left to the derive decode
    /// (not an object, a key with an escape, no plain part).
    fn scan(text: &[u8]) -> Option<Self> {
        let mut scan = Scanner { text, pos: 0 };
        let mut parts = Self::default();
        scan.object(|scan, key| match key {
            b"diff" => scan.object(|scan, key| match key {
                b"transactions" if parts.transactions.is_none() => {
                    parts.transactions = scan.part(Scanner::transactions)?;
                    Some(())
                }
                _ => scan.skip_value(),
            }),
            b"metadata" => scan.object(|scan, key| match key {
                b"new_account_balances" if parts.balances.is_none() => {
                    parts.balances = scan.part(Scanner::balances)?;
                    Some(())
                }
                _ => scan.skip_value(),
            }),
            _ => scan.skip_value(),
        })?;
        (parts.transactions.is_some() || parts.balances.is_some()).then_some(parts)
    }

    /// The text with each part replaced by its empty value (`[]`, `{}`).
    fn shortened(&self, text: &[u8]) -> Vec<u8> {
        let mut cuts: Vec<(Range<usize>, &[u8])> = Vec::with_capacity(2);
        if let Some((range, _)) = &self.transactions {
            cuts.push((range.clone(), b"[]"));
        }
        if let Some((range, _)) = &self.balances {
            cuts.push((range.clone(), b"{}"));
        }
        cuts.sort_by_key(|(range, _)| range.start);
        let removed: usize = cuts.iter().map(|(range, _)| range.len()).sum();
        let mut out = Vec::with_capacity(text.len().saturating_sub(removed) + 4);
        let mut at = 0;
        for (range, empty) in cuts {
            out.extend_from_slice(text.get(at..range.start).unwrap_or_default());
            out.extend_from_slice(empty);
            at = range.end;
        }
        out.extend_from_slice(text.get(at..).unwrap_or_default());
        out
    }
}

/// 1 to 64 hex digits (after `0x`) as a `U256`, the value `ruint`'s parser gives;
/// `None` for anything else.
fn quantity(digits: &[u8]) -> Option<U256> {
    if digits.is_empty() || digits.len() > 64 {
        return None;
    }
    // Decoded straight into the low end of a big-endian word; an odd count's first digit
    // is a byte of its own.
    let mut word = [0u8; 32];
    let (first, pairs) = match digits.len() % 2 {
        0 => (None, digits),
        _ => (Some(nibble(*digits.first()?)?), digits.get(1..)?),
    };
    let start = 32 - pairs.len() / 2;
    hex::decode_to_slice(pairs, word.get_mut(start..)?).ok()?;
    if let Some(first) = first {
        *word.get_mut(start.checked_sub(1)?)? = first;
    }
    Some(U256::from_be_bytes(word))
}

/// One hex digit's value.
const fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// A forward-only reader of JSON structure. Every method returns `None` where the text
/// is not what the fast path takes.
struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace and the byte `b`.
    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Reads the object at the current position, calling `member` at each member's
    /// value with its key (free of escapes); `member` reads the value.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let rest = self.rest();
            let len = memchr::memchr2(b'"', b'\\', rest)?;
            if rest.get(len) != Some(&b'"') {
                return None; // an escape in a key
            }
            let key = rest.get(..len)?;
            self.pos += len + 1;
            self.eat(b':')?;
            self.skip_whitespace();
            member(self, key)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads a value with `read` when it is plain, with where it stood; else skips it
    /// (it stays in the text for the derive decode) and gives `Some(None)`.
    fn part<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<Option<(Range<usize>, T)>> {
        let start = self.pos;
        if let Some(value) = read(self) {
            return Some(Some((start..self.pos, value)));
        }
        self.pos = start;
        self.skip_value()?;
        Some(None)
    }

    /// Skips the rest of a string whose opening quote has been read.
    fn skip_string(&mut self) -> Option<()> {
        loop {
            let rest = self.rest();
            let at = memchr::memchr2(b'"', b'\\', rest)?;
            if rest.get(at) == Some(&b'"') {
                self.pos += at + 1;
                return Some(());
            }
            self.pos += at + 2; // the backslash and the byte it escapes
        }
    }

    /// Skips one value of valid JSON. (What it does with invalid JSON does not matter:
    /// `serde_json` rejects the shortened text then.)
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                b'{' | b'[' => {
                    self.pos += 1;
                    depth += 1;
                }
                b'}' | b']' => {
                    self.pos += 1;
                    depth = depth.checked_sub(1)?;
                }
                b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' if depth > 0 => self.pos += 1,
                _ => {
                    // A number or a literal: up to the next delimiter.
                    while !matches!(
                        self.peek(),
                        None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                    ) {
                        self.pos += 1;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// Reads `"0x` and the rest of a string up to its closing quote, giving the digits.
    fn hex_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = self.rest().strip_prefix(b"0x")?;
        let len = memchr::memchr(b'"', rest)?;
        self.pos += 2 + len + 1;
        rest.get(..len)
    }

    /// Skips whitespace, then `,` (true: more items follow) or `close` (false).
    fn next_item(&mut self, close: u8) -> Option<bool> {
        self.skip_whitespace();
        let b = self.peek()?;
        self.pos += 1;
        match b {
            b',' => Some(true),
            _ if b == close => Some(false),
            _ => None,
        }
    }

    /// Skips whitespace and `open`, then tells whether the list is empty (and if so
    /// reads its `close`).
    fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.eat(open)?;
        self.skip_whitespace();
        let empty = self.peek()? == close;
        if empty {
            self.pos += 1;
        }
        Some(empty)
    }

    /// A plain `diff.transactions`: the hex decoded into one shared buffer.
    fn transactions(&mut self) -> Option<Vec<Bytes>> {
        let mut digits: Vec<&'a [u8]> = Vec::new();
        if !self.open(b'[', b']')? {
            loop {
                digits.push(self.hex_string()?);
                if !self.next_item(b']')? {
                    break;
                }
            }
        }
        super::txs::shared(digits.into_iter()).ok()
    }

    /// A plain `metadata.new_account_balances`.
    fn balances(&mut self) -> Option<BTreeMap<Address, U256>> {
        let mut entries: Vec<(Address, U256)> = Vec::new();
        if !self.open(b'{', b'}')? {
            loop {
                // `"0x`, 40 digits and `"`: read in place.
                self.eat(b'"')?;
                let key = self.rest().get(..43)?;
                if !(key.starts_with(b"0x") && key.get(42) == Some(&b'"')) {
                    return None;
                }
                let address = Address::from(hex::decode_to_array::<_, 20>(key.get(2..42)?).ok()?);
                self.pos += 43;
                self.eat(b':')?;
                let value = self.hex_string()?;
                let balance = quantity(value)?;
                entries.push((address, balance));
                if !self.next_item(b'}')? {
                    break;
                }
            }
        }
        // Sorted by address (stable: equal addresses keep their order), the later of
        // equal addresses kept (`dedup_by` keeps the first of a run, so it takes the
        // later value first), then the map built in one go.
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            entries.sort_by_key(|(address, _)| *address);
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1 = later.1;
                }
                same
            });
        }
        Some(entries.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `quantity` gives `ruint`'s value for every digit count, both cases, odd and
    /// even, and refuses what is not 1 to 64 hex digits.
    #[test]
    fn quantity_is_ruints_parse() {
        let digits = b"0123456789abcdefABCDEF";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 1..=64 {
            for _ in 0..20 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        digits[(state % digits.len() as u64) as usize]
                    })
                    .collect();
                let as_str = std::str::from_utf8(&text).expect("ASCII");
                let expected: U256 = format!("0x{as_str}").parse().expect("ruint parses");
                assert_eq!(quantity(&text), Some(expected), "0x{as_str}");
            }
        }
        for bad in [&b""[..], b"g", b"1g", b"0x1", b" 1", &[b'1'; 65][..]] {
            assert_eq!(quantity(bad), None, "{bad:?}");
        }
    }
}
