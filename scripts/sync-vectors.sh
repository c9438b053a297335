#!/usr/bin/env bash
# Copies ../shared/vectors (the project's conformance vectors) into testdata/vectors, so
# that a fresh clone without ../shared still runs every test. The test
# `vectors_copy_matches_shared` fails when the two differ: run this, then commit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/../shared/vectors"
dst="$root/testdata/vectors"
if [ ! -d "$src" ]; then
  echo "no $src to sync from" >&2
  exit 1
fi
rm -rf "$dst"
mkdir -p "$(dirname "$dst")"
cp -R "$src" "$dst"
chmod -R u+w "$dst"
echo "synced $(find "$dst" -type f | wc -l) files into testdata/vectors"
