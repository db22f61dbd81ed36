#!/usr/bin/env bash
# Does a 1M-point grid use every core? Sweeps bench/serve-1m.yaml (998,400 points) with
# 2 workers, alternating the old part size (--part-points 1048576: one part, so one worker)
# and the part-size policy (31 parts), REPS times each, and prints wall and CPU seconds per
# run, min and median. Runs are interleaved so load from other processes falls on both
# alike. The control, the policy with --workers 1, shows whether a second core was free
# at all: if it is as fast as 2 workers, the machine was busy and the speed-up says nothing.
# Usage: bench/parts.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
go build -o bin/mlsysim ./cmd/mlsysim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf "%-8s %4s %8s %8s %8s\n" policy rep wall_s user_s sys_s
for r in $(seq 1 "$reps"); do
	for policy in one-part policy control; do
		flags=(--workers 2)
		[ "$policy" = one-part ] && flags=(--workers 2 --part-points 1048576)
		[ "$policy" = control ] && flags=(--workers 1)
		/usr/bin/time -f "%e %U %S" -o "$out/t" bin/mlsysim sweep bench/serve-1m.yaml --out "$out/o" --overwrite -q "${flags[@]}"
		read -r wall user sys <"$out/t"
		printf "%-8s %4d %8.2f %8.2f %8.2f\n" "$policy" "$r" "$wall" "$user" "$sys" | tee -a "$out/all"
	done
done
# stat POLICY COLUMN: min and median of a column (3 wall, 4 user, 5 sys; 0 = user+sys).
stat() {
	grep "^$1 " "$out/all" | awk -v c="$2" '{print (c == 0 ? $4 + $5 : $c)}' | sort -n |
		awk '{a[NR] = $1} END {printf "%.2f %.2f", a[1], a[int((NR + 1) / 2)]}'
}
for p in one-part policy control; do
	read -r wmin wmed <<<"$(stat $p 3)"
	read -r cmin cmed <<<"$(stat $p 0)"
	echo "$p: wall min $wmin s, median $wmed s; CPU (user+sys) min $cmin s, median $cmed s"
done
read -r onemin _ <<<"$(stat one-part 3)"
read -r polmin _ <<<"$(stat policy 3)"
read -r conmin _ <<<"$(stat control 3)"
echo "speed-up of the policy (min wall): $(echo "$onemin / $polmin" | bc -l | cut -c1-4)×; 2 workers against 1 on the same parts (control): $(echo "$conmin / $polmin" | bc -l | cut -c1-4)×"
