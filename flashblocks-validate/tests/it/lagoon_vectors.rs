//! The Lagoon rule vectors (`tests/fixtures/lagoon/*.json`): the shared vectors' format
//! (`name`, `note`, `config`, `steps` of `expect` `accept` / `reject` with its `rule`),
//! for the JSON dialects: each step's frame is a JSON flashblock (`json`), and `config`
//! names the `dialect` and the `lagoon_time` (`null`: none). Every rejection leaves the
//! validator as it was, and the step after it is accepted.
//!
//! The frames are the real Unichain Sepolia block 35535698 as OP Subblocks (zero roots;
//! 6 transactions: the L1 info deposit and one more at index 0, then one per subblock)
//! with `diff.post_exec_tx` added; each rejecting step is one change to a valid frame,
//! chosen by hand with the rule it must break. `write_lagoon_vectors` (ignored) writes
//! the files; `lagoon_vectors` runs them.

use crate::{json_files, read_json};
use alloy_primitives::{keccak256, Bytes};
use flashblocks_types::{post_exec_raw, Dialect, DialectChoice};
use flashblocks_validate::{Validator, ValidatorConfig};
use serde_json::{json, Value};
use std::{collections::BTreeSet, path::PathBuf};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lagoon")
}

/// The rule ids the vectors must reach.
const RULES: [&str; 6] = [
    "post_exec_in_transactions",
    "post_exec_inactive",
    "post_exec_invalid",
    "sdm_invalid",
    "sdm_restated",
    "receipt_without_transaction",
];

#[test]
fn lagoon_vectors() {
    let files = json_files(&dir());
    let mut rules_seen = BTreeSet::new();
    let mut steps = 0;
    for path in &files {
        let scenario = read_json(path);
        let name = scenario["name"].as_str().expect("name");
        let dialect: Dialect =
            scenario["config"]["dialect"].as_str().expect("dialect").parse().expect("dialect");
        let lagoon_time = scenario["config"]["lagoon_time"].as_u64();
        let mut v = Validator::new(
            ValidatorConfig::json()
                .with_dialect(DialectChoice::Fixed(dialect))
                .with_lagoon_time(lagoon_time),
        );
        let mut rejected_before = false;
        for (i, step) in scenario["steps"].as_array().expect("steps").iter().enumerate() {
            let at = format!("{name} step {i}");
            let frame = serde_json::to_vec(&step["json"]).expect("frame");
            let before = (v.current_block().cloned(), v.newest_block(), v.dialect());
            let got = v.validate_frame(&frame);
            match step["expect"].as_str().expect("expect") {
                "accept" => {
                    let validated = got.unwrap_or_else(|e| panic!("{at}: rejected: {e}"));
                    let token = validated.outcome.accepted().expect(&at);
                    assert_eq!(token.index(), step["index"].as_u64().expect("index"), "{at}");
                    // The token's post-exec is the latest the steps sent for the block.
                    let latest =
                        step["post_exec_tx"].as_str().map(|s| s.parse::<Bytes>().expect("hex"));
                    assert_eq!(token.post_exec_tx().map(|p| p.raw().clone()), latest, "{at}");
                    rejected_before = false;
                }
                "reject" => {
                    let err = got.err().unwrap_or_else(|| panic!("{at}: not rejected"));
                    assert_eq!(err.rule_id(), step["rule"].as_str().expect("rule"), "{at}: {err}");
                    let after = (v.current_block().cloned(), v.newest_block(), v.dialect());
                    assert_eq!(after, before, "{at}: state moved");
                    rules_seen.insert(err.rule_id());
                    rejected_before = true;
                }
                other => panic!("{at}: unknown expectation {other}"),
            }
            steps += 1;
        }
        assert!(!rejected_before, "{name}: ends with an accepted step");
    }
    println!("lagoon vectors: {} scenarios, {steps} steps", files.len());
    for rule in RULES {
        assert!(rules_seen.contains(rule), "no vector for {rule}");
    }
}

