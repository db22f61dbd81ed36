//go:build cgo

package reports

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/sweep"
)

// The package used as a library, without the command line: a grid swept by
// package sweep, opened by package queries, drawn here.

// serveGrid is small enough to sweep in a test: 2 models × 2 accelerators × 2
// precisions × 4 batch sizes = 32 points, some of them out of memory (Llama3_70B
// at fp16 on an 80 GB H100).
const serveGrid = `version: 1
name: reports-test
study: serve
axes:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100]
  precision: [fp16, int8]
  batch_size: [1, 8, 64, 512]
  seq_len: [4096]
`

func sweepGrid(t *testing.T, grid string) (*queries.DB, *catalog.Catalog) {
	t.Helper()
	ctx := context.Background()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := sweep.ParseSpec("test.yaml", []byte(grid))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := spec.Plan(cat)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := sweep.WriteParts(ctx, plan, sweep.WriteOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	db, err := queries.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, cat
}

// count runs a SELECT count(*) over the results view.
func count(t *testing.T, db *queries.DB, sql string) int64 {
	t.Helper()
	rows, err := db.Query(context.Background(), queries.SQL(sql))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row", sql)
	}
	n, ok := rows.Values()[0].(int64)
	if !ok {
		t.Fatalf("%s: %T", sql, rows.Values()[0])
	}
	return n
}

// marks counts the marks of a figure's layers of one kind.
func marks(f *figures.Figure, faint bool) int {
	n := 0
	for _, p := range f.Panels {
		for _, l := range p.Layers {
			switch l := l.(type) {
			case *figures.Line:
				if l.Marks && !faint {
					n += len(l.X)
				}
			case *figures.Points:
				if l.Style.Faint == faint {
					n += len(l.X)
				}
			}
		}
	}
	return n
}

