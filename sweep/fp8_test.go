package sweep

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// fp8Fleet is Llama 3 70B on 64 H100 (DGX H100 nodes) as Megatron-Bridge lays it out
// (TP 4, PP 8 × VP 5, 64 microbatches), or on 64 A100 with cluster Training_1K_A100.
func fp8Fleet(profile, cluster, precision, recipe string) string {
	return `version: 1
study: fleet
` + profile + `axes:
  model: [Llama3_70B]
  cluster: [` + cluster + `]
  nodes: 8
  precision: [` + precision + `]
  fp8_recipe: [` + recipe + `]
  seq_len: 8192
  batch_size: 128
  tp: 4
  pp: 8
  virtual_stages: 5
  microbatches: 64
  zero_stage: 1
  overlap: true
  activation_checkpointing: none
`
}

// TestFleetFP8: FP8 GEMMs shorten the H100 step (its FP8 matmul rate is 1.75× its
// BF16 one) and keep weights, gradients and optimizer state in their formats (the FP8
// weight copies add to the weights); the A100 has no FP8 rate, so the point is
// unsupported_by_hardware rather than priced at its BF16 rate.
func TestFleetFP8(t *testing.T) {
	bf16 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "none"))
	for _, r := range []string{"delayed", "current"} {
		fp8 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", r))
		if !(fp8["step_latency_ms"].(float64) < bf16["step_latency_ms"].(float64)) {
			t.Errorf("%s: FP8 step %v ms, not shorter than BF16 %v ms", r, fp8["step_latency_ms"], bf16["step_latency_ms"])
		}
		if fp8["gradients_gb"] != bf16["gradients_gb"] || fp8["optimizer_state_gb"] != bf16["optimizer_state_gb"] {
			t.Errorf("%s: gradients %v, optimizer %v GB; BF16 %v, %v", r, fp8["gradients_gb"], fp8["optimizer_state_gb"], bf16["gradients_gb"], bf16["optimizer_state_gb"])
		}
		if !(fp8["weights_gb"].(float64) > bf16["weights_gb"].(float64)) {
			t.Errorf("%s: weights %v GB, want the BF16 %v GB and the FP8 copies", r, fp8["weights_gb"], bf16["weights_gb"])
		}
		if a100 := evalOne(t, fp8Fleet("", "Training_1K_A100", "bf16", r)); a100["infeasible_reason"] != "unsupported_by_hardware" {
			t.Errorf("%s on A100: reason %v, want unsupported_by_hardware", r, a100["infeasible_reason"])
		}
	}
	// Delayed scaling takes its amax inside the cast; current scaling reads each tensor once more first.
	if d, c := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "delayed")), evalOne(t, fp8Fleet("", "Training_10K", "bf16", "current")); !(d["step_latency_ms"].(float64) < c["step_latency_ms"].(float64)) {
		t.Errorf("delayed scaling %v ms is not shorter than current scaling %v ms", d["step_latency_ms"], c["step_latency_ms"])
	}
}

// TestFP8RecipeRefused: the seed profile has no FP8 GEMMs, and a precision of 8 bits or
// fewer leaves nothing wider to keep beside them: both are bad input naming the axis.
func TestFP8RecipeRefused(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"seed", fp8Fleet("profile: seed\n", "Training_10K", "bf16", "current"), "axis fp8_recipe: FP8 mixed precision is a term of the calibrated training step"},
		{"fp8 precision", fp8Fleet("", "Training_10K", "bf16, fp8", "none, delayed"), "axis precision: fp8 beside fp8_recipe"},
		{"node seed", "version: 1\nstudy: node\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  training: true\n  fp8_recipe: delayed\n", "axis fp8_recipe"},
	} {
		p := mustPlan(t, tc.src)
		err := p.SetProfile(p.Profile)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	// The seed accepts the default, none.
	evalOne(t, fp8Fleet("profile: seed\n", "Training_10K", "bf16", "none"))
}

