#!/usr/bin/env bash
# Compares three Parquet writers on the same Arrow records (bench/writers:
# mlsysim's own encoder, arrow-go's pqarrow, parquet-go's typed column
# buffers), one goroutine each, by CPU time: each (grid, writer) runs as its own
# process at K and 1 iterations, and (cpu(K) − cpu(1)) / (K − 1) is one file's
# CPU time without the setup; runs are interleaved over REPS (default 3) rounds
# and the minimum is kept, so a busy machine slows every writer alike.
#
#   bench/writers.sh [K]     (default K = 6)
set -euo pipefail
cd "$(dirname "$0")/writers"
k=${1:-6}
reps=${REPS:-3}
bin=$(mktemp -d)/writers.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD), K = $k"
python3 - "$bin" "$k" "$reps" <<'PY'
import os, re, subprocess, sys
bin, k, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
grids, writers = ["node-1m", "serve-1m", "fleet-10m"], ["ours", "pqarrow", "parquet-go"]
def cpu(grid, w, n):
    p = subprocess.Popen([bin, "-test.run", "^$", "-test.bench", f"Writers/{grid}/{w}$", "-test.benchtime", f"{n}x",
                          "-test.cpu", "1", "-test.benchmem"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(out)
    m = re.search(r"([\d.]+) bytes/point.*?(\d+) B/op", out)
    return ru.ru_utime + ru.ru_stime, float(m.group(1)), int(m.group(2)), ru.ru_maxrss / 1024
res = {}
for _ in range(reps):
    for g in grids:
        for w in writers:
            one, _, _, _ = cpu(g, w, 1)
            many, size, alloc, rss = cpu(g, w, k)
            res.setdefault((g, w), []).append(((many - one) / (k - 1), size, alloc, rss))
pts = 8 * 32768
print(f"{'grid':<10} {'writer':<11} {'CPU-s/file min':>14} {'median':>8} {'M points/CPU-s':>15} {'bytes/point':>11} {'alloc MB/file':>13} {'peak RSS MB':>11}")
for g in grids:
    for w in writers:
        r = sorted(res[(g, w)])
        c = [x[0] for x in r]
        print(f"{g:<10} {w:<11} {c[0]:14.3f} {c[len(c)//2]:8.3f} {pts / c[0] / 1e6:15.2f} {r[0][1]:11.2f} {r[0][2] / 1e6:13.1f} {max(x[3] for x in r):11.0f}")
PY
