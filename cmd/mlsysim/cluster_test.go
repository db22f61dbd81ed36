package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/results"
)

// shardGrid has 3·4·3·10 = 360 points; --part-points 30 gives 12 parts.
const shardGrid = `version: 1
name: shards
study: node
axes:
  model: [ResNet50, Llama3_8B, BERT_Base]
  hardware: [H100, A100, MI300X, T4]
  precision: [fp16, int8, fp32]
  batch_size: {pow2: [1, 512]}
`

func writeGrid(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "grid.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShardForms: K/N (1-based), --shard-index/--shard-count (0-based) and
// --shard auto from a Slurm array or a Kubernetes Indexed Job name the same
// shard, and write the same parts.
func TestShardForms(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	sweepParts := func(t *testing.T, args ...string) []string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out")
		r := mlsysim(t, append([]string{"sweep", grid, "--out", out, "-q", "--part-points", "30"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("sweep %v: %v", args, r)
		}
		m, err := results.ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range m.Parts {
			names = append(names, p.File)
		}
		if m.Shard == nil || m.Shard.Index != 3 || m.Shard.Count != 4 {
			t.Errorf("%v: manifest shard %+v, want 3/4", args, m.Shard)
		}
		return names
	}
	want := sweepParts(t, "--shard", "3/4")
	if !slices.Equal(want, []string{"part-00006.parquet", "part-00007.parquet", "part-00008.parquet"}) {
		t.Fatalf("shard 3/4 of 12 parts wrote %v, want parts 6–8", want)
	}
	if got := sweepParts(t, "--shard-index", "2", "--shard-count", "4"); !slices.Equal(got, want) {
		t.Errorf("--shard-index 2 --shard-count 4 wrote %v, want %v", got, want)
	}
	t.Run("slurm", func(t *testing.T) {
		t.Setenv("SLURM_ARRAY_TASK_ID", "2")
		t.Setenv("SLURM_ARRAY_TASK_MIN", "0")
		t.Setenv("SLURM_ARRAY_TASK_MAX", "3")
		t.Setenv("SLURM_ARRAY_TASK_COUNT", "4")
		if got := sweepParts(t, "--shard", "auto"); !slices.Equal(got, want) {
			t.Errorf("Slurm task 2 of 0-3 wrote %v, want %v", got, want)
		}
	})
	t.Run("kubernetes", func(t *testing.T) {
		t.Setenv("JOB_COMPLETION_INDEX", "2")
		if got := sweepParts(t, "--shard", "auto", "--shard-count", "4"); !slices.Equal(got, want) {
			t.Errorf("Indexed Job index 2 of 4 wrote %v, want %v", got, want)
		}
		t.Setenv("MLSYSIM_SHARD_COUNT", "4")
		if got := sweepParts(t, "--shard", "auto"); !slices.Equal(got, want) {
			t.Errorf("Indexed Job index 2, MLSYSIM_SHARD_COUNT=4 wrote %v, want %v", got, want)
		}
	})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "0/4"}, "K counts from 1"},
		{[]string{"--shard", "1/9223372036854775807"}, "at most 4194304"},
		{[]string{"--shard-index", "4", "--shard-count", "4"}, "want 0 to 3"},
		{[]string{"--shard-index", "1"}, "needs --shard-count"},
		{[]string{"--shard-index", "1", "--shard-count", "4", "--shard", "2/4"}, "not both"},
		{[]string{"--shard-count", "9999999"}, "want 1 to 4194304"},
		{[]string{"--shard", "auto"}, "neither SLURM_ARRAY_TASK_ID"},
		{[]string{"--part-points", "0"}, "want 1 to"},
		{[]string{"--part-points", "99999999999"}, "want 1 to 1073741824"},
	} {
		r := mlsysim(t, append([]string{"sweep", grid, "--out", filepath.Join(t.TempDir(), "o")}, c.args...)...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
			t.Errorf("sweep %v: want exit 1 and %q\n%v", c.args, c.want, r)
		}
	}
}

