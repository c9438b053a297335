//! The JSON decode's fast path (its own scanner for `diff.transactions` and
//! `metadata.new_account_balances`) against `serde_json`'s derive decode of the model:
//! the same value or the same error, on hand-made shapes, on every prefix of a text, and
//! on seeded byte mutations of it.

use flashblocks_types::{
    decode_json_text, CodecError, FlashblockJson, GeneratorConfig, SequenceGenerator,
};
use serde_json::{json, Value};

/// The derive decode, with its error as the reader gives it.
fn derive(text: &[u8]) -> Result<FlashblockJson, CodecError> {
    serde_json::from_slice(text).map_err(|e| CodecError::Json(e.into()))
}

/// Asserts that both decodes agree on `text`, and returns their result.
fn same(text: &[u8]) -> Result<FlashblockJson, CodecError> {
    let fast = decode_json_text(text);
    assert_eq!(fast, derive(text), "on {}", String::from_utf8_lossy(text));
    fast
}

/// A small flashblock with a base, transactions and balances, as a JSON value.
fn sample() -> Value {
    let config = GeneratorConfig { transactions_per_flashblock: 4, ..GeneratorConfig::default() };
    let block = SequenceGenerator::new(11, config).next_block();
    let json = FlashblockJson::from_v1_lossy(&block[0], 77);
    assert!(!json.diff.transactions.is_empty());
    assert!(!json.metadata.new_account_balances.as_ref().expect("balances").is_empty());
    serde_json::from_slice(&json.to_vec()).expect("JSON")
}

fn text(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("encode")
}

fn with(mut value: Value, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    edit(&mut value);
    text(&value)
}

/// Replaces the first occurrence of `from` in `text` (which must hold it).
fn replace(text: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(text.to_vec()).expect("UTF-8");
    assert!(text.contains(from), "{from} not in the text");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn compact_and_pretty_texts_read_the_same() {
    let value = sample();
    let compact = same(&text(&value)).expect("reads");
    let pretty = same(&serde_json::to_vec_pretty(&value).expect("pretty")).expect("reads");
    assert_eq!(compact, pretty);
    // Tabs and carriage returns between the tokens of both parts.
    let spaced = String::from_utf8(text(&value))
        .expect("UTF-8")
        .replace(",\"0x", " ,\t\r\n \"0x")
        .replace("\":\"0x", "\" : \"0x");
    assert_eq!(same(spaced.as_bytes()), Ok(compact));
}

#[test]
fn key_order_and_unknown_fields_do_not_matter() {
    let value = sample();
    let expected = same(&text(&value)).expect("reads");
    // metadata before diff, transactions last in diff, unknown look-alike members first.
    let reordered = format!(
        r#"{{"extra":{{"diff":{{"transactions":["0xzz"]}},"new_account_balances":1}},
        "metadata":{{"receipts":{},"new_account_balances":{},"block_number":{}}},
        "transactions":["0x00"],"index":{},"payload_id":{},"base":{},
        "diff":{{{},"transactions":{}}}}}"#,
        value["metadata"]["receipts"],
        value["metadata"]["new_account_balances"],
        value["metadata"]["block_number"],
        value["index"],
        value["payload_id"],
        value["base"],
        {
            let mut diff = value["diff"].clone();
            let object = diff.as_object_mut().expect("object");
            object.remove("transactions");
            let text = serde_json::to_string(object).expect("encode");
            text.trim_start_matches('{').trim_end_matches('}').to_owned()
        },
        value["diff"]["transactions"],
    );
    assert_eq!(same(reordered.as_bytes()), Ok(expected));
}

#[test]
fn the_azul_shape_and_null_parts_read_the_same() {
    let value = sample();
    let cases = [
        with(value.clone(), |v| {
            v["metadata"].as_object_mut().expect("object").remove("new_account_balances");
        }),
        with(value.clone(), |v| v["metadata"]["new_account_balances"] = Value::Null),
        with(value.clone(), |v| v["metadata"]["new_account_balances"] = json!({})),
        with(value.clone(), |v| v["diff"]["transactions"] = json!([])),
        with(value.clone(), |v| v["base"] = Value::Null),
        with(value.clone(), |v| {
            v.as_object_mut().expect("object").remove("base");
        }),
    ];
    for case in &cases {
        same(case).expect("reads");
    }
}

