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
