package sweep

// Issue #10's simcons round: serve-sim and serve answer "is this rate served?" alike
// (docs/PHYSICS.md §34.8, §34.2).

import (
	"fmt"
	"math"
	"testing"
)

// TestServeSimOverloadedWhereServeIs: serve-sim calls a rate overloaded exactly where serve
// --qps does, at load_poisson_capacity_qps: its poisson_capacity_qps is serve's (10⁻¹²
// relative: the same bisection over the same terms), a run at (1 − 10⁻⁶) of it is sampled
// and one at (1 + 10⁻⁶) is overloaded, and its capacity_qps stays the queued capacity,
// serve's load_capacity_qps (the batching study's, TestOneReplicaOneCapacity). The points
// are TestServeOverloadedAtItsCapacity's. Before this round serve-sim's verdict was the
// queued capacity: Llama3_70B fp8 on two MI300X (batch 64, 2048 + 256 tokens) was
// overloaded for serve from 4.723 requests/s and sampled by serve-sim up to 4.855, and the
// long simulation diverges between 4.5 and 4.65 (§34.8).
func TestServeSimOverloadedWhereServeIs(t *testing.T) {
	points := []servconsPoint{
		{"calibrated", "Llama3_70B", "MI300X", "fp8", "", "", 2, 64, 2048, 256, 0},
		{"calibrated", "Llama3_70B", "H100", "fp8", "", "Llama3_8B", 4, 64, 1024, 256, 0},
		{"calibrated", "Llama3_8B", "H100", "fp16", "", "", 1, 256, 1024, 256, 0},
		{"calibrated", "Mixtral_8x7B", "H200", "fp8", "sglang", "", 2, 96, 4000, 64, 0},
		{"calibrated", "Llama3_8B", "H100", "fp8", "", "", 1, 64, 1024, 256, 512},
		{"seed", "Llama3_8B", "H100", "fp16", "", "", 1, 64, 1024, 256, 0},
		{"calibrated", "Llama3_8B", "H100", "fp8", "", "", 1, 64, 1024, 1, 0},
	}
	sim := func(t *testing.T, p servconsPoint, qps float64) map[string]any {
		t.Helper()
		row, err := EvalPoint(mustPlan(t, "study: serve-sim\n"+p.common(qps)+fmt.Sprintf("  seq_len: [%d]\n  requests: [64]\n", p.isl)))
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	for _, p := range points {
		name := fmt.Sprintf("%s/%s/%s/%s/%s/draft%s/tp%d/b%d/%d+%d/c%d", p.profile, p.model, p.hw, p.prec, p.engine, p.draft, p.tp, p.batch, p.isl, p.osl, p.chunk)
		t.Run(name, func(t *testing.T) {
			probe := p.serve(t, 0.01)
			poisson, queued := probe["load_poisson_capacity_qps"].(float64), probe["load_capacity_qps"].(float64)
			s := sim(t, p, 0.01)
			sp, sq := s["poisson_capacity_qps"].(float64), s["capacity_qps"].(float64)
			t.Logf("serve: %.9g under Poisson arrivals, %.9g queued; serve-sim: %.9g, %.9g", poisson, queued, sp, sq)
			if p.chunk == 0 && (math.Abs(sp/poisson-1) > 1e-12 || math.Abs(sq/queued-1) > 1e-12) {
				t.Errorf("serve-sim's capacities %.12g (Poisson), %.12g (queued); serve's %.12g, %.12g", sp, sq, poisson, queued)
			}
			if p.chunk > 0 && sp != sq {
				t.Errorf("stall-free: poisson_capacity_qps %v, want capacity_qps %v (the simulated saturated rate)", sp, sq)
			}
			if below := sim(t, p, sp*(1-1e-6)); below["infeasible_reason"] == "overloaded" {
				t.Errorf("at (1 − 1e-6) of its Poisson capacity %v: overloaded, want sampled", sp)
			}
			if above := sim(t, p, sp*(1+1e-6)); above["infeasible_reason"] != "overloaded" {
				t.Errorf("at (1 + 1e-6) of its Poisson capacity %v: %v (feasible %v), want overloaded", sp, above["infeasible_reason"], above["feasible"])
			}
		})
	}
}
