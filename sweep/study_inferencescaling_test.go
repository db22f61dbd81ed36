package sweep

import "testing"

const reasoningPoint = "version: 1\nstudy: reasoning\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"

// physics.md §13.4: InferenceScaling(Llama3_8B, H100, K 8, context 2048) — 259.708 ms
// per step, 2148.634 ms in total, 1504.04 J, 400 tokens; TTFT and ITL are golden G4.
func TestReasoningVector(t *testing.T) {
	row := evalOne(t, reasoningPoint)
	checkGolden(t, row, []golden{
		{"time_per_step_ms", 259.708, 1e-6}, {"total_time_ms", 2148.634, 1e-6}, {"energy_per_query_j", 1504.04, 1e-5},
		{"tokens_generated", 400, 0}, {"ttft_ms", 70.97037058756726, 1e-12}, {"itl_ms", 5.194159837611941, 1e-12},
		{"memory_utilization", 0.1900880068540573, 1e-12}, {"wall_12_reasoning_slack", 70.97037058756726 / 2148.634, 1e-5},
	})
	checkInfeasible(t, row, "", "12 Reasoning")
	// A 2 s budget is missed by 148.6 ms.
	tight := evalOne(t, reasoningPoint+"  latency_budget_ms: 2000\n")
	checkInfeasible(t, tight, "latency_budget_exceeded", "12 Reasoning")
	checkGolden(t, tight, []golden{{"wall_12_reasoning_slack", 1 - 2148.634/2000, 1e-5}})
	// No reasoning: the prefill is the query.
	none := evalOne(t, reasoningPoint+"  reasoning_steps: 0\n")
	checkGolden(t, none, []golden{{"total_time_ms", 70.97037058756726, 1e-12}, {"tokens_generated", 0, 0}})
	checkInfeasible(t, none, "", "4 Serving")
}

func TestReasoningInfeasible(t *testing.T) {
	row := evalOne(t, "version: 1\nstudy: reasoning\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n")
	checkInfeasible(t, row, "out_of_memory", "4 Serving")
	if row["wall_4_serving_pass"] != false {
		t.Errorf("wall_4_serving_pass %v", row["wall_4_serving_pass"])
	}
	checkRefused(t, "version: 1\nstudy: reasoning\naxes:\n  model: [ResNet50]\n  hardware: [H100]\n", "chain-of-thought", "ResNet50")
}

func TestReasoningGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: reasoning
axes:
  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]
  hardware: [H100, B200, Cerebras_CS3]
  precision: [fp16, fp8]
  reasoning_steps: [0, 8, 64]
  seq_len: [2048, 32768]
  latency_budget_ms: [0, 5000]
`, "out_of_memory", "latency_budget_exceeded")
}
