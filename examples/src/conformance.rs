//! The conformance runner: points the workspace's decoder and validator at vectors and
//! captures, the way Ethereum clients run the consensus-spec tests.
//!
//! Each path is a file or a directory (walked recursively, in name order; files other
//! than `*.json`, `*.jsonl`, `*.bin` and `*.ssz` are skipped). A file is classified by its
//! content:
//!
//! - an object with `steps`: a sequence scenario; every step is fed in order to one
//!   validator configured with the scenario's `max_flashblocks_per_block` (the V1 rules,
//!   OP rules on) and must give its `expect` (`accept`, with the step's `root`;
//!   `duplicate`; `reject` with its `rule`). One count per step.
//! - an object with `serialized` and `value`: a valid SSZ vector; decoding must give
//!   `value`, encoding `value` exactly `serialized`, and `hash_tree_root` must be `root`.
//! - an object with `serialized` only: an invalid SSZ vector, which decoding must reject.
//! - anything else: a capture, read as [`replay`](crate::capture) reads it (a JSON array,
//!   one object, JSON lines, or length-prefixed frames), validated with the JSON-stream
//!   rules (the V1 rules when its first frame is SSZ); one line per flashblock:
//!
//! ```text
//! <file> index=<i> txs=<n> gas_used=<0x..> verdict=<accept|duplicate|reject:<rule id>> block_hash=<ok|mismatch computed=<0x..> claimed=<0x..>|skipped>
//! <file> dialect=<ssz|rollup-boost|subblocks|base|worldchain|xlayer|undecided>
//! ```
//!
//!   The block-hash column is the assembler's check, not a rule: a mismatch is reported,
//!   not a failure. A capture flashblock fails only if it cannot be read.
//!
//! Every failure prints `FAIL <file>[ step <i>]: <why>` (a capture frame: `FAIL <file>
//! frame <i>: <why>`); the last line is `N passed, M failed`.

use crate::{capture::read_capture, output::LineSink};
use alloy_primitives::{hex, B256};
use flashblocks_node::pipeline::{Pipeline, Verdict};
use flashblocks_overlay::OverlayConfig;
use flashblocks_types::vectors::payload_from_value;
use flashblocks_types::Flashblock;
use flashblocks_types::{ChainConfig, DialectChoice};
use flashblocks_validate::{
    max_flashblocks_per_block, Outcome, RuleSet, Validator, ValidatorConfig,
};
use serde_json::Value;
use std::{
    fmt,
    path::{Path, PathBuf},
};

/// The counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Vectors, steps and capture flashblocks that passed.
    pub passed: usize,
    /// Those that failed.
    pub failed: usize,
}

impl Tally {
    fn pass(&mut self) {
        self.passed += 1;
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// What a run counted, by kind, beside the totals (for tests and summaries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// SSZ vectors that must decode.
    pub ssz_valid: usize,
    /// SSZ vectors that must be rejected.
    pub ssz_invalid: usize,
    /// Sequence scenarios.
    pub scenarios: usize,
    /// Their steps.
    pub steps: usize,
    /// Captures.
    pub captures: usize,
    /// Capture flashblocks (frames).
    pub capture_flashblocks: usize,
    /// Capture flashblocks whose block hash verified.
    pub block_hash_ok: usize,
    /// The totals.
    pub tally: Tally,
}

/// The runner: feeds it paths, collect its lines.
#[derive(Debug)]
pub struct Runner<W> {
    out: W,
    counts: Counts,
    dialect: DialectChoice,
    chain: Option<ChainConfig>,
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("no `{name}` field"))
}

fn hex_field(v: &Value, name: &str) -> Result<Vec<u8>, String> {
    field(v, name)?
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| format!("`{name}` is not 0x-hex"))
}

fn root_field(v: &Value, name: &str) -> Result<B256, String> {
    let raw = hex_field(v, name)?;
    B256::try_from(raw.as_slice()).map_err(|_| format!("`{name}` is not 32 bytes"))
}

impl<W: LineSink> Runner<W> {
    /// A runner writing to `out`.
    pub fn new(out: W) -> Self {
        Self { out, counts: Counts::default(), dialect: DialectChoice::Auto, chain: None }
    }

