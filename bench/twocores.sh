#!/usr/bin/env bash
# What two cores give on this machine, beside what two workers give (issue #13: a
# 1M-point grid ≥ 1.8× faster on two workers than on one):
#
#   bench/twocores.sh [GRID…]        (REPS rounds, default 7; default grids
#                                      bench/node-1m.yaml bench/serve-1m.yaml)
#
# Builds the lean binary of the work tree and runs, interleaved, per grid: one sweep
# with --workers 1, one with --workers 2, and two sweeps with --workers 1 at once
# (separate folders). The last share nothing — no heap, no queue, no file — so
# 2 × (one worker's wall) / (the pair's wall) is the most two cores give these
# points here: the ceiling for the two-worker ratio, set by the machine (shared
# caches and memory bandwidth, page clearing in the kernel, a virtual machine's
# cores), not by the engine. Prints min and median walls, the ratio one/two and
# the ceiling (min over min, and median over median), and min CPU (user + sys).
# Each round also runs a compute-only reference, alone and two at once: a Python loop
# whose working set fits in a core's L1 (no heap growth, no page faults, no memory
# traffic), so 2 × alone / pair is what the two virtual cores give work that shares
# nothing but the cores themselves. Near 2× there, a sweep's lower ceiling comes from
# memory (caches, bandwidth, page clearing); near the sweep's, from the cores.
# Wall times mean something only while no other process wants the cores (load
# average well under 1).
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-7}
grids=("$@")
[ ${#grids[@]} -gt 0 ] || grids=(bench/node-1m.yaml bench/serve-1m.yaml)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -tags lean -o "$out/mlsysim" ./cmd/mlsysim
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(git rev-parse --short HEAD) (work tree)"
python3 - "$reps" "$out" "${grids[@]}" <<'PY'
import os, statistics, subprocess, sys, time
reps, tmp, grids = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def sweep(grid, workers, folder):
    argv = [f'{tmp}/mlsysim', 'sweep', grid, '--out', f'{tmp}/{folder}', '--overwrite', '-q', '--workers', workers]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), argv
def wait(p, argv):
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"{' '.join(argv)}: exit {status}: {p.stderr.read().decode()}")
    return ru.ru_utime + ru.ru_stime
def spin():
    argv = [sys.executable, '-c', 'x = 0\nfor i in range(20_000_000): x ^= i']
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), argv
res = {}
for _ in range(reps):
    for kind in ('one', 'pair'):
        t = time.perf_counter()
        runs = [spin()] if kind == 'one' else [spin(), spin()]
        cpu = sum(wait(p, argv) for p, argv in runs)
        res.setdefault(('compute', kind), []).append((time.perf_counter() - t, cpu))
    for g in grids:
        for kind in ('one', 'two', 'pair'):
            t = time.perf_counter()
            if kind == 'pair':
                runs = [sweep(g, '1', 'a'), sweep(g, '1', 'b')]
            else:
                runs = [sweep(g, '1' if kind == 'one' else '2', 'a')]
            cpu = sum(wait(p, argv) for p, argv in runs)
            res.setdefault((g, kind), []).append((time.perf_counter() - t, cpu))
w = {k: [x[0] for x in res[('compute', k)]] for k in ('one', 'pair')}
print(f"compute only (a Python loop in L1): alone wall min {min(w['one']):6.3f} s, two at once {min(w['pair']):6.3f} s; "
      f"ceiling 2·one/pair {2 * min(w['one']) / min(w['pair']):.2f}× (min), {2 * statistics.median(w['one']) / statistics.median(w['pair']):.2f}× (median)")
for g in grids:
    w = {k: [x[0] for x in res[(g, k)]] for k in ('one', 'two', 'pair')}
    for k, label in (('one', '--workers 1'), ('two', '--workers 2'), ('pair', 'two --workers 1 at once')):
        print(f"{g} {label:<24} wall min {min(w[k]):6.3f} s  median {statistics.median(w[k]):6.3f} s  cpu min {min(x[1] for x in res[(g, k)]):5.2f} s")
    print(f"{g}: one/two {min(w['one']) / min(w['two']):.2f}× (min), {statistics.median(w['one']) / statistics.median(w['two']):.2f}× (median); "
          f"ceiling 2·one/pair {2 * min(w['one']) / min(w['pair']):.2f}× (min), {2 * statistics.median(w['one']) / statistics.median(w['pair']):.2f}× (median)")
PY
