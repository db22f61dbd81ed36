package kernel

import (
	"fmt"
	"math"
	"testing"
)

func runTail(pts ...[4]float64) *TailOut {
	in := &TailIn{}
	for _, p := range pts {
		in.ArrivalRate = append(in.ArrivalRate, p[0])
		in.ServiceTime = append(in.ServiceTime, p[1])
		in.Replicas = append(in.Replicas, p[2])
		in.ServiceCV = append(in.ServiceCV, p[3])
	}
	out := &TailOut{}
	TailLatency(out, in)
	return out
}

func TestTailLatency(t *testing.T) {
	inf := math.Inf(1)
	out := runTail(
		[4]float64{50, 0.010, 1, 1},  // §13.4
		[4]float64{80, 0.010, 1, 1},  // §13.4
		[4]float64{80, 0.010, 4, 1},  // §13.4
		[4]float64{100, 0.010, 1, 1}, // saturated: λ = μ
		[4]float64{80, 0.010, 1, 0},  // deterministic service: Kingman k = 1/2
		[4]float64{80, 0.010, 1, 2},  // cv 2: k = 5/2
		[4]float64{80, 0, 1, 1},      // no service time: μ = 0 → unstable
		[4]float64{0, 0.010, 1, 1},   // idle
	)
	checkScalars(t, []scalarCase{
		// physics.md §13.4 TailLatency(λ 50, 10 ms, c 1): ρ 0.5; p50 10.0 ms; p99 88.2405 ms; headroom 1.56481.
		{"§13.4 λ50 ρ", out.Utilization[0], 0.5, tightRel, 0},
		{"§13.4 λ50 p50 ms", out.P50[0] * 1e3, 10.0, tightRel, 0},
		{"§13.4 λ50 p99 ms", out.P99[0] * 1e3, 88.2405, 0, 5e-5},
		{"§13.4 λ50 headroom", out.SLOHeadroom[0], 1.56481, 0, 5e-6},
		// Exact: M/M/1 p99 wait ln(P_wait/0.01)/(μ − λ) with P_wait = ρ.
		{"λ50 p99 exact", out.P99[0], math.Log(50)/50 + 0.010, tightRel, 0},
		{"λ50 headroom exact", out.SLOHeadroom[0], math.Log(50) / 50 / 0.050, tightRel, 0},
		// §13.4 TailLatency(λ 80, 10 ms, c 1): ρ 0.8; p50 33.5002 ms; p99 229.1013 ms; headroom 4.38203.
		{"§13.4 λ80 ρ", out.Utilization[1], 0.8, tightRel, 0},
		{"§13.4 λ80 p50 ms", out.P50[1] * 1e3, 33.5002, 0, 5e-5},
		{"§13.4 λ80 p99 ms", out.P99[1] * 1e3, 229.1013, 0, 5e-5},
		{"§13.4 λ80 headroom", out.SLOHeadroom[1], 4.38203, 0, 5e-6},
		// §13.4 TailLatency(λ 80, 10 ms, c 4): ρ 0.2, P_wait 0.00958 < 0.01 → p50 = p99 = 10 ms, headroom 0.
		{"§13.4 λ80 c4 ρ", out.Utilization[2], 0.2, tightRel, 0},
		{"§13.4 λ80 c4 p50 ms", out.P50[2] * 1e3, 10.0, tightRel, 0},
		{"§13.4 λ80 c4 p99 ms", out.P99[2] * 1e3, 10.0, tightRel, 0},
		{"§13.4 λ80 c4 headroom", out.SLOHeadroom[2], 0, 0, 0},
		{"§13.4 λ80 c4 P_wait", erlangCWait(80, 100, 4), 0.00958, 0, 5e-6},
		// §6.5 / §14: unstable → ρ 1, +Inf latencies, headroom 1.
		{"saturated ρ", out.Utilization[3], 1, 0, 0},
		{"saturated p50", out.P50[3], inf, 0, 0},
		{"saturated p99", out.P99[3], inf, 0, 0},
		{"saturated headroom", out.SLOHeadroom[3], 1, 0, 0},
		// §6.5 Kingman: waits × (cv² + 1)/2 (λ 80 c 1: wait p99 ln 80/20).
		{"cv 0 p99", out.P99[4], 0.5*math.Log(80)/20 + 0.010, tightRel, 0},
		{"cv 0 p50", out.P50[4], 0.5*math.Log(1.6)/20 + 0.010, tightRel, 0},
		{"cv 2 p99", out.P99[5], 2.5*math.Log(80)/20 + 0.010, tightRel, 0},
		{"cv 2 headroom", out.SLOHeadroom[5], 2.5 * math.Log(80) / 20 / 0.050, tightRel, 0},
		{"no service p99", out.P99[6], inf, 0, 0},
		{"idle p99", out.P99[7], 0.010, tightRel, 0},
		{"idle ρ", out.Utilization[7], 0, 0, 0},
	})
	for i, want := range []bool{true, true, true, false, true, true, false, true} {
		if out.Stable[i] != want {
			t.Errorf("point %d: stable %v, want %v", i, out.Stable[i], want)
		}
	}
}

// physics.md §13.2 test_solver_suite: ρ = 50/(r·100) for λ 50 qps, 10 ms service.
func TestTailLatencyUtilization(t *testing.T) {
	var pts [][4]float64
	rs := []float64{1, 2, 4, 8, 16}
	for _, r := range rs {
		pts = append(pts, [4]float64{50, 0.010, r, 1})
	}
	out := runTail(pts...)
	for i, r := range rs {
		checkScalars(t, []scalarCase{{fmt.Sprintf("S17 ρ r %g", r), out.Utilization[i], 50 / (r * 100), tightRel, 0}})
		// Invariants: p50 ≤ p99, both at least the service time; more replicas never wait longer.
		if out.P50[i] > out.P99[i] || out.P50[i] < 0.010 {
			t.Errorf("r %g: p50 %g, p99 %g not ordered above the service time", r, out.P50[i], out.P99[i])
		}
		if i > 0 && out.P99[i] > out.P99[i-1] {
			t.Errorf("r %g: p99 %g above %g with fewer replicas", r, out.P99[i], out.P99[i-1])
		}
	}
}

func TestTailLatencyDoesNotAllocate(t *testing.T) {
	in := &TailIn{ArrivalRate: []float64{50, 400}, ServiceTime: []float64{0.01, 1}, Replicas: []float64{1, 500},
		ServiceCV: []float64{1, 0.5}}
	var out TailOut
	TailLatency(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { TailLatency(&out, in) }); allocs != 0 {
		t.Errorf("TailLatency allocates %g times per call once its outputs are sized", allocs)
	}
}
