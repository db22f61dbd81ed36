package sweep

// Metamorphic and property tests of the training side — the fleet study (what plans and
// validation's training cases evaluate) and the node study's training step (eval
// --training) — and of the fleet's operations lens (energy, carbon, cost), under both
// profiles. properties_test.go holds the node and serving ones; each test here was seen
// to fail against a deliberately broken input (the comment at each says how).

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// fleetVariantCatalog returns a copy of the catalog with, for each node key, a cluster
// of `nodes` of that node on fabric, built from a base copy of the node's accelerator
// (withVariants: "Prop_<hw>_base") and one per hardware variant; and one more cluster
// per node, "Prop_<hw>_fab2", of the base accelerator on a copy of the fabric with twice
// its nominal and bus bandwidth. A variant that scales the accelerator's links scales the
// node's intra-node bandwidth with them (the loader derives it from the scale-up link).
// Clusters are named "PropC_<hw>_<variant>".
func fleetVariantCatalog(t testing.TB, nodeKeys []string, nodes int, fabric string, vs []hwVariant, linkScale map[string]float64) (*catalog.Catalog, []string) {
	t.Helper()
	base := testCatalog()
	var hw []string
	for _, nk := range nodeKeys {
		n, err := base.NodeByKey(nk)
		if err != nil {
			t.Fatal(err)
		}
		hw = append(hw, n.Accelerator)
	}
	cat := withVariants(t, hw, vs)
	f, err := cat.FabricByKey(fabric)
	if err != nil {
		t.Fatal(err)
	}
	f2 := *f
	f2.Key, f2.BytesPerS, f2.BusBytesPerS = "Prop_"+fabric+"_fab2", f.BytesPerS*2, f.BusBytesPerS*2
	cat.Fabrics = append(cat.Fabrics, &f2)
	var clusters []string
	for i, nk := range nodeKeys {
		n, _ := cat.NodeByKey(nk)
		for _, v := range append([]string{"base", "fab2"}, variantNames(vs)...) {
			nv := *n
			acc := "Prop_" + hw[i] + "_" + v
			fab := fabric
			if v == "fab2" {
				acc, fab = "Prop_"+hw[i]+"_base", f2.Key
			}
			nv.Key, nv.Accelerator = "PropN_"+hw[i]+"_"+v, acc
			if k, ok := linkScale[v]; ok {
				nv.IntraNodeBytesPerS *= k
			}
			cat.Nodes = append(cat.Nodes, &nv)
			c := &catalog.Cluster{Key: "PropC_" + hw[i] + "_" + v, Name: "property cluster", Node: nv.Key, Nodes: nodes, Fabric: fab}
			cat.Clusters = append(cat.Clusters, c)
			clusters = append(clusters, c.Key)
		}
	}
	return cat, clusters
}

func variantNames(vs []hwVariant) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.name)
	}
	return out
}

// fleetBetterViolations evaluates a fleet grid on the variant clusters and returns the
// feasible base points compared and each violation: a better variant (or fabric) with a
// longer step, fewer tokens a second, or infeasible where the base fits.
func fleetBetterViolations(t *testing.T, cat *catalog.Catalog, profile string, clusters []string, variants []string) (int, []string) {
	const axes = "  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]\n  tp: [1, 8]\n  pp: [1, 4]\n  zero_stage: [1, 3]\n"
	src := fmt.Sprintf("version: 1\nstudy: fleet\nprofile: %s\nfixed:\n  batch_size: 256\n  seq_len: 2048\n  microbatches: 8\n  precision: bf16\naxes:\n  cluster: %s\n%s",
		profile, yamlList(clusters), axes)
	rows := propRows(t, cat, src)
	others := axisNames(axes)
	idx := map[string]map[string]any{}
	for _, r := range rows {
		idx[fmt.Sprint(r["cluster"])+"|"+rowKey(r, others)] = r
	}
	checked := 0
	var bad []string
	for _, r := range rows {
		c := fmt.Sprint(r["cluster"])
		if !strings.HasSuffix(c, "_base") || !feasible(r) {
			continue
		}
		for _, v := range variants {
			k := strings.TrimSuffix(c, "base") + v
			w, ok := idx[k+"|"+rowKey(r, others)]
			if !ok {
				t.Fatalf("no row for %s %s", k, rowKey(r, others))
			}
			checked++
			what := fmt.Sprintf("%s %s", k, rowKey(r, others))
			if !feasible(w) {
				bad = append(bad, fmt.Sprintf("%s: feasible on the base, %v with %s", what, w["infeasible_reason"], v))
				continue
			}
			for _, col := range []string{"step_latency_ms", "node_latency_ms"} {
				if a, b := num(r, col), num(w, col); !(b <= a*(1+1e-12)) {
					bad = append(bad, fmt.Sprintf("%s: %s %.6g → %.6g with %s", what, col, a, b, v))
				}
			}
			if a, b := num(r, "tokens_per_s"), num(w, "tokens_per_s"); !(b >= a*(1-1e-12)) {
				bad = append(bad, fmt.Sprintf("%s: tokens_per_s %.6g → %.6g with %s", what, a, b, v))
			}
		}
	}
	return checked, bad
}

