package reports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
)

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
				return inputErrf("--log", "%s has values ≤ 0 (%g), which a log axis cannot show; use --log none or filter with --where", ax.a.Name, v)
			}
		}
	}
	return nil
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
		return colorSpec{}, inputErr(flag, err)
	}
	return colorSpec{col: col, numeric: c.Numeric() && !fc.isInput(col)}, nil
}

// isInput says the column is a swept input (its values are categories).
func (fc *figCtx) isInput(col string) bool {
	if col == "point_id" || fc.study == nil {
		return false
	}
	_, _, ok := fc.study.Param(col)
	return ok
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
		d.Color = named(fr.Text[cs.col])
	}
}

// emptyText stands for the empty string where it would draw nothing: a legend
// entry, an axis category, a panel title.
const emptyText = `""`

// named is vs with the empty string written as emptyText.
func named(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = cmp(v, emptyText)
	}
	return out
}

func (fc *figCtx) scatter(ctx context.Context, o Options) (*figures.Figure, string, error) {
	if err := fc.numeric("--x", o.X); err != nil {
		return nil, "", err
	}
	if err := fc.numeric("--y", o.Y); err != nil {
		return nil, "", err
	}
	cs, err := fc.colorOf("--color", o.Color)
	if err != nil {
		return nil, "", err
	}
	num, text := cs.frameCols([]string{o.X, o.Y}, nil)
	if o.Facet != "" {
		if _, err := fc.db.Column(o.Facet); err != nil {
			return nil, "", inputErr("--facet", err)
		}
		text = appendNew(text, o.Facet)
	}
	fr, err := fc.db.Frame(ctx, queries.FrameSpec{Num: num, Text: text, Finite: []string{o.X, o.Y},
		Positive: positiveFor(o.Log, o.X, o.Y), Feasible: !o.All, Limit: o.MaxPoints})
	if err != nil {
		return nil, "", inputErr("plot scatter", err)
	}
	if fr.Rows == 0 {
		return nil, "", fc.noFinite(ctx, o)
	}
	d := figures.Data{X: fr.Num[o.X], Y: fr.Num[o.Y]}
	cs.apply(&d, fr)
	if o.Facet != "" {
		d.Panel = named(fr.Text[o.Facet])
	}
	x, y := fc.axis(o.X), fc.axis(o.Y)
	x.Log, y.Log = logAxes(o.Log, d.X, d.Y)
	opt := fc.options(o, o.Y+" against "+o.X, x, y, cs)
	note := sampleNote(fr, "points")
	if pos := positiveFor(o.Log, o.X, o.Y); len(pos) > 0 {
		note += "; only rows with " + strings.Join(pos, " and ") + " > 0 (log axis)"
	}
	opt.Caption = fc.caption(o, note)
	fig, err := figures.Scatter(d, opt)
	if err != nil {
		return nil, "", inputErr("plot scatter", err)
	}
	return fig, fmt.Sprintf(", %d points", fr.Rows), nil
}

