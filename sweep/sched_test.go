package sweep

import (
	"fmt"
	"math"
	"testing"
)

// TestOneReplicaOneCapacity: the four serving studies that price prompts between decode
// steps give one replica one capacity (docs/PHYSICS.md §34.7). For each point the batching
// study's generated tokens/s (prompts charged), serve-capacity's per-replica QPS × O,
// serve's load_capacity_qps × O and serve-sim's sim_capacity_qps × O are compared. All
// four take the engine's prefill passes from one function (kernel saturatedPrompt), a
// request's O − 1 decode steps at its mean context, and the batch memory holds; the one
// thing they do not share is how that batch is counted — the batcher reserves KV pages of
// 16 tokens (page_tokens), serve and serve-sim whole tokens — so where memory, not the
// cap, sets the batch, the batcher may hold fewer sequences. The bound is therefore:
// equal to 1e-9 (rounding) where both hold the same batch, and where the batcher holds
// b_page < b sequences, its rate at most the ratio b/b_page lower (the step only grows
// with the batch, so fewer sequences cannot be more than proportionally slower).
// Before issue #10's sched round the batcher prefilled the whole batch in one pass and
// serve one prompt per pass: Llama3_70B fp8 on two MI300X, batch 64, 2048 + 256 tokens,
// 1,241 against 1,120 tokens/s.
func TestOneReplicaOneCapacity(t *testing.T) {
	type pt struct {
		model, hw, prec, engine string
		tp, batch, isl, osl     int
	}
	points := []pt{
		{"Llama3_70B", "MI300X", "fp8", "vllm", 2, 64, 2048, 256},
		{"Llama3_70B", "MI300X", "fp8", "sglang", 2, 64, 2048, 256},
		{"Llama3_70B", "H100", "fp8", "trtllm", 4, 128, 1024, 128},
		{"Llama3_8B", "H100", "fp16", "vllm-0.3", 1, 256, 512, 512},
		{"Llama3_70B", "H100", "fp16", "vllm", 4, 1024, 4000, 500},   // memory sets the batch
		{"Llama3_8B", "H100", "fp8", "trtllm-0.5", 1, 32, 3000, 100}, // static batch: one pass of 32 prompts
		{"Mixtral_8x7B", "H200", "fp8", "sglang", 2, 96, 4000, 64},   // 2 prompts per 8192-token pass
	}
	for _, p := range points {
		name := fmt.Sprintf("%s/%s/%s/%s/tp%d/b%d/%d+%d", p.model, p.hw, p.prec, p.engine, p.tp, p.batch, p.isl, p.osl)
		t.Run(name, func(t *testing.T) {
			common := fmt.Sprintf("  model: [%s]\n  hardware: [%s]\n  precision: [%s]\n  engine: [%s]\n  tp: [%d]\n",
				p.model, p.hw, p.prec, p.engine, p.tp)
			eval := func(study, rest string) map[string]any {
				row, err := EvalPoint(mustPlan(t, "version: 1\nstudy: "+study+"\naxes:\n"+common+rest))
				if err != nil {
					t.Fatal(err)
				}
				return row
			}
			o := float64(p.osl)
			b := eval("batching", fmt.Sprintf("  max_batch_size: [%d]\n  seq_len: [%d]\n  input_tokens: [%d]\n", p.batch, p.isl+p.osl, p.isl))
			c := eval("serve-capacity", fmt.Sprintf("  max_batch_size: [%d]\n  seq_len: [%d]\n  input_tokens: [%d]\n  output_tokens: [%d]\n  qps: [0.5]\n  target_p99_ms: [1e7]\n",
				p.batch, p.isl, p.isl, p.osl))
			s := eval("serve", fmt.Sprintf("  batch_size: [%d]\n  seq_len: [%d]\n  output_tokens: [%d]\n  qps: [0.01]\n", p.batch, p.isl, p.osl))
			sim := eval("serve-sim", fmt.Sprintf("  batch_size: [%d]\n  seq_len: [%d]\n  output_tokens: [%d]\n  qps: [0.01]\n  requests: [20]\n", p.batch, p.isl, p.osl))
			rates := map[string]float64{
				"batching":       b["tokens_per_s"].(float64),
				"serve-capacity": c["per_replica_qps"].(float64) * o,
				"serve":          s["load_capacity_qps"].(float64) * o,
				"serve-sim":      sim["capacity_qps"].(float64) * o,
			}
			held := s["load_max_batch"].(float64)
			paged := b["active_requests"].(float64)
			if c["active_batch"].(float64) != paged {
				t.Errorf("serve-capacity's batch %v, the batching study's %v", c["active_batch"], paged)
			}
			if sim["max_batch"].(float64) != held {
				t.Errorf("serve-sim's batch %v, serve's %v", sim["max_batch"], held)
			}
			ref := rates["serve"]
			t.Logf("tokens/s: batching %.6g, serve-capacity %.6g, serve %.6g, serve-sim %.6g; batch paged %v, held %v",
				rates["batching"], rates["serve-capacity"], rates["serve"], rates["serve-sim"], paged, held)
			for k, v := range rates {
				bound := 1e-9
				if (k == "batching" || k == "serve-capacity") && paged < held {
					bound = held/paged - 1 + 1e-9
					if v > ref*(1+1e-9) {
						t.Errorf("%s: %.6g tokens/s above serve's %.6g with fewer sequences (%v < %v)", k, v, ref, paged, held)
					}
				}
				if math.Abs(v/ref-1) > bound || !(v > 0) {
					t.Errorf("%s: %.6g tokens/s, serve %.6g (%+.3g %%; bound %.3g %%, batches paged %v, held %v)",
						k, v, ref, 100*(v/ref-1), 100*bound, paged, held)
				}
			}
		})
	}
}

