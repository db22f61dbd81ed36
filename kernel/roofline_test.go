package kernel

import (
	"math"
	"testing"
)

func TestBottleneckString(t *testing.T) {
	for b, want := range map[Bottleneck]string{Compute: "Compute", Memory: "Memory", 7: "Bottleneck(7)"} {
		if got := b.String(); got != want {
			t.Errorf("Bottleneck(%d).String() = %q, want %q", uint8(b), got, want)
		}
	}
}

func TestRoofline(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name                  string // and source
		ops, bytes, flops, bw float64
		tc, tm                float64
		b                     Bottleneck
		intensity             float64
		rel, abs              float64 // tolerance on times and intensity
	}{
		// physics.md §13.1 G2: 1 TFLOP, 1 GB, 1 TFLOP/s, 1 GB/s → 1000 flop/B; 1 s each, a tie → Compute.
		{"G2 tie", 1e12, 1e9, 1e12, 1e9, 1, 1, Compute, 1000, tightRel, 0},
		// §13.2 test_formulas F7: 1e15/312e12 s vs 1e8/2e12 s.
		{"F7 compute", 1e15, 100e6, 312e12, 2e12, 1e15 / 312e12, 5e-5, Compute, 1e7, tightRel, 0},
		// F8: 1e9/312e12 s vs 1e10/2e12 = 5 ms.
		{"F8 memory", 1e9, 10e9, 312e12, 2e12, 1e9 / 312e12, 5e-3, Memory, 0.1, tightRel, 0},
		// §13.1 G1 derivation (ResNet-50, A100, η 0.5): t_comp 0.0525641 ms, t_mem 0.0276214 ms,
		// intensity 145.5965909090909 (golden).
		{"G1 times", 8.2e9, 56.32e6, 312e12 * 0.5, 2039e9, 0.0525641e-3, 0.0276214e-3, Compute, 145.5965909090909, 0, 5e-11},
		{"G1 intensity", 8.2e9, 56.32e6, 312e12 * 0.5, 2039e9, 8.2e9 / 156e12, 56.32e6 / 2039e9, Compute, 145.5965909090909, tightRel, 0},
		// §13.3 core/formulas.py docstring: Llama-3 8B on H100: 0.016 ms vs 4.78 ms → memory bound.
		{"docstring Llama-3 8B", 16e9, 16e9, 989e12, 3.35e12, 0.016e-3, 4.78e-3, Memory, 1, 0, 5e-6},
		// §3.1 negligible legs: compute < 1e-18 s → Memory, intensity 0; memory < 1e-18 s → Compute, +Inf.
		{"no ops", 0, 1e9, 1e12, 1e9, 0, 1, Memory, 0, tightRel, 0},
		{"ops below threshold", 1e-7, 1e9, 1e12, 1e9, 0, 1, Memory, 0, tightRel, 0},
		{"no bytes", 1e12, 0, 1e12, 1e9, 1, 0, Compute, inf, tightRel, 0},
		{"nothing", 0, 0, 1e12, 1e9, 0, 0, Memory, 0, tightRel, 0},
		// 2e-18 s is above the threshold and is kept.
		{"ops just above threshold", 2e-6, 1, 1e12, 1e12, 2e-18, 1e-12, Memory, 2e-6, tightRel, 0},
	}
	for _, c := range cases {
		tc, tm, b, in := Roofline(c.ops, c.bytes, c.flops, c.bw)
		if b != c.b {
			t.Errorf("%s: bottleneck %v, want %v", c.name, b, c.b)
		}
		checkScalars(t, []scalarCase{
			{c.name + " t_compute", tc, c.tc, c.rel, c.abs},
			{c.name + " t_memory", tm, c.tm, c.rel, c.abs},
			{c.name + " intensity", in, c.intensity, tightRel, 0},
		})
	}
}