func TestFigureParetoIsTheQuerysFrontier(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	fig, _, err := Figure(ctx, db, cat, Options{Kind: "pareto"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queries.Lookup("pareto")
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Prepare(ctx, q, map[string]string{"objectives": "itl_ms:min,tokens_per_s_per_accelerator:max", "group": "model"})
	if err != nil {
		t.Fatal(err)
	}
	front := count(t, db, "SELECT count(*) FROM ("+st.SQL+")")
	if got := marks(fig, false); int64(got) != front || front == 0 {
		t.Errorf("%d frontier marks, the pareto query has %d rows", got, front)
	}
	// Every feasible row is drawn faint behind the frontier (32 points are under the budget).
	if got, want := marks(fig, true), count(t, db, "SELECT count(*) FROM results WHERE feasible"); int64(got) != want {
		t.Errorf("%d faint points, want the %d feasible rows", got, want)
	}
	if fig.LegendTitle != "model" || len(fig.Legend) != 2 {
		t.Errorf("legend %q %v, want the two models", fig.LegendTitle, fig.Legend)
	}
}

func TestBuildReport(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	page, err := Build(ctx, db, cat, "x")
	if err != nil {
		t.Fatal(err)
	}
	if page.Title != "mlsysim report — reports-test" || len(page.Figures) != 3 || len(page.Notes) != 0 {
		t.Errorf("title %q, %d figures, notes %q", page.Title, len(page.Figures), page.Notes)
	}
	var best *Table
	for _, tb := range page.Tables {
		if strings.HasPrefix(tb.Title, "Best feasible point per model") {
			best = tb
		}
	}
	if best == nil || len(best.Rows) != 2 {
		t.Fatalf("no best point per model: %+v", page.Tables)
	}
	// The inputs the grid fixes (seq_len is 4096 throughout) are left out;
	// those it sweeps stay, even when every best point has the same value:
	// H100 is the answer, not noise.
	want := []string{"model", "hardware", "precision", "batch_size", "itl_ms"}
	if !slices.Equal(best.Cols, want) {
		t.Errorf("best-point columns %q, want %q", best.Cols, want)
	}
	if f := page.Frontier; f == nil || !slices.Equal(f.Cols, []string{"model", "hardware", "precision", "batch_size", "itl_ms", "tokens_per_s_per_accelerator"}) {
		t.Errorf("frontier table %+v", f)
	}
	var buf bytes.Buffer
	if err := page.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "<svg"); n != 3 {
		t.Errorf("%d inline SVGs, want 3", n)
	}
}

// An option the kind does not use is refused, naming it and the kinds that use
// it, before any work: silently ignoring it would draw another figure than the
// one asked for.
func TestOptionsThatDoNotApply(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Kind: "heatmap", X: "batch_size", Y: "precision", Facet: "model"}, "--facet: applies to scatter and line, not heatmap"},
		{Options{Kind: "heatmap", X: "batch_size", Y: "precision", Log: "x"}, "--log: applies to pareto, scatter and line, not heatmap"},
		{Options{Kind: "roofline", Log: "y"}, "--log: applies to pareto, scatter and line, not roofline"},
		{Options{Kind: "pareto", X: "itl_ms"}, "--x: applies to heatmap, scatter and line, not pareto"},
		{Options{Kind: "pareto", Color: "hardware"}, "--color: applies to roofline, heatmap, scatter and line, not pareto (a pareto figure colours its --group)"},
		{Options{Kind: "pareto", Agg: "max"}, "--agg: applies to heatmap and line, not pareto"},
		{Options{Kind: "scatter", X: "itl_ms", Y: "ttft_ms", Objectives: "itl_ms:min,ttft_ms:min"}, "--objectives: applies to pareto, not scatter"},
		{Options{Kind: "line", X: "batch_size", Y: "itl_ms", Group: []string{"model"}}, "--group: applies to pareto, not line"},
		{Options{Kind: "scatter", X: "itl_ms", Y: "ttft_ms", Label: []string{}}, "--label: applies to pareto, not scatter"},
		{Options{Kind: "roofline", Facet: "model"}, "--facet: applies to scatter and line, not roofline"},
		// A heatmap or a line aggregates every row: --max-points changed nothing.
		{Options{Kind: "heatmap", X: "batch_size", Y: "precision", MaxPoints: 5}, "--max-points: applies to roofline, pareto and scatter, not heatmap"},
		{Options{Kind: "line", X: "batch_size", Y: "itl_ms", MaxPoints: 5}, "--max-points: applies to roofline, pareto and scatter, not line"},
		// A bad aggregate is the --agg's fault, whatever the axes.
		{Options{Kind: "heatmap", X: "batch_size", Y: "precision", Agg: "avg"}, `--agg: unknown aggregate "avg"; aggregates: mean, min, max, median, p90, p99, sum, count`},
		{Options{Kind: "line", X: "batch_size", Y: "itl_ms", Agg: "maximum"}, `--agg: unknown aggregate "maximum" (did you mean max?)`},
		// A roofline of a result without the node study's columns says so,
		// even when no row is selected.
		{Options{Kind: "roofline", Where: []queries.Filter{{Column: "model", Op: "=", Values: []string{"nothing"}}}}, "a roofline needs the node study's columns"},
	} {
		_, _, err := Figure(ctx, db, cat, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.o, err, c.want)
		}
	}
}