// TestFleetBetterHardwareNeverWorse: a cluster of accelerators with twice the memory
// bandwidth, twice the peak rates, twice the memory or twice the scale-up links (the
// node's intra-node bandwidth with them), or the same cluster on a fabric of twice the
// bandwidth, never trains a step slower, never processes fewer tokens a second and never
// turns a fitting layout into one that does not fit — for H100, A100 and B200 nodes, dense
// and MoE models, tp × pp × ZeRO splits, under both profiles.
func TestFleetBetterHardwareNeverWorse(t *testing.T) {
	cat, clusters := fleetVariantCatalog(t, []string{"DGX_H100", "DGX_A100", "DGX_B200"}, 16, "InfiniBand_NDR", betterHardware, map[string]float64{"link2": 2})
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			checked, bad := fleetBetterViolations(t, cat, profile, clusters, append(variantNames(betterHardware), "fab2"))
			if checked < 100 {
				t.Fatalf("only %d feasible pairs compared", checked)
			}
			t.Logf("%d pairs", checked)
			reportViolations(t, bad)
		})
	}
}

// TestFleetBetterHardwareCheckCanFail: told that half the bandwidth, peak, memory and
// fabric are "better", the same check finds the slower steps and the layouts that stop
// fitting, so the test above can fail.
func TestFleetBetterHardwareCheckCanFail(t *testing.T) {
	worse := []hwVariant{{"bw2", scaleBandwidth(0.25)}, {"peak2", scalePeak(0.5)}, {"mem2", scaleMemory(0.25)}, {"link2", scaleLinks(0.1)}}
	cat, clusters := fleetVariantCatalog(t, []string{"DGX_H100"}, 16, "InfiniBand_NDR", worse, map[string]float64{"link2": 0.1})
	// The fabric "fab2" of fleetVariantCatalog is faster; make it slower here.
	f, _ := cat.FabricByKey("Prop_InfiniBand_NDR_fab2")
	f.BytesPerS, f.BusBytesPerS = f.BytesPerS/20, f.BusBytesPerS/20
	_, bad := fleetBetterViolations(t, cat, "calibrated", clusters, append(variantNames(worse), "fab2"))
	for _, v := range append(variantNames(worse), "fab2") {
		n := 0
		for _, b := range bad {
			if strings.HasSuffix(b, "with "+v) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s made worse, no violation found", v)
		}
	}
}

