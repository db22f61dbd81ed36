#!/usr/bin/env bash
# Byte identity of `mlsysim query` between a revision and the work tree: both are built as
# `make build` builds them (the lean bin/mlsysim handing queries to mlsysim-full beside it),
# and each command line below runs with both; stdout, stderr and the exit code, and any
# --out file, are compared with cmp. Results: a small sweep (one row group, so DuckDB gets
# one thread and bundled queries read it without late materialization), the serving
# frontier (several parts), a fleet sweep (one row group), and a plain Parquet file.
# For changes that must not move an output byte (issue #13's query cold start).
# Usage: bench/query-identical.sh REV
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/query-identical.sh REV}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/old" "$tmp/new"
git archive "$rev" | tar -x -C "$tmp/src"
make -s -C "$tmp/src" build BIN="$tmp/old/mlsysim" >/dev/null
make -s build BIN="$tmp/new/mlsysim" >/dev/null
new=$tmp/new/mlsysim
"$new" sweep grids/serve-capacity.yaml --out "$tmp/tiny" -q
"$new" sweep serving-frontier --out "$tmp/frontier" -q --part-points 2048
"$new" sweep grids/fleet-placement.yaml --out "$tmp/fleet" -q
cp "$tmp/frontier/part-00001.parquet" "$tmp/plain.parquet"
T=$tmp/tiny F=$tmp/frontier P=$tmp/plain.parquet L=$tmp/fleet
lines=(
  "query --list"
  "-o json query --list"
  "query top $T --param by=ttft_ms"
  "query top $T --param by=ttft_ms --param group=model --param k=3"
  "query summary $T"
  "query summary $F --param group=model -o markdown"
  "query pareto $F --param objectives=itl_ms,usd_per_million_tokens --param group=model"
  "query pareto $F --param objectives=itl_ms,usd_per_million_tokens,ttft_ms --param group=model -o json"
  "query pareto $T --param objectives=ttft_ms,tokens_per_s_per_accelerator:max -o csv"
  "query batching $F --param max=50"
  "query find $F --param column=hardware --param value=H100 --param k=3"
  "query placement $L --param tax=150 --param group=model"
  "query placement $L --param tax=150 --param k=7"
  "query top $L --param by=step_latency_ms --param k=30 -o csv"
  "query top $T --param by=itl_ms --param order=max --param k=40"
  "query find $T --param column=model --param value=Llama3_8B --param k=5 -o json"
  "query top $P --param by=itl_ms -o csv"
  "query --sql SELECT~hardware,count(*)~AS~n~FROM~results~GROUP~BY~ALL~ORDER~BY~1 $F"
  "query --sql SHOW~TABLES $T"
  "query --sql SELECT~model,hardware,point_id~FROM~results~ORDER~BY~model~LIMIT~7 $T"
  "query --sql SELECT~nope~FROM~results $T"
  "query --sql SELECT~count(*)~FROM~main.results $F -o json"
  "query top $T --param by=ttft_ms --param k=2 -o json"
  "query summary $P -o csv"
  "query top $T --param by=nope"
  "-o json query top $T --param by=nope"
  "query --sql COPY~results~TO~'x.csv' $T"
  "query --sql SELECT~*~FROM~read_csv('https://example.com/x.csv') $T"
  "query nope $T"
  "query top $tmp/missing --param by=itl_ms"
)
n=0
for line in "${lines[@]}"; do
  read -ra args <<<"$line"
  args=("${args[@]//\~/ }") # --sql texts are written with ~ for spaces
  for b in old new; do
    code=0
    "$tmp/$b/mlsysim" "${args[@]}" >"$tmp/$b.out" 2>"$tmp/$b.err" || code=$?
    echo "$code" >"$tmp/$b.code"
  done
  [ "$(cat "$tmp/new.code")" = 0 ] || [[ $line == *nope* || $line == *COPY* || $line == *https* || $line == *missing* ]] ||
    { echo "exit $(cat "$tmp/new.code"): mlsysim $line: $(cat "$tmp/new.err")" >&2; exit 1; }
  for x in out err code; do
    cmp -s "$tmp/old.$x" "$tmp/new.$x" || { echo "differs ($x): mlsysim $line" >&2; diff "$tmp/old.$x" "$tmp/new.$x" | head -5 >&2; exit 1; }
  done
  n=$((n + 1))
done
for b in old new; do
  "$tmp/$b/mlsysim" query pareto "$F" --param objectives=itl_ms,usd_per_million_tokens --param group=model --out "$tmp/$b.parquet" 2>/dev/null
  "$tmp/$b/mlsysim" query top "$T" --param by=itl_ms --param order=max --param k=40 --out "$tmp/$b-top.parquet" 2>/dev/null
done
cmp "$tmp/old.parquet" "$tmp/new.parquet"
cmp "$tmp/old-top.parquet" "$tmp/new-top.parquet"
echo "$n query command lines (stdout, stderr, exit code) and two --out Parquet files identical to $rev's"
