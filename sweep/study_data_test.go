package sweep

import (
	"fmt"
	"math"
	"testing"
)

func dataPoint(hw, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: data\naxes:\n  hardware: [%s]\n%s", hw, extra)
}

// physics.md §9.1 and §9.2 have no worked numbers; these are the kernel's cases
// (kernel/data_test.go) through the study: the H100 reads 7 GB/s from storage over
// a 64 GB/s host link; 256 samples of 150 kB at 1 GB/s take 38.4 ms.
func TestDataVectors(t *testing.T) {
	row := evalOne(t, dataPoint("H100", "  data_rate_gb_per_s: 5\n  cpu_throughput_gb_per_s: 10\n"))
	checkGolden(t, row, []golden{
		{"demand_gb_per_s", 5, 0}, {"supply_gb_per_s", 7, 0}, {"ingestion_utilization", 5.0 / 7, 1e-15},
		{"ingestion_margin_gb_per_s", 2, 1e-15}, {"wall_8_ingestion_slack", 2.0 / 7, 1e-15},
		{"transform_ms", 3.84, 1e-12}, {"step_ms", 20, 1e-15}, {"accelerator_utilization", 1, 0}, {"slowdown", 1, 0},
		{"wall_9_transformation_slack", 1 - 3.84/20, 1e-12},
	})
	if row["ingestion_path"] != "Storage" || row["stalled"] != false || row["preprocessing_bottleneck"] != false ||
		row["wall_8_ingestion_pass"] != true || row["wall_9_transformation_pass"] != true {
		t.Errorf("path %v, stalled %v, bottleneck %v, walls 8 %v, 9 %v", row["ingestion_path"], row["stalled"],
			row["preprocessing_bottleneck"], row["wall_8_ingestion_pass"], row["wall_9_transformation_pass"])
	}
	// Transformation takes 3.84 ms of 20: ingestion (5 of 7 GB/s) is the tighter wall.
	checkInfeasible(t, row, "", "8 Ingestion")

	// The default data rate is what the step consumes: 256 · 0.15 MB / 20 ms = 1.92 GB/s;
	// at the default 2 GB/s the CPUs take 19.2 ms of the 20, the tighter wall.
	def := evalOne(t, dataPoint("H100", ""))
	checkGolden(t, def, []golden{{"demand_gb_per_s", 1.92, 1e-12}, {"transform_ms", 19.2, 1e-12},
		{"wall_9_transformation_slack", 0.04, 1e-9}})
	checkInfeasible(t, def, "", "9 Transformation")
}

func TestDataInfeasible(t *testing.T) {
	// 10 GB/s from 7 GB/s of storage stalls.
	stall := evalOne(t, dataPoint("H100", "  data_rate_gb_per_s: 10\n"))
	checkGolden(t, stall, []golden{{"ingestion_utilization", 10.0 / 7, 1e-15}, {"ingestion_margin_gb_per_s", -3, 1e-15},
		{"wall_8_ingestion_slack", 1 - 10.0/7, 1e-15}})
	checkInfeasible(t, stall, "ingestion_stalled", "8 Ingestion")
	// §9.2: 256 · 150 kB at 1 GB/s = 38.4 ms > 20 ms: CPU-bound, accelerator busy 20/38.4.
	cpu := evalOne(t, dataPoint("H100", "  cpu_throughput_gb_per_s: 1\n"))
	checkGolden(t, cpu, []golden{{"transform_ms", 38.4, 1e-12}, {"step_ms", 38.4, 1e-12},
		{"accelerator_utilization", 20 / 38.4, 1e-12}, {"slowdown", 1.92, 1e-12}, {"wall_9_transformation_slack", -0.92, 1e-12}})
	checkInfeasible(t, cpu, "preprocessing_bottleneck", "9 Transformation")
	// The MI300X states no storage and no host link: nothing is supplied (§14: infinite
	// utilisation) unless storage_gb_per_s gives one; a slower storage tier than the H100's
	// 64 GB/s link sets the supply.
	none := evalOne(t, dataPoint("MI300X", ""))
	if none["ingestion_path"] != "Unknown" || !math.IsInf(none["ingestion_utilization"].(float64), 1) {
		t.Errorf("MI300X: path %v, utilization %v; want Unknown, +Inf", none["ingestion_path"], none["ingestion_utilization"])
	}
	checkInfeasible(t, none, "ingestion_stalled", "8 Ingestion")
	nvme := evalOne(t, dataPoint("MI300X", "  storage_gb_per_s: 25\n"))
	checkGolden(t, nvme, []golden{{"supply_gb_per_s", 25, 0}, {"wall_8_ingestion_slack", 1 - 1.92/25, 1e-12}})
	h100 := evalOne(t, dataPoint("H100", "  storage_gb_per_s: 100\n"))
	checkGolden(t, h100, []golden{{"supply_gb_per_s", 64, 0}})
	if h100["ingestion_path"] != "Interconnect" {
		t.Errorf("H100 with 100 GB/s storage: path %v, want Interconnect", h100["ingestion_path"])
	}
}

func TestDataGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: data
axes:
  hardware: [H100, A100, JetsonOrinNX, ESP32_S3]
  data_rate_gb_per_s: [0, 1, 10]
  storage_gb_per_s: [0, 25]
  batch_size: [32, 256]
  cpu_throughput_gb_per_s: [0.5, 4]
  accelerator_step_ms: [5, 50]
`, "ingestion_stalled", "preprocessing_bottleneck")
}
