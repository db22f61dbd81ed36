package sweep

import (
	"fmt"
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/kernel"
)

func batchingPoint(model string, seq, maxBatch, mean int) string {
	return fmt.Sprintf("version: 1\nstudy: batching\nprofile: seed\naxes:\n  model: [%s]\n  hardware: [H100]\n  seq_len: %d\n  max_batch_size: %d\n  mean_request_tokens: %d\n",
		model, seq, maxBatch, mean)
}

// The three Profile B vectors of physics.md §13.4 (seed profile) (Llama3_8B on H100, fp16, η 0.5, page 16).
func TestBatchingProfileB(t *testing.T) {
	cases := []struct {
		seq, cap int
		want     []golden
		wall     string
	}{
		{1024, 32, []golden{
			{"ttft_ms", 1099.800, 1e-6}, {"active_requests", 32, 0}, {"fragmentation", 0, 0},
			{"kv_cache_gb", 4.295, 1e-3}, {"itl_ms", 6.07611, 1e-5}, {"tokens_per_s", 5266.53, 1e-6},
			{"static_active_requests", 19, 0}, {"speedup_vs_static", 1.53984, 1e-5},
		}, "2 Memory"},
		{8192, 4096, []golden{
			{"ttft_ms", 1381191.85, 1e-8}, {"active_requests", 65, 0}, {"kv_cache_gb", 69.793, 1e-4},
			{"itl_ms", 25.6278, 1e-5}, {"tokens_per_s", 2536.31, 1e-5},
			{"static_active_requests", 39, 0}, {"speedup_vs_static", 1.12471, 1e-5},
		}, "5 Batching"}, // memory admits 65 of the 4096 allowed
		{2050, 256, []golden{
			{"fragmentation", 0.0067829, 1e-4}, {"active_requests", 256, 0}, {"itl_ms", 25.4676, 1e-5},
			{"tokens_per_s", 10052.0, 1e-5}, {"speedup_vs_static", 1.12672, 1e-5},
			{"static_fragmentation", 0.0067829, 1e-4},
		}, "2 Memory"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("S%d_cap%d", c.seq, c.cap), func(t *testing.T) {
			row := evalOne(t, batchingPoint("Llama3_8B", c.seq, c.cap, 0))
			checkGolden(t, row, c.want)
			checkGolden(t, row, []golden{{"weights_gb", 16.06, 1e-12}})
			checkInfeasible(t, row, "", c.wall)
			if row["wall_5_batching_pass"] != true {
				t.Errorf("wall_5_batching_pass %v", row["wall_5_batching_pass"])
			}
		})
	}
}

// physics.md §6.2 / §13.2 Profile C pins: Llama3_8B on H100, S_max 8192, mean 2048, cap 4096.
func TestBatchingProfileC(t *testing.T) {
	row := evalOne(t, batchingPoint("Llama3_8B", 8192, 4096, 2048))
	checkGolden(t, row, []golden{
		{"static_active_requests", 65, 0}, {"active_requests", 259, 0},
		{"fragmentation", 0.0038, 0.5e-3 / 0.0038}, {"speedup_vs_static", 1.56, 0.01 / 1.56},
		{"static_fragmentation", 0.75, 1e-12},
	})
	checkInfeasible(t, row, "", "5 Batching")
	// §13.2: a cap of 16 binds both allocators, speedup 1.
	capped := evalOne(t, batchingPoint("Llama3_8B", 8192, 16, 2048))
	checkGolden(t, capped, []golden{{"active_requests", 16, 0}, {"static_active_requests", 16, 0}, {"speedup_vs_static", 1, 1e-12}})
	// Requests capped at 600 000 tokens: a static reservation (78.6 GB) exceeds the free
	// 69.8 GB, pages of 1024-token requests do not; the speedup is unbounded.
	only := evalOne(t, batchingPoint("Llama3_8B", 600000, 32, 1024))
	checkGolden(t, only, []golden{{"static_active_requests", 0, 0}, {"static_tokens_per_s", 0, 0}, {"active_requests", 32, 0}})
	if s := only["speedup_vs_static"].(float64); !math.IsInf(s, 1) || only["feasible"] != true {
		t.Errorf("only paged admits: speedup %v, feasible %v; want +Inf, true", s, only["feasible"])
	}
	// The seed refuses a mean above the cap; a grid keeps the point as infeasible, and
	// contradictory inputs bind no wall (binding.go).
	checkInfeasible(t, evalOne(t, batchingPoint("Llama3_8B", 1024, 16, 2048)), "mean_request_longer_than_max", "")
}

