package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Figures from the bundled example grids, checked for structure: the SVG
// parses, the axis labels carry units, and what is drawn matches what DuckDB
// says (frontier marks = the pareto query's rows, cells = the axes' values).

var (
	sweepOnce sync.Map // grid → *sweptGrid
)

type sweptGrid struct {
	once sync.Once
	dir  string
	err  string
}

// swept sweeps a bundled grid once per test binary into a temporary folder.
// The roofline grid (every model on every accelerator) is cut to its first
// parts with --shard to keep the race-enabled suite quick.
func swept(t *testing.T, grid string) string {
	t.Helper()
	v, _ := sweepOnce.LoadOrStore(grid, &sweptGrid{})
	g := v.(*sweptGrid)
	g.once.Do(func() {
		dir, err := os.MkdirTemp("", "mlsysim-plot-"+grid+"-")
		if err != nil {
			g.err = err.Error()
			return
		}
		g.dir = filepath.Join(dir, grid)
		args := []string{"sweep", grid, "--out", g.dir, "-q"}
		if grid == "roofline" {
			args = append(args, "--part-points", "32768", "--shard", "1/5")
		}
		if r := mlsysim(t, args...); r.code != 0 {
			g.err = r.String()
		}
	})
	if g.err != "" {
		t.Fatalf("sweep %s: %s", grid, g.err)
	}
	return g.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	sweepOnce.Range(func(_, v any) bool {
		if g := v.(*sweptGrid); g.dir != "" {
			os.RemoveAll(filepath.Dir(g.dir))
		}
		return true
	})
	os.Exit(code)
}

// svgFacts is what the tests read from an SVG.
type svgFacts struct {
	texts []string
	raw   string
}

func readSVG(t *testing.T, file string) svgFacts {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f := svgFacts{raw: string(b)}
	dec := xml.NewDecoder(bytes.NewReader(b))
	in := false
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%s is not well-formed SVG: %v", file, err)
			}
			return f
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "text" {
				in = true
				f.texts = append(f.texts, "")
			}
		case xml.CharData:
			if in {
				f.texts[len(f.texts)-1] += string(e)
			}
		case xml.EndElement:
			in = false
		}
	}
}

func (f svgFacts) count(text string) int {
	n := 0
	for _, s := range f.texts {
		if s == text {
			n++
		}
	}
	return n
}

