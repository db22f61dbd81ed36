package kernel

import (
	"math"
	"testing"
)

// tightRel is the relative tolerance for values known to full precision.
const tightRel = 1e-9

// scalarCase is one expected value: got is within max(abs, rel·|want|) of want.
// An infinite or NaN want must be matched exactly.
type scalarCase struct {
	name      string // what is checked and the source of want
	got, want float64
	rel, abs  float64
}

func withinTol(got, want, rel, abs float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= math.Max(abs, rel*math.Abs(want))
}

func checkScalars(t *testing.T, cases []scalarCase) {
	t.Helper()
	for _, c := range cases {
		if !withinTol(c.got, c.want, c.rel, c.abs) {
			t.Errorf("%s: got %.17g, want %.17g (rel %g, abs %g)", c.name, c.got, c.want, c.rel, c.abs)
		}
	}
}

func TestFormulas(t *testing.T) {
	// G4 prefill of Llama3-8B at S 2048 (physics.md §13.1 G4 derivation):
	// linear 2·8.03e9·2048, attention 4·32·4096·2048² (non-causal, h = 32·128).
	g4Prefill := PrefillFLOPs(8.03e9, 2048, 32, 4096, false)
	checkScalars(t, []scalarCase{
		// physics.md §13.2 test_formulas (F3): 1e18/(8·312e12·0.5) ≈ 801.28 s.
		{"dTime exact", DistributedTime(1e18, 8, 312e12, 0.5), 1e18 / 1.248e15, tightRel, 0},
		{"dTime published 801.28", DistributedTime(1e18, 8, 312e12, 0.5), 801.28, 0, 0.005},

		// §13.2 Amdahl (F4–F6): 1/(0.1 + 0.9/10) = 1/0.19 ≈ 5.2632; p 1 → s; p 0 → 1.
		{"Amdahl 0.9,10 exact", Amdahl(0.9, 10), 1 / 0.19, tightRel, 0},
		{"Amdahl 0.9,10 published", Amdahl(0.9, 10), 5.2632, 0, 5e-5},
		{"Amdahl p 1", Amdahl(1, 10), 10, tightRel, 0},
		{"Amdahl p 0", Amdahl(0, 1000), 1, tightRel, 0},

		// §3.9 strong scaling N/(1+(N−1)f), computed by hand.
		{"strong scaling n 1", StrongScaling(1, 0.3), 1, tightRel, 0},
		{"strong scaling no comm", StrongScaling(8, 0), 8, tightRel, 0},
		{"strong scaling f 0.1", StrongScaling(8, 0.1), 8 / 1.7, tightRel, 0},
		{"strong scaling f 1", StrongScaling(8, 1), 1, tightRel, 0},

		// §13.2 effective flops (F32): 1e15·0.5·0.9·0.95.
		{"effective FLOPS", EffectiveFLOPS(1e15, 0.5, 0.9, 0.95), 4.275e14, tightRel, 0},

		// §13.2 6PD (F14): 6·175e9·300e9.
		{"6PD GPT-3", TrainingFLOPs(175e9, 300e9), 3.15e23, tightRel, 0},
		// §13.2 Scaling: C = 1.2e20 at 20 tokens/param → P = sqrt(1.2e20/120) = 1e9, D = 2e10.
		{"6PD Chinchilla", TrainingFLOPs(1e9, 2e10), 1.2e20, tightRel, 0},

		// §3.10 decode 2·P·tokens, by hand: 2·8.03e9·128.
		{"decode", DecodeFLOPs(8.03e9, 128), 2.05568e12, tightRel, 0},

		{"prefill G4 non-causal", g4Prefill, 3.289088e13 + 2.199023255552e12, tightRel, 0},
		// §13.1 G4: TTFT 70.97037058756726 ms = prefill/(989e12·0.5) + 0.01 ms dispatch.
		{"prefill G4 → TTFT golden", g4Prefill/(989e12*0.5) + 0.01e-3, 70.97037058756726e-3, tightRel, 0},
		{"prefill causal", PrefillFLOPs(8.03e9, 2048, 32, 4096, true), 3.289088e13 + 2.199023255552e12/2, tightRel, 0},
		{"prefill without layers", PrefillFLOPs(8.03e9, 2048, 0, 0, false), 3.289088e13, tightRel, 0},

		// §13.2 network latency (F1, F2): 2·1000/200000 s = 10 ms; 0 km → 0.
		{"network 1000 km", NetworkLatencyS(1000), 0.010, tightRel, 0},
		{"network 0 km", NetworkLatencyS(0), 0, 0, 0},

		// §13.2 egress (F35): 1e6 B/s · 2 592 000 s = 2592 GB · $0.09.
		{"egress", MonthlyEgressUSD(1e6, 0.09), 233.28, tightRel, 0},
		{"egress zero", MonthlyEgressUSD(0, 0.09), 0, 0, 0},

		// §13.2 fleet TCO (F36): 1000·10 + 0.1 kW·10·8766 h·0.10.
		{"fleet TCO", FleetTCOUSD(1000, 100, 10, 1, 0.10), 10876.6, tightRel, 0},
		{"fleet TCO qty 0", FleetTCOUSD(1000, 100, 0, 1, 0.10), 0, 0, 0},
		{"fleet TCO linear in qty", FleetTCOUSD(1000, 100, 20, 1, 0.10), 2 * 10876.6, tightRel, 0},
	})
}
