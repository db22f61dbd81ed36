package sweep

import (
	"fmt"
	"strings"
	"testing"
)

// TestMoELayoutSameMemoryEverySurface: the train-memory study takes the MoE layout the
// fleet study (and so a fleet plan and optimize parallelism) takes — ep, etp and
// moe_imbalance — and the same layout gives the same per-accelerator memory on both.
// Before, train-memory had no etp: Mixtral at tp 2 with its experts whole (etp 1, MoE
// parallel folding) could only be counted at etp = tp there, 5.6 GB of expert weights
// (TestFleetETP's hand count) away from the fleet's answer; and no moe_imbalance, so the
// busiest rank's routed intermediates were the mean rank's. The fleet runs on two
// 8-GPU H100 nodes (tp 2 · dp 8), train-memory at tp 2, dp 8 on an H100; both with
// train-memory's accounting (unfused attention, gradients in the training precision).
func TestMoELayoutSameMemoryEverySurface(t *testing.T) {
	const mem = "version: 1\nstudy: train-memory\nprofile: calibrated\naxes:\n  model: [%s]\n  hardware: [H100]\n  precision: [bf16]\n" +
		"  batch_size: [16]\n  seq_len: [4096]\n  tp: [2]\n  dp: [8]\n  ep: [8]\n  zero_stage: [1]\n%s"
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Research_256\n  nodes: 2\n  precision: bf16\n  batch_size: 16\n" +
		"  seq_len: 4096\n  tp: 2\n  ep: 8\n  zero_stage: 1\n  activation_checkpointing: selective\n  sequence_parallel: true\n  flash_attention: false\n  fp32_gradients: false\naxes:\n  model: [%s]\n%s"
	pairs := [][2]string{{"weights_gb", "weights_gb"}, {"gradients_gb", "gradients_gb"}, {"optimizer_state_gb", "optimizer_state_gb"},
		{"activations_gb", "activations_gb"}, {"communication_buffers_gb", "buffers_gb"}, {"total_memory_gb", "memory_per_accelerator_gb"}}
	for _, model := range []string{"Mixtral_8x7B", "DeepSeek_V3"} {
		var first map[string]any
		for _, layout := range []string{"", "  etp: [1]\n", "  etp: [2]\n", "  etp: [1]\n  moe_imbalance: [1.5]\n"} {
			m, f := evalOne(t, fmt.Sprintf(mem, model, layout+"  sequence_parallel: [true]\n")), evalOne(t, fmt.Sprintf(fleet, model, layout))
			for _, p := range pairs {
				if m[p[0]] != f[p[1]] {
					t.Errorf("%s %q: train-memory %s = %v, fleet %s = %v", model, layout, p[0], m[p[0]], p[1], f[p[1]])
				}
			}
			if m["infeasible_reason"] != f["infeasible_reason"] {
				t.Errorf("%s %q: train-memory %v, fleet %v", model, layout, m["infeasible_reason"], f["infeasible_reason"])
			}
			if first == nil {
				first = m
			} else if layout == "  etp: [1]\n" && m["weights_gb"] == first["weights_gb"] {
				t.Errorf("%s: etp 1 holds the weights of etp 2 (%v GB): etp not read", model, m["weights_gb"])
			}
		}
	}
	// A layout the fleet refuses, train-memory refuses with the same reason: etp 4 does
	// not divide tp 2, and MoE at tp 2 without sequence parallelism (Megatron-Core's
	// MoELayer raises; kernel.ExpertTPSplit).
	for _, bad := range []string{"  etp: [4]\n  sequence_parallel: [true]\n", "  etp: [1]\n  sequence_parallel: [false]\n"} {
		m := evalOne(t, fmt.Sprintf(mem, "Mixtral_8x7B", bad))
		if m["feasible"] != false || m["infeasible_reason"] != "etp_does_not_divide_tp_or_moe_without_sp" {
			t.Errorf("train-memory %q: feasible %v, reason %v", bad, m["feasible"], m["infeasible_reason"])
		}
	}
}

