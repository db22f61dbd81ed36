package sweep

import (
	"fmt"
	"testing"
)

func sensitivityPoint(model, hw, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: sensitivity\naxes:\n  model: [%s]\n  hardware: [%s]\n%s", model, hw, extra)
}

// physics.md §13.4: Sensitivity(Llama3_8B, H100, fp16) → baseline 5.60343 ms, bandwidth
// −0.085555, peak FLOP/s 0, capacity 0 → memory_bandwidth; §13.2 (Profile C):
// Llama3_70B on an H100 does not fit → infeasible, memory_capacity.
func TestSensitivityVectors(t *testing.T) {
	row := evalOne(t, sensitivityPoint("Llama3_8B", "H100", ""))
	bw := -0.085555
	checkGolden(t, row, []golden{
		{"baseline_latency_ms", 5.60343, 1e-5}, {"sensitivity_memory_bandwidth", bw, 1e-4},
		{"sensitivity_peak_flops", 0, 0}, {"sensitivity_memory_capacity", 0, 0},
		// Fully bandwidth-bound would be 1/1.1 − 1; the rest of the latency is overhead.
		{"wall_21_sensitivity_slack", 1 - 0.085555/(1-1/1.1), 1e-3},
	})
	if row["binding_parameter"] != "memory_bandwidth" {
		t.Errorf("binding_parameter %v, want memory_bandwidth", row["binding_parameter"])
	}
	checkInfeasible(t, row, "", "2 Memory")

	big := evalOne(t, sensitivityPoint("Llama3_70B", "H100", ""))
	if big["binding_parameter"] != "memory_capacity" {
		t.Errorf("Llama3_70B: binding_parameter %v, want memory_capacity", big["binding_parameter"])
	}
	checkInfeasible(t, big, "out_of_memory", "2 Memory")

	// ResNet-50 at batch 32 on an A100 is compute-bound under seed (G7b's intensity
	// 1220 FLOP/B).
	cnn := evalOne(t, "profile: seed\n"+sensitivityPoint("ResNet50", "A100", "  batch_size: 32\n"))
	if cnn["binding_parameter"] != "peak_flops" {
		t.Errorf("ResNet50 B=32: binding_parameter %v, want peak_flops", cnn["binding_parameter"])
	}
	checkInfeasible(t, cnn, "", "1 Compute")
}

// TestSensitivityCalibratedCNN: under calibrated the baseline is the node study's point
// (ResNet-50 priced layer by layer, eager: bound by its feature-map traffic, so the
// bandwidth binds), and the footprint counts the live feature maps, so a batch whose
// maps exceed a T4's 17.2 GB does not fit.
func TestSensitivityCalibratedCNN(t *testing.T) {
	cnn := evalOne(t, sensitivityPoint("ResNet50", "A100", "  batch_size: 32\n"))
	node := evalOne(t, "version: 1\nstudy: node\naxes:\n  model: ResNet50\n  hardware: A100\n  batch_size: 32\n")
	checkGolden(t, cnn, []golden{{"baseline_latency_ms", node["latency_ms"].(float64), 0}})
	if cnn["binding_parameter"] != "memory_bandwidth" {
		t.Errorf("calibrated ResNet50 B=32: binding_parameter %v, want memory_bandwidth", cnn["binding_parameter"])
	}
	// 10 % more bandwidth (datasheet and measured alike) speeds a bandwidth-bound step.
	if s := cnn["sensitivity_memory_bandwidth"].(float64); !(s < -0.05) {
		t.Errorf("calibrated ResNet50 B=32: sensitivity_memory_bandwidth %g, want below -0.05", s)
	}
	checkInfeasible(t, evalOne(t, sensitivityPoint("ResNet50", "T4", "  batch_size: 4096\n")), "out_of_memory", "2 Memory")
	checkInfeasible(t, evalOne(t, sensitivityPoint("ResNet50", "T4", "  batch_size: 1024\n")), "", "2 Memory")
}

func TestSensitivityGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: sensitivity
axes:
  model: [ResNet50, Llama3_8B, Llama3_70B]
  hardware: [H100, A100, JetsonOrinNX]
  precision: [fp16, int8]
  batch_size: [1, 64]
  perturbation_pct: [1, 10]
`, "out_of_memory")
}