// Categories that are empty text (or NULL) are named, not drawn blank: the
// legend of infeasible_reason over feasible rows, a panel per value.
func TestEmptyCategoriesAreNamed(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	for _, o := range []Options{
		{Kind: "scatter", X: "batch_size", Y: "itl_ms", Color: "infeasible_reason"},
		{Kind: "scatter", X: "batch_size", Y: "itl_ms", Facet: "infeasible_reason"},
		{Kind: "line", X: "batch_size", Y: "itl_ms", Color: "infeasible_reason"},
		{Kind: "heatmap", X: "infeasible_reason", Y: "batch_size", Color: "itl_ms"},
		{Kind: "pareto", Group: []string{"infeasible_reason"}},
	} {
		fig, _, err := Figure(ctx, db, cat, o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		var names []string
		for _, k := range fig.Legend {
			names = append(names, k.Label)
		}
		for _, p := range fig.Panels {
			if o.Facet != "" {
				names = append(names, p.Title)
			}
			names = append(names, p.X.Categories...)
		}
		if len(names) == 0 || slices.Contains(names, "") {
			t.Errorf("%+v: categories %q", o, names)
		}
	}
}

// An empty selection says why for every kind, the share-of-feasible heatmap
// (which counts infeasible rows too) included.
func TestEmptySelection(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	none := []queries.Filter{{Column: "model", Op: "=", Values: []string{"Llama3_9B"}}}
	for _, o := range []Options{
		{Kind: "heatmap", X: "hardware", Y: "batch_size", Color: "feasible", Where: none},
		{Kind: "heatmap", X: "hardware", Y: "batch_size", Where: none},
		{Kind: "pareto", Where: none},
		{Kind: "scatter", X: "batch_size", Y: "itl_ms", Where: none},
	} {
		_, _, err := Figure(ctx, db, cat, o)
		want := `--where: model=Llama3_9B: model has no value "Llama3_9B" (did you mean Llama3_8B?) (values: Llama3_70B, Llama3_8B)`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v; want %q", o, err, want)
		}
		// Values the result holds, which no row holds together.
		o.Where = []queries.Filter{{Column: "model", Op: "=", Values: []string{"Llama3_8B"}}, {Column: "model", Op: "=", Values: []string{"Llama3_70B"}}}
		_, _, err = Figure(ctx, db, cat, o)
		want = `no rows to draw: no row of 32 matches model=Llama3_8B and model=Llama3_70B`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v; want %q", o, err, want)
		}
	}
}

// A --where value the result does not hold is refused, not ignored: in a list
// it selected nothing and the figure drew the rest, after != it excluded
// nothing (hardware!=a100 drew the A100 rows).
func TestWhereValueNotHeld(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	for _, c := range []struct {
		where queries.Filter
		want  string
	}{
		{queries.Filter{Column: "hardware", Op: "=", Values: []string{"H100", "H10"}}, `hardware has no value "H10" (did you mean H100?) (values: A100, H100)`},
		{queries.Filter{Column: "hardware", Op: "!=", Values: []string{"a100"}}, `hardware has no value "a100" (did you mean A100?)`},
		{queries.Filter{Column: "batch_size", Op: "=", Values: []string{"8", "16"}}, `batch_size has no value "16" (values: 1, 8, 64, 512)`},
	} {
		_, _, err := Figure(ctx, db, cat, Options{Kind: "pareto", Where: []queries.Filter{c.where}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--where %s: %v; want %q", c.where, err, c.want)
		}
	}
}

// A log axis never drops points silently: forced (--log) over values ≤ 0 it
// is refused, naming the column; auto only chooses it when every drawn value
// is positive — the sampled background's and the frontier's, which comes from
// every row. Checked on several selections, each with a one-point sample, so
// that some samples hold no zero while their frontier does.
func TestLogAxisOverNonPositiveValues(t *testing.T) {
	ctx := context.Background()
	// tp_comm_ms is 0 at tp = 1 and positive at tp = 2, so the frontier of
	// the least communication holds zeros; cached_prefix_len is 0 everywhere.
	db, cat := sweepGrid(t, strings.Replace(serveGrid, "  seq_len: [4096]", "  seq_len: [4096]\n  tp: [1, 2]", 1))
	_, _, err := Figure(ctx, db, cat, Options{Kind: "scatter", X: "cached_prefix_len", Y: "itl_ms", Log: "x"})
	if want := "--log: no row has a positive cached_prefix_len, which the log axis needs"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("scatter: %v; want %q", err, want)
	}
	// A forced log axis of a scatter leaves the rows ≤ 0 out, and says so.
	fig, _, err := Figure(ctx, db, cat, Options{Kind: "scatter", X: "tp_comm_ms", Y: "itl_ms", Log: "x"})
	if err != nil {
		t.Fatal(err)
	}
	n := count(t, db, "SELECT count(*) FROM results WHERE feasible AND tp_comm_ms > 0")
	if c := strings.Join(fig.Caption, "\n"); !strings.Contains(c, fmt.Sprintf("points: all %d rows; only rows with tp_comm_ms > 0 (log axis)", n)) {
		t.Errorf("caption %q does not say the rows with tp_comm_ms ≤ 0 are left out", c)
	}
	q, err := queries.Lookup("pareto")
	if err != nil {
		t.Fatal(err)
	}
	for _, model := range []string{"Llama3_8B", "Llama3_70B"} {
		for _, b := range []string{"1", "8", "64", "512"} {
			where := []queries.Filter{{Column: "model", Op: "=", Values: []string{model}}, {Column: "batch_size", Op: "=", Values: []string{b}}}
			for _, mode := range []string{"auto", "x"} {
				o := Options{Kind: "pareto", Objectives: "tp_comm_ms:min,tokens_per_s:max", Log: mode, MaxPoints: 1, Where: where}
				fig, _, err := Figure(ctx, db, cat, o)
				if err != nil && strings.Contains(err.Error(), "no rows to draw") {
					continue // nothing feasible here (Llama3_70B at batch 512)
				}
				st, perr := db.Prepare(ctx, q, map[string]string{"objectives": o.Objectives, "group": "model"})
				if perr != nil {
					t.Fatal(perr)
				}
				front := count(t, db, "SELECT count(*) FROM ("+st.SQL+")")
				zeros := count(t, db, "SELECT count(*) FROM ("+st.SQL+") WHERE tp_comm_ms <= 0")
				switch {
				case err != nil:
					if mode != "x" || zeros == 0 || !strings.Contains(err.Error(), "--log: tp_comm_ms has values ≤ 0") {
						t.Errorf("%s batch %s, --log %s (%d zeros on the frontier): %v", model, b, mode, zeros, err)
					}
				case mode == "x" && zeros > 0:
					t.Errorf("%s batch %s: --log x drawn over a frontier with %d zeros", model, b, zeros)
				case int64(marks(fig, false)) != front:
					t.Errorf("%s batch %s, --log %s: %d frontier marks drawn, the query has %d", model, b, mode, marks(fig, false), front)
				}
			}
		}
	}
}

