#!/bin/sh
# Instructions of one calibrated CNN step (kernel.BenchmarkCNNStep: ResNet-50's 24 layer
# entries, a training step) at REV (default main) and in the work tree, counted by
# callgrind (bench/callgrind.sh): the difference of 11,000 and 1,000 iterations ÷ 10,000.
# Usage: bench/cnn-instructions.sh [REV]
set -eu
cd "$(dirname "$0")/.."
rev=${1:-main}
tmp=$(mktemp -d)
. bench/callgrind.sh
cg_build "$rev" ./kernel $tmp/main.test
cg_build "" ./kernel $tmp/branch.test
for n in 1000 11000; do
  for r in main branch; do echo "$r $n $(cg_count $tmp/$r.test "$PWD/kernel" 'BenchmarkCNNStep$' $n)"; done
done
rm -rf $tmp
