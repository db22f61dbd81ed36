//go:build cgo && !lean

package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestEvalJSONEfficiencyIsTheRateUsed: the JSON "efficiency" of eval and of a plan is the
// fraction of peak the matmuls ran at, the rate the text header names. A calibrated
// transformer training step and a listed CNN's convolutions run at the accelerator's
// measured matmul rate and never read --efficiency, yet the JSON printed the flag's default
// 0.5 beside a header saying "matmuls at the measured 0.72 of peak" (exit 0).
//
// Golden rates, from the catalog's published source (Bekman, Machine Learning Engineering
// Open Book, compute/accelerator/README.md, Maximum Achievable Matmul FLOPS table):
// H100 SXM BF16 burst 794.5 of 989 TFLOP/s = 0.8033; at the power limit (MSMF, the H200's
// GH100 die) BF16 708.5 / 989 = 0.7164 and FP8 1288.7 / 1979 = 0.6512. Where the step
// does read the efficiency (transformer inference's roofline, the seed profile), the JSON
// keeps the flag's or the plan's value.
func TestEvalJSONEfficiencyIsTheRateUsed(t *testing.T) {
	const (
		burstBF16 = 794.5 / 989
		heldBF16  = 708.5 / 989
		heldFP8   = 1288.7 / 1979
	)
	fleet := writePlan(t, "fleet.yaml", "version: \"1.0\"\nname: fleet\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"+
		"hardware: {cluster: Research_256, precision: fp16}\nparallelism: {tp: 8, pp: 4, microbatches: 16, zero_stage: 1}\n")
	seedFleet := writePlan(t, "seed.yaml", "version: \"1.0\"\nname: seed\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"+
		"hardware: {cluster: Research_256, precision: fp16, efficiency: 0.45}\nparallelism: {tp: 8, pp: 4, microbatches: 16, zero_stage: 1}\n")
	for _, tc := range []struct {
		name     string
		args     []string
		eff, fp8 float64 // fp8 0: no efficiency_fp8 key
		header   string  // the text header's rate, when it states one
	}{
		{"training held", []string{"eval", "Llama3_70B", "H100", "--training", "-s", "4096", "-b", "8"}, heldBF16, 0, "matmuls at the measured 0.72 of peak held at the power limit"},
		{"fp8 recipe", []string{"eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "--fp8-recipe", "current"}, heldBF16, heldFP8, "at the measured 0.65 of the fp8 peak, the rest at 0.72 of the bf16 peak"},
		{"cnn burst", []string{"eval", "ResNet50", "H100", "-b", "32"}, burstBF16, 0, "matmuls at the measured 0.80 of peak"},
		{"inference roofline", []string{"eval", "Llama3_8B", "H100", "-b", "32", "-e", "0.3"}, 0.3, 0, "efficiency 0.30"},
		{"seed training", []string{"--profile", "seed", "eval", "Llama3_70B", "H100", "--training", "-e", "0.4"}, 0.4, 0, "efficiency 0.40"},
		{"fleet plan", []string{"eval", fleet}, heldBF16, 0, ""},
		{"seed fleet plan", []string{"--profile", "seed", "eval", seedFleet}, 0.45, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, append(tc.args, "-o", "json")...)
			if r.code != exitOK {
				t.Fatalf("%v", r)
			}
			obj := oneObject(t, r.stdout)
			eff, _ := obj["efficiency"].(float64)
			if math.Abs(eff-tc.eff) > 0.001 {
				t.Errorf("efficiency %v, want %.4f (the rate the matmuls ran at)", obj["efficiency"], tc.eff)
			}
			fp8, has := obj["efficiency_fp8"].(float64)
			if has != (tc.fp8 > 0) || math.Abs(fp8-tc.fp8) > 0.001 {
				t.Errorf("efficiency_fp8 %v (present %v), want %.4f", obj["efficiency_fp8"], has, tc.fp8)
			}
			if tc.header == "" {
				return
			}
			text := mlsysim(t, tc.args...)
			if head := strings.SplitN(text.stdout, "\n", 3); len(head) < 2 || !strings.Contains(head[1], tc.header) {
				t.Errorf("text header does not name %q:\n%v", tc.header, text)
			}
			if !strings.Contains(text.stdout, fmt.Sprintf("%.2f", tc.eff)) {
				t.Errorf("text does not show the JSON's efficiency %.2f:\n%v", tc.eff, text)
			}
		})
	}
}

