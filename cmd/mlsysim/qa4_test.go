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
