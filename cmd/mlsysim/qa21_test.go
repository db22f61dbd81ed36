//go:build cgo && !lean

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestMFUAboveOneIsExplained: MFU's numerator counts all s² attention scores (PaLM
// App. B, Megatron-LM Eq. 3), so Llama 3 8B at 131,072 tokens on a B200 — attention
// 4·s·h = 2.1e9 FLOPs per token and layer against the linear layers' ~4.4e8 — reports
// an MFU above 1. The scorecard and a plan's performance lens say why beside the
// number; HFU, the FLOPs the causal step executes, stays at most 1 and so does the
// power it sets (energy ≤ TDP × step). Before, HFU read 1.140 beside MFU 1.140 and the
// energy was 1.409e4 J for a 12.83 s step on a 1000 W part: more than the TDP.
func TestMFUAboveOneIsExplained(t *testing.T) {
	r := mlsysim(t, "eval", "Llama3_8B", "B200", "--training", "--seq-len", "131072")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%v", r.code, r)
	}
	if !strings.Contains(r.stdout, "MFU counts all s² attention scores") {
		t.Errorf("the scorecard does not say why MFU passes 100 %%\n%s", r.stdout)
	}
	r = mlsysim(t, "eval", "Llama3_8B", "B200", "--training", "--seq-len", "131072", "-o", "json")
	var row map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &row); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	mfu, hfu := row["p_mfu"].(float64), row["p_hfu"].(float64)
	if !(mfu > 1 && hfu > 0 && hfu <= 1) {
		t.Errorf("mfu %v, hfu %v: want mfu > 1 (the convention) and hfu in (0, 1]", mfu, hfu)
	}
	// At 2,048 tokens the linear layers dominate: no note.
	r = mlsysim(t, "eval", "Llama3_8B", "B200", "--training", "--seq-len", "2048")
	if strings.Contains(r.stdout, "MFU counts all s²") {
		t.Errorf("a note on MFU above 100 %% where it is not\n%s", r.stdout)
	}
	// A plan that fits: one sequence over cp 8 on a B200 node.
	plan := writePlan(t, "long.yaml", "version: \"1.0\"\nname: long\nworkload: {name: Llama3_8B, batch_size: 1, seq_len: 131072}\n"+
		"hardware: {name: B200, node_count: 1, accelerators_per_node: 8, precision: bf16}\n"+
		"parallelism: {tp: 1, pp: 1, cp: 8, zero_stage: 3, activation_checkpointing: none}\n")
	r = mlsysim(t, "eval", plan)
	if r.code != exitOK || !strings.Contains(r.stdout, "Feasibility  [PASS]") || !strings.Contains(r.stdout, "MFU above 100 %") {
		t.Errorf("the plan's performance lens does not say why MFU passes 100 %%\n%v", r)
	}
}

