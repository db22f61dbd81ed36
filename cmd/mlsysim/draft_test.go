package main

import (
	"strings"
	"testing"
)

// TestServeDraftChecks (and a flag the seed profile ignores): mtp needs a model that ships a multi-token-prediction module
// (exit 1, naming the models that do), and a draft model must hold the sequence plus the
// drafted tokens in its window: Llama-2-7B's is 4096 tokens (config.json
// max_position_embeddings; it shares Llama-2-70B's vocabulary), so 4092 + 4 fits and
// 4093 + 4 does not (infeasible, exit 2 with --strict).
func TestServeDraftChecks(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"serve", "Llama3_8B", "H100", "--draft-model", "mtp"}, exitBadInput, []string{"--draft-model", "Llama3_8B ships none", "DeepSeek_V3"}},
		{[]string{"serve", "DeepSeek_V3", "H100", "-p", "fp8", "--tp", "8", "--pp", "2", "--draft-model", "mtp", "--spec-tokens", "1", "--strict"}, exitOK, []string{"Feasible          yes"}},
		{[]string{"serve", "Llama2_70B", "H100", "--tp", "4", "--draft-model", "Llama2_7B", "--seq-len", "4092", "--strict"}, exitOK, []string{"Feasible          yes"}},
		{[]string{"serve", "Llama2_70B", "H100", "--tp", "4", "--draft-model", "Llama2_7B", "--seq-len", "4093", "--strict"}, exitPhysics,
			[]string{"draft_exceeds_context", "4 drafted tokens", "Llama2_7B's context window of 4096 tokens"}},
		{[]string{"--profile", "seed", "serve", "Llama3_8B", "H100", "--step-overhead-ms", "5"}, exitBadInput, []string{"--step-overhead-ms", "changes nothing under the seed profile"}},
		{[]string{"serve", "Llama2_70B", "H100", "--tp", "4", "--draft-model", "Llama2_7B", "--seq-len", "4092", "--spec-tokens", "5", "-o", "json"}, exitOK,
			[]string{`"feasible": false`, `"infeasible_reason": "draft_exceeds_context"`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tc.code, r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("output lacks %q\n%v", w, r)
				}
			}
		})
	}
}
