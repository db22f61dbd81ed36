#!/usr/bin/env bash
# One worker against two, paired with another revision in one loop (issue #13's 1.8× goal):
#
#   [REPS=7] bench/twoworkers-vs.sh REV [GRID…]     (default grids bench/node-1m.yaml bench/serve-1m.yaml)
#
# Builds the lean binary of REV (old) and of the work tree (new) and runs, interleaved per
# round: old and new with --workers 1, old and new with --workers 2, and two new --workers 1
# sweeps at once (the two-process ceiling of bench/twocores.sh). Prints every wall, min and
# median, the one/two ratio of each binary and the ceiling. Meaningful only on a quiet
# machine (load average well under 1).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/twoworkers-vs.sh REV [GRID…]}
shift
grids=("$@")
[ ${#grids[@]} -gt 0 ] || grids=(bench/node-1m.yaml bench/serve-1m.yaml)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git archive "$rev" | tar -x -C "$tmp/src"
(cd "$tmp/src" && CGO_ENABLED=0 go build -tags lean -o "$tmp/old" ./cmd/mlsysim)
rm -rf "$tmp/src"
CGO_ENABLED=0 go build -tags lean -o "$tmp/new" ./cmd/mlsysim
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), old $(git rev-parse --short "$rev"), new $(git rev-parse --short HEAD) (work tree)"
python3 - "${REPS:-7}" "$tmp" "${grids[@]}" <<'PY'
import statistics, subprocess, sys, time
reps, tmp, grids = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def run(binary, grid, workers, folders):
    t = time.perf_counter()
    ps = [subprocess.Popen([f'{tmp}/{binary}', 'sweep', grid, '--out', f'{tmp}/{f}', '--overwrite', '-q', '--workers', workers]) for f in folders]
    for p in ps:
        if p.wait() != 0:
            sys.exit(f'{binary} sweep {grid} --workers {workers}: exit {p.returncode}')
    return time.perf_counter() - t
kinds = (('old w1', 'old', '1', ['a']), ('new w1', 'new', '1', ['a']), ('old w2', 'old', '2', ['a']),
         ('new w2', 'new', '2', ['a']), ('new 2x w1 at once', 'new', '1', ['a', 'b']))
for g in grids:
    res = {}
    for _ in range(reps):
        for name, b, w, folders in kinds:
            res.setdefault(name, []).append(run(b, g, w, folders))
    print(g)
    for k, v in res.items():
        print(f"  {k:18} min {min(v):.3f} median {statistics.median(v):.3f}  all {' '.join(f'{x:.3f}' for x in v)}")
    for s in ('old', 'new'):
        one, two = res[s + ' w1'], res[s + ' w2']
        print(f"  {s}: one/two {min(one) / min(two):.2f}x (min) {statistics.median(one) / statistics.median(two):.2f}x (median)")
    one, pair = res['new w1'], res['new 2x w1 at once']
    print(f"  ceiling 2*one/pair (new) {2 * min(one) / min(pair):.2f}x (min) {2 * statistics.median(one) / statistics.median(pair):.2f}x (median)")
print(f"# load average after {' '.join(open('/proc/loadavg').read().split()[:3])}")
PY
