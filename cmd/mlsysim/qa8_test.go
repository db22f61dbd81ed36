//go:build cgo

package main

import (
	"strings"
	"testing"
)

// TestOptimizeParallelismSearchesMicrobatches: optimize parallelism replaces the plan's tp
// and pp, so the plan's microbatches are checked against the splits it searches, not the
// plan's own. Microbatches 16 of a batch of 1024 on Research_256 exceed the 4 samples of
// dp 256 at tp 1 · pp 1 (the default split), but fit tp 2 · pp 2 (dp 64: 1024 / (64 · 16)
// = 1 sequence each); the plan used to be refused as bad input. 2048 microbatches fit no
// split (at most 1024 sequences on a rank) and stay refused, naming the line.
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"optimize", "parallelism", plan(tc.par)}
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
