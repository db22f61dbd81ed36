package main

import (
	"strings"
	"testing"
)

// TestNoBF16OnV100: bf16 and tf32 on an accelerator whose vendor shows no such
// arithmetic (catalog unsupported_precisions: V100, T4) are bad input for eval and serve
// under calibrated — exit 1, nothing on stdout, naming the flag, the accelerator, the
// format and the formats it supports. Before, `eval Llama3_8B V100 --training -p bf16`
// printed a 2.10 s step at exit 0 (the fp16 tensor peak under bf16's name). The seed
// keeps the registry's answer, which is its fp16 answer, with a warning.
func TestNoBF16OnV100(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"eval", "Llama3_8B", "V100", "--training", "-p", "bf16"}, []string{"V100 has no bf16 arithmetic", "precisions it supports: fp32, fp16"}},
		{[]string{"eval", "Llama3_8B", "V100_PCIe", "-p", "bf16"}, []string{"V100_PCIe has no bf16 arithmetic", "precisions it supports: fp32, fp16"}},
		{[]string{"eval", "Llama3_8B", "T4", "-p", "TF32"}, []string{"T4 has no tf32 arithmetic", "precisions it supports: fp32, fp16, int8, int4"}},
		{[]string{"serve", "Llama3_8B", "T4", "-p", "bf16"}, []string{"T4 has no bf16 arithmetic", "precisions it supports: fp32, fp16, int8, int4"}},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != exitBadInput || r.stdout != "" || !strings.HasPrefix(r.stderr, "mlsysim: bad input: --precision: ") {
			t.Errorf("%v: exit %d, want %d with empty stdout and a --precision message\n%v", tc.args, r.code, exitBadInput, r)
		}
		for _, w := range append(tc.want, "unsupported_precisions", "whitepaper") {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: message lacks %q: %s", tc.args, w, r.stderr)
			}
		}
	}
	// optimize serving searches no listed format: none left is bad input.
	r := mlsysim(t, "optimize", "serving", "Llama3_8B", "--hardware", "V100", "--precision", "bf16", "--qps", "1", "--ttft-ms", "2000", "--itl-ms", "200")
	if r.code != exitBadInput || r.stdout != "" || !strings.Contains(r.stderr, "--precision: none of bf16 runs on --hardware V100") || !strings.Contains(r.stderr, "not on V100: no bf16 arithmetic") {
		t.Errorf("optimize serving bf16 on V100: exit %d, want %d naming --precision and V100\n%v", r.code, exitBadInput, r)
	}
	// The seed: bf16 on a V100 is its fp16 step under another label, as the registry priced it.
	bf := mlsysim(t, "--profile", "seed", "-o", "json", "eval", "Llama3_8B", "V100", "--training", "-p", "bf16")
	fp := mlsysim(t, "--profile", "seed", "-o", "json", "eval", "Llama3_8B", "V100", "--training", "-p", "fp16")
	if bf.code != 0 || !strings.Contains(bf.stderr, "V100 has no bf16 arithmetic") || !strings.Contains(bf.stderr, "the seed prices it") {
		t.Errorf("seed bf16 on V100: exit %d (want 0), stderr %q (want the seed's warning)", bf.code, bf.stderr)
	}
	b, f := oneObject(t, bf.stdout), oneObject(t, fp.stdout)
	if b["p_latency"] == nil || b["p_latency"] != f["p_latency"] {
		t.Errorf("seed: bf16 step %v ms, fp16 %v ms; want the registry's equal answers", b["p_latency"], f["p_latency"])
	}
	// fp16 on the same accelerators runs under calibrated.
	for _, hw := range []string{"V100", "T4"} {
		if r := mlsysim(t, "eval", "Llama3_8B", hw, "-p", "fp16"); r.code != 0 {
			t.Errorf("fp16 on %s: exit %d\n%v", hw, r.code, r)
		}
	}
}