func (f svgFacts) containing(sub string) int {
	n := 0
	for _, s := range f.texts {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// opaqueMarks counts filled circles drawn at full opacity: a path with an
// arc, a fill colour and no fill-opacity (faint marks have one).
var opaqueMark = regexp.MustCompile(`<path d="M[^"]*A[^"]*"\s+style="fill:#[0-9A-F]{6}"`)

func TestPlotPareto(t *testing.T) {
	res := swept(t, "serving-frontier")
	out := filepath.Join(t.TempDir(), "p.svg")
	r := mlsysim(t, "plot", "pareto", res, "--out", out)
	if r.code != 0 {
		t.Fatal(r)
	}
	q := mlsysim(t, "query", "pareto", res, "--param", "objectives=itl_ms:min,tokens_per_s_per_accelerator:max", "--param", "group=model", "-o", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(q.stdout), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("query pareto: %v\n%s", err, q)
	}
	svg := readSVG(t, out)
	if got := len(opaqueMark.FindAllString(svg.raw, -1)); got != len(rows) {
		t.Errorf("%d frontier marks, the pareto query has %d rows", got, len(rows))
	}
	for _, s := range []string{"itl_ms (ms)", "tokens_per_s_per_accelerator (1/s)", "model", "Llama3_8B", "Llama3_70B", "Mixtral_8x7B"} {
		if svg.count(s) == 0 {
			t.Errorf("no text %q", s)
		}
	}
	if svg.containing("spec llm-serving-frontier · study serve · profile calibrated · spec hash ") != 1 {
		t.Errorf("no provenance caption in %q", svg.texts)
	}
	if svg.containing(fmt.Sprintf("%d frontier points (query pareto", len(rows))) != 1 {
		t.Errorf("caption does not count the frontier: %q", svg.texts)
	}
	if !strings.Contains(r.stderr, "wrote "+out) {
		t.Errorf("stderr does not name the figure: %s", r.stderr)
	}
}

func TestPlotSample(t *testing.T) {
	res := swept(t, "serving-frontier")
	dir := t.TempDir()
	var files []string
	for i := range 2 {
		out := filepath.Join(dir, fmt.Sprintf("s%d.svg", i))
		if r := mlsysim(t, "plot", "scatter", res, "--x", "kv_cache_gb", "--y", "itl_ms", "--color", "precision",
			"--facet", "model", "--max-points", "300", "--out", out); r.code != 0 {
			t.Fatal(r)
		}
		files = append(files, out)
	}
	a, _ := os.ReadFile(files[0])
	b, _ := os.ReadFile(files[1])
	if !bytes.Equal(a, b) {
		t.Error("the same plot twice gave different files")
	}
	svg := readSVG(t, files[0])
	if got := len(opaqueMark.FindAllString(svg.raw, -1)); got != 300+3 { // the sample + the legend's three precisions
		t.Errorf("%d marks, want 300 points and 3 legend marks", got)
	}
	if svg.count("itl_ms (ms)") != 3 || svg.count("Llama3_70B") != 1 {
		t.Errorf("want 3 panels (one per model): %q", svg.texts)
	}
	if svg.containing("points: a deterministic sample of 300 of ") != 1 {
		t.Errorf("the caption does not say it is a sample: %q", svg.texts)
	}
}

func TestPlotHeatmap(t *testing.T) {
	res := swept(t, "serving-frontier")
	out := filepath.Join(t.TempDir(), "h.svg")
	if r := mlsysim(t, "plot", "heatmap", res, "--x", "batch_size", "--y", "tp", "--out", out); r.code != 0 {
		t.Fatal(r)
	}
	svg := readSVG(t, out)
	// batch_size pow2 1..1024 (11 values) × tp 1, 2, 4, 8.
	for _, s := range []string{"1", "1024", "8", "batch_size", "tp", "itl_ms (ms)"} {
		if svg.count(s) == 0 {
			t.Errorf("no text %q", s)
		}
	}
	if svg.containing("each cell: min of itl_ms over its rows — the other swept axes (model, hardware, precision, kv_precision, pp) folded in") != 1 {
		t.Errorf("the caption does not state the aggregate: %q", svg.texts)
	}
	// A count is a number of rows whatever the column measures: its scale is
	// not labelled in the column's unit (it read "itl_ms (ms)" over cells of
	// 1.44k rows), nor is a line's y axis.
	cnt := filepath.Join(t.TempDir(), "c.svg")
	if r := mlsysim(t, "plot", "heatmap", res, "--x", "batch_size", "--y", "tp", "--agg", "count", "--out", cnt); r.code != 0 {
		t.Fatal(r)
	}
	if c := readSVG(t, cnt); c.count("count of itl_ms (rows)") != 1 || c.count("itl_ms (ms)") != 0 {
		t.Errorf("heatmap --agg count: want its scale labelled count of itl_ms (rows), not itl_ms (ms): %q", c.texts)
	}
	lc := filepath.Join(t.TempDir(), "lc.svg")
	if r := mlsysim(t, "plot", "line", res, "--x", "batch_size", "--y", "itl_ms", "--agg", "count", "--out", lc); r.code != 0 {
		t.Fatal(r)
	}
	if c := readSVG(t, lc); c.count("count of itl_ms (rows)") != 1 || c.count("itl_ms (ms)") != 0 {
		t.Errorf("line --agg count: want the y axis labelled count of itl_ms (rows), not itl_ms (ms): %q", c.texts)
	}
	// Feasibility: the share of feasible rows, so infeasible rows count.
	out2 := filepath.Join(t.TempDir(), "f.png")
	if r := mlsysim(t, "plot", "heatmap", res, "--x", "hardware", "--y", "precision", "--color", "feasible", "--out", out2, "--dpi", "72"); r.code != 0 {
		t.Fatal(r)
	}
	if b, err := os.ReadFile(out2); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("%s is not a PNG: %v", out2, err)
	}
}

func TestPlotLineAndRoofline(t *testing.T) {
	res := swept(t, "serving-frontier")
	dir := t.TempDir()
	out := filepath.Join(dir, "l.pdf")
	if r := mlsysim(t, "plot", "line", res, "--x", "batch_size", "--y", "tokens_per_s", "--color", "hardware",
		"--where", "model=Llama3_8B", "--where", "precision=fp8", "--out", out); r.code != 0 {
		t.Fatal(r)
	}
	if b, _ := os.ReadFile(out); !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Errorf("%s is not a PDF", out)
	}
	node := swept(t, "roofline")
	rf := filepath.Join(dir, "r.svg")
	r := mlsysim(t, "plot", "roofline", node, "--where", "hardware=H100,A100", "--out", rf)
	if r.code != 0 {
		t.Fatal(r)
	}
	svg := readSVG(t, rf)
	for _, s := range []string{"H100", "A100", "arithmetic intensity (FLOP/byte)", "attained (FLOP/s)", "3.35 TB/s", "precision"} {
		if svg.count(s) == 0 {
			t.Errorf("no text %q in %q", s, svg.texts)
		}
	}
	// H100's top roof: fp8 and int8 at 1979 TFLOP/s (catalog), ridge 1979e12/3.35e12 = 591 FLOP/B.
	if svg.containing("1.98 PFLOP/s · ridge 591 FLOP/B") != 1 {
		t.Errorf("no H100 top roof with its ridge: %q", svg.texts)
	}
}