#[test]
fn transactions_the_scanner_leaves_to_the_derive_decode() {
    let value = sample();
    let compact = text(&value);
    let first = value["diff"]["transactions"][0].as_str().expect("hex").to_owned();
    let digits = first.trim_start_matches("0x");
    let cases: Vec<Vec<u8>> = vec![
        // An escape that reads to the same digits: the same value.
        replace(&compact, &first, &format!("0x\\u0030{}", &digits[1..])),
        // Upper-case digits: the same bytes.
        replace(&compact, &first, &format!("0x{}", digits.to_uppercase())),
        // `0X`, no prefix, an odd count, a bad digit, an empty transaction.
        replace(&compact, &first, &format!("0X{digits}")),
        replace(&compact, &first, digits),
        replace(&compact, &first, &format!("0x{digits}0")),
        replace(&compact, &first, &format!("0xg{}", &digits[1..])),
        replace(&compact, &first, "0x"),
        // Not a list of strings, a trailing comma, an unclosed list.
        with(value.clone(), |v| v["diff"]["transactions"] = json!([1, 2])),
        with(value.clone(), |v| v["diff"]["transactions"] = json!([["0x00"]])),
        with(value.clone(), |v| v["diff"]["transactions"] = json!("0x00")),
        replace(&compact, "\"],\"withdrawals\"", "\",],\"withdrawals\""),
        replace(&compact, "\"],\"withdrawals\"", "\",\"withdrawals\""),
        // A key spelled with an escape, and a duplicate key.
        replace(&compact, "\"transactions\"", "\"transactio\\u006es\""),
        replace(&compact, "\"diff\"", "\"di\\u0066f\""),
        replace(&compact, "\"transactions\"", "\"transactions\":[],\"transactions\""),
        replace(&compact, "\"diff\"", "\"diff\":{},\"diff\""),
    ];
    let mut read = 0;
    for case in &cases {
        read += usize::from(same(case).is_ok());
    }
    // Both kinds are there: texts that read and texts that are rejected.
    assert!(read >= 3 && read < cases.len(), "{read} of {}", cases.len());
}

#[test]
fn balances_the_scanner_leaves_to_the_derive_decode() {
    let value = sample();
    let address = "0x4200000000000000000000000000000000000011";
    let balances =
        |entries: Value| with(value.clone(), |v| v["metadata"]["new_account_balances"] = entries);
    let cases = [
        json!({address: "0x10"}),
        json!({address: "0x0"}),
        json!({address: "0x"}),
        json!({address: "0x00000000000000010"}),
        json!({address: format!("0x{}", "f".repeat(64))}),
        json!({address: format!("0x{}", "f".repeat(65))}),
        json!({address: format!("0x0{}", "f".repeat(64))}),
        json!({address: "0xABCDEF"}),
        json!({address: "0X10"}),
        json!({address: "16"}),
        json!({address: 16}),
        json!({address: -1}),
        json!({address: 1.5}),
        json!({address: null}),
        json!({address: "0x1g"}),
        json!({address: "0x1_0"}),
        json!({"4200000000000000000000000000000000000011": "0x1"}),
        json!({"0x42": "0x1"}),
        json!({"0x420000000000000000000000000000000000001g": "0x1"}),
        json!([]),
        json!("0x1"),
    ];
    let mut read = 0;
    for case in &cases {
        read += usize::from(same(&balances(case.clone())).is_ok());
    }
    assert!(read >= 5 && read < cases.len(), "{read} of {}", cases.len());
    // The later of two equal addresses wins (one hex-case each), as with one map
    // insertion per entry; entries out of order read sorted.
    let text = text(&value);
    let key = "\"new_account_balances\":{";
    let twice = format!(
        "{key}\"0x00000000000000000000000000000000000000ff\":\"0x3\",\
         \"0x00000000000000000000000000000000000000FF\":\"0x2\",\
         \"0x0000000000000000000000000000000000000001\":\"0x1\","
    );
    let read = same(&replace(&text, key, &twice)).expect("reads");
    let balances = read.metadata.new_account_balances.expect("balances");
    let ff = alloy_primitives::Address::with_last_byte(0xff);
    assert_eq!(balances.get(&ff), Some(&alloy_primitives::U256::from(2)));
    assert_eq!(
        balances.get(&alloy_primitives::Address::with_last_byte(1)),
        Some(&alloy_primitives::U256::from(1))
    );
}

#[test]
fn every_prefix_is_rejected_alike() {
    let value = sample();
    let full = text(&value);
    for len in 0..full.len() {
        assert!(same(&full[..len]).is_err(), "a prefix of {len} bytes read");
    }
    same(&full).expect("the whole text reads");
    let mut trailing = full.clone();
    trailing.extend_from_slice(b" x");
    assert!(same(&trailing).is_err());
}

/// A seeded stream of numbers below a bound (splitmix64).
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % bound as u64) as usize
    }
}

#[test]
fn seeded_byte_mutations_read_alike() {
    let value = sample();
    let full = text(&value);
    let pretty = serde_json::to_vec_pretty(&value).expect("pretty");
    let bytes = b"\"\\,:[]{} \n0xXgf1-.e";
    let mut rng = Seeded(0x5eed);
    let (mut read, mut rejected) = (0, 0);
    for round in 0..3000 {
        let mut text = if round % 2 == 0 { full.clone() } else { pretty.clone() };
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(text.len());
            let byte = bytes[rng.below(bytes.len())];
            match rng.below(3) {
                0 => text[at] = byte,
                1 => text.insert(at, byte),
                _ => {
                    text.remove(at);
                }
            }
        }
        match same(&text) {
            Ok(_) => read += 1,
            Err(_) => rejected += 1,
        }
    }
    // Mutations that keep the text valid (in hex digits, in whitespace) and ones that
    // break it both occur.
    assert!(read > 100 && rejected > 100, "{read} read, {rejected} rejected");
}
