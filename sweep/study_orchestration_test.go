package sweep

import (
	"fmt"
	"math"
	"testing"
)

func orchestrationPoint(cluster string, rate, days float64) string {
	return fmt.Sprintf("version: 1\nstudy: orchestration\naxes:\n  cluster: [%s]\n  arrival_rate_jobs_per_day: %g\n  avg_job_duration_days: %g\n",
		cluster, rate, days)
}

// physics.md §13.4: Orchestration(λ 0.3/day, 2 days) → ρ 0.6, wait 1.5 days, Lq 0.45;
// §13.2: λ 1/day, 2 days → unstable, infinite wait.
func TestOrchestrationVectors(t *testing.T) {
	row := evalOne(t, orchestrationPoint("Research_256", 0.3, 2))
	checkGolden(t, row, []golden{
		{"cluster_utilization", 0.6, 1e-15}, {"avg_wait_days", 1.5, 1e-14}, {"avg_queue_length", 0.45, 1e-14},
		{"wall_16_multi_tenant_slack", 0.4, 1e-14}, {"total_accelerators", 256, 0},
	})
	if row["stable"] != true || row["wall_16_multi_tenant_pass"] != true || row["hardware"] != "H100" {
		t.Errorf("stable %v, wall 16 %v, hardware %v", row["stable"], row["wall_16_multi_tenant_pass"], row["hardware"])
	}
	checkInfeasible(t, row, "", "16 Multi-tenant")

	bad := evalOne(t, orchestrationPoint("Research_256", 1, 2))
	checkGolden(t, bad, []golden{{"cluster_utilization", 2, 1e-15}, {"wall_16_multi_tenant_slack", -1, 1e-14}})
	if !math.IsInf(bad["avg_wait_days"].(float64), 1) || !math.IsInf(bad["avg_queue_length"].(float64), 1) || bad["stable"] != false {
		t.Errorf("unstable queue: wait %v, length %v, stable %v", bad["avg_wait_days"], bad["avg_queue_length"], bad["stable"])
	}
	checkInfeasible(t, bad, "queue_unstable", "16 Multi-tenant")
	checkRefused(t, "version: 1\nstudy: orchestration\naxes:\n  cluster: [Research_256]\n  avg_job_duration_days: 1\n", "needs arrival_rate_jobs_per_day")
}

func TestOrchestrationGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: orchestration
axes:
  cluster: [Research_256, Training_1K_A100]
  arrival_rate_jobs_per_day: [0, 0.3, 1, 5]
  avg_job_duration_days: [0.1, 0.5, 2]
`, "queue_unstable")
}
