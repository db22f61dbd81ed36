#!/usr/bin/env bash
# Byte identity of sweeps between a revision and the work tree: both binaries sweep each
# SPEC into Parquet under each profile (and batch size), and every part and the manifest are
# compared with cmp (both built by plain go build, so neither records a revision). For
# changes that must not move an output bit.
# Usage: [PROFILES="calibrated seed"] [BATCHES="32768 7"] [NEW=REV2] bench/identical.sh REV SPEC…
# NEW builds the second binary from a revision instead of the work tree (so that editing the
# tree while the script runs cannot change what it compares).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/identical.sh REV SPEC…}
shift
[ $# -gt 0 ] || { echo "usage: bench/identical.sh REV SPEC…" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git archive "$rev" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go build -o "$tmp/old" ./cmd/mlsysim)
if [ -n "${NEW:-}" ]; then
  rm -rf "$tmp/src" && mkdir "$tmp/src"
  git archive "$NEW" | tar -x -C "$tmp/src"
  (cd "$tmp/src" && go build -o "$tmp/new" ./cmd/mlsysim)
  rm -rf "$tmp/src"
else
  go build -o "$tmp/new" ./cmd/mlsysim
fi
for spec in "$@"; do
  for profile in ${PROFILES:-calibrated seed}; do
    for batch in ${BATCHES:-32768}; do
      for b in old new; do
        rm -rf "$tmp/out-$b"
        "$tmp/$b" --profile "$profile" sweep "$spec" --out "$tmp/out-$b" -q --batch-size "$batch"
      done
      cmp "$tmp/out-old/_manifest.json" "$tmp/out-new/_manifest.json"
      n=0
      for f in "$tmp"/out-old/part-*; do
        cmp "$f" "$tmp/out-new/${f##*/}"
        n=$((n + 1))
      done
      [ "$n" = "$(ls "$tmp"/out-new/part-* | wc -l)" ] || { echo "$spec: the two runs wrote different numbers of parts" >&2; exit 1; }
      echo "$spec ($profile, batch $batch): $n parts and the manifest identical to $rev's"
    done
  done
done