// TestFleetTrainingInvariants: on every feasible fleet row, over dense and MoE models,
// cluster sizes, tp × pp splits and ZeRO stages, under both profiles:
//
//	0 < hfu ≤ 1, 0 < mfu (model FLOPs count all s² scores, so mfu may pass hfu: the column's doc)
//	mfu / hfu = model_flops_per_step / hardware_flops_per_step (one denominator: step · N · peak;
//	  seed: both 3/4 with recomputation, one more forward of everything)
//	hfu ≥ mfu with unfused attention (calibrated; with flash attention, the default, the
//	  step executes the causal half of the scores and hfu < mfu on every feasible row of
//	  grids/fleet-placement.yaml, 2,472 of them, as the columns document)
//	model_flops_6p_per_step = 6 · active parameters · batch · seq_len
//	local_batch · dp = batch_size (calibrated)
//	comm_ms = dp + tp + ep (+ cp + pp calibrated) comm;  scaling_efficiency = node step / step ∈ (0, 1]
//	bubble_fraction = bubble_ms / step_latency_ms (calibrated)
//	calibrated goodput, by hand (docs/PHYSICS.md §18.1, Young 1974):
//	  job_failures_per_day = nodes · 6.5 / 1000;  checkpoint_gb = parameters · 14 / 1e9
//	  checkpoint_write_s = checkpoint_gb / (nodes · 0.234375 GB/s);  M = 86400 / failures a day
//	  τ = √(2 · write · M);  goodput = 1 − write/τ − (τ/2 + 300 s)/M,  in (0, 1]
//	seed: goodput 1, no failures, no checkpoint.
//
// And along the cluster size at a fixed global batch (more data-parallel ranks): the
// per-rank compute (node_latency_ms) never grows, failures a day grow and goodput falls.
// With a 10-minute restart in the hand formula instead of the default 5 every calibrated
// goodput fails.
func TestFleetTrainingInvariants(t *testing.T) {
	cat := testCatalog()
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			const axes = "  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]\n  tp: [1, 8]\n  pp: [1, 4]\n  zero_stage: [1, 3]\n  flash_attention: [true, false]\n  nodes: [4, 8, 16, 32, 64]\n"
			src := fmt.Sprintf("version: 1\nstudy: fleet\nprofile: %s\nfixed:\n  cluster: Research_256\n  batch_size: 512\n  seq_len: 2048\n  microbatches: 1\n  activation_recomputation: true\naxes:\n%s", profile, axes)
			rows := propRows(t, cat, src)
			checked := 0
			var bad []string
			eq := func(r map[string]any, what string, got, want float64) {
				if !near(got, want) {
					bad = append(bad, fmt.Sprintf("%v tp %v pp %v zero %v nodes %v: %s %.12g, want %.12g", r["model"], r["tp"], r["pp"], r["zero_stage"], r["nodes"], what, got, want))
				}
			}
			for _, r := range rows {
				if !feasible(r) {
					continue
				}
				checked++
				m, err := cat.ModelByKey(fmt.Sprint(r["model"]))
				if err != nil {
					t.Fatal(err)
				}
				if h := num(r, "hfu"); !(h > 0 && h <= 1) {
					eq(r, "hfu in (0, 1]", h, math.Max(0, math.Min(1, h)))
				}
				if !(num(r, "mfu") > 0) {
					eq(r, "mfu > 0", num(r, "mfu"), 1)
				}
				if profile == "calibrated" {
					eq(r, "mfu / hfu", num(r, "mfu")/num(r, "hfu"), num(r, "model_flops_per_step")/num(r, "hardware_flops_per_step"))
					// Unfused attention executes every s² score the model count holds, and
					// recomputation more: hfu ≥ mfu. Fused (the default), the step skips
					// the causal half, so hfu < mfu is the documented convention.
					if r["flash_attention"] == false && num(r, "hfu") < num(r, "mfu")*(1-1e-12) {
						eq(r, "hfu ≥ mfu without flash attention", num(r, "hfu"), num(r, "mfu"))
					}
				} else {
					// The seed's hfu is its node HFU, 4/3 of the MFU with recomputation
					// (one more forward of everything: physics.md §5.1 item 12), and its
					// hardware FLOPs are 4/3 of its model FLOPs for the same reason. Its mfu
					// is not model_flops / (step · N · peak) (the node's one-token-per-sequence
					// ops, a seed quirk), but the two ratios agree: before the fix hardware /
					// model FLOPs read 1.3116 (Llama 3 8B, the output layer not recomputed).
					eq(r, "hfu / mfu", num(r, "hfu")/num(r, "mfu"), 4.0/3)
					eq(r, "hardware / model FLOPs", num(r, "hardware_flops_per_step")/num(r, "model_flops_per_step"), num(r, "hfu")/num(r, "mfu"))
				}
				tokens := num(r, "batch_size") * num(r, "seq_len")
				if m.ActiveParameters == 0 {
					eq(r, "6·P·tokens", num(r, "model_flops_6p_per_step"), 6*m.Parameters*tokens)
				} else if p := num(r, "model_flops_6p_per_step") / (6 * tokens); math.Abs(p/m.ActiveParameters-1) > 0.005 {
					// An MoE model's active parameters: the catalog's, rounded to three
					// digits (seed), or counted from its widths (calibrated: shared
					// parameters + the expert parameters × top-k / experts).
					eq(r, "6·P·tokens / (6·tokens) within 0.5 % of the active parameters", p, m.ActiveParameters)
				}
				// The step's parts (the columns' docs): comm_ms sums the exposed
				// collectives (seed: dp + tp + ep); scaling_efficiency = node step / step
				// in (0, 1]; bubble_fraction = bubble / step (calibrated).
				comm := num(r, "dp_comm_ms") + num(r, "tp_comm_ms") + num(r, "ep_comm_ms")
				if profile == "calibrated" {
					comm += num(r, "cp_comm_ms") + num(r, "pp_comm_ms")
					eq(r, "bubble fraction", num(r, "bubble_fraction"), num(r, "bubble_ms")/num(r, "step_latency_ms"))
				}
				eq(r, "comm = Σ collectives", num(r, "comm_ms"), comm)
				eq(r, "scaling efficiency", num(r, "scaling_efficiency"), num(r, "node_latency_ms")/num(r, "step_latency_ms"))
				if se := num(r, "scaling_efficiency"); !(se > 0 && se <= 1+1e-12) {
					eq(r, "scaling efficiency in (0, 1]", se, math.Max(0, math.Min(1, se)))
				}
				nodes := num(r, "nodes")
				if profile == "seed" {
					eq(r, "goodput", num(r, "goodput"), 1)
					eq(r, "failures a day", num(r, "job_failures_per_day"), 0)
					continue
				}
				eq(r, "local batch · dp", num(r, "local_batch")*num(r, "dp"), num(r, "batch_size"))
				fails := nodes * 6.5 / 1000
				eq(r, "failures a day", num(r, "job_failures_per_day"), fails)
				ck := m.Parameters * 14 / 1e9
				eq(r, "checkpoint GB", num(r, "checkpoint_gb"), ck)
				write := ck / (nodes * 0.234375)
				eq(r, "checkpoint write s", num(r, "checkpoint_write_s"), write)
				mtbf := 86400 / fails
				tau := math.Sqrt(2 * write * mtbf)
				eq(r, "interval min", num(r, "checkpoint_interval_used_min"), tau/60)
				eq(r, "goodput", num(r, "goodput"), 1-write/tau-(tau/2+300)/mtbf)
				if g := num(r, "goodput"); !(g > 0 && g <= 1) {
					eq(r, "goodput in (0, 1]", g, math.Max(0, math.Min(1, g)))
				}
			}
			others := axisNames(axes)
			n := orderedPairs(rows, others, "nodes", func(a, b map[string]any) {
				key := rowKey(a, others) + fmt.Sprintf(" → nodes=%v", b["nodes"])
				if !(num(b, "node_latency_ms") <= num(a, "node_latency_ms")*(1+1e-12)) {
					bad = append(bad, fmt.Sprintf("%s: per-rank compute %.6g → %.6g ms", key, num(a, "node_latency_ms"), num(b, "node_latency_ms")))
				}
				if profile == "calibrated" {
					if !(num(b, "job_failures_per_day") > num(a, "job_failures_per_day")) {
						bad = append(bad, fmt.Sprintf("%s: failures a day %.6g → %.6g", key, num(a, "job_failures_per_day"), num(b, "job_failures_per_day")))
					}
					if !(num(b, "goodput") < num(a, "goodput")) {
						bad = append(bad, fmt.Sprintf("%s: goodput %.6g → %.6g", key, num(a, "goodput"), num(b, "goodput")))
					}
				}
			})
			if checked < 50 || n < 50 {
				t.Fatalf("only %d feasible rows, %d pairs along nodes", checked, n)
			}
			t.Logf("%d rows, %d pairs", checked, n)
			reportViolations(t, bad)
		})
	}
}

