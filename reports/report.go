package reports

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/results"
)

// A report's inline figures stay light enough to open quickly (the caption
// of a sampled figure says so), and its tables short.
const (
	reportMaxPoints   = 4000
	reportFrontierMax = 60 // frontier rows shown in the table
	reportRoofDevices = 6
)

// Page is a sweep's report: the run's manifest facts, the findings, the
// figures that fit its study and its Pareto frontier. WriteHTML renders it.
type Page struct {
	Title    string
	Facts    [][2]string
	Spec     string
	Findings []string
	Tables   []*Table // findings in detail
	Frontier *Table
	Figures  []PageFigure
	Notes    []string // figures that could not be drawn, and why
}

// Table is rows of text under column names; Note says what was left out.
type Table struct {
	Title, Note string
	Cols        []string
	Rows        [][]string
}

// PageFigure is a figure as inline SVG.
type PageFigure struct {
	Title string
	SVG   template.HTML
}

// Build reads a report from an open result. path names the result where it
// records no spec name; cat supplies roofline bandwidths. The result's view is
// left unrestricted.
func Build(ctx context.Context, db *queries.DB, cat *catalog.Catalog, path string) (*Page, error) {
	fc, err := newFigCtx(ctx, db, cat)
	if err != nil {
		return nil, err
	}
	if err := db.Restrict(ctx, nil); err != nil {
		return nil, err
	}
	page := &Page{Title: "mlsysim report — " + cmp(fc.prov.SpecName, filepath.Base(path))}
	m := db.Info.Run
	page.Facts = facts(fc.prov, m, db)
	if m != nil {
		page.Spec = m.Spec
	}
	if err := fc.findings(ctx, page); err != nil {
		return nil, err
	}
	if err := fc.frontier(ctx, page); err != nil {
		return nil, err
	}
	for _, o := range fc.recipes(ctx) {
		if slices.Contains(SampledKinds, o.Kind) {
			o.MaxPoints = reportMaxPoints
		}
		fig, _, err := fc.figure(ctx, o)
		if err != nil {
			page.Notes = append(page.Notes, fmt.Sprintf("%s figure not drawn: %v", cmp(o.Title, o.Kind), err))
			continue
		}
		var buf bytes.Buffer
		if err := fig.Render(&buf, figures.SVG, 0); err != nil {
			return nil, err
		}
		svg := buf.String()
		if i := strings.Index(svg, "<svg"); i >= 0 {
			svg = svg[i:] // the XML declaration has no place inside HTML
		}
		page.Figures = append(page.Figures, PageFigure{Title: fig.Title, SVG: template.HTML(svg)})
	}
	if err := db.Restrict(ctx, nil); err != nil {
		return nil, err
	}
	return page, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func facts(p queries.Provenance, m *results.Manifest, db *queries.DB) [][2]string {
	facts := [][2]string{{"result", db.Info.Path}}
	add := func(k, v string) {
		if v != "" {
			facts = append(facts, [2]string{k, v})
		}
	}
	add("spec", p.SpecName)
	add("study", p.Study)
	add("physics profile", p.Profile)
	add("spec hash", p.SpecHash)
	add("catalog hash", p.CatalogHash)
	add("mlsysim version", p.Version)
	if m != nil {
		add("spec file", m.SpecFile)
		add("status", m.Status)
		add("grid points", thousands(int64(m.PointsTotal)))
		add("rows written", thousands(int64(m.Rows)))
		add("files", fmt.Sprintf("%d %s parts (%s compression), %s", len(m.Parts), m.Format, cmp(m.Compression, "no"), figures.SIUnit(float64(m.Bytes), "B")))
		if m.Shard != nil {
			add("shard", fmt.Sprintf("%d of %d", m.Shard.Index, m.Shard.Count))
		}
		if len(m.MergedFrom) > 0 {
			add("shard folders", strings.Join(m.MergedFrom, ", "))
		}
	} else {
		add("files", strconv.Itoa(len(db.Info.Files)))
	}
	return facts
}

// findings: feasibility, reasons, binding walls, the best point per model.
func (fc *figCtx) findings(ctx context.Context, page *Page) error {
	total, err := fc.db.Count(ctx, false)
	if err != nil {
		return err
	}
	rows := "rows"
	if total == 1 {
		rows = "row"
	}
	page.Findings = append(page.Findings, fmt.Sprintf("%s %s.", thousands(total), rows))
	if total == 0 || !fc.has("feasible") {
		return nil
	}
	feasible, err := fc.db.Count(ctx, true)
	if err != nil {
		return err
	}
	share := fmt.Sprintf("%s feasible (%.1f %%)", thousands(feasible), 100*float64(feasible)/float64(total))
	if feasible == 0 {
		page.Findings = append(page.Findings, share+": no best point per model and no frontier.")
	} else {
		page.Findings = append(page.Findings, share+".")
	}
	for _, q := range []struct{ col, where, title string }{
		{"infeasible_reason", "NOT feasible", "Why points are infeasible"},
		{"binding_wall", "feasible", "Binding wall of the feasible points"},
	} {
		if !fc.has(q.col) {
			continue
		}
		t, err := tableOf(ctx, fc.db, queries.SQL(fmt.Sprintf(`SELECT %q AS %q, count(*) AS "rows" FROM results WHERE %s GROUP BY 1 ORDER BY 2 DESC, 1`, q.col, q.col, q.where)), nil, 30)
		if err != nil {
			return inputErr("report", err)
		}
		if len(t.Rows) > 0 {
			t.Title = q.title
			page.Tables = append(page.Tables, t)
		}
	}
	if feasible == 0 || fc.study == nil || !fc.has("model") || !fc.has(fc.study.Objective.Column) {
		return nil
	}
	obj := fc.study.Objective
	top, err := queries.Lookup("top")
	if err != nil {
		return err
	}
	order := "max"
	if obj.Minimize {
		order = "min"
	}
	st, err := fc.db.Prepare(ctx, top, map[string]string{"by": obj.Column, "order": order, "k": "1", "group": "model"})
	if err != nil {
		return inputErr("report", err)
	}
	t, err := tableOf(ctx, fc.db, st, fc.sweptAnd(ctx, obj.Column), 100)
	if err != nil {
		return inputErr("report", err)
	}
	t.Title = fmt.Sprintf("Best feasible point per model (%s %s)", map[bool]string{true: "lowest", false: "highest"}[obj.Minimize], obj.Column)
	page.Tables = append(page.Tables, t)
	return nil
}

// sweptAnd are the study's input columns that take more than one value in
// the result — what the grid swept; the inputs it fixed would repeat one
// value in every row — and model, then cols.
func (fc *figCtx) sweptAnd(ctx context.Context, cols ...string) []string {
	in := fc.inputsAnd()
	n, err := fc.db.Distinct(ctx, in)
	var out []string
	for _, c := range in {
		if err != nil || n[c] > 1 || c == "model" { // model: the tables' group
			out = append(out, c)
		}
	}
	for _, c := range cols {
		out = appendNew(out, c)
	}
	return out
}

// inputsAnd are the study's input columns present in the result, then cols.
func (fc *figCtx) inputsAnd(cols ...string) []string {
	var out []string
	if fc.study != nil {
		for _, p := range fc.study.Params {
			if fc.has(p.Name) {
				out = append(out, p.Name)
			}
		}
	}
	for _, c := range cols {
		out = appendNew(out, c)
	}
	return out
}

// frontier is the Pareto frontier of the study's two objectives per model.
func (fc *figCtx) frontier(ctx context.Context, page *Page) error {
	objs := studyPareto[fc.prov.Study]
	if objs == "" {
		return nil
	}
	params := map[string]string{"objectives": objs}
	if fc.has("model") {
		params["group"] = "model"
	}
	os, err := parseObjectives(objs)
	if err != nil {
		return err
	}
	for _, o := range os {
		if !fc.has(o.col) {
			return nil
		}
	}
	q, err := queries.Lookup("pareto")
	if err != nil {
		return err
	}
	st, err := fc.db.Prepare(ctx, q, params)
	if err != nil {
		return inputErr("report", err)
	}
	t, err := tableOf(ctx, fc.db, st, fc.sweptAnd(ctx, os[0].col, os[1].col), reportFrontierMax)
	if err != nil {
		return inputErr("report", err)
	}
	if len(t.Rows) == 0 {
		return nil // no feasible point; the findings say so
	}
	t.Title = "Pareto frontier: " + objs + " per model"
	page.Frontier = t
	return nil
}

// tableOf runs a statement into a table of at most limit rows (cols: the
// columns to keep, all when nil).
func tableOf(ctx context.Context, db *queries.DB, st *queries.Statement, cols []string, limit int) (*Table, error) {
	rows, err := db.Query(ctx, st)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keep []int
	t := &Table{}
	for i, c := range rows.Columns() {
		if cols == nil || slices.Contains(cols, c.Name) {
			keep = append(keep, i)
			t.Cols = append(t.Cols, c.Name)
		}
	}
	n := 0
	for rows.Next() {
		n++
		if len(t.Rows) == limit {
			continue
		}
		vals := rows.Values()
		row := make([]string, len(keep))
		for k, i := range keep {
			row[k] = cell(vals[i])
		}
		t.Rows = append(t.Rows, row)
	}
	if n > limit {
		t.Note = fmt.Sprintf("the first %d of %d rows", limit, n)
	}
	return t, rows.Err()
}

// cell writes a value for reading: whole numbers with thousands separators,
// others with four significant digits and no exponent where that stays short.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		return thousands(x)
	case uint64:
		if x <= math.MaxInt64 {
			return thousands(int64(x))
		}
	case float64:
		a := math.Abs(x)
		switch {
		case x == math.Trunc(x) && a < 1e15:
			return thousands(int64(x))
		case a >= 1e-3 && a < 1e7:
			r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
			return strconv.FormatFloat(r, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return fmt.Sprint(v)
}

// recipes are the figures that fit the study.
func (fc *figCtx) recipes(ctx context.Context) []Options {
	heat := func(x, y, color, title string) Options {
		return Options{Kind: "heatmap", X: x, Y: y, Color: color, Title: title}
	}
	pareto := Options{Kind: "pareto"}
	switch fc.prov.Study {
	case "serve":
		return []Options{pareto,
			heat("batch_size", "seq_len", "itl_ms", "Lowest ITL over batch × context"),
			heat("hardware", "batch_size", "feasible", "Share of feasible configurations")}
	case "node":
		return []Options{{Kind: "roofline", Color: "precision", Title: "Roofline", Where: fc.bestHardware(ctx)}, pareto,
			heat("hardware", "precision", "feasible", "Share of feasible configurations")}
	case "fleet":
		return []Options{pareto,
			heat("tp", "pp", "tokens_per_s", "Highest tokens/s per TP × PP split"),
			heat("region", "nodes", "objective_usd", "Cheapest objective per region and size")}
	case "serve-capacity":
		return []Options{pareto,
			heat("qps", "target_p99_ms", "replicas", "Fewest replicas per load and target")}
	case "reliability":
		return []Options{heat("job_duration_hours", "nodes", "goodput", "Best goodput per job length and size"),
			{Kind: "line", X: "job_duration_hours", Y: "failure_probability", Color: "cluster", Agg: "mean", Title: "Failure probability against job length"}}
	case "train-memory":
		return []Options{heat("tp", "pp", "feasible", "Share of layouts that fit per TP × PP"),
			heat("hardware", "zero_stage", "total_memory_gb", "Least memory per accelerator and ZeRO stage")}
	}
	// Another study: the objective and feasibility over its two most varied inputs.
	var out []Options
	x, y := fc.variedInputs(ctx)
	if x == "" {
		return nil
	}
	if fc.study != nil {
		out = append(out, heat(x, y, fc.study.Objective.Column, "Best "+fc.study.Objective.Column))
	}
	if fc.has("feasible") {
		out = append(out, heat(x, y, "feasible", "Share of feasible points"))
	}
	return out
}

// variedInputs are the two inputs with the most values (2 to MaxHeatCells).
func (fc *figCtx) variedInputs(ctx context.Context) (string, string) {
	cols := fc.inputsAnd()
	n, err := fc.db.Distinct(ctx, cols)
	if err != nil {
		return "", ""
	}
	var ok []string
	for _, c := range cols {
		if n[c] > 1 && n[c] <= MaxHeatCells {
			ok = append(ok, c)
		}
	}
	slices.SortStableFunc(ok, func(a, b string) int { return int(n[b] - n[a]) })
	if len(ok) < 2 {
		return "", ""
	}
	return ok[0], ok[1]
}

// bestHardware picks the accelerators a report's roofline shows: those of the
// best feasible point per model by the study's objective, at most
// reportRoofDevices.
func (fc *figCtx) bestHardware(ctx context.Context) []queries.Filter {
	if fc.study == nil {
		return nil
	}
	agg := "max"
	if fc.study.Objective.Minimize {
		agg = "min"
	}
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{"hardware"}, Value: fc.study.Objective.Column, Agg: agg, Feasible: true, Limit: 10000})
	if err != nil || len(ag.Value) <= reportRoofDevices {
		return nil
	}
	idx := make([]int, len(ag.Value))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		va, vb := ag.Value[a], ag.Value[b]
		if fc.study.Objective.Minimize {
			va, vb = -va, -vb
		}
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	var hw []string
	for _, i := range idx[:reportRoofDevices] {
		hw = append(hw, ag.Keys["hardware"][i])
	}
	return []queries.Filter{{Column: "hardware", Op: "=", Values: hw}}
}
