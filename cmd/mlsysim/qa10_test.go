package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepDryRunJSON: `sweep --dry-run -o json` printed its text report on stdout (exit 0),
// which no JSON reader can parse. It is one object now, with the same facts as the text.
// fleet-placement's axes (grids/fleet-placement.yaml): model 3 × nodes 4 × tp 4 × pp 5 ×
// zero_stage 2 × region 12 = 5,760 points; its 109 columns are those `sweep --columns fleet`
// lists (checked against that command's own count below, not a constant).
func TestSweepDryRunJSON(t *testing.T) {
	r := mlsysim(t, "sweep", "fleet-placement", "--dry-run", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj := oneObject(t, r.stdout)
	if obj["points"] != float64(3*4*4*5*2*12) || obj["study"] != "fleet" || obj["grid"] != "fleet-placement" {
		t.Errorf("points %v study %v grid %v, want 5760 fleet fleet-placement", obj["points"], obj["study"], obj["grid"])
	}
	axes, _ := obj["axes"].([]any)
	if len(axes) != 6 {
		t.Errorf("axes %v, want 6", obj["axes"])
	}
	cols, _ := obj["columns"].([]any)
	if len(cols) < 100 || cols[0] != "point_id" {
		t.Errorf("columns %v", obj["columns"])
	}
	if b, _ := obj["estimated_bytes"].(float64); b <= 0 {
		t.Errorf("estimated_bytes %v", obj["estimated_bytes"])
	}
	// A shard's share is named, as the text names it.
	r = mlsysim(t, "sweep", "fleet-placement", "--dry-run", "-o", "json", "--shard", "1/2", "--part-points", "1000")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj = oneObject(t, r.stdout)
	sh, _ := obj["shard"].(map[string]any)
	// 5760 points in parts of 1000: 6 parts, 3 per shard; shard 1 holds parts 0–2 = 3000 points.
	if obj["parts"] != float64(6) || sh == nil || sh["points"] != float64(3000) || sh["first_part"] != float64(0) || sh["parts"] != float64(3) {
		t.Errorf("parts %v shard %v, want 6 parts, shard 1/2 = parts 0–2, 3000 points", obj["parts"], obj["shard"])
	}
}

// TestCompletionRefusesJSON: `completion fish -o json` printed the fish script on stdout with
// exit 0; a rendering the command cannot give is bad input (exit 1), naming --output.
func TestCompletionRefusesJSON(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "pwsh"} {
		r := mlsysim(t, "-o", "json", "completion", sh)
		if r.code != exitBadInput || !strings.Contains(r.stdout, "--output") {
			t.Errorf("completion %s -o json: %v", sh, r)
		} else if obj := oneObject(t, r.stdout); obj["status"] != "error" {
			t.Errorf("completion %s -o json: stdout %s, want the JSON error alone", sh, r.stdout)
		}
		if r := mlsysim(t, "completion", sh); r.code != exitOK || r.stdout == "" {
			t.Errorf("completion %s: %v", sh, r)
		}
	}
}

// TestServeSeqLenHelp: serve's --help described --seq-len in eval's words, "inference here
// counts no KV cache (mlsysim serve does)", for the flag that sizes serve's prompt and KV cache.
func TestServeSeqLenHelp(t *testing.T) {
	r := mlsysim(t, "serve", "--help")
	var line string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "--seq-len int") {
			line = l
		}
	}
	if r.code != exitOK || line == "" || strings.Contains(line, "no KV cache") || !strings.Contains(line, "KV cache holds") {
		t.Errorf("serve --help's --seq-len: %q (%v)", line, r.code)
	}
}

// TestValidateBrokenCaseExits1: a case file whose inputs are refused (microbatches 64.5) or
// whose predict expression divides by zero was listed with outcome "error" and exit 0. The
// table (or JSON) still holds it; the exit code is 1, and stdout stays one JSON document.
func TestValidateBrokenCaseExits1(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "validation", "training_step_time-korthikanti-175b-fullrecompute.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new, reason string }{
		{"microbatches: 64,", "microbatches: 64.5,", "must be a whole number"},
		{`predict: "step_latency_ms / 1000"`, `predict: "step_latency_ms / 0"`, "not a finite number"},
	} {
		dir := t.TempDir()
		text := strings.Replace(string(src), tc.old, tc.new, 1)
		if text == string(src) {
			t.Fatalf("%q not in the case", tc.old)
		}
		if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mlsysim(t, "validate", "--cases", dir, "-o", "json")
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.reason) {
			t.Errorf("%s: %v", tc.new, r)
		}
		if obj := oneObject(t, r.stdout); obj["profile"] != "calibrated" {
			t.Errorf("%s: stdout %s", tc.new, r.stdout)
		}
	}
	// The case as it is evaluates (pass or miss): exit 0.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := mlsysim(t, "validate", "--cases", dir); r.code != exitOK {
		t.Errorf("the suite's own case: %v", r)
	}
}

// TestCatalogTakesHFConfig: `--catalog config.json` was refused ("unknown key
// architectures; valid keys: hardware, models") although docs/CATALOG.md says a config.json
// can stand for a model, so a plan or a grid could not use one. It adds the model under its
// folder's name, and the model is the one eval reads from the same file as MODEL.
func TestCatalogTakesHFConfig(t *testing.T) {
	cfg := fixture(filepath.Join("Llama-3.1-8B", "config.json"))
	direct := mlsysim(t, "eval", cfg, "H100", "-b", "4", "-o", "json")
	viaCatalog := mlsysim(t, "--catalog", cfg, "eval", "Llama-3.1-8B", "H100", "-b", "4", "-o", "json")
	if direct.code != exitOK || viaCatalog.code != exitOK {
		t.Fatalf("direct: %v\nvia --catalog: %v", direct, viaCatalog)
	}
	a, b := oneObject(t, direct.stdout), oneObject(t, viaCatalog.stdout)
	if a["p_latency"] == nil || a["p_latency"] != b["p_latency"] || a["f_memory_used_gb"] != b["f_memory_used_gb"] {
		t.Errorf("eval config.json: latency %v memory %v; via --catalog: %v %v", a["p_latency"], a["f_memory_used_gb"], b["p_latency"], b["f_memory_used_gb"])
	}
	plan := writePlanText(t, "version: \"1.0\"\nname: hf\nworkload: {name: Llama-3.1-8B, batch_size: 4}\nhardware: {name: H100}\n")
	if r := mlsysim(t, "--catalog", cfg, "eval", plan, "-o", "json"); r.code != exitOK {
		t.Errorf("a plan naming the config.json's model: %v", r)
	}
	// A config.json the parser cannot price is still refused, naming the file.
	bad := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(bad, []byte(`{"model_type": "gpt_neox", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 256, "vocab_size": 100}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := mlsysim(t, "--catalog", bad, "zoo", "models"); r.code != exitBadInput || !strings.Contains(r.stderr, `model_type "gpt_neox" is not supported`) {
		t.Errorf("gpt_neox via --catalog: %v", r)
	}
}

func writePlanText(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