// TestTrainMemorySplitLayersIsTheFleets: DeepSeek-V3's 61 layers and its MTP module on
// pp 4 × 2 virtual stages: the fleet's step lays 61 + 1 MTP + the embedding and loss
// as 64 = 4·2·8 equal slots (kernel.SplitLayers, BalancedChunks), and train-memory
// refused the same split as layers_do_not_fill_the_stages (61 + 2 = 63 slots do not
// cut into 8) because it checked 61 layers. Both now count the same memory.
func TestTrainMemorySplitLayersIsTheFleets(t *testing.T) {
	const mem = "version: 1\nstudy: train-memory\nprofile: calibrated\naxes:\n  model: [DeepSeek_V3]\n  hardware: [H100]\n  precision: [bf16]\n" +
		"  batch_size: [32]\n  seq_len: [4096]\n  tp: [2]\n  pp: [4]\n  virtual_stages: [2]\n  microbatches: [4]\n  dp: [8]\n  ep: [8]\n  etp: [1]\n  zero_stage: [1]\n  sequence_parallel: [true]\n"
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Research_256\n  nodes: 8\n  precision: bf16\n  batch_size: 32\n" +
		"  seq_len: 4096\n  tp: 2\n  pp: 4\n  virtual_stages: 2\n  microbatches: 4\n  ep: 8\n  etp: 1\n  zero_stage: 1\n  activation_checkpointing: selective\n  sequence_parallel: true\n  flash_attention: false\n  fp32_gradients: false\naxes:\n  model: [DeepSeek_V3]\n"
	m, f := evalOne(t, mem), evalOne(t, fleet)
	if m["infeasible_reason"] == "layers_do_not_fill_the_stages" || m["infeasible_reason"] != f["infeasible_reason"] {
		t.Fatalf("train-memory %v, fleet %v", m["infeasible_reason"], f["infeasible_reason"])
	}
	for _, p := range [][2]string{{"weights_gb", "weights_gb"}, {"activations_gb", "activations_gb"}, {"total_memory_gb", "memory_per_accelerator_gb"}} {
		if m[p[0]] != f[p[1]] {
			t.Errorf("train-memory %s = %v, fleet %s = %v", p[0], m[p[0]], p[1], f[p[1]])
		}
	}
}

// TestFP8MFUBelowOne: under an FP8 recipe MFU and HFU count the linear GEMMs' FLOPs at
// the FP8 peak and the rest (attention scores, output layer) at the precision's — the
// PaLM definition, throughput over the system's at peak — so neither can pass 1. Before,
// both were against the precision's peak alone: Llama 3 70B at bf16 with current
// scaling on one H100 (ZeRO-3 over 512 ranks, no collectives on one accelerator) showed
// MFU 1.074, and Llama 3 8B at fp32 (the H100's 67 TFLOP/s CUDA-core peak) 2.03.
func TestFP8MFUBelowOne(t *testing.T) {
	const node = "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: [%s]\n  hardware: [H100]\n  training: [true]\n" +
		"  precision: [%s]\n  fp8_recipe: [current]\n  batch_size: [%d]\n  seq_len: [%d]\n  zero_stage: [3]\n  dp_size: [512]\n"
	for _, c := range []struct {
		model, prec string
		b, s        int
	}{{"Llama3_70B", "bf16", 64, 2048}, {"Llama3_8B", "fp32", 8, 128}, {"Llama3_8B", "bf16", 8, 4096}} {
		r := evalOne(t, fmt.Sprintf(node, c.model, c.prec, c.b, c.s))
		// hfu may fall below mfu: it counts the causal half of the s² scores the fused
		// kernel executes, mfu all of them (kernel.causalFlashUncounted).
		if m, h := r["mfu"].(float64), r["hfu"].(float64); !(m > 0 && m <= 1 && h > 0 && h <= 1) {
			t.Errorf("%s %s + fp8 current: mfu %v, hfu %v; want both in (0, 1]", c.model, c.prec, m, h)
		}
	}
	// By hand on the fleet's row: Llama 3 8B (32 layers, h 4096, vocab 128,256) at fp32
	// with FP8 GEMMs, batch 64 × 2048 tokens on 16 H100. What stays in fp32 is 3 × the
	// forward of the attention scores (4·s·h per token and layer) and the output layer
	// (2·h·V per token): 3 · 131,072 · (32 · 4 · 2048 · 4096 + 2 · 4096 · 128,256)
	// = 7.0434e14 FLOPs; the rest of model_flops_per_step runs at the FP8 peak,
	// 1979 TFLOP/s against fp32's 67, so MFU = (rest + (F − rest) · 67/1979) / (step · 16 · 67e12).
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Lab_64_H100\n  nodes: 2\n  precision: fp32\n  fp8_recipe: current\n" +
		"  batch_size: 64\n  seq_len: 2048\n  tp: 1\n  pp: 1\naxes:\n  model: [Llama3_8B]\n"
	r := evalOne(t, fleet)
	tokens := 64 * 2048.0
	rest := 3 * tokens * (32*4*2048*4096 + 2*4096*128256.0)
	F, step := r["model_flops_per_step"].(float64), r["step_latency_ms"].(float64)/1e3
	want := (rest + (F-rest)*67/1979) / (step * 16 * 67e12)
	checkGolden(t, r, []golden{{"mfu", want, 1e-12}})
	if m := r["mfu"].(float64); m > 1 {
		t.Errorf("fleet fp32 + fp8: mfu %v > 1", m)
	}
}