// TestFleetNoGoodputIsInfeasible: a fleet so large that its failures leave no useful time
// (Llama-3 8B on 131,072 DGX H100 nodes: 852 failures a day, one every 101 s, against a
// Young interval of 1.1 s and a 5-minute restart) has goodput 0, and a run that never
// finishes is infeasible (no_goodput, wall 15) — as the reliability study says of the same
// job — where it was a feasible step of 4.5M tokens/s; 16,384 nodes (goodput 0.62) still
// train. Before the fix the first row was feasible and this test failed.
func TestFleetNoGoodputIsInfeasible(t *testing.T) {
	rows := propRows(t, testCatalog(), "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  model: Llama3_8B\n  batch_size: 1048576\n  seq_len: 2048\n  zero_stage: 3\naxes:\n  nodes: [131072, 16384]\n")
	if g := num(rows[0], "goodput"); g != 0 || feasible(rows[0]) || rows[0]["infeasible_reason"] != "no_goodput" || rows[0]["binding_wall"] != "15 Fragility" {
		t.Errorf("131,072 nodes: goodput %v, feasible %v (%v), binding %v; want 0, infeasible no_goodput, 15 Fragility", g, rows[0]["feasible"], rows[0]["infeasible_reason"], rows[0]["binding_wall"])
	}
	if g := num(rows[1], "goodput"); !(g > 0.5 && g < 0.7) || !feasible(rows[1]) {
		t.Errorf("16,384 nodes: goodput %v, feasible %v (%v); want about 0.62, feasible", g, rows[1]["feasible"], rows[1]["infeasible_reason"])
	}
}