// noFinite says why a scatter has no row: no finite values, or none > 0
// where a forced log axis needs them.
func (fc *figCtx) noFinite(ctx context.Context, o Options) error {
	pos := positiveFor(o.Log, o.X, o.Y)
	if len(pos) > 0 {
		fr, err := fc.db.Frame(ctx, queries.FrameSpec{Num: []string{o.X, o.Y}, Finite: []string{o.X, o.Y}, Feasible: !o.All, Limit: 1})
		if err == nil && fr.Rows > 0 {
			return inputErrf("--log", "no row has a positive %s, which the log axis needs; use --log none or filter with --where", strings.Join(pos, " and "))
		}
	}
	return inputErrf("plot scatter", "no row has finite values of both %s and %s", o.X, o.Y)
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

func (fc *figCtx) line(ctx context.Context, o Options) (*figures.Figure, string, error) {
	if err := fc.numeric("--x", o.X); err != nil {
		return nil, "", err
	}
	if err := fc.numeric("--y", o.Y); err != nil {
		return nil, "", err
	}
	if o.Agg == "" {
		o.Agg = fc.defaultAgg(o.Y)
	}
	var keys []string
	for _, k := range []struct{ flag, col string }{{"--facet", o.Facet}, {"--color", o.Color}} {
		if k.col == "" {
			continue
		}
		if _, err := fc.db.Column(k.col); err != nil {
			return nil, "", inputErr(k.flag, err)
		}
		keys = appendNew(keys, k.col)
	}
	keys = append(keys, o.X)
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: keys, Value: o.Y, Agg: o.Agg, Feasible: !o.All, Limit: maxLinePoints})
	if err != nil {
		return nil, "", inputErr("plot line", fmt.Errorf("%w; filter with --where or use scatter", err))
	}
	var d figures.Data
	notFinite := 0
	for i, v := range ag.Value {
		xv := ag.KeyNum[o.X][i]
		if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(xv) || math.IsInf(xv, 0) {
			notFinite++
			continue
		}
		d.X, d.Y = append(d.X, xv), append(d.Y, v)
		if o.Color != "" {
			d.Color = append(d.Color, cmp(ag.Keys[o.Color][i], emptyText))
		}
		if o.Facet != "" {
			d.Panel = append(d.Panel, cmp(ag.Keys[o.Facet][i], emptyText))
		}
	}
	if d.Len() == 0 && notFinite > 0 {
		return nil, "", inputErrf("--y", "the %s of %s is not finite at any of its %d points (one +Inf row, such as an infeasible one, makes a mean or max infinite); drop --all, filter with --where or choose --agg min", o.Agg, o.Y, notFinite)
	}
	if d.Len() == 0 {
		return nil, "", inputErrf("plot line", "no row has a value of %s", o.Y)
	}
	x, y := fc.axis(o.X), fc.aggAxis(o.Y, o.Agg)
	x.Log, y.Log = logAxes(o.Log, d.X, d.Y)
	if err := forcedLogPositive(x, y, d.X, d.Y); err != nil {
		return nil, "", err
	}
	cs := colorSpec{col: o.Color}
	opt := fc.options(o, fmt.Sprintf("%s of %s against %s", o.Agg, o.Y, o.X), x, y, cs)
	lines := []string{fmt.Sprintf("each point: %s of %s over the rows with its %s (%s rows in all; the other columns folded in)", o.Agg, o.Y, andList(keys), thousands(ag.Rows))}
	if notFinite > 0 {
		// A point left out silently would read as a gap in the data.
		lines = append(lines, fmt.Sprintf("%s of %s not finite at %d of %d points, left out", o.Agg, o.Y, notFinite, notFinite+d.Len()))
	}
	opt.Caption = fc.caption(o, lines...)
	fig, err := figures.Lines(d, opt)
	if err != nil {
		return nil, "", inputErr("plot line", err)
	}
	return fig, fmt.Sprintf(", %d points", d.Len()), nil
}

