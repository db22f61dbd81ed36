package sweep

import (
	"fmt"
	"testing"
)

func streamPoint(model string, seq, batch int, phase string) string {
	return fmt.Sprintf("version: 1\nstudy: weight-streaming\naxes:\n  model: [%s]\n  hardware: [Cerebras_CS3]\n  seq_len: %d\n  batch_size: %d\n  phase: %s\n",
		model, seq, batch, phase)
}

// physics.md §13.4: Llama3_8B on CS-3, S 512, B 1, decode.
func TestWeightStreamingVector(t *testing.T) {
	row := evalOne(t, streamPoint("Llama3_8B", 512, 1, "decode"))
	checkGolden(t, row, []golden{
		{"kv_required_gb", 0.07382, 1e-3}, {"onchip_utilization", 0.0015625, 1e-9},
		{"layer_injection_ms", 0.418229, 1e-6}, {"layer_compute_ms", 0.0010080, 1e-4},
		{"tokens_per_s", 74.7198, 1e-6}, {"optimal_batch", 52083, 0},
		{"wall_6_streaming_slack", 1 - 0.0015625, 1e-9},
	})
	if row["bottleneck"] != "Interconnect-Bandwidth-Bound" || row["wall_6_streaming_pass"] != true {
		t.Errorf("bottleneck %v, wall 6 pass %v", row["bottleneck"], row["wall_6_streaming_pass"])
	}
	checkInfeasible(t, row, "", "6 Streaming")
}

// physics.md §13.2: S 8192 × B 512 does not fit on the wafer; throughput 0 and the
// utilisation is the plain ratio 1.1·KV/capacity (Profile C's unit fix).
func TestWeightStreamingInfeasible(t *testing.T) {
	row := evalOne(t, streamPoint("Llama3_8B", 8192, 512, "decode"))
	kv := 1.1 * 2 * 32 * 8 * 128 * 8192 * 2 * 512.0
	checkGolden(t, row, []golden{{"tokens_per_s", 0, 0}, {"onchip_utilization", kv / (44 << 30), 1e-12}, {"kv_required_gb", kv / 1e9, 1e-12}})
	checkInfeasible(t, row, "out_of_memory", "6 Streaming")
	// Prefill of 8 prompts of 8192 tokens is compute-bound: 2·(P/L)·S·B FLOPs per layer
	// (0.54 ms at 62.5 PFLOP/s) outlast streaming the layer in (0.418 ms).
	pre := evalOne(t, streamPoint("Llama3_8B", 8192, 8, "prefill"))
	if pre["bottleneck"] != "Compute-Bound" || pre["binding_wall"] != "1 Compute" {
		t.Errorf("prefill: bottleneck %v, binding %v", pre["bottleneck"], pre["binding_wall"])
	}
	checkRefused(t, "version: 1\nstudy: weight-streaming\naxes:\n  model: [ResNet50]\n  hardware: [Cerebras_CS3]\n",
		"weight streaming needs a transformer", "ResNet50")
}

func TestWeightStreamingGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: weight-streaming
axes:
  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]
  hardware: [Cerebras_CS3, H100]
  precision: [fp16, int8]
  seq_len: [512, 8192]
  batch_size: [1, 64, 512]
  phase: all
`, "out_of_memory")
}