// trainingAxes extend TestMonotoneAlongAxes (properties_test.go) to training: a longer
// sequence or a larger batch is more work — eval --training's step (the node study) never
// shorter, its tokens per step and memory never fewer, and a point that fits at the
// longer sequence or larger batch fits at the shorter or smaller one; the same for the
// train-memory study's activations; and a fleet that holds more data-parallel ranks at a
// fixed global batch gives each rank less compute and a smaller local batch. Each can
// fail: with up and down swapped in "node training seq_len" (a longer sequence "never a
// longer step") every pair fails.
var trainingAxes = []monotoneAxis{
	{name: "node training seq_len", study: "node", fixed: "  training: true\n  batch_size: 4\n",
		axes: "  hardware: [H100, A100, MI300X, T4]\n  model: [Llama3_8B, GPT2, BERT_Base, Mixtral_8x7B]\n  precision: [bf16, fp16, fp32]\n  activation_recomputation: [false, true]\n  seq_len: [128, 512, 2048, 8192]\n",
		axis: "seq_len", up: []string{"latency_ms", "tokens_per_step", "memory_footprint_gb", "activation_memory_gb"}, fitsDown: true},
	{name: "node training batch", study: "node", fixed: "  training: true\n  seq_len: 2048\n",
		axes: "  hardware: [H100, A100, MI300X, T4]\n  model: [Llama3_8B, GPT2, BERT_Base, ResNet50]\n  precision: [bf16, fp16]\n  zero_stage: [0, 3]\n  batch_size: [1, 2, 8, 32, 128]\n",
		axis: "batch_size", up: []string{"latency_ms", "tokens_per_step", "memory_footprint_gb"}, fitsDown: true},
	{name: "train-memory seq_len", study: "train-memory", fixed: "  batch_size: 8\n  dp: 8\n  zero_stage: 3\n",
		axes: "  hardware: [H100, A100, MI300X]\n  model: [Llama3_8B, GPT2, Mixtral_8x7B]\n  tp: [1, 8]\n  activation_checkpointing: [selective, full, none]\n  seq_len: [512, 2048, 8192]\n",
		axis: "seq_len", up: []string{"activations_gb", "total_memory_gb"}, fitsDown: true},
	{name: "train-memory batch", study: "train-memory", fixed: "  seq_len: 2048\n  dp: 8\n",
		axes: "  hardware: [H100, A100, MI300X]\n  model: [Llama3_8B, GPT2, Mixtral_8x7B]\n  tp: [1, 8]\n  zero_stage: [1, 3]\n  batch_size: [8, 16, 32, 64]\n",
		axis: "batch_size", up: []string{"activations_gb", "total_memory_gb"}, fitsDown: true},
	{name: "fleet data-parallel ranks", study: "fleet", fixed: "  cluster: Research_256\n  batch_size: 512\n  seq_len: 2048\n  activation_recomputation: true\n",
		axes: "  model: [Llama3_8B, Mixtral_8x7B, Llama3_70B]\n  tp: [1, 8]\n  pp: [1, 2]\n  zero_stage: [1, 3]\n  nodes: [2, 4, 8, 16, 32, 64]\n",
		axis: "nodes", down: []string{"node_latency_ms", "local_batch"}},
}

