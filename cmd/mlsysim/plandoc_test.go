package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPlanDocExamples evaluates every plan docs/PLAN.md shows (each ```yaml block that
// starts with version:) as the page says a user runs one — `mlsysim eval plan.yaml`,
// then `-o json | jq .p_step_latency` — so a plan a reader copies from the page runs:
// exit 0 and a step latency. The page's full-format plan once set efficiency on an H100
// and activation_checkpointing beside activation_recomputation, and `eval` refused it
// (exit 1).
func TestPlanDocExamples(t *testing.T) {
	b, err := os.ReadFile("../../docs/PLAN.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var plans int
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```yaml" || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "version:") {
			continue
		}
		start := i + 1
		end := start
		for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
			end++
		}
		plans++
		path := filepath.Join(dir, "plan.yaml")
		if err := os.WriteFile(path, []byte(strings.Join(lines[start:end], "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		where := "docs/PLAN.md:" + strconv.Itoa(start)
		if r := mlsysim(t, "eval", path); r.code != exitOK || !strings.Contains(r.stdout, "Level 1: Feasibility  [PASS]") {
			t.Errorf("%s: mlsysim eval plan.yaml: want exit 0 and a feasible plan\n%v", where, r)
			continue
		}
		r := mlsysim(t, "eval", path, "-o", "json")
		if o := oneObject(t, r.stdout); r.code != exitOK {
			t.Errorf("%s: -o json: %v", where, r)
		} else if v, ok := o["p_step_latency"].(float64); !ok || v <= 0 {
			t.Errorf("%s: -o json: p_step_latency = %v, want a positive number (the page's jq .p_step_latency)", where, o["p_step_latency"])
		}
		i = end
	}
	if plans < 2 {
		t.Errorf("found %d plans on docs/PLAN.md; it shows two", plans)
	}
}

// TestPlanDocTranscripts runs each transcript docs/PLAN.md shows (a ``` block whose first
// line is `$ mlsysim …`) and requires the lines it shows, in order, in what the command
// prints (a `…` line stands for lines left out). The page's violation example printed the
// seed profile's latency (21889 ms) without saying so, while the default profile prints
// its calibrated step's.
func TestPlanDocTranscripts(t *testing.T) {
	b, err := os.ReadFile("../../docs/PLAN.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var ran int
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] != "```" || !strings.HasPrefix(lines[i+1], "$ mlsysim ") {
			continue
		}
		where := "docs/PLAN.md:" + strconv.Itoa(i+2)
		args := strings.Fields(strings.TrimPrefix(lines[i+1], "$ mlsysim "))
		for k, a := range args {
			if strings.HasPrefix(a, "testdata/") {
				args[k] = filepath.Join("..", "..", a)
			}
		}
		r := mlsysim(t, args...)
		if r.code != exitOK && r.code != exitAssert {
			t.Errorf("%s: %s: %v", where, lines[i+1], r)
		}
		out := r.stdout
		for j := i + 2; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
			if lines[j] == "…" {
				continue
			}
			k := strings.Index(out, lines[j])
			if k < 0 {
				t.Errorf("%s: %s does not print %q (in this order)\n%s", where, lines[i+1], lines[j], r.stdout)
				break
			}
			out = out[k+len(lines[j]):]
		}
		ran++
	}
	if ran < 1 {
		t.Errorf("docs/PLAN.md shows no $ mlsysim transcript; it shows the violation example")
	}
}
