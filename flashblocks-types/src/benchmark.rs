//! What the workspace's criterion benches share (`test-utils`): reading back a median
//! of the same run, to print the goal ratios after criterion's output.

use std::path::PathBuf;

/// criterion's median of benchmark `id` (`group/function`) of the latest run, in
/// nanoseconds: `new/estimates.json` under `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`. `None`
/// when that benchmark did not run.
pub fn criterion_median_ns(id: &str) -> Option<f64> {
    let root = std::env::var_os("CRITERION_HOME").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
            .join("criterion")
    });
    let text = std::fs::read_to_string(root.join(id).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("median")?.get("point_estimate")?.as_f64()
}
