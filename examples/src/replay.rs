//! The main job: frames through the whole pipeline, one table row per flashblock, then
//! the final payloads.
//!
//! [`simulated_stream`] is what `replay` runs with no argument: the simulated builder's
//! blocks as SSZ frames, with one bad frame injected (a copy of a flashblock whose
//! `parent_flash_hash` is wrong, which the validator rejects as `parent_hash_mismatch`)
//! and one harmless resend. [`replay_bytes`] reads a capture ([`crate::capture`]) and
//! replays it with the rule set of its first frame.

use crate::{
    capture::{read_capture, CaptureFormat},
    output::LineSink,
    simulate::Simulation,
    Error,
};
use alloy_primitives::B256;
use flashblocks_assemble::AssembledPayload;
use flashblocks_node::pipeline::{BlockHashStatus, FrameReport, Pipeline, Verdict};
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelopeV4;
use std::time::{Duration, Instant};

/// How much a replay prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Table rows printed; past them only rejections and progress lines are.
    pub max_rows: usize,
    /// A progress line every this many frames once past `max_rows`.
    pub progress_every: usize,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self { max_rows: 200, progress_every: 10_000 }
    }
}

/// What a replay saw.
#[derive(Clone, Debug, Default)]
pub struct ReplaySummary {
    /// Frames read.
    pub frames: usize,
    /// Accepted flashblocks.
    pub accepted: usize,
    /// Harmless resends.
    pub duplicates: usize,
    /// X Layer's ends of a payload's sequence (not flashblocks).
    pub payload_ends: usize,
    /// Rejected frames: their position and rule id.
    pub rejected: Vec<(usize, &'static str)>,
    /// Accepted flashblocks whose block hash verified.
    pub block_hash_ok: usize,
    /// Accepted flashblocks whose block hash did not.
    pub block_hash_mismatch: usize,
    /// Accepted flashblocks whose stream's `diff.block_hash` is unavailable (OP
    /// Subblocks) or not the header hash (Base): nothing to check.
    pub block_hash_unavailable: usize,
    /// The time spent in the pipeline (all stages).
    pub pipeline_time: Duration,
    /// The last payloads (see [`Pipeline::payloads`]).
    pub payloads: Vec<AssembledPayload>,
}

/// The table header.
pub fn header() -> String {
    format!(
        "{:>5} {:>10} {:>3} {:>4} {:>10} {:<12} {:<26} {:<8} {:>8} {:>8} {:>8} {:>8}",
        "frame",
        "block",
        "idx",
        "txs",
        "gas_used",
        "root",
        "verdict",
        "hash",
        "decode",
        "validate",
        "assemble",
        "overlay"
    )
}

fn micros(d: Duration) -> String {
    format!("{:.1}µs", d.as_secs_f64() * 1e6)
}

fn short(hash: B256) -> String {
    let text = hash.to_string();
    text.get(..12).map_or_else(|| text.clone(), str::to_owned)
}

/// One table row: index, transactions, gas, root prefix, verdict, block hash, the time
/// per stage. A frame that does not decode gets a one-line error naming it and the rule.
pub fn row(report: &FrameReport) -> String {
    if let Verdict::PayloadEnd(ended) = &report.verdict {
        return format!("{:>5} payload_end {ended:?}", report.frame);
    }
    let Some(fb) = &report.flashblock else {
        let why = match &report.verdict {
            Verdict::Reject(err) => format!("{} ({err})", err.rule_id()),
            other => other.label(),
        };
        return format!(
            "{:>5} rejected {} frame {}: {why}",
            report.frame,
            report.encoding.name(),
            report.frame
        );
    };
    let hash = match &report.block_hash {
        BlockHashStatus::Ok(_) => "ok",
        BlockHashStatus::Mismatch { .. } => "MISMATCH",
        BlockHashStatus::Unavailable => "unavailable",
        BlockHashStatus::NotAHeaderHash => "not_a_header_hash",
        BlockHashStatus::Skipped => "-",
    };
    let t = &report.times;
    let mut line = format!(
        "{:>5} {:>10} {:>3} {:>4} {:>10} {:<12} {:<26} {:<8} {:>8} {:>8} {:>8} {:>8}",
        report.frame,
        fb.block_number.map_or_else(|| "?".to_owned(), |n| n.to_string()),
        fb.index,
        fb.transactions,
        format!("{:#x}", fb.gas_used),
        fb.identity.map_or_else(|| "-".to_owned(), short),
        report.verdict.label(),
        hash,
        micros(t.decode),
        micros(t.validate),
        micros(t.assemble),
        micros(t.overlay),
    );
    if let Verdict::Reject(err) = &report.verdict {
        line.push_str(&format!("\n      rejected frame {}: {err}", report.frame));
    }
    if let BlockHashStatus::Mismatch { computed, claimed } = &report.block_hash {
        line.push_str(&format!("\n      block hash: computed {computed}, claimed {claimed}"));
    }
    if let Some(err) = &report.overlay_error {
        line.push_str(&format!("\n      overlay refused it: {err}"));
    }
    line
}

/// One final payload, in a few lines.
pub fn payload_lines(payload: &AssembledPayload) -> Vec<String> {
    let inner = &payload.execution_payload.payload_inner.payload_inner;
    let known = |root: Option<B256>| root.map_or_else(|| "unavailable".to_owned(), short);
    vec![
        format!(
            "block {} hash {} parent {}",
            inner.block_number,
            payload.block_hash().map_or_else(|| "unknown".to_owned(), |h| h.to_string()),
            inner.parent_hash
        ),
        format!(
            "  {} transactions, gas_used {:#x} of {:#x}, timestamp {:#x}, base fee {}",
            inner.transactions.len(),
            inner.gas_used,
            inner.gas_limit,
            inner.timestamp,
            inner.base_fee_per_gas
        ),
        format!(
            "  state_root {} receipts_root {} withdrawals_root {}",
            known(payload.commitments.state_root),
            short(inner.receipts_root),
            known(payload.commitments.withdrawals_root)
        ),
    ]
}

/// A payload as `engine_getPayloadV4` returns it on OP (op-alloy's
/// `OpExecutionPayloadEnvelopeV4`), as pretty JSON.
///
/// # Errors
///
/// A payload with a commitment its stream does not carry (OP Subblocks' zero roots,
/// Base's block hash) has no such envelope: a zero root would pass for real.
pub fn payload_json(payload: &AssembledPayload) -> serde_json::Result<String> {
    let envelope = OpExecutionPayloadEnvelopeV4::try_from(payload.clone())
        .map_err(<serde_json::Error as serde::ser::Error>::custom)?;
    serde_json::to_string_pretty(&envelope)
}

/// Replays frames through `pipeline`, writing the table to `out`.
pub fn replay_frames<'a>(
    pipeline: &mut Pipeline,
    frames: impl IntoIterator<Item = &'a [u8]>,
    options: ReplayOptions,
    out: &mut impl LineSink,
) -> ReplaySummary {
    let mut summary = ReplaySummary::default();
    out.line(header());
    let started = Instant::now();
    for frame in frames {
        let report = pipeline.process(frame);
        summary.frames += 1;
        summary.pipeline_time += report.times.total();
        match &report.verdict {
            Verdict::Accept => summary.accepted += 1,
            Verdict::Duplicate => summary.duplicates += 1,
            Verdict::Reject(err) => summary.rejected.push((report.frame, err.rule_id())),
            Verdict::PayloadEnd(_) => summary.payload_ends += 1,
        }
        match report.block_hash {
            BlockHashStatus::Ok(_) => summary.block_hash_ok += 1,
            BlockHashStatus::Mismatch { .. } => summary.block_hash_mismatch += 1,
            BlockHashStatus::Unavailable | BlockHashStatus::NotAHeaderHash => {
                summary.block_hash_unavailable += 1;
            }
            BlockHashStatus::Skipped => {}
        }
        if summary.frames <= options.max_rows || matches!(report.verdict, Verdict::Reject(_)) {
            out.line(row(&report));
        }
        if summary.frames > options.max_rows
            && options.progress_every > 0
            && summary.frames % options.progress_every == 0
        {
            out.line(format!(
                "progress: {} frames, {} accepted, {} rejected, {:.1}s",
                summary.frames,
                summary.accepted,
                summary.rejected.len(),
                started.elapsed().as_secs_f64()
            ));
        }
    }
    summary.payloads = pipeline.payloads();
    out.line(format!(
        "{} frames: {} accepted, {} duplicate, {} rejected; block hash ok at {}, mismatch at {}, unavailable at {}; {:.1}µs per frame in the pipeline",
        summary.frames,
        summary.accepted,
        summary.duplicates,
        summary.rejected.len(),
        summary.block_hash_ok,
        summary.block_hash_mismatch,
        summary.block_hash_unavailable,
        summary.pipeline_time.as_secs_f64() * 1e6 / summary.frames.max(1) as f64,
    ));
    out.line(String::new());
    out.line(format!("final payloads ({}):", summary.payloads.len()));
    for payload in &summary.payloads {
        for line in payload_lines(payload) {
            out.line(line);
        }
    }
    summary
}

