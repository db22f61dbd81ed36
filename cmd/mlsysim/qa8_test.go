//go:build cgo && !lean

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOptimizeParallelismSearchesMicrobatches: optimize parallelism replaces the plan's tp
// and pp, so the plan's microbatches are checked against the splits it searches, not the
// plan's own. Microbatches 16 of a batch of 1024 on Research_256 exceed the 4 samples of
// dp 256 at tp 1 · pp 1 (the default split), but fit tp 2 · pp 2 (dp 64: 1024 / (64 · 16)
// = 1 sequence each); the plan used to be refused as bad input. 2048 microbatches fit no
// split (at most 1024 sequences on a rank) and stay refused, naming the line, where the
// plan's microbatches are kept (--microbatches plan); the calibrated search over
// microbatch counts (issue #15) replaces them and notes so.
func TestOptimizeParallelismSearchesMicrobatches(t *testing.T) {
	plan := func(par string) string {
		return writePlan(t, "op.yaml", "version: \"1.0\"\nname: op\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"+
			"hardware: {cluster: Research_256, precision: bf16}\nparallelism: {"+par+"zero_stage: 1}\n")
	}
	for _, tc := range []struct {
		name, par string
		seed      bool
		code      int
		want      string
	}{
		{"default split", "microbatches: 16, ", false, exitOK, "Best split: "},
		{"tp 1 pp 1", "tp: 1, pp: 1, microbatches: 16, ", false, exitOK, "Best split: "},
		{"seed", "microbatches: 16, ", true, exitOK, "Best split: "},
		{"none fits", "microbatches: 2048, ", false, exitBadInput, "op.yaml:5: microbatches = 2048 exceed"},
		{"none fits, searched", "microbatches: 2048, ", false, exitOK, "op.yaml:5: parallelism.microbatches is not used: optimize parallelism searches it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"optimize", "parallelism", plan(tc.par)}
			if tc.name == "none fits" {
				args = append(args, "--microbatches", "plan")
			}
			if tc.seed {
				args = append([]string{"--profile", "seed"}, args...)
			}
			r := mlsysim(t, args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Fatalf("exit %d, want %d and %q\n%v", r.code, tc.code, tc.want, r)
			}
			if tc.code == exitOK && strings.Contains(r.stdout, "Best split: tp 1 × pp 1 ") {
				t.Errorf("the best split is dp 256, whose 4 samples cannot make 16 microbatches\n%v", r)
			}
		})
	}
}

// TestIntegerTrainingIsBadInput: under calibrated, eval --training and a fleet plan in
// int8 or int4 are bad input naming the flag or plan line and what to train in instead
// (sweep.IntegerTraining); an H100 used to train in int8 at its int8 tensor rate, twice
// its bf16 peak, with exit 0. The seed's rule keeps pricing it, and inference in int8 is
// unchanged.
func TestIntegerTrainingIsBadInput(t *testing.T) {
	fleet := func(precision string) string {
		return writePlan(t, "int.yaml", "version: \"1.0\"\nname: int\nworkload: {name: Llama3_8B, batch_size: 32, seq_len: 2048}\n"+
			"hardware: {cluster: Lab_64_H100, precision: "+precision+"}\nparallelism: {tp: 8, microbatches: 2, zero_stage: 3}\n")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"eval int8", []string{"eval", "Llama3_8B", "H100", "--training", "-p", "int8"}, exitBadInput, []string{"--precision", "int8 is an inference format", "bf16"}},
		{"eval int4", []string{"eval", "GPT2", "H100", "--training", "-p", "int4", "-s", "1024"}, exitBadInput, []string{"--precision", "int4 is an inference format"}},
		{"eval int8 json", []string{"eval", "GPT2", "H100", "--training", "-p", "int8", "-o", "json"}, exitBadInput, []string{"int8 is an inference format"}},
		{"plan int8", []string{"eval", fleet("int8")}, exitBadInput, []string{"int.yaml:4: hardware.precision", "int8 is an inference format"}},
		{"optimize parallelism int8", []string{"optimize", "parallelism", fleet("int8")}, exitBadInput, []string{"int.yaml:4", "int8 is an inference format"}},
		{"eval int8 inference", []string{"eval", "GPT2", "H100", "-p", "int8"}, exitOK, nil},
		{"eval int8 seed", []string{"--profile", "seed", "eval", "GPT2", "H100", "--training", "-p", "int8"}, exitOK, nil},
		{"plan bf16", []string{"eval", fleet("bf16")}, exitOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tc.code, r)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr+r.stdout, want) {
					t.Errorf("output lacks %q\n%v", want, r)
				}
			}
		})
	}
}

