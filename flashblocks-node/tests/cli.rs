//! The `flashblocks-node` program's command line.

use std::process::Command;

/// Without `--ws` it has nothing to serve: it prints its usage and exits non-zero,
/// before binding anything.
#[test]
fn without_a_stream_it_prints_usage_and_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_flashblocks-node")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout (no `listening on` line): {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--ws"), "{stderr}");
    assert!(stderr.contains("Usage: flashblocks-node"), "{stderr}");
    for flag in ["--port", "--upstream", "--chain", "--execution", "--metrics", "--max-age-ms"] {
        assert!(stderr.contains(flag), "{flag} in the usage:\n{stderr}");
    }
}

/// `--help` succeeds and names every flag the harnesses use, with their variables.
#[test]
fn help_lists_the_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_flashblocks-node")).arg("--help").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--ws", "FLASHBLOCKS_NODE_WS", "- off:", "- report:", "- enforce:", "- dev:"] {
        assert!(help.contains(flag), "{flag} in --help:\n{help}");
    }
}
