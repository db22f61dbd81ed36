package main

import (
	"strings"
	"testing"
)

// Llama3_8B is Llama 3.1 8B, whose context window is 131072 tokens (max_position_embeddings
// in meta-llama/Llama-3.1-8B config.json, and in the HF fixture this test loads).
func TestContextWindowCLI(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"serve at the window", []string{"serve", "Llama3_8B", "H100", "-s", "131072", "--strict"}, exitOK, []string{"Feasible          yes"}, nil},
		{"serve one past", []string{"serve", "Llama3_8B", "H100", "-s", "131073", "--strict"}, exitPhysics,
			[]string{"no (exceeds_context", "context window of 131072 tokens"}, []string{"--strict", "exceeds_context"}},
		{"serve a config.json one past", []string{"serve", fixture("Llama-3.1-8B/config.json"), "H100", "-s", "131073", "--strict"}, exitPhysics,
			[]string{"context window of 131072 tokens"}, []string{"exceeds_context"}},
		{"training one past", []string{"eval", "Llama3_8B", "H100", "--training", "-b", "1", "-s", "131073", "--strict"}, exitPhysics,
			[]string{"Feasibility  FAIL", "context window of 131072 tokens", "a seq_len within the model's context window"}, []string{"exceeds_context"}},
		{"optimize serving one past", []string{"optimize", "serving", "Llama3_8B", "--qps", "1", "--ttft-ms", "1000", "--itl-ms", "50",
			"--isl", "131001", "--osl", "72", "--hardware", "H100"}, exitPhysics, nil, []string{"131073 tokens exceeds Llama3_8B's context window of 131072 tokens"}},
		{"zoo lists the window", []string{"zoo", "models", "-o", "json"}, exitOK, []string{`"context_tokens": 131072`}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, c.code, r)
			}
			for _, w := range c.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
		})
	}
}
