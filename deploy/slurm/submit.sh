#!/usr/bin/env bash
# Submit a sharded sweep and its merge to Slurm:
#
#   deploy/slurm/submit.sh GRID OUT SHARDS [--wait]
#
# GRID: a grid spec file (on a shared file system) or a bundled example name;
# OUT: a folder every node can write; SHARDS: the number of array tasks.
# MLSYSIM names the binary (default: mlsysim on PATH; a CGO_ENABLED=0 build
# from `make static` is enough on the nodes). --wait returns when the merge has
# finished, with its exit status. Extra sbatch options: SBATCH_ARGS.
set -euo pipefail
if [ $# -lt 3 ]; then
	sed -n '2,12p' "$0" >&2
	exit 1
fi
grid=$1 out=$2 shards=$3 wait=${4:-}
# A leading zero would be read as octal by $((…)): 010 submitted 8 tasks, 08 failed.
case $shards in '' | *[!0-9]* | 0*) echo "SHARDS must be a positive integer without leading zeros, got '$shards'" >&2; exit 1 ;; esac
# Anything but --wait returned at once, so a typo such as --wiat let a script read $OUT/all
# before the merge had run.
if [ $# -gt 4 ] || { [ $# -eq 4 ] && [ "$wait" != "--wait" ]; }; then
	echo "the fourth argument can only be --wait, got '${*:4}'" >&2
	exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/logs"
export GRID=$grid OUT=$out MLSYSIM=${MLSYSIM:-mlsysim}
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array=0-$((shards - 1)) --output="$out/logs/%x-%A_%a.out" "$here/sweep.sbatch")
array=${array%%;*}
echo "sweep: array job $array ($shards tasks) → $out/shard-*"
waitflag=()
if [ "$wait" = "--wait" ]; then
	waitflag=(--wait)
fi
# shellcheck disable=SC2086
if ! merge=$(sbatch --parsable ${SBATCH_ARGS:-} "${waitflag[@]}" --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
	--output="$out/logs/%x-%j.out" "$here/merge.sbatch"); then
	echo "merge: failed or never ran (a sweep task failed?); logs in $out/logs" >&2
	exit 1
fi
echo "merge: job ${merge%%;*} after $array → $out/all"
