package sweep

import (
	"fmt"
	"testing"
)

func compressionPoint(model, hw, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: compression\naxes:\n  model: [%s]\n  hardware: [%s]\n%s", model, hw, extra)
}

// physics.md §13.2 (test_solver_suite, Compression): fp32 ratios 2/4/8 at 16/8/4 bits;
// fp16 baseline INT4 4.0 and 75 %, INT8 2.0 and 50 %; Llama3_8B/H100 INT4 speedup 4.0
// (fp16 baseline) and 8.0 (fp32), decode being memory-bound; sparsity 1 → ratio 100.
func TestCompressionVectors(t *testing.T) {
	cases := []struct {
		extra string
		want  []golden
	}{
		{"  target_bitwidth: 16\n", []golden{{"compression_ratio", 2, 0}, {"accuracy_delta", 0, 0}, {"original_gb", 32.12, 1e-12}}},
		{"  target_bitwidth: 8\n", []golden{{"compression_ratio", 4, 0}, {"accuracy_delta", -0.002, 0}}},
		{"  target_bitwidth: 4\n", []golden{{"compression_ratio", 8, 0}, {"speedup", 8, 0}, {"compressed_gb", 4.015, 1e-12}}},
		{"  target_bitwidth: 4\n  baseline_precision: fp16\n", []golden{{"compression_ratio", 4, 0}, {"memory_savings", 0.75, 0}, {"speedup", 4, 0}}},
		{"  target_bitwidth: 8\n  baseline_precision: fp16\n", []golden{{"compression_ratio", 2, 0}, {"memory_savings", 0.5, 0}}},
		{"  target_bitwidth: 4\n  baseline_precision: bf16\n", []golden{{"compression_ratio", 4, 0}}},
		{"  method: pruning\n  sparsity: 1\n", []golden{{"compression_ratio", 100, 0}, {"compressed_gb", 32.12 / 100, 1e-12}}},
		{"  method: pruning\n  sparsity: 0.5\n  sparsity_type: n_m\n", []golden{{"compression_ratio", 2, 0}, {"speedup", 2, 0}, {"accuracy_delta", -0.001, 0}}},
		{"  method: other\n", []golden{{"compression_ratio", 1, 0}, {"speedup", 1, 0}, {"accuracy_delta", 0, 0}}},
	}
	for _, c := range cases {
		row := evalOne(t, compressionPoint("Llama3_8B", "H100", c.extra))
		checkGolden(t, row, c.want)
		checkInfeasible(t, row, "", "")
	}
}

// The seed's candidate guardrails, in its order (physics.md §9.3): size, quality, speedup,
// hardware support. INT4 on the H100: 4.015 GB, Δ −0.025, speedup 8 (fp32 baseline), no
// int4 rate.
func TestCompressionGuardrails(t *testing.T) {
	cases := []struct{ extra, binding, reason string }{
		{"  size_limit_gb: 4\n", "model_size", "exceeds_size_limit"},
		{"  max_accuracy_drop: 0.01\n", "quality", "accuracy_drop_too_large"},
		{"  min_speedup: 10\n", "speedup", "speedup_too_low"},
		{"  require_hardware_support: true\n", "hardware_support", "unsupported_by_hardware"},
		{"  size_limit_gb: 4.1\n  max_accuracy_drop: 0.03\n  min_speedup: 8\n", "none", ""},
	}
	for _, c := range cases {
		row := evalOne(t, compressionPoint("Llama3_8B", "H100", "  target_bitwidth: 4\n"+c.extra))
		wall := "13 Fidelity"
		if c.reason == "" {
			wall = ""
		}
		checkInfeasible(t, row, c.reason, wall)
		if row["binding_constraint"] != c.binding {
			t.Errorf("%q: binding_constraint %v, want %s", c.extra, row["binding_constraint"], c.binding)
		}
	}
	q := evalOne(t, compressionPoint("Llama3_8B", "H100", "  target_bitwidth: 4\n  max_accuracy_drop: 0.01\n"))
	checkGolden(t, q, []golden{{"wall_13_fidelity_slack", 1 - 0.025/0.01, 1e-12}})
	if q["wall_13_fidelity_pass"] != false || q["hardware_supported"] != false {
		t.Errorf("wall 13 pass %v, hardware supported %v; want false, false", q["wall_13_fidelity_pass"], q["hardware_supported"])
	}
}

func TestCompressionGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: compression
axes:
  model: [Llama3_8B, ResNet50, Mamba_2_8B]
  hardware: [H100, A100, Cerebras_CS3]
  method: all
  target_bitwidth: [2, 4, 8, 16]
  sparsity: [0, 0.5, 0.9]
  sparsity_type: all
  max_accuracy_drop: [0.01, 0.05]
  require_hardware_support: all
`, "accuracy_drop_too_large", "unsupported_by_hardware")
}
