#!/usr/bin/env bash
# Instructions per point of a whole node sweep (bench/node-1m.yaml cut to batch sizes 1–8,
# one worker, zstd Parquet written: physics, record building and the sink together), before
# and after a change, counted by callgrind so that the comparison does not depend on what
# else the shared machine is doing (BENCHMARKS.md). The point count is each binary's own
# (model: all follows its embedded catalog), so revisions with different catalogs compare
# per point.
# Usage: bench/node-instructions.sh BEFORE_REV [AFTER_REV]   (AFTER_REV default: the work tree)
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bench/node-instructions.sh BEFORE_REV [AFTER_REV]}
after=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. bench/callgrind.sh
sed 's/range: \[1, 28\]/range: [1, 8]/' bench/node-1m.yaml >"$tmp/grid.yaml"
bin() { # REV-or-empty OUTPUT: the binary at REV, patched for valgrind
  if [ -z "$1" ]; then
    go build -o "$2" ./cmd/mlsysim
  else
    mkdir "$tmp/src"
    git archive "$1" | tar -x -C "$tmp/src"
    (cd "$tmp/src" && go build -o "$2" ./cmd/mlsysim)
    rm -rf "$tmp/src"
  fi
  cg_patch "$2"
}
bin "$before" "$tmp/before"
bin "$after" "$tmp/after"
for which in before after; do
  n=$("$tmp/$which" sweep "$tmp/grid.yaml" --dry-run 2>&1 | sed -n 's/^points: //p')
  i=$(GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$tmp/$which" sweep "$tmp/grid.yaml" --out "$tmp/out" -q --overwrite --workers 1 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  echo "$which $i instructions, $n points, $(( i / n )) per point"
done
