package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/sinks"
	"github.com/mlsysim/mlsysim/sweep"
)

// plotKinds are the figures plot draws.
var plotKinds = []string{"roofline", "pareto", "heatmap", "scatter", "line"}

// Limits of the plot flags: a point budget past which rows are sampled (an
// SVG of more marks than this is unusable), the PNG resolution, and the cells
// of a heatmap axis.
const (
	defaultMaxPoints = 20000
	maxMaxPoints     = 1_000_000
	defaultDPI       = 300
	maxHeatCells     = 64
	maxLinePoints    = 20000
)

func (a *app) plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "draw a figure from a sweep's Parquet result: " + strings.Join(plotKinds, ", "),
		ArgsUsage: "KIND RESULT…",
		Description: `RESULT is a sweep output folder (its *.parquet files) or one .parquet file, or several
folders or a glob that are the shards of one sweep (checked as merge checks them); DuckDB
selects, samples and aggregates the rows, so a figure of 10M rows takes seconds
(docs/FIGURES.md). The figure goes to --out (.svg, .pdf or .png; default
RESULT-KIND.svg beside a single result), complete or absent.

Kinds:
   roofline  each accelerator's memory slope, compute roof per precision and ridge point
             (one panel per accelerator), with the points at their arithmetic intensity
             and attained FLOP/s (mfu × peak); needs the node study's columns
   pareto    the frontier of two objectives per group (the bundled pareto query), frontier
             points joined and labelled, the other points faint behind it
   heatmap   --color aggregated (--agg) over --x × --y, the remaining axes folded in
   scatter   --y against --x, coloured by --color, one panel per --facet value
   line      --agg of --y per --x, one line per --color value, one panel per --facet value

Rows: only feasible ones unless --all (a heatmap of feasible shows the share of
feasible rows). Past --max-points rows a scatter, roofline or pareto background
shows a deterministic sample (the rows with the smallest hash of point_id); the
caption says so, with the spec name, profile and spec hash.

Examples:
   mlsysim plot pareto out/frontier --out frontier.svg
   mlsysim plot pareto out/frontier --objectives ttft_ms:min,tokens_per_s:max --group hardware
   mlsysim plot roofline out/roofline --where hardware=H100,B200 --where model=Llama3_8B
   mlsysim plot heatmap out/frontier --x batch_size --y seq_len --color itl_ms --agg min
   mlsysim plot heatmap out/frontier --x hardware --y batch_size --color feasible
   mlsysim plot scatter out/frontier --x kv_cache_gb --y itl_ms --color precision --facet model
   mlsysim plot line out/frontier --x batch_size --y tokens_per_s --color hardware --where model=Llama3_8B --out tps.png --dpi 200`,
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the figure: FILE.svg, FILE.pdf or FILE.png (default RESULT-KIND.svg)"},
			&cli.StringSliceFlag{Name: "where", Aliases: []string{"w"}, Usage: "COLUMN=V[,V…] (or !=, <, <=, >, >=): only rows that match; repeatable (all must hold)"},
			&cli.StringFlag{Name: "x", Usage: "column on the x axis (heatmap, scatter, line)"},
			&cli.StringFlag{Name: "y", Usage: "column on the y axis (heatmap, scatter, line)"},
			&cli.StringFlag{Name: "color", Usage: "column that colours the marks (categories or values); for heatmap the metric in the cells"},
			&cli.StringFlag{Name: "facet", Usage: "one panel per value of this column (scatter, line)"},
			&cli.StringFlag{Name: "objectives", Usage: "pareto: two COLUMN:min|max, e.g. itl_ms:min,tokens_per_s:max (default: the study's)"},
			&cli.StringFlag{Name: "group", Usage: "pareto: one frontier per value of these comma-separated columns (default model)"},
			&cli.StringFlag{Name: "label", Usage: "pareto: comma-separated columns that label frontier points (default: the inputs that vary along it)"},
			&cli.StringFlag{Name: "agg", Usage: "heatmap, line: " + strings.Join(queries.AggNames, ", ") + " (default: the best value for the study's objective, else mean)"},
			&cli.StringFlag{Name: "log", Value: "auto", Usage: "log axes: auto (a positive axis spanning ≥ 100×), x, y, xy or none"},
			&cli.BoolFlag{Name: "all", Usage: "include infeasible rows"},
			&cli.IntFlag{Name: "max-points", Value: defaultMaxPoints, Usage: fmt.Sprintf("points drawn before sampling, 1 to %d", maxMaxPoints)},
			&cli.IntFlag{Name: "dpi", Value: defaultDPI, Usage: "PNG resolution, 36 to 1200"},
			&cli.StringFlag{Name: "title", Usage: "figure title (default: what is drawn)"},
		},
		Action: a.plotAction,
	}
}

// plotOpts are one figure's choices (flags, or a report's recipe).
type plotOpts struct {
	kind                                  string
	x, y, color, facet, objectives, group string
	label, agg, log, title                string
	all                                   bool
	maxPoints                             int
	where                                 []queries.Filter
	groupSet, labelSet, colorSet          bool
}

