package main

// Cross-surface agreement for training (consistency_test.go holds inference and serving):
// eval --training's flags and the node study's row; a fleet plan and the fleet study's
// row; and optimize parallelism's answer on an MoE plan re-evaluated as a plan.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestEvalTrainingEverySurface: one training step on one accelerator through eval's flags
// and as a one-point node sweep (JSON lines), and one fleet through a plan (cluster,
// parallelism, ops with a rental price and a stated power) and as a one-point fleet sweep,
// give the same numbers bit for bit, under both profiles.
func TestEvalTrainingEverySurface(t *testing.T) {
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			ev := oneObject(t, mustRun(t, "--profile", profile, "eval", "Llama3_8B", "H100", "--training", "-b", "2", "-s", "2048", "-p", "bf16",
				"--zero-stage", "3", "--dp-size", "8", "--activation-recomputation", "-o", "json"))
			spec := writeSpec(t, "node.yaml", "version: 1\nstudy: node\nfixed:\n  hardware: H100\n  training: true\n  batch_size: 2\n  seq_len: 2048\n  precision: bf16\n  zero_stage: 3\n  dp_size: 8\n  activation_recomputation: true\naxes:\n  model: [Llama3_8B]\n")
			row := jsonLines(t, mustRun(t, "--profile", profile, "sweep", spec, "--out", "-", "--format", "jsonl", "-q"))[0]
			if ev["f_status"] != "PASS" || row["feasible"] != true {
				t.Fatalf("want a feasible point: eval %v, sweep %v (%v)", ev["f_status"], row["feasible"], row["infeasible_reason"])
			}
			for _, c := range [][2]string{{"p_latency", "latency_ms"}, {"p_tokens_per_step", "tokens_per_step"}, {"p_tokens_per_s", "tokens_per_s"},
				{"p_mfu", "mfu"}, {"p_hfu", "hfu"}, {"p_energy_j", "energy_j"}, {"f_memory_used_gb", "memory_footprint_gb"},
				{"f_activation_memory_gb", "activation_memory_gb"}} {
				sameNumber(t, "eval --training "+c[0], ev[c[0]], row[c[1]].(float64))
			}

			const ops = "ops: {region: Quebec, duration_days: 10, rental_usd_per_accelerator_hour: 2.5, power_per_accelerator_w: 550}\n"
			plan := writeSpec(t, "plan.yaml", "version: \"1.0\"\nname: fleet surfaces\nworkload: {name: Llama3_8B, batch_size: 256, seq_len: 2048}\n"+
				"hardware: {cluster: Research_256, precision: bf16}\nparallelism: {tp: 8, pp: 2, dp: auto, microbatches: 8, zero_stage: 1}\n"+ops)
			pl := oneObject(t, mustRun(t, "--profile", profile, "eval", plan, "-o", "json"))
			fspec := writeSpec(t, "fleet.yaml", "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 256\n  seq_len: 2048\n  precision: bf16\n  tp: 8\n  pp: 2\n  microbatches: 8\n  zero_stage: 1\n"+
				"  region: Quebec\n  duration_days: 10\n  rental_usd_per_accelerator_hour: 2.5\n  power_per_accelerator_w: 550\naxes:\n  model: [Llama3_8B]\n")
			fr := jsonLines(t, mustRun(t, "--profile", profile, "sweep", fspec, "--out", "-", "--format", "jsonl", "-q"))[0]
			if pl["f_status"] != "PASS" || fr["feasible"] != true {
				t.Fatalf("want a feasible fleet: plan %v, sweep %v (%v)", pl["f_status"], fr["feasible"], fr["infeasible_reason"])
			}
			for _, c := range [][2]string{{"p_step_latency", "step_latency_ms"}, {"p_tokens_per_s", "tokens_per_s"}, {"p_tokens_per_step", "tokens_per_step"},
				{"p_mfu", "mfu"}, {"p_hfu", "hfu"}, {"p_fleet_throughput", "fleet_throughput_per_s"}, {"p_bubble", "bubble_ms"},
				{"f_memory_used_gb", "memory_per_accelerator_gb"}, {"f_activations_gb", "activations_gb"},
				{"m_tco_usd", "tco_usd"}, {"m_energy_kwh", "energy_kwh"}, {"m_water_l", "water_l"}, {"m_pue", "pue"}} {
				sameNumber(t, "plan "+c[0], pl[c[0]], fr[c[1]].(float64))
			}
			sameNumber(t, "plan m_carbon_footprint (t)", pl["m_carbon_footprint"], fr["carbon_kg"].(float64)/1000)
			// The rental and the stated power, by hand: 2.5 USD × 256 × 24 h × 10 d; 550 W × 256 × 240 h.
			sameNumber(t, "rented TCO", pl["m_tco_usd"], 2.5*256*24*10)
			sameNumber(t, "IT energy × PUE", pl["m_energy_kwh"], 550*256*240/1000*fr["pue"].(float64))
		})
	}
}

