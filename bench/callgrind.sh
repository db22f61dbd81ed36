# Shared by the *-instructions.sh scripts (source it): build a Go test binary at a revision
# and count its instructions with valgrind, so before/after comparisons do not depend on
# what else the shared machine is doing (BENCHMARKS.md). Two work-arounds for valgrind 3.19
# under Go: GODEBUG=asyncpreemptoff=1 (callgrind asserts on the preemption signal), and a
# copy of the test binary whose RDTSCP instructions (runtime.cputicks; valgrind cannot
# decode them) are replaced by RDTSC + NOP, the same two patches in every binary.
# The caller sets $tmp to a scratch folder.

# cg_build REV-or-empty PACKAGE OUTPUT: the package's test binary at REV (empty: the work
# tree), patched for valgrind. Files named in $OVERLAY (paths from the repository root) are
# taken from the work tree, so an older revision runs a benchmark added since.
cg_build() {
  if [ -z "$1" ]; then
    go test -c -o "$3" "$2"
  else
    mkdir "$tmp/src"
    git archive "$1" | tar -x -C "$tmp/src"
    for f in ${OVERLAY:-}; do cp "$f" "$tmp/src/$f"; done
    (cd "$tmp/src" && go test -c -o "$3" "$2")
    rm -rf "$tmp/src"
  fi
  cg_patch "$3"
}

# cg_patch BINARY: replace, in place, the RDTSCP instructions valgrind cannot decode.
cg_patch() {
  python3 - "$1" <<'PY'
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
PY
}

# cg_count BINARY DIR BENCH N: instructions of one whole run of benchmark BENCH (a -test.bench
# pattern) for N iterations, started in DIR. Used by fleet-, serve- and cnn-instructions.sh.
cg_count() {
  (cd "$2" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$1" -test.run='^$' -test.bench="$3" -test.benchtime="$4x" -test.cpu=1 2>&1) |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# cg_cache BINARY DIR BENCH N: "instructions data-references LL-data-misses" of one whole run.
cg_cache() {
  (cd "$2" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
    "$1" -test.run='^$' -test.bench="$3" -test.benchtime="$4x" -test.cpu=1 2>&1) |
    awk '/I *refs:/ {i=$4} /D *refs:/ {d=$4} /LLd misses:/ {m=$4} END {gsub(",", "", i); gsub(",", "", d); gsub(",", "", m); print i, d, m}'
}
