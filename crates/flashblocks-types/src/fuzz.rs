//! Bodies of the cargo-fuzz targets in `fuzz/`, kept here so that `cargo test` runs them
//! over the checked-in corpus on stable.

use crate::{decode_frame, Flashblock};

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
        let root = payload.hash_tree_root();
        assert_eq!(Flashblock::from_v1(payload).identity(), root);
    }
}
