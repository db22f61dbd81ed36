#!/usr/bin/env bash
# CPU time of the fleet study at several revisions, interleaved in one session so that a
# busy shared machine slows each alike (BENCHMARKS.md, "Fleet evaluator").
# Usage: bench/fleet-cpu.sh REV… [-- ]   (the work tree is always measured last, as "tree")
#   evaluator:  ROUNDS (default 10) rounds of BenchmarkFleetKernel/PROFILE (default calibrated)
#               at 400 evaluations, one goroutine, each test binary run from its own sweep/;
#               user CPU seconds per run, setup (~0.1 s) included.
#   end to end: with E2E=1, REPS (default 3) rounds of `mlsysim sweep bench/fleet-10m.yaml`
#               (the work tree's spec for every binary) to zstd Parquet on every core;
#               wall, user + sys CPU seconds, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: bench/fleet-cpu.sh REV…" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=()
for rev in "$@" tree; do
  src=$tmp/src-$rev
  if [ "$rev" = tree ]; then
    src=$PWD
  else
    mkdir "$src"
    git archive "$rev" | tar -x -C "$src"
  fi
  (cd "$src" && go test -c -o "$tmp/$rev.test" ./sweep/ && go build -o "$tmp/$rev.bin" ./cmd/mlsysim)
  echo "$src" >"$tmp/$rev.src"
  names+=("$rev")
done
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), tree at $(git rev-parse --short HEAD)"

profile=${PROFILE:-calibrated}
echo "## BenchmarkFleetKernel/$profile, 400 evaluations: user CPU s per run"
for _ in $(seq "${ROUNDS:-10}"); do
  line=""
  for rev in "${names[@]}"; do
    u=$( (cd "$(cat "$tmp/$rev.src")/sweep" && /usr/bin/time -f %U "$tmp/$rev.test" -test.run='^$' \
      -test.bench="FleetKernel/$profile\$" -test.benchtime=400x -test.cpu=1 2>&1 >/dev/null) | tail -1)
    line="$line $rev $u"
  done
  echo "$line"
done

[ "${E2E:-}" = 1 ] || exit 0
echo "## sweep bench/fleet-10m.yaml: wall s, user + sys CPU s, peak RSS MB"
for _ in $(seq "${REPS:-3}"); do
  for rev in "${names[@]}"; do
    rm -rf "$tmp/out"
    /usr/bin/time -f "$rev %e %U %S %M" "$tmp/$rev.bin" sweep bench/fleet-10m.yaml --out "$tmp/out" -q 2>&1 |
      awk '{printf "%s wall %.2f cpu %.2f rss %.0f\n", $1, $2, $3 + $4, $5 / 1024}'
  done
done
