package sweep

import (
	"fmt"
	"math"
	"testing"
)

func capacityPoint(model string, qps, targetMS float64, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: serve-capacity\nprofile: seed\naxes:\n  model: [%s]\n  hardware: [H100]\n  qps: %g\n  target_p99_ms: %g\n%s",
		model, qps, targetMS, extra)
}

// physics.md has no worked ServingCapacity number; kernel/capacity_test.go derives one from
// §6.1, §6.2 and §6.5 (Llama3_8B on H100, fp16, S 2048, cap 32, output 128, 100 queries/s):
// 33.97574938279171 queries/s per replica, base 3.253550105899465 s, 4 replicas for a 3.5 s
// target (p99 wait 0.10816284351268056 s), 5 for 3.3 s (wait 0.044385617755872124 s).
func TestServeCapacityDerived(t *testing.T) {
	base := []golden{
		{"per_replica_qps", 33.97574938279171, 1e-12}, {"base_latency_ms", 3253.550105899465, 1e-12},
		{"active_batch", 32, 0}, {"ttft_ms", 2270.7418588021517, 1e-12}, {"itl_ms", 7.678189430447761, 1e-12},
	}
	row := evalOne(t, capacityPoint("Llama3_8B", 100, 3500, ""))
	checkGolden(t, row, append(base,
		golden{"replicas", 4, 0}, golden{"queue_wait_p99_ms", 108.16284351268056, 1e-8},
		golden{"estimated_p99_ms", 3253.550105899465 + 108.16284351268056, 1e-9},
		golden{"capacity_qps", 4 * 33.97574938279171, 1e-12}, golden{"utilization", 100 / (4 * 33.97574938279171), 1e-12},
		golden{"wall_7_tail_latency_slack", 1 - (3253.550105899465+108.16284351268056)/3500, 1e-6}))
	checkInfeasible(t, row, "", "7 Tail Latency")
	if row["bottleneck"] != "Feasible" || row["wall_5_batching_pass"] != true || row["wall_7_tail_latency_pass"] != true {
		t.Errorf("bottleneck %v, walls 5 %v, 7 %v", row["bottleneck"], row["wall_5_batching_pass"], row["wall_7_tail_latency_pass"])
	}
	tighter := evalOne(t, capacityPoint("Llama3_8B", 100, 3300, ""))
	checkGolden(t, tighter, append(base, golden{"replicas", 5, 0}, golden{"queue_wait_p99_ms", 44.385617755872124, 1e-8}))
}

// physics.md §6.3: Memory, Capacity and Tail Latency, the three ways a point fails.
func TestServeCapacityInfeasible(t *testing.T) {
	cases := []struct {
		name, model  string
		qps, target  float64
		extra        string
		bottleneck   string
		reason, wall string
		replicas     float64
		pass5, pass7 bool
	}{
		{"memory", "Llama3_70B", 10, 10000, "", "Memory", "out_of_memory", "5 Batching", 1024, false, false},
		{"unstable", "Llama3_8B", 1000, 10000, "  max_replicas: 8\n", "Capacity", "queue_unstable", "7 Tail Latency", 8, true, false},
		{"slow", "Llama3_8B", 100, 3000, "  max_replicas: 64\n", "Tail Latency", "p99_target_missed", "7 Tail Latency", 64, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := evalOne(t, capacityPoint(c.model, c.qps, c.target, c.extra))
			checkInfeasible(t, row, c.reason, c.wall)
			checkGolden(t, row, []golden{{"replicas", c.replicas, 0}})
			// Tokens are served at most at the fleet's capacity (none when a replica cannot
			// hold the model), not at the offered qps.
			f := func(k string) float64 { return row[k].(float64) }
			capacity := min(c.qps, f("capacity_qps")) * float64(row["output_tokens"].(int64))
			if served := f("tokens_per_s_per_accelerator") * f("accelerators"); math.Abs(served-capacity) > 1e-9*capacity {
				t.Errorf("served %v tokens/s, want min(qps, capacity_qps) · output_tokens = %v", served, capacity)
			}
			if capacity == 0 && !math.IsInf(f("usd_per_million_tokens"), 1) {
				t.Errorf("nothing served but usd_per_million_tokens = %v, want +Inf", f("usd_per_million_tokens"))
			}
			if row["bottleneck"] != c.bottleneck || row["wall_5_batching_pass"] != c.pass5 || row["wall_7_tail_latency_pass"] != c.pass7 {
				t.Errorf("bottleneck %v, walls 5 %v, 7 %v; want %s, %v, %v", row["bottleneck"],
					row["wall_5_batching_pass"], row["wall_7_tail_latency_pass"], c.bottleneck, c.pass5, c.pass7)
			}
		})
	}
}

// physics.md §13.2 ServingCapacity (C): max 8192, output 256, cap 4096 → active batch 65
// without a mean, 259 with mean 2048, more queries per replica, not memory-bound.
func TestServeCapacityMeanTokens(t *testing.T) {
	extra := "  seq_len: 8192\n  output_tokens: 256\n  max_batch_size: 4096\n"
	b := evalOne(t, capacityPoint("Llama3_8B", 1, 60000, extra))
	c := evalOne(t, capacityPoint("Llama3_8B", 1, 60000, extra+"  mean_request_tokens: 2048\n"))
	checkGolden(t, b, []golden{{"active_batch", 65, 0}})
	checkGolden(t, c, []golden{{"active_batch", 259, 0}})
	if !(c["per_replica_qps"].(float64) > b["per_replica_qps"].(float64)) || c["bottleneck"] == "Memory" {
		t.Errorf("with the mean: per-replica QPS %v (without %v), bottleneck %v", c["per_replica_qps"], b["per_replica_qps"], c["bottleneck"])
	}
	checkRefused(t, capacityPoint("Mamba_2_8B", 1, 1000, ""), "serving capacity needs a transformer", "Mamba_2_8B")
	checkRefused(t, "version: 1\nstudy: serve-capacity\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  target_p99_ms: 100\n", "needs qps")
}

func TestServeCapacityGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: serve-capacity
axes:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, H200]
  qps: [10, 100, 1000]
  target_p99_ms: [2000, 5000]
  max_replicas: [8, 256]
  mean_request_tokens: [0, 1024, 4096]
`, "out_of_memory", "queue_unstable", "p99_target_missed", "mean_request_longer_than_max")
}