// TestDryRunShardEstimates: sweep --dry-run --shard K/N sizes one array task, so its
// estimates are of the shard's points, not the grid's, and a shard with no part says so.
// The 28-point grid (2 models × 2 accelerators × 7 batches) in parts of 4 points is 7
// parts; shard k of 3 takes parts ⌊7(k − 1)/3⌋ … ⌊7k/3⌋ − 1 (results.PartRange), so shard
// 2/3 writes parts 2–3, points 8–15: 8 points. On one 16,384-point part shard 1/3 takes
// ⌊0⌋ … ⌊1/3⌋ − 1: none. The dry run printed "writes parts 0–-1 (0)" there, and the whole
// grid's output and time for every shard.
func TestDryRunShardEstimates(t *testing.T) {
	spec := writePlan(t, "g.yaml", "version: 1\nname: g\nstudy: serve\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  hardware: [H100, A100]\n  batch_size: {pow2: [1, 64]}\n")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"two parts", []string{"--shard", "2/3", "--part-points", "4"}, []string{"shard 2/3 writes parts 2–3 (2)", "estimated output for shard 2/3's 8 points: ", "estimated time for shard 2/3's 8 points: "}},
		{"no part", []string{"--shard", "1/3"}, []string{"shard 1/3 writes no part (1 parts for 3 shards)", "estimated output for shard 1/3's 0 points: 0 B"}},
		{"whole grid", nil, []string{"parts: 1 of 16384 points\n", "estimated output: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, append([]string{"sweep", spec, "--out", t.TempDir(), "--dry-run"}, tc.args...)...)
			if r.code != exitOK {
				t.Fatalf("%v", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("missing %q\n%v", w, r)
				}
			}
			if strings.Contains(r.stdout, "–-") {
				t.Errorf("a negative part range\n%v", r)
			}
		})
	}
}

// TestSimOneOutputToken: a request that generates one token (a prompt-only workload) has
// no time between tokens; the kernel reports TPOT 0, and the serve-sim study divided by it,
// so every grid with output_tokens 1 and serve --qps --output-tokens 1 failed whole (exit 1,
// "tokens_per_s_per_user is +Inf on a feasible row"). The user of a one-token request sees
// that token after its TTFT: tokens_per_s_per_user = 1000 / sim_ttft_mean_ms; with two
// tokens it stays 1000 / sim_tpot_mean_ms. serve's text says there is no TPOT instead of
// printing 0 ms.
func TestSimOneOutputToken(t *testing.T) {
	spec := writePlan(t, "sim.yaml", "version: 1\nname: sim\nstudy: serve-sim\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [8]\n  qps: [5]\n  output_tokens: [1, 2]\n")
	r := mlsysim(t, "sweep", spec, "--out", "-", "--format", "jsonl")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 rows\n%v", r)
	}
	for i, line := range lines {
		row := oneObject(t, line)
		if row["feasible"] != true {
			t.Fatalf("row %d infeasible: %v", i, row)
		}
		gap := row["sim_tpot_mean_ms"].(float64)
		if i == 0 {
			gap = row["sim_ttft_mean_ms"].(float64)
		}
		if got := row["tokens_per_s_per_user"].(float64); !(gap > 0) || math.Abs(got-1000/gap) > 1e-9*got {
			t.Errorf("output_tokens %v: tokens_per_s_per_user %v, want 1000 / %v", row["output_tokens"], got, gap)
		}
	}
	s := mlsysim(t, "serve", "Llama3_8B", "H100", "-b", "8", "--qps", "5", "--output-tokens", "1")
	if s.code != exitOK || !strings.Contains(s.stdout, "TPOT P50/P90/P99  none: one generated token per request") {
		t.Errorf("serve --output-tokens 1 --qps\n%v", s)
	}
}