// TestFleetRanksByTokensNotStep: a fleet grid that sweeps the batch compares steps of
// different work, so its best point, its report's best-point table and its Pareto
// frontier rank tokens per second, not the step. Llama-3 8B on 64 H100s: batch 64 at tp 1
// · pp 4 steps in 546 ms (240k tokens/s), batch 1024 at tp 8 · pp 1 in 4.3 s (489k
// tokens/s); the summary named batch 64 best, "lowest step_latency_ms".
func TestFleetRanksByTokensNotStep(t *testing.T) {
	grid := writeGrid(t, "version: 1\nname: fb\nstudy: fleet\nfixed:\n  cluster: Research_256\n  seq_len: 2048\n  microbatches: 4\n"+
		"axes:\n  model: [Llama3_8B]\n  nodes: [8]\n  batch_size: [64, 1024]\n  tp: [1, 8]\n  pp: [1, 4]\n")
	out := filepath.Join(t.TempDir(), "fb")
	r := mlsysim(t, "sweep", grid, "--out", out)
	if r.code != exitOK {
		t.Fatal(r)
	}
	best := regexp.MustCompile(`best feasible point per model \(highest tokens_per_s\):\n\s+Llama3_8B\s+(\S+)\s+point \d+: batch_size=(\d+) tp=(\d+) pp=(\d+)`).FindStringSubmatch(r.stderr + r.stdout)
	if best == nil {
		t.Fatalf("no best point by tokens_per_s in the summary\n%v", r)
	}
	// The best by tokens/s, computed over the rows themselves.
	q := mlsysim(t, "query", "--sql", "SELECT batch_size, tp, pp, tokens_per_s FROM results WHERE feasible ORDER BY tokens_per_s DESC LIMIT 1", out, "-o", "csv")
	if q.code != exitOK {
		t.Fatal(q)
	}
	rows := strings.Split(strings.TrimSpace(q.stdout), "\n")
	want := strings.Split(rows[len(rows)-1], ",")
	if best[2] != want[0] || best[3] != want[1] || best[4] != want[2] || want[0] != "1024" {
		t.Errorf("best point batch %s tp %s pp %s, want the highest tokens/s: %v", best[2], best[3], best[4], want)
	}
	html := filepath.Join(t.TempDir(), "fb.html")
	if r := mlsysim(t, "report", out, "--out", html); r.code != exitOK {
		t.Fatal(r)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"highest tokens_per_s", "tokens_per_s:max"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Contains(string(page), "lowest step_latency_ms") {
		t.Error("report ranks by the step time")
	}
}

// TestServeLoadedPerAccelerator: under --qps the per-accelerator rate, the per-user rate
// and the cost are the steady state's (qps · output_tokens over the accelerators; 1000 /
// load_tpot_ms), not the full batch's Tokens/s line divided out; the text says so beside
// the full batch's rate (Llama-3 70B fp8 on 4 H100s at 2 requests/s: 2 · 256 / 4 = 128
// tokens/s per accelerator, where the batch of 64 makes 1207), and JSON carries the same.
func TestServeLoadedPerAccelerator(t *testing.T) {
	args := []string{"serve", "Llama3_70B", "H100", "-p", "fp8", "--tp", "4", "-b", "64", "--qps", "2"}
	r := mlsysim(t, append(args, "-o", "json")...)
	if r.code != exitOK {
		t.Fatal(r)
	}
	var j map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
		t.Fatal(err)
	}
	f := func(k string) float64 { v, _ := j[k].(float64); return v }
	if got := f("tokens_per_s_per_accelerator"); got != 2*256/4.0 {
		t.Errorf("tokens_per_s_per_accelerator %g, want 2 · 256 / 4 = 128", got)
	}
	if got, want := f("tokens_per_s_per_user"), 1000/f("load_tpot_ms"); math.Abs(got-want) > 1e-9*want {
		t.Errorf("tokens_per_s_per_user %g, want 1000 / load_tpot_ms = %g", got, want)
	}
	text := mlsysim(t, args...)
	want := fmt.Sprintf("128.0 tokens/s at %.0f W under 2 requests/s (the full batch: %.1f tokens/s)", f("power_w"), f("tokens_per_sec")/4)
	if text.code != exitOK || !strings.Contains(text.stdout, want) {
		t.Errorf("text lacks %q\n%v", want, text)
	}
}

// TestServeCapacityRanksByCost: a serve-capacity grid over loads names the point that
// serves a generated token cheapest best, not the one with the fewest replicas, which is
// always the lowest load (1 request/s on one H100 at $2.91 per million tokens "beat" 100
// requests/s on three at $0.088).
func TestServeCapacityRanksByCost(t *testing.T) {
	grid := writeGrid(t, "version: 1\nname: sc\nstudy: serve-capacity\nfixed:\n  efficiency: 0.5\n  max_batch_size: 32\n  target_p99_ms: 30000\n"+
		"axes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp8]\n  qps: [1, 100]\n")
	out := filepath.Join(t.TempDir(), "sc")
	r := mlsysim(t, "sweep", grid, "--out", out)
	if r.code != exitOK {
		t.Fatal(r)
	}
	best := regexp.MustCompile(`best feasible point per model \(lowest usd_per_million_tokens\):\n\s+Llama3_8B\s+\S+\s+point \d+: qps=(\S+)`).FindStringSubmatch(r.stderr + r.stdout)
	if best == nil {
		t.Fatalf("no best point by usd_per_million_tokens in the summary\n%v", r)
	}
	q := mlsysim(t, "query", "--sql", "SELECT qps, replicas FROM results WHERE feasible ORDER BY usd_per_million_tokens LIMIT 1", out, "-o", "csv")
	rows := strings.Split(strings.TrimSpace(q.stdout), "\n")
	if q.code != exitOK || len(rows) != 2 {
		t.Fatal(q)
	}
	if cheapest := strings.Split(rows[1], ",")[0]; best[1] != cheapest || cheapest != "100" {
		t.Errorf("best point at qps %s; the cheapest per token is at qps %s (want 100)", best[1], cheapest)
	}
}