// TestNodeTrainingConserves: eval --training's step (the node study, training) under
// both profiles: a transformer's tokens per step are batch × seq_len (calibrated; the
// seed counts one token a sequence, physics.md §5.1), 0 < hfu ≤ 1, and the footprint
// holds the activations it counts. The seed's count was seen to fail the calibrated
// rule (its 4 tokens against 4 × 2048).
func TestNodeTrainingConserves(t *testing.T) {
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			rows := propRows(t, testCatalog(), fmt.Sprintf("version: 1\nstudy: node\nprofile: %s\nfixed:\n  training: true\naxes:\n  hardware: [H100, A100, MI300X, B200]\n  model: [Llama3_8B, GPT2, Mixtral_8x7B, BERT_Base]\n  precision: [bf16, fp16]\n  batch_size: [1, 4, 16]\n  seq_len: [512, 2048]\n", profile))
			var bad []string
			checked := 0
			for _, r := range rows {
				if !feasible(r) {
					continue
				}
				checked++
				key := rowKey(r, []string{"hardware", "model", "precision", "batch_size", "seq_len"})
				if profile == "calibrated" {
					if got, want := num(r, "tokens_per_step"), num(r, "batch_size")*num(r, "seq_len"); got != want {
						bad = append(bad, fmt.Sprintf("%s: tokens per step %v, want batch × seq_len = %v", key, got, want))
					}
				}
				if h := num(r, "hfu"); !(h > 0 && h <= 1) {
					bad = append(bad, fmt.Sprintf("%s: hfu %.9g outside (0, 1]", key, h))
				}
				if a, m := num(r, "activation_memory_gb"), num(r, "memory_footprint_gb"); !(a >= 0 && a < m) {
					bad = append(bad, fmt.Sprintf("%s: activations %.9g GB not within the footprint %.9g GB", key, a, m))
				}
			}
			if checked < 50 {
				t.Fatalf("only %d feasible rows", checked)
			}
			reportViolations(t, bad)
		})
	}
}

// TestTrainMemoryConserves: the train-memory study's breakdown sums to its total, and the
// total over the capacity is its utilisation, on every row (feasible or not: an
// out-of-memory row reports the same sum), under both profiles, over dense and MoE
// models, tp × pp × ep, ZeRO stages, recomputation and precisions. A total that left the
// communication buffers out fails (checked by dropping them from the sum here).
func TestTrainMemoryConserves(t *testing.T) {
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			rows := propRows(t, testCatalog(), fmt.Sprintf("version: 1\nstudy: train-memory\nprofile: %s\nfixed:\n  batch_size: 64\n  seq_len: 4096\n  dp: 8\naxes:\n  hardware: [H100, MI300X]\n  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B, GPT2]\n  precision: [bf16, fp16]\n  tp: [1, 4]\n  pp: [1, 2]\n  zero_stage: [0, 1, 2, 3]\n  activation_checkpointing: [selective, full]\n", profile))
			var bad []string
			for _, r := range rows {
				sum := num(r, "weights_gb") + num(r, "gradients_gb") + num(r, "optimizer_state_gb") + num(r, "activations_gb") + num(r, "communication_buffers_gb")
				key := rowKey(r, []string{"hardware", "model", "precision", "tp", "pp", "zero_stage", "activation_checkpointing"})
				if !near(sum, num(r, "total_memory_gb")) {
					bad = append(bad, fmt.Sprintf("%s: the breakdown sums to %.12g GB, total %.12g GB", key, sum, num(r, "total_memory_gb")))
				}
				if !near(num(r, "total_memory_gb")/num(r, "memory_capacity_gb"), num(r, "memory_utilization")) {
					bad = append(bad, fmt.Sprintf("%s: total / capacity %.12g, utilisation %.12g", key, num(r, "total_memory_gb")/num(r, "memory_capacity_gb"), num(r, "memory_utilization")))
				}
				if fits := num(r, "total_memory_gb") <= num(r, "memory_capacity_gb"); r["wall_2_memory_pass"] != fits {
					// The memory verdict alone, on every row (an invalid split or format is
					// infeasible_reason: study_trainmem.go, TestWallColumnsAgree).
					bad = append(bad, fmt.Sprintf("%s: %.6g GB of %.6g, memory wall pass %v", key, num(r, "total_memory_gb"), num(r, "memory_capacity_gb"), r["wall_2_memory_pass"]))
				}
			}
			if len(rows) < 100 {
				t.Fatalf("only %d rows", len(rows))
			}
			reportViolations(t, bad)
		})
	}
}

