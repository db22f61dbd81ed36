package sinks

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// boundsByDefinition is float64Bounds as the statistics rules state it: no bounds when
// a value is NaN, else the smallest and largest value, zeros as −0 and +0.
func boundsByDefinition(vals []float64) (lo, hi float64, ok bool) {
	if len(vals) == 0 {
		return 0, 0, false
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if math.IsNaN(v) {
			return 0, 0, false
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	if hi == 0 {
		hi = 0
	}
	return lo, hi, true
}

// float64Bounds and int64Bounds against their definitions, bit for bit, over columns
// mixing ordinary values with NaNs of both signs and payloads, infinities, signed zeros,
// the extremes and subnormals.
func TestBounds(t *testing.T) {
	odd := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(math.NaN(), -1),
		math.Float64frombits(0x7ff0000000000001), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, 1, -1}
	r := rand.New(rand.NewPCG(13, 0))
	for i := 0; i < 100000; i++ {
		vals := make([]float64, r.IntN(12))
		ints := make([]int64, len(vals))
		for k := range vals {
			if r.IntN(3) == 0 {
				vals[k] = odd[r.IntN(len(odd))]
			} else {
				vals[k] = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
			}
			ints[k] = r.Int64()
		}
		lo, hi, ok := float64Bounds(vals)
		wlo, whi, wok := boundsByDefinition(vals)
		if ok != wok || math.Float64bits(lo) != math.Float64bits(wlo) || math.Float64bits(hi) != math.Float64bits(whi) {
			t.Fatalf("float64Bounds(%v) = %v, %v, %v; want %v, %v, %v", vals, lo, hi, ok, wlo, whi, wok)
		}
		if len(ints) > 0 {
			if lo, hi := int64Bounds(ints); lo != slices.Min(ints) || hi != slices.Max(ints) {
				t.Fatalf("int64Bounds(%v) = %d, %d", ints, lo, hi)
			}
		}
	}
}