func (a *app) plotAction(ctx context.Context, c *cli.Command) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return badInputf("plot", "want KIND RESULT (kinds: %s)", strings.Join(plotKinds, ", "))
	}
	if err := checkKind(args[0]); err != nil {
		return badInput("plot", err)
	}
	if len(args) < 2 {
		return badInputf("plot", "missing RESULT: give the sweep output folder (mlsysim plot %s OUT)", args[0])
	}
	o := plotOpts{kind: args[0], x: c.String("x"), y: c.String("y"), color: c.String("color"), facet: c.String("facet"),
		objectives: c.String("objectives"), group: c.String("group"), label: c.String("label"), agg: c.String("agg"),
		log: c.String("log"), title: c.String("title"), all: c.Bool("all"), maxPoints: c.Int("max-points"),
		groupSet: c.IsSet("group"), labelSet: c.IsSet("label"), colorSet: c.IsSet("color")}
	if o.maxPoints < 1 || o.maxPoints > maxMaxPoints {
		return badInputf("--max-points", "%d: want 1 to %d", o.maxPoints, maxMaxPoints)
	}
	dpi := c.Int("dpi")
	if dpi < 36 || dpi > 1200 {
		return badInputf("--dpi", "%d: want 36 to 1200", dpi)
	}
	if !slices.Contains([]string{"auto", "x", "y", "xy", "none"}, o.log) {
		return badInputf("--log", "%q: want auto, x, y, xy or none", o.log)
	}
	for _, w := range c.StringSlice("where") {
		f, err := queries.ParseFilter(w)
		if err != nil {
			return badInput("--where", err)
		}
		o.where = append(o.where, f)
	}
	results := args[1:]
	out := c.String("out")
	if out == "" {
		base, err := defaultOutBase(results)
		if err != nil {
			return badInput("--out", err)
		}
		out = base + "-" + o.kind + ".svg"
	}
	format, err := figures.FormatOf(out)
	if err != nil {
		return badInput("--out", err)
	}
	if err := checkFigureOut(out, results); err != nil {
		return badInput("--out", err)
	}

	start := time.Now()
	db, err := a.openResults(ctx, results)
	if err != nil {
		return err
	}
	defer db.Close()
	fig, note, err := a.figure(ctx, db, o)
	if err != nil {
		return err
	}
	if err := writeFigure(out, fig, format, dpi); err != nil {
		return badInput("--out", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (%s%s) in %.2f s\n", out, o.kind, note, time.Since(start).Seconds())
	return nil
}

func checkKind(kind string) error {
	if slices.Contains(plotKinds, kind) {
		return nil
	}
	return fmt.Errorf("unknown kind %q%s (kinds: %s)", kind, closest(kind, plotKinds), strings.Join(plotKinds, ", "))
}

func closest(name string, names []string) string {
	if c := catalog.Closest(name, names, 3); len(c) > 0 {
		return "; did you mean " + strings.Join(c, " or ") + "?"
	}
	return ""
}

// defaultOutBase is where a figure or report goes when --out is not given:
// beside the one result. Several folders or a glob have no one place, so
// they need --out.
func defaultOutBase(results []string) (string, error) {
	if len(results) != 1 || strings.ContainsAny(results[0], "*?[") {
		return "", fmt.Errorf("missing: with several results (%s) give the file to write", strings.Join(results, " "))
	}
	return strings.TrimSuffix(filepath.Clean(results[0]), ".parquet"), nil
}

// checkFigureOut refuses an output that is a folder or sits among the
// result's parts, before any work is done.
func checkFigureOut(out string, results []string) error {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder; want a file name ending in .svg, .pdf or .png", out)
	}
	dir, _ := filepath.Abs(filepath.Dir(out))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s: the folder %s does not exist", out, filepath.Dir(out))
	}
	for _, r := range results {
		if abs, _ := filepath.Abs(r); abs == dir {
			return fmt.Errorf("%s is inside the result %s; write it elsewhere", out, r)
		}
	}
	return nil
}

// writeFigure renders to a temporary file renamed into place: the figure is
// complete or absent.
func writeFigure(out string, fig *figures.Figure, format figures.Format, dpi int) error {
	f, err := sinks.Create(out)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fig.Render(f, format, dpi); err != nil {
		return err
	}
	return f.Commit()
}

// openResults opens the results a figure or report reads: one folder or
// file, or several folders or globs that are the shards of one sweep, checked
// as merge checks them (results.Resolve).
func (a *app) openResults(ctx context.Context, paths []string) (*queries.DB, error) {
	if len(paths) == 0 {
		return nil, badInputf("RESULT", "want a sweep output folder (or the shard folders of one sweep, or a .parquet file)")
	}
	if err := requireQueries("plot/report"); err != nil {
		return nil, err
	}
	db, err := queries.Open(ctx, paths...)
	if err != nil {
		return nil, badInput("", err)
	}
	if db.Info.Manifest && db.Info.Status != "complete" {
		a.warn("%s is an unfinished sweep (status %s): drawing the parts written so far", db.Info.Path, db.Info.Status)
	}
	if db.Info.Shard != "" {
		a.warn("%s is shard %s of a sweep: drawing its parts only (give every shard's folder, or merge them, for the whole run)", db.Info.Path, db.Info.Shard)
	}
	return db, nil
}

