package sinks

import (
	"math"
	"math/rand/v2"
	"runtime"
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

// float64Bounds and bounds against their definitions, bit for bit, over columns
// mixing ordinary values with NaNs of both signs and payloads, infinities, signed zeros,
// the extremes and subnormals, of lengths around the vector loop's eight values a step,
// with the vector loop and without.
func TestBounds(t *testing.T) {
	vector := useAVX2
	defer func() { useAVX2 = vector }()
	for _, useAVX2 = range []bool{false, vector} {
		testBounds(t)
	}
	if !vector && runtime.GOARCH == "amd64" {
		t.Log("this CPU has no AVX2: the vector loop is not tested")
	}
}

func testBounds(t *testing.T) {
	odd := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(math.NaN(), -1),
		math.Float64frombits(0x7ff0000000000001), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, 1, -1}
	r := rand.New(rand.NewPCG(13, 0))
	for i := 0; i < 100000; i++ {
		vals := make([]float64, r.IntN(40))
		ints := make([]int64, len(vals))
		for k := range vals {
			if r.IntN(3) == 0 {
				vals[k] = odd[r.IntN(len(odd))]
			} else {
				vals[k] = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
			}
			ints[k] = r.Int64() >> r.IntN(64)
			if r.IntN(2) == 0 {
				ints[k] = -ints[k]
			}
		}
		if i%8 == 0 && len(vals) > 0 {
			for k := range vals { // one value repeated (a uniform page), −0 and NaNs among them
				vals[k], ints[k] = vals[0], ints[0]
			}
		}
		lo, hi, ok, uniform := float64Bounds(vals)
		wlo, whi, wok := boundsByDefinition(vals)
		if wantUniform := len(vals) > 0 && !slices.ContainsFunc(vals, func(v float64) bool { return math.Float64bits(v) != math.Float64bits(vals[0]) }); uniform != wantUniform {
			t.Fatalf("AVX2 %v: float64Bounds(%v) uniform %v", useAVX2, vals, uniform)
		}
		if ok != wok || math.Float64bits(lo) != math.Float64bits(wlo) || math.Float64bits(hi) != math.Float64bits(whi) {
			t.Fatalf("AVX2 %v: float64Bounds(%v) = %v, %v, %v; want %v, %v, %v", useAVX2, vals, lo, hi, ok, wlo, whi, wok)
		}
		if len(ints) > 0 {
			if lo, hi := bounds(ints, false); lo != slices.Min(ints) || hi != slices.Max(ints) {
				t.Fatalf("AVX2 %v: bounds(%v, false) = %d, %d", useAVX2, ints, lo, hi)
			}
		}
	}
}
