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
		{"node", "study: node\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  zero_stage: 1\n  dp_size: 8\n  lora: %v\n", "latency_ms", ""},
		{"fleet", "study: fleet\naxes:\n  model: Llama3_8B\n  cluster: Lab_64_H100\n  batch_size: 64\n  zero_stage: 1\n  overlap: true\n  lora: %v\n", "step_latency_ms", ""},
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

// A fully connected layer at batch 1 is a GEMV (m = 1): one 256×128 tile per 128 output
// columns would run AlexNet's 9216×4096 layer on 16 of the A100's 108 SMs, ~3 ms at
// FP32; cuBLAS splits k over the SMs (split-K, CUTLASS's "Efficient GEMM" documentation)
// and the layer streams its 151 MB of weights in ~0.1 ms (kernel's convGEMM). Bound: 10 × the roofline of the whole network, from
// torchvision's AlexNet (61.1 M parameters, 0.714 G multiply-adds; docs/CATALOG.md) on
// an A100 (19.5 TFLOP/s FP32, 1.555 TB/s): 10 × (1.428 GFLOP / 19.5 TFLOP/s + 244 MB /
// 1.555 TB/s) = 2.3 ms.
func TestCNNBatchOneGEMVWithinTenRooflines(t *testing.T) {
	row := evalOne(t, "version: 1\nname: g\nstudy: node\naxes:\n  model: AlexNet\n  hardware: A100\n  precision: fp32\n  batch_size: 1\n")
	bound := 10 * (2*0.714e9/19.5e12 + 61.1e6*4/1.555e12) * 1e3
	got := row["latency_ms"].(float64)
	knownBug(t, "", got <= bound, "AlexNet batch 1 FP32 on A100: %.3g ms, want ≤ %.3g ms (10 rooflines)", got, bound)
}