/// The Unichain frames as OP Subblocks.
fn frames() -> (Vec<Value>, u64, u64) {
    let path = crate::vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json");
    let mut frames: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let zero = format!("0x{}", "00".repeat(32));
    for f in &mut frames {
        for key in ["state_root", "block_hash", "withdrawals_root"] {
            f["diff"][key] = json!(zero);
        }
    }
    let number = frames[0]["metadata"]["block_number"].as_u64().unwrap();
    let time = u64::from_str_radix(
        frames[0]["base"]["timestamp"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    (frames, number, time)
}

fn with_post(frame: &Value, post: &Bytes) -> Value {
    let mut f = frame.clone();
    f["diff"]["post_exec_tx"] = json!(post.to_string());
    f
}

/// A step; `latest` is the block's latest post-exec after an accepted one.
fn step(frame: &Value, expect: &str, rule: Option<&str>, latest: Option<&Bytes>) -> Value {
    let mut s = json!({"json": frame, "index": frame["index"], "expect": expect});
    if let Some(rule) = rule {
        s["rule"] = json!(rule);
    }
    if expect == "accept" {
        s["post_exec_tx"] = latest.map_or(Value::Null, |p| json!(p.to_string()));
    }
    s
}

fn scenario(
    name: &str,
    note: &str,
    lagoon_time: Option<u64>,
    steps: Vec<Value>,
) -> (String, Value) {
    let config = json!({"dialect": "subblocks", "lagoon_time": lagoon_time, "max_flashblocks_per_block": 20});
    (name.to_owned(), json!({"name": name, "note": note, "config": config, "steps": steps}))
}

#[test]
#[ignore = "writes tests/fixtures/lagoon/*.json; run by hand after changing the scenarios"]
fn write_lagoon_vectors() {
    let (f, n, time) = frames();
    // Transactions: 0 (deposit) and 1 in subblock 0, then 2, 3, 4, 5 in subblocks 1 to 4.
    let a = post_exec_raw(1, n, &[(2, 1_000)]);
    let b = post_exec_raw(1, n, &[(2, 1_000), (4, 50)]);
    let c = post_exec_raw(1, n, &[(2, 1_000), (4, 50), (5, 7)]);
    let acc = |fr: &Value, latest: Option<&Bytes>| step(fr, "accept", None, latest);
    let rej = |fr: &Value, rule: &str| step(fr, "reject", Some(rule), None);
    let mut out = Vec::new();
    out.push(scenario(
        "post_exec_restated_append_only",
        "a post-exec at 1, omitted at 2 (kept), restated with one entry of its own subblock at 3 and 4; no Lagoon time: post_exec_inactive is off",
        None,
        vec![acc(&f[0], None), acc(&with_post(&f[1], &a), Some(&a)), acc(&f[2], Some(&a)), acc(&with_post(&f[3], &b), Some(&b)), acc(&with_post(&f[4], &c), Some(&c))],
    ));
    let mut in_txs = f[1].clone();
    in_txs["diff"]["transactions"].as_array_mut().unwrap().push(json!(a.to_string()));
    let mut in_txs_gas = in_txs.clone();
    in_txs_gas["diff"]["gas_used"] = json!("0x0");
    out.push(scenario(
        "post_exec_in_transactions",
        "a 0x7D transaction in diff.transactions; with the gas decreased as well, gas_decreased comes first; with an invalid post_exec_tx as well, post_exec_in_transactions comes first",
        Some(0),
        vec![acc(&f[0], None), rej(&in_txs, "post_exec_in_transactions"), rej(&in_txs_gas, "gas_decreased"), rej(&with_post(&in_txs, &post_exec_raw(2, n, &[(2, 1)])), "post_exec_in_transactions"), acc(&f[1], None)],
    ));
    out.push(scenario(
        "post_exec_inactive",
        "the block is one second before the configured Lagoon time; an invalid one is inactive first; without it the subblock is accepted",
        Some(time + 1),
        vec![acc(&f[0], None), rej(&with_post(&f[1], &a), "post_exec_inactive"), rej(&with_post(&f[1], &post_exec_raw(2, n, &[(2, 1)])), "post_exec_inactive"), acc(&f[1], None)],
    ));
    let mut invalid = vec![acc(&f[0], None)];
    for bad in [
        post_exec_raw(2, n, &[(2, 1_000)]),
        post_exec_raw(0, n, &[(2, 1_000)]),
        post_exec_raw(1, n + 1, &[(2, 1_000)]),
        post_exec_raw(1, n - 1, &[(2, 1_000)]),
        Bytes::from_static(&[0x7d, 0xc0]),
        Bytes::from_static(&[0x7d]),
        Bytes::new(),
    ] {
        invalid.push(rej(&with_post(&f[1], &bad), "post_exec_invalid"));
    }
    let mut typed = a.to_vec();
    typed[0] = 0x02;
    invalid.push(rej(&with_post(&f[1], &Bytes::from(typed)), "post_exec_invalid"));
    let mut trailing = a.to_vec();
    trailing.push(0x80);
    invalid.push(rej(&with_post(&f[1], &Bytes::from(trailing)), "post_exec_invalid"));
    invalid.push(acc(&with_post(&f[1], &a), Some(&a)));
    out.push(scenario(
        "post_exec_invalid",
        "version 2 and 0, anchored to the next and the previous block, no fields, no payload, empty, type 0x02, trailing bytes",
        Some(0),
        invalid,
    ));
    let mut sdm = vec![acc(&f[0], None)];
    for entries in [
        &[][..],
        &[(2, 0)],
        &[(2, 5), (2, 6)],
        &[(1, 5), (0, 5)],
        &[(0, 5)],
        &[(3, 5)],
        &[(1, 5), (3, 5)],
        &[(u64::MAX, 5)],
    ] {
        sdm.push(rej(&with_post(&f[1], &post_exec_raw(1, n, entries)), "sdm_invalid"));
    }
    let ok = post_exec_raw(1, n, &[(2, 5)]);
    sdm.push(acc(&with_post(&f[1], &ok), Some(&ok)));
    out.push(scenario(
        "sdm_invalid",
        "empty list, zero refund, a repeated index, decreasing indices, the deposit (0), past the block so far (3 of 3 transactions, and u64::MAX); then an entry for 2, the subblock's own transaction",
        Some(0),
        sdm,
    ));
    out.push(scenario(
        "sdm_restated",
        "a first post-exec at 1 naming transaction 1 (of subblock 0, which carried none); after a post-exec [(2, 1000)] at 1: a changed refund, a removed entry, an entry of an earlier subblock before it, a repeated new entry (sdm_invalid first); at 3 after 2 omitted it, a new entry for 3 (subblock 2's) is restated, 4 (its own) is fine",
        Some(0),
        vec![
            acc(&f[0], None),
            rej(&with_post(&f[1], &post_exec_raw(1, n, &[(1, 5), (2, 1_000)])), "sdm_restated"),
            acc(&with_post(&f[1], &a), Some(&a)),
            rej(&with_post(&f[2], &post_exec_raw(1, n, &[(2, 1_001)])), "sdm_restated"),
            rej(&with_post(&f[2], &post_exec_raw(1, n, &[(3, 5)])), "sdm_restated"),
            rej(&with_post(&f[2], &post_exec_raw(1, n, &[(1, 5), (2, 1_000)])), "sdm_restated"),
            rej(&with_post(&f[2], &post_exec_raw(1, n, &[(2, 1_000), (3, 5), (3, 6)])), "sdm_invalid"),
            acc(&f[2], Some(&a)),
            rej(&with_post(&f[3], &post_exec_raw(1, n, &[(2, 1_000), (3, 5)])), "sdm_restated"),
            acc(&with_post(&f[3], &b), Some(&b)),
        ],
    ));
    let mut receipt = with_post(&f[1], &a);
    receipt["metadata"]["receipts"] = json!({
        keccak256(&a).to_string(): {"type": "0x7d", "status": "0x1", "cumulativeGasUsed": f[1]["diff"]["gas_used"], "logs": []}
    });
    out.push(scenario(
        "post_exec_receipt",
        "metadata.receipts carries a receipt for the post-exec transaction, which is not one of diff.transactions",
        Some(0),
        vec![acc(&f[0], None), rej(&receipt, "receipt_without_transaction"), acc(&with_post(&f[1], &a), Some(&a))],
    ));
    std::fs::create_dir_all(dir()).unwrap();
    for (name, value) in out {
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        std::fs::write(dir().join(format!("{name}.json")), text).unwrap();
    }
}
