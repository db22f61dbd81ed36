//go:build cgo

package main

import (
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
hardware: {cluster: Research_256, precision: fp16, efficiency: 0.5}
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
						want = "none of --hardware H100"
					}
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr lacks %q\n%v", want, r)
					}
				}
			}
		})
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