// TestFleetFabricOverrideNeverWorse: the fleet's fabric override (the `fabric` parameter,
// which replaces the cluster's) set to a copy of the cluster's own fabric with twice its
// bandwidth never gives a slower step or fewer tokens a second than the override set to
// the fabric itself, nor a different memory; and the override set to the cluster's own
// fabric is the cluster as catalogued (the same step as "default"). Both profiles.
func TestFleetFabricOverrideNeverWorse(t *testing.T) {
	cat, _ := fleetVariantCatalog(t, []string{"DGX_H100", "DGX_A100"}, 16, "InfiniBand_NDR", nil, nil)
	const axes = "  cluster: [PropC_H100_base, PropC_A100_base]\n  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]\n  tp: [1, 8]\n  pp: [1, 4]\n  zero_stage: [1, 3]\n"
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			rows := propRows(t, cat, fmt.Sprintf("version: 1\nstudy: fleet\nprofile: %s\nfixed:\n  batch_size: 256\n  seq_len: 2048\n  microbatches: 8\n  precision: bf16\naxes:\n%s  fabric: [default, InfiniBand_NDR, Prop_InfiniBand_NDR_fab2]\n", profile, axes))
			by := map[string]map[string]any{}
			others := axisNames(axes)
			for _, r := range rows {
				by[rowKey(r, others)+"|"+fmt.Sprint(r["fabric"])] = r
			}
			var bad []string
			n, faster := 0, 0
			for _, r := range rows {
				if r["fabric"] != "InfiniBand_NDR" {
					continue
				}
				k := rowKey(r, others)
				d, f2 := by[k+"|default"], by[k+"|Prop_InfiniBand_NDR_fab2"]
				for _, c := range []string{"step_latency_ms", "memory_per_accelerator_gb", "tokens_per_s"} {
					if num(d, c) != num(r, c) {
						bad = append(bad, fmt.Sprintf("%s: %s %.9g by default, %.9g with the cluster's own fabric named", k, c, num(d, c), num(r, c)))
					}
				}
				if !feasible(r) {
					continue
				}
				n++
				if !feasible(f2) {
					bad = append(bad, fmt.Sprintf("%s: %v on the faster fabric", k, f2["infeasible_reason"]))
					continue
				}
				if num(f2, "step_latency_ms") > num(r, "step_latency_ms")*(1+1e-12) || num(f2, "tokens_per_s") < num(r, "tokens_per_s")*(1-1e-12) {
					bad = append(bad, fmt.Sprintf("%s: step %.6g → %.6g ms on twice the fabric", k, num(r, "step_latency_ms"), num(f2, "step_latency_ms")))
				}
				if num(f2, "step_latency_ms") < num(r, "step_latency_ms") {
					faster++
				}
				if num(f2, "memory_per_accelerator_gb") != num(r, "memory_per_accelerator_gb") {
					bad = append(bad, fmt.Sprintf("%s: memory %.9g → %.9g GB on twice the fabric", k, num(r, "memory_per_accelerator_gb"), num(f2, "memory_per_accelerator_gb")))
				}
			}
			if n < 20 || faster < n/4 {
				t.Fatalf("only %d feasible points, %d faster on twice the fabric (the check would be empty)", n, faster)
			}
			t.Logf("%d points, %d faster", n, faster)
			reportViolations(t, bad)
		})
	}
}

