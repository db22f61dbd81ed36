package sweep

import (
	"fmt"
	"testing"
)

func synthesisPoint(model, hw string, ms float64, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: synthesis\naxes:\n  model: [%s]\n  hardware: [%s]\n  target_latency_ms: %g\n%s", model, hw, ms, extra)
}

// physics.md §13.4: Synthesis(ResNet50, 10 ms, fp16) → 5.12 GB/s, 1.64 TFLOP/s, 320.3125
// FLOP/B, 0.0512 GB; against the A100 (2039 GB/s, 312 TFLOP/s, 80 GB) FLOP/s bind.
func TestSynthesisVectors(t *testing.T) {
	row := evalOne(t, synthesisPoint("ResNet50", "A100", 10, ""))
	checkGolden(t, row, []golden{
		{"required_bandwidth_gb_per_s", 5.12, 1e-12}, {"required_tflops", 1.64, 1e-12},
		{"compute_memory_ratio_flop_per_byte", 320.3125, 1e-12}, {"required_memory_gb", 0.0512, 1e-12},
		{"bandwidth_gb_per_s", 2039, 1e-12}, {"peak_tflops", 312, 1e-12},
		{"bandwidth_headroom", 2039 / 5.12, 1e-12}, {"flops_headroom", 312 / 1.64, 1e-12},
		{"wall_22_synthesis_slack", 1 - 1.64/312, 1e-12},
	})
	if row["binding_resource"] != "flops" || row["wall_22_synthesis_pass"] != true {
		t.Errorf("binding_resource %v, wall 22 pass %v; want flops, true", row["binding_resource"], row["wall_22_synthesis_pass"])
	}
	checkInfeasible(t, row, "", "1 Compute")

	// Llama-3 8B in 1 ms needs 16.06 TB/s: five times the H100's 3.35 TB/s.
	fast := evalOne(t, synthesisPoint("Llama3_8B", "H100", 1, ""))
	checkGolden(t, fast, []golden{{"required_bandwidth_gb_per_s", 16060, 1e-12}, {"bandwidth_headroom", 3350.0 / 16060, 1e-12},
		{"wall_22_synthesis_slack", 1 - 16060/3350.0, 1e-12}})
	if fast["binding_resource"] != "bandwidth" || fast["wall_22_synthesis_pass"] != false {
		t.Errorf("binding_resource %v, wall 22 pass %v; want bandwidth, false", fast["binding_resource"], fast["wall_22_synthesis_pass"])
	}
	checkInfeasible(t, fast, "target_latency_unreachable", "22 Synthesis")
	// At 10 ms it streams in time (1.606 TB/s): memory bandwidth is the tightest wall met.
	checkInfeasible(t, evalOne(t, synthesisPoint("Llama3_8B", "H100", 10, "")), "", "2 Memory")
	checkRefused(t, "version: 1\nstudy: synthesis\naxes:\n  model: [ResNet50]\n  hardware: [A100]\n", "needs target_latency_ms")
}

func TestSynthesisGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: synthesis
axes:
  model: [ResNet50, Llama3_8B, Llama3_70B, Mixtral_8x7B]
  hardware: [H100, A100, JetsonOrinNX]
  target_latency_ms: [0.1, 10, 1000]
  precision: [fp16, fp8]
  efficiency: [0.3, 0.6]
`, "target_latency_unreachable")
}
