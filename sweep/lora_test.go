package sweep

import (
	"fmt"
	"testing"
)

// LoRA freezes the base weights, so the backward computes no weight gradients for them:
// the dgrad GEMMs remain, the wgrad GEMMs (a third of a step's FLOPs) go. Hu et al. 2021,
// "LoRA: Low-Rank Adaptation of Large Language Models", §4.2, measure a 25 % speedup on
// GPT-3 175B over full fine-tuning for that reason. A compute-bound calibrated step with
// LoRA must therefore be clearly shorter than without; today LoRA shrinks memory only.
func TestLoRAStepSkipsFrozenWeightGradients(t *testing.T) {
	cases := []struct {
		name, grid, col, bug string
	}{
		{"node", "study: node\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  zero_stage: 1\n  dp_size: 8\n  lora: %v\n", "latency_ms", "qa3-lora-step-time"},
		{"fleet", "study: fleet\naxes:\n  model: Llama3_8B\n  cluster: Lab_64_H100\n  batch_size: 64\n  zero_stage: 1\n  overlap: true\n  lora: %v\n", "step_latency_ms", "qa3-lora-step-time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			full := evalOne(t, "version: 1\nname: l\n"+fmt.Sprintf(c.grid, false))
			lora := evalOne(t, "version: 1\nname: l\n"+fmt.Sprintf(c.grid, true))
			if full["feasible"] != true || lora["feasible"] != true || full["binding_wall"] != "1 Compute" {
				t.Fatalf("want a feasible compute-bound point: full %v %v, lora %v", full["feasible"], full["binding_wall"], lora["feasible"])
			}
			tf, tl := full[c.col].(float64), lora[c.col].(float64)
			// 0.9: well short of the measured 25 %, so the check does not tune a constant.
			knownBug(t, c.bug, tl < 0.9*tf, "%s with LoRA %.4g ms, full fine-tuning %.4g ms: want < 0.9×", c.col, tl, tf)
		})
	}
}
