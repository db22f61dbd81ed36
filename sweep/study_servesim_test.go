package sweep

import (
	"math"
	"testing"
)

// TestServeSimStudy: the serve-sim study through the engine. Without a rate or a target a
// point has nothing to simulate (no_rate); a rate past capacity is overloaded; a TTFT
// target below the prefill is met at no rate (targets are TTFT and TPOT 20 ms, or none); a batch memory cannot hold at full context
// is only the engine's cap; a feasible row is finite, its economics at the sampled rate
// (qps · output_tokens tokens/s over the accelerators), its goodput per accelerator the
// goodput over them, and the disaggregated pair occupies P·prefill_tp + D·tp accelerators.
func TestServeSimStudy(t *testing.T) {
	const head = "version: 1\nstudy: serve-sim\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp16]\n  seq_len: [1024]\n  output_tokens: [128]\n  requests: [400]\n"
	rows := checkStudyGrid(t, head+"  batch_size: [64, 4096]\n  qps: [0, 2, 500]\n  target_ttft_ms: [0, 1, 300]\n  target_tpot_ms: [0, 20]\n  prefill_instances: [0, 2]\n  prefill_tp: [2]\n",
		"no_rate", "overloaded", "ttft_target_missed")
	at := func(batch, qps, ttft, pre float64) map[string]any {
		tpot := 20.0
		if ttft == 0 {
			tpot = 0
		}
		for _, r := range rows {
			if r["batch_size"] == batch && r["qps"] == qps && r["target_ttft_ms"] == ttft && r["target_tpot_ms"] == tpot && r["prefill_instances"] == pre {
				return r
			}
		}
		t.Fatalf("no row at batch %v qps %v ttft %v prefills %v", batch, qps, ttft, pre)
		return nil
	}
	checkInfeasible(t, at(64, 500, 0, 0), "overloaded", "4 Serving")
	// Overloaded (colocated or pooled), nothing is delivered at the offered rate: no
	// tokens, no draw, no finite price (priced at the offered 500 requests/s the pools'
	// row said 500 · 128 / 5 = 12,800 tokens/s per accelerator at 0 W and 0 J per token).
	for _, pre := range []float64{0, 2} {
		r := at(64, 500, 0, pre)
		checkInfeasible(t, r, "overloaded", "4 Serving")
		if v := r["tokens_per_s_per_accelerator"].(float64); v != 0 {
			t.Errorf("overloaded (prefill instances %v): %v tokens/s per accelerator, want 0", pre, v)
		}
		for _, k := range []string{"joules_per_token", "usd_per_million_tokens"} {
			if v := r[k].(float64); !math.IsInf(v, 1) {
				t.Errorf("overloaded (prefill instances %v): %s %v, want +Inf (no tokens)", pre, k, v)
			}
		}
	}
	checkInfeasible(t, at(64, 0, 0, 0), "no_rate", "") // no wall refuses it (binding.go)
	checkInfeasible(t, at(64, 0, 1, 0), "ttft_target_missed", "7 Tail Latency")
	// Nothing sampled (no rate; targets met at no rate): no latency and no attainment, NaN
	// (null in JSON) rather than 0 — a 0 ms P99 passed a query's sim_ttft_p99_ms <= target.
	for _, r := range []map[string]any{at(64, 0, 0, 0), at(64, 0, 1, 0), at(64, 0, 0, 2), at(64, 0, 1, 2)} {
		if v := r["sim_qps"].(float64); v != 0 {
			t.Errorf("%v: sim_qps %v, want 0 (nothing sampled)", r["infeasible_reason"], v)
		}
		for _, m := range []string{"ttft", "tpot", "e2e"} {
			for _, q := range []string{"p50", "p90", "p99"} {
				if k := "sim_" + m + "_" + q + "_ms"; !math.IsNaN(r[k].(float64)) {
					t.Errorf("%v (prefill instances %v): %s = %v, want NaN (nothing sampled)", r["infeasible_reason"], r["prefill_instances"], k, r[k])
				}
			}
		}
		for _, k := range []string{"sim_ttft_mean_ms", "sim_tpot_mean_ms", "sim_attainment", "tokens_per_s_per_user"} {
			if !math.IsNaN(r[k].(float64)) {
				t.Errorf("%v (prefill instances %v): %s = %v, want NaN (nothing sampled)", r["infeasible_reason"], r["prefill_instances"], k, r[k])
			}
		}
	}
	low := at(64, 2, 300, 0)
	checkInfeasible(t, low, "", "2 Memory")
	checkGolden(t, low, []golden{{"tokens_per_s_per_accelerator", 2 * 128, 1e-15},
		{"goodput_qps_per_accelerator", low["goodput_qps"].(float64), 1e-15}, {"sim_qps", 2, 0}})
	dis := at(64, 2, 300, 2)
	checkGolden(t, dis, []golden{{"accelerators", 2*2 + 1, 0}, {"tokens_per_s_per_accelerator", 2 * 128 / 5.0, 1e-15},
		{"goodput_qps_per_accelerator", dis["goodput_qps"].(float64) / 5, 1e-15}})
	if dis["kv_transfer_ms"].(float64) <= 0 {
		t.Errorf("disaggregated KV transfer %v ms, want > 0", dis["kv_transfer_ms"])
	}
	big := at(4096, 2, 300, 0)
	if m := big["max_batch"].(float64); !(m > 64 && m < 4096) {
		t.Errorf("largest batch %v: want what 80 GB holds at 1152 tokens, between 64 and 4096", m)
	}
	// At the goodput (qps 0, a target) the sampled rate is the goodput.
	g := at(64, 0, 300, 0)
	checkGolden(t, g, []golden{{"sim_qps", g["goodput_qps"].(float64), 0}})
	if a := g["sim_attainment"].(float64); a < 0.9 {
		t.Errorf("attainment at the goodput %v, want ≥ 0.9", a)
	}
}
