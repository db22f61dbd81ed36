// Package reports turns a sweep's result into research figures and a one-page
// HTML report. It decides what each kind of figure asks of the result — the
// filters, samples and aggregates DuckDB computes (package queries), the bundled
// pareto and top queries, the units and provenance the result records — and
// hands the plain columns to package figures, which draws them. It is what
// `mlsysim plot`, `mlsysim report` and `eval --plot` call, and works the same
// from any Go program: open a result with queries.Open, then call Figure or
// Build.
package reports

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/suggest"
	"github.com/mlsysim/mlsysim/sweep"
)

// Kinds are the figures Figure draws.
var Kinds = []string{"roofline", "pareto", "heatmap", "scatter", "line"}

// Limits of a figure: the point budget past which rows are sampled (an SVG of
// more marks than MaxMaxPoints is unusable), the values of a heatmap axis, and
// the points of a line figure.
const (
	DefaultMaxPoints = 20000
	MaxMaxPoints     = 1_000_000
	MaxHeatCells     = 64
	maxLinePoints    = 20000
)

// LogModes are the values of Options.Log.
var LogModes = []string{"auto", "x", "y", "xy", "none"}

// Options are one figure's choices. Errors name the command-line flag of each
// field (--x for X, --where for Where, …).
type Options struct {
	Kind       string
	X, Y       string // heatmap, scatter, line
	Color      string // the column that colours the marks (heatmap: the metric in the cells); "" for none
	Facet      string // scatter, line: one panel per value of this column
	Objectives string // pareto: two COLUMN:min|max, e.g. itl_ms:min,tokens_per_s:max; "" for the study's
	// Group (pareto): one frontier per combination of these columns; nil for
	// model when the result has it, empty for one frontier.
	Group []string
	// Label (pareto): the columns that label frontier points; nil for up to
	// three of the study's inputs that tell them apart, empty for none.
	Label     []string
	Agg       string // heatmap, line: one of queries.AggNames; "" for the best value of the study's objective, else mean
	Log       string // one of LogModes; "" is auto
	Title     string // "" for what is drawn
	All       bool   // include infeasible rows
	MaxPoints int    // rows drawn before sampling; 0 is DefaultMaxPoints
	Where     []queries.Filter
}

// CheckKind says whether kind is one Figure draws, with the closest names.
func CheckKind(kind string) error {
	if slices.Contains(Kinds, kind) {
		return nil
	}
	return fmt.Errorf("unknown kind %q%s; kinds: %s", kind, suggest.Hint(kind, Kinds), strings.Join(Kinds, ", "))
}

// inputErr is bad input, named by where it is: a flag (--x) or a step (plot heatmap).
func inputErr(where string, err error) error { return fmt.Errorf("%s: %w", where, err) }

func inputErrf(where, format string, args ...any) error {
	return inputErr(where, fmt.Errorf(format, args...))
}

// figCtx is what every kind needs besides its options.
type figCtx struct {
	db      *queries.DB
	cat     *catalog.Catalog
	prov    queries.Provenance
	units   map[string]string
	study   *sweep.Study // nil when the result does not name a known study
	total   int64        // rows before --where
	matched int64        // rows --where keeps (feasible or not); total without one
}

func newFigCtx(ctx context.Context, db *queries.DB, cat *catalog.Catalog) (*figCtx, error) {
	prov, err := db.Provenance(ctx)
	if err != nil {
		return nil, err
	}
	fc := &figCtx{db: db, cat: cat, prov: prov, units: columnUnits(prov)}
	fc.study, _ = sweep.StudyByName(prov.Study)
	return fc, nil
}

// Figure draws one figure of kind o.Kind from an open result, and says in a few
// words what it shows (", 144 frontier points over 20000"). cat supplies the
// accelerators' memory bandwidth for a roofline. The result's view is left
// restricted by o.Where.
func Figure(ctx context.Context, db *queries.DB, cat *catalog.Catalog, o Options) (*figures.Figure, string, error) {
	fc, err := newFigCtx(ctx, db, cat)
	if err != nil {
		return nil, "", err
	}
	return fc.figure(ctx, o)
}

func (fc *figCtx) figure(ctx context.Context, o Options) (*figures.Figure, string, error) {
	if err := CheckKind(o.Kind); err != nil {
		return nil, "", inputErr("plot", err)
	}
	if err := o.check(); err != nil {
		return nil, "", err
	}
	if o.Kind == "roofline" {
		for _, c := range rooflineCols {
			if !fc.has(c) {
				return nil, "", inputErrf("plot roofline", "the result has no %s column: a roofline needs the node study's columns (%s); this result is study %q", c, strings.Join(rooflineCols, ", "), fc.prov.Study)
			}
		}
	}
	if o.MaxPoints == 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.MaxPoints < 1 || o.MaxPoints > MaxMaxPoints {
		return nil, "", inputErrf("--max-points", "%d: want 1 to %d", o.MaxPoints, MaxMaxPoints)
	}
	if o.Log == "" {
		o.Log = "auto"
	}
	var err error
	if err := fc.db.Restrict(ctx, nil); err != nil {
		return nil, "", err
	}
	if fc.total, err = fc.db.Count(ctx, false); err != nil {
		return nil, "", err
	}
	if err := fc.db.Restrict(ctx, o.Where); err != nil {
		return nil, "", inputErr("--where", err)
	}
	fc.matched = fc.total
	if len(o.Where) > 0 {
		if fc.matched, err = fc.db.Count(ctx, false); err != nil {
			return nil, "", err
		}
	}
	// The share of feasible rows counts the infeasible ones too.
	n, err := fc.db.Count(ctx, !o.All && !(o.Kind == "heatmap" && o.Color == "feasible"))
	if err != nil {
		return nil, "", err
	}
	if n == 0 {
		return nil, "", inputErrf("plot", "no rows to draw: %s", fc.emptyReason(ctx, o))
	}
	switch o.Kind {
	case "roofline":
		return fc.roofline(ctx, o)
	case "pareto":
		return fc.pareto(ctx, o)
	case "heatmap":
		return fc.heatmap(ctx, o)
	case "line":
		return fc.line(ctx, o)
	}
	return fc.scatter(ctx, o)
}