/// Reads a capture (format detected) and replays it with the rule set of its first
/// frame; returns the pipeline too, for queries on its overlay.
///
/// # Errors
///
/// [`Error`] when nothing can be read (a truncated tail is reported in the
/// output, after the frames before it are replayed).
pub fn replay_bytes(
    bytes: &[u8],
    options: ReplayOptions,
    out: &mut impl LineSink,
) -> Result<(CaptureFormat, ReplaySummary, Pipeline), Error> {
    let capture = read_capture(bytes)?;
    let mut pipeline = Pipeline::new(capture.rule_set());
    out.line(format!(
        "{} frames, {} ({:?} rules)",
        capture.frames.len(),
        capture.format.name(),
        pipeline.rule_set()
    ));
    let summary =
        replay_frames(&mut pipeline, capture.frames.iter().map(Vec::as_slice), options, out);
    if let Some(err) = capture.truncated {
        out.line(format!("capture ends early: {err}"));
    }
    Ok((capture.format, summary, pipeline))
}

/// Where [`simulated_stream`] put its injected frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Injected {
    /// The position of the bad frame (rejected as `parent_hash_mismatch`).
    pub bad_frame: usize,
    /// The position of the resend (a duplicate).
    pub resend: usize,
}

/// The simulated builder's stream as SSZ frames, with a bad frame and a resend
/// injected in the middle block, after its index 2: a copy of its index 3 whose
/// `parent_flash_hash` is wrong, then a resend of index 1. The real index 3 follows.
pub fn simulated_stream(sim: &Simulation) -> (Vec<Vec<u8>>, Injected) {
    let mut frames = Vec::new();
    let mut injected = Injected { bad_frame: usize::MAX, resend: usize::MAX };
    let middle = sim.blocks.len() / 2;
    for (b, block) in sim.blocks.iter().enumerate() {
        for (i, fb) in block.iter().enumerate() {
            if b == middle && i == 3 {
                let mut bad = fb.inner().clone();
                bad.parent_flash_hash = Some(B256::repeat_byte(0xba));
                injected.bad_frame = frames.len();
                frames.push(bad.encode_ssz());
                if let Some(resent) = block.get(1) {
                    injected.resend = frames.len();
                    frames.push(resent.encode_ssz());
                }
            }
            frames.push(fb.encode_ssz());
        }
    }
    (frames, injected)
}
