package sweep

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
)

// wallReasons: the infeasible_reason each wall's pass column decides, where a study
// writes that column. A row refused for one of them fails that wall.
var wallReasons = map[string]int{
	"out_of_memory":      2,
	"over_budget":        17,
	"over_carbon_budget": 18,
}

// splitReasons are the fleet's refusals of a layout, decided by wall_14_communication_pass.
var splitReasons = []string{"parallelism_does_not_divide", "tp_does_not_divide_heads", "layers_do_not_fill_the_stages",
	"ep_does_not_divide_dp_or_experts", "batch_does_not_divide_into_microbatches", "seq_len_does_not_divide_by_cp",
	"virtual_stages_without_pipeline"}

// TestWallColumnsAgree: the wall columns of one row never contradict each other nor the
// row's verdict, over grids that reach every kind of refusal (invalid splits, formats the
// accelerator has no rate for, integer training, out of memory, budgets), in the studies
// that write a memory wall (node, train-memory, fleet; serve and reasoning, wall 4;
// batching, wall 5), under
// both profiles:
//
//	feasible ⇔ infeasible_reason is NULL
//	wall_n_pass ⇔ wall_n_slack ≥ 0, for the walls whose slack is the share left below a limit
//	  (2, 4, 5, 17, 18)
//	a failing wall_n_pass ⇒ the row is infeasible
//	a reason a wall decides (out_of_memory, over budget, a split) ⇒ binding_wall names that
//	  wall, and its pass column, where the study has one, fails
//
// wall_2_memory_pass is the memory verdict alone: a train-memory row whose split is
// refused but whose state fits (Llama 3 8B at tp 6 splits its 32 heads: 53.8 GB of an H100's
// 85.9) used to say false beside a slack of +0.37; a row infeasible for a reason no wall
// column decides (unsupported_by_hardware, not_a_training_format, a split in
// train-memory, which has no wall 14 column) may pass every wall it has, and says why in
// infeasible_reason (binding_wall 14 Communication for a train-memory split).
func TestWallColumnsAgree(t *testing.T) {
	grids := []struct{ name, src string }{
		{"train-memory", "study: train-memory\nfixed:\n  batch_size: 8\n  seq_len: 2048\naxes:\n  model: [Llama3_8B, Mixtral_8x7B, GPT2]\n  hardware: [H100, V100]\n  precision: [bf16, fp16, int8]\n  tp: [1, 3, 6, 8]\n  pp: [1, 3]\n  dp: [1, 2]\n  ep: [1, 2]\n  zero_stage: [0, 3]\n"},
		{"fleet", "study: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 64\n  seq_len: 2048\n  microbatches: 2\naxes:\n  model: [Llama3_8B, Mixtral_8x7B]\n  nodes: [1, 4]\n  tp: [1, 3, 8]\n  pp: [1, 3]\n  precision: [bf16, int8]\n  budget_usd: [0, 1000]\n  carbon_budget_kg: [0, 1]\n"},
		{"node", "study: node\nfixed:\n  batch_size: 8\naxes:\n  model: [Llama3_8B, Llama3_70B, ResNet50]\n  hardware: [H100, V100, A100]\n  precision: [fp16, bf16, int8, fp4]\n  training: [true, false]\n  seq_len: [2048, 1048576]\n"},
		// T4 (16 GiB) at batch 1 holds Llama 3 8B's 16.06 GB of fp16 weights in 95 % of its
		// memory: within the whole memory, beyond an engine's 0.9 of it.
		{"serve", "study: serve\nfixed:\n  seq_len: 2048\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  hardware: [H100, T4]\n  precision: [fp16, fp8]\n  batch_size: [1, 64, 1024]\n  qps: [0, 2]\n"},
		{"batching", "study: batching\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  hardware: [H100, T4]\n  precision: [fp16, fp8]\n  max_batch_size: [1, 256]\n  seq_len: [512, 32768]\n  mean_request_tokens: [0, 256]\n"},
		{"reasoning", "study: reasoning\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  hardware: [H100, T4]\n  precision: [fp16, fp8]\n  seq_len: [2048, 131072]\n  latency_budget_ms: [0, 1000]\n"},
	}
	for _, g := range grids {
		for _, profile := range []string{"calibrated", "seed"} {
			t.Run(g.name+"/"+profile, func(t *testing.T) {
				rows := propRows(t, testCatalog(), fmt.Sprintf("version: 1\nprofile: %s\n%s", profile, g.src))
				st := studies[g.name]
				var passCols []int
				slack := map[int]bool{}
				for _, c := range st.Columns {
					if m := wallColumn.FindStringSubmatch(c.Name); m != nil {
						var n int
						fmt.Sscan(m[1], &n)
						if m[3] == "pass" {
							passCols = append(passCols, n)
						} else {
							slack[n] = true
						}
					}
				}
				sort.Ints(passCols)
				col := func(n int, kind string) string {
					return fmt.Sprintf("wall_%d_%s_%s", n, wallSlug(testCatalog().Walls[n-1].Name), kind)
				}
				var bad []string
				reasons := map[string]int{}
				for _, r := range rows {
					key := fmt.Sprint(r["point_id"])
					reason, _ := r["infeasible_reason"].(string)
					reasons[reason]++
					if feasible(r) != (r["infeasible_reason"] == nil) {
						bad = append(bad, fmt.Sprintf("point %s: feasible %v, infeasible_reason %v", key, r["feasible"], r["infeasible_reason"]))
					}
					var failing []string
					for _, n := range passCols {
						pass := r[col(n, "pass")] == true
						if slices.Contains([]int{2, 4, 5, 17, 18}, n) && slack[n] {
							if s := num(r, col(n, "slack")); pass != (s >= 0) {
								bad = append(bad, fmt.Sprintf("point %s (%s): %s %v beside %s %.6g", key, reason, col(n, "pass"), pass, col(n, "slack"), s))
							}
						}
						if !pass {
							failing = append(failing, fmt.Sprintf("%d %s", n, testCatalog().Walls[n-1].Name))
						}
					}
					if len(failing) > 0 && feasible(r) {
						bad = append(bad, fmt.Sprintf("point %s: feasible, but walls %v fail", key, failing))
					}
					want, decided := wallReasons[reason]
					if reason == "out_of_memory" && slices.Contains(passCols, 4) {
						want = 4 // the serving studies' memory wall
					}
					if reason == "out_of_memory" && g.name == "batching" {
						want = 5 // nothing admitted
					}
					if slices.Contains(splitReasons, reason) {
						want, decided = 14, true // binding 14 in both studies; only the fleet has its pass column
					}
					if decided && slices.Contains(passCols, want) && r[col(want, "pass")] != false {
						bad = append(bad, fmt.Sprintf("point %s: infeasible (%s), but %s says pass", key, reason, col(want, "pass")))
					}
					if wall := fmt.Sprintf("%d %s", want, testCatalog().Walls[max(want, 1)-1].Name); decided && r["binding_wall"] != wall {
						bad = append(bad, fmt.Sprintf("point %s: infeasible (%s), but binding_wall is %q, not %q", key, reason, r["binding_wall"], wall))
					}
				}
				// The grid must reach the refusals it is meant to check.
				need := map[string][]string{
					"train-memory": {"", "out_of_memory", "unsupported_by_hardware"},
					"fleet":        {"", "out_of_memory", "parallelism_does_not_divide", "over_budget"},
					"node":         {"", "out_of_memory", "unsupported_by_hardware"},
					"serve":        {"", "out_of_memory"},
					"batching":     {"", "out_of_memory"},
					"reasoning":    {"", "out_of_memory", "latency_budget_exceeded"},
				}[g.name]
				if profile == "calibrated" {
					need = append(need, map[string][]string{"train-memory": {"not_a_training_format", "ep_does_not_divide_dp_or_experts", "tp_does_not_divide_heads"}, "node": {"exceeds_context"}, "fleet": {"tp_does_not_divide_heads"}}[g.name]...)
				}
				for _, n := range need {
					if n == "tp_does_not_divide_heads" && g.name == "fleet" || n == "parallelism_does_not_divide" && g.name == "fleet" && profile == "calibrated" {
						continue // calibrated refuses tp 3 as a head split, seed as a split of the accelerators
					}
					if reasons[n] == 0 {
						t.Errorf("no row with infeasible_reason %q (reasons: %v)", n, reasons)
					}
				}
				reportViolations(t, bad)
			})
		}
	}
}

