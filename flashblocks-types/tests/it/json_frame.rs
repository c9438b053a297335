//! JSON frames: plain vs brotli by content, the decompressed-size cap, broken streams,
//! and the `json_frame` fuzz body over its checked-in corpus.

use flashblocks_types::{
    CodecError, FlashblockJson, GeneratorConfig, JsonFrameEncoding, JsonFrameReader,
    SequenceGenerator, DEFAULT_MAX_JSON_LEN,
};
use std::io::{Read, Write};
use std::path::Path;

/// A JSON flashblock's text (from a generated V1 block, balances kept, no receipts).
fn sample_text() -> Vec<u8> {
    let block = SequenceGenerator::new(3, GeneratorConfig::default()).next_block();
    FlashblockJson::from_v1_lossy(&block[0], 1).to_vec()
}

/// Brotli at quality 1 (fast, for big inputs in debug builds).
fn brotli_fast(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
        w.write_all(data).expect("write to Vec");
    }
    out
}

#[test]
fn encoding_is_told_by_the_first_byte() {
    assert_eq!(JsonFrameEncoding::detect(b"{}"), JsonFrameEncoding::Plain);
    assert_eq!(JsonFrameEncoding::detect(b" {}"), JsonFrameEncoding::Brotli);
    assert_eq!(JsonFrameEncoding::detect(b""), JsonFrameEncoding::Brotli);
    let text = sample_text();
    assert_eq!(JsonFrameEncoding::detect(&text), JsonFrameEncoding::Plain);
    assert_eq!(
        JsonFrameEncoding::detect(&JsonFrameReader::encode_brotli(&text)),
        JsonFrameEncoding::Brotli
    );
}

#[test]
fn no_valid_brotli_stream_starts_with_a_brace() {
    // The claim `JsonFrameEncoding::detect` rests on: a first byte 0x7B declares window
    // 2^22, ISLAST and ISLASTEMPTY (the stream ends there) and a non-zero padding bit,
    // which decoders reject, whatever follows.
    for stream in [&[0x7b][..], &[0x7b, 0x00], &[0x7b, 0x03, 0x00]] {
        let mut out = Vec::new();
        let read = brotli::Decompressor::new(stream, 64).read_to_end(&mut out);
        assert!(read.is_err(), "{stream:?} decoded to {out:?}");
    }
}

#[test]
fn plain_and_brotli_frames_give_the_same_flashblock() {
    let text = sample_text();
    let frame = JsonFrameReader::encode_brotli(&text);
    assert!(frame.len() < text.len(), "{} vs {}", frame.len(), text.len());
    let reader = JsonFrameReader::default();
    assert_eq!(reader.max_json_len(), DEFAULT_MAX_JSON_LEN);
    assert_eq!(reader.json_text(&frame).expect("decompresses").as_ref(), text.as_slice());
    let plain = reader.decode(&text).expect("plain");
    let compressed = reader.decode(&frame).expect("brotli");
    assert_eq!(plain, compressed);
    assert_eq!(plain, crate::decode_json(&text).expect("decode_json"));
    assert_eq!(compressed.into_json(), crate::json_from_slice(&text));
    // Another compressor setting reads the same.
    assert_eq!(reader.decode(&brotli_fast(&text)), Ok(plain));
}

#[test]
fn the_cap_is_exact_and_applies_to_both_encodings() {
    let text = sample_text();
    let frame = JsonFrameReader::encode_brotli(&text);
    let at = JsonFrameReader::new(text.len());
    assert!(at.decode(&text).is_ok());
    assert!(at.decode(&frame).is_ok());
    let below = JsonFrameReader::new(text.len() - 1);
    let limit = text.len() - 1;
    assert_eq!(below.decode(&text), Err(CodecError::JsonTooLarge { limit }));
    assert_eq!(below.decode(&frame), Err(CodecError::JsonTooLarge { limit }));
    assert!(below.decode(&frame).unwrap_err().is_malformed_json());
    // A zero cap rejects everything but the empty stream's text (which is not JSON).
    assert_eq!(JsonFrameReader::new(0).decode(b"{}"), Err(CodecError::JsonTooLarge { limit: 0 }));
}

