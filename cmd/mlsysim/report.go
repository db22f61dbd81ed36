package main

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
	"time"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/results"
	"github.com/mlsysim/mlsysim/sinks"
	"github.com/mlsysim/mlsysim/sweep"
)

// reportMaxPoints keeps a report's inline figures light enough to open
// quickly; the caption of a sampled figure says so.
const (
	reportMaxPoints   = 4000
	reportFrontierMax = 60 // frontier rows shown in the table
	reportRoofDevices = 6
)

func (a *app) reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write one self-contained HTML page about a sweep: manifest, findings, frontier, figures",
		ArgsUsage: "RESULT…",
		Description: `RESULT is a sweep output folder (or one .parquet file), or several folders or a glob
that are the shards of one sweep, checked as merge checks them. The page holds the run's
manifest facts (study, spec, profile, hashes, rows), the findings (feasible share,
why the rest is infeasible, the binding walls, the best point per model), the
Pareto frontier as a table, and the figures that fit the study (docs/FIGURES.md),
as inline SVG: no scripts, no network, one file to mail or archive.

Examples:
   mlsysim report out/serving-frontier
   mlsysim report out/roofline --out roofline.html`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the page (default RESULT-report.html beside a single result)"},
		},
		Action: a.reportAction,
	}
}

func (a *app) reportAction(ctx context.Context, c *cli.Command) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return badInputf("report", "want RESULT: a sweep output folder (mlsysim report out/frontier)")
	}
	out := c.String("out")
	if out == "" {
		base, err := defaultOutBase(args)
		if err != nil {
			return badInput("--out", err)
		}
		out = base + "-report.html"
	}
	if !strings.HasSuffix(strings.ToLower(out), ".html") {
		return badInputf("--out", "%s: want a file name ending in .html", out)
	}
	if err := checkFigureOut(out, args); err != nil {
		return badInput("--out", err)
	}
	start := time.Now()
	db, err := a.openResults(ctx, args)
	if err != nil {
		return err
	}
	defer db.Close()
	page, err := a.buildReport(ctx, db, args[0])
	if err != nil {
		return err
	}
	f, err := sinks.Create(out)
	if err != nil {
		return badInput("--out", err)
	}
	defer f.Abort()
	if err := reportHTML.Execute(f, page); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return badInput("--out", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (%d figures) in %.2f s\n", out, len(page.Figures), time.Since(start).Seconds())
	return nil
}

// reportPage is what the template renders.
type reportPage struct {
	Title    string
	Facts    [][2]string
	Spec     string
	Findings []string
	Tables   []*reportTable // findings in detail
	Frontier *reportTable
	Figures  []reportFigure
	Notes    []string // figures that could not be drawn, and why
}

type reportTable struct {
	Title, Note string
	Cols        []string
	Rows        [][]string
}

type reportFigure struct {
	Title string
	SVG   template.HTML
}

