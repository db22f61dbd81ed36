package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSweepTooManyParts: 34 models × 45 accelerators × 500,000 batch sizes ×
// 500,000 sequence lengths is 3.7e14 points, 3.5e8 parts of 2^20; with --yes the
// sweep allocated a 21 GB table of parts before its first point. It is refused
// (exit 1, nothing written) by the run, the dry run and a sharded stream alike.
func TestSweepTooManyParts(t *testing.T) {
	spec := writeGrid(t, `version: 1
name: huge
study: node
axes:
  model: all
  hardware: all
  batch_size: {range: [1, 500000]}
  seq_len: {range: [1, 500000]}
  training: [true]
`)
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"sweep", spec, "--out", out, "--yes", "-q"},
		{"sweep", spec, "--dry-run"},
		{"sweep", spec, "--out", "-", "--format", "csv", "--yes", "--shard", "1/4"},
		{"sweep", spec, "--out", out, "--yes", "-q", "--part-points", "1073741824"},
	} {
		r := mlsysim(t, args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, "more than the 262144 one result can list") || !strings.Contains(r.stderr, "shrink the grid to at most 281474976710656 points") {
			t.Errorf("%v: want exit 1 naming the part bound\n%v", args, r)
		}
		if r.stdout != "" {
			t.Errorf("%v: wrote to stdout\n%v", args, r)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused sweep created %s (%v)", out, err)
	}
}

// TestFmtSeconds: a dry run's estimate can pass the 292 years a time.Duration
// holds; it printed "-2562047h47m16.854775808s".
func TestFmtSeconds(t *testing.T) {
	for _, tc := range []struct {
		secs float64
		unit time.Duration
		want string
	}{
		{0.0004, time.Millisecond, "0s"},
		{1.25, time.Millisecond, "1.25s"},
		{90, time.Second, "1m30s"},
		{3.6e6, time.Second, "1000h0m0s"},
		{1e9, time.Second, "31.7 years"},             // 1e9 / (365.25 × 86400) = 31.69
		{4.2e12, time.Millisecond, "1.33e+05 years"}, // past time.Duration's 9.2e9 s
	} {
		if got := fmtSeconds(tc.secs, tc.unit); got != tc.want {
			t.Errorf("fmtSeconds(%g, %v) = %q, want %q", tc.secs, tc.unit, got, tc.want)
		}
	}
}

// TestSweepFolderFlagsRefused: --resume with --overwrite let --overwrite win
// silently (a user who meant to keep the parts lost them), and --resume or
// --overwrite beside --out - did nothing; each is bad input naming the flags.
func TestSweepFolderFlagsRefused(t *testing.T) {
	spec := writeGrid(t, "version: 1\nname: tiny\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100, A100]\n")
	out := filepath.Join(t.TempDir(), "out")
	if r := mlsysim(t, "sweep", spec, "--out", out, "-q"); r.code != exitOK {
		t.Fatalf("first run: %v", r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out, "--resume", "--overwrite"}, "--resume and --overwrite exclude each other"},
		{[]string{"--out", "-", "--format", "csv", "--resume"}, "--resume: applies to an --out folder"},
		{[]string{"--out", "-", "--format", "csv", "--overwrite"}, "--overwrite: applies to an --out folder"},
	} {
		r := mlsysim(t, append([]string{"sweep", spec, "-q"}, tc.args...)...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: want exit 1 with %q and nothing on stdout\n%v", tc.args, tc.want, r)
		}
	}
}

// TestValidateKindSuggests: a misspelt --kind names the closest kinds, as a
// misspelt model or query name does (it listed all sixteen kinds only).
func TestValidateKindSuggests(t *testing.T) {
	for _, tc := range []struct{ kind, want string }{
		{"training_mf", "(did you mean training_mfu"},
		{"TRAINING_MFU", "(did you mean training_mfu"},
		{"kv-cache", "(did you mean kv_cache"},
	} {
		r := mlsysim(t, "validate", "--cases", "../../testdata/validation", "--kind", tc.kind)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("--kind %s: want exit 1 with %q\n%v", tc.kind, tc.want, r)
		}
	}
}

// TestEvalCNNRecomputation: the calibrated CNN step stores every feature map and
// runs no second forward, so --activation-recomputation is refused there (it raised
// HFU from 10.6 % to 14.1 % and the energy at the same step time and memory), as is
// --lora (adapters on attention projections a CNN lacks; it cut 1.81 to 1.46 GB); the seed
// profile's roofline prices the extra forward (4/3 of the FLOPs), and a transformer's
// calibrated step recomputes, so both still take it.
func TestEvalCNNRecomputation(t *testing.T) {
	r := mlsysim(t, "eval", "ResNet50", "H100", "--training", "-b", "32", "--activation-recomputation")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "--activation-recomputation: ResNet50's training step under the calibrated profile stores every feature map") {
		t.Errorf("calibrated ResNet50: want exit 1 naming the flag\n%v", r)
	}
	r = mlsysim(t, "eval", "ResNet50", "H100", "--training", "-b", "32", "--lora")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "--lora: LoRA's adapters sit on attention's Q, K, V and O projections, which ResNet50 (a CNN) lacks") {
		t.Errorf("calibrated ResNet50 --lora: want exit 1 naming the flag\n%v", r)
	}
	if r := mlsysim(t, "--profile", "seed", "eval", "ResNet50", "H100", "--training", "-b", "32", "--lora"); r.code != exitOK {
		t.Errorf("seed ResNet50 --lora (the seed's 1.1 × weights): %v", r)
	}
	plain := oneObject(t, mlsysim(t, "eval", "ResNet50", "H100", "--training", "-b", "32", "-o", "json").stdout)
	if plain["p_hfu"] != plain["p_mfu"] {
		t.Errorf("calibrated ResNet50 without recomputation: HFU %v ≠ MFU %v", plain["p_hfu"], plain["p_mfu"])
	}
	for _, args := range [][]string{
		{"--profile", "seed", "eval", "ResNet50", "H100", "--training", "-b", "32", "--activation-recomputation", "-o", "json"},
		{"eval", "Llama3_8B", "H100", "--training", "-b", "1", "--activation-recomputation", "-o", "json"},
	} {
		r := mlsysim(t, args...)
		if r.code != exitOK {
			t.Fatalf("%v: %v", args, r)
		}
		row := oneObject(t, r.stdout)
		if !(row["p_hfu"].(float64) > row["p_mfu"].(float64)) {
			t.Errorf("%v: HFU %v not above MFU %v with the recomputed forward", args, row["p_hfu"], row["p_mfu"])
		}
	}
}
