package kernel

import (
	"math"
	"testing"
)

const orchDayS = 86400.0

func TestOrchestration(t *testing.T) {
	in := &OrchIn{
		ArrivalRate: []float64{0.3 / orchDayS, 1 / orchDayS, 0.5 / orchDayS, 0, 5 / orchDayS},
		JobDuration: []float64{2 * orchDayS, 2 * orchDayS, 2 * orchDayS, 2 * orchDayS, 0},
	}
	var out OrchOut
	Orchestration(&out, in)
	inf := math.Inf(1)
	checkScalars(t, []scalarCase{
		// physics.md §13.4 Orchestration(λ 0.3/day, 2 days): ρ 0.6; wait 1.5 days; Lq 0.45
		// (§13.2 test_solver_suite: ρ = λ·duration = 0.6).
		{"§13.4 ρ", out.Utilization[0], 0.6, tightRel, 0},
		{"§13.4 wait days", out.Wait[0] / orchDayS, 1.5, tightRel, 0},
		{"§13.4 Lq", out.QueueLength[0], 0.45, tightRel, 0},
		// §13.2: λ 1/day, 2 days → ρ 2, unstable, wait +Inf.
		{"§13.2 unstable ρ", out.Utilization[1], 2, tightRel, 0},
		{"§13.2 unstable wait", out.Wait[1], inf, 0, 0},
		{"§13.2 unstable Lq", out.QueueLength[1], inf, 0, 0},
		// ρ = 1 exactly is unstable too (§7.9: ρ < 1 required).
		{"ρ 1 wait", out.Wait[2], inf, 0, 0},
		{"no arrivals wait", out.Wait[3], 0, 0, 0},
		{"zero-length jobs wait", out.Wait[4], 0, 0, 0},
	})
	for i, want := range []bool{true, false, false, true, true} {
		if out.Stable[i] != want {
			t.Errorf("point %d: stable %v, want %v", i, out.Stable[i], want)
		}
	}
	// M/D/1 waits half as long as M/M/1 at the same load: Wq(M/M/1) = ρ/(μ − λ).
	mm1 := 0.6 / (1/(2*orchDayS) - 0.3/orchDayS)
	checkScalars(t, []scalarCase{{"M/D/1 = M/M/1 / 2", out.Wait[0], mm1 / 2, tightRel, 0}})
}

func TestOrchestrationDoesNotAllocate(t *testing.T) {
	in := &OrchIn{ArrivalRate: []float64{1e-5, 1}, JobDuration: []float64{3600, 3600}}
	var out OrchOut
	Orchestration(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Orchestration(&out, in) }); allocs != 0 {
		t.Errorf("Orchestration allocates %g times per call once its outputs are sized", allocs)
	}
}