// TestSmallGridUsesEveryShard: a grid far below the largest part still gives
// every one of 4 shards work, and the dry run says how it splits.
func TestSmallGridUsesEveryShard(t *testing.T) {
	// 4·8·4·520 = 66,560 points: 6 % of the largest part (2^20), 5 parts of
	// the smallest (2^14), so 4 shards hold 1, 1, 1 and 2 parts.
	big := writeGrid(t, `version: 1
study: node
axes:
  model: [ResNet50, Llama3_8B, BERT_Base, GPT2]
  hardware: [H100, A100, MI300X, T4, B200, V100, Gaudi2, H200]
  precision: [fp16, int8, fp32, bf16]
  batch_size: {range: [1, 520]}
`)
	r := mlsysim(t, "sweep", big, "--dry-run", "--shard", "4/4")
	if r.code != exitOK || !strings.Contains(r.stdout, "parts: ") || !strings.Contains(r.stdout, "shard 4/4 writes parts") {
		t.Fatalf("dry run: %v", r)
	}
	root := t.TempDir()
	var dirs []string
	for k := 1; k <= 4; k++ {
		dir := filepath.Join(root, "s"+string(rune('0'+k)))
		if r := mlsysim(t, "sweep", big, "--out", dir, "-q", "--shard", string(rune('0'+k))+"/4"); r.code != exitOK {
			t.Fatalf("shard %d: %v", k, r)
		}
		m, err := results.ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Parts) == 0 {
			t.Errorf("shard %d/4 of a %d-point grid has no parts (part size %d)", k, m.PointsTotal, m.PartPoints)
		}
		dirs = append(dirs, dir)
	}
	whole := filepath.Join(root, "whole")
	if r := mlsysim(t, "sweep", big, "--out", whole, "-q"); r.code != exitOK {
		t.Fatal(r)
	}
	merged := filepath.Join(root, "merged")
	r = mlsysim(t, append(append([]string{"merge"}, dirs...), "--out", merged)...)
	if r.code != exitOK || !strings.Contains(r.stderr, "merged 4 folders") {
		t.Fatalf("merge: %v", r)
	}
	if !queries.Available {
		t.Log("the row-for-row comparison runs through DuckDB, which this build (no cgo) does not link")
		return
	}
	// Row for row through DuckDB: the merged shards and the whole run hold the
	// same rows (different part sizes, so compared as rows, not files).
	sql := "SELECT (SELECT count(*) FROM results) AS n, " +
		"(SELECT count(*) FROM (SELECT * FROM results EXCEPT ALL SELECT * FROM read_parquet('" + whole + "/part-*.parquet'))) AS extra, " +
		"(SELECT count(*) FROM (SELECT * FROM read_parquet('" + whole + "/part-*.parquet') EXCEPT ALL SELECT * FROM results)) AS lacking"
	for _, in := range [][]string{{merged}, dirs, {filepath.Join(root, "s*")}} {
		rows := jsonRows(t, append([]string{"--sql", sql}, in...)...)
		if len(rows) != 1 || rows[0]["extra"].(json.Number) != "0" || rows[0]["lacking"].(json.Number) != "0" || rows[0]["n"].(json.Number) == "0" {
			t.Errorf("%v against the whole run: %v", in, rows)
		}
	}
}

// TestURLsRefused: every path flag and argument refuses a URL (exit 1) and
// creates nothing named after its scheme.
func TestURLsRefused(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	wd := t.TempDir()
	t.Chdir(wd)
	for _, args := range [][]string{
		{"sweep", grid, "--out", "s3://bucket/run"},
		{"sweep", "gs://bucket/grid.yaml", "--out", "out"},
		{"sweep", grid, "--out", "out2", "--cpuprofile", "s3://b/cpu.pprof"},
		{"--catalog", "https://example.com/hw.yaml", "zoo"},
		{"query", "top", "s3://bucket/run"},
		{"query", "--sql", "SELECT 1", "out", "--out", "s3://bucket/x.parquet"},
		{"merge", "s3://bucket/a", "s3://bucket/b", "--out", "m"},
		{"merge", "a", "b", "--out", "s3://bucket/m"},
		{"eval", "https://huggingface.co/x/config.json", "H100"},
		{"optimize", "placement", "s3://b/plan.yaml", "--keep", "s3://b/keep"},
		{"validate", "--cases", "s3://b/cases"},
		{"eval", "Llama3_8B", "H100", "--plot", "s3://b/roofline.svg"},
		{"plot", "pareto", "s3://b/run"},
		{"report", "out", "--out", "gs://b/report.html"},
		{"audit", "--catalog-out", "s3://b/local.yaml"},
		{"audit", "--from", "https://example.com/capture"},
	} {
		r := mlsysim(t, args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, "URLs are not supported") {
			t.Errorf("%v: want exit 1 naming the unsupported URL\n%v", args, r)
		}
	}
	for _, junk := range []string{"s3:", "gs:", "https:"} {
		if _, err := os.Stat(filepath.Join(wd, junk)); err == nil {
			t.Errorf("a folder %q was created", junk)
		}
	}
}

