//! Integration tests of flashblocks-types, one binary.

mod chain;
mod chains;
mod corpus;
mod hash;
mod json_cases;
mod json_dialects;
mod json_fast;
mod json_frame;
mod json_op_alloy;
mod json_props;
mod json_real;
mod post_exec;
mod ssz_vectors;
mod sync;
mod view;

use std::path::{Path, PathBuf};

/// The project's copy of the shared vectors.
pub(crate) fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors")
}

/// The JSON files of a vector directory, sorted by name.
pub(crate) fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read vector");
    serde_json::from_str(&text).expect("vector is JSON")
}

pub(crate) fn hex_field(v: &serde_json::Value, field: &str) -> Vec<u8> {
    hex::decode(v[field].as_str().expect("hex string").trim_start_matches("0x")).expect("hex")
}

/// Plain JSON text into the JSON model, by the decode `JsonFrameReader::decode` runs
/// (its fast path, held to the model's `Deserialize` in `json_fast`).
pub(crate) fn json_from_slice(
    text: &[u8],
) -> Result<flashblocks_types::FlashblockJson, flashblocks_types::CodecError> {
    flashblocks_types::decode_json_text(text)
}

/// Plain JSON text into the input model (no size cap).
pub(crate) fn decode_json(
    text: &[u8],
) -> Result<flashblocks_types::Flashblock, flashblocks_types::CodecError> {
    json_from_slice(text).map(flashblocks_types::Flashblock::from_json)
}
