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
// profile, carrying the case's miss_analysis (the CNN training case misses; see its file).
func TestValidateMissesTable(t *testing.T) {
	r := mlsysim(t, "validate", "--cases", "../../testdata/validation", "--kind", "cnn_throughput", "-o", "markdown")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	i := strings.Index(r.stdout, "## Misses explained, profile calibrated")
	if i < 0 {
		t.Fatalf("no misses section in:\n%s", r.stdout)
	}
	misses := r.stdout[i:]
	if !strings.Contains(misses, "| cnn_throughput-dle-resnet50-a100-train-tf32 |") || !strings.Contains(misses, "feature-map traffic") {
		t.Errorf("misses section lacks the TF32 training case or its analysis:\n%s", misses)
	}
	if strings.Contains(misses, "cnn_throughput-mlperf-resnet50-a100-offline") {
		t.Errorf("a passing case is listed as a miss:\n%s", misses)
	}
}
