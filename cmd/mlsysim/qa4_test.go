//go:build cgo && !lean

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePlan writes a plan into the test's temporary folder.
func writePlan(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOptimizePlacementNeedsAFeasibleSplit: Llama-3 405B in fp16 holds 810 GB of
// weights alone (405e9 × 2 bytes), so tp 1 × pp 1 on 80 GiB H100s cannot run; a
// placement for it is not a recommendation, and the command exits 2 naming the miss.
func TestOptimizePlacementNeedsAFeasibleSplit(t *testing.T) {
	plan := writePlan(t, "oom.yaml", `version: "1.0"
name: OOM placement
workload: {name: Llama3_405B, batch_size: 256, seq_len: 2048}
hardware: {cluster: Research_256, precision: fp16}
ops: {duration_days: 30}
`)
	for _, format := range []string{"text", "json"} {
		r := mlsysim(t, "optimize", "placement", plan, "--regions", "US_Avg,Quebec", "-o", format)
		if r.code != exitPhysics {
			t.Fatalf("-o %s: exit %d, want 2\n%v", format, r.code, r)
		}
		for _, want := range []string{"out_of_memory", "GB per accelerator"} {
			if !strings.Contains(r.stdout+r.stderr, want) {
				t.Errorf("-o %s: stderr lacks %q\n%v", format, want, r)
			}
		}
		if strings.Contains(r.stdout, "Best region") || strings.Contains(r.stdout, "best_region") {
			t.Errorf("-o %s: an infeasible split is recommended\n%v", format, r)
		}
	}
}

// TestFP4NeedsAnFP4Rate: fp4 on an accelerator whose catalog entry states no fp4 rate
// (H100: fp32, tf32, fp8, int8 only) is refused by every command that names one
// accelerator, naming where the precision came from; on B200 (fp4 9000 TFLOP/s) it runs.
func TestFP4NeedsAnFP4Rate(t *testing.T) {
	plan := func(hw string) string {
		return writePlan(t, hw+".yaml", "version: \"1.0\"\nname: fp4\nworkload: {name: Llama3_8B, batch_size: 1}\nhardware: {name: "+hw+", precision: fp4}\n")
	}
	search := []string{"--qps", "5", "--ttft-ms", "500", "--itl-ms", "50", "--max-batch", "4", "--disaggregated", "off"}
	target := append(search, "--precision", "fp4")
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		where string
	}{
		{"serve H100", []string{"serve", "Llama3_8B", "H100", "-p", "fp4"}, exitBadInput, "--precision"},
		{"eval H100", []string{"eval", "Llama3_8B", "H100", "-p", "FP4"}, exitBadInput, "--precision"},
		{"eval plan H100", []string{"eval", plan("H100")}, exitBadInput, "H100.yaml:4: hardware.precision"},
		{"optimize serving H100", append([]string{"optimize", "serving", "Llama3_8B", "--hardware", "H100"}, target...), exitBadInput, "--precision"},
		{"serve B200", []string{"serve", "Llama3_8B", "B200", "-p", "fp4"}, exitOK, ""},
		{"eval plan B200", []string{"eval", plan("B200")}, exitOK, ""},
		{"optimize serving B200", append([]string{"optimize", "serving", "Llama3_8B", "--hardware", "B200"}, target...), exitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tc.code, r)
			}
			if tc.code == exitBadInput {
				for _, want := range []string{tc.where, "states no fp4 rate", "B200"} {
					if tc.name == "optimize serving H100" && want == "states no fp4 rate" {
						want = "none of fp4 runs on --hardware H100"
					}
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr lacks %q\n%v", want, r)
					}
				}
			}
		})
	}
	// The default precisions (fp16, fp8, int8, int4) on an accelerator without an fp8 rate:
	// fp8 is left out quietly, as --help says, and the rest is searched.
	if r := mlsysim(t, append([]string{"optimize", "serving", "Llama3_8B", "--hardware", "A100"}, search...)...); r.code != exitOK || strings.Contains(r.stderr, "not searched") {
		t.Errorf("default precisions on A100: %v", r)
	}
	// Searching H100 and B200 at fp4 and int4: fp4 rows are B200's only, and the skip is said.
	r := mlsysim(t, append([]string{"optimize", "serving", "Llama3_8B", "--hardware", "H100,B200", "-o", "json"}, append(search, "--precision", "fp4,int4")...)...)
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	if !strings.Contains(r.stderr, "fp4 is not searched on H100") {
		t.Errorf("no note that fp4 skips H100\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	for _, list := range []string{"top_candidates", "frontier"} {
		for _, c := range obj[list].([]any) {
			if m := c.(map[string]any); m["precision"] == "fp4" && m["hardware"] != "B200" {
				t.Errorf("%s holds fp4 on %v", list, m["hardware"])
			}
		}
	}
}

