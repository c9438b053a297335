//! Bodies of the cargo-fuzz targets in `fuzz/`, kept here so that `cargo test` runs them
//! over the checked-in corpus on stable.

use crate::{reference::decode_frame, Flashblock};

/// Target `frame_decode`: any bytes in, no panic; what decodes re-encodes to exactly the
/// same bytes (SSZ has one encoding per value), and the input model built from it has
/// the payload's root as its identity.
///
/// # Panics
///
/// When a property does not hold: that is a finding.
pub fn frame_decode(data: &[u8]) {
    let Ok(decoded) = decode_frame(data) else { return };
    assert_eq!(decoded.encode(), data, "decode then encode must give the frame back");
    if let Some(payload) = decoded.into_v1() {
        let root = payload.hash_tree_root_slow();
        assert_eq!(Flashblock::from_v1(payload).identity(), root);
    }
}

/// Target `view_decode`: any bytes in, no panic; the zero-copy view
/// ([`PayloadViewV1`](crate::PayloadViewV1)) and the owned decoder agree: both reject
/// with the same error, or both accept the same payload, and the view's fast root, the
/// owned value's fast root and the reference root are equal.
///
/// # Panics
///
/// When a property does not hold: that is a finding.
pub fn view_decode(data: &[u8]) {
    let view = crate::PayloadViewV1::decode(bytes::Bytes::copy_from_slice(data));
    match (decode_frame(data), view) {
        (Ok(owned), Ok(view)) => {
            let Some(owned) = owned.into_v1() else { panic!("the view accepted a non-V1 frame") };
            assert_eq!(view.to_payload(), owned, "view and owned decoder disagree on the value");
            let reference = crate::merkle::payload_root(&owned);
            let (fast, nodes) = crate::hash::payload_root_counted(&owned);
            assert_eq!(fast, reference, "fast hasher and reference disagree");
            assert_eq!(view.hash_tree_root_counted(), (reference, nodes), "view root");
            assert_eq!(nodes, crate::hash::node_hash_count(&owned), "node hash count");
            assert_eq!(view.to_flashblock(), Flashblock::from_v1(owned), "input model");
        }
        (Err(owned), Err(view)) => assert_eq!(view, owned, "both reject, with the same error"),
        (owned, view) => panic!("view and owned decoder disagree: {owned:?} vs {view:?}"),
    }
    assert_eq!(
        Flashblock::decode_v1(bytes::Bytes::copy_from_slice(data)),
        Flashblock::decode_v1_slow(data),
        "the input model's fast and slow decoders disagree"
    );
}

/// The JSON text cap the `json_frame` target reads with: 1 MiB, so that memory stays
/// bounded however the input expands.
pub const JSON_FRAME_MAX_LEN: usize = 1 << 20;

/// Target `json_frame`: any bytes in (plain or brotli JSON), no panic, memory bounded by
/// [`JSON_FRAME_MAX_LEN`]; the decode's fast path gives what `serde_json`'s derive
/// decode of the model gives (the value or the error); what reads is written back to
/// JSON that reads to the same value and identity (with receipts in either style), and
/// the input model built from it gives it back. Read as a message, a frame is the same
/// flashblock, or an X Layer `PayloadEnd` that writes back to itself.
///
/// # Panics
///
/// When a property does not hold: that is a finding.
pub fn json_frame(data: &[u8]) {
    use crate::{CodecError, FlashblockJson, JsonFrameReader, JsonMessage};
    let message = JsonFrameReader::new(JSON_FRAME_MAX_LEN).decode_message(data);
    if let Ok(JsonMessage::PayloadEnd(end)) = &message {
        let written = serde_json::to_vec(end).unwrap_or_default();
        let again = JsonFrameReader::new(JSON_FRAME_MAX_LEN).decode_message(&written);
        assert_eq!(again, Ok(JsonMessage::PayloadEnd(*end)), "a PayloadEnd reads back");
    }
    if let Ok(text) = JsonFrameReader::new(JSON_FRAME_MAX_LEN).json_text(data) {
        let derive =
            serde_json::from_slice::<FlashblockJson>(&text).map_err(|e| CodecError::Json(e.into()));
        assert_eq!(crate::decode_json_text(&text), derive, "fast path and derive decode differ");
    }
    let Ok(fb) = JsonFrameReader::new(JSON_FRAME_MAX_LEN).decode(data) else { return };
    assert_eq!(message, Ok(JsonMessage::Flashblock(fb.clone())), "message and flashblock decode");
    let json = match fb.to_json() {
        Ok(json) => json,
        Err(e) => panic!("a JSON flashblock has no JSON form: {e}"),
    };
    let written = json.to_vec();
    let reader = JsonFrameReader::new(written.len().max(JSON_FRAME_MAX_LEN));
    match reader.decode(&written) {
        Ok(again) => {
            assert_eq!(again, fb, "written JSON reads to another value");
            assert_eq!(again.identity(), json.identity(), "identity changed on re-reading");
        }
        Err(e) => panic!("written JSON does not read back: {e}"),
    }
    let external = json.to_vec_with(crate::ReceiptStyle::ExternallyTagged);
    assert_eq!(reader.decode(&external).as_ref(), Ok(&fb), "externally tagged receipts read back");
    let frame = JsonFrameReader::encode_brotli(&written);
    assert_eq!(
        JsonFrameReader::new(written.len()).decode(&frame).as_ref(),
        Ok(&fb),
        "brotli frame of the written JSON"
    );
    let identity = json.identity();
    let model = Flashblock::from_json(json.clone());
    assert_eq!(model.identity(), identity);
    assert_eq!(model.into_json(), Ok(json), "the input model gives the JSON back");
}
