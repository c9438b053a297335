//! Every scenario of `testdata/vectors/sequences/`, step by step.

use crate::{hex_bytes, json_files, read_json, vectors_dir};
use flashblocks_validate::{Outcome, Validator, ValidatorConfig, RULE_IDS};
use std::collections::BTreeSet;

#[test]
fn sequence_scenarios() {
    let files = json_files(&vectors_dir().join("sequences"));
    let (mut scenarios, mut steps) = (0, 0);
    let mut rules_seen = BTreeSet::new();
    for path in &files {
        let scenario = read_json(path);
        let name = scenario["name"].as_str().expect("name");
        let max = scenario["config"]["max_flashblocks_per_block"].as_u64().expect("bound");
        let mut validator =
            Validator::new(ValidatorConfig::default().with_max_flashblocks_per_block(max));
        for (i, step) in scenario["steps"].as_array().expect("steps").iter().enumerate() {
            let frame = hex_bytes(step["serialized"].as_str().expect("serialized"));
            let before = validator.current_block().cloned();
            let got = validator.validate_frame(&frame);
            let at = format!("{name} step {i}");
            match step["expect"].as_str().expect("expect") {
                "accept" => {
                    let validated = got.unwrap_or_else(|e| panic!("{at}: rejected: {e}"));
                    let accepted = validated.outcome.accepted().expect(&at);
                    assert_eq!(accepted.index(), step["index"].as_u64().expect("index"), "{at}");
                    let root = step["root"].as_str().expect("root").parse().expect("root");
                    assert_eq!(validated.flashblock.identity(), root, "{at}");
                    let current = validator.current_block().expect(&at);
                    assert_eq!(current.last_root(), Some(root), "{at}");
                    assert_eq!(current.next_index(), accepted.index() + 1, "{at}");
                }
                "duplicate" => {
                    let validated = got.unwrap_or_else(|e| panic!("{at}: rejected: {e}"));
                    assert!(
                        matches!(validated.outcome, Outcome::Duplicate { index, .. }
                            if Some(index) == step["index"].as_u64()),
                        "{at}: {:?}",
                        validated.outcome
                    );
                    assert_eq!(validator.current_block(), before.as_ref(), "{at}");
                }
                "reject" => {
                    let err = got.err().unwrap_or_else(|| panic!("{at}: not rejected"));
                    let rule = step["rule"].as_str().expect("rule");
                    assert_eq!(err.rule_id(), rule, "{at}: {err}");
                    assert_eq!(validator.current_block(), before.as_ref(), "{at}: state moved");
                    rules_seen.insert(err.rule_id());
                }
                other => panic!("{at}: unknown expectation {other}"),
            }
            steps += 1;
        }
        scenarios += 1;
    }
    println!("sequence scenarios: {scenarios} scenarios, {steps} steps, all passed");
    assert!(scenarios > 0 && steps > 0, "no scenario ran");
    // Every rule a scenario names is a built-in rule id (the optional checks are off in
    // them). The set is printed rather than required whole, so that any vector set runs.
    let built_in: BTreeSet<&str> = RULE_IDS[..RULE_IDS.len() - 3].iter().copied().collect();
    assert!(rules_seen.is_subset(&built_in), "{rules_seen:?}");
    println!("rule ids reached: {} of {}", rules_seen.len(), built_in.len());
}