// figCtx is what every kind needs besides its options.
type figCtx struct {
	db    *queries.DB
	prov  queries.Provenance
	units map[string]string
	study *sweep.Study // nil when the result does not name a known study
	total int64        // rows before --where
}

// figure draws one figure from an open result and says briefly what it shows.
func (a *app) figure(ctx context.Context, db *queries.DB, o plotOpts) (*figures.Figure, string, error) {
	prov, err := db.Provenance(ctx)
	if err != nil {
		return nil, "", badInput("", err)
	}
	fc := &figCtx{db: db, prov: prov, units: columnUnits(prov)}
	fc.study, _ = sweep.StudyByName(prov.Study)
	if err := db.Restrict(ctx, nil); err != nil {
		return nil, "", badInput("", err)
	}
	if fc.total, err = db.Count(ctx, false); err != nil {
		return nil, "", badInput("", err)
	}
	if err := db.Restrict(ctx, o.where); err != nil {
		return nil, "", badInput("--where", err)
	}
	n, err := db.Count(ctx, !o.all)
	if err != nil {
		return nil, "", badInput("", err)
	}
	if n == 0 && !(o.kind == "heatmap" && o.color == "feasible") {
		return nil, "", badInputf("plot", "no rows to draw: %s", fc.emptyReason(ctx, o))
	}
	switch o.kind {
	case "roofline":
		return a.roofline(ctx, fc, o)
	case "pareto":
		return fc.pareto(ctx, o)
	case "heatmap":
		return fc.heatmap(ctx, o)
	case "line":
		return fc.line(ctx, o)
	}
	return fc.scatter(ctx, o)
}

// emptyReason says why a selection is empty: a --where value the result
// does not hold (with the closest it does), the filters, or infeasibility.
func (fc *figCtx) emptyReason(ctx context.Context, o plotOpts) string {
	all, err := fc.db.Count(ctx, false)
	if err == nil && all > 0 && !o.all {
		return fmt.Sprintf("all %s selected rows are infeasible (--all draws them)", thousands(all))
	}
	if len(o.where) == 0 {
		return "the result is empty"
	}
	msg := fmt.Sprintf("no row of %s matches %s", thousands(fc.total), whereText(o.where))
	if fc.db.Restrict(ctx, nil) != nil {
		return msg
	}
	for _, w := range o.where {
		if c, err := fc.db.Column(w.Column); err != nil || c.Numeric() || w.Op != "=" {
			continue
		}
		ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{w.Column}, Agg: "count", Limit: 10000})
		if err != nil {
			continue
		}
		have := ag.Keys[w.Column]
		for _, v := range w.Values {
			if slices.Contains(have, v) {
				continue
			}
			msg += fmt.Sprintf("; %s has no value %q%s", w.Column, v, closest(v, have))
			if len(have) <= 30 {
				msg += " (values: " + strings.Join(have, ", ") + ")"
			}
		}
	}
	return msg
}

func whereText(ws []queries.Filter) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.String()
	}
	return strings.Join(s, " and ")
}

// columnUnits are the units of the result's columns: the study's declarations
// (what docs/COLUMNS.md is generated from), overridden by what the result
// itself records.
func columnUnits(prov queries.Provenance) map[string]string {
	units := map[string]string{}
	if st, err := sweep.StudyByName(prov.Study); err == nil {
		for _, p := range st.Params {
			units[p.Name] = p.Unit
		}
		for _, c := range st.Columns {
			units[c.Name] = c.Unit
		}
	}
	for k, v := range prov.Units {
		units[k] = v
	}
	return units
}

func (fc *figCtx) axis(col string) figures.Axis {
	return figures.Axis{Name: col, Unit: fc.units[col]}
}

// numeric checks that flag names a numeric column.
func (fc *figCtx) numeric(flag, col string) error {
	if col == "" {
		return badInputf(flag, "missing: name a numeric column (numeric columns: %s)", strings.Join(fc.columns(true), ", "))
	}
	c, err := fc.db.Column(col)
	if err != nil {
		return badInput(flag, err)
	}
	if !c.Numeric() {
		return badInputf(flag, "column %s is %s, not a number; a numeric axis needs one of: %s", col, c.Type, strings.Join(fc.columns(true), ", "))
	}
	return nil
}

// columns lists the result's columns, only numeric ones with numeric.
func (fc *figCtx) columns(numeric bool) []string {
	var names []string
	for _, c := range fc.db.Columns() {
		if !numeric || c.Numeric() {
			names = append(names, c.Name)
		}
	}
	return names
}

func (fc *figCtx) has(col string) bool {
	_, err := fc.db.Column(col)
	return err == nil
}

// caption is the provenance line, then what the figure shows of the rows.
func (fc *figCtx) caption(o plotOpts, lines ...string) []string {
	var parts []string
	p := fc.prov
	for _, kv := range [][2]string{{"spec", p.SpecName}, {"study", p.Study}, {"profile", p.Profile}, {"spec hash", short(p.SpecHash)}, {"catalog", short(p.CatalogHash)}, {"mlsysim", p.Version}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "source "+filepath.Base(fc.db.Info.Path))
	}
	head := strings.Join(parts, " · ")
	sel := fmt.Sprintf("%s rows", thousands(fc.total))
	if len(o.where) > 0 {
		sel += " where " + whereText(o.where)
	}
	if !o.all && fc.has("feasible") {
		sel += "; feasible rows only"
	}
	return append([]string{head, sel}, lines...)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// thousands writes n with thin separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sampleNote says how many of the matching rows are drawn.
