#!/usr/bin/env bash
# Does a 1M-point grid use every core? Sweeps bench/serve-1m.yaml (998,400 points) with
# 2 workers, alternating the old part size (--part-points 1048576: one part, so one worker)
# and the part-size policy (31 parts), REPS times each, and prints wall and CPU seconds per
# run and the median speed-up. Pairs are interleaved so load from other processes falls on
# both alike. Usage: bench/parts.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
go build -o bin/mlsysim ./cmd/mlsysim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf "%-8s %4s %8s %8s %8s\n" policy rep wall_s user_s sys_s
for r in $(seq 1 "$reps"); do
	for policy in one-part policy; do
		flags=()
		[ "$policy" = one-part ] && flags=(--part-points 1048576)
		/usr/bin/time -f "%e %U %S" -o "$out/t" bin/mlsysim sweep bench/serve-1m.yaml --out "$out/o" --overwrite -q --workers 2 "${flags[@]}"
		read -r wall user sys <"$out/t"
		printf "%-8s %4d %8.2f %8.2f %8.2f\n" "$policy" "$r" "$wall" "$user" "$sys" | tee -a "$out/all"
	done
done
med() { grep "^$1 " "$out/all" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
one=$(med one-part) pol=$(med policy)
echo "median wall: one part ${one} s, policy ${pol} s, speed-up $(echo "$one / $pol" | bc -l | cut -c1-4)×"
