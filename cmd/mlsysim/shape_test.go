package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestEvalSaysInferredMLP: a calibrated training scorecard of a transformer whose entry
// states no intermediate_dim (GPT4: OpenAI has not published its architecture) says that
// the MLP width was inferred, with the width used; one with a stated width (GPT3, d_ff =
// 4·d_model from Brown et al. 2020) and the seed profile (which has no MLP width) do not.
func TestEvalSaysInferredMLP(t *testing.T) {
	note := regexp.MustCompile(`note: GPT4's entry states no intermediate_dim, so the layers' MLP is inferred from its parameter count \(plain, (\d+) wide per expert\)`)
	r := mlsysim(t, "eval", "GPT4", "H100", "--training")
	if r.code != exitOK || !note.MatchString(r.stdout) {
		t.Fatalf("exit %d; want the inferred-shape note\n%s", r.code, r.stdout)
	}
	for _, args := range [][]string{
		{"eval", "GPT3", "H100", "--training"},
		{"eval", "GPT4", "H100", "--training", "--profile", "seed"},
		{"eval", "GPT4", "H100"},
	} {
		if r := mlsysim(t, args...); strings.Contains(r.stdout, "intermediate_dim") {
			t.Errorf("%v: the shape is stated (or not used) here, yet the scorecard says it is inferred\n%s", args, r.stdout)
		}
	}
}
