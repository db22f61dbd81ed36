package sweep

import "testing"

// G6a/G6b (physics.md §13.1) on the fleet study: Research_256 for 1 day at utilisation
// 0.45 and 25 000 USD per H100 → TCO 7076.948112014612 USD, carbon 1270.86575616 kg.
// ZeRO-3 over 256 ranks keeps Llama-3 8B's training state within memory.
func fleetBudgetPoint(extra string) string {
	return `version: 1
study: fleet
axes:
  model: [Llama3_8B]
  cluster: [Research_256]
  zero_stage: 3
  energy_utilization: 0.45
  unit_cost_usd: 25000
` + extra
}

func TestFleetBudgetWalls(t *testing.T) {
	const tco, carbon = 7076.948112014612, 1270.86575616
	none := evalOne(t, fleetBudgetPoint(""))
	checkGolden(t, none, []golden{{"tco_usd", tco, 1e-12}, {"carbon_kg", carbon, 1e-12},
		{"wall_17_capital_slack", 1, 0}, {"wall_18_sustainability_slack", 1, 0}})
	if none["wall_17_capital_pass"] != true || none["wall_18_sustainability_pass"] != true || none["feasible"] != true {
		t.Fatalf("no budget: walls 17 %v, 18 %v, feasible %v (reason %v)", none["wall_17_capital_pass"],
			none["wall_18_sustainability_pass"], none["feasible"], none["infeasible_reason"])
	}
	wall := none["binding_wall"]

	met := evalOne(t, fleetBudgetPoint("  budget_usd: 8000\n  carbon_budget_kg: 1500\n"))
	checkGolden(t, met, []golden{{"wall_17_capital_slack", 1 - tco/8000, 1e-12}, {"wall_18_sustainability_slack", 1 - carbon/1500, 1e-12}})
	if met["wall_17_capital_pass"] != true || met["wall_18_sustainability_pass"] != true {
		t.Errorf("budgets met: walls 17 %v, 18 %v", met["wall_17_capital_pass"], met["wall_18_sustainability_pass"])
	}
	checkInfeasible(t, met, "", wall.(string)) // a met budget leaves the step's binding wall

	money := evalOne(t, fleetBudgetPoint("  budget_usd: 7000\n"))
	checkGolden(t, money, []golden{{"wall_17_capital_slack", 1 - tco/7000, 1e-12}})
	if money["wall_17_capital_pass"] != false {
		t.Errorf("over budget: wall 17 pass %v", money["wall_17_capital_pass"])
	}
	checkInfeasible(t, money, "over_budget", "17 Capital")

	co2 := evalOne(t, fleetBudgetPoint("  carbon_budget_kg: 1000\n"))
	checkGolden(t, co2, []golden{{"wall_18_sustainability_slack", 1 - carbon/1000, 1e-12}})
	checkInfeasible(t, co2, "over_carbon_budget", "18 Sustainability")
	// Both missed: capital is checked first.
	checkInfeasible(t, evalOne(t, fleetBudgetPoint("  budget_usd: 7000\n  carbon_budget_kg: 1000\n")), "over_budget", "17 Capital")
	// An invalid split still binds before a budget.
	checkInfeasible(t, evalOne(t, fleetBudgetPoint("  budget_usd: 7000\n  tp: 3\n")), "parallelism_does_not_divide", "14 Communication")
}

func TestFleetBudgetGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: fleet
axes:
  model: [Llama3_8B]
  cluster: [Research_256, Lab_64_H100]
  zero_stage: [0, 3]
  tp: [1, 3, 8]
  duration_days: [1, 30]
  budget_usd: [0, 5000, 1e6]
  carbon_budget_kg: [0, 1000, 1e6]
`, "over_budget", "over_carbon_budget", "out_of_memory", "parallelism_does_not_divide")
}
