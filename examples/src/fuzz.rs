//! The body of the `replay` fuzz target (`fuzz/fuzz_targets/replay.rs`), kept here so
//! that `cargo test` runs it over the checked-in corpus (`tests/corpus/replay/`) on
//! stable.

use crate::capture::read_capture;
use flashblocks_node::pipeline::{Pipeline, Verdict};

/// Target `replay`: any bytes as a capture (its format detected), every frame through
/// the pipeline. No panic; the frames read lie within the input; a frame that is not
/// accepted changes no stage (the payloads and the overlay's snapshot are as before);
/// an accepted one is in the overlay's newest snapshot. Returns the number of accepted
/// frames.
///
/// # Panics
///
/// When a property does not hold: that is a finding.
pub fn replay(data: &[u8]) -> usize {
    let Ok(capture) = read_capture(data) else { return 0 };
    let read: usize = capture.frames.iter().map(Vec::len).sum();
    assert!(read <= data.len(), "frames of {read} bytes out of {} bytes", data.len());
    let mut pipeline = Pipeline::new(capture.rule_set());
    let mut accepted = 0;
    for frame in &capture.frames {
        let before = (pipeline.payloads(), pipeline.reader().snapshot().id());
        let report = pipeline.process(frame);
        let after = (pipeline.payloads(), pipeline.reader().snapshot().id());
        match (&report.verdict, &report.flashblock) {
            (Verdict::Accept, Some(fb)) => {
                accepted += 1;
                if report.overlay_error.is_none() {
                    let id = after.1.expect("an accepted flashblock is pending");
                    assert_eq!(id.flashblock_index, fb.index, "the overlay holds it");
                }
            }
            (Verdict::Accept, None) => panic!("accepted without a flashblock"),
            (Verdict::Duplicate | Verdict::Reject(_) | Verdict::PayloadEnd(_), _) => {
                assert_eq!(before, after, "a frame not accepted changed a stage");
            }
        }
    }
    accepted
}