// A report of a sweep with no feasible point says so, instead of a best-point
// table and a frontier table with headers and no rows.
func TestReportNothingFeasible(t *testing.T) {
	ctx := context.Background()
	// Llama3_70B's fp16 weights (141 GB) do not fit a 16 GB T4.
	db, cat := sweepGrid(t, `version: 1
name: nothing-fits
study: serve
axes:
  model: [Llama3_70B]
  hardware: [T4]
  precision: [fp16]
  batch_size: [64]
  seq_len: [4096]
`)
	page, err := Build(ctx, db, cat, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range page.Tables {
		if len(tb.Rows) == 0 {
			t.Errorf("table %q has no rows", tb.Title)
		}
	}
	if page.Frontier != nil {
		t.Errorf("a frontier table of %d rows", len(page.Frontier.Rows))
	}
	want := []string{"1 row.", "0 feasible (0.0 %): no best point per model and no frontier."}
	if !slices.Equal(page.Findings, want) {
		t.Errorf("findings %q, want %q", page.Findings, want)
	}
}

// A line figure's caption says what each point aggregates: the rows with its
// key, not "the N rows" of the whole figure.
func TestLineCaption(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	fig, _, err := Figure(ctx, db, cat, Options{Kind: "line", X: "batch_size", Y: "tokens_per_s", Color: "hardware"})
	if err != nil {
		t.Fatal(err)
	}
	n := count(t, db, "SELECT count(*) FROM results WHERE feasible")
	want := fmt.Sprintf("each point: mean of tokens_per_s over the rows with its hardware and batch_size (%d rows in all; the other columns folded in)", n)
	if !slices.Contains(fig.Caption, want) {
		t.Errorf("caption %q, want the line %q", fig.Caption, want)
	}
}

// The caption's row count under --where is the rows the filter keeps, of the
// result's: the total alone read as the rows drawn.
func TestWhereCaptionCountsMatchedRows(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, serveGrid)
	total := count(t, db, "SELECT count(*) FROM results")
	kept := count(t, db, "SELECT count(*) FROM results WHERE hardware = 'H100'")
	if kept == 0 || kept == total {
		t.Fatalf("the grid should split by hardware: %d of %d", kept, total)
	}
	where := []queries.Filter{{Column: "hardware", Op: "=", Values: []string{"H100"}}}
	fig, _, err := Figure(ctx, db, cat, Options{Kind: "scatter", X: "batch_size", Y: "itl_ms", Where: where})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s of %s rows where hardware=H100", thousands(kept), thousands(total))
	if !slices.ContainsFunc(fig.Caption, func(l string) bool { return strings.HasPrefix(l, want) }) {
		t.Errorf("caption %q, want a line starting %q", fig.Caption, want)
	}
}