func TestMergeCLI(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	root := t.TempDir()
	var dirs []string
	for k := 0; k < 3; k++ {
		dir := filepath.Join(root, "shard-"+string(rune('0'+k)))
		if r := mlsysim(t, "sweep", grid, "--out", dir, "-q", "--part-points", "30", "--shard-index", string(rune('0'+k)), "--shard-count", "3"); r.code != exitOK {
			t.Fatal(r)
		}
		dirs = append(dirs, dir)
	}
	out := filepath.Join(root, "all")
	r := mlsysim(t, "merge", filepath.Join(root, "shard-*"), "--out", out, "-o", "json")
	if r.code != exitOK {
		t.Fatal(r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "parts", float64(12))
	equal(t, obj, "rows", float64(360))
	r = mlsysim(t, "query", "--sql", "SELECT count(*) AS n FROM results", dirs[1], "-o", "json")
	if r.code != exitOK || !strings.Contains(r.stderr, "is shard 2/3 of a sweep") || !strings.Contains(r.stdout, `"n":120`) {
		t.Errorf("querying one shard: want its 120 rows and a warning\n%v", r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", dirs[0], dirs[2], "--out", filepath.Join(root, "x")}, "parts 4–7 of the run's 12 are missing (the parts of shard 2/3"},
		{[]string{"merge", dirs[0], "--out", filepath.Join(root, "x")}, "parts 4–11 of the run's 12 are missing (the parts of shard 2/3, 3/3"},
		{[]string{"merge", dirs[0], dirs[1], dirs[2], "--out", filepath.Join(dirs[0], "part-00000.parquet")}, "--out: " + filepath.Join(dirs[0], "part-00000.parquet") + " is a file; want a folder for the result"},
		{[]string{"merge", dirs[0], dirs[1], dirs[2]}, "--out: missing"},
		{[]string{"merge", "--out", filepath.Join(root, "x")}, "want the shard folders"},
		{[]string{"merge", dirs[0], dirs[1], dirs[2], "--out", out}, "already holds a result"},
	} {
		r := mlsysim(t, c.args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want exit 1 and %q\n%v", c.args, c.want, r)
		}
	}
	// One folder that holds every part merges: a one-task Slurm array
	// (--array=0-0) or Kubernetes Job, whose merge step globs one shard.
	one := filepath.Join(root, "one", "shard-0")
	if r := mlsysim(t, "sweep", grid, "--out", one, "-q", "--part-points", "30", "--shard-index", "0", "--shard-count", "1"); r.code != exitOK {
		t.Fatal(r)
	}
	oneOut := filepath.Join(root, "one", "all")
	if r := mlsysim(t, "merge", filepath.Join(root, "one", "shard-*"), "--out", oneOut, "-o", "json"); r.code != exitOK {
		t.Fatalf("merging the one shard of a one-shard run: %v", r)
	} else {
		equal(t, oneObject(t, r.stdout), "rows", float64(360))
	}
	if m, err := results.ReadManifest(oneOut); err != nil || m.Shard != nil || len(m.Parts) != 12 || m.Status != results.StatusComplete {
		t.Errorf("merged manifest %+v, %v: want 12 parts, complete, no shard", m, err)
	}
}

func TestVersion(t *testing.T) {
	r := mlsysim(t, "--version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "mlsysim version "+version+", revision ") || !strings.Contains(r.stdout, "queries: yes") {
		t.Errorf("--version: %v", r)
	}
	r = mlsysim(t, "version", "-o", "json")
	obj := oneObject(t, r.stdout)
	equal(t, obj, "version", version)
	equal(t, obj, "queries", true)
	hasKeys(t, obj, "module", "module_version", "go", "platform", "modified")
}

func TestCompletion(t *testing.T) {
	if r := mlsysim(t, "completion", "tcsh"); r.code != exitBadInput || !strings.Contains(r.stderr, `completion: unknown shell "tcsh"`) || !strings.Contains(r.stderr, "; shells: bash, zsh, fish, pwsh") {
		t.Errorf("completion tcsh: want exit 1 naming the shells\n%v", r)
	}
	if r := mlsysim(t, "completion", "bsh"); !strings.Contains(r.stderr, "(did you mean bash or zsh?); shells:") {
		t.Errorf("completion bsh: want a suggestion\n%v", r)
	}
	lines := func(args ...string) []string {
		r := mlsysim(t, append(args, "--generate-shell-completion")...)
		if r.code != exitOK {
			t.Fatalf("%v: %v", args, r)
		}
		return strings.Fields(r.stdout)
	}
	for _, c := range []struct {
		args       []string
		has, hasnt string
	}{
		{[]string{"eval"}, "Llama3_8B", "H100"},
		{[]string{"eval", "Llama3_8B"}, "H100", "Llama3_8B"},
		{[]string{"serve", "Llama3_70B"}, "MI300X", "Llama3_70B"},
		{[]string{"serve", "--ba"}, "--batch-size:samples", "H100"},
	} {
		got := lines(c.args...)
		if !slices.Contains(got, c.has) || slices.Contains(got, c.hasnt) {
			t.Errorf("completing %v: want %s and not %s in %v", c.args, c.has, c.hasnt, got)
		}
	}
	r := mlsysim(t, "--help")
	if !strings.Contains(r.stdout, "completion") {
		t.Errorf("--help does not list completion")
	}
	r = mlsysim(t, "completion", "bash")
	if r.code != exitOK || !strings.Contains(r.stdout, "complete -o bashdefault -o default -F _") {
		t.Errorf("completion bash: %v", r)
	}
}

// TestStaticBuild: `make static` builds without cgo; the binary carries the
// git revision, sweeps, and says how to get queries.
func TestStaticBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	for _, tool := range []string{"make", "git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing in CI", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mlsysim")
	cmd := exec.Command("make", "-s", "-C", "../..", "static", "STATIC_BIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make static: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.Contains(string(out), "revision "+strings.TrimSpace(string(head))) || !strings.Contains(string(out), "queries: no") {
		t.Errorf("--version of the static build: %q, %v; want revision %s", out, err, head)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if out, err := exec.Command(bin, "sweep", writeGrid(t, shardGrid), "--out", dir, "-q").CombinedOutput(); err != nil {
		t.Fatalf("static sweep: %v\n%s", err, out)
	}
	q := exec.Command(bin, "query", "top", dir, "--param", "by=latency_ms")
	qout, err := q.CombinedOutput()
	if q.ProcessState.ExitCode() != exitBadInput || !strings.Contains(string(qout), "make build") {
		t.Errorf("query in a static build: exit %d, %s; want exit 1 saying how to get a cgo build", q.ProcessState.ExitCode(), qout)
	}
	// The bash completion script, sourced, completes hardware keys. It needs
	// the bash-completion package, as on any desktop (.ci/run installs it).
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bash-completion is missing in CI: %v", err)
		}
		t.Skipf("bash-completion is not installed (%v); the completion script was not tried in bash", err)
	}
	script := `source ` + bashCompletion + `
source <("$BIN" completion bash)
COMP_WORDS=(mlsysim eval Llama3_8B H1); COMP_CWORD=3; COMP_LINE="mlsysim eval Llama3_8B H1"; COMP_POINT=${#COMP_LINE}
__mlsysim_bash_autocomplete
printf '%s\n' "${COMPREPLY[@]}"`
	c := exec.Command("bash", "-c", script)
	c.Env = append(os.Environ(), "BIN="+bin, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	got, err := c.Output()
	if err != nil || !slices.Contains(strings.Fields(string(got)), "H100") || slices.Contains(strings.Fields(string(got)), "A100") {
		t.Errorf("bash completion of `mlsysim eval Llama3_8B H1`: %q, %v; want H100 (and H200), not A100", got, err)
	}
}

// TestCitation: CITATION.cff has the fields the Citation File Format 1.2.0
// requires (cff-version, message, title, authors) and the version --version
// prints; LICENSE is the Apache License 2.0 in full.
func TestCitation(t *testing.T) {
	b, err := os.ReadFile("../../CITATION.cff")
	if err != nil {
		t.Fatal(err)
	}
	var cff map[string]any
	if err := yaml.Unmarshal(b, &cff); err != nil {
		t.Fatalf("CITATION.cff: %v", err)
	}
	for _, k := range []string{"cff-version", "message", "title", "authors"} {
		if cff[k] == nil {
			t.Errorf("CITATION.cff lacks %s", k)
		}
	}
	if cff["cff-version"] != "1.2.0" || cff["version"] != version || cff["license"] != "Apache-2.0" {
		t.Errorf("CITATION.cff: cff-version %v, version %v (want %s), license %v", cff["cff-version"], cff["version"], version, cff["license"])
	}
	lic, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Apache License", "Version 2.0, January 2004", "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION", "9. Accepting Warranty or Additional Liability", "END OF TERMS AND CONDITIONS"} {
		if !strings.Contains(string(lic), w) {
			t.Errorf("LICENSE lacks %q: not the full Apache License 2.0", w)
		}
	}
}

// TestStreamShards: --out - with --shard streams only the shard's points (it
// streamed the whole grid before); the shards' streams add up to the whole.
func TestStreamShards(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	body := func(args ...string) ([]string, string) {
		r := mlsysim(t, append([]string{"sweep", grid, "--out", "-", "--format", "csv", "--part-points", "30"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("%v: %v", args, r)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		return lines[1:], r.stderr
	}
	whole, _ := body()
	var union []string
	for k := 1; k <= 5; k++ {
		part, _ := body("--shard", fmt.Sprintf("%d/5", k))
		if len(part) == len(whole) {
			t.Errorf("shard %d/5 streamed the whole grid", k)
		}
		union = append(union, part...)
	}
	if !slices.Equal(union, whole) {
		t.Errorf("the 5 shards streamed %d rows, the whole grid %d; want the same rows in order", len(union), len(whole))
	}
	// 12 parts over 13 shards: shard 1 gets ⌊12·1/13⌋ − 0 = 0 parts.
	rows, stderr := body("--shard", "1/13")
	if len(rows) != 0 || !strings.Contains(stderr, "shard 1/13 has no points") {
		t.Errorf("an empty shard streamed %d rows (stderr %q); want none and a warning", len(rows), stderr)
	}
}

// TestPlotReportShards: plot and report read the shard folders of one sweep
// (listed or as a glob) as query does, with the same checks.
func TestPlotReportShards(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	root := t.TempDir()
	var dirs []string
	for k := 0; k < 3; k++ {
		dir := filepath.Join(root, fmt.Sprintf("s%d", k))
		if r := mlsysim(t, "sweep", grid, "--out", dir, "-q", "--part-points", "30", "--shard-index", strconv.Itoa(k), "--shard-count", "3"); r.code != exitOK {
			t.Fatal(r)
		}
		dirs = append(dirs, dir)
	}
	page := filepath.Join(root, "report.html")
	if r := mlsysim(t, "report", filepath.Join(root, "s*"), "--out", page); r.code != exitOK {
		t.Fatalf("report over a glob of shards: %v", r)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "rows written</th><td>360") || !strings.Contains(string(b), "shard folders") {
		t.Errorf("the report over 3 shards does not count the whole run's 360 rows")
	}
	fig := filepath.Join(root, "roofline.svg")
	if r := mlsysim(t, append(append([]string{"plot", "roofline"}, dirs...), "--out", fig)...); r.code != exitOK {
		t.Errorf("plot over 3 shard folders: %v", r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", "roofline", dirs[0], dirs[2], "--out", fig}, "parts 4–7 of the run's 12 are missing"},
		{[]string{"report", dirs[0], dirs[2], "--out", page}, "parts 4–7 of the run's 12 are missing"},
		{[]string{"plot", "roofline", filepath.Join(root, "s*")}, "with several results"},
		{[]string{"report", dirs[0], dirs[1], dirs[2]}, "with several results"},
	} {
		r := mlsysim(t, c.args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want exit 1 and %q\n%v", c.args, c.want, r)
		}
	}
}
