package sweep

// Issue #10's simcons round: serve-sim and serve answer "is this rate served?" alike
// (docs/PHYSICS.md §34.8, §34.2).

import (
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
	for _, p := range capacityPoints {
		t.Run(p.String(), func(t *testing.T) {
			probe := p.serve(t, 0.01)
			poisson, queued := probe["load_poisson_capacity_qps"].(float64), probe["load_capacity_qps"].(float64)
			s := p.serveSim(t, 0.01, 64)
			sp, sq := s["poisson_capacity_qps"].(float64), s["capacity_qps"].(float64)
			t.Logf("serve: %.9g under Poisson arrivals, %.9g queued; serve-sim: %.9g, %.9g", poisson, queued, sp, sq)
			if p.chunk == 0 && (math.Abs(sp/poisson-1) > 1e-12 || math.Abs(sq/queued-1) > 1e-12) {
				t.Errorf("serve-sim's capacities %.12g (Poisson), %.12g (queued); serve's %.12g, %.12g", sp, sq, poisson, queued)
			}
			if p.chunk > 0 && sp != sq {
				t.Errorf("stall-free: poisson_capacity_qps %v, want capacity_qps %v (the simulated saturated rate)", sp, sq)
			}
			if below := p.serveSim(t, sp*(1-1e-6), 64); below["infeasible_reason"] == "overloaded" {
				t.Errorf("at (1 − 1e-6) of its Poisson capacity %v: overloaded, want sampled", sp)
			}
			if above := p.serveSim(t, sp*(1+1e-6), 64); above["infeasible_reason"] != "overloaded" {
				t.Errorf("at (1 + 1e-6) of its Poisson capacity %v: %v (feasible %v), want overloaded", sp, above["infeasible_reason"], above["feasible"])
			}
		})
	}
}
