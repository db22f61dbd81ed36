package sweep

import "golang.org/x/sys/cpu"

// useAVX2: allFinite takes the vector loop (finite_amd64.s) where the CPU and the
// operating system support AVX2.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func sumDiffsAVX2(xs []float64) float64

// sumDiffs is the sum of x − x over xs: 0 when every value is finite, else NaN.
func sumDiffs(xs []float64) float64 {
	if !useAVX2 || len(xs) < 8 {
		return sumDiffsGo(xs)
	}
	whole := len(xs) &^ 7
	return sumDiffsAVX2(xs[:whole]) + sumDiffsGo(xs[whole:])
}