// TestServeLoadNothingFits: serve --qps on a model whose FP16 weights (Mixtral 8x7B,
// 93.4 GB) exceed one H100's 85.9 GB printed "Capacity 0 requests/s at most (largest
// batch -54) (+Inf % used)" and load_max_batch -54 in JSON: memory holds no sequence.
func TestServeLoadNothingFits(t *testing.T) {
	r := mlsysim(t, "serve", "Mixtral_8x7B", "H100", "-b", "8", "--qps", "1")
	if r.code != exitOK || !strings.Contains(r.stdout, "Capacity          none: memory holds no sequence of 2304 tokens") ||
		strings.Contains(r.stdout, "Inf") || strings.Contains(r.stdout, "batch -") {
		t.Errorf("%v", r)
	}
	j := mlsysim(t, "serve", "Mixtral_8x7B", "H100", "-b", "8", "--qps", "1", "-o", "json")
	if obj := oneObject(t, j.stdout); obj["load_max_batch"] != 0.0 || obj["feasible"] != false {
		t.Errorf("load_max_batch %v feasible %v, want 0 and false", obj["load_max_batch"], obj["feasible"])
	}
}

// TestZooEnginesJSONPerRank: zoo engines prints an engine's all-reduce as a fixed latency
// plus a per-rank term ("8.7 µs + 520 ns/rank" for vLLM); the JSON had only the fixed one,
// so a script reading it priced every all-reduce as if one rank took part.
func TestZooEnginesJSONPerRank(t *testing.T) {
	text := mlsysim(t, "zoo", "engines")
	j := mlsysim(t, "zoo", "engines", "-o", "json")
	if text.code != exitOK || j.code != exitOK {
		t.Fatalf("%v\n%v", text, j)
	}
	var measured int
	for _, e := range oneObject(t, j.stdout)["engines"].([]any) {
		obj := e.(map[string]any)
		per, has := obj["allreduce_latency_per_rank_us"]
		if obj["allreduce"] == "nccl" {
			if !has || per != nil {
				t.Errorf("%v: allreduce_latency_per_rank_us %v, want null (NCCL's model)", obj["key"], per)
			}
			continue
		}
		measured++
		us, ok := per.(float64)
		if !ok || !(us > 0) {
			t.Errorf("%v: allreduce_latency_per_rank_us %v, want the text's per-rank term", obj["key"], per)
			continue
		}
		if want := " + " + fmtSI(us*1e-6, "s") + "/rank"; !strings.Contains(text.stdout, want) {
			t.Errorf("%v: text lacks %q (JSON %v µs)\n%s", obj["key"], want, us, text.stdout)
		}
	}
	if measured == 0 {
		t.Fatal("no engine with a measured all-reduce")
	}
}

// TestPlanEfficiencyRefusalNamesTheRateUsed: a calibrated plan's hardware.efficiency is
// refused because the step runs at the measured matmul rate; the message named H100's
// burst rate (794.5 / 989 = 0.803) for a fleet, whose training step runs at the rate held
// at the power limit (708.5 / 989 = 0.716, Bekman's MSMF; the fleet JSON's efficiency).
// A CNN's convolutions keep the burst.
func TestPlanEfficiencyRefusalNamesTheRateUsed(t *testing.T) {
	fleet := writePlan(t, "f.yaml", "version: \"1.0\"\nname: f\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"+
		"hardware: {cluster: Research_256, precision: fp16, efficiency: 0.45}\nparallelism: {tp: 8, pp: 4, microbatches: 16, zero_stage: 1}\n")
	cnn := writePlan(t, "c.yaml", "version: \"1.0\"\nname: c\nworkload: {name: ResNet50, batch_size: 32}\nhardware: {name: H100, precision: fp16, efficiency: 0.45}\n")
	for _, tc := range []struct{ plan, want string }{
		{fleet, "f.yaml:4: hardware.efficiency changes nothing under the calibrated profile: the fleet's GEMMs run at H100's measured fp16 matmul rate held at the power limit (0.716 × peak"},
		{cnn, "c.yaml:4: hardware.efficiency changes nothing under the calibrated profile: ResNet50's convolutions run at H100's measured fp16 matmul rate (0.803 × peak"},
	} {
		if r := mlsysim(t, "eval", tc.plan); r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("want exit 1 and %q\n%v", tc.want, r)
		}
	}
}
