package sweep

import (
	"fmt"
	"math"
	"testing"
)

// G6a/G6b (physics.md §13.1) on the fleet study: Research_256 for 1 day at utilisation
// 0.45 and 25 000 USD per H100 → TCO 7076.948112014612 USD, carbon 1270.86575616 kg.
// ZeRO-3 over 256 ranks keeps Llama-3 8B's training state within memory; a batch of
// 256 sequences divides over the 256 data-parallel ranks.
func fleetBudgetPoint(extra string) string {
	return `version: 1
study: fleet
axes:
  model: [Llama3_8B]
  cluster: [Research_256]
  batch_size: 256
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
  batch_size: 256
  zero_stage: [0, 3]
  tp: [1, 3, 8]
  duration_days: [1, 30]
  budget_usd: [0, 5000, 1e6]
  carbon_budget_kg: [0, 1000, 1e6]
`, "over_budget", "over_carbon_budget", "out_of_memory", "parallelism_does_not_divide")
}

// TestFleetCalibratedSplits: a split that does not divide is infeasible with the
// rule it breaks (issue #15), never priced.
func TestFleetCalibratedSplits(t *testing.T) {
	checkStudyGrid(t, `version: 1
study: fleet
axes:
  model: [Llama3_8B, Mixtral_8x7B]
  cluster: [Lab_64_H100]
  batch_size: [64, 60]
  seq_len: [4096, 4097]
  tp: [1, 3, 8, 64]
  cp: [1, 2]
  ep: [1, 3]
  zero_stage: 3
`, "", "parallelism_does_not_divide", "tp_does_not_divide_heads", "ep_does_not_divide_dp_or_experts",
		"batch_does_not_divide_into_microbatches", "seq_len_does_not_divide_by_cp")
	row := evalOne(t, "version: 1\nstudy: fleet\naxes:\n  model: [Llama3_8B]\n  cluster: [Lab_64_H100]\n  pp: 8\n  virtual_stages: 3\n  batch_size: 64\n")
	checkInfeasible(t, row, "layers_do_not_fill_the_stages", "14 Communication")
}

// TestFleetTokensAndFLOPs: a step is batch × seq_len tokens; FLOPs by the stated
// conventions (Korthikanti et al. 2022 Eq. 7; 6·P·tokens) under both profiles.
func TestFleetTokensAndFLOPs(t *testing.T) {
	for _, profile := range Profiles {
		row := evalOne(t, "version: 1\nstudy: fleet\nprofile: "+profile+`
axes:
  model: [Llama3_8B]
  cluster: [Lab_64_H100]
  batch_size: 64
  seq_len: 4096
  zero_stage: 1
`)
		tokens := 64 * 4096.0
		// Llama-3.1-8B: h 4096, 32 heads, 8 KV heads, SwiGLU 14336, vocabulary 128256 (catalog).
		h, d := 4096.0, 128.0
		layer := 2*(h*(h+2*8*d)+h*h) + 2*3*14336*h + 4*4096*h
		checkGolden(t, row, []golden{
			{"tokens_per_step", tokens, 0},
			{"tokens_per_s", tokens / (row["step_latency_ms"].(float64) / 1e3), 1e-12},
			{"model_flops_per_step", 3 * tokens * (32*layer + 2*h*128256), 1e-12},
			{"model_flops_6p_per_step", 6 * 8.03e9 * tokens, 1e-12},
		})
	}
}

// TestFleetOperationsInputs: a plan or grid may set the grid's carbon intensity,
// PUE and WUE, the power per accelerator and a rental price (issue #15).
func TestFleetOperationsInputs(t *testing.T) {
	src := func(extra string) string {
		return "version: 1\nstudy: fleet\naxes:\n  model: [Llama3_8B]\n  cluster: [Lab_64_H100]\n  batch_size: 64\n  zero_stage: 1\n  duration_days: 10\n" + extra
	}
	row := evalOne(t, src("  power_per_accelerator_w: 500\n  pue_override: 1.2\n  carbon_intensity_g_per_kwh: 100\n  wue_l_per_kwh: 0.5\n  rental_usd_per_accelerator_hour: 2.5\n"))
	it := 500 * 64 * 24 * 10 / 1000.0 // kWh
	checkGolden(t, row, []golden{
		{"it_energy_kwh", it, 1e-12},
		{"energy_kwh", it * 1.2, 1e-12},
		{"carbon_kg", it * 1.2 * 100 / 1000, 1e-12},
		{"water_l", it * 1.2 * 0.5, 1e-12},
		{"grid_carbon_g_per_kwh", 100, 0},
		{"tco_usd", 2.5 * 64 * 24 * 10, 1e-12},
		{"capex_usd", 0, 0},
		{"energy_cost_usd", 0, 0},
	})
	// Unset, the region's figures and capex + opex hold.
	def := evalOne(t, src(""))
	if def["grid_carbon_g_per_kwh"].(float64) <= 0 || def["capex_usd"].(float64) <= 0 {
		t.Errorf("defaults: grid carbon %v, capex %v; want the region's and the catalog's", def["grid_carbon_g_per_kwh"], def["capex_usd"])
	}
}

