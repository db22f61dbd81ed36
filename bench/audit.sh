#!/usr/bin/env bash
# Reproduces the `mlsysim audit --measure` table in BENCHMARKS.md: runs the measurement
# N times (default 3) and prints per run the triad bandwidth, array size and trials, the
# matmul rates, the benchmark's own time, the command's wall time and peak RSS, and the
# load average before the run (the machine is shared). Usage: bench/audit.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/mlsysim ./cmd/mlsysim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
field() { grep -m1 -o "\"$1\": [-0-9.e+]*" "$out/audit.json" | awk '{print $2}'; }
printf "%-6s %10s %9s %7s %10s %10s %9s %8s %8s\n" load triad_GB/s array_MiB trials fp64_GF/s fp32_GF/s measure_s wall_s RSS_MB
for _ in $(seq "${1:-3}"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M" -o "$out/time" bin/mlsysim audit --measure --catalog-out "$out/local.yaml" -o json > "$out/audit.json" 2>/dev/null
  read -r wall rss < "$out/time"
  awk -v l="$load" -v bw="$(field triad_bytes_per_s)" -v arr="$(field triad_array_bytes)" -v tr="$(field triad_trials)" \
    -v f64="$(field matmul_fp64_flops)" -v f32="$(field matmul_fp32_flops)" -v m="$(field elapsed_s)" -v w="$wall" -v r="$rss" \
    'BEGIN { printf "%-6s %10.2f %9d %7d %10.2f %10.2f %9.2f %8.2f %8d\n", l, bw/1e9, arr/1048576, tr, f64/1e9, f32/1e9, m, w, r/1024 }'
done