#[test]
fn a_brotli_bomb_stops_at_the_default_cap() {
    // 17 MiB of zeros compress to a few kilobytes; decompression stops at 16 MiB + 1.
    let bomb = brotli_fast(&vec![0u8; DEFAULT_MAX_JSON_LEN + (1 << 20)]);
    assert!(bomb.len() < 64 * 1024, "bomb is {} bytes", bomb.len());
    assert_eq!(
        JsonFrameReader::default().decode(&bomb),
        Err(CodecError::JsonTooLarge { limit: DEFAULT_MAX_JSON_LEN })
    );
    // And at a small cap, as soon as the cap is passed.
    let small = brotli_fast(&vec![b' '; 1 << 20]);
    assert_eq!(
        JsonFrameReader::new(1000).decode(&small),
        Err(CodecError::JsonTooLarge { limit: 1000 })
    );
}

#[test]
fn broken_brotli_is_a_typed_error() {
    let text = sample_text();
    let frame = JsonFrameReader::encode_brotli(&text);
    let reader = JsonFrameReader::default();
    // Truncated: decompression fails after some output.
    let truncated = &frame[..frame.len() / 2];
    match reader.decode(truncated) {
        Err(CodecError::Brotli { decompressed }) => assert!(decompressed < text.len()),
        other => panic!("truncated brotli: {other:?}"),
    }
    // Not brotli at all, and nothing.
    for garbage in [&[0xff, 0xff, 0xff, 0xff][..], &[][..], b" {\"index\": 1}", b"\x00\x01"] {
        assert_eq!(
            reader.decode(garbage),
            Err(CodecError::Brotli { decompressed: 0 }),
            "{garbage:?}"
        );
    }
    // Valid brotli, not a flashblock.
    assert!(matches!(reader.decode(&brotli_fast(b"[1, 2]")), Err(CodecError::Json(_))));
    // A lone `{` is plain JSON, cut short.
    assert!(matches!(reader.decode(&[0x7b]), Err(CodecError::Json(_))));
    // Whitespace before the JSON inside a brotli frame is fine (the text is JSON).
    let padded = [b"  \n".as_slice(), &text].concat();
    assert!(reader.decode(&brotli_fast(&padded)).is_ok());
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, std::fs::read(p).expect("read corpus file"))
        })
        .collect()
}

#[test]
fn json_frame_corpus() {
    let inputs = corpus("json_frame");
    assert!(inputs.len() >= 10, "corpus too small: {}", inputs.len());
    let reader = JsonFrameReader::new(flashblocks_types::fuzz::JSON_FRAME_MAX_LEN);
    for (name, input) in &inputs {
        flashblocks_types::fuzz::json_frame(input);
        // File names say what to expect.
        let ok = reader.decode(input).is_ok();
        assert_eq!(ok, name.starts_with("valid-"), "{name}");
    }
}