// TestPrefillBudgetReachesTheBatcher: the engine's prefill token budget reaches the kernel,
// and a stated max_num_tokens replaces it. Mixtral 8x7B FP8 on two H200 under SGLang
// (budget 8192) with 4000-token prompts prefills ⌊8192/4000⌋ = 2 prompts a pass, so a
// prompt's share (prompt_prefill_ms) equals the one with max_num_tokens 8192 stated, is
// below max_num_tokens 4000's (one prompt a pass: the weights read once a prompt) and
// above max_num_tokens 10⁶'s (all 96 admitted prompts in one pass).
func TestPrefillBudgetReachesTheBatcher(t *testing.T) {
	share := func(maxTokens int) float64 {
		row, err := EvalPoint(mustPlan(t, fmt.Sprintf("version: 1\nstudy: batching\naxes:\n  model: [Mixtral_8x7B]\n  hardware: [H200]\n"+
			"  precision: [fp8]\n  engine: [sglang]\n  tp: [2]\n  max_batch_size: [96]\n  seq_len: [4064]\n  input_tokens: [4000]\n  max_num_tokens: [%d]\n", maxTokens)))
		if err != nil {
			t.Fatal(err)
		}
		return row["prompt_prefill_ms"].(float64)
	}
	engine, one, two, all := share(0), share(4000), share(8192), share(1000000)
	if engine != two {
		t.Errorf("the engine's budget gives %v ms a prompt, max_num_tokens 8192 %v: want equal (2 prompts a pass)", engine, two)
	}
	if !(one > two && two > all) {
		t.Errorf("a prompt's prefill share: 1 a pass %v ms, 2 a pass %v, 96 a pass %v; want strictly falling", one, two, all)
	}
}

// TestServeCapacityTTFTIsThePass: serve-capacity's TTFT (and so its base latency) is the
// prefill pass a request's prompt is in — 2 prompts of 4000 tokens under SGLang's 8192 —
// which is the serve study's fixed-batch TTFT at batch 2, not the pass of all 96 admitted
// prompts it was before issue #10's sched round (§34.7).
func TestServeCapacityTTFTIsThePass(t *testing.T) {
	common := "  model: [Mixtral_8x7B]\n  hardware: [H200]\n  precision: [fp8]\n  engine: [sglang]\n  tp: [2]\n"
	c, err := EvalPoint(mustPlan(t, "version: 1\nstudy: serve-capacity\naxes:\n"+common+
		"  max_batch_size: [96]\n  seq_len: [4000]\n  input_tokens: [4000]\n  output_tokens: [64]\n  qps: [0.5]\n  target_p99_ms: [1e7]\n"))
	if err != nil {
		t.Fatal(err)
	}
	pass := func(batch int) float64 {
		row, err := EvalPoint(mustPlan(t, fmt.Sprintf("version: 1\nstudy: serve\naxes:\n"+common+"  seq_len: [4000]\n  batch_size: [%d]\n", batch)))
		if err != nil {
			t.Fatal(err)
		}
		return row["ttft_ms"].(float64)
	}
	if c["active_batch"].(float64) != 96 {
		t.Fatalf("admitted %v, the test wants the cap of 96", c["active_batch"])
	}
	checkGolden(t, c, []golden{{"ttft_ms", pass(2), 1e-12}})
	if all := pass(96); !(c["ttft_ms"].(float64) < all/10) {
		t.Errorf("TTFT %v ms, want the pass of 2 prompts, far below the 96 prompts' %v", c["ttft_ms"], all)
	}
}
