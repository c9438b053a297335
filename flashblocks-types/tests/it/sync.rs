//! The repository's copies of `../shared` (when that exists beside the checkout) must be
//! exact: `testdata/vectors` of `../shared/vectors`, `flashblocks-types/spec` (the
//! `flashblocks_types::spec` docs module) of `../shared/spec`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

fn walk(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Asserts that `ours` is an exact copy of `../shared/<shared_name>`, when that exists.
fn assert_copy_of_shared(shared_name: &str, ours: &Path) {
    assert!(ours.is_dir(), "{} is missing: run scripts/sync-vectors.sh", ours.display());
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(shared_name);
    if !shared.is_dir() {
        println!("no ../shared/{shared_name} beside the checkout: the copy is all there is");
        return;
    }
    let (a, b) = (walk(&shared), walk(ours));
    let names_a: Vec<_> = a.keys().collect();
    let names_b: Vec<_> = b.keys().collect();
    assert_eq!(names_a, names_b, "file lists differ: run scripts/sync-vectors.sh and commit");
    for (name, bytes) in &a {
        assert!(
            b[name] == *bytes,
            "{} differs: run scripts/sync-vectors.sh and commit",
            name.display()
        );
    }
}

#[test]
fn vectors_copy_matches_shared() {
    assert_copy_of_shared("vectors", &crate::vectors_dir());
}

#[test]
fn spec_copy_matches_shared() {
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    assert!(ours.join("flashblocks.md").is_file(), "the spec page is missing from spec/");
    assert_copy_of_shared("spec", &ours);
}
