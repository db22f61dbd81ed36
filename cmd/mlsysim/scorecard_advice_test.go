package main

import (
	"regexp"
	"strings"
	"testing"
)

// adviceLines returns the bullets under "What would help:" of a text scorecard.
func adviceLines(out string) []string {
	_, after, _ := strings.Cut(out, "What would help:\n")
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		if b, ok := strings.CutPrefix(strings.TrimSpace(l), "• "); ok {
			lines = append(lines, b)
		}
	}
	return lines
}

// TestScorecardHeaderNamesTheRate: a step priced at the accelerator's measured matmul
// rate (a calibrated CNN's layers, a calibrated transformer training step) must not print
// the unused efficiency column in its header; a roofline step must.
func TestScorecardHeaderNamesTheRate(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		// A transformer's training step runs at the rate a matmul holds at the power limit
		// (gemm_sustained_efficiency: H100 0.716 BF16, 0.651 FP8), a CNN's at the burst
		// (0.803); an A100 has no sustained measurement and keeps its burst (0.869).
		{[]string{"eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "--fp8-recipe", "current"}, "linear matmuls in FP8 (current scaling) at the measured 0.65 of the fp8 peak, the rest at 0.72 of the bf16 peak held at the power limit"},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--seq-len", "1024"}, "matmuls at the measured 0.72 of peak held at the power limit"},
		{[]string{"eval", "Llama3_8B", "A100", "--training", "--seq-len", "1024"}, "matmuls at the measured 0.87 of peak"},
		{[]string{"eval", "ResNet50", "H100", "-b", "8"}, "matmuls at the measured 0.80 of peak"},
		{[]string{"eval", "Llama3_8B", "H100", "-b", "8"}, "efficiency 0.50"},
		{[]string{"eval", "ResNet50", "H100", "-b", "8", "--profile", "seed"}, "efficiency 0.50"},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--profile", "seed", "-e", "0.4"}, "efficiency 0.40"},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != 0 {
			t.Fatalf("%v: %v", tc.args, r)
		}
		header := strings.SplitN(r.stdout, "\n", 3)[1]
		if !strings.Contains(header, tc.want) {
			t.Errorf("%v: header %q, want it to contain %q", tc.args, header, tc.want)
		}
		if held := strings.Contains(header, "power limit"); held != strings.Contains(tc.want, "power limit") {
			t.Errorf("%v: header %q says the power-limit rate: %v, want %v", tc.args, header, held, !held)
		}
	}
}

// TestScorecardAdviceIsTrue holds each piece of advice that names a flag to what that
// flag does: a suggested -p FORMAT must make the same point fit, and a suggested -e
// must be a flag eval accepts for the point.
func TestScorecardAdviceIsTrue(t *testing.T) {
	format := regexp.MustCompile(`\(-p (\w+)\)`)
	for _, args := range [][]string{
		{"eval", "Llama3_70B", "H100"},
		{"eval", "Llama3_70B", "H100", "-p", "fp32"},
		{"eval", "Llama3_405B", "H100"},
		{"eval", "Llama3_70B", "A100", "-p", "int8"},
		{"eval", "Llama3_8B", "H100", "--training", "--seq-len", "8192"},
		{"eval", "Llama3_70B", "H100", "--training"},
		{"eval", "ResNet50", "H100", "-b", "8"},
		{"eval", "ResNet50", "T4", "--training", "-b", "1024"},
		{"eval", "ResNet50", "T4", "--training", "-b", "8192"},
		{"eval", "ResNet50", "T4", "--training", "-b", "8192", "--profile", "seed"},
		{"eval", "DLRM", "H100", "--training", "-b", "32"},
		{"eval", "DLRM", "H100", "--training", "-b", "32", "--profile", "seed"},
	} {
		r := mlsysim(t, args...)
		if r.code != 0 {
			t.Fatalf("%v: %v", args, r)
		}
		advice := adviceLines(r.stdout)
		if len(advice) == 0 {
			t.Fatalf("%v: no advice\n%s", args, r.stdout)
		}
		for _, a := range advice {
			if m := format.FindStringSubmatch(a); m != nil && strings.Contains(a, "fit") {
				with := append(withFlag(args, m[1], "-p", "--precision"), "--strict")
				if rr := mlsysim(t, with...); rr.code != 0 {
					t.Errorf("%v advises %q, but %v does not fit: %v", args, a, with, rr)
				}
			}
			for _, flag := range []string{"--activation-recomputation", "--lora"} {
				if strings.Contains(a, flag) {
					with := append(append([]string{}, args...), flag)
					if rr := mlsysim(t, with...); rr.code == exitBadInput {
						t.Errorf("%v advises %q, but eval refuses %s there: %v", args, a, flag, rr)
					}
				}
			}
			if strings.Contains(a, "(-e)") {
				with := append(append([]string{}, args...), "-e", "0.6")
				if rr := mlsysim(t, with...); rr.code != 0 {
					t.Errorf("%v advises %q, but eval refuses -e there: %v", args, a, rr)
				}
			}
			if strings.Contains(a, "smaller format") && strings.Contains(strings.Join(args, " "), "--training") {
				t.Errorf("%v: a narrower format cannot make a mixed-precision training state fit, yet advised %q", args, a)
			}
		}
	}
}
