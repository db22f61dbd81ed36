#!/usr/bin/env bash
# The encode ceiling of a sweep (issue #13): the CPU time of computing the same
# rows and writing them as uncompressed Arrow IPC, plus `zstd -1` over those
# bytes, spread over the cores. Prints it as a rate and the sweep's own rate
# (zstd Parquet) as a share of it, by wall time and by CPU time.
#
#   bench/ceiling.sh BIN GRID        e.g. bench/ceiling.sh bin/mlsysim bench/node-10m.yaml
set -euo pipefail
bin=$1 grid=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$bin" "$grid" "$tmp" "$(nproc)" <<'PY'
import glob, os, subprocess, sys, time
bin, grid, tmp, cores = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def run(argv, stdout=subprocess.DEVNULL):
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout)
    _, status, ru = os.wait4(p.pid, 0)
    if status:
        sys.exit(f"{' '.join(argv)}: exit {status}")
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime
points = int(subprocess.run([bin, "sweep", grid, "--dry-run"], capture_output=True, text=True).stdout.split("points: ")[1].split()[0])
_, arrow_cpu = run([bin, "sweep", grid, "--format", "arrow", "--out", f"{tmp}/arrow", "-q"])
files = sorted(glob.glob(f"{tmp}/arrow/*.arrow"))
raw = sum(os.path.getsize(f) for f in files)
_, zstd_cpu = run(["zstd", "-1", "-T1", "-q", "-c"] + files)
for f in files:
    os.remove(f)
wall, cpu = run([bin, "sweep", grid, "--out", f"{tmp}/parquet", "-q"])
ceiling = points / ((arrow_cpu + zstd_cpu) / cores)
name = os.path.basename(grid).removesuffix(".yaml")
print(f"{name}: compute + Arrow IPC {arrow_cpu:.2f} CPU-s, zstd -1 over {raw / 1e9:.2f} GB {zstd_cpu:.2f} CPU-s: "
      f"ceiling {ceiling / 1e6:.2f} M points/s on {cores} cores")
print(f"{name}: zstd Parquet sweep {wall:.2f} s, {cpu:.2f} CPU-s: {points / wall / 1e6:.2f} M points/s = "
      f"{points / wall / ceiling:.2f} of the ceiling by wall time, {(arrow_cpu + zstd_cpu) / cpu:.2f} by CPU time")
PY
