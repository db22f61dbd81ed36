package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/results"
)

// TestResumeRefusesAnotherBatchSize: a part's row groups are its batches, so a
// folder resumed with another --batch-size held parts of two row-group sizes
// and its bytes depended on where the run had stopped (exit 0 before). The
// manifest records the batch size; a resume with another is exit 1 naming the
// flag and both values, and the same size resumes as before.
func TestResumeRefusesAnotherBatchSize(t *testing.T) {
	grid := writeGrid(t, shardGrid) // 360 points
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"sweep", grid, "--out", out, "-q", "--part-points", "120"}
	if r := mlsysim(t, append(args, "--batch-size", "40")...); r.code != exitOK {
		t.Fatalf("sweep: %v", r)
	}
	m, err := results.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.BatchSize != 40 {
		t.Errorf("manifest batch_size %d, want 40", m.BatchSize)
	}
	if err := os.Remove(filepath.Join(out, m.Parts[1].File)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"given", []string{"--batch-size", "64"}, "this run gives 64"},
		{"default", nil, "this run gives 32768"},
	} {
		r := mlsysim(t, append(append(args, "--resume"), c.args...)...)
		if r.code != exitBadInput {
			t.Errorf("%s: resume with another batch size: want exit 1\n%v", c.name, r)
		}
		for _, w := range []string{"--batch-size 40", c.want, "resume with --batch-size 40"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: message lacks %q:\n%s", c.name, w, r.stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(out, m.Parts[1].File)); err == nil {
			t.Errorf("%s: the refused resume wrote the missing part", c.name)
		}
	}
	if r := mlsysim(t, append(args, "--resume", "--batch-size", "40")...); r.code != exitOK {
		t.Fatalf("resume with the folder's batch size: %v", r)
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if r := mlsysim(t, "sweep", grid, "--out", ref, "-q", "--part-points", "120", "--batch-size", "40"); r.code != exitOK {
		t.Fatal(r)
	}
	a, _ := os.ReadFile(filepath.Join(out, m.Parts[1].File))
	b, _ := os.ReadFile(filepath.Join(ref, m.Parts[1].File))
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("the resumed part (%d bytes) differs from an uninterrupted run's (%d bytes)", len(a), len(b))
	}
}

// TestMergeRefusesMixedBatchSizes: shards written with different --batch-size
// are not one run's parts (the merged folder's bytes would depend on each
// task's flag).
func TestMergeRefusesMixedBatchSizes(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	dir := t.TempDir()
	for k, bs := range []string{"40", "64"} {
		o := filepath.Join(dir, "s"+string(rune('0'+k)))
		if r := mlsysim(t, "sweep", grid, "--out", o, "-q", "--part-points", "120", "--shard", string(rune('1'+k))+"/2", "--batch-size", bs); r.code != exitOK {
			t.Fatal(r)
		}
	}
	r := mlsysim(t, "merge", filepath.Join(dir, "s0"), filepath.Join(dir, "s1"), "--out", filepath.Join(dir, "all"))
	if r.code != exitBadInput || !strings.Contains(r.stderr, "batch size (--batch-size) (40 vs 64)") {
		t.Errorf("merge of shards with batch sizes 40 and 64: want exit 1 naming --batch-size\n%v", r)
	}
}

// TestShardAutoBothEngines: with both a Slurm array index and a Kubernetes
// completion index in the environment, --shard auto took Slurm's silently;
// it is exit 1 naming both variables.
func TestShardAutoBothEngines(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "0")
	t.Setenv("SLURM_ARRAY_TASK_MAX", "3")
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	t.Setenv("MLSYSIM_SHARD_COUNT", "4")
	out := filepath.Join(t.TempDir(), "out")
	r := mlsysim(t, "sweep", grid, "--out", out, "-q", "--part-points", "30", "--shard", "auto")
	if r.code != exitBadInput {
		t.Errorf("want exit 1\n%v", r)
	}
	for _, w := range []string{"SLURM_ARRAY_TASK_ID=2", "JOB_COMPLETION_INDEX=1", "--shard K/N"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("message lacks %q:\n%s", w, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, results.ManifestName)); err == nil {
		t.Errorf("a refused --shard auto wrote a result")
	}
}