func (fc *figCtx) heatmap(ctx context.Context, o Options) (*figures.Figure, string, error) {
	for _, k := range []struct{ flag, col string }{{"--x", o.X}, {"--y", o.Y}} {
		if k.col == "" {
			return nil, "", inputErrf(k.flag, "missing: name the column for the heatmap's %s axis (columns: %s)", k.flag[2:], strings.Join(fc.columns(false), ", "))
		}
		if _, err := fc.db.Column(k.col); err != nil {
			return nil, "", inputErr(k.flag, err)
		}
	}
	if o.X == o.Y {
		return nil, "", inputErrf("--y", "%s is already on the x axis", o.Y)
	}
	if o.Color == "" && fc.study != nil {
		o.Color = fc.study.Objective.Column
	}
	if o.Color == "" {
		return nil, "", inputErrf("--color", "missing: name the metric for the cells")
	}
	c, err := fc.db.Column(o.Color)
	if err != nil {
		return nil, "", inputErr("--color", err)
	}
	if !c.Numeric() && c.Type != "BOOLEAN" {
		return nil, "", inputErrf("--color", "column %s is %s; the cells need a numeric or boolean column (numeric: %s)", o.Color, c.Type, strings.Join(fc.columns(true), ", "))
	}
	if o.Agg == "" {
		o.Agg = fc.defaultAgg(o.Color)
	}
	// The share of feasible rows needs the infeasible ones too.
	feasibleOnly := !o.All && o.Color != "feasible"
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{o.X, o.Y}, Value: o.Color, Agg: o.Agg, Feasible: feasibleOnly, Limit: MaxHeatCells * MaxHeatCells})
	if err != nil {
		return nil, "", inputErr("plot heatmap", fmt.Errorf("%w; choose axes with fewer values or filter with --where", err))
	}
	kx, ky := named(ag.Keys[o.X]), named(ag.Keys[o.Y])
	xs, ys := figures.Distinct(kx), figures.Distinct(ky)
	for _, k := range []struct {
		flag string
		vs   []string
	}{{"--x", xs}, {"--y", ys}} {
		if len(k.vs) > MaxHeatCells {
			return nil, "", inputErrf(k.flag, "%d values are too many cells (at most %d); choose another column or filter with --where", len(k.vs), MaxHeatCells)
		}
	}
	xi, yi := index(xs), index(ys)
	g := figures.Grid{X: xs, Y: ys, Z: make([]float64, len(xs)*len(ys))}
	for i := range g.Z {
		g.Z[i] = math.NaN()
	}
	notFinite := 0
	for i, v := range ag.Value {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			notFinite++ // left empty: an infinite cell has no colour (it failed the scale, blamed on --out)
			continue
		}
		g.Z[yi[ky[i]]*len(xs)+xi[kx[i]]] = v
	}
	if notFinite > 0 && notFinite == len(ag.Value) {
		return nil, "", inputErrf("--color", "the %s of %s is not finite in any of its %d cells (one +Inf row, such as an infeasible one, makes a mean or max infinite); drop --all, filter with --where or choose --agg min", o.Agg, o.Color, notFinite)
	}
	name, title := o.Color, fmt.Sprintf("%s of %s over %s × %s", o.Agg, o.Color, o.X, o.Y)
	share := o.Color == "feasible" && o.Agg == "mean"
	scale := fc.aggAxis(o.Color, o.Agg)
	if share {
		name, title, scale = "share feasible", fmt.Sprintf("share of feasible rows over %s × %s", o.X, o.Y), figures.Axis{}
	} else {
		name = scale.Name
	}
	cs := colorSpec{col: name}
	opt := fc.options(o, title, fc.axis(o.X), fc.axis(o.Y), cs)
	opt.ColorUnit = scale.Unit
	if share {
		opt.ColorRange = &[2]float64{0, 1}
	}
	rest := fc.otherInputs(ctx, o.X, o.Y)
	cell := fmt.Sprintf("each cell: %s of %s over its rows", o.Agg, o.Color)
	if len(rest) > 0 {
		cell += " — the other swept axes (" + strings.Join(rest, ", ") + ") folded in"
	}
	if notFinite > 0 {
		cell += fmt.Sprintf("; %s of %s not finite in %d of %d cells, left empty", o.Agg, o.Color, notFinite, len(ag.Value))
	}
	if o.Color == "feasible" {
		o.All = true
	}
	opt.Caption = fc.caption(o, cell)
	fig, err := figures.Heatmap(g, opt)
	if err != nil {
		return nil, "", inputErr("plot heatmap", err)
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
	"serve":          "itl_ms:min,tokens_per_s_per_accelerator:max", // per chip: replicas differ in size
	"node":           "latency_ms:min,throughput_per_s:max",
	"fleet":          "tokens_per_s:max,objective_usd:min",              // not the step: batches differ in work
	"serve-capacity": "usd_per_million_tokens:min,estimated_p99_ms:min", // not replicas: loads differ
	"batching":       "itl_ms:min,tokens_per_s:max",
	"serve-sla":      "p99_wait_service_ms:min,tokens_per_s:max",
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

func (fc *figCtx) pareto(ctx context.Context, o Options) (*figures.Figure, string, error) {
	if o.Objectives == "" {
		o.Objectives = studyPareto[fc.prov.Study]
	}
	if o.Objectives == "" {
		return nil, "", inputErrf("--objectives", "missing: name two objectives, e.g. --objectives latency_ms:min,throughput_per_s:max (numeric columns: %s)", strings.Join(fc.columns(true), ", "))
	}
	objs, err := parseObjectives(o.Objectives)
	if err != nil {
		return nil, "", inputErr("--objectives", err)
	}
	for _, ob := range objs {
		if err := fc.numeric("--objectives", ob.col); err != nil {
			return nil, "", err
		}
	}
	groups := o.Group
	if groups == nil && fc.has("model") {
		groups = []string{"model"}
	}
	for _, g := range groups {
		if _, err := fc.db.Column(g); err != nil {
			return nil, "", inputErr("--group", err)
		}
	}
	q, err := queries.Lookup("pareto")
	if err != nil {
		return nil, "", err
	}
	params := map[string]string{"objectives": o.Objectives, "group": strings.Join(groups, ",")}
	if fc.has("feasible") {
		params["feasible"] = strconv.FormatBool(!o.All)
	}
	st, err := fc.db.Prepare(ctx, q, params)
	if err != nil {
		return nil, "", inputErr("--objectives", err)
	}
	x, y := objs[0].col, objs[1].col
	labels, err := fc.labelCandidates(o, groups, x, y)
	if err != nil {
		return nil, "", err
	}
	front, err := fc.db.FrameOf(ctx, st, []string{x, y}, append(slices.Clone(groups), labels...))
	if err != nil {
		return nil, "", inputErr("plot pareto", err)
	}
	if front.Rows == 0 {
		return nil, "", inputErrf("plot pareto", "no row has values of both %s and %s", x, y)
	}
	rest, err := fc.db.Frame(ctx, queries.FrameSpec{Num: []string{x, y}, Text: groups, Finite: []string{x, y},
		Feasible: !o.All, Limit: o.MaxPoints})
	if err != nil {
		return nil, "", inputErr("plot pareto", err)
	}
	fd := figures.Data{X: front.Num[x], Y: front.Num[y]}
	rd := figures.Data{X: rest.Num[x], Y: rest.Num[y]}
	if len(groups) > 0 {
		fd.Color, rd.Color = joinCols(front.Text, groups, front.Rows), joinCols(rest.Text, groups, rest.Rows)
	}
	if o.Label == nil {
		labels = distinguishing(front, groups, labels, x, y)
	}
	if len(labels) > 0 {
		fd.Label = labelText(front, labels)
	}
	// The axes hold the sample and the frontier, which comes from every row.
	xs, ys := append(slices.Clone(rd.X), fd.X...), append(slices.Clone(rd.Y), fd.Y...)
	xa, ya := fc.axis(x), fc.axis(y)
	xa.Log, ya.Log = logAxes(o.Log, xs, ys)
	if err := forcedLogPositive(xa, ya, xs, ys); err != nil {
		return nil, "", err
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
	line := fmt.Sprintf("%d frontier points (query pareto, objectives=%s", front.Rows, o.Objectives)
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
		return nil, "", inputErr("plot pareto", err)
	}
	return fig, fmt.Sprintf(", %d frontier points over %d", front.Rows, rest.Rows), nil
}

func joinCols(text map[string][]string, cols []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		parts := make([]string, len(cols))
		for k, c := range cols {
			parts[k] = cmp(text[c][i], emptyText)
		}
		out[i] = strings.Join(parts, " / ")
	}
	return out
}

