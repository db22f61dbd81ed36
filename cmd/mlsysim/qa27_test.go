package main

import (
	"strings"
	"testing"
)

// TestEvalProfileCheckNamesTheFlag: a profile check of the node study (FP8 mixed
// precision beside an 8-bit precision, or under the seed profile) said "axis precision:"
// and "axis fp8_recipe:", a grid's words, to a user who typed flags; it names the flag now,
// as eval's own checks do, in text and in the JSON error.
func TestEvalProfileCheckNamesTheFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--fp8-recipe", "current", "-p", "fp8"}, "--precision: fp8 beside fp8_recipe"},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--fp8-recipe", "current", "-p", "int8"}, "--precision: int8 beside fp8_recipe"},
		{[]string{"--profile", "seed", "eval", "Llama3_8B", "H100", "--training", "--fp8-recipe", "current", "-p", "bf16"}, "--fp8-recipe: FP8 mixed precision is a term of the calibrated training step"},
	} {
		r := badRun(t, exitBadInput, []string{c.flag}, c.args...)
		if strings.Contains(r.stderr, "axis ") {
			t.Errorf("%s: %s", strings.Join(c.args, " "), r.stderr)
		}
		r = badRun(t, exitBadInput, []string{c.flag}, append([]string{"-o", "json"}, c.args...)...)
		if obj := oneObject(t, r.stdout); !strings.HasPrefix(obj["reason"].(string), c.flag) {
			t.Errorf("%s -o json: reason %q, want it to start %q", strings.Join(c.args, " "), obj["reason"], c.flag)
		}
	}
}
