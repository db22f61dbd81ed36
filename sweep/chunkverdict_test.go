package sweep

import (
	"fmt"
	"testing"
)

// TestDeployChunkedReplicaOverloadedWhereServeIs: one stall-free replica (chunked prefill,
// calibrated) has one overload point in serve, serve-sim and serve-deploy. Llama3_70B
// fp16 on 4 × H100, batch 256, chunks of 512, 512 + 128 tokens: serve's capacity is
// 15.54 requests/s and serve-sim's 15.55, but serve-deploy priced the replica's passes as
// whole prompts at the chunk budget and held one replica steady up to 18.66. At 1 % above
// serve's capacity serve and serve-sim call one replica overloaded, and serve-deploy must
// size two (or, limited to one replica's 4 accelerators, refuse it); at 1 % below, all
// three keep one replica.
func TestDeployChunkedReplicaOverloadedWhereServeIs(t *testing.T) {
	const layout = "  hardware: H100\n  tp: 4\n  batch_size: 256\n  output_tokens: 128\n  prefill_chunk_tokens: 512\n"
	at := func(study, extra string) map[string]any {
		return evalOne(t, "version: 1\nstudy: "+study+"\nprofile: calibrated\nfixed:\n"+layout+extra+"axes:\n  model: [Llama3_70B]\n")
	}
	capacity := at("serve", "  seq_len: 512\n  qps: 1\n")["load_poisson_capacity_qps"].(float64)
	if capacity < 15 || capacity > 16 {
		t.Fatalf("serve's capacity %v requests/s, want the 15.54 this test was written at", capacity)
	}
	deploy := func(qps float64, limit int) map[string]any {
		return at("serve-deploy", fmt.Sprintf("  input_tokens: 512\n  target_ttft_ms: 1000000\n  target_itl_ms: 1000000\n  qps: %v\n  max_accelerators: %d\n", qps, limit))
	}
	sim := func(qps float64) map[string]any {
		return at("serve-sim", fmt.Sprintf("  seq_len: 512\n  requests: 200\n  qps: %v\n", qps))
	}

	over := 1.01 * capacity
	if r := at("serve", fmt.Sprintf("  seq_len: 512\n  qps: %v\n", over)); r["infeasible_reason"] != "overloaded" {
		t.Errorf("serve at %v requests/s: %v, want overloaded", over, r["infeasible_reason"])
	}
	if r := sim(over); r["infeasible_reason"] != "overloaded" {
		t.Errorf("serve-sim at %v requests/s: %v, want overloaded", over, r["infeasible_reason"])
	}
	if r := deploy(over, 0); r["feasible"] != true || r["replicas"].(float64) < 2 {
		t.Errorf("serve-deploy at %v requests/s: %v replicas (feasible %v), want at least 2: one is overloaded", over, r["replicas"], r["feasible"])
	}
	checkInfeasible(t, deploy(over, 4), "over_accelerator_limit", "17 Capital")

	under := 0.99 * capacity
	if r := sim(under); r["infeasible_reason"] != nil {
		t.Errorf("serve-sim at %v requests/s: %v, want a feasible run", under, r["infeasible_reason"])
	}
	if r := deploy(under, 4); r["feasible"] != true || r["replicas"] != 1.0 {
		t.Errorf("serve-deploy at %v requests/s: %v replicas (feasible %v, %v), want one", under, r["replicas"], r["feasible"], r["infeasible_reason"])
	}
}