/// Writes the seed corpus of the `json_frame` fuzz target. Run with
/// `cargo test -p flashblocks-types --test it write_json_frame_corpus -- --ignored`.
#[test]
#[ignore = "writes the checked-in corpus"]
fn write_json_frame_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/json_frame");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).expect("write");

    let capture = std::fs::read_to_string(
        crate::vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json"),
    )
    .expect("capture");
    let values: Vec<serde_json::Value> = serde_json::from_str(&capture).expect("array");
    for (i, v) in values.iter().enumerate().take(2) {
        let text = serde_json::to_vec(v).expect("encode");
        write(&format!("valid-unichain-{i}"), &text);
        write(&format!("valid-unichain-{i}-brotli"), &JsonFrameReader::encode_brotli(&text));
    }
    let mut generator = SequenceGenerator::new(11, GeneratorConfig::default());
    let block = generator.next_block();
    let text = FlashblockJson::from_v1_lossy(&block[1], 9).to_vec();
    write("valid-generated-balances", &text);
    write("valid-generated-balances-brotli", &JsonFrameReader::encode_brotli(&text));

    let mut azul: serde_json::Value = values[1].clone();
    azul["metadata"] = serde_json::json!({"block_number": 35535698, "access_list": {}});
    azul["diff"]["blob_gas_used"] = serde_json::json!("0x1000");
    azul["diff"]["excess_blob_gas"] = serde_json::json!("0x0");
    write("valid-azul-jovian", &serde_json::to_vec(&azul).expect("encode"));

    // The dialects' own fields (issue 20): Base's link, World Chain's access list and
    // metadata, X Layer's target index and end of a sequence (not a flashblock).
    let number = values[1]["metadata"]["block_number"].clone();
    let mut base = values[1].clone();
    base["metadata"] =
        serde_json::json!({"block_number": number, "prev_flashblock_id": format!("{number}-0")});
    write("valid-base-prev-flashblock-id", &serde_json::to_vec(&base).expect("encode"));
    let mut world = values[1].clone();
    world["metadata"] = serde_json::json!({"fees": "0x2386f26fc10000", "flashblock_timestamp": 1_787_000_000_123_456_789_i64});
    world["diff"]["access_list_data"] = serde_json::json!({"access_list": {"changes": [{
        "address": "0x4242424242424242424242424242424242424242",
        "storageChanges": [{"key": "0x1", "changes": [{"index": "0x1", "value": "0x7"}]}],
        "storageReads": ["0x2"], "balanceChanges": [{"index": "0x1", "value": "0x3e8"}],
        "nonceChanges": [{"index": "0x1", "value": "0x3"}], "codeChanges": []}],
        "min_tx_index": 1, "max_tx_index": 4}, "access_list_hash": format!("0x{}", "11".repeat(32))});
    write("valid-worldchain-access-list", &serde_json::to_vec(&world).expect("encode"));
    let mut xlayer = values[1].clone();
    xlayer["target_index"] = serde_json::json!(9);
    write("valid-xlayer-target-index", &serde_json::to_vec(&xlayer).expect("encode"));
    write("message-xlayer-payload-end", br#"{"payload_id":"0x0a0b0c0d0e0f1011"}"#);

    let receipt = serde_json::json!({"status": "0x1", "cumulativeGasUsed": "0x5208", "logs": [
        {"address": "0x4200000000000000000000000000000000000015",
         "topics": ["0x0000000000000000000000000000000000000000000000000000000000000001"],
         "data": "0x01"}]});
    let mut internal = receipt.clone();
    internal["type"] = serde_json::json!("0x2");
    let mut deposit = serde_json::json!({"status": "0x1", "cumulativeGasUsed": "0xb1e3",
        "logs": [], "depositNonce": "0x12", "depositReceiptVersion": "0x1"});
    let mut with_receipts = values[0].clone();
    with_receipts["metadata"]["receipts"] = serde_json::json!({
        "0x00000000000000000000000000000000000000000000000000000000000000aa": {"Eip1559": receipt},
        "0x00000000000000000000000000000000000000000000000000000000000000bb": internal,
        "0x00000000000000000000000000000000000000000000000000000000000000cc": {"Deposit": deposit.clone()},
    });
    deposit["type"] = serde_json::json!("0x7e");
    with_receipts["metadata"]["receipts"]
        ["0x00000000000000000000000000000000000000000000000000000000000000dd"] = deposit;
    with_receipts["metadata"]["new_account_balances"] =
        serde_json::json!({"0x4200000000000000000000000000000000000011": "0x1234"});
    write("valid-receipts-both-styles", &serde_json::to_vec(&with_receipts).expect("encode"));

    let first = serde_json::to_vec(&values[0]).expect("encode");
    write("invalid-truncated-json", &first[..first.len() / 2]);
    let compressed = JsonFrameReader::encode_brotli(&first);
    write("invalid-truncated-brotli", &compressed[..compressed.len() / 2]);
    write("invalid-empty", b"");
    write("invalid-empty-brotli-stream", &[0x7b]);
    write("invalid-garbage", &[0xff, 0x00, 0x13, 0x37]);
    write("invalid-leading-whitespace", &[b" ".as_slice(), &first].concat());
    write("invalid-bomb", &brotli_fast(&vec![b' '; 2 << 20]));
    write(
        "invalid-index-as-quantity",
        &serde_json::to_vec(&{
            let mut v = values[0].clone();
            v["index"] = serde_json::json!("0x0");
            v
        })
        .expect("encode"),
    );
}
