package sweep

import (
	"math"
	"strings"
	"testing"
)

// TestFleetBF16Moments: Adam's moments in BF16 (DeepSeek-V3 report §3.3.3) keep 8 bytes
// of optimizer state per parameter instead of 12 (4 master + 2 + 2 against 4 + 4 + 4),
// so optimizer_state_gb is 8/12 of the FP32 one, and the optimizer's pass moves 40 + 2
// bytes per parameter instead of 48 + 2 (bf16 weights written back): optimizer_ms is
// 42/50 of it, and the step shorter by exactly that difference. Weights, gradients
// (FP32) and activations do not move.
func TestFleetBF16Moments(t *testing.T) {
	fp32 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "none"))
	bf16 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "none")+"  optimizer_state_precision: bf16\n")
	f := func(r map[string]any, k string) float64 { return r[k].(float64) }
	if got := f(bf16, "optimizer_state_gb") / f(fp32, "optimizer_state_gb"); math.Abs(got-8.0/12) > 1e-12 {
		t.Errorf("optimizer state ratio %v, want 8/12", got)
	}
	if got := f(bf16, "optimizer_ms") / f(fp32, "optimizer_ms"); math.Abs(got-42.0/50) > 1e-12 {
		t.Errorf("optimizer pass ratio %v, want 42/50", got)
	}
	dStep := f(fp32, "step_latency_ms") - f(bf16, "step_latency_ms")
	dOpt := f(fp32, "optimizer_ms") - f(bf16, "optimizer_ms")
	if dOpt <= 0 || math.Abs(dStep/dOpt-1) > 1e-9 {
		t.Errorf("step shorter by %v ms, want the optimizer's %v ms", dStep, dOpt)
	}
	for _, k := range []string{"weights_gb", "gradients_gb", "activations_gb"} {
		if bf16[k] != fp32[k] {
			t.Errorf("%s: %v with BF16 moments, %v without", k, bf16[k], fp32[k])
		}
	}
	// Under the seed profile nothing reads it: the grid says so with its line.
	p := mustPlan(t, fp8Fleet("profile: seed\n", "Training_10K", "bf16", "none")+"  optimizer_state_precision: bf16\n")
	if notes := strings.Join(p.EffectNotes(), "\n"); !strings.Contains(notes, "optimizer_state_precision changes nothing") {
		t.Errorf("seed grid notes %q, want optimizer_state_precision noted", notes)
	}
}
