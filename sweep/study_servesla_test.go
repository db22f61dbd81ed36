package sweep

import (
	"fmt"
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestServeSLA checks a serve-sla point against an independent composition: the
// serve study's TTFT and ITL at the same point, service = TTFT + ITL · seq_len
// (physics.md §6.7), and the M/M/1 wait from kernel.MMcWait at λ = qps / batch.
func TestServeSLA(t *testing.T) {
	cat := catalog.MustDefault()
	point := func(study string, extra ...Axis) map[string]any {
		st, _ := StudyByName(study)
		axes := append([]Axis{axis1("model", "Llama3_8B", "t"), axis1("hardware", "H100", "t"),
			axis1("batch_size", "64", "t"), axis1("seq_len", "256", "t")}, extra...)
		p, err := NewPlan(cat, st, axes, nil)
		if err != nil {
			t.Fatal(err)
		}
		row, err := EvalPoint(p)
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	sv := point("serve")
	sla := point("serve-sla", axis1("qps", "20", "t"))
	service := sv["ttft_ms"].(float64) + sv["itl_ms"].(float64)*256
	if got := sla["service_ms"].(float64); math.Abs(got-service) > 1e-9*service {
		t.Errorf("service_ms = %v, want %v", got, service)
	}
	rho, _, w99 := kernel.MMcWait(20.0/64, 1000/service, 1)
	if got := sla["queue_utilization"].(float64); math.Abs(got-rho) > 1e-12 {
		t.Errorf("queue_utilization = %v, want %v", got, rho)
	}
	if got, want := sla["p99_wait_service_ms"].(float64), w99*1e3+service; math.Abs(got-want) > 1e-9*want {
		t.Errorf("p99_wait_service_ms = %v, want %v", got, want)
	}
	// A request's mean latency adds the wait for its batch of 64 to fill at 20 qps, 63/(2·20)
	// s = 1575 ms, to the M/M/1 mean wait λ/(μ(μ − λ)) (exponential service, cv 1) and the
	// service.
	lb, mu := 20.0/64, 1000/service
	if got := sla["batch_fill_wait_ms"].(float64); math.Abs(got-1575) > 1e-9 {
		t.Errorf("batch_fill_wait_ms = %v, want 1575", got)
	}
	if got, want := sla["mean_latency_ms"].(float64), 1575+lb/(mu*(mu-lb))*1e3+service; math.Abs(got-want) > 1e-9*want {
		t.Errorf("mean_latency_ms = %v, want %v", got, want)
	}
	// A stable queue (slack 1 − ρ > 0) violates no wall: the batch's step binds, as serve
	// names it for the same batch (memory-bound decode), not 7 Tail Latency.
	if sla["feasible"] != true || sla["binding_wall"] != sv["binding_wall"] || sv["binding_wall"] != "2 Memory" {
		t.Errorf("feasible %v binding %v (serve %v), want true, serve's 2 Memory", sla["feasible"], sla["binding_wall"], sv["binding_wall"])
	}
	if s := sla["wall_7_tail_latency_slack"].(float64); !(s > 0) {
		t.Errorf("wall_7_tail_latency_slack %v, want > 0 on a stable queue", s)
	}
	// At batch 1 the queue cannot keep up (λ · service ≥ 1): infeasible, p99 +Inf, flagged.
	st, _ := StudyByName("serve-sla")
	p, _ := NewPlan(cat, st, []Axis{axis1("model", "Llama3_8B", "t"), axis1("hardware", "H100", "t"),
		axis1("seq_len", "256", "t"), axis1("qps", "20", "t")}, nil)
	row, _ := EvalPoint(p)
	if row["feasible"] != false || row["infeasible_reason"] != "queue_unstable" || !math.IsInf(row["p99_wait_service_ms"].(float64), 1) || !math.IsInf(row["mean_latency_ms"].(float64), 1) {
		t.Errorf("batch 1: feasible %v reason %v p99 %v mean %v, want false, queue_unstable, +Inf, +Inf", row["feasible"], row["infeasible_reason"], row["p99_wait_service_ms"], row["mean_latency_ms"])
	}
	if got := row["batch_fill_wait_ms"].(float64); got != 0 {
		t.Errorf("batch 1: batch_fill_wait_ms = %v, want 0 (the request is its batch)", got)
	}
}

// TestServeSLAUnstableServesCapacity: an unstable queue (λ·service > replicas·batch) finishes
// replicas · batch / service requests per second, not the offered qps, so the per-token
// columns count those. Llama-3 8B on one H100, batch 1 of 256 tokens at 50 qps: service
// ≈ 1.6 s, so about 0.63 requests/s (162 tokens/s) are served, not 50 (12,800 tokens/s).
func TestServeSLAUnstableServesCapacity(t *testing.T) {
	for _, replicas := range []int{1, 4} {
		row := evalOne(t, fmt.Sprintf("version: 1\nstudy: serve-sla\naxes:\n  model: Llama3_8B\n  hardware: H100\n  batch_size: 1\n  seq_len: 256\n  qps: 50\n  replicas: %d\n", replicas))
		checkInfeasible(t, row, "queue_unstable", "7 Tail Latency")
		f := func(k string) float64 { return row[k].(float64) }
		want := float64(replicas) * 1 / (f("service_ms") * 1e-3) * 256
		if got := f("tokens_per_s_per_accelerator") * f("accelerators"); math.Abs(got-want) > 1e-9*want {
			t.Errorf("replicas %d: served %v tokens/s, want replicas · batch / service · seq_len = %v", replicas, got, want)
		}
	}
}