func TestPlotBadInput(t *testing.T) {
	res := swept(t, "serving-frontier")
	dir := t.TempDir()
	out := filepath.Join(dir, "x.svg")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot"}, "want KIND RESULT"},
		{[]string{"plot", "paretto", res}, `unknown kind "paretto" (did you mean pareto?)`},
		{[]string{"plot", "pareto"}, "missing RESULT"},
		{[]string{"plot", "scatter", res, "--x", "itl", "--y", "ttft_ms", "--out", out}, `--x: no column "itl" in the result (did you mean itl_ms`},
		{[]string{"plot", "scatter", res, "--x", "itl_ms", "--y", "hardware", "--out", out}, "--y: column hardware is VARCHAR, not a number"},
		{[]string{"plot", "scatter", res, "--x", "itl_ms", "--out", out}, "--y: missing"},
		{[]string{"plot", "scatter", res, "--x", "itl_ms", "--y", "ttft_ms", "--where", "model=Llama9", "--out", out}, `--where: model=Llama9: model has no value "Llama9" (values: Llama3_70B, Llama3_8B, Mixtral_8x7B)`},
		{[]string{"plot", "scatter", res, "--x", "itl_ms", "--y", "ttft_ms", "--where", "batch_size=abc", "--out", out}, "batch_size is numeric"},
		{[]string{"plot", "scatter", res, "--x", "itl_ms", "--y", "ttft_ms", "--where", "model", "--out", out}, "--where"},
		{[]string{"plot", "heatmap", res, "--x", "batch_size", "--y", "point_id", "--out", out}, "more than 4096 combinations"},
		{[]string{"plot", "pareto", res, "--objectives", "itl_ms,ttft_ms,tokens_per_s:max", "--out", out}, "two objectives"},
		{[]string{"plot", "roofline", res, "--out", out}, "needs the node study's columns"},
		{[]string{"plot", "heatmap", res, "--x", "batch_size", "--y", "seq_len", "--facet", "model", "--out", out}, "--facet: applies to scatter and line, not heatmap"},
		{[]string{"plot", "line", res, "--x", "batch_size", "--y", "itl_ms", "--agg", "avg", "--out", out}, `--agg: unknown aggregate "avg"`},
		{[]string{"plot", "pareto", res, "--out", filepath.Join(dir, "x.jpg")}, "want a file name ending in .svg, .pdf or .png"},
		{[]string{"plot", "pareto", res, "--out", filepath.Join(dir, "no", "x.svg")}, "does not exist"},
		{[]string{"plot", "pareto", res, "--out", filepath.Join(res, "x.svg")}, "inside the result"},
		{[]string{"plot", "pareto", res, "--max-points", "0", "--out", out}, "--max-points"},
		{[]string{"plot", "pareto", res, "--dpi", "5000", "--out", out}, "--dpi"},
		{[]string{"plot", "pareto", res, "--dpi", "100", "--out", out}, "--dpi: applies to PNG output only; --out " + out + " is SVG"},
		{[]string{"plot", "pareto", filepath.Join(dir, "nothing"), "--out", out}, "no such folder"},
	} {
		r := mlsysim(t, c.args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: want exit 1 with %q\n%s", strings.Join(c.args, " "), c.want, r)
		}
	}
	// Nothing half-written: no figure, no temporary file.
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed plots left %v", entries)
	}
}

