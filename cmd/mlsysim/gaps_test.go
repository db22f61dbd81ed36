package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// csvRow sweeps a one-point grid and returns its row as column → text.
func csvRow(t *testing.T, grid string) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "grid.yaml")
	if err := os.WriteFile(path, []byte(grid), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "sweep", path, "--out", "-", "--format", "csv")
	if r.code != exitOK {
		t.Fatalf("sweep: %v", r)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("want a header and one row, got %d records (%v)\n%s", len(recs), err, r.stdout)
	}
	row := map[string]string{}
	for i, name := range recs[0] {
		row[name] = recs[1][i]
	}
	return row
}

// TestEvalTransformerExecutionAgreesWithSweep: eval --training --transformer-execution
// prices the step a one-point node grid with the same transformer_execution prices (and
// the node study is the fleet study's step on one accelerator:
// TestNodeTrainingIsOneAcceleratorFleet), for both values; eager is the slower.
func TestEvalTransformerExecutionAgreesWithSweep(t *testing.T) {
	lat := map[string]float64{}
	for _, exec := range []string{"fused", "eager"} {
		r := mlsysim(t, "eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "-s", "2048", "-b", "2", "--transformer-execution", exec, "-o", "json")
		if r.code != exitOK {
			t.Fatalf("eval %s: %v", exec, r)
		}
		obj := oneObject(t, r.stdout)
		row := csvRow(t, fmt.Sprintf("version: 1\nstudy: node\naxes:\n  model: [Llama3_8B]\nfixed:\n  hardware: H100\n  training: true\n  precision: bf16\n  seq_len: 2048\n  batch_size: 2\n  transformer_execution: %s\n", exec))
		got, err := strconv.ParseFloat(row["latency_ms"], 64)
		if err != nil {
			t.Fatalf("%s: latency_ms %q: %v", exec, row["latency_ms"], err)
		}
		near(t, obj, "p_latency", got, 1e-12)
		mem, _ := strconv.ParseFloat(row["memory_footprint_gb"], 64)
		near(t, obj, "f_memory_used_gb", mem, 1e-12)
		lat[exec] = got
	}
	// The scorecard says how the elementwise work ran.
	for exec, want := range map[string]string{"eager": "elementwise ops one kernel each", "fused": "elementwise passes"} {
		r := mlsysim(t, "eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "-s", "2048", "-b", "2", "--transformer-execution", exec)
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s: scorecard should say %q:\n%s", exec, want, r.stdout)
		}
	}
	if !(lat["eager"] > lat["fused"]) {
		t.Errorf("eager step %v ms, fused %v ms: eager runs each elementwise op as its own kernel", lat["eager"], lat["fused"])
	}
}
