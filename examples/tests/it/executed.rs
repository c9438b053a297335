//! The main job's executed part: every flashblock of the stripped JSON stream proves and
//! gives exactly the builder's facts, and the table has a row per flashblock.

use flashblocks_examples::executed::executed_replay;

#[test]
fn executed_replay_proves_every_flashblock() {
    let mut lines: Vec<String> = Vec::new();
    let summary = executed_replay(&mut lines).unwrap();
    assert_eq!(summary.executed, 9);
    assert_eq!((summary.proved, summary.mismatched, summary.builder_facts), (9, 0, 9));
    assert_eq!(lines.iter().filter(|l| l.contains(" ok ")).count(), 9);
    assert!(lines.iter().any(|l| l.contains("eth_call(pending)") && l.contains("success true")));
}
