#!/usr/bin/env bash
# Reproduces the numbers in BENCHMARKS.md, one section per goal of issue #13:
#
#   bench/run.sh [--quick] [--vs REV] [SECTION…]
#
# SECTION is any of kernel, sweeps, ceiling, parts, cache, queries, startup, optimize
# (default: all).
# --quick skips the 100M-point grids. --vs REV builds the binary of git revision
# REV too and runs every command of the sweeps, parts, queries and startup
# sections alternately with both binaries (paired, in one session), so a busy
# machine slows both alike. Each measurement is repeated REPS times (default 3)
# and reported as min and median of wall time, with CPU time (user + sys) and
# peak RSS. Needs: go, python3 (timing), zstd (the ceiling section), valgrind (cache).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0 vs=""
sections=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --vs) vs=$2; shift ;;
    *) sections+=("$1") ;;
  esac
  shift
done
[ ${#sections[@]} -gt 0 ] || sections=(kernel sweeps ceiling parts cache queries startup optimize)
reps=${REPS:-3}
want() { [[ " ${sections[*]} " == *" $1 "* ]]; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# build SRC NAME: the binary users run, as $out/NAME — `make build`'s lean bin/mlsysim with
# its mlsysim-full beside it (in $out/NAME.d; the link is resolved when the lean binary
# looks for it) where SRC's Makefile has the lean build, else the one binary of older revisions.
build() {
  mkdir "$out/$2.d"
  if grep -q '^lean:' "$1/Makefile"; then
    make -s -C "$1" build BIN="$out/$2.d/mlsysim" >/dev/null
  else
    (cd "$1" && go build -o "$out/$2.d/mlsysim" ./cmd/mlsysim)
  fi
  ln -s "$2.d/mlsysim" "$out/$2"
}
build . new
bins=("$out/new")
if [ -n "$vs" ]; then
  mkdir "$out/src"
  git archive "$vs" | tar -x -C "$out/src"
  build "$out/src" old
  bins=("$out/old" "$out/new")
fi
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)${vs:+ vs $vs}"

# measure LABEL CMD…: runs CMD with every binary (BIN in CMD is replaced),
# alternating, REPS times; prints min/median wall, min CPU, max RSS per binary.
measure() {
  local label=$1; shift
  python3 - "$label" "$reps" "$out" "${bins[@]}" -- "$@" <<'EOF'
import os, resource, statistics, subprocess, sys, time
label, reps, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sep = sys.argv.index('--')
bins, cmd = sys.argv[4:sep], sys.argv[sep + 1:]
res = {b: [] for b in bins}
for _ in range(reps):
    for b in bins:
        argv = [b if a == 'BIN' else a.replace('OUT', tmp) for a in cmd]
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        err = p.stderr.read().decode()
        if status != 0:
            sys.exit(f"{' '.join(argv)}: exit {status}: {err}")
        res[b].append((wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024))
for b in bins:
    w = [r[0] for r in res[b]]
    name = os.path.basename(b)
    print(f"{label:<34} {name:>4}  wall min {min(w):8.3f} s  median {statistics.median(w):8.3f} s  "
          f"cpu {min(r[1] for r in res[b]):8.2f} s  rss {max(r[2] for r in res[b]):6.0f} MB")
EOF
}

# points GRID: the grid's point count.
points() { "$out/new" sweep "$1" --dry-run | sed -n 's/^points: \([0-9]*\).*/\1/p'; }

if want kernel; then
  echo; echo "## kernel only: one goroutine, so points/s is points per CPU-second"
  go test -run='^$' -bench='BenchmarkSingleNode$|BenchmarkServing$' -benchtime=2s -count="$reps" ./kernel/ |
    awk '/points\/s/ {printf "%-28s %12.4g points/s\n", $1, $(NF-1)}'
fi

if want sweeps; then
  echo; echo "## end to end: grid → kernel → zstd Parquet, $(nproc) workers (goals: node ≥ 2.6 M/s, serve ≥ 3 M/s, fleet ≥ 1.6 M/s, RSS ≤ 300 MB)"
  grids="bench/node-10m.yaml bench/serve-10m.yaml bench/fleet-10m.yaml"
  [ $quick = 1 ] || grids="$grids bench/node-100m.yaml bench/serve-100m.yaml"
  for g in $grids; do
    n=$(points "$g")
    echo "$(basename "$g" .yaml): $n points"
    measure "  sweep" BIN sweep "$g" --out OUT/sweep -q --overwrite |
      awk -v n="$n" '{print $0 sprintf("  %.3g M points/s", n / $5 / 1e6)}'
    rm -rf "${out:?}/sweep"
  done
fi

if want ceiling; then
  echo; echo "## the encode ceiling: compute + Arrow IPC + zstd -1 of the same bytes (CPU-seconds over $(nproc) cores)"
  for g in bench/node-10m.yaml bench/serve-10m.yaml bench/fleet-10m.yaml; do
    bench/ceiling.sh "$out/new" "$g"
  done
fi

if want parts; then
  echo; echo "## a grid smaller than one part: two workers against one (goal ≥ 1.8×)"
  for g in node-1m serve-1m; do
    for w in 1 2; do
      measure "$g --workers $w" BIN sweep "bench/$g.yaml" --out OUT/one -q --overwrite --workers "$w"
    done
  done
  rm -rf "${out:?}/one"
fi

if want cache; then
  # What a loaded machine cannot time: instructions, and data misses of a simulated 1 MB
  # cache (one core's L2 here) — the memory traffic two workers contend for. Whole
  # processes, one worker, the 1M grids cut to a third so that valgrind takes minutes.
  echo; echo "## per point, one worker: instructions and misses of a 1 MB data cache (cachegrind; repeatable under any load)"
  . bench/callgrind.sh
  sed 's/range: \[1, 100\]/range: [1, 32]/' bench/serve-1m.yaml >"$out/serve-320k.yaml"
  sed 's/range: \[1, 28\]/range: [1, 8]/' bench/node-1m.yaml >"$out/node-285k.yaml"
  for b in "${bins[@]}"; do
    cp "$(readlink -f "$b")" "$b.cg"
    cg_patch "$b.cg"
  done
  for g in serve-320k node-285k; do
    n=$(points "$out/$g.yaml")
    for b in "${bins[@]}"; do
      GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=yes --LL=1048576,16,64 \
        --cachegrind-out-file=/dev/null "$b.cg" sweep "$out/$g.yaml" --out "$out/cg" -q --overwrite --workers 1 2>&1 |
        awk -v n="$n" -v g="$g" -v b="${b##*/}" '/I *refs:/ {i = $4} /LLd misses:/ {m = $4}
          END {gsub(",", "", i); gsub(",", "", m); printf "%-12s %4s  %6.0f instructions  %5.1f cache misses\n", g, b, i / n, m / n}'
    done
  done
  rm -rf "${out:?}/cg"
fi

if want queries; then
  echo; echo "## queries over 10M rows (goals: 2-objective Pareto per group ≤ 2 s in every format, placement per group ≤ 1 s)"
  "$out/new" sweep bench/node-10m.yaml --out "$out/node" -q
  "$out/new" sweep bench/fleet-10m.yaml --out "$out/fleet" -q
  for f in csv json text markdown; do
    measure "pareto per model, -o $f" BIN -o "$f" query pareto OUT/node --param objectives=latency_ms,throughput_per_s:max --param group=model
  done
  measure "pareto per model×precision, -o text" BIN query pareto OUT/node --param objectives=latency_ms,throughput_per_s:max --param group=model,precision
  measure "placement per model×region" BIN query placement OUT/fleet --param tax=150 --param group=model,region
  measure "placement per model×nodes×region" BIN query placement OUT/fleet --param tax=150 --param group=model,nodes,region
fi

if want startup; then
  echo; echo "## cold start (goals: eval and serve ≤ 30 ms, query ≤ 60 ms)"
  "$out/new" sweep grids/serve-capacity.yaml --out "$out/tiny" -q
  reps=$((reps * 10))
  measure "eval Llama3_8B H100" BIN eval Llama3_8B H100
  measure "serve Llama3_8B H100" BIN serve Llama3_8B H100
  measure "query top (1,152 rows)" BIN query top OUT/tiny --param by=ttft_ms
fi

if want optimize; then
  echo; echo "## optimize serving: >1M serve-deploy configurations, sweep + queries (issue #10)"
  reps=1
  measure "optimize serving Llama3_70B" BIN optimize serving Llama3_70B --qps 20 --ttft-ms 500 --itl-ms 50 --hardware H100,H200,MI300X -o json
fi

echo; echo "## reference: the seed (MLSys·im, Python) evaluates about 930 points/s on this machine kind (issue #5)"
