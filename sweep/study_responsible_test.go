package sweep

import "testing"

func responsiblePoint(extra string) string {
	return "version: 1\nstudy: responsible\naxes:\n" + extra
}

// physics.md §8.3 (no §13 vectors): DP-SGD slowdown 1 + 2/ε, 3× at ε = 1 and 1.2× at
// ε = 10; data factor 1/prevalence, 100 at the default 0.01.
func TestResponsibleVectors(t *testing.T) {
	cases := []struct {
		extra string
		want  []golden
	}{
		{"  base_training_days: 10\n", []golden{{"dp_slowdown", 3, 0}, {"effective_training_days", 30, 1e-15},
			{"privacy_overhead_days", 20, 1e-15}, {"data_factor", 100, 1e-15}, {"wall_20_safety_slack", 1.0 / 3, 1e-15}}},
		{"  base_training_days: 10\n  epsilon: 10\n  min_subgroup_prevalence: 0.2\n", []golden{{"dp_slowdown", 1.2, 1e-15},
			{"effective_training_days", 12, 1e-15}, {"data_factor", 5, 1e-15}, {"wall_20_safety_slack", 1 / 1.2, 1e-15}}},
		// ε is floored at 0.01 and the prevalence at 1e-6.
		{"  epsilon: 0.001\n  min_subgroup_prevalence: 1e-9\n", []golden{{"dp_slowdown", 201, 1e-15}, {"data_factor", 1e6, 1e-15}}},
		// δ enters no equation.
		{"  delta: 0.1\n", []golden{{"dp_slowdown", 3, 0}}},
	}
	for _, c := range cases {
		row := evalOne(t, responsiblePoint(c.extra))
		checkGolden(t, row, c.want)
		checkInfeasible(t, row, "", "20 Safety")
	}
}

func TestResponsibleGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: responsible
axes:
  base_training_days: [0, 1, 90]
  epsilon: [0.001, 1, 8, 100]
  delta: [0, 1e-5]
  min_subgroup_prevalence: [1e-9, 0.01, 1]
`)
}
