package sweep

import (
	"math"
	"testing"
)

// TestSetAll: every value of every length (below, at and above the loop's limit, powers
// of two and not) gets x's bits, −0 and a NaN's payload included, and nothing past the end.
func TestSetAll(t *testing.T) {
	for _, x := range []float64{3.5, math.Copysign(0, -1), math.Float64frombits(0x7ff8_0000_dead_beef)} {
		for n := 0; n <= 1100; n++ {
			buf := make([]float64, n+1)
			buf[n] = 7
			setAll(buf[:n], x)
			for k := 0; k < n; k++ {
				if math.Float64bits(buf[k]) != math.Float64bits(x) {
					t.Fatalf("setAll(%d values, %v): value %d has bits %x, want %x", n, x, k, math.Float64bits(buf[k]), math.Float64bits(x))
				}
			}
			if buf[n] != 7 {
				t.Fatalf("setAll(%d values) wrote past the end", n)
			}
		}
	}
}