// TestTrainMemorySplitThatFits pins wall_2_memory_pass's meaning on the row the defect
// was reported on: Llama 3 8B on an H100 at tp 6 (32 heads do not split 6 ways), ZeRO-3
// at dp 1, batch 8 of 2,048 tokens, counts 53.8 GB of 85.9: the state fits, the memory
// wall passes with slack 1 − 53.84/85.90 = 0.373, and the row is infeasible for its split
// (binding wall 14 Communication).
func TestTrainMemorySplitThatFits(t *testing.T) {
	r := evalOne(t, "version: 1\nname: m\nstudy: train-memory\naxes:\n  model: Llama3_8B\n  hardware: H100\n  batch_size: 8\n  seq_len: 2048\n  tp: 6\n  zero_stage: 3\n")
	if r["feasible"] != false || r["infeasible_reason"] != "tp_does_not_divide_heads" || r["binding_wall"] != "14 Communication" {
		t.Fatalf("feasible %v, reason %v, binding %v; want infeasible, tp_does_not_divide_heads, 14 Communication", r["feasible"], r["infeasible_reason"], r["binding_wall"])
	}
	total, capacity := num(r, "total_memory_gb"), num(r, "memory_capacity_gb")
	if !(total < 0.7*capacity) || r["wall_2_memory_pass"] != true || !(num(r, "wall_2_memory_slack") > 0.3) {
		t.Errorf("%.4g GB of %.4g: wall_2_memory_pass %v, slack %.4g; want pass and slack > 0.3", total, capacity, r["wall_2_memory_pass"], num(r, "wall_2_memory_slack"))
	}
	if !strings.Contains(studies["train-memory"].Columns[slices.IndexFunc(studies["train-memory"].Columns, func(c Column) bool { return c.Name == "wall_2_memory_pass" })].Doc, "infeasible_reason") {
		t.Error("wall_2_memory_pass's description does not say a refused split is infeasible_reason, not the memory wall")
	}
}

