package kernel

import "testing"

func TestScaling(t *testing.T) {
	in := &ScalingIn{
		ComputeFLOPs: []float64{1.2e20, 1.2e20, GPUDaysFLOPs(1), 0},
		TargetParams: []float64{0, 1e9, 0, 0},
	}
	var out ScalingOut
	Scaling(&out, in)
	checkScalars(t, []scalarCase{
		// physics.md §13.2 test_solver_suite: C = 1.2e20 → P = √(1.2e20/120) = 1e9, D = 2e10,
		// 20 tokens per parameter, and 6·P·D reconstructs C.
		{"§13.2 params", out.Params[0], 1e9, tightRel, 0},
		{"§13.2 tokens", out.Tokens[0], 2e10, tightRel, 0},
		{"§13.2 tokens/param", out.TokensPerParam[0], 20, tightRel, 0},
		{"§13.2 6PD = C", TrainingFLOPs(out.Params[0], out.Tokens[0]), 1.2e20, tightRel, 0},
		// §13.2: target 1e9 → D = C/(6·1e9) = 2e10.
		{"§13.2 target tokens", out.Tokens[1], 2e10, tightRel, 0},
		{"§13.2 target params", out.Params[1], 1e9, 0, 0},
		// physics.md §13.4 Scaling(1 GPU-day): C = 86 400·989e12·0.4 = 3.417984e19 FLOP.
		{"§13.4 1 GPU-day", GPUDaysFLOPs(1), 3.417984e19, tightRel, 0},
		{"1 GPU-day tokens/param", out.TokensPerParam[2], 20, tightRel, 0},
		// §7.8: P = 0 → 0 tokens per parameter.
		{"no budget", out.TokensPerParam[3], 0, 0, 0},
	})
}

func TestScalingDoesNotAllocate(t *testing.T) {
	in := &ScalingIn{ComputeFLOPs: []float64{1e21, 1e21}, TargetParams: []float64{0, 7e9}}
	var out ScalingOut
	Scaling(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Scaling(&out, in) }); allocs != 0 {
		t.Errorf("Scaling allocates %g times per call once its outputs are sized", allocs)
	}
}
