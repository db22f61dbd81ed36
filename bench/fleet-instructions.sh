#!/usr/bin/env bash
# Instructions per call of the fleet evaluator (BenchmarkFleetKernel: the 5,760 points of
# grids/fleet-placement.yaml), before and after a change, counted by callgrind so that the
# comparison does not depend on what else the shared machine is doing (BENCHMARKS.md).
# Usage: bench/fleet-instructions.sh BEFORE_REV [AFTER_REV]   (AFTER_REV default: the work tree)
# With CACHE=1 it runs cachegrind's cache simulation instead and reports, per evaluation,
# instructions, data references and last-level (LL) data misses: the memory traffic that
# instruction counts do not show and that a loaded machine charges for.
#
# Each run counts a whole benchmark process at 20 and at 60 evaluations; the difference over
# 40 is one evaluation, garbage collection included and setup cancelled (valgrind set-up:
# bench/callgrind.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bench/fleet-instructions.sh BEFORE_REV [AFTER_REV]}
after=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. bench/callgrind.sh

count() { cg_count "$1" sweep "FleetKernel/$2\$" "$3"; }
cache() { cg_cache "$1" sweep "FleetKernel/$2\$" "$3"; }

cg_build "$before" ./sweep/ "$tmp/before.test"
cg_build "$after" ./sweep/ "$tmp/after.test"
if [ "${CACHE:-}" = 1 ]; then
  for which in before after; do
    read -r i1 d1 m1 <<<"$(cache "$tmp/$which.test" calibrated 20)"
    read -r i2 d2 m2 <<<"$(cache "$tmp/$which.test" calibrated 60)"
    echo "calibrated $which $(( (i2 - i1) / 40 )) instructions, $(( (d2 - d1) / 40 )) data references, $(( (m2 - m1) / 40 )) LL data misses per evaluation (5760 points)"
  done
  exit 0
fi
for profile in calibrated seed; do
  for which in before after; do
    lo=$(count "$tmp/$which.test" "$profile" 20)
    hi=$(count "$tmp/$which.test" "$profile" 60)
    echo "$profile $which $(( (hi - lo) / 40 )) instructions per evaluation (5760 points)"
  done
done
