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
# 40 is one evaluation, garbage collection included and setup cancelled. Two work-arounds for
# valgrind 3.19 under Go: GODEBUG=asyncpreemptoff=1 (callgrind asserts on the preemption
# signal), and a copy of the test binary whose RDTSCP instructions (runtime.cputicks; valgrind
# cannot decode them) are replaced by RDTSC + NOP, the same two patches in both binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bench/fleet-instructions.sh BEFORE_REV [AFTER_REV]}
after=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() { # rev-or-empty, output binary
  if [ -z "$1" ]; then
    go test -c -o "$2" ./sweep/
  else
    mkdir "$tmp/src"
    git archive "$1" | tar -x -C "$tmp/src"
    (cd "$tmp/src" && go test -c -o "$2" ./sweep/)
    rm -rf "$tmp/src"
  fi
  python3 - "$2" <<'EOF'
import subprocess, sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
for line in subprocess.run(['readelf', '-S', '-W', path], capture_output=True, text=True).stdout.splitlines():
    if ' .text ' in line:
        f = line.split(); k = f.index('PROGBITS'); off, size = int(f[k + 2], 16), int(f[k + 3], 16)
i = data.find(b'\x0f\x01\xf9', off, off + size)
while i != -1:
    data[i:i + 3] = b'\x0f\x31\x90'
    i = data.find(b'\x0f\x01\xf9', i + 3, off + size)
open(path, 'wb').write(data)
EOF
}

count() { # binary, profile, evaluations
  (cd sweep && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$1" -test.run='^$' -test.bench="FleetKernel/$2\$" -test.benchtime="$3x" -test.cpu=1 2>&1) |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# cache prints "instructions data-references LL-data-misses" of a whole run.
cache() { # binary, profile, evaluations
  (cd sweep && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
    "$1" -test.run='^$' -test.bench="FleetKernel/$2\$" -test.benchtime="$3x" -test.cpu=1 2>&1) |
    awk '/I *refs:/ {i=$4} /D *refs:/ {d=$4} /LLd misses:/ {m=$4} END {gsub(",", "", i); gsub(",", "", d); gsub(",", "", m); print i, d, m}'
}

build "$before" "$tmp/before.test"
build "$after" "$tmp/after.test"
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