// zero3OverlapWindow: with ZeRO-3 and overlap, the step hides each layer's parameter
// gathers behind that layer's forward and backward (kernel/trainingstep.go: hidden =
// overlapped(ag, lt.fwd) − lt.fwd + …, per layer and microbatch), and lt counts the
// layer's exposed TP and EP communication; faster links or memory shorten lt by more
// than they shorten the step's own compute and TP/EP columns, so the exposed
// data-parallel collectives grow by more than the step saves. DeepSeek-V3 on 16 DGX B200
// (tp 8, pp 1, ZeRO-3 with overlap, selective recomputation, 8 microbatches of 2 × 4,096
// tokens): 107,310 ms;
// twice the scale-up links 107,335 ms (tp + ep −1,089 ms, dp +1,114 ms = 8 × 60 layers ×
// the 2.28 ms the layer's forward and backward lost); twice the bandwidth 107,323 ms.
const zero3OverlapWindow = "ZeRO-3 overlap: faster links or memory shorten the layer window hiding the DP gathers by more than the step saves"

// TestFleetBetterHardwareZeRO3Overlap: the better-hardware check of
// TestFleetBetterHardwareNeverWorse on wider layouts — MoE with ep, interleaving, ZeRO-3
// with overlap, long sequences — where the calibrated step breaks it (zero3OverlapWindow:
// 4 of this grid's 220 pairs, +0.02 % to +0.14 %; 6 of 3,680 on a wider grid tried while
// writing it, all DeepSeek-V3 at tp 8 under ZeRO-3 with overlap). Everything else holds.
func TestFleetBetterHardwareZeRO3Overlap(t *testing.T) {
	cat, clusters := fleetVariantCatalog(t, []string{"DGX_B200", "DGX_H100"}, 16, "InfiniBand_NDR", betterHardware, map[string]float64{"link2": 2})
	const axes = "  model: [DeepSeek_V3, Mixtral_8x7B]\n  tp: [2, 8]\n  ep: [1, 8]\n  zero_stage: [1, 3]\n  overlap: [false, true]\n  seq_len: [4096, 16384]\n"
	rows := propRows(t, cat, fmt.Sprintf("version: 1\nstudy: fleet\nfixed:\n  batch_size: 256\n  microbatches: 8\n  precision: bf16\n  sequence_parallel: true\n  activation_checkpointing: full\naxes:\n  cluster: %s\n%s", yamlList(clusters), axes))
	others := axisNames(axes)
	idx := map[string]map[string]any{}
	for _, r := range rows {
		idx[fmt.Sprint(r["cluster"])+"|"+rowKey(r, others)] = r
	}
	var bad, known []string
	n := 0
	for _, r := range rows {
		c := fmt.Sprint(r["cluster"])
		if !strings.HasSuffix(c, "_base") || !feasible(r) {
			continue
		}
		for _, v := range append(variantNames(betterHardware), "fab2") {
			w := idx[strings.TrimSuffix(c, "base")+v+"|"+rowKey(r, others)]
			n++
			what := fmt.Sprintf("%s %s %s: step %.6g → %.6g ms (%v)", c, v, rowKey(r, others), num(r, "step_latency_ms"), num(w, "step_latency_ms"), w["infeasible_reason"])
			switch {
			case !feasible(w):
				bad = append(bad, what)
			case num(w, "step_latency_ms") > num(r, "step_latency_ms")*(1+1e-12):
				if r["zero_stage"] == int64(3) && r["overlap"] == true {
					known = append(known, what)
				} else {
					bad = append(bad, what)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d pairs", n)
	}
	reportViolations(t, bad)
	t.Run("zero3 overlap", func(t *testing.T) {
		for _, k := range known {
			t.Log(k)
		}
		knownBug(t, zero3OverlapWindow, len(known) == 0, "%d of %d pairs slower on better hardware", len(known), n)
	})
}
