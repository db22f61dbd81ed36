//go:build cgo && !lean

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTrainingNeedsTheFormatsRate: eval --training and a fleet plan in a format the
// accelerator states no rate for are bad input naming the flag or plan line, the
// formats it does state and the accelerators that state this one
// (sweep.TrainingPrecisionPath); before, fp8 on an A100 trained at its 16-bit peak with
// a warning and exit 0, and a fleet plan of A100s at fp8 said nothing. Inference there
// keeps the seed's warning, and a stated format trains.
func TestTrainingNeedsTheFormatsRate(t *testing.T) {
	fleet := func(name, cluster, precision string) string {
		return writePlan(t, name+".yaml", "version: \"1.0\"\nname: fp8\nworkload: {name: Llama3_8B, batch_size: 32, seq_len: 2048}\n"+
			"hardware: {cluster: "+cluster+", precision: "+precision+"}\nparallelism: {tp: 8, microbatches: 2, zero_stage: 3}\n")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"eval A100 fp8 training", []string{"eval", "Llama3_8B", "A100", "--training", "-p", "fp8"}, exitBadInput,
			[]string{"--precision", "A100 states no fp8 rate", "bf16", "H100"}},
		{"eval TPUv4 fp32 training seed", []string{"--profile", "seed", "eval", "GPT2", "TPUv4", "--training", "-p", "fp32"}, exitBadInput,
			[]string{"--precision", "TPUv4 states no fp32 rate", "(fp16, bf16)"}},
		{"eval A100 fp8 inference", []string{"eval", "GPT2", "A100", "-p", "fp8"}, exitOK, []string{"A100 states no fp8 rate; using its default peak"}},
		{"eval H100 fp8 training", []string{"eval", "GPT2", "H100", "--training", "-p", "fp8", "-s", "1024"}, exitOK, nil},
		{"fleet plan A100 fp8", []string{"eval", fleet("a100-fp8", "Vela_A100_128", "fp8")}, exitBadInput,
			[]string{"a100-fp8.yaml:4: hardware.precision", "A100 states no fp8 rate", "H100"}},
		{"fleet plan A100 bf16", []string{"eval", fleet("a100-bf16", "Vela_A100_128", "bf16")}, exitOK, nil},
		{"fleet plan H100 fp8", []string{"eval", fleet("h100-fp8", "Lab_64_H100", "fp8")}, exitOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tc.code, r)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q\n%v", want, r)
				}
			}
		})
	}
}

// TestSplitMultipliesOut: the fleet scorecard's and optimize parallelism's split names
// degrees whose product is the accelerator count. The calibrated step carves ep out of
// dp (dp = N/(tp·cp·pp)), so "dp 16 × tp 2 × pp 2 × ep 8" for 64 H100s read as 512; the
// seed's dp is N/(tp·pp·ep), where the four multiply out.
func TestSplitMultipliesOut(t *testing.T) {
	mixtral := func(par string) string {
		return writePlan(t, "mixtral.yaml", "version: \"1.0\"\nname: moe\nworkload: {name: Mixtral_8x7B, batch_size: 256, seq_len: 4096}\n"+
			"hardware: {cluster: Lab_64_H100, precision: bf16}\nparallelism: {"+par+"}\n")
	}
	degree := regexp.MustCompile(`\b(tp|cp|pp|dp|ep) (\d+)( within dp)?`)
	for _, tc := range []struct {
		name string
		args []string
		line string // the line that names the split
	}{
		{"eval ep within dp", []string{"eval", mixtral("tp: 2, pp: 2, ep: 8, microbatches: 8, virtual_stages: 2, zero_stage: 1")}, "Scaling Efficiency"},
		{"eval cp and ep", []string{"eval", mixtral("tp: 2, pp: 2, cp: 2, ep: 4, microbatches: 8, zero_stage: 1")}, "Scaling Efficiency"},
		{"eval seed", []string{"--profile", "seed", "eval", planFixture("g5-research256.yaml")}, "Scaling Efficiency"},
		{"optimize parallelism ep", []string{"optimize", "parallelism", mixtral("ep: 8, microbatches: 4, zero_stage: 1")}, "Best split"},
		{"optimize parallelism seed", []string{"--profile", "seed", "optimize", "parallelism", planFixture("g5-research256.yaml")}, "Best split"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, tc.args...)
			if r.code != exitOK {
				t.Fatalf("%v", r)
			}
			i := strings.Index(r.stdout, tc.line)
			if i < 0 {
				t.Fatalf("no %q line\n%v", tc.line, r)
			}
			line, _, _ := strings.Cut(r.stdout[i:], "\n")
			product := 1
			for _, m := range degree.FindAllStringSubmatch(line, -1) {
				if m[3] == "" {
					d, _ := strconv.Atoi(m[2])
					product *= d
				}
			}
			want := 64
			if strings.Contains(tc.name, "seed") {
				want = 256 // Research_256
			}
			if product != want {
				t.Errorf("%q multiplies out to %d accelerators, want %d", line, product, want)
			}
		})
	}
}