// TestTrainingAdviceNamesWhatIsNotDone: the scorecard's "What would help" offers only
// what the point does not already do. Before, a run out of memory with
// --activation-recomputation was told to recompute activations (twice: once beside a
// smaller batch, once among the ways to shard the state), one under ZeRO-3 was told
// --zero-stage 3, one sequence was offered data parallelism "each with part of the
// batch", and a step already running its GEMMs under an FP8 recipe a faster format.
func TestTrainingAdviceNamesWhatIsNotDone(t *testing.T) {
	advice := func(args ...string) string {
		t.Helper()
		r := mlsysim(t, append([]string{"eval"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d\n%v", args, r.code, r)
		}
		_, after, ok := strings.Cut(r.stdout, "What would help:")
		if !ok {
			t.Fatalf("%v: no advice\n%s", args, r.stdout)
		}
		return after
	}
	for _, tc := range []struct {
		args          []string
		want, without []string
	}{
		// Activations dominate (417 of 419 GB): batch 12 fits; recomputation is on.
		{[]string{"Llama3_8B", "H100", "--training", "--activation-recomputation", "--zero-stage", "3", "--dp-size", "64", "-b", "64", "-s", "8192"},
			[]string{"-b 12 fits", "data parallelism"}, []string{"--activation-recomputation"}},
		// The state dominates: ZeRO-3 over 8 ranks and recomputation are on already.
		{[]string{"Llama3_70B", "H100", "--training", "--activation-recomputation", "--zero-stage", "3", "--dp-size", "8", "-b", "1"},
			[]string{"a --dp-size above 8", "--lora"}, []string{"--zero-stage 3", "--activation-recomputation"}},
		// Nothing applied yet: every remedy offered.
		{[]string{"Llama3_70B", "H100", "--training", "-b", "1"},
			[]string{"--zero-stage 3 --dp-size N", "--activation-recomputation", "--lora"}, nil},
		// One sequence of 131,072 tokens: no batch to split over data parallelism.
		{[]string{"Llama3_8B", "B200", "--training", "-s", "131072"},
			[]string{"--activation-recomputation", "context parallelism"}, []string{"data parallelism"}},
		// FP8 GEMMs under a recipe: no faster format to offer.
		{[]string{"Llama3_8B", "H100", "--training", "-p", "bf16", "--fp8-recipe", "current", "--zero-stage", "3", "--dp-size", "8"},
			nil, []string{"a format with a higher peak rate"}},
		{[]string{"Llama3_8B", "H100", "--training", "-p", "bf16", "--zero-stage", "3", "--dp-size", "8"},
			[]string{"a format with a higher peak rate"}, nil},
	} {
		got := advice(tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: advice lacks %q\n%s", tc.args, w, got)
			}
		}
		for _, n := range tc.without {
			if strings.Contains(got, n) {
				t.Errorf("%v: advice offers %q, which the point already does or cannot use\n%s", tc.args, n, got)
			}
		}
	}
}

// TestOptimizeShardsOverContextParallelRanks: ZeRO shards over the dp · cp ranks, so a
// context-parallel layout that fills the fleet (dp 1, cp 8) still has ZeRO 1–3 to choose
// from; optimize parallelism's filter of repeated layouts read tp · cp · pp = accelerators
// as "dp · cp is 1" and searched ZeRO-0 alone there. For Llama 3 8B, one 131,072-token
// sequence over cp 8 on a B200 node, it then answered ZeRO-0 with full recomputation
// (2.19 s: without recomputation ZeRO-0 needs 228 GB) while ZeRO-1 without recomputation
// fits (143.6 GB) and takes 1.66 s — exit 0 with a layout 32 % slower than one it was
// asked to search. The best split must be no slower than eval prices that layout.
func TestOptimizeShardsOverContextParallelRanks(t *testing.T) {
	plan := func(zero int, ckpt string) string {
		return writePlan(t, fmt.Sprintf("cp-z%d-%s.yaml", zero, ckpt), "version: \"1.0\"\nname: long\nworkload: {name: Llama3_8B, batch_size: 1, seq_len: 131072}\n"+
			"hardware: {name: B200, node_count: 1, accelerators_per_node: 8, precision: bf16}\n"+
			fmt.Sprintf("parallelism: {tp: 1, pp: 1, cp: 8, zero_stage: %d, activation_checkpointing: %s}\n", zero, ckpt))
	}
	r := mlsysim(t, "eval", plan(1, "none"), "-o", "json")
	var row map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &row); err != nil || r.code != exitOK || row["f_status"] != "PASS" {
		t.Fatalf("eval of ZeRO-1 without recomputation: exit %d, %v\n%v", r.code, err, r)
	}
	zero1 := row["p_step_latency"].(float64)
	r = mlsysim(t, "optimize", "parallelism", plan(0, "full"), "-o", "json")
	var opt struct {
		BestStep float64        `json:"best_step_time"`
		Best     map[string]any `json:"best_config"`
		Searched map[string]any `json:"searched"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &opt); err != nil || r.code != exitOK {
		t.Fatalf("optimize: exit %d, %v\n%v", r.code, err, r)
	}
	if opt.BestStep > zero1*(1+1e-12) {
		t.Errorf("optimize's best %v (%.1f ms) is slower than ZeRO-1 without recomputation, %.1f ms, a layout of its search space", opt.Best, opt.BestStep, zero1)
	}
	if z := opt.Best["zero_stage"].(float64); z == 0 {
		t.Errorf("best ZeRO stage 0: dp 1 × cp 8 shards over 8 ranks")
	}
}
