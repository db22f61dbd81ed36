//go:build !amd64

package sweep

// useAVX2 is false: there is no vector loop here (the tests read it on every architecture).
var useAVX2 = false

// sumDiffs is the sum of x − x over xs: 0 when every value is finite, else NaN.
func sumDiffs(xs []float64) float64 {
	return sumDiffsGo(xs)
}
