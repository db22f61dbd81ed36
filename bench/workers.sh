#!/usr/bin/env bash
# One worker against two (issue #13: a 1M-point grid ≥ 1.8× on two workers), and the
# 10M-point sweeps, paired against another revision:
#
#   bench/workers.sh [--big] REV      (REPS runs of each, default 5)
#
# Builds the lean binary of the work tree (new) and of REV (old) and runs
# bench/serve-1m.yaml and bench/node-1m.yaml with --workers 1 and 2 (with --big also
# bench/serve-10m.yaml and bench/node-10m.yaml on every core), alternating the binaries
# so that load from other processes falls on both alike. Prints per binary and command
# the min and median wall time, min CPU time (user + sys), page faults and peak RSS, and
# per binary the ratio of one worker's wall time to two workers' (min over runs, and
# median). Wall times and that ratio mean something only while no other process wants
# the cores (load average well under 1 before the run); CPU time and page faults are the
# figures to compare on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
big=0
[ "${1:-}" = --big ] && { big=1; shift; }
rev=${1:?usage: bench/workers.sh [--big] REV}
reps=${REPS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -tags lean -o "$out/new" ./cmd/mlsysim
mkdir "$out/src"
git archive "$rev" | tar -x -C "$out/src"
(cd "$out/src" && CGO_ENABLED=0 go build -tags lean -o "$out/old" ./cmd/mlsysim)
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), new: $(git rev-parse --short HEAD) (work tree), old: $rev"
grids="serve-1m node-1m"
[ $big = 1 ] && grids="$grids serve-10m node-10m"
python3 - "$reps" "$out" $grids <<'PY'
import os, statistics, subprocess, sys, time
reps, tmp, grids = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
res = {}
for _ in range(reps):
    for g in grids:
        for w in (['1', '2'] if g.endswith('-1m') else ['0']):
            for b in ('old', 'new'):
                argv = [f'{tmp}/{b}', 'sweep', f'bench/{g}.yaml', '--out', f'{tmp}/o', '--overwrite', '-q', '--workers', w]
                t = time.perf_counter()
                p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                _, status, ru = os.wait4(p.pid, 0)
                wall = time.perf_counter() - t
                if status != 0:
                    sys.exit(f"{' '.join(argv)}: exit {status}: {p.stderr.read().decode()}")
                res.setdefault((g, w, b), []).append((wall, ru.ru_utime + ru.ru_stime, ru.ru_minflt, ru.ru_maxrss / 1024))
for (g, w, b), r in res.items():
    wl = [x[0] for x in r]
    label = f"{g} --workers {w}" if w != '0' else g
    print(f"{label:<22} {b}  wall min {min(wl):7.3f} s  median {statistics.median(wl):7.3f} s  "
          f"cpu min {min(x[1] for x in r):6.2f} s  faults {min(x[2] for x in r):7d}  rss {max(x[3] for x in r):5.0f} MB")
for g in grids:
    if not g.endswith('-1m'):
        continue
    for b in ('old', 'new'):
        one, two = [x[0] for x in res[(g, '1', b)]], [x[0] for x in res[(g, '2', b)]]
        print(f"{g} {b}: one worker / two, wall: {min(one) / min(two):.2f}× (min), {statistics.median(one) / statistics.median(two):.2f}× (median)")
PY
