#!/usr/bin/env bash
# Byte identity of a sweep's output between a revision and the work tree: both binaries
# sweep SPEC into Parquet and every part and the manifest are compared with cmp (both built
# by plain go build, so neither records a revision). For changes that must not move an output bit.
# Usage: [PROFILE=seed] bench/identical.sh REV SPEC [sweep flags, e.g. --batch-size 7]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/identical.sh REV SPEC [sweep flags]}
spec=${2:?usage: bench/identical.sh REV SPEC [sweep flags]}
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git archive "$rev" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go build -o "$tmp/old" ./cmd/mlsysim)
go build -o "$tmp/new" ./cmd/mlsysim
for b in old new; do
  "$tmp/$b" --profile "${PROFILE:-calibrated}" sweep "$spec" --out "$tmp/out-$b" -q "$@"
done
n=0
cmp "$tmp/out-old/_manifest.json" "$tmp/out-new/_manifest.json"
for f in "$tmp"/out-old/part-*; do
  cmp "$f" "$tmp/out-new/${f##*/}"
  n=$((n + 1))
done
[ "$n" = "$(ls "$tmp"/out-new/part-* | wc -l)" ] || { echo "the two runs wrote different numbers of parts" >&2; exit 1; }
echo "$spec (${PROFILE:-calibrated}${*:+, $*}): $n parts and the manifest identical to $rev's"
