#!/usr/bin/env bash
# Reproduces the figure and report times in BENCHMARKS.md: the serve grids of 1M and 10M
# points swept to Parquet, then each plot kind and the report drawn from them, three runs
# each: the median wall time and the median CPU time (user + system, which other load on
# the machine disturbs less), and the peak RSS. Usage: bench/figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/mlsysim ./cmd/mlsysim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { sort -n | sed -n 2p; }
printf "%-10s %-44s %8s %8s %10s\n" grid figure wall_s cpu_s peak_RSS
for g in bench/serve-1m.yaml bench/serve-10m.yaml; do
  name=$(basename "$g" .yaml)
  bin/mlsysim sweep "$g" --out "$out/$name" -q
  rows=$(grep -m1 '"rows"' "$out/$name/_manifest.json" | tr -dc 0-9)
  while IFS='|' read -r label args; do
    : > "$out/times"
    for _ in 1 2 3; do
      # shellcheck disable=SC2086
      /usr/bin/time -f "%e %U %S %M" -a -o "$out/times" bin/mlsysim $args 2>/dev/null
    done
    secs=$(cut -d' ' -f1 "$out/times" | median)
    cpu=$(awk '{printf "%.2f\n", $2 + $3}' "$out/times" | median)
    rss=$(cut -d' ' -f4 "$out/times" | sort -n | tail -1)
    printf "%-10s %-44s %8s %8s %7d MB\n" "$name" "$label" "$secs" "$cpu" $((rss / 1024))
  done <<LIST
pareto (itl_ms vs tokens_per_s per model)|plot pareto $out/$name --out $out/p.svg
scatter (20,000-point sample, 4 panels)|plot scatter $out/$name --x kv_cache_gb --y itl_ms --color precision --facet model --out $out/s.svg
heatmap (seq_len × precision)|plot heatmap $out/$name --x seq_len --y precision --out $out/h.svg
heatmap PNG (hardware × precision, feasible)|plot heatmap $out/$name --x hardware --y precision --color feasible --out $out/f.png
line (tokens_per_s vs batch_size)|plot line $out/$name --x batch_size --y tokens_per_s --color hardware --where model=Llama3_8B --out $out/l.svg
report (3 figures, tables)|report $out/$name --out $out/r.html
LIST
  echo "$name: $rows rows"
  rm -rf "${out:?}/$name"
done
