package main

import (
	"strings"
	"testing"
)

// Hostile inputs from issue 9, class by class: each must end with a clear error
// and a non-zero exit, never a wrong result with exit 0.

// badRun runs the CLI and wants exit code with every want string in stderr (or,
// for json, stdout).
func badRun(t *testing.T, code int, want []string, args ...string) cliResult {
	t.Helper()
	r := mlsysim(t, args...)
	if r.code != code {
		t.Fatalf("mlsysim %s: exit %d, want %d\n%v", strings.Join(args, " "), r.code, code, r)
	}
	if miss, ok := containsAll(r.stderr+r.stdout, want...); !ok {
		t.Errorf("mlsysim %s: output lacks %q\n%v", strings.Join(args, " "), miss, r)
	}
	return r
}

func containsAll(s string, subs ...string) (string, bool) {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return sub, false
		}
	}
	return "", true
}

// Integer flags past 2^53 (and past each parameter's physical maximum) are
// refused naming the flag, instead of wrapping to −2^63 in the result.
func TestHugeIntegerFlags(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"eval", "Llama3_8B", "H100", "-b", "9223372036854775807"}, []string{"--batch-size", "9223372036854775807", "≤ 16777216"}},
		{[]string{"eval", "Llama3_8B", "H100", "--batch-size", "16777217"}, []string{"--batch-size", "≤ 16777216"}},
		{[]string{"serve", "Llama3_8B", "H100", "-s", "9223372036854775807"}, []string{"--seq-len", "≤ 134217728"}},
		{[]string{"serve", "Llama3_8B", "H100", "--tp", "9007199254740993"}, []string{"--tp", "≤ 16777216"}},
		{[]string{"serve", "Llama3_8B", "H100", "--prefill-chunk-tokens", "4611686018427387904"}, []string{"--prefill-chunk-tokens", "≤ 134217728"}},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--dp-size", "99999999999"}, []string{"--dp-size", "≤ 16777216"}},
		{[]string{"eval", "Llama3_8B", "H100", "-b", "99999999999999999999"}, []string{"invalid value \"99999999999999999999\""}},
		{[]string{"sweep", "roofline", "--out", "-", "--format", "csv", "--batch-size", "9223372036854775807"}, []string{"batch-size", "1048576"}},
		{[]string{"sweep", "roofline", "--out", "-", "--format", "csv", "--part-points", "0"}, []string{"part-points"}},
		{[]string{"sweep", "roofline", "--out", "-", "--format", "csv", "--workers", "1000000"}, []string{"workers", "1024"}},
		{[]string{"optimize", "batching", "--max-batch", "9223372036854775807", "--sla-ms", "10", "--qps", "1", planFixture("g5-research256.yaml")}, []string{"max-batch", "65536"}},
		{[]string{"optimize", "parallelism", "--top", "0", planFixture("g5-research256.yaml")}, []string{"top"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			badRun(t, exitBadInput, c.want, c.args...)
		})
	}
}
