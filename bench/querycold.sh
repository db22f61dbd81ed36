#!/usr/bin/env bash
# Cold start of `mlsysim query` (issue #13: ≤ 60 ms), paired: a revision and the work tree
# are both built as `make build` builds them, and each run alternates between them and a Go
# hello-world. `mlsysim-full version` is the full binary's start without DuckDB (loading,
# C++ constructors, the Go runtime and package initialisers): what a query costs beyond it
# is DuckDB's open, the statement and the output. Reported per command: min and median wall time, min and median CPU time
# (user + sys of the process and the one it execs into) and median minor page faults, from
# posix_spawn + wait4 (a forked Python would add ~7 ms to every wall time). On a loaded
# machine read CPU time and faults; wall time only in a quiet window.
# Usage: bench/querycold.sh REV [RUNS]   (RUNS default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/querycold.sh REV [RUNS]}
runs=${2:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/old" "$tmp/new" "$tmp/hello"
git archive "$rev" | tar -x -C "$tmp/src"
make -s -C "$tmp/src" build BIN="$tmp/old/mlsysim" >/dev/null
make -s build BIN="$tmp/new/mlsysim" >/dev/null
printf 'package main\n\nfunc main() {}\n' >"$tmp/hello/main.go"
(cd "$tmp/hello" && GO111MODULE=off go build -o hello main.go)
"$tmp/new/mlsysim" sweep grids/serve-capacity.yaml --out "$tmp/tiny" -q
q="query top $tmp/tiny --param by=ttft_ms"
python3 - "$runs" \
  "hello world::$tmp/hello/hello" \
  "old: mlsysim query top::$tmp/old/mlsysim $q" \
  "new: mlsysim query top::$tmp/new/mlsysim $q" \
  "old: mlsysim-full query top::$tmp/old/mlsysim-full $q" \
  "new: mlsysim-full query top::$tmp/new/mlsysim-full $q" \
  "old: mlsysim-full version::$tmp/old/mlsysim-full version" \
  "new: mlsysim-full version::$tmp/new/mlsysim-full version" <<'PY'
import os, statistics, sys, time
runs = int(sys.argv[1])
cmds = [a.split('::', 1) for a in sys.argv[2:]]
res = {label: [] for label, _ in cmds}
null = os.open(os.devnull, os.O_WRONLY)
acts = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
for _ in range(runs):
    for label, cmd in cmds:
        argv = cmd.split()
        t = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{label}: exit {os.waitstatus_to_exitcode(status)}")
        res[label].append((wall * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_minflt))
print(f"{runs} runs each, interleaved; load average at the end {os.getloadavg()[0]:.1f}")
for label, _ in cmds:
    w, c, f = (sorted(x[i] for x in res[label]) for i in range(3))
    print(f"{label:28s} wall min {w[0]:6.1f} ms, median {statistics.median(w):6.1f} | CPU min {c[0]:6.1f} ms, median {statistics.median(c):6.1f} | faults {statistics.median(f):5.0f}")
PY
