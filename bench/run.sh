#!/usr/bin/env bash
# Reproduces the numbers in BENCHMARKS.md: kernel-only throughput (go test -bench),
# end-to-end sweeps to zstd Parquet with wall time and peak RSS, and the seed's
# reference rate for comparison. Usage: bench/run.sh [--quick]   (quick skips 100M)
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/mlsysim ./cmd/mlsysim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "## kernel only (one goroutine, batches of 64K points)"
go test -run='^$' -bench=. -benchtime=2s ./kernel/ | awk '/points\/s/ {printf "%-28s %12.3g points/s\n", $1, $(NF-1)}'

echo
echo "## end to end: grid → kernel → Arrow → zstd Parquet, $(nproc) cores"
printf "%-18s %12s %8s %12s %10s %10s\n" grid points cols seconds points/s peak_RSS
grids="bench/serve-10m.yaml bench/node-10m.yaml"
[ "${1:-}" = "--quick" ] || grids="$grids bench/serve-100m.yaml"
for g in $grids; do
  name=$(basename "$g" .yaml)
  /usr/bin/time -f "%e %M" -o "$out/time" bin/mlsysim sweep "$g" --out "$out/$name" -q
  read -r secs rss < "$out/time"
  points=$(grep -m1 '"points_total"' "$out/$name/_manifest.json" | tr -dc 0-9)
  cols=$(grep -c '"description"' "$out/$name/_manifest.json")
  printf "%-18s %12d %8d %12.2f %10.3g %8d MB\n" "$name" "$points" "$cols" "$secs" "$(echo "$points / $secs" | bc -l)" $((rss / 1024))
  rm -rf "${out:?}/$name"
done

echo
echo "## optimize serving: >1M serve-deploy configurations, sweep + queries (issue #10)"
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak RSS" bin/mlsysim optimize serving Llama3_70B \
  --qps 20 --ttft-ms 500 --itl-ms 50 --hardware H100,H200,MI300X -o json >/dev/null

echo
echo "## reference: the seed (MLSys·im, Python) evaluates about 930 points/s on this machine kind (issue #5)"