// TestNodeFP8: the node study's training step on one H100 takes FP8 GEMMs as the fleet's
// does; an A100, or a model that is not a transformer, cannot.
func TestNodeFP8(t *testing.T) {
	node := func(hw, model, recipe string) map[string]any {
		return evalOne(t, "version: 1\nstudy: node\naxes:\n  model: ["+model+"]\n  hardware: ["+hw+"]\n  precision: bf16\n  training: true\n  batch_size: 1\n  seq_len: 4096\n  fp8_recipe: "+recipe+"\n")
	}
	bf16, fp8 := node("H100", "Llama3_8B", "none"), node("H100", "Llama3_8B", "current")
	if !(fp8["latency_ms"].(float64) < bf16["latency_ms"].(float64)) {
		t.Errorf("FP8 step %v ms, not shorter than BF16 %v ms", fp8["latency_ms"], bf16["latency_ms"])
	}
	for _, tc := range []struct{ hw, model string }{{"A100", "Llama3_8B"}, {"H100", "ResNet50"}} {
		if r := node(tc.hw, tc.model, "delayed"); r["infeasible_reason"] != "unsupported_by_hardware" || r["feasible"] != false {
			t.Errorf("%s on %s with fp8_recipe: feasible %v, reason %v; want unsupported_by_hardware", tc.model, tc.hw, r["feasible"], r["infeasible_reason"])
		}
	}
}

// TestFleetFP8Params: FP8 primary weights (fp8_params) drop the BF16 copy of the linear
// weights — the rank holds 2 bytes per linear weight in all, the FP8 data and its
// transpose, where FP8 with BF16 primary weights holds 4 — and leave gradients,
// optimizer state and activations as they are; without FP8 GEMMs the axis is refused,
// naming it.
func TestFleetFP8Params(t *testing.T) {
	fp8 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "current"))
	primary := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "current")+"  fp8_params: true\n")
	bf16 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "none"))
	if primary["weights_gb"] != bf16["weights_gb"] {
		t.Errorf("FP8 primary weights: %v GB, want the BF16 step's %v GB (2 bytes a linear weight either way)", primary["weights_gb"], bf16["weights_gb"])
	}
	if !(primary["weights_gb"].(float64) < fp8["weights_gb"].(float64)) {
		t.Errorf("FP8 primary weights %v GB, not below FP8 with BF16 weights %v GB", primary["weights_gb"], fp8["weights_gb"])
	}
	for _, k := range []string{"gradients_gb", "optimizer_state_gb", "activations_gb"} {
		if primary[k] != fp8[k] {
			t.Errorf("%s: %v with FP8 primary weights, %v without", k, primary[k], fp8[k])
		}
	}
	if !(primary["step_latency_ms"].(float64) < fp8["step_latency_ms"].(float64)) {
		t.Errorf("FP8 primary weights: step %v ms, not below %v ms (no cast from BF16, a 1-byte gather)", primary["step_latency_ms"], fp8["step_latency_ms"])
	}
	p := mustPlan(t, fp8Fleet("", "Training_10K", "bf16", "none")+"  fp8_params: [false, true]\n")
	if err := p.SetProfile(p.Profile); err == nil || !strings.Contains(err.Error(), "axis fp8_params") {
		t.Errorf("fp8_params true with fp8_recipe none: error %v, want one naming axis fp8_params", err)
	}
}

// TestTrainingMatmulIsSustained: a training step runs its GEMMs at the catalog's
// sustained (power-limited, MSMF) rate where one is measured — the H100's 0.716 × 989
// and 0.651 × 1979 TFLOP/s (docs/PHYSICS.md §35) — and at the burst rate (MAMF) where
// none is, the A100's 0.869 × 312; the burst rate, which serving and the CNN step read,
// is unchanged.
func TestTrainingMatmulIsSustained(t *testing.T) {
	cat := testCatalog()
	var hs []*catalog.Hardware
	for _, k := range []string{"H100", "A100"} {
		h, err := cat.HardwareByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	tab := newHWTable(hs, false)
	bf16, fp8 := float64(kernel.BF16), float64(kernel.FP8)
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"H100 bf16 training", tab.trainMatmulFor(0, bf16), 0.716 * 989e12},
		{"H100 fp8 training", tab.trainMatmulFor(0, fp8), 0.651 * 1979e12},
		{"H100 bf16 burst", tab.matmulFor(0, bf16), 0.803 * 989e12},
		{"A100 bf16 training", tab.trainMatmulFor(1, bf16), 0.869 * 312e12},
	} {
		if math.Abs(tc.got-tc.want) > 1e-9*tc.want {
			t.Errorf("%s: %g FLOP/s, want %g", tc.name, tc.got, tc.want)
		}
	}
}
