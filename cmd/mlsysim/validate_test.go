package main

import (
	"strings"
	"testing"
)

// TestValidateCommand: the KV-cache cases are exact byte counts that the model
// must reproduce (testdata/validation: vLLM OPT-13B, Llama 3.1 405B, DeepSeek-V3 MLA).
func TestValidateCommand(t *testing.T) {
	r := mlsysim(t, "validate", "--cases", "../../testdata/validation", "--kind", "kv_cache", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj := oneObject(t, r.stdout)
	cases, _ := obj["cases"].([]any)
	if len(cases) != 3 {
		t.Fatalf("%d kv_cache cases, want 3", len(cases))
	}
	for _, c := range cases {
		m := c.(map[string]any)
		if m["outcome"] != "pass" {
			t.Errorf("%v: %v (error %v %%)", m["id"], m["outcome"], m["error_pct"])
		}
	}
	for _, args := range [][]string{
		{"--profile", "tuned", "validate", "--cases", "../../testdata/validation"},
		{"validate", "--cases", "../../testdata/validation", "--kind", "nope"},
		{"validate", "--cases", "/nonexistent"},
	} {
		if r := mlsysim(t, args...); r.code != exitBadInput {
			t.Errorf("%v: exit %d, want 1\n%v", args, r.code, r)
		}
	}
}

// TestValidateMissesTable: the markdown report ends with one row per miss of the default
// profile, carrying the case's miss_analysis (the ZeRO activation-estimate case misses by
// a convention gap; see its file), and lists no passing case there.
func TestValidateMissesTable(t *testing.T) {
	r := mlsysim(t, "validate", "--cases", "../../testdata/validation", "--kind", "training_memory", "-o", "markdown")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	i := strings.Index(r.stdout, "## Misses explained, profile calibrated")
	if i < 0 {
		t.Fatalf("no misses section in:\n%s", r.stdout)
	}
	misses := r.stdout[i:]
	if !strings.Contains(misses, "| training_memory-zero-gpt2-1p5b-activations |") || !strings.Contains(misses, "convention gap") {
		t.Errorf("misses section lacks the activation-estimate case or its analysis:\n%s", misses)
	}
	if strings.Contains(misses, "training_memory-zero-gpt2-1p5b-modelstates") {
		t.Errorf("a passing case is listed as a miss:\n%s", misses)
	}
}