// TestOptimizerPlanKeysChangeTheAnswer holds the optimizers that read a plan to
// TestPlanKeysChangeTheAnswer's rule: each key, at two values, changes the answer, or
// is refused (exit 1 naming its plan line and "changes nothing"), or is noted as not
// used (the optimizer's search or flags replace it, or it is a block of the seed's
// format the optimizer ignores).
func TestOptimizerPlanKeysChangeTheAnswer(t *testing.T) {
	const (
		head  = "version: \"1.0\"\nname: effect\n"
		place = head + "workload: {name: Llama3_8B, batch_size: 256, seq_len: 2048}\nhardware: {cluster: Research_256, precision: fp16%s}\nparallelism: {tp: 8, zero_stage: 1%s}\nops: {duration_days: 30%s}\n%s"
		par   = head + "workload: {name: Llama3_8B, batch_size: 64, seq_len: 2048}\nhardware: {cluster: Lab_64_H100, precision: fp16%s}\nparallelism: {zero_stage: 1%s}\n%s"
		batch = head + "workload: {name: Llama3_8B, seq_len: %s}\nhardware: {name: H100, accelerators: 16, accelerators_per_node: 8%s}\n%s"
	)
	const assert = "constraints:\n  assert:\n    - {metric: performance.step_latency, max: %s}\n"
	type outcome int
	const (
		changes outcome = iota
		refused
		noted
	)
	placement := []string{"optimize", "placement", "--regions", "Quebec,Iowa"}
	parallelism := []string{"optimize", "parallelism"}
	batching := []string{"optimize", "batching", "--sla-ms", "22000", "--qps", "20", "--max-batch", "64"}
	cases := []struct {
		name, profile, key string
		cmd                []string
		a, b               string
		want               outcome
	}{
		// The seed's optimizer prices power at the plan's efficiency; the calibrated fleet
		// draws what its step does, as eval, and refuses it there (qa27).
		{"placement efficiency seed", "seed", "hardware.efficiency", placement, fmt.Sprintf(place, ", efficiency: 0.3", "", "", ""), fmt.Sprintf(place, ", efficiency: 0.9", "", "", ""), changes},
		{"placement efficiency", "calibrated", "hardware.efficiency", placement, fmt.Sprintf(place, ", efficiency: 0.3", "", "", ""), fmt.Sprintf(place, ", efficiency: 0.9", "", "", ""), refused},
		{"placement days", "calibrated", "ops.duration_days", placement, fmt.Sprintf(place, "", "", "", ""), strings.Replace(fmt.Sprintf(place, "", "", "", ""), "duration_days: 30", "duration_days: 60", 1), changes},
		{"placement region", "calibrated", "ops.region", placement, fmt.Sprintf(place, "", "", ", region: Quebec", ""), fmt.Sprintf(place, "", "", ", region: Iowa", ""), noted},
		{"placement carbon tax", "calibrated", "ops.carbon_tax_usd_per_t", placement, fmt.Sprintf(place, "", "", ", carbon_tax_usd_per_t: 0", ""), fmt.Sprintf(place, "", "", ", carbon_tax_usd_per_t: 500", ""), noted},
		{"placement constraints", "calibrated", "constraints", placement, fmt.Sprintf(place, "", "", "", fmt.Sprintf(assert, "1")), fmt.Sprintf(place, "", "", "", fmt.Sprintf(assert, "1e9")), noted},
		{"placement virtual_stages at pp 1", "calibrated", "parallelism.virtual_stages", placement, fmt.Sprintf(place, "", "", "", ""), fmt.Sprintf(place, "", ", virtual_stages: 2", "", ""), refused},
		// The seed counts one token per sequence: its step is memory-bound above a tiny η.
		{"parallelism efficiency seed", "seed", "hardware.efficiency", parallelism, fmt.Sprintf(par, ", efficiency: 0.0001", "", ""), fmt.Sprintf(par, ", efficiency: 0.9", "", ""), changes},
		{"parallelism efficiency measured", "calibrated", "hardware.efficiency", parallelism, fmt.Sprintf(par, ", efficiency: 0.3", "", ""), fmt.Sprintf(par, ", efficiency: 0.9", "", ""), refused},
		// The calibrated search covers ZeRO stages 0–3 (issue #15): the plan's is noted
		// as replaced, and read again with --zero-stages plan.
		{"parallelism zero_stage", "calibrated", "parallelism.zero_stage", parallelism, fmt.Sprintf(par, "", "", ""), strings.Replace(fmt.Sprintf(par, "", "", ""), "zero_stage: 1", "zero_stage: 3", 1), noted},
		{"parallelism zero_stage plan", "calibrated", "parallelism.zero_stage", append(parallelism, "--zero-stages", "plan"), fmt.Sprintf(par, "", "", ""), strings.Replace(fmt.Sprintf(par, "", "", ""), "zero_stage: 1", "zero_stage: 3", 1), changes},
		{"parallelism tp", "calibrated", "parallelism.tp", parallelism, fmt.Sprintf(par, "", ", tp: 1", ""), fmt.Sprintf(par, "", ", tp: 8", ""), noted},
		{"parallelism ops", "calibrated", "ops", parallelism, fmt.Sprintf(par, "", "", "ops: {region: Quebec}\n"), fmt.Sprintf(par, "", "", "ops: {region: Iowa}\n"), noted},
		{"batching seq_len", "calibrated", "workload.seq_len", batching, fmt.Sprintf(batch, "256", "", ""), fmt.Sprintf(batch, "1024", "", ""), changes},
		{"batching efficiency", "calibrated", "hardware.efficiency", batching, fmt.Sprintf(batch, "256", ", efficiency: 0.2", ""), fmt.Sprintf(batch, "256", ", efficiency: 0.9", ""), changes},
		{"batching fabric", "calibrated", "hardware.fabric_bandwidth", batching, fmt.Sprintf(batch, "256", ", fabric_bandwidth: 10 GB/s", ""), fmt.Sprintf(batch, "256", ", fabric_bandwidth: 100 GB/s", ""), refused},
		{"batching ops", "calibrated", "ops", batching, fmt.Sprintf(batch, "256", "", "ops: {region: Quebec}\n"), fmt.Sprintf(batch, "256", "", "ops: {region: Iowa}\n"), noted},
		{"batching batch_size", "calibrated", "workload.batch_size", batching, strings.Replace(fmt.Sprintf(batch, "256", "", ""), "seq_len", "batch_size: 1, seq_len", 1), strings.Replace(fmt.Sprintf(batch, "256", "", ""), "seq_len", "batch_size: 64, seq_len", 1), noted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rs [2]cliResult
			for i, text := range []string{tc.a, tc.b} {
				path := writePlan(t, fmt.Sprintf("plan%d.yaml", i), text)
				args := append([]string{"--profile", tc.profile, "-o", "json"}, tc.cmd[:2]...)
				rs[i] = mlsysim(t, append(append(args, path), tc.cmd[2:]...)...)
			}
			a, b := rs[0], rs[1]
			switch tc.want {
			case changes:
				if a.code != exitOK || b.code != exitOK || a.stdout == b.stdout {
					t.Errorf("%s at two values: exits %d, %d and the answers differ: %v; want both 0 and different\n%v\n%v", tc.key, a.code, b.code, a.stdout != b.stdout, a, b)
				}
			case refused:
				if out := b.stdout + b.stderr; b.code != exitBadInput || !strings.Contains(out, "changes nothing") || !strings.Contains(out, "plan1.yaml:") {
					t.Errorf("%s: exit %d, want 1 naming the plan line and \"changes nothing\"\n%v", tc.key, b.code, b)
				}
			case noted:
				for _, r := range rs {
					if r.code != exitOK || !strings.Contains(r.stderr, tc.key) || !strings.Contains(r.stderr, "not") {
						t.Errorf("%s: exit %d, want 0 with a note naming it\n%v", tc.key, r.code, r)
					}
				}
			}
		})
	}
}