// TestServingWallSlackAgrees pins the serving memory wall on the row where its pass and
// slack disagreed: Llama 3 8B in fp16 on a T4 at batch 1, seq_len 2048, under the default
// engine (vLLM: weights, activations and KV cache within 0.9 of the memory,
// gpu_memory_utilization; docs/PHYSICS.md §33). One accelerator holds 16.06 GB of weights
// and 2·32·8·128·2 B · 2048 = 0.27 GB of KV cache, 16.33 GB of the T4's 17.18 GB: 1 −
// 16.33/17.18 = +0.050 of the whole memory is left, but 0.9 · 17.18 = 15.46 GB is the
// budget, so the point does not fit and the slack is (15.46 − 16.33)/17.18 = −0.0506. Under
// the seed, which keeps the whole memory, the same point fits with slack +0.050.
func TestServingWallSlackAgrees(t *testing.T) {
	for _, c := range []struct {
		profile string
		pass    bool
	}{{"calibrated", false}, {"seed", true}} {
		r := evalOne(t, "version: 1\nname: m\nstudy: serve\nprofile: "+c.profile+"\naxes:\n  model: Llama3_8B\n  hardware: T4\n  precision: fp16\n  batch_size: 1\n  seq_len: 2048\n")
		held := num(r, "memory_utilization") * num(r, "memory_capacity_gb")
		if math.Abs(held-16.33) > 0.01 {
			t.Fatalf("%s: one accelerator holds %.4g GB, by hand 16.33", c.profile, held)
		}
		slack := num(r, "wall_4_serving_slack")
		if r["wall_4_serving_pass"] != c.pass || (slack >= 0) != c.pass || r["feasible"] != c.pass {
			t.Errorf("%s: pass %v, slack %.4g, feasible %v; want pass %v with the slack's sign agreeing", c.profile, r["wall_4_serving_pass"], slack, r["feasible"], c.pass)
		}
		if want := 0.9 - held/num(r, "memory_capacity_gb"); c.profile == "calibrated" && math.Abs(slack-want) > 1e-9 {
			t.Errorf("calibrated: slack %.6g, want 0.9 − held / capacity = %.6g (the engine's budget)", slack, want)
		}
		if c.profile == "seed" && math.Abs(slack-(1-held/num(r, "memory_capacity_gb"))) > 1e-12 {
			t.Errorf("seed: slack %.6g, want 1 − held / capacity", slack)
		}
	}
}

// TestBatchingWallSlackAgrees pins the batching wall where nothing is admitted: Llama 3 8B
// in fp16 on a T4 (17.18 GB) at seq_len 32,768 under the seed leaves 17.18 − 16.06 = 1.12
// GB beside its weights, and one request's KV cache is 2·32·8·128·2 B · 32,768 = 4.29 GB:
// no request fits, and the slack is (1.12 − 4.29)/17.18 = −0.1848 (by hand below). It read
// 1 − 16.06/17.18 = +0.065, the weights' slack with no request, beside the failing wall.
func TestBatchingWallSlackAgrees(t *testing.T) {
	r := evalOne(t, "version: 1\nname: m\nstudy: batching\nprofile: seed\naxes:\n  model: Llama3_8B\n  hardware: T4\n  precision: fp16\n  seq_len: 32768\n")
	capacity := 16 * float64(1<<30) // 16 GiB
	want := (capacity - 16.06e9 - 2*32*8*128*2*32768.0) / capacity
	if r["wall_5_batching_pass"] != false || r["feasible"] != false || math.Abs(num(r, "wall_5_batching_slack")-want) > 1e-12 {
		t.Errorf("pass %v, feasible %v, slack %.6g; want false, false, %.6g", r["wall_5_batching_pass"], r["feasible"], num(r, "wall_5_batching_slack"), want)
	}
}
