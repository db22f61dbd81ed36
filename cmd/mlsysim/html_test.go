package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScorecardHTML: -o html gives a standalone page with the three lenses, the
// binding wall and the violations, and escapes what the plan says.
func TestScorecardHTML(t *testing.T) {
	f := filepath.Join(t.TempDir(), "plan.yaml")
	src := "version: \"1.0\"\nname: \"<b>x</b> & y\"\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n" +
		"hardware: {cluster: Research_256}\nparallelism: {tp: 8, pp: 4, microbatches: 16, zero_stage: 1}\n" +
		"ops: {region: Quebec, duration_days: 1}\nconstraints: {assert: [{metric: performance.step_latency, max: 100}]}\n"
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "eval", f, "-o", "html")
	if r.code != exitAssert {
		t.Fatalf("exit %d, want 3 (the 100 ms assert fails)\n%v", r.code, r)
	}
	for _, want := range []string{"<!DOCTYPE html>", "Level 1: Feasibility", "Level 2: Performance", "Level 3: Macro",
		"performance.step_latency", "binding wall", "FAIL: performance.step_latency", "&lt;b&gt;x&lt;/b&gt; &amp; y"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "<b>x</b>") {
		t.Errorf("the plan name is not escaped")
	}
	node := mlsysim(t, "eval", "ResNet50", "A100", "-o", "html")
	if node.code != exitOK || !strings.Contains(node.stdout, "Level 3: Macro") || !strings.Contains(node.stdout, "[SKIPPED]") {
		t.Errorf("eval MODEL HW -o html: exit %d\n%v", node.code, node)
	}
}