// TestEvalTrainingTextAgreesWithJSON: eval --training's text and markdown state the
// JSON's tokens per step in full (%.4g printed 16,384 as 1.638e+04, and a plan's
// 2,097,152 as 2.09715e+06), its tokens per second to the unit from 10,000 on, and its
// MFU and HFU to a tenth of a percent; tokens per step is batch × seq_len.
func TestEvalTrainingTextAgreesWithJSON(t *testing.T) {
	for _, args := range [][]string{
		{"Llama3_8B", "H100", "--training", "-b", "4", "-s", "4096"},
		{"Llama3_70B", "H100", "--training", "--zero-stage", "3", "--dp-size", "64", "--activation-recomputation"},
		{"GPT2", "A100", "--training", "-b", "48", "-s", "1024", "-p", "bf16"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			j := mlsysim(t, append([]string{"eval", "-o", "json"}, args...)...)
			if j.code != exitOK {
				t.Fatalf("%v", j)
			}
			obj := oneObject(t, j.stdout)
			tokens, rate := obj["p_tokens_per_step"].(float64), obj["p_tokens_per_s"].(float64)
			batch, seq := 1.0, 2048.0
			for i, a := range args {
				switch a {
				case "-b":
					batch, _ = strconv.ParseFloat(args[i+1], 64)
				case "-s":
					seq, _ = strconv.ParseFloat(args[i+1], 64)
				}
			}
			if tokens != batch*seq {
				t.Errorf("p_tokens_per_step %v, want batch × seq_len = %v", tokens, batch*seq)
			}
			want := []string{groupDigits(tokens) + " per step", fmtTokenRate(rate) + " per second",
				fmt.Sprintf("%.1f %% / %.1f %%", 100*obj["p_mfu"].(float64), 100*obj["p_hfu"].(float64))}
			for _, format := range []string{"text", "markdown"} {
				r := mlsysim(t, append([]string{"eval", "-o", format}, args...)...)
				for _, w := range want {
					if !strings.Contains(r.stdout, w) {
						t.Errorf("%s lacks %q\n%s", format, w, r.stdout)
					}
				}
			}
		})
	}
	for _, tc := range []struct {
		rate float64
		want string
	}{{1433.4, "1433"}, {9999.4, "9999"}, {11681.2, "11,681"}, {1.0486e6, "1,048,600"}} {
		if got := fmtTokenRate(tc.rate); got != tc.want {
			t.Errorf("fmtTokenRate(%v) = %q, want %q", tc.rate, got, tc.want)
		}
	}
}

// TestDocumentedCommandsRun runs every command of README's "Use" block that needs no
// earlier output, no local file of the reader's and no device probe (and is not the
// optimize serving search, which other tests run), and the plans shown
// whole in docs/PLAN.md, and holds each to exit 0: the docs are a contract (PLAN.md's
// cluster example carried the seed's efficiency, which the default profile refuses, so a
// reader who copied it got exit 1).
func TestDocumentedCommandsRun(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, use, _ := strings.Cut(string(readme), "## Use\n\n```sh\n")
	use, _, _ = strings.Cut(use, "```")
	var ran int
	for _, line := range strings.Split(use, "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		args := strings.Fields(cmd)
		if len(args) < 2 || args[0] != "bin/mlsysim" || strings.ContainsAny(cmd, `'"`) ||
			slices.ContainsFunc(args, func(a string) bool {
				return strings.HasPrefix(a, "out/") || strings.HasPrefix(a, "my") || strings.HasPrefix(a, "path/") ||
					strings.HasPrefix(a, "mlsysim-local") || a == "audit" || a == "sweep" || a == "--plot"
			}) {
			continue
		}
		args = args[1:]
		if strings.HasPrefix(cmd, "bin/mlsysim optimize serving") {
			continue // a search of seconds (minutes under -race): TestOptimizeServing* run it
		}
		for i, a := range args {
			if strings.HasPrefix(a, "testdata/") {
				args[i] = filepath.Join("..", "..", a)
			}
		}
		ran++
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if r := mlsysim(t, args...); r.code != exitOK {
				t.Errorf("README: %s\n%v", strings.TrimSpace(cmd), r)
			} else if strings.Contains(r.stdout, "Feasibility  FAIL") {
				// An example shows a scenario that runs: the three FP8 and eager
				// training lines once trained an 8B model on one H100 unsharded,
				// out of memory with exit 0.
				t.Errorf("README: %s: the example does not fit\n%v", strings.TrimSpace(cmd), r)
			}
		})
	}
	if ran < 10 {
		t.Errorf("ran %d README commands; the Use block should hold more", ran)
	}
	plans, err := os.ReadFile("../../docs/PLAN.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(plans), "```yaml\n")[1:]
	for i, b := range blocks {
		b, _, _ = strings.Cut(b, "```")
		if !strings.Contains(b, "workload:") || strings.Contains(b, "name: H100") && strings.Contains(b, "node_count:") {
			continue // not a plan, or the format reference (every key at once)
		}
		t.Run(fmt.Sprintf("PLAN.md block %d", i+1), func(t *testing.T) {
			if r := mlsysim(t, "eval", writePlan(t, "plan.yaml", b)); r.code != exitOK && r.code != exitAssert {
				t.Errorf("%s\n%v", b, r)
			}
		})
	}
}