    /// The dialect JSON captures are read in (default `auto`, whose decision is printed
    /// as `<file> dialect=<name>` after the capture's lines).
    pub const fn with_dialect(mut self, dialect: DialectChoice) -> Self {
        self.dialect = dialect;
        self
    }

    /// The chain captures belong to: its block time and flashblock interval set the
    /// bound on flashblocks per block.
    pub fn with_chain(mut self, chain: Option<ChainConfig>) -> Self {
        self.chain = chain;
        self
    }

    /// What was counted so far.
    pub const fn counts(&self) -> Counts {
        self.counts
    }

    /// The sink, with the lines written so far.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes the last line, `N passed, M failed`, and returns the counts.
    pub fn finish(mut self) -> (Counts, W) {
        let tally = self.counts.tally;
        self.out.line(tally.to_string());
        (self.counts, self.out)
    }

    fn fail(&mut self, what: impl fmt::Display, why: impl fmt::Display) {
        self.counts.tally.failed += 1;
        self.out.line(format!("FAIL {what}: {why}"));
    }

    /// Runs every vector and capture under `path` (a file or a directory).
    pub fn run_path(&mut self, path: &Path) {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(err) => return self.fail(path.display(), err),
            };
            entries.sort();
            for entry in entries {
                let wanted = entry.is_dir()
                    || entry
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| matches!(e, "json" | "jsonl" | "bin" | "ssz"));
                if wanted {
                    self.run_path(&entry);
                }
            }
        } else {
            match std::fs::read(path) {
                Ok(bytes) => self.run_file(&path.display().to_string(), &bytes),
                Err(err) => self.fail(path.display(), err),
            }
        }
    }

    /// Runs one file's content; `name` is what the output calls it.
    pub fn run_file(&mut self, name: &str, bytes: &[u8]) {
        let value = serde_json::from_slice::<Value>(bytes).ok().filter(Value::is_object);
        match value {
            Some(v) if v.get("steps").is_some() => self.run_scenario(name, &v),
            Some(v) if v.get("serialized").is_some() && v.get("value").is_some() => {
                self.counts.ssz_valid += 1;
                match Self::check_valid(&v) {
                    Ok(()) => self.counts.tally.pass(),
                    Err(why) => self.fail(name, why),
                }
            }
            Some(v) if v.get("serialized").is_some() => {
                self.counts.ssz_invalid += 1;
                match hex_field(&v, "serialized") {
                    Ok(bytes) => match Flashblock::decode_v1(bytes) {
                        Err(_) => self.counts.tally.pass(),
                        Ok(_) => self.fail(name, "decoded, but must be rejected"),
                    },
                    Err(why) => self.fail(name, why),
                }
            }
            _ => self.run_capture(name, bytes),
        }
    }

    fn check_valid(v: &Value) -> Result<(), String> {
        let serialized = hex_field(v, "serialized")?;
        let expected = payload_from_value(field(v, "value")?).map_err(|e| e.to_string())?;
        // The validator's decode: the validated view, the root hashed from the frame.
        let decoded = Flashblock::decode_v1(serialized.clone())
            .map_err(|e| format!("does not decode: {e}"))?
            .into_sealed_v1()
            .map_err(|_| "decodes to another version than V1")?;
        if *decoded != expected {
            return Err("decodes to another value than `value`".to_owned());
        }
        if expected.encode_ssz() != serialized {
            return Err("`value` encodes to other bytes than `serialized`".to_owned());
        }
        let root = root_field(v, "root")?;
        let computed = decoded.seal();
        if computed != root {
            return Err(format!("hash_tree_root {computed}, expected {root}"));
        }
        Ok(())
    }

    fn run_scenario(&mut self, name: &str, v: &Value) {
        self.counts.scenarios += 1;
        let max = v
            .get("config")
            .and_then(|c| c.get("max_flashblocks_per_block"))
            .and_then(Value::as_u64);
        let mut config = ValidatorConfig::v1();
        if let Some(max) = max {
            config = config.with_max_flashblocks_per_block(max);
        }
        let Some(steps) = v.get("steps").and_then(Value::as_array) else {
            return self.fail(name, "`steps` is not a list");
        };
        let mut validator = Validator::new(config);
        for (i, step) in steps.iter().enumerate() {
            self.counts.steps += 1;
            match Self::check_step(&mut validator, step) {
                Ok(()) => self.counts.tally.pass(),
                Err(why) => self.fail(format_args!("{name} step {i}"), why),
            }
        }
    }

    fn check_step(validator: &mut Validator, step: &Value) -> Result<(), String> {
        let frame = hex_field(step, "serialized")?;
        let expect = field(step, "expect")?.as_str().unwrap_or_default();
        let got = validator.validate_frame(&frame);
        match (expect, got) {
            ("accept", Ok(validated)) if validated.outcome.is_accepted() => {
                let root = root_field(step, "root")?;
                let identity = validated.flashblock.identity();
                if identity == root {
                    Ok(())
                } else {
                    Err(format!("accepted with root {identity}, expected {root}"))
                }
            }
            ("duplicate", Ok(validated)) if validated.outcome.is_duplicate() => Ok(()),
            ("reject", Err(err)) => {
                let rule = field(step, "rule")?.as_str().unwrap_or_default();
                if err.rule_id() == rule {
                    Ok(())
                } else {
                    Err(format!("rejected with {} ({err}), expected {rule}", err.rule_id()))
                }
            }
            (expect, Ok(validated)) => Err(format!(
                "expected {expect}, got {}",
                match validated.outcome {
                    Outcome::Accepted(_) => "accept",
                    Outcome::Duplicate { .. } => "duplicate",
                    Outcome::PayloadEnd(_) => "payload_end",
                }
            )),
            (expect, Err(err)) => {
                Err(format!("expected {expect}, got reject:{} ({err})", err.rule_id()))
            }
        }
    }

    fn run_capture(&mut self, name: &str, bytes: &[u8]) {
        self.counts.captures += 1;
        let capture = match read_capture(bytes) {
            Ok(capture) => capture,
            Err(err) => return self.fail(name, err),
        };
        let mut validator = match capture.rule_set() {
            RuleSet::V1 => ValidatorConfig::v1(),
            RuleSet::Json => ValidatorConfig::json().with_dialect(self.dialect),
        };
        if let Some(chain) = &self.chain {
            validator = validator
                .with_max_flashblocks_per_block(max_flashblocks_per_block(
                    chain.block_time_ms(),
                    chain.flashblock_interval_ms(),
                ))
                .with_lagoon_time(chain.lagoon_time());
        }
        let mut pipeline = Pipeline::with_config(validator, OverlayConfig::default());
        for frame in &capture.frames {
            self.counts.capture_flashblocks += 1;
            let report = pipeline.process(frame);
            let Some(fb) = &report.flashblock else {
                let why = match &report.verdict {
                    Verdict::Reject(err) => format!("{} ({err})", err.rule_id()),
                    other => other.label(),
                };
                self.fail(format_args!("{name} frame {}", report.frame), why);
                continue;
            };
            self.counts.tally.pass();
            if report.block_hash.is_ok() {
                self.counts.block_hash_ok += 1;
            }
            self.out.line(format!(
                "{name} index={} txs={} gas_used={:#x} verdict={} block_hash={}",
                fb.index,
                fb.transactions,
                fb.gas_used,
                report.verdict.label(),
                report.block_hash.label()
            ));
        }
        match pipeline.receiver().dialect() {
            Some(dialect) => self.out.line(format!("{name} dialect={dialect}")),
            None => self.out.line(format!("{name} dialect=undecided")),
        }
        if let Some(err) = capture.truncated {
            self.fail(name, err);
        }
    }
}

/// Runs the paths and writes every line, the last `N passed, M failed`, to `out`.
///
/// ```
/// use flashblocks_examples::conformance::run;
///
/// let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/vectors/ssz");
/// let (counts, lines) = run([vectors], Vec::new());
/// assert_eq!((counts.ssz_valid, counts.ssz_invalid), (17, 12));
/// assert_eq!(lines.last().map(String::as_str), Some("29 passed, 0 failed"));
/// ```
pub fn run<P: AsRef<Path>, W: LineSink>(paths: impl IntoIterator<Item = P>, out: W) -> (Counts, W) {
    let mut runner = Runner::new(out);
    for path in paths {
        runner.run_path(path.as_ref());
    }
    runner.finish()
}
