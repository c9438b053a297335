#!/usr/bin/env bash
# Copies the project's contract from ../shared into the repository, so that a fresh clone
# without ../shared still runs every test and docs.rs sees the spec:
# - ../shared/vectors (the conformance vectors) into testdata/vectors;
# - ../shared/spec (the spec page and its schema) into flashblocks-types/spec, shown as the
#   documentation module `flashblocks_types::spec`.
# The tests `vectors_copy_matches_shared` and `spec_copy_matches_shared` fail when a copy
# differs from ../shared: run this, then commit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# ../shared beside the checkout, or wherever SHARED points (e.g. from a git worktree).
shared=${SHARED:-$root/../shared}
sync() {
  local src="$1" dst="$2"
  if [ ! -d "$src" ]; then
    echo "no $src to sync from" >&2
    exit 1
  fi
  rm -rf "$dst"
  mkdir -p "$(dirname "$dst")"
  cp -R "$src" "$dst"
  chmod -R u+w "$dst"
  echo "synced $(find "$dst" -type f | wc -l) files into ${dst#"$root"/}"
}
sync "$shared/vectors" "$root/testdata/vectors"
sync "$shared/spec" "$root/flashblocks-types/spec"