// An output folder that cannot be written is refused before any work, naming
// the file asked for (not the temporary name it is written under). /sys
// refuses new files even to root.
func TestUnwritableOut(t *testing.T) {
	if err := os.WriteFile("/sys/mlsysim-probe", nil, 0o644); err == nil || !os.IsPermission(err) {
		t.Skip("needs /sys, which refuses new files")
	}
	missing := filepath.Join(t.TempDir(), "no-result")
	for _, args := range [][]string{
		{"plot", "pareto", missing, "--out", "/sys/f.svg"},
		{"report", missing, "--out", "/sys/r.html"},
		{"eval", "Llama3_8B", "H100", "--plot", "/sys/e.svg"},
	} {
		r := mlsysim(t, args...)
		want := "cannot write " + args[len(args)-1] + ": permission denied"
		if r.code != exitBadInput || !strings.Contains(r.stderr, want) || r.stdout != "" {
			t.Errorf("%v: want exit 1, %q and nothing on stdout\n%v", args, want, r)
		}
	}
}

// Run inside the result folder, `plot KIND .` and `report .` write beside the
// folder, as for any other result (they wrote ".-pareto.svg" into it, which
// was refused as inside the result).
func TestDefaultOutOfDot(t *testing.T) {
	res := swept(t, "serving-frontier")
	dir := t.TempDir()
	copied := filepath.Join(dir, "sf")
	if err := os.CopyFS(copied, os.DirFS(res)); err != nil {
		t.Fatal(err)
	}
	t.Chdir(copied)
	for _, c := range []struct {
		args []string
		file string
	}{
		{[]string{"plot", "pareto", "."}, "sf-pareto.svg"},
		{[]string{"report", "."}, "sf-report.html"},
	} {
		if r := mlsysim(t, c.args...); r.code != exitOK {
			t.Errorf("%v: %v", c.args, r)
		}
		if _, err := os.Stat(filepath.Join(dir, c.file)); err != nil {
			t.Errorf("%v: %v", c.args, err)
		}
	}
}

func TestEvalPlot(t *testing.T) {
	out := filepath.Join(t.TempDir(), "e.svg")
	r := mlsysim(t, "eval", "Llama3_8B", "H100", "--batch-size", "32", "--plot", out)
	if r.code != 0 {
		t.Fatal(r)
	}
	svg := readSVG(t, out)
	for _, s := range []string{"Roofline: Llama3_8B on H100", "Llama3_8B on H100", "3.35 TB/s"} {
		if svg.count(s) == 0 {
			t.Errorf("no text %q in %q", s, svg.texts)
		}
	}
	if got := len(opaqueMark.FindAllString(svg.raw, -1)); got != 2 { // the point and its legend mark
		t.Errorf("%d marks, want the one point and its legend", got)
	}
	if r := mlsysim(t, "eval", "Llama3_8B", "H100", "--plot", "x.gif"); r.code != exitBadInput {
		t.Errorf("--plot x.gif: %s", r)
	}
}

func TestReport(t *testing.T) {
	res := swept(t, "serving-frontier")
	out := filepath.Join(t.TempDir(), "r.html")
	r := mlsysim(t, "report", res, "--out", out)
	if r.code != 0 {
		t.Fatal(r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, s := range []string{"<title>mlsysim report — llm-serving-frontier</title>", "physics profile", "calibrated",
		"5,808", "out_of_memory", "Best feasible point per model", "Pareto frontier: itl_ms:min,tokens_per_s_per_accelerator:max per model",
		"Lowest ITL over batch × context", "Share of feasible configurations"} {
		if !strings.Contains(page, s) {
			t.Errorf("the report has no %q", s)
		}
	}
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d inline SVG figures, want 3", n)
	}
	// Self-contained: nothing to fetch.
	for _, s := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, s) {
			t.Errorf("the report contains %q", s)
		}
	}
}