// uses are the kinds each option applies to; the others would ignore it.
var uses = []struct {
	flag  string
	kinds []string
	set   func(Options) bool
	why   string
}{
	{"--x", []string{"heatmap", "scatter", "line"}, func(o Options) bool { return o.X != "" }, ""},
	{"--y", []string{"heatmap", "scatter", "line"}, func(o Options) bool { return o.Y != "" }, ""},
	{"--color", []string{"roofline", "heatmap", "scatter", "line"}, func(o Options) bool { return o.Color != "" }, " (a pareto figure colours its --group)"},
	{"--facet", []string{"scatter", "line"}, func(o Options) bool { return o.Facet != "" }, ""},
	{"--objectives", []string{"pareto"}, func(o Options) bool { return o.Objectives != "" }, ""},
	{"--group", []string{"pareto"}, func(o Options) bool { return o.Group != nil }, ""},
	{"--label", []string{"pareto"}, func(o Options) bool { return o.Label != nil }, ""},
	{"--agg", []string{"heatmap", "line"}, func(o Options) bool { return o.Agg != "" }, ""},
	{"--log", []string{"pareto", "scatter", "line"}, func(o Options) bool { return o.Log != "" && o.Log != "auto" }, ""},
	{"--max-points", SampledKinds, func(o Options) bool { return o.MaxPoints != 0 }, " (a heatmap or a line aggregates every row in SQL and samples none)"},
}

// SampledKinds are the kinds that draw a sample of the rows past MaxPoints.
var SampledKinds = []string{"roofline", "pareto", "scatter"}

// check refuses options the kind would ignore and values no kind takes,
// before any work is done.
func (o Options) check() error {
	for _, u := range uses {
		if u.set(o) && !slices.Contains(u.kinds, o.Kind) {
			return inputErrf(u.flag, "applies to %s, not %s%s", andList(u.kinds), o.Kind, u.why)
		}
	}
	if o.Log != "" && !slices.Contains(LogModes, o.Log) {
		return inputErrf("--log", "%q: want auto, x, y, xy or none", o.Log)
	}
	if _, ok := queries.Aggs[o.Agg]; o.Agg != "" && !ok {
		return inputErrf("--agg", "unknown aggregate %q%s; aggregates: %s", o.Agg, suggest.Hint(o.Agg, queries.AggNames), strings.Join(queries.AggNames, ", "))
	}
	return nil
}

// andList writes a, b and c.
func andList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// emptyReason says why a selection is empty: infeasibility, or the filters
// together (a --where value the result does not hold at all is refused before,
// with the closest it does: queries.DB.Restrict).
func (fc *figCtx) emptyReason(ctx context.Context, o Options) string {
	all, err := fc.db.Count(ctx, false)
	if err == nil && all > 0 && !o.All {
		return fmt.Sprintf("all %s selected rows are infeasible (--all draws them)", thousands(all))
	}
	if len(o.Where) == 0 {
		return "the result is empty"
	}
	return fmt.Sprintf("no row of %s matches %s", thousands(fc.total), whereText(o.Where))
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

// aggAxis is the axis of an aggregate of col: in col's unit, except a count,
// which is a number of rows whatever col measures (a heatmap of --agg count over
// itl_ms was labelled "itl_ms (ms)" with cells of 1.44k rows).
func (fc *figCtx) aggAxis(col, agg string) figures.Axis {
	if agg == "count" {
		return figures.Axis{Name: "count of " + col, Unit: "rows"}
	}
	return fc.axis(col)
}

// numeric checks that flag names a numeric column.
func (fc *figCtx) numeric(flag, col string) error {
	if col == "" {
		return inputErrf(flag, "missing: name a numeric column (numeric columns: %s)", strings.Join(fc.columns(true), ", "))
	}
	c, err := fc.db.Column(col)
	if err != nil {
		return inputErr(flag, err)
	}
	if !c.Numeric() {
		return inputErrf(flag, "column %s is %s, not a number; a numeric axis needs one of: %s", col, c.Type, strings.Join(fc.columns(true), ", "))
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
func (fc *figCtx) caption(o Options, lines ...string) []string {
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
	if len(o.Where) > 0 {
		// The rows the filters keep, of the result's: the total alone read as the
		// rows drawn (365,976 "where hardware=H100,…" for 1,872 matching rows).
		sel = fmt.Sprintf("%s of %s rows where %s", thousands(fc.matched), thousands(fc.total), whereText(o.Where))
	}
	if !o.All && fc.has("feasible") {
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

// options are the figures package's options for a figure of o.
func (fc *figCtx) options(o Options, title string, x, y figures.Axis, cs colorSpec) figures.Options {
	if o.Title != "" {
		title = o.Title
	}
	return figures.Options{Title: title, X: x, Y: y, Color: cs.col, ColorUnit: fc.units[cs.col]}
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