func sampleNote(fr *queries.Frame, what string) string {
	if int64(fr.Rows) < fr.Matched {
		return fmt.Sprintf("%s: a deterministic sample of %s of %s rows (smallest hash of point_id)", what, thousands(int64(fr.Rows)), thousands(fr.Matched))
	}
	return fmt.Sprintf("%s: all %s rows", what, thousands(fr.Matched))
}

// logAxes decides which axes are logarithmic: forced by --log, or (auto)
// positive values spanning at least two decades.
func logAxes(mode string, xs, ys []float64) (bool, bool) {
	switch mode {
	case "x":
		return true, false
	case "y":
		return false, true
	case "xy":
		return true, true
	case "none":
		return false, false
	}
	return wide(xs), wide(ys)
}

func wide(vs []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo > 0 && hi/lo >= 100
}

// positiveFor are the columns a forced log axis needs > 0.
func positiveFor(mode, x, y string) []string {
	var cols []string
	if strings.Contains(mode, "x") && x != "" {
		cols = append(cols, x)
	}
	if strings.Contains(mode, "y") && mode != "none" && y != "" {
		cols = append(cols, y)
	}
	return cols
}

// colorSpec reads the colour column into a figure's Data: categories for
// text, booleans and integer inputs with few values, values otherwise.
type colorSpec struct {
	col     string
	numeric bool
}

func (fc *figCtx) colorOf(flag, col string) (colorSpec, error) {
	if col == "" {
		return colorSpec{}, nil
	}
	c, err := fc.db.Column(col)
	if err != nil {
		return colorSpec{}, badInput(flag, err)
	}
	return colorSpec{col: col, numeric: c.Numeric() && !fc.isInput(col)}, nil
}

// isInput says the column is a swept input (its values are categories).
func (fc *figCtx) isInput(col string) bool {
	if col == "point_id" {
		return false
	}
	if fc.study != nil {
		_, _, ok := fc.study.Param(col)
		return ok
	}
	return false
}

func (cs colorSpec) frameCols(num, text []string) ([]string, []string) {
	switch {
	case cs.col == "":
	case cs.numeric:
		num = appendNew(num, cs.col)
	default:
		text = appendNew(text, cs.col)
	}
	return num, text
}

func (cs colorSpec) apply(d *figures.Data, fr *queries.Frame) {
	switch {
	case cs.col == "":
	case cs.numeric:
		d.Value = fr.Num[cs.col]
	default:
		d.Color = fr.Text[cs.col]
	}
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (fc *figCtx) options(o plotOpts, title string, x, y figures.Axis, cs colorSpec) figures.Options {
	if o.title != "" {
		title = o.title
	}
	opt := figures.Options{Title: title, X: x, Y: y, Color: cs.col, ColorUnit: fc.units[cs.col]}
	return opt
}

func (fc *figCtx) scatter(ctx context.Context, o plotOpts) (*figures.Figure, string, error) {
	if err := fc.numeric("--x", o.x); err != nil {
		return nil, "", err
	}
	if err := fc.numeric("--y", o.y); err != nil {
		return nil, "", err
	}
	cs, err := fc.colorOf("--color", o.color)
	if err != nil {
		return nil, "", err
	}
	num, text := cs.frameCols([]string{o.x, o.y}, nil)
	if o.facet != "" {
		if _, err := fc.db.Column(o.facet); err != nil {
			return nil, "", badInput("--facet", err)
		}
		text = appendNew(text, o.facet)
	}
	fr, err := fc.db.Frame(ctx, queries.FrameSpec{Num: num, Text: text, Finite: []string{o.x, o.y},
		Positive: positiveFor(o.log, o.x, o.y), Feasible: !o.all, Limit: o.maxPoints})
	if err != nil {
		return nil, "", badInput("plot scatter", err)
	}
	if fr.Rows == 0 {
		return nil, "", badInputf("plot scatter", "no row has finite values of both %s and %s", o.x, o.y)
	}
	d := figures.Data{X: fr.Num[o.x], Y: fr.Num[o.y]}
	cs.apply(&d, fr)
	if o.facet != "" {
		d.Panel = fr.Text[o.facet]
	}
	x, y := fc.axis(o.x), fc.axis(o.y)
	x.Log, y.Log = logAxes(o.log, d.X, d.Y)
	opt := fc.options(o, o.y+" against "+o.x, x, y, cs)
	opt.Caption = fc.caption(o, sampleNote(fr, "points"))
	fig, err := figures.Scatter(d, opt)
	if err != nil {
		return nil, "", badInput("plot scatter", err)
	}
	return fig, fmt.Sprintf(", %d points", fr.Rows), nil
}

// defaultAgg is the aggregate that keeps the best value of the study's
// objective, else the mean.
func (fc *figCtx) defaultAgg(col string) string {
	if col == "feasible" {
		return "mean"
	}
	if fc.study != nil && fc.study.Objective.Column == col {
		if fc.study.Objective.Minimize {
			return "min"
		}
		return "max"
	}
	return "mean"
}

func (fc *figCtx) line(ctx context.Context, o plotOpts) (*figures.Figure, string, error) {
	if err := fc.numeric("--x", o.x); err != nil {
		return nil, "", err
	}
	if err := fc.numeric("--y", o.y); err != nil {
		return nil, "", err
	}
	if o.agg == "" {
		o.agg = fc.defaultAgg(o.y)
	}
	var keys []string
	for _, k := range []struct{ flag, col string }{{"--facet", o.facet}, {"--color", o.color}} {
		if k.col == "" {
			continue
		}
		if _, err := fc.db.Column(k.col); err != nil {
			return nil, "", badInput(k.flag, err)
		}
		keys = appendNew(keys, k.col)
	}
	keys = append(keys, o.x)
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: keys, Value: o.y, Agg: o.agg, Feasible: !o.all, Limit: maxLinePoints})
	if err != nil {
		return nil, "", badInput("plot line", fmt.Errorf("%w; filter with --where or use scatter", err))
	}
	var d figures.Data
	for i, v := range ag.Value {
		xv := ag.KeyNum[o.x][i]
		if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(xv) || math.IsInf(xv, 0) {
			continue
		}
		d.X, d.Y = append(d.X, xv), append(d.Y, v)
		if o.color != "" {
			d.Color = append(d.Color, ag.Keys[o.color][i])
		}
		if o.facet != "" {
			d.Panel = append(d.Panel, ag.Keys[o.facet][i])
		}
	}
	if d.Len() == 0 {
		return nil, "", badInputf("plot line", "no row has a value of %s", o.y)
	}
	x, y := fc.axis(o.x), fc.axis(o.y)
	x.Log, y.Log = logAxes(o.log, d.X, d.Y)
	if err := forcedLogPositive(x, y, d.X, d.Y); err != nil {
		return nil, "", err
	}
	cs := colorSpec{col: o.color}
	opt := fc.options(o, fmt.Sprintf("%s of %s against %s", o.agg, o.y, o.x), x, y, cs)
	opt.Caption = fc.caption(o, fmt.Sprintf("each point: %s of %s over the %s rows with that %s (other columns folded in)", o.agg, o.y, thousands(ag.Rows), strings.Join(keys, ", ")))
	fig, err := figures.Lines(d, opt)
	if err != nil {
		return nil, "", badInput("plot line", err)
	}
	return fig, fmt.Sprintf(", %d points", d.Len()), nil
}