// TestPlanMoEImbalance: a fleet plan takes the MoE layout the fleet study does, so
// parallelism.moe_imbalance (before: an unknown key) reaches the step and memory as the
// grid's moe_imbalance does — the same step and memory at the same layout — and is
// refused at ep 1, where neither profile reads it.
func TestPlanMoEImbalance(t *testing.T) {
	const plan = "version: \"1.0\"\nname: x\nworkload: {name: Mixtral_8x7B, batch_size: 256, seq_len: 4096}\nhardware: {cluster: Lab_64_H100, precision: bf16}\n" +
		"parallelism: {tp: 2, pp: 4, ep: %d, etp: 1, microbatches: 8, zero_stage: 1, moe_imbalance: 1.3}\n"
	study, axes, cat, err := parsePlan(t, fmt.Sprintf(plan, 8)).Resolve(planCatalog(), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := StudyByName(study)
	p, err := NewPlan(cat, st, axes, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromPlan, err := EvalPoint(p)
	if err != nil {
		t.Fatal(err)
	}
	const grid = "version: 1\nstudy: fleet\nfixed:\n  cluster: Lab_64_H100\n  precision: bf16\n  batch_size: 256\n  seq_len: 4096\n  tp: 2\n  pp: 4\n  ep: 8\n  etp: 1\n" +
		"  microbatches: 8\n  zero_stage: 1\n  moe_imbalance: %s\naxes:\n  model: [Mixtral_8x7B]\n"
	g, even := evalOne(t, fmt.Sprintf(grid, "1.3")), evalOne(t, fmt.Sprintf(grid, "1"))
	for _, k := range []string{"step_latency_ms", "memory_per_accelerator_gb", "mfu", "ep_comm_ms"} {
		if fromPlan[k] != g[k] {
			t.Errorf("%s: plan %v, grid %v", k, fromPlan[k], g[k])
		}
	}
	if !(g["ep_comm_ms"].(float64) > even["ep_comm_ms"].(float64)) {
		t.Errorf("ep_comm_ms at γ 1.3 %v, at 1 %v: imbalance not read", g["ep_comm_ms"], even["ep_comm_ms"])
	}
	pf := parsePlan(t, fmt.Sprintf(plan, 1))
	if _, _, _, err := pf.Resolve(planCatalog(), func(string) {}); err != nil {
		t.Fatal(err)
	}
	if err := pf.CheckEffect(planCatalog(), "calibrated", func(string) {}); err == nil || !strings.Contains(err.Error(), "plan.yaml:") || !strings.Contains(err.Error(), "moe_imbalance changes nothing at ep 1") {
		t.Errorf("ep 1: %v, want moe_imbalance refused with its line", err)
	}
}

// TestFirstStageWeights: with a pipeline, the memory is the first stage's, which holds
// its share of the layers and the input embedding (Megatron-LM's theoretical memory,
// the most loaded shard), not 1/pp of every parameter. By hand, Llama 3 8B (32 layers of
// 4096·(4096 + 2·8·4096/32) + 4096² + 3·4096·14,336 = 218,103,808 weights, embedding
// 128,256 × 4096 = 525,336,576) at pp 32: one layer and the embedding, 743,440,384 ×
// 2 B = 1.486880768 GB in BF16, where the even split said 8.03e9/32 · 2 B = 0.501875 GB;
// at pp 2 both give 8.03 GB (16 layers and one of the two 525M tables). The fleet study
// counts the same.
func TestFirstStageWeights(t *testing.T) {
	const mem = "version: 1\nstudy: train-memory\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [bf16]\n" +
		"  batch_size: [32]\n  seq_len: [4096]\n  pp: [%d]\n  dp: [1]\n  microbatches: [32]\n"
	checkGolden(t, evalOne(t, fmt.Sprintf(mem, 32)), []golden{{"weights_gb", 743440384 * 2e-9, 1e-12}})
	checkGolden(t, evalOne(t, fmt.Sprintf(mem, 2)), []golden{{"weights_gb", 8.03, 1e-9}})
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Lab_64_H100\n  nodes: 4\n  precision: bf16\n  batch_size: 32\n" +
		"  seq_len: 4096\n  tp: 1\n  pp: 32\n  microbatches: 32\naxes:\n  model: [Llama3_8B]\n"
	checkGolden(t, evalOne(t, fleet), []golden{{"weights_gb", 743440384 * 2e-9, 1e-12}})
}

// TestTrainMemoryTakesTheFleetsDefaults: train-memory takes the fleet study's
// flash_attention, fp32_gradients and cp (with its own defaults: unfused, gradients in
// the training precision, cp 1, the accounting of the sources it reproduces), so the
// fleet's default run — FlashAttention, FP32 gradients, here Llama 3 70B at 32K tokens
// with cp 2 — counts the same memory on both surfaces (130.7 GB). Before, train-memory
// fixed the three: the run could not be expressed there, and its nearest layout (dp 4
// for the cp ranks, one 32K sequence a microbatch) counted 126.8 GB (unfused attention's
// dropout masks, BF16 gradients).
func TestTrainMemoryTakesTheFleetsDefaults(t *testing.T) {
	const mem = "version: 1\nstudy: train-memory\nprofile: calibrated\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n  precision: [bf16]\n" +
		"  batch_size: [16]\n  seq_len: [32768]\n  tp: [8]\n  pp: [2]\n  dp: [2]\n  microbatches: [4]\n  zero_stage: [1]\n  sequence_parallel: [true]\n" +
		"  cp: [2]\n  flash_attention: [true]\n  fp32_gradients: [true]\n"
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Lab_64_H100\n  nodes: 8\n  precision: bf16\n  batch_size: 16\n" +
		"  seq_len: 32768\n  tp: 8\n  pp: 2\n  cp: 2\n  microbatches: 4\n  zero_stage: 1\naxes:\n  model: [Llama3_70B]\n"
	m, f := evalOne(t, mem), evalOne(t, fleet)
	for _, p := range [][2]string{{"weights_gb", "weights_gb"}, {"gradients_gb", "gradients_gb"}, {"optimizer_state_gb", "optimizer_state_gb"},
		{"activations_gb", "activations_gb"}, {"communication_buffers_gb", "buffers_gb"}, {"total_memory_gb", "memory_per_accelerator_gb"}} {
		if m[p[0]] != f[p[1]] {
			t.Errorf("train-memory %s = %v, fleet %s = %v", p[0], m[p[0]], p[1], f[p[1]])
		}
	}
	if m["infeasible_reason"] != f["infeasible_reason"] {
		t.Errorf("train-memory %v, fleet %v", m["infeasible_reason"], f["infeasible_reason"])
	}
	// A seq_len that does not cut into 2·cp chunks is refused on both.
	r := evalOne(t, strings.Replace(mem, "seq_len: [32768]", "seq_len: [32770]", 1))
	if r["infeasible_reason"] != "seq_len_does_not_divide_by_cp" {
		t.Errorf("seq_len 32770 at cp 2: %v", r["infeasible_reason"])
	}
}