// labelCandidates are o.Label's columns, or the study's inputs that could
// label a frontier point (distinguishing picks those that tell its points
// apart).
func (fc *figCtx) labelCandidates(o Options, groups []string, x, y string) ([]string, error) {
	if o.Label != nil {
		for _, c := range o.Label {
			if _, err := fc.db.Column(c); err != nil {
				return nil, inputErr("--label", err)
			}
		}
		return o.Label, nil
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

// distinguishing picks, from the candidate columns, at most three that tell
// the frontier's places apart: greedily the column that gives the most
// distinct labels among the places (one row per group and x, y: ties share a
// place) while adding one still helps, then, while there is room, those with
// the most values among the places (what changes along the frontier, say the
// accelerator). They are returned in the candidates' (the study's) order.
// Columns that only vary between ties, or not at all, are never picked.
func distinguishing(fr *queries.Frame, groups, cols []string, x, y string) []string {
	var places []int // one row per distinct (group, x, y)
	seen := map[string]bool{}
	for i := range fr.Rows {
		k := fmt.Sprint(fr.Num[x][i], fr.Num[y][i])
		for _, g := range groups {
			k += "\x00" + fr.Text[g][i]
		}
		if !seen[k] {
			seen[k] = true
			places = append(places, i)
		}
	}
	distinct := func(chosen []string) int {
		labels := map[string]bool{}
		for _, i := range places {
			k := ""
			for _, c := range append(slices.Clone(groups), chosen...) {
				k += "\x00" + fr.Text[c][i]
			}
			labels[k] = true
		}
		return len(labels)
	}
	var chosen []string
	best := distinct(nil)
	for len(chosen) < 3 {
		pick := ""
		for _, c := range cols {
			if slices.Contains(chosen, c) {
				continue
			}
			if n := distinct(append(slices.Clone(chosen), c)); n > best {
				best, pick = n, c
			}
		}
		if pick == "" {
			break
		}
		chosen = append(chosen, pick)
	}
	values := map[string]int{}
	var rest []string
	for _, c := range cols {
		vs := map[string]bool{}
		for _, i := range places {
			vs[fr.Text[c][i]] = true
		}
		if values[c] = len(vs); values[c] > 1 && !slices.Contains(chosen, c) {
			rest = append(rest, c)
		}
	}
	slices.SortStableFunc(rest, func(a, b string) int { return values[b] - values[a] })
	chosen = append(chosen, rest[:min(len(rest), 3-len(chosen))]...)
	var out []string
	for _, c := range cols {
		if slices.Contains(chosen, c) {
			out = append(out, c)
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

func (fc *figCtx) roofline(ctx context.Context, o Options) (*figures.Figure, string, error) {
	cs, err := fc.colorOf("--color", o.Color)
	if err != nil {
		return nil, "", err
	}
	const ai, mfu, peak = "arithmetic_intensity_flop_per_byte", "mfu", "peak_flops_tflops"
	// Roofs from every selected row, not the sample: per accelerator and
	// precision the peak the sweep used.
	roofs, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{"hardware", "precision"}, Value: peak, Agg: "max", Feasible: !o.All, Limit: 1000})
	if err != nil {
		return nil, "", inputErr("plot roofline", err)
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
			bw, err := fc.bandwidth(ctx, hw)
			if err != nil {
				return nil, "", err
			}
			k = len(devs)
			at[hw] = k
			devs = append(devs, figures.Device{Name: hw, BytesPerS: bw})
		}
		devs[k].Roofs = MergeRoof(devs[k].Roofs, roofs.Keys["precision"][i], v*1e12)
	}
	if len(devs) > figures.MaxPanels {
		return nil, "", inputErrf("plot roofline", "%d accelerators are too many panels (at most %d); select some with --where hardware=A,B", len(devs), figures.MaxPanels)
	}
	num, text := cs.frameCols([]string{ai, mfu, peak}, []string{"hardware"})
	fr, err := fc.db.Frame(ctx, queries.FrameSpec{Num: num, Text: text, Finite: []string{ai, mfu, peak},
		Positive: []string{ai, mfu, peak}, Feasible: !o.All, Limit: o.MaxPoints})
	if err != nil {
		return nil, "", inputErr("plot roofline", err)
	}
	if fr.Rows == 0 {
		return nil, "", inputErrf("plot roofline", "no row has a positive arithmetic intensity and MFU")
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
		return nil, "", inputErr("plot roofline", err)
	}
	return fig, fmt.Sprintf(", %d accelerators, %d points", len(devs), fr.Rows), nil
}

// MergeRoof adds a precision's peak to roofs, naming equal peaks together
// (fp16/bf16).
func MergeRoof(roofs []figures.Roof, name string, flops float64) []figures.Roof {
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
func (fc *figCtx) bandwidth(ctx context.Context, hw string) (float64, error) {
	if fc.cat != nil {
		if h, err := fc.cat.HardwareByKey(hw); err == nil && h.MemBandwidthBytesPerS > 0 {
			return h.MemBandwidthBytesPerS, nil
		}
	}
	if !fc.has("effective_bandwidth_gb_per_s") {
		return 0, inputErrf("plot roofline", "%s is not in the catalog and the result has no effective_bandwidth_gb_per_s: add it with --catalog FILE", hw)
	}
	ag, err := fc.db.Aggregate(ctx, queries.AggSpec{Keys: []string{"hardware"}, Value: "effective_bandwidth_gb_per_s", Agg: "max", Limit: 1000})
	if err != nil {
		return 0, inputErr("plot roofline", err)
	}
	for i, k := range ag.Keys["hardware"] {
		if k == hw && ag.Value[i] > 0 {
			return ag.Value[i] * 1e9, nil
		}
	}
	return 0, errors.New("no bandwidth for " + hw)
}