// The default labels of a frontier tell its points apart: with more inputs
// varying along it than three, those that distinguish the most points are
// chosen (batch size, here), not the first three in the study's order
// (hardware, precision, efficiency), which labelled many points alike.
func TestParetoLabelsTellPointsApart(t *testing.T) {
	ctx := context.Background()
	// As the bundled serving frontier: the frontier moves across accelerators,
	// precisions and efficiencies, and along the batch size.
	db, cat := sweepGrid(t, `version: 1
name: labels
study: serve
axes:
  model: [Llama3_8B]
  hardware: [H100, B200, GB200, Cerebras_CS3]
  precision: [fp16, int8, int4]
  efficiency: [0.5, 0.6]
  batch_size: {pow2: [1, 512]}
  seq_len: [2048]
  prefill_chunk_tokens: [0, 512]
`)
	fig, _, err := Figure(ctx, db, cat, Options{Kind: "pareto"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range fig.Panels {
		var line *figures.Line
		for _, l := range p.Layers {
			switch l := l.(type) {
			case *figures.Line:
				line = l
			case *figures.Labels:
				// Labels follow their group's line: points of one frontier.
				// Ties (equal in both objectives) share a place and may share
				// a label; points in different places may not.
				at := map[string][2]float64{}
				for i, s := range l.Text {
					xy := [2]float64{l.X[i], l.Y[i]}
					if prev, ok := at[s]; ok && prev != xy {
						t.Errorf("label %q at %v and %v on one frontier; labels %q", s, prev, xy, l.Text)
					}
					at[s] = xy
				}
				if line == nil || len(l.Text) != len(line.X) {
					t.Errorf("%d labels for a frontier of %d points", len(l.Text), len(line.X))
				}
			}
		}
	}
}

// TestNonFiniteCellsAndPoints: a cell or line point whose aggregate is +Inf (an unstable
// queue's p99, drawn with --all) is left empty and the caption counts it; before, one such
// cell failed the whole heatmap with an error blamed on --out, and the line dropped the
// point without a word. When nothing is finite the error names --color or --y.
func TestNonFiniteCellsAndPoints(t *testing.T) {
	ctx := context.Background()
	db, cat := sweepGrid(t, `version: 1
name: inf
study: serve-capacity
fixed:
  max_replicas: 2
  target_p99_ms: 60000
axes:
  model: [Llama3_8B]
  hardware: [H100]
  qps: [1, 100000]
  max_batch_size: [8, 64]
`)
	if n := count(t, db, "SELECT count(*) FROM results WHERE estimated_p99_ms = 'Infinity'::DOUBLE AND qps = 100000"); n != 2 {
		t.Fatalf("fixture: %d rows at 100,000 QPS with an infinite p99, want 2", n)
	}
	heat := Options{Kind: "heatmap", X: "qps", Y: "max_batch_size", Color: "estimated_p99_ms", All: true}
	line := Options{Kind: "line", X: "qps", Y: "estimated_p99_ms", All: true}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{heat, "mean of estimated_p99_ms not finite in 2 of 4 cells, left empty"},
		{line, "mean of estimated_p99_ms not finite at 1 of 2 points, left out"},
	} {
		fig, _, err := Figure(ctx, db, cat, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.o.Kind, err)
		}
		if !strings.Contains(strings.Join(fig.Caption, " "), c.want) {
			t.Errorf("%s caption %q, want %q", c.o.Kind, fig.Caption, c.want)
		}
	}
	unstable := []queries.Filter{{Column: "qps", Op: "=", Values: []string{"100000"}}}
	heat.Where, line.Where = unstable, unstable
	for _, c := range []struct {
		o    Options
		want string
	}{
		{heat, "--color: the mean of estimated_p99_ms is not finite in any of its 2 cells"},
		{line, "--y: the mean of estimated_p99_ms is not finite at any of its 1 points"},
	} {
		if _, _, err := Figure(ctx, db, cat, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.o.Kind, err, c.want)
		}
	}
}