// forcedLogPositive refuses a log axis (--log) over values ≤ 0.
func forcedLogPositive(x, y figures.Axis, xs, ys []float64) error {
	for _, ax := range []struct {
		a  figures.Axis
		vs []float64
	}{{x, xs}, {y, ys}} {
		if !ax.a.Log {
			continue
		}
		for _, v := range ax.vs {
			if v <= 0 {
				return badInputf("--log", "%s has values ≤ 0 (%g), which a log axis cannot show; use --log none or filter with --where", ax.a.Name, v)
			}
		}
	}
	return nil
}

func (fc *figCtx) heatmap(ctx context.Context, o plotOpts) (*figures.Figure, string, error) {
	for _, k := range []struct{ flag, col string }{{"--x", o.x}, {"--y", o.y}} {
		if k.col == "" {
			return nil, "", badInputf(k.flag, "missing: name the column for the heatmap's %s axis (columns: %s)", k.flag[2:], strings.Join(fc.columns(false), ", "))
		}
		if _, err := fc.db.Column(k.col); err != nil {
			return nil, "", badInput(k.flag, err)
		}
	}
	if o.x == o.y {
		return nil, "", badInputf("--y", "%s is already on the x axis", o.y)
	}
	if o.color == "" && fc.study != nil {
		o.color = fc.study.Objective.Column
	}
	if o.color == "" {
		return nil, "", badInputf("--color", "missing: name the metric for the cells")
	}
	c, err := fc.db.Column(o.color)
	if err != nil {
		return nil, "", badInput("--color", err)
	}
	if !c.Numeric() && c.Type != "BOOLEAN" {
		return nil, "", badInputf("--color", "column %s is %s; the cells need a numeric or boolean column (numeric: %s)", o.color, c.Type, strings.Join(fc.columns(true), ", "))
	}
	if o.agg == "" {
		o.agg = fc.defaultAgg(o.color)
	}
	// The share of feasible rows needs the infeasible ones too.
	feasibleOnly := !o.all && o.color != "feasible"
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{o.x, o.y}, Value: o.color, Agg: o.agg, Feasible: feasibleOnly, Limit: maxHeatCells * maxHeatCells})
	if err != nil {
		return nil, "", badInput("plot heatmap", fmt.Errorf("%w; choose axes with fewer values or filter with --where", err))
	}
	xs, ys := figures.Distinct(ag.Keys[o.x]), figures.Distinct(ag.Keys[o.y])
	for _, k := range []struct {
		flag string
		vs   []string
	}{{"--x", xs}, {"--y", ys}} {
		if len(k.vs) > maxHeatCells {
			return nil, "", badInputf(k.flag, "%d values are too many cells (at most %d); choose another column or filter with --where", len(k.vs), maxHeatCells)
		}
	}
	xi, yi := index(xs), index(ys)
	g := figures.Grid{X: xs, Y: ys, Z: make([]float64, len(xs)*len(ys))}
	for i := range g.Z {
		g.Z[i] = math.NaN()
	}
	for i, v := range ag.Value {
		g.Z[yi[ag.Keys[o.y][i]]*len(xs)+xi[ag.Keys[o.x][i]]] = v
	}
	name, title := o.color, fmt.Sprintf("%s of %s over %s × %s", o.agg, o.color, o.x, o.y)
	share := o.color == "feasible" && o.agg == "mean"
	if share {
		name, title = "share feasible", fmt.Sprintf("share of feasible rows over %s × %s", o.x, o.y)
	}
	cs := colorSpec{col: name}
	opt := fc.options(o, title, fc.axis(o.x), fc.axis(o.y), cs)
	opt.ColorUnit = fc.units[o.color]
	if share {
		opt.ColorRange = &[2]float64{0, 1}
	}
	rest := fc.otherInputs(ctx, o.x, o.y)
	cell := fmt.Sprintf("each cell: %s of %s over its rows", o.agg, o.color)
	if len(rest) > 0 {
		cell += " — the other swept axes (" + strings.Join(rest, ", ") + ") folded in"
	}
	if o.color == "feasible" {
		o.all = true
	}
	opt.Caption = fc.caption(o, cell)
	fig, err := figures.Heatmap(g, opt)
	if err != nil {
		return nil, "", badInput("plot heatmap", err)
	}
	return fig, fmt.Sprintf(", %d×%d cells", len(xs), len(ys)), nil
}

