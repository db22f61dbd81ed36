package sinks

import "golang.org/x/sys/cpu"

// useAVX2: the bounds of a page take the vector loop (bounds_amd64.s) where the CPU and
// the operating system support AVX2.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func boundsAVX2(vals []int64, keys bool, out *[8]int64)

// bounds is the smallest and largest of vals (of their orderKeys, with keys); vals is
// not empty. Eight values a loop in AVX2, about 2 instructions a value against 6–8 in
// Go (BENCHMARKS.md, "Pages of one value, bounds in AVX2").
func bounds(vals []int64, keys bool) (lo, hi int64) {
	if !useAVX2 || len(vals) < 8 {
		return boundsGo(vals, keys)
	}
	var out [8]int64
	whole := len(vals) &^ 7
	boundsAVX2(vals[:whole], keys, &out)
	lo, hi = min(out[0], out[1], out[2], out[3]), max(out[4], out[5], out[6], out[7])
	if whole < len(vals) {
		l, h := boundsGo(vals[whole:], keys)
		lo, hi = min(lo, l), max(hi, h)
	}
	return lo, hi
}
