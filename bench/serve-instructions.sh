#!/usr/bin/env bash
# Instructions per point of the calibrated serving kernel and of the serve and serve-deploy
# evaluators, before and after a change, counted by callgrind (bench/callgrind.sh) so that
# the comparison does not depend on what else the shared machine is doing (BENCHMARKS.md).
# Usage: bench/serve-instructions.sh BEFORE_REV [AFTER_REV]   (AFTER_REV default: the work tree)
#
# Each benchmark runs as a whole process at two iteration counts; the difference is the
# extra iterations' work, set-up cancelled, divided by their points:
#   kernel BenchmarkServing      64K points of one model and layout per iteration (repeated batch)
#   sweep  BenchmarkServeWalk    successive 32K batches of bench/serve-10m.yaml, each point once
#   sweep  BenchmarkDeployWalk   successive 32K batches of grids/serving-deploy.yaml (filters applied)
# The walks' untimed batch filling (Plan.Fill) is counted too, the same in both binaries.
# The benchmark files of the work tree are used at both revisions.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bench/serve-instructions.sh BEFORE_REV [AFTER_REV]}
after=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. bench/callgrind.sh
export OVERLAY="kernel/bench_test.go sweep/bench_test.go"

for which in before after; do
  rev=$before
  [ "$which" = after ] && rev=$after
  cg_build "$rev" ./kernel/ "$tmp/kernel-$which.test"
  cg_build "$rev" ./sweep/ "$tmp/sweep-$which.test"
done
# per BINARY DIR BENCH LO HI POINTS: instructions per point over HI − LO iterations.
per() {
  lo=$(cg_count "$1" "$2" "$3" "$4")
  hi=$(cg_count "$1" "$2" "$3" "$5")
  python3 -c "print(f'{($hi - $lo) / (($5 - $4) * $6):.0f}')"
}
for which in before after; do
  echo "$which kernel BenchmarkServing: $(per "$tmp/kernel-$which.test" kernel 'BenchmarkServing$' 2 6 65536) instructions per point"
  echo "$which sweep BenchmarkServeWalk: $(per "$tmp/sweep-$which.test" sweep 'BenchmarkServeWalk$' 10 30 32768) instructions per point"
  echo "$which sweep BenchmarkDeployWalk: $(per "$tmp/sweep-$which.test" sweep 'BenchmarkDeployWalk$' 10 30 32768) instructions per grid point"
done
