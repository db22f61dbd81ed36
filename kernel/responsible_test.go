package kernel

import "testing"

func TestResponsibleEngineering(t *testing.T) {
	in := &ResponsibleIn{
		BaseTime:   []float64{3600, 3600, 3600, 3600},
		Epsilon:    []float64{1, 10, 0, 0.001},
		Prevalence: []float64{0.01, 0.5, 0, 1},
	}
	var out ResponsibleOut
	ResponsibleEngineering(&out, in)
	checkScalars(t, []scalarCase{
		// physics.md §8.3: 3× at ε = 1, 1.2× at ε = 10.
		{"§8.3 ε 1 slowdown", out.Slowdown[0], 3, tightRel, 0},
		{"§8.3 ε 10 slowdown", out.Slowdown[1], 1.2, tightRel, 0},
		{"ε 1 effective time", out.EffectiveTime[0], 3 * 3600, tightRel, 0},
		// §8.3: ε floored at 0.01 → slowdown 201.
		{"ε 0 floor", out.Slowdown[2], 201, tightRel, 0},
		{"ε 0.001 floor", out.Slowdown[3], 201, tightRel, 0},
		// data factor 1/max(prevalence, 1e-6).
		{"prevalence 1 %", out.DataFactor[0], 100, tightRel, 0},
		{"prevalence 50 %", out.DataFactor[1], 2, tightRel, 0},
		{"prevalence 0 floor", out.DataFactor[2], 1e6, tightRel, 0},
		{"prevalence 1", out.DataFactor[3], 1, tightRel, 0},
	})
}

func TestResponsibleEngineeringDoesNotAllocate(t *testing.T) {
	in := &ResponsibleIn{BaseTime: []float64{1}, Epsilon: []float64{8}, Prevalence: []float64{0.05}}
	var out ResponsibleOut
	ResponsibleEngineering(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { ResponsibleEngineering(&out, in) }); allocs != 0 {
		t.Errorf("ResponsibleEngineering allocates %g times per call once its outputs are sized", allocs)
	}
}