// TestPlanNoGoodput: a plan whose fleet fails faster than it can train (131,072 DGX H100
// nodes: 852 failures a day) is not feasible, and the scorecard says why, not only the
// memory that fits (it printed Feasibility FAIL beside "10.2 GB / 85.9 GB per accelerator").
func TestPlanNoGoodput(t *testing.T) {
	plan := writeSpec(t, "big.yaml", "version: \"1.0\"\nname: a million H100s\nworkload: {name: Llama3_8B, batch_size: 1048576, seq_len: 2048}\n"+
		"hardware: {name: H100, node_count: 131072, accelerators_per_node: 8, precision: bf16}\nparallelism: {tp: 1, pp: 1, dp: auto, zero_stage: 3}\n")
	out := mustRun(t, "eval", plan)
	if _, ok := containsAll(out, "binding wall: 15 Fragility", "Feasibility  [FAIL]  no goodput: 852 node failures a day"); !ok {
		t.Errorf("the scorecard does not say why:\n%s", out)
	}
	js := oneObject(t, mustRun(t, "eval", plan, "-o", "json"))
	if js["f_status"] != "FAIL" || js["binding_wall"] != "15 Fragility" {
		t.Errorf("f_status %v, binding_wall %v; want FAIL, 15 Fragility", js["f_status"], js["binding_wall"])
	}
}

// TestOptimizeParallelismReevaluatesMoE: optimize parallelism on Mixtral 8x7B (expert
// parallelism within data parallelism, calibrated) — each of its three best layouts,
// written back into the plan, has the step time, MFU and memory per accelerator the
// optimizer reported (TestOptimizeParallelismReevaluates does the dense Llama-3 8B).
func TestOptimizeParallelismReevaluatesMoE(t *testing.T) {
	const base = "version: \"1.0\"\nname: Mixtral on Research_256\nworkload: {name: Mixtral_8x7B, batch_size: 512, seq_len: 4096}\nhardware: {cluster: Research_256, precision: bf16}\n"
	plan := writeSpec(t, "plan.yaml", base+"parallelism: {tp: 2, pp: 4, ep: 8, dp: auto, microbatches: 16, zero_stage: 1}\n")
	var opt struct {
		Top []struct {
			Config map[string]any `json:"config"`
			Step   float64        `json:"step_time"`
			MFU    float64        `json:"mfu"`
			Mem    float64        `json:"memory_per_accelerator_gb"`
		} `json:"top_candidates"`
	}
	out := mustRun(t, "optimize", "parallelism", plan, "-o", "json")
	if err := json.Unmarshal([]byte(out), &opt); err != nil || len(opt.Top) < 3 {
		t.Fatalf("want ≥ 3 candidates (%v):\n%s", err, out)
	}
	for i, c := range opt.Top[:3] {
		par := fmt.Sprintf("parallelism: {tp: %v, pp: %v, ep: 8, dp: auto, microbatches: %v, zero_stage: %v, virtual_stages: %v, activation_checkpointing: %v",
			c.Config["tp"], c.Config["pp"], c.Config["microbatches"], c.Config["zero_stage"], c.Config["virtual_stages"], c.Config["activation_checkpointing"])
		if s := fmt.Sprint(c.Config["schedule"]); s != "none" {
			par += ", pipeline_schedule: " + strings.TrimPrefix(s, "interleaved_")
		}
		p := writeSpec(t, fmt.Sprintf("cand%d.yaml", i), base+par+"}\n")
		r := mlsysim(t, "eval", p, "-o", "json")
		if r.code != 0 {
			t.Errorf("candidate %d (%v) re-evaluated: %v", i, c.Config, r)
			continue
		}
		ev := oneObject(t, r.stdout)
		sameNumber(t, fmt.Sprintf("candidate %d step", i), ev["p_step_latency"], c.Step)
		sameNumber(t, fmt.Sprintf("candidate %d mfu", i), ev["p_mfu"], c.MFU)
		sameNumber(t, fmt.Sprintf("candidate %d memory", i), ev["f_memory_used_gb"], c.Mem)
	}
}
