package validation

import (
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// TestReasonSameEveryRun: a case of several points, two of them infeasible for
// different reasons under seed (Llama 3.1 405B's stages: out of memory, and more
// microbatches than a replica's samples), words its reason the same on every run —
// the points once ran in a map's order, and docs/VALIDATION.md changed from run to run.
func TestReasonSameEveryRun(t *testing.T) {
	cases, err := LoadCases("../testdata/validation")
	if err != nil {
		t.Fatal(err)
	}
	var c []*Case
	for _, k := range cases {
		if k.ID == "training_time-llama31-405b" {
			c = append(c, k)
		}
	}
	if len(c) != 1 {
		t.Fatalf("case training_time-llama31-405b: found %d", len(c))
	}
	cat := catalog.MustDefault()
	first := RunCases(cat, c, "seed")[0].Reason
	for i := 0; i < 20; i++ {
		if r := RunCases(cat, c, "seed")[0].Reason; r != first {
			t.Fatalf("run %d: reason %q, first run %q", i, r, first)
		}
	}
}
