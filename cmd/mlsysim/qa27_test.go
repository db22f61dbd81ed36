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

// TestEvalWhyNamesTheActivationTraffic: a memory-bound whole-model roofline moves the
// weights and 0.1 × the weights per sample; at batch 256 the scorecard said "each step
// streams the weights from memory (127.5 ms)" of Llama3_8B on an H100, whose 16.06 GB of
// weights take 4.8 ms at 3.35 TB/s. By hand the activations are 25.6/26.6 = 96.2 % of the
// traffic at batch 256 and 0.1/1.1 = 9.1 % at batch 1.
func TestEvalWhyNamesTheActivationTraffic(t *testing.T) {
	for _, c := range []struct{ batch, share string }{{"256", "96.2 % of it at batch 256"}, {"1", "9.1 % of it at batch 1"}} {
		r := mlsysim(t, "eval", "Llama3_8B", "H100", "-b", c.batch)
		if r.code != exitOK {
			t.Fatalf("eval -b %s: %v", c.batch, r)
		}
		if !strings.Contains(r.stdout, "streams the weights and the modelled activation traffic (0.1 × the weights per sample, "+c.share+")") {
			t.Errorf("eval -b %s: Why does not name the activation traffic's share %q:\n%s", c.batch, c.share, r.stdout)
		}
	}
}