// otherInputs are the study's swept inputs other than those drawn that take
// more than one value in the selection: what a heatmap cell aggregates over.
func (fc *figCtx) otherInputs(ctx context.Context, drawn ...string) []string {
	if fc.study == nil {
		return nil
	}
	var cols []string
	for _, p := range fc.study.Params {
		if !slices.Contains(drawn, p.Name) && fc.has(p.Name) {
			cols = append(cols, p.Name)
		}
	}
	n, err := fc.db.Distinct(ctx, cols)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range cols {
		if n[c] > 1 {
			out = append(out, c)
		}
	}
	return out
}

func index(vs []string) map[string]int {
	m := make(map[string]int, len(vs))
	for i, v := range vs {
		m[v] = i
	}
	return m
}

// studyPareto are the default objectives of the studies with an obvious pair.
var studyPareto = map[string]string{
	"serve":          "itl_ms:min,tokens_per_s:max",
	"node":           "latency_ms:min,throughput_per_s:max",
	"fleet":          "step_latency_ms:min,objective_usd:min",
	"serve-capacity": "replicas:min,estimated_p99_ms:min",
	"batching":       "itl_ms:min,tokens_per_s:max",
	"serve-sla":      "p99_latency_ms:min,tokens_per_s:max",
}

type objective struct {
	col string
	max bool
}

func parseObjectives(s string) ([]objective, error) {
	var os []objective
	for _, item := range strings.Split(s, ",") {
		name, dir, _ := strings.Cut(strings.TrimSpace(item), ":")
		o := objective{col: strings.TrimSpace(name)}
		switch strings.ToLower(strings.TrimSpace(dir)) {
		case "", "min":
		case "max":
			o.max = true
		default:
			return nil, fmt.Errorf("%q: want COLUMN:min or COLUMN:max", item)
		}
		os = append(os, o)
	}
	if len(os) != 2 {
		return nil, fmt.Errorf("%q: a figure shows two objectives, got %d (query pareto handles 3–4)", s, len(os))
	}
	return os, nil
}

