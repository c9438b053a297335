//! The conformance runner over every vector path, and its failure lines.

use crate::vectors_dir;
use flashblocks_examples::conformance::run;

#[test]
fn every_vector_passes_with_the_expected_counts() {
    let (counts, lines) = run([vectors_dir()], Vec::new());
    assert_eq!((counts.ssz_valid, counts.ssz_invalid), (17, 12));
    assert_eq!((counts.scenarios, counts.steps), (38, 200));
    assert_eq!((counts.captures, counts.capture_flashblocks, counts.block_hash_ok), (1, 5, 5));
    assert_eq!(counts.tally.failed, 0, "{lines:#?}");
    assert_eq!(counts.tally.passed, 17 + 12 + 200 + 5);
    assert_eq!(lines.last().unwrap(), "234 passed, 0 failed");
    // One line per capture flashblock, in the documented format.
    let capture_lines: Vec<_> = lines.iter().filter(|l| l.contains(" index=")).collect();
    assert_eq!(capture_lines.len(), 5);
    assert!(capture_lines[0].ends_with(
        "unichain-sepolia-35535698-full-sequence.json index=0 txs=2 gas_used=0x10994 verdict=accept block_hash=ok"
    ), "{}", capture_lines[0]);
    assert!(capture_lines[4].contains("index=4 txs=1 gas_used=0x32138 verdict=accept"));
    // What `auto` decided for the capture: Unichain streams rollup-boost's JSON.
    assert!(
        lines
            .iter()
            .any(|l| l
                .ends_with("unichain-sepolia-35535698-full-sequence.json dialect=rollup-boost")),
        "{lines:#?}"
    );

    // The same, path by path.
    let paths = [
        "ssz/valid",
        "ssz/invalid",
        "sequences",
        "real/unichain-sepolia-35535698-full-sequence.json",
    ]
    .map(|p| vectors_dir().join(p));
    let (again, _) = run(paths, Vec::new());
    assert_eq!(again, counts);
}

#[test]
fn failures_are_reported_per_vector_and_step() {
    let dir = std::env::temp_dir().join(format!("fb-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A scenario whose step 1 expects the wrong rule.
    let text = std::fs::read_to_string(vectors_dir().join("sequences/index_gap.json")).unwrap();
    let mut scenario: serde_json::Value = serde_json::from_str(&text).unwrap();
    let steps = scenario["steps"].as_array_mut().unwrap();
    let reject = steps.iter().position(|s| s["expect"] == "reject").unwrap();
    steps[reject]["rule"] = "stale_block".into();
    std::fs::write(dir.join("bad_scenario.json"), scenario.to_string()).unwrap();
    // An invalid vector that decodes.
    let valid = std::fs::read_to_string(vectors_dir().join("ssz/valid/empty_later.json")).unwrap();
    let mut invalid: serde_json::Value = serde_json::from_str(&valid).unwrap();
    invalid.as_object_mut().unwrap().remove("value");
    std::fs::write(dir.join("decodes.json"), invalid.to_string()).unwrap();
    // A capture with an unreadable line.
    std::fs::write(dir.join("capture.jsonl"), "{\"index\": 0}\n").unwrap();

    let (counts, lines) = run([&dir], Vec::new());
    std::fs::remove_dir_all(&dir).unwrap();
    let fails: Vec<_> = lines.iter().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(fails.len(), 3, "{lines:#?}");
    assert!(fails[0].contains("bad_scenario.json step"));
    assert!(fails[0].contains(&format!("bad_scenario.json step {reject}: rejected with index_gap")));
    assert!(fails[0].ends_with("expected stale_block"), "{}", fails[0]);
    assert!(fails[1].contains("capture.jsonl frame 0: malformed"), "{}", fails[1]);
    assert!(fails[2].ends_with("decodes.json: decoded, but must be rejected"));
    assert_eq!(counts.tally.failed, 3);
    assert_eq!(lines.last().unwrap(), &format!("{} passed, 3 failed", counts.tally.passed));
}
