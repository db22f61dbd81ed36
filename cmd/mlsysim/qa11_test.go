package main

import (
	"strings"
	"testing"
)

// TestServeDraftVocabulary: a draft whose vocabulary is not the target's cannot draft for it
// (the target verifies the draft's token ids; vLLM's SpecDecodeWorker asserts the two
// vocabulary sizes equal). Llama-2-7B (32,000 tokens) drafting for Llama-3.1-70B (128,256)
// was feasible and priced 7.10 ms a token against 10.18 without a draft, exit 0; it is now
// infeasible naming both sizes, exit 2 with --strict. A draft of the family still serves.
func TestServeDraftVocabulary(t *testing.T) {
	for _, c := range []struct {
		draft  string
		code   int
		reason string
	}{
		{"Llama2_7B", exitPhysics, "draft_vocabulary_differs: the draft Llama2_7B has a vocabulary of 32000 tokens, the target Llama3_70B 128256"},
		{"Llama3_8B", exitOK, ""},
	} {
		r := mlsysim(t, "serve", "--strict", "Llama3_70B", "H100", "--tp", "4", "-p", "fp8", "--draft-model", c.draft, "-o", "json")
		obj := oneObject(t, r.stdout)
		if r.code != c.code || (c.reason != "" && !strings.Contains(r.stderr, c.reason)) {
			t.Errorf("%s: exit %d, want %d naming %q\n%v", c.draft, r.code, c.code, c.reason, r)
		}
		if want := strings.Split(c.reason, ":")[0]; (c.reason == "" && obj["infeasible_reason"] != nil) || (c.reason != "" && obj["infeasible_reason"] != want) {
			t.Errorf("%s: infeasible_reason %v, want %q", c.draft, obj["infeasible_reason"], want)
		}
	}
}