func TestBatchingInfeasible(t *testing.T) {
	// Llama3_70B's fp16 weights (140 GB) fill the H100: nothing admitted, the seed's 1e6 ms ITL.
	row := evalOne(t, batchingPoint("Llama3_70B", 2048, 32, 0))
	checkInfeasible(t, row, "out_of_memory", "5 Batching")
	checkGolden(t, row, []golden{{"active_requests", 0, 0}, {"tokens_per_s", 0, 0}, {"itl_ms", 1e6, 0}, {"speedup_vs_static", 1, 0}})
	if row["wall_5_batching_pass"] != false {
		t.Errorf("wall_5_batching_pass %v, want false", row["wall_5_batching_pass"])
	}
	checkRefused(t, "version: 1\nstudy: batching\naxes:\n  model: [ResNet50]\n  hardware: [H100]\n",
		"continuous batching needs a transformer", "ResNet50", "family cnn")
}

func TestBatchingGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: batching
axes:
  model: [Llama3_8B, Llama3_70B, DeepSeek_V3]
  hardware: [H100, B200]
  precision: [fp16, fp8]
  seq_len: [2048, 8192]
  max_batch_size: [32, 1024]
  mean_request_tokens: [0, 1024, 4096]
`, "out_of_memory", "mean_request_longer_than_max")
}

// TestBatchingInputTokens (seed profile): with input_tokens the batching study charges each request's
// prefill and counts generated tokens only; input_tokens 0 keeps the decode-only figure,
// and a prompt as long as the request is infeasible. The expected value is recomputed
// here from the row's own ITL and active requests: N·out / (out·ITL + N·prefill).
func TestBatchingInputTokens(t *testing.T) {
	eval := func(input string) map[string]any {
		return evalOne(t, "version: 1\nstudy: batching\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp8]\n"+
			"  seq_len: 256\n  max_batch_size: 8192\n  input_tokens: "+input+"\n")
	}
	decode, charged := eval("0"), eval("128")
	n, itl := charged["active_requests"].(float64), charged["itl_ms"].(float64)/1e3
	if n != decode["active_requests"] || charged["itl_ms"] != decode["itl_ms"] {
		t.Fatalf("the prompt must not change admission or the decode step: %v/%v vs %v/%v",
			n, charged["itl_ms"], decode["active_requests"], decode["itl_ms"])
	}
	if got, want := decode["tokens_per_s"].(float64), n/itl; math.Abs(got-want) > 1e-9*want || decode["prompt_prefill_ms"] != 0.0 {
		t.Errorf("input_tokens 0: tokens/s %v, want N/ITL %v; prefill %v, want 0", got, want, decode["prompt_prefill_ms"])
	}
	pre := (2*8.03e9*128 + kernel.AttentionFLOPsCoef(32, 32, 4096)*128*128) / (1979e12 * 0.5)
	if got := charged["prompt_prefill_ms"].(float64) / 1e3; math.Abs(got-pre) > 1e-9*pre {
		t.Errorf("prompt_prefill_ms %v s, want %v s", got, pre)
	}
	if got, want := charged["tokens_per_s"].(float64), n*128/(128*itl+n*pre); math.Abs(got-want) > 1e-9*want {
		t.Errorf("input_tokens 128: tokens/s %v, want %v", got, want)
	}
	if bad := eval("256"); bad["feasible"] != false || bad["infeasible_reason"] != "prompt_not_shorter_than_request" {
		t.Errorf("prompt = request length: feasible %v (%v), want false (prompt_not_shorter_than_request)", bad["feasible"], bad["infeasible_reason"])
	}
}
