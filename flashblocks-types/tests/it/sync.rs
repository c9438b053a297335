//! `testdata/vectors` must be an exact copy of `../shared/vectors` when that exists.

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

#[test]
fn vectors_copy_matches_shared() {
    let ours = crate::vectors_dir();
    assert!(ours.is_dir(), "testdata/vectors is missing: run scripts/sync-vectors.sh");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors");
    if !shared.is_dir() {
        println!("no ../shared/vectors beside the checkout: the copy is all there is");
        return;
    }
    let (a, b) = (walk(&shared), walk(&ours));
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