// TestQueriesOnEveryStudy: each bundled query given a result of a study it is
// not for exits 1 naming the study it needs and the columns this result lacks
// (frontier-table on a node result was a raw DuckDB "Binder Error"); on the
// study it is for it runs.
func TestQueriesOnEveryStudy(t *testing.T) {
	grids := map[string]string{
		"node":         "version: 1\nstudy: node\naxes:\n  model: [ResNet50]\n  hardware: [H100, A100]\n",
		"serve":        "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100, A100]\n",
		"fleet":        "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 1024\n  microbatches: 16\naxes:\n  model: [Llama3_8B]\n  nodes: [8, 32]\n",
		"serve-deploy": "version: 1\nstudy: serve-deploy\nfixed:\n  qps: 20\n  target_ttft_ms: 500\n  target_itl_ms: 50\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n",
	}
	dir := t.TempDir()
	for study, src := range grids {
		if r := mlsysim(t, "sweep", writeGrid(t, src), "--out", filepath.Join(dir, study), "-q"); r.code != exitOK {
			t.Fatalf("sweep %s: %v", study, r)
		}
	}
	for _, c := range []struct {
		query string
		args  []string
		for_  []string // the studies it is for
		want  string   // in the message elsewhere
	}{
		{"frontier-table", nil, []string{"serve", "serve-deploy"}, "reads a serve, serve-sla or serve-deploy result"},
		{"batching", []string{"--param", "max=50"}, []string{"serve", "serve-deploy"}, "is for a serve, serve-sla or serve-deploy result: parameter sla defaults to itl_ms"},
		{"deployments", nil, []string{"serve-deploy"}, "is for a serve-deploy result"},
		{"parallelism", nil, []string{"fleet"}, "is for a fleet result: parameter by defaults to step_latency_ms"},
		{"placement", nil, []string{"fleet"}, "is for a fleet result: parameter cost defaults to tco_usd"},
	} {
		for study := range grids {
			r := mlsysim(t, append([]string{"query", c.query, filepath.Join(dir, study)}, c.args...)...)
			if slices.Contains(c.for_, study) {
				if r.code != exitOK {
					t.Errorf("query %s on a %s result: %v", c.query, study, r)
				}
				continue
			}
			if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "Binder Error") {
				t.Errorf("query %s on a %s result: want exit 1 and %q\n%v", c.query, study, c.want, r)
			}
		}
	}
	// The columns frontier-table lacks are named.
	r := mlsysim(t, "query", "frontier-table", filepath.Join(dir, "node"))
	if !strings.Contains(r.stderr, "has no kv_format, tp, pp, itl_ms, tokens_per_s_per_accelerator, usd_per_million_tokens") {
		t.Errorf("frontier-table on a node result does not name the missing columns:\n%s", r.stderr)
	}
}