// TestServeNodeFlagsChangeTheAnswer: --node-size and --tp-across-nodes either change
// serve's answer against leaving them out, or are refused as changing nothing. The
// calibrated step sends a group over the fabric once it outgrows the node (tp, ep, and
// the replica's tp × pp for the pipeline's sends); the seed's has no fabric, so there
// the node only bounds tp.
func TestServeNodeFlagsChangeTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		profile      string
		layout, flag []string
		refused      bool
	}{
		{"calibrated", []string{"--tp", "2"}, []string{"--node-size", "4"}, true},
		{"calibrated", []string{"--tp", "2"}, []string{"--tp-across-nodes"}, true},
		{"calibrated", []string{"--tp", "8", "--pp", "2"}, []string{"--node-size", "16"}, false}, // the stages' sends leave the fabric
		{"calibrated", []string{"--tp", "4", "--pp", "2"}, []string{"--node-size", "4"}, false},  // and take it
		{"calibrated", []string{"--tp", "16"}, []string{"--tp-across-nodes"}, false},             // refused without it
		{"calibrated", []string{"--tp", "8"}, []string{"--node-size", "8"}, true},                // the default, stated
		{"seed", []string{"--tp", "8", "--pp", "2"}, []string{"--node-size", "16"}, true},
		{"seed", []string{"--tp", "8", "--pp", "4"}, []string{"--node-size", "32"}, true},
		{"seed", []string{"--tp", "16"}, []string{"--node-size", "16"}, false}, // tp 16 is refused in a node of 8
	} {
		name := tc.profile + " " + strings.Join(append(tc.layout, tc.flag...), " ")
		t.Run(name, func(t *testing.T) {
			args := append([]string{"--profile", tc.profile, "-o", "json", "serve", "Llama3_70B", "H100"}, tc.layout...)
			with := mlsysim(t, append(args, tc.flag...)...)
			if tc.refused {
				if with.code != exitBadInput || !strings.Contains(with.stdout, tc.flag[0]+": changes nothing") {
					t.Errorf("exit %d, want 1 with %q changing nothing\n%v", with.code, tc.flag[0], with)
				}
				return
			}
			without := mlsysim(t, args...)
			if with.code != exitOK || with.stdout == without.stdout {
				t.Errorf("exit %d; the answer with %v equals the one without (exit %d)\n%v", with.code, tc.flag, without.code, with)
			}
		})
	}
}

