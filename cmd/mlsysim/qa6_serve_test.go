package main

import (
	"math"
	"strings"
	"testing"
)

// TestServeDraftNotSmaller: a draft model with at least the target's parameters is
// infeasible with the two sizes named (a 70B draft of an 8B target was feasible, exit 0;
// of a 70B target at pp 64 it was priced faster than no draft); --strict exits 2; a smaller
// draft still serves.
func TestServeDraftNotSmaller(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		reason string
	}{
		{[]string{"Llama3_8B", "H200", "--tp", "8", "-p", "fp8", "--draft-model", "Llama3_70B"}, exitPhysics,
			"draft_not_smaller_than_target: the draft Llama3_70B has 7.06e+10 parameters, the target Llama3_8B 8.03e+09"},
		{[]string{"Llama3_70B", "MI300X", "--tp", "8", "--pp", "8", "-p", "fp8", "--draft-model", "Llama3_70B"}, exitPhysics,
			"draft_not_smaller_than_target: the draft Llama3_70B has 7.06e+10 parameters, the target Llama3_70B 7.06e+10"},
		{[]string{"Llama3_70B", "H100", "--tp", "4", "-p", "fp8", "--draft-model", "Llama3_8B"}, exitOK, ""},
	} {
		r := mlsysim(t, append(append([]string{"serve", "--strict"}, c.args...), "-o", "json")...)
		obj := oneObject(t, r.stdout)
		if r.code != c.code || (c.reason != "" && !strings.Contains(r.stderr, c.reason)) {
			t.Errorf("%v: exit %d, want %d naming %q\n%v", c.args, r.code, c.code, c.reason, r)
		}
		if want := strings.Split(c.reason, ":")[0]; (c.reason == "" && obj["infeasible_reason"] != nil) || (c.reason != "" && obj["infeasible_reason"] != want) {
			t.Errorf("%v: infeasible_reason %v, want %q", c.args, obj["infeasible_reason"], want)
		}
	}
}

// TestFmtUSD: costs below ten cents keep two significant digits (optimize serving printed
// an aggregated and a disaggregated fleet both at $0.02, hiding which was cheaper, and serve
// printed sub-cent costs as $0.00); a value past 1e15 prints as a number, not 300 digits.
func TestFmtUSD(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0, "$0.00"}, {0.0234, "$0.023"}, {0.004236, "$0.0042"}, {0.0000123, "$0.000012"}, {0.0949, "$0.095"},
		{0.0996, "$0.10"}, {0.2297, "$0.23"}, {12.345, "$12.35"}, {1234.6, "$1,235"}, {7.5e299, "$7.5e+299"},
		{math.Inf(1), "—"},
	} {
		if got := fmtUSD(c.x); got != c.want {
			t.Errorf("fmtUSD(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}
