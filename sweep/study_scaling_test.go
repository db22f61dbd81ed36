package sweep

import (
	"math"
	"testing"
)

func scalingPoint(extra string) string {
	return "version: 1\nstudy: scaling\naxes:\n" + extra
}

// physics.md §13.2 (test_solver_suite, Scaling): C = 1.2e20 FLOP → 1e9 parameters,
// 2e10 tokens, 20 per parameter; a 1e9-parameter target → 2e10 tokens. §13.4: one
// GPU-day is 86 400 · 989e12 · 0.4 = 3.417984e19 FLOP.
func TestScalingVectors(t *testing.T) {
	opt := evalOne(t, scalingPoint("  compute_budget_flop: 1.2e20\n"))
	checkGolden(t, opt, []golden{{"compute_flop", 1.2e20, 0}, {"params", 1e9, 1e-15}, {"tokens", 2e10, 1e-15},
		{"tokens_per_param", 20, 1e-15}, {"wall_11_complexity_slack", 1, 1e-15}})
	checkInfeasible(t, opt, "", "11 Complexity")
	if c := 6 * opt["params"].(float64) * opt["tokens"].(float64); math.Abs(c-1.2e20) > 1e-12*1.2e20 {
		t.Errorf("6PD = %g, want the budget 1.2e20", c)
	}

	target := evalOne(t, scalingPoint("  compute_budget_flop: 1.2e20\n  target_params: 1e9\n"))
	checkGolden(t, target, []golden{{"params", 1e9, 0}, {"tokens", 2e10, 1e-15}, {"wall_11_complexity_slack", 1, 1e-15}})

	day := evalOne(t, scalingPoint("  compute_budget_gpu_days: 1\n"))
	checkGolden(t, day, []golden{{"compute_flop", 3.417984e19, 1e-15}, {"params", math.Sqrt(3.417984e19 / 120), 1e-15}})

	// A 2e9-parameter model on 1.2e20 FLOP sees 5 tokens per parameter: a factor 4 under.
	under := evalOne(t, scalingPoint("  compute_budget_flop: 1.2e20\n  target_params: 2e9\n"))
	checkGolden(t, under, []golden{{"tokens", 1e10, 1e-15}, {"tokens_per_param", 5, 1e-15}, {"wall_11_complexity_slack", 0.25, 1e-15}})
	// A 5e8-parameter model sees 80: a factor 4 over.
	over := evalOne(t, scalingPoint("  compute_budget_flop: 1.2e20\n  target_params: 5e8\n"))
	checkGolden(t, over, []golden{{"tokens_per_param", 80, 1e-15}, {"wall_11_complexity_slack", 0.25, 1e-15}})
	// Budgets in both units add up.
	both := evalOne(t, scalingPoint("  compute_budget_flop: 1e19\n  compute_budget_gpu_days: 1\n"))
	checkGolden(t, both, []golden{{"compute_flop", 4.417984e19, 1e-15}})
}

func TestScalingGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: scaling
axes:
  compute_budget_flop: [0, 1e21, 3.15e23]
  compute_budget_gpu_days: [0, 1, 1000]
  target_params: [0, 7e9, 175e9]
`, "no_compute_budget")
}