func (fc *figCtx) pareto(ctx context.Context, o plotOpts) (*figures.Figure, string, error) {
	if o.objectives == "" {
		o.objectives = studyPareto[fc.prov.Study]
	}
	if o.objectives == "" {
		return nil, "", badInputf("--objectives", "missing: name two objectives, e.g. --objectives latency_ms:min,throughput_per_s:max (numeric columns: %s)", strings.Join(fc.columns(true), ", "))
	}
	objs, err := parseObjectives(o.objectives)
	if err != nil {
		return nil, "", badInput("--objectives", err)
	}
	for _, ob := range objs {
		if err := fc.numeric("--objectives", ob.col); err != nil {
			return nil, "", err
		}
	}
	if !o.groupSet && fc.has("model") {
		o.group = "model"
	}
	groups := splitCols(o.group)
	for _, g := range groups {
		if _, err := fc.db.Column(g); err != nil {
			return nil, "", badInput("--group", err)
		}
	}
	q, err := queries.Lookup("pareto")
	if err != nil {
		return nil, "", err
	}
	params := map[string]string{"objectives": o.objectives, "group": strings.Join(groups, ",")}
	if fc.has("feasible") {
		params["feasible"] = strconv.FormatBool(!o.all)
	}
	st, err := fc.db.Prepare(ctx, q, params)
	if err != nil {
		return nil, "", badInput("--objectives", err)
	}
	x, y := objs[0].col, objs[1].col
	labels, err := fc.labelCandidates(o, groups, x, y)
	if err != nil {
		return nil, "", err
	}
	front, err := fc.db.FrameOf(ctx, st, []string{x, y}, append(slices.Clone(groups), labels...))
	if err != nil {
		return nil, "", badInput("plot pareto", err)
	}
	if front.Rows == 0 {
		return nil, "", badInputf("plot pareto", "no row has values of both %s and %s", x, y)
	}
	rest, err := fc.db.Frame(ctx, queries.FrameSpec{Num: []string{x, y}, Text: groups, Finite: []string{x, y},
		Feasible: !o.all, Limit: o.maxPoints})
	if err != nil {
		return nil, "", badInput("plot pareto", err)
	}
	fd := figures.Data{X: front.Num[x], Y: front.Num[y]}
	rd := figures.Data{X: rest.Num[x], Y: rest.Num[y]}
	if len(groups) > 0 {
		fd.Color, rd.Color = joinCols(front.Text, groups, front.Rows), joinCols(rest.Text, groups, rest.Rows)
	}
	if !o.labelSet {
		labels = varying(front, labels)
	}
	if len(labels) > 0 {
		fd.Label = labelText(front, labels)
	}
	xa, ya := fc.axis(x), fc.axis(y)
	xa.Log, ya.Log = logAxes(o.log, rd.X, rd.Y)
	if err := forcedLogPositive(xa, ya, rd.X, rd.Y); err != nil {
		return nil, "", err
	}
	if xa.Log || ya.Log {
		rd = positiveOnly(rd, xa.Log, ya.Log)
		fd = positiveOnly(fd, xa.Log, ya.Log)
	}
	cs := colorSpec{col: strings.Join(groups, " / ")}
	dirs := func(ob objective) string {
		if ob.max {
			return "max"
		}
		return "min"
	}
	title := fmt.Sprintf("Pareto frontier: %s (%s) vs %s (%s)", x, dirs(objs[0]), y, dirs(objs[1]))
	if len(groups) > 0 {
		title += " per " + strings.Join(groups, ", ")
	}
	opt := fc.options(o, title, xa, ya, cs)
	line := fmt.Sprintf("%d frontier points (query pareto, objectives=%s", front.Rows, o.objectives)
	if len(groups) > 0 {
		line += ", group=" + strings.Join(groups, ",")
	}
	line += "), joined and labelled"
	if len(labels) > 0 {
		line += " by " + strings.Join(labels, ", ")
	}
	opt.Caption = fc.caption(o, line, sampleNote(rest, "faint points"))
	fig, err := figures.Pareto(fd, rd, opt)
	if err != nil {
		return nil, "", badInput("plot pareto", err)
	}
	return fig, fmt.Sprintf(", %d frontier points over %d", front.Rows, rest.Rows), nil
}

// positiveOnly drops points a log axis cannot show (auto log only chose it
// for positive data, so this drops nothing the axis was chosen on).
func positiveOnly(d figures.Data, logX, logY bool) figures.Data {
	var out figures.Data
	for i := range d.X {
		if (logX && d.X[i] <= 0) || (logY && d.Y[i] <= 0) {
			continue
		}
		out.X, out.Y = append(out.X, d.X[i]), append(out.Y, d.Y[i])
		if d.Color != nil {
			out.Color = append(out.Color, d.Color[i])
		}
		if d.Label != nil {
			out.Label = append(out.Label, d.Label[i])
		}
	}
	return out
}

func splitCols(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func joinCols(text map[string][]string, cols []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		parts := make([]string, len(cols))
		for k, c := range cols {
			parts[k] = text[c][i]
		}
		out[i] = strings.Join(parts, " / ")
	}
	return out
}

// labelCandidates are --label's columns, or the study's inputs that could
// label a frontier point (varying picks those that change along it).
func (fc *figCtx) labelCandidates(o plotOpts, groups []string, x, y string) ([]string, error) {
	if o.labelSet {
		cols := splitCols(o.label)
		for _, c := range cols {
			if _, err := fc.db.Column(c); err != nil {
				return nil, badInput("--label", err)
			}
		}
		return cols, nil
	}
	if fc.study == nil {
		return nil, nil
	}
	var cols []string
	for _, p := range fc.study.Params {
		if fc.has(p.Name) && !slices.Contains(groups, p.Name) && p.Name != x && p.Name != y {
			cols = append(cols, p.Name)
		}
	}
	return cols, nil
}