// TestOptimizeKeepRefusesAResult: --keep DIR keeps an optimizer's sweep, but a folder
// that already holds a result (here a fleet sweep) is left as it was — replacing it
// would lose a result with exit 0, where sweep --out asks for --overwrite.
func TestOptimizeKeepRefusesAResult(t *testing.T) {
	for _, cmd := range [][]string{
		{"optimize", "serving", "Llama3_8B", "--qps", "5", "--ttft-ms", "500", "--itl-ms", "50", "--max-batch", "4", "--hardware", "H100"},
		{"--profile", "seed", "optimize", "placement", planFixture("placement-research256.yaml"), "--regions", "Quebec"},
		{"optimize", "batching", planFixture("batching-h100.yaml"), "--sla-ms", "22000", "--qps", "5"},
	} {
		t.Run(cmd[1], func(t *testing.T) {
			dir := t.TempDir()
			spec := writePlan(t, "grid.yaml", "version: 1\nstudy: fleet\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n  tp: [8]\n")
			if r := mlsysim(t, "sweep", spec, "--out", dir); r.code != exitOK {
				t.Fatalf("the result to keep: %v", r)
			}
			before, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			r := mlsysim(t, append(cmd, "--keep", dir)...)
			if r.code != exitBadInput || !strings.Contains(r.stderr, "--keep") || !strings.Contains(r.stderr, "already holds a result") {
				t.Errorf("exit %d, want 1 naming --keep\n%v", r.code, r)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, "_manifest.json")); string(after) != string(before) {
				t.Errorf("the kept folder's result was replaced")
			}
			fresh := filepath.Join(t.TempDir(), "new")
			if r := mlsysim(t, append(cmd, "--keep", fresh)...); r.code != exitOK {
				t.Errorf("a new --keep folder: %v", r)
			} else if _, err := os.Stat(filepath.Join(fresh, "_manifest.json")); err != nil {
				t.Errorf("the sweep is not kept: %v", err)
			}
		})
	}
}

// TestSeedRefusesEngine: the serving engine's terms belong to the calibrated step, so
// under --profile seed --engine would only change the name echoed back; it is refused,
// as --step-overhead-ms is, and changes the answer under calibrated.
func TestSeedRefusesEngine(t *testing.T) {
	target := []string{"--qps", "5", "--ttft-ms", "500", "--itl-ms", "50", "--max-batch", "4", "--hardware", "H100", "--disaggregated", "off"}
	for _, cmd := range [][]string{
		{"serve", "Llama3_8B", "H100"},
		append([]string{"optimize", "serving", "Llama3_8B"}, target...),
	} {
		t.Run(cmd[0], func(t *testing.T) {
			r := mlsysim(t, append([]string{"--profile", "seed"}, append(cmd, "--engine", "trtllm")...)...)
			if r.code != exitBadInput || !strings.Contains(r.stderr, "--engine: changes nothing under the seed profile") {
				t.Errorf("seed: exit %d, want 1 refusing --engine\n%v", r.code, r)
			}
			a, b := mlsysim(t, append(cmd, "-o", "json")...), mlsysim(t, append(cmd, "-o", "json", "--engine", "trtllm")...)
			if a.code != exitOK || b.code != exitOK || strings.ReplaceAll(b.stdout, "trtllm", "vllm") == a.stdout {
				t.Errorf("calibrated: --engine trtllm changes only the name (exits %d, %d)\n%v", a.code, b.code, b)
			}
		})
	}
}
