package sweep

import (
	"fmt"
	"testing"
)

func efficiencyPoint(kind string, flash bool, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: efficiency\naxes:\n  hardware: [H100]\n  workload_type: [%s]\n  flash_attention: %v\n%s", kind, flash, extra)
}

// physics.md §13.4: Efficiency(η 0.5) → MFU attention 0.30 (flash 0.75), ffn 0.50, conv
// 0.40; occupancy loss 0.45; memory stall 0.25 / 0 / 0.05 / 0.15. The H100's fp16 peak
// is 989 TFLOP/s.
func TestEfficiencyVectors(t *testing.T) {
	cases := []struct {
		kind       string
		flash      bool
		mfu, stall float64
	}{
		{"attention", false, 0.30, 0.25},
		{"attention", true, 0.75, 0},
		{"ffn", false, 0.50, 0.05},
		{"conv", false, 0.40, 0.15},
		{"other", false, 0.30, 0.25},
		{"ffn", true, 0.50, 0.05}, // flash only matters for attention
	}
	for _, c := range cases {
		row := evalOne(t, efficiencyPoint(c.kind, c.flash, ""))
		checkGolden(t, row, []golden{
			{"mfu", c.mfu, 1e-15}, {"occupancy_loss", 0.45, 1e-15}, {"memory_stall", c.stall, 1e-14},
			{"peak_tflops", 989, 1e-15}, {"achievable_tflops", 989 * c.mfu, 1e-15}, {"wall_3_software_slack", c.mfu, 1e-15},
		})
		checkInfeasible(t, row, "", "3 Software")
	}
	// The caps: ffn 0.60 at η = 1, flash attention 0.85; fp8 uses the 1979 TFLOP/s rate.
	full := evalOne(t, efficiencyPoint("ffn", false, "  efficiency: 1\n  precision: fp8\n"))
	checkGolden(t, full, []golden{{"mfu", 0.6, 0}, {"occupancy_loss", 0, 0}, {"achievable_tflops", 1979 * 0.6, 1e-15}})
	checkGolden(t, evalOne(t, efficiencyPoint("attention", true, "  efficiency: 1\n")), []golden{{"mfu", 0.85, 0}})
}

func TestEfficiencyGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: efficiency
axes:
  hardware: [H100, A100, TPUv5p, JetsonOrinNX]
  precision: [fp16, fp8, int8]
  workload_type: all
  flash_attention: all
  efficiency: [0.1, 0.5, 1]
`)
}