// TestFleetHybridSharding: hybrid sharding (dp_shard) in the fleet study. Llama 2 7B at
// ZeRO-3 on the 16 nodes of eight A100 at 400 Gb/s each (Vela_A100_128), sharded within
// a node, keeps 1/8 of the state per GPU where ZeRO-3 over all 128 ranks keeps 1/128,
// and gathers on NVLink instead of the network, so its exposed data-parallel time is
// shorter; dp_shard 128 is ZeRO-3 over every rank, bit for bit; a group that does not
// divide dp is infeasible with its reason.
func TestFleetHybridSharding(t *testing.T) {
	point := func(shard int) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nstudy: fleet\naxes:\n  model: [Llama2_7B]\n  cluster: [Vela_A100_128]\n  precision: [bf16]\n  seq_len: [4096]\n  batch_size: [256]\n  zero_stage: [3]\n  overlap: [true]\n  activation_checkpointing: [none]\n  fp32_gradients: [false]\n  dp_shard: [%d]\n", shard))
	}
	full, hsdp, same, odd := point(0), point(8), point(128), point(3)
	if full["feasible"] != true || hsdp["feasible"] != true {
		t.Fatalf("feasible: ZeRO-3 %v (%v), HSDP %v (%v)", full["feasible"], full["infeasible_reason"], hsdp["feasible"], hsdp["infeasible_reason"])
	}
	f := func(r map[string]any, k string) float64 { return r[k].(float64) }
	if r := f(hsdp, "weights_gb") / f(full, "weights_gb"); math.Abs(r-16) > 1e-9 {
		t.Errorf("weights per GPU: HSDP over 8 / ZeRO-3 over 128 = %g, want 16", r)
	}
	if !(f(hsdp, "dp_comm_ms") < f(full, "dp_comm_ms")) {
		t.Errorf("HSDP's exposed DP time %g ms is not below ZeRO-3's %g ms over the 50 GB/s network", f(hsdp, "dp_comm_ms"), f(full, "dp_comm_ms"))
	}
	for _, k := range []string{"step_latency_ms", "weights_gb", "memory_per_accelerator_gb", "dp_comm_ms"} {
		if _, ok := full[k].(float64); !ok || same[k] != full[k] {
			t.Errorf("%s: dp_shard = dp gives %v, ZeRO-3 over every rank %v", k, same[k], full[k])
		}
	}
	if odd["feasible"] != false || odd["infeasible_reason"] != "dp_shard_does_not_divide_dp" {
		t.Errorf("dp_shard 3 of dp 128: feasible %v, reason %v", odd["feasible"], odd["infeasible_reason"])
	}
}

// TestFleetGoodput: the calibrated whole-run goodput of a fleet point (docs/PHYSICS.md
// §18.1), by hand for Llama-3 8B (8.03e9 parameters) on Research_256's 32 nodes:
//
//	failures a day = 32 · 6.5/1000 = 0.208;  M = 86400/0.208 = 415,384.6 s
//	checkpoint = 8.03e9 · 14 = 112.42 GB;  δ = 112.42e9 / (32 · 30e9/128) = 14.9893 s
//	τ = √(2 · 14.9893 · 415,384.6) = 3,528.84 s = 58.814 min
//	goodput = 1 − 14.9893/3,528.84 − (1,764.42 + 300)/415,384.6 = 0.990782
//
// with BF16 moments 10 bytes a parameter (δ = 10.7067 s): 0.992098; at a given 60-min
// interval and a 30-min restart: 1 − 14.9893/3600 − (1800 + 1800)/415,384.6 = 0.987170.
// The seed's fleet study has no reliability term: goodput 1.
func TestFleetGoodput(t *testing.T) {
	cal := evalOne(t, fleetBudgetPoint(""))
	checkGolden(t, cal, []golden{{"job_failures_per_day", 0.208, 1e-12}, {"checkpoint_gb", 112.42, 1e-12},
		{"checkpoint_write_s", 14.989333333333333, 1e-12}, {"checkpoint_interval_used_min", 58.81391776677458, 1e-9},
		{"goodput", 0.9907824341003548, 1e-12}})
	bf16 := evalOne(t, fleetBudgetPoint("  optimizer_state_precision: bf16\n"))
	checkGolden(t, bf16, []golden{{"checkpoint_gb", 80.3, 1e-12}, {"goodput", 0.9920979019234227, 1e-12}})
	given := evalOne(t, fleetBudgetPoint("  checkpoint_interval_min: 60\n  restart_min: 30\n"))
	checkGolden(t, given, []golden{{"checkpoint_interval_used_min", 60, 0}, {"goodput", 0.9871696296296296, 1e-12}})
	never := evalOne(t, fleetBudgetPoint("  node_failures_per_1000_node_days: 0\n"))
	checkGolden(t, never, []golden{{"job_failures_per_day", 0, 0}, {"checkpoint_interval_used_min", 0, 0}, {"goodput", 1, 0}})
	// The step does not see the reliability inputs.
	if cal["step_latency_ms"] != given["step_latency_ms"] {
		t.Errorf("step %v with the default reliability inputs, %v with others", cal["step_latency_ms"], given["step_latency_ms"])
	}
	seed := evalOne(t, "profile: seed\n"+fleetBudgetPoint(""))
	checkGolden(t, seed, []golden{{"goodput", 1, 0}, {"job_failures_per_day", 0, 0}, {"checkpoint_gb", 0, 0}})
}
