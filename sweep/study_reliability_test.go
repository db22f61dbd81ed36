package sweep

import (
	"fmt"
	"testing"
)

func reliabilityPoint(model, cluster string, hours float64, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: reliability\naxes:\n  model: [%s]\n  cluster: [%s]\n  job_duration_hours: %g\n%s",
		model, cluster, hours, extra)
}

// physics.md §13.4: Reliability(Research_256, 336 h) — 32 DGX H100 nodes (8 GPUs, 8 NICs,
// 2 PSUs), δ 60 s, recovery 300 s — and Checkpoint(Llama3_8B, H100, adam, 4 h).
func TestReliabilityVectors(t *testing.T) {
	row := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, ""))
	checkGolden(t, row, []golden{
		{"node_mtbf_h", 4285.714, 1e-6}, {"fleet_mtbf_h", 133.929, 1e-5},
		{"failure_probability", 0.918634, 1e-6}, {"optimal_checkpoint_interval_s", 7606.39, 1e-6},
		{"goodput", 0.991490, 1e-6}, {"expected_failures", 2.5088, 1e-12},
		{"checkpoint_gb", 112.42, 1e-12}, {"checkpoint_write_s", 16.06, 1e-12},
		{"checkpoint_penalty", 0.0011153, 1e-4}, {"storage_gb_per_s", 7, 1e-12},
		{"total_accelerators", 256, 0}, {"checkpoint_interval_s", 4 * 3600, 0}, {"checkpoint_time_used_s", 60, 0},
		{"wall_15_fragility_slack", 0.991490, 1e-6}, {"wall_19_checkpoint_slack", 1 - 16.06/14400, 1e-12},
	})
	if row["hardware"] != "H100" || row["storage_bound"] != false || row["wall_15_fragility_pass"] != true || row["wall_19_checkpoint_pass"] != true {
		t.Errorf("hardware %v, storage bound %v, walls 15 %v, 19 %v", row["hardware"], row["storage_bound"],
			row["wall_15_fragility_pass"], row["wall_19_checkpoint_pass"])
	}
	checkInfeasible(t, row, "", "15 Fragility")
}

func TestReliabilityDerived(t *testing.T) {
	// physics.md §13.2: GPT-3's Adam checkpoint is 2.45 TB, 350 s at 7 GB/s: storage-bound.
	gpt3 := evalOne(t, reliabilityPoint("GPT3", "Research_256", 336, ""))
	checkGolden(t, gpt3, []golden{{"checkpoint_gb", 2450, 1e-12}, {"checkpoint_write_s", 350, 1e-12}})
	if gpt3["storage_bound"] != true {
		t.Errorf("GPT-3: storage_bound %v, want true", gpt3["storage_bound"])
	}
	// 0s defer to the other model: δ is the write time, the interval Young's τ = √(2·δ·MTBF).
	d := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, "  checkpoint_time_s: 0\n  checkpoint_interval_hours: 0\n"))
	tau := 3935.2799864086633 // √(2 · 16.06 s · 133.929 h · 3600)
	checkGolden(t, d, []golden{{"checkpoint_time_used_s", 16.06, 1e-12}, {"optimal_checkpoint_interval_s", tau, 1e-9},
		{"checkpoint_interval_s", tau, 1e-9}, {"checkpoint_penalty", 16.06 / tau, 1e-9}})
	// Twice the nodes halve the fleet MTBF; sgd checkpoints 4 bytes per parameter.
	big := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, "  nodes: 64\n  optimizer: sgd\n  writers: 4\n"))
	checkGolden(t, big, []golden{{"fleet_mtbf_h", 4285.714285714285 / 64, 1e-12}, {"total_accelerators", 512, 0},
		{"checkpoint_gb", 32.12, 1e-12}, {"checkpoint_write_s", 32.12 / 28, 1e-12}})
}

func TestReliabilityInfeasible(t *testing.T) {
	// A checkpoint every 3.6 s cannot be written in 16 s.
	checkInfeasible(t, evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, "  checkpoint_interval_hours: 0.001\n")),
		"checkpoint_exceeds_interval", "19 Checkpoint")
	// 1250 nodes fail every 3.4 h; an 8 h recovery leaves no useful time.
	row := evalOne(t, reliabilityPoint("Llama3_8B", "Training_10K", 336, "  recovery_time_s: 28800\n"))
	checkInfeasible(t, row, "no_goodput", "15 Fragility")
	checkGolden(t, row, []golden{{"goodput", 0, 0}})
	checkRefused(t, "version: 1\nstudy: reliability\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n", "needs job_duration_hours")
}

func TestReliabilityGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: reliability
axes:
  model: [Llama3_8B, Llama3_70B, GPT3]
  cluster: [Research_256, Frontier_8K, Training_1K_A100]
  job_duration_hours: [24, 336, 2160]
  checkpoint_time_s: [0, 60]
  recovery_time_s: [300, 28800]
  checkpoint_interval_hours: [0, 0.01, 4]
`, "no_goodput", "checkpoint_exceeds_interval")
}
