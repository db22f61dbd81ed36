package sweep

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

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

// TestFleetCalibratedProfileC reproduces the seed's Profile C pins for the
// distributed step (physics.md §7.2 Profile C, test_solver_suite.py): Llama3_70B on
// Training_512_H100, batch 512, seq 4096, tp 8, pp 2, η 0.4 — the replica's compute
// time is exactly 3 · FLOP/token · S · lb / (F · η · tp · pp), TP counts one stage's
// ceil(80/2) layers, and the bubble is node · β/(1 − β).
func TestFleetCalibratedProfileC(t *testing.T) {
	st, _ := StudyByName("fleet")
	p, err := NewPlan(catalog.MustDefault(), st, []Axis{axis1("model", "Llama3_70B", "t"), axis1("cluster", "Training_512_H100", "t"),
		axis1("batch_size", "512", "t"), axis1("seq_len", "4096", "t"), axis1("tp", "8", "t"), axis1("pp", "2", "t"),
		axis1("efficiency", "0.4", "t")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetProfile("calibrated"); err != nil {
		t.Fatal(err)
	}
	row, err := EvalPoint(p)
	if err != nil {
		t.Fatal(err)
	}
	const lb = 512 / 32 // dp = 512 / (8·2)
	node := 3 * 1.412e11 * 4096 * lb / (989e12 * 0.4 * 8 * 2)
	tpComm := kernel.RingAllReduce(lb*4096*8192*2, 8, 450e9, kernel.NVLinkLatencyS) * 4 * 40
	beta := kernel.PipelineBubble(2, 1, 1)
	for _, c := range []struct {
		col  string
		want float64
	}{
		{"node_latency_ms", node * 1e3},
		{"tp_comm_ms", tpComm * 1e3},
		{"bubble_ms", node * beta / (1 - beta) * 1e3},
		{"dp", 32},
		{"local_batch", lb},
	} {
		got := row[c.col].(float64)
		if math.Abs(got-c.want) > 1e-9*math.Abs(c.want) {
			t.Errorf("%s = %.12g, want %.12g", c.col, got, c.want)
		}
	}
	step := row["step_latency_ms"].(float64)
	if want := 32 * lb / (step / 1e3); math.Abs(row["fleet_throughput_per_s"].(float64)-want) > 1e-9*want {
		t.Errorf("fleet throughput %v, want dp·lb/step = %v", row["fleet_throughput_per_s"], want)
	}
	if row["node_offload"] != false {
		t.Errorf("the calibrated replica step is never priced on the offload path")
	}
}