// TestBooleanSpellings: plans took YAML 1.1's yes/on/n for a boolean (the
// decoder's rule) while grids refused yes but took 1 and t (strconv's), and a
// plan's overlap: 1 was refused without naming the key. One rule for both,
// the stricter: true or false (True, TRUE, False, FALSE), else exit 1 with
// file:line and the key.
func TestBooleanSpellings(t *testing.T) {
	plan := func(v string) string {
		return "version: \"1.0\"\nname: t\nworkload:\n  name: Llama3_8B\n  batch_size: 256\n  seq_len: 2048\nhardware:\n  cluster: Research_256\nparallelism:\n  tp: 8\n  overlap: " + v + "\n"
	}
	grid := func(v string) string {
		return "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 1024\n  microbatches: 16\naxes:\n  model: [Llama3_8B]\n  overlap: [" + v + "]\n"
	}
	for _, v := range []string{"yes", "on", "n", "No", "1", "0", "t", "F"} {
		p := writeGrid(t, plan(v))
		r := mlsysim(t, "eval", p)
		if r.code != exitBadInput || !strings.Contains(r.stderr, p+":11: parallelism.overlap: want true or false") {
			t.Errorf("plan overlap: %s: want exit 1 naming %s:11 and parallelism.overlap\n%v", v, p, r)
		}
		g := writeGrid(t, grid(v))
		r = mlsysim(t, "sweep", g, "--out", "-", "--format", "csv")
		if r.code != exitBadInput || !strings.Contains(r.stderr, g+":9: overlap: want true or false") {
			t.Errorf("grid overlap: %s: want exit 1 naming %s:9\n%v", v, g, r)
		}
	}
	if p := writeGrid(t, plan(`"true"`)); !strings.Contains(mlsysim(t, "eval", p).stderr, "parallelism.overlap: want true or false unquoted") {
		t.Errorf("plan overlap: \"true\" is not refused naming the key")
	}
	for _, v := range []string{"true", "True", "FALSE"} {
		if r := mlsysim(t, "eval", writeGrid(t, plan(v))); r.code != exitOK {
			t.Errorf("plan overlap: %s: %v", v, r)
		}
		if r := mlsysim(t, "sweep", writeGrid(t, grid(v)), "--out", "-", "--format", "csv"); r.code != exitOK {
			t.Errorf("grid overlap: %s: %v", v, r)
		}
	}
}

// TestZooCSVIsRaw: zoo -o csv printed the text cells ("1.76T", "80 GiB", "3.35
// TB/s") under unitless headers. It now has JSON's unit-named columns and
// raw numbers: every cell equals the JSON value (nulls empty); text is kept.
func TestZooCSVIsRaw(t *testing.T) {
	for _, cat := range zooCategories {
		r := mlsysim(t, "zoo", cat, "-o", "csv")
		if r.code != exitOK {
			t.Fatalf("zoo %s -o csv: %v", cat, r)
		}
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("zoo %s -o csv: %v", cat, err)
		}
		var js map[string][]map[string]any
		if err := json.Unmarshal([]byte(mlsysim(t, "zoo", cat, "-o", "json").stdout), &js); err != nil {
			t.Fatal(err)
		}
		rows := js[cat]
		if len(recs) != len(rows)+1 {
			t.Fatalf("zoo %s: %d CSV records, want %d rows + header", cat, len(recs), len(rows))
		}
		for i, row := range rows {
			for j, col := range recs[0] {
				cell, want := recs[i+1][j], row[col]
				switch w := want.(type) {
				case nil:
					if cell != "" {
						t.Errorf("zoo %s row %d %s: %q, want empty (JSON null)", cat, i, col, cell)
					}
				case float64:
					if got, err := strconv.ParseFloat(cell, 64); err != nil || got != w {
						t.Errorf("zoo %s row %d %s: %q, want the raw number %v", cat, i, col, cell, w)
					}
				case string:
					if cell != w {
						t.Errorf("zoo %s row %d %s: %q, want %q", cat, i, col, cell, w)
					}
				case bool:
					if cell != strconv.FormatBool(w) {
						t.Errorf("zoo %s row %d %s: %q, want %v", cat, i, col, cell, w)
					}
				}
			}
		}
	}
	if r := mlsysim(t, "zoo", "models"); !strings.Contains(r.stdout, "1.76T") {
		t.Errorf("zoo models text lost its formatted parameters:\n%s", r.stdout)
	}
	if r := mlsysim(t, "zoo", "hardware", "-o", "csv"); !strings.HasPrefix(r.stdout, "key,name,tier,peak_tflops,memory_gb,bandwidth_gb_per_s,tdp_w\n") {
		t.Errorf("zoo hardware CSV header: %q", strings.SplitN(r.stdout, "\n", 2)[0])
	}
}