func (a *app) buildReport(ctx context.Context, db *queries.DB, path string) (*reportPage, error) {
	prov, err := db.Provenance(ctx)
	if err != nil {
		return nil, badInput("", err)
	}
	page := &reportPage{Title: "mlsysim report — " + cmpOr(prov.SpecName, filepath.Base(path))}
	m := db.Info.Run
	page.Facts = reportFacts(prov, m, db)
	if m != nil {
		page.Spec = m.Spec
	}
	st, _ := sweep.StudyByName(prov.Study)
	fc := &figCtx{db: db, prov: prov, units: columnUnits(prov), study: st}
	if err := a.reportFindings(ctx, fc, page); err != nil {
		return nil, err
	}
	if err := reportFrontier(ctx, fc, page); err != nil {
		return nil, err
	}
	for _, o := range reportRecipes(ctx, fc) {
		o.maxPoints = reportMaxPoints
		fig, _, err := a.figure(ctx, db, o)
		if err != nil {
			page.Notes = append(page.Notes, fmt.Sprintf("%s figure not drawn: %v", cmpOr(o.title, o.kind), err))
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
		page.Figures = append(page.Figures, reportFigure{Title: fig.Title, SVG: template.HTML(svg)})
	}
	if err := db.Restrict(ctx, nil); err != nil {
		return nil, badInput("", err)
	}
	return page, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func reportFacts(p queries.Provenance, m *results.Manifest, db *queries.DB) [][2]string {
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
		add("files", fmt.Sprintf("%d %s parts (%s compression), %s", len(m.Parts), m.Format, cmpOr(m.Compression, "no"), fmtSI(float64(m.Bytes), "B")))
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

// reportFindings: feasibility, reasons, binding walls, the best point per model.
func (a *app) reportFindings(ctx context.Context, fc *figCtx, page *reportPage) error {
	total, err := fc.db.Count(ctx, false)
	if err != nil {
		return badInput("", err)
	}
	page.Findings = append(page.Findings, fmt.Sprintf("%s rows.", thousands(total)))
	if total == 0 || !fc.has("feasible") {
		return nil
	}
	feasible, err := fc.db.Count(ctx, true)
	if err != nil {
		return badInput("", err)
	}
	page.Findings = append(page.Findings, fmt.Sprintf("%s feasible (%s).", thousands(feasible), fmtPct(float64(feasible)/float64(total))))
	for _, q := range []struct{ col, where, title string }{
		{"infeasible_reason", "NOT feasible", "Why points are infeasible"},
		{"binding_wall", "feasible", "Binding wall of the feasible points"},
	} {
		if !fc.has(q.col) {
			continue
		}
		t, err := tableOf(ctx, fc.db, queries.SQL(fmt.Sprintf(`SELECT %q AS %q, count(*) AS "rows" FROM results WHERE %s GROUP BY 1 ORDER BY 2 DESC, 1`, q.col, q.col, q.where)), nil, 30)
		if err != nil {
			return badInput("report", err)
		}
		if len(t.Rows) > 0 {
			t.Title = q.title
			page.Tables = append(page.Tables, t)
		}
	}
	if fc.study == nil || !fc.has("model") || !fc.has(fc.study.Objective.Column) {
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
		return badInput("report", err)
	}
	t, err := tableOf(ctx, fc.db, st, fc.inputsAnd(obj.Column), 100)
	if err != nil {
		return badInput("report", err)
	}
	t.Title = fmt.Sprintf("Best feasible point per model (%s %s)", map[bool]string{true: "lowest", false: "highest"}[obj.Minimize], obj.Column)
	page.Tables = append(page.Tables, t)
	return nil
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

// reportFrontier is the Pareto frontier of the study's two objectives per model.
func reportFrontier(ctx context.Context, fc *figCtx, page *reportPage) error {
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
		return badInput("report", err)
	}
	t, err := tableOf(ctx, fc.db, st, fc.inputsAnd(os[0].col, os[1].col), reportFrontierMax)
	if err != nil {
		return badInput("report", err)
	}
	t.Title = "Pareto frontier: " + objs + " per model"
	page.Frontier = dropConstant(t, "model")
	return nil
}

// tableOf runs a statement into a table of at most limit rows (cols: the
// columns to keep, all when nil).
func tableOf(ctx context.Context, db *queries.DB, st *queries.Statement, cols []string, limit int) (*reportTable, error) {
	rows, err := db.Query(ctx, st)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keep []int
	t := &reportTable{}
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
			row[k] = reportCell(vals[i])
		}
		t.Rows = append(t.Rows, row)
	}
	if n > limit {
		t.Note = fmt.Sprintf("the first %d of %d rows", limit, n)
	}
	return t, rows.Err()
}

// reportCell writes a number for reading: whole numbers with thousands
// separators, others with four significant digits and no exponent where
// that stays short.
func reportCell(v any) string {
	switch x := v.(type) {
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
	}
	return cellText(v, 4, "")
}

// dropConstant leaves out columns with one value in every row (but keep).
func dropConstant(t *reportTable, keep string) *reportTable {
	if len(t.Rows) < 2 {
		return t
	}
	var idx []int
	for i, c := range t.Cols {
		same := true
		for _, r := range t.Rows {
			if r[i] != t.Rows[0][i] {
				same = false
				break
			}
		}
		if !same || c == keep {
			idx = append(idx, i)
		}
	}
	out := &reportTable{Title: t.Title, Note: t.Note}
	for _, i := range idx {
		out.Cols = append(out.Cols, t.Cols[i])
	}
	for _, r := range t.Rows {
		row := make([]string, len(idx))
		for k, i := range idx {
			row[k] = r[i]
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// reportRecipes are the figures that fit the study.
func reportRecipes(ctx context.Context, fc *figCtx) []plotOpts {
	heat := func(x, y, color, title string) plotOpts {
		return plotOpts{kind: "heatmap", x: x, y: y, color: color, log: "auto", title: title}
	}
	pareto := plotOpts{kind: "pareto", log: "auto"}
	switch fc.prov.Study {
	case "serve":
		return []plotOpts{pareto,
			heat("batch_size", "seq_len", "itl_ms", "Lowest ITL over batch × context"),
			heat("hardware", "batch_size", "feasible", "Share of feasible configurations")}
	case "node":
		return []plotOpts{{kind: "roofline", log: "auto", title: "Roofline", where: fc.bestHardware(ctx)}, pareto,
			heat("hardware", "precision", "feasible", "Share of feasible configurations")}
	case "fleet":
		return []plotOpts{pareto,
			heat("tp", "pp", "step_latency_ms", "Fastest step per TP × PP split"),
			heat("region", "nodes", "objective_usd", "Cheapest objective per region and size")}
	case "serve-capacity":
		return []plotOpts{pareto,
			heat("qps", "target_p99_ms", "replicas", "Fewest replicas per load and target")}
	case "reliability":
		return []plotOpts{heat("job_duration_hours", "nodes", "goodput", "Best goodput per job length and size"),
			{kind: "line", x: "job_duration_hours", y: "failure_probability", color: "cluster", agg: "mean", log: "auto", title: "Failure probability against job length"}}
	case "train-memory":
		return []plotOpts{heat("tp", "pp", "feasible", "Share of layouts that fit per TP × PP"),
			heat("hardware", "zero_stage", "total_memory_gb", "Least memory per accelerator and ZeRO stage")}
	}
	// Another study: the objective and feasibility over its two most varied inputs.
	var out []plotOpts
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

// variedInputs are the two inputs with the most values (2 to maxHeatCells).
func (fc *figCtx) variedInputs(ctx context.Context) (string, string) {
	cols := fc.inputsAnd()
	n, err := fc.db.Distinct(ctx, cols)
	if err != nil {
		return "", ""
	}
	var ok []string
	for _, c := range cols {
		if n[c] > 1 && n[c] <= maxHeatCells {
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

// reportHTML is one self-contained page: inline CSS and SVG, no scripts, no
// external resources. html/template escapes every value; the SVG is our own
// renderer's output, whose text gonum escapes.
var reportHTML = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.3rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{padding:.2rem .7rem .2rem 0;text-align:left;vertical-align:top}
th{border-bottom:1px solid #888}tr:nth-child(even) td{background:#f5f5f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto;display:block}
svg text{font-family:"Liberation Sans",Arial,Helvetica,sans-serif !important}
.note{color:#666;font-size:.85rem}pre{background:#f5f5f5;padding:.6rem;overflow:auto;font-size:.8rem}
</style></head><body>
<h1>{{.Title}}</h1>
<table class="facts">{{range .Facts}}<tr><th scope="row">{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
<h2>Findings</h2>
<ul>{{range .Findings}}<li>{{.}}</li>{{end}}</ul>
{{range .Tables}}{{template "table" .}}{{end}}
<h2>Figures</h2>
{{range .Figures}}<figure>{{.SVG}}<figcaption class="note">{{.Title}}</figcaption></figure>
{{else}}<p class="note">No figure fits this result.</p>{{end}}
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
{{with .Frontier}}<h2>Frontier</h2>{{template "table" .}}{{end}}
{{if .Spec}}<h2>Grid spec</h2><pre>{{.Spec}}</pre>{{end}}
<p class="note">Written by mlsysim report. Every number above comes from the result's Parquet files.</p>
</body></html>
{{define "table"}}<h3>{{.Title}}</h3>{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
<table><thead><tr>{{range .Cols}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}`))