// varying keeps the candidate columns whose values differ along the frontier,
// at most three, in the study's order.
func varying(fr *queries.Frame, cols []string) []string {
	var out []string
	for _, c := range cols {
		vs := fr.Text[c]
		for _, v := range vs {
			if v != vs[0] {
				out = append(out, c)
				break
			}
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// labelText is each row's label: text values as they are, numbers as name=value.
func labelText(fr *queries.Frame, cols []string) []string {
	out := make([]string, fr.Rows)
	for i := range out {
		parts := make([]string, len(cols))
		for k, c := range cols {
			v := fr.Text[c][i]
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				v = c + "=" + v
			}
			parts[k] = v
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// rooflineCols are the node study's columns a roofline reads.
var rooflineCols = []string{"hardware", "precision", "arithmetic_intensity_flop_per_byte", "mfu", "peak_flops_tflops"}

func (a *app) roofline(ctx context.Context, fc *figCtx, o plotOpts) (*figures.Figure, string, error) {
	for _, c := range rooflineCols {
		if !fc.has(c) {
			return nil, "", badInputf("plot roofline", "the result has no %s column: a roofline needs the node study's columns (%s); this result is study %q", c, strings.Join(rooflineCols, ", "), fc.prov.Study)
		}
	}
	if o.x != "" || o.y != "" {
		return nil, "", badInputf("plot roofline", "the axes are fixed (arithmetic intensity, attained FLOP/s); --x and --y apply to heatmap, scatter and line")
	}
	if !o.colorSet {
		o.color = "precision"
	}
	cs, err := fc.colorOf("--color", o.color)
	if err != nil {
		return nil, "", err
	}
	const ai, mfu, peak = "arithmetic_intensity_flop_per_byte", "mfu", "peak_flops_tflops"
	// Roofs from every selected row, not the sample: per accelerator and
	// precision the peak the sweep used.
	roofs, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{"hardware", "precision"}, Value: peak, Agg: "max", Feasible: !o.all, Limit: 1000})
	if err != nil {
		return nil, "", badInput("plot roofline", err)
	}
	var devs []figures.Device
	at := map[string]int{}
	for i, hw := range roofs.Keys["hardware"] {
		v := roofs.Value[i]
		if math.IsNaN(v) || v <= 0 {
			continue
		}
		k, ok := at[hw]
		if !ok {
			bw, err := a.bandwidth(ctx, fc, hw)
			if err != nil {
				return nil, "", err
			}
			k = len(devs)
			at[hw] = k
			devs = append(devs, figures.Device{Name: hw, BytesPerS: bw})
		}
		devs[k].Roofs = mergeRoof(devs[k].Roofs, roofs.Keys["precision"][i], v*1e12)
	}
	if len(devs) > figures.MaxPanels {
		return nil, "", badInputf("plot roofline", "%d accelerators are too many panels (at most %d); select some with --where hardware=A,B", len(devs), figures.MaxPanels)
	}
	num, text := cs.frameCols([]string{ai, mfu, peak}, []string{"hardware"})
	fr, err := fc.db.Frame(ctx, queries.FrameSpec{Num: num, Text: text, Finite: []string{ai, mfu, peak},
		Positive: []string{ai, mfu, peak}, Feasible: !o.all, Limit: o.maxPoints})
	if err != nil {
		return nil, "", badInput("plot roofline", err)
	}
	if fr.Rows == 0 {
		return nil, "", badInputf("plot roofline", "no row has a positive arithmetic intensity and MFU")
	}
	d := figures.Data{X: fr.Num[ai], Y: make([]float64, fr.Rows), Panel: fr.Text["hardware"]}
	for i := range d.Y {
		d.Y[i] = fr.Num[mfu][i] * fr.Num[peak][i] * 1e12
	}
	cs.apply(&d, fr)
	opt := fc.options(o, "Roofline", figures.Axis{Name: "arithmetic intensity", Unit: "FLOP/byte"}, figures.Axis{Name: "attained", Unit: "FLOP/s"}, cs)
	opt.Caption = fc.caption(o, "attained = mfu × peak_flops_tflops; ceilings: memory bandwidth (catalog) × intensity, compute roof per precision", sampleNote(fr, "points"))
	fig, err := figures.Roofline(devs, d, opt)
	if err != nil {
		return nil, "", badInput("plot roofline", err)
	}
	return fig, fmt.Sprintf(", %d accelerators, %d points", len(devs), fr.Rows), nil
}

// mergeRoof adds a precision's peak, naming equal peaks together (fp16/bf16).
func mergeRoof(roofs []figures.Roof, name string, flops float64) []figures.Roof {
	for i := range roofs {
		if roofs[i].FLOPS == flops {
			roofs[i].Name += "/" + name
			return roofs
		}
	}
	return append(roofs, figures.Roof{Name: name, FLOPS: flops})
}

// bandwidth is an accelerator's memory bandwidth in B/s: the catalog's, or,
// for hardware this catalog lacks, the highest effective bandwidth the
// result used on it.
func (a *app) bandwidth(ctx context.Context, fc *figCtx, hw string) (float64, error) {
	if h, err := a.cat.HardwareByKey(hw); err == nil && h.MemBandwidthBytesPerS > 0 {
		return h.MemBandwidthBytesPerS, nil
	}
	if !fc.has("effective_bandwidth_gb_per_s") {
		return 0, badInputf("plot roofline", "%s is not in the catalog and the result has no effective_bandwidth_gb_per_s: add it with --catalog FILE", hw)
	}
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{"hardware"}, Value: "effective_bandwidth_gb_per_s", Agg: "max", Limit: 1000})
	if err != nil {
		return 0, badInput("plot roofline", err)
	}
	for i, k := range ag.Keys["hardware"] {
		if k == hw && ag.Value[i] > 0 {
			return ag.Value[i] * 1e9, nil
		}
	}
	return 0, errors.New("no bandwidth for " + hw)
}
