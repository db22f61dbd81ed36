package sweep

import (
	"math"
	"slices"
	"testing"
)

// gatherF fills a chunk of one code and looks up every other chunk point by point; both
// give table[code] for every point, whatever the length and wherever a second code sits.
func TestGatherF(t *testing.T) {
	table := []float64{1.5, -2, math.Inf(1), 7e-9}
	for n := range 11 {
		for odd := -1; odd < n; odd++ { // -1: every code the same
			for _, c := range []float64{0, 3} {
				codes := make([]float64, n)
				for k := range codes {
					codes[k] = c
				}
				if odd >= 0 {
					codes[odd] = 1
				}
				want := make([]float64, n)
				for k, x := range codes {
					want[k] = table[int(x)]
				}
				// Storage that held other values: every point must be written.
				dst := slices.Repeat([]float64{math.NaN()}, n)
				got := gatherF(dst, codes, table)
				if !slices.Equal(got, want) {
					t.Fatalf("gatherF(%v) = %v, want %v", codes, got, want)
				}
				if one := oneCode(codes); one != (n > 0 && (odd < 0 || n == 1)) {
					t.Fatalf("oneCode(%v) = %v", codes, one)
				}
			}
		}
	}
}
