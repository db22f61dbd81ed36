//go:build !lean

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/figures"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/reports"
	"github.com/mlsysim/mlsysim/sinks"
)

const defaultDPI = 300

func (a *app) plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     plotUsage,
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
   mlsysim plot heatmap out/frontier --x batch_size --y hardware --color itl_ms --agg min
   mlsysim plot heatmap out/frontier --x hardware --y batch_size --color feasible
   mlsysim plot scatter out/frontier --x kv_cache_gb --y itl_ms --color precision --facet model
   mlsysim plot line out/frontier --x batch_size --y tokens_per_s --color hardware --where model=Llama3_8B --out tps.png --dpi 200`,
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the figure: FILE.svg, FILE.pdf or FILE.png (default RESULT-KIND.svg)"},
			&cli.StringSliceFlag{Name: "where", Aliases: []string{"w"}, Usage: "COLUMN=V[,V…] (or !=, <, <=, >, >=): only rows that match; repeatable (all must hold)"},
			&cli.StringFlag{Name: "x", Usage: "column on the x axis (heatmap, scatter, line)"},
			&cli.StringFlag{Name: "y", Usage: "column on the y axis (heatmap, scatter, line)"},
			&cli.StringFlag{Name: "color", Usage: "column that colours the marks (categories or values; roofline default precision); for heatmap the metric in the cells"},
			&cli.StringFlag{Name: "facet", Usage: "one panel per value of this column (scatter, line)"},
			&cli.StringFlag{Name: "objectives", Usage: "pareto: two COLUMN:min|max, e.g. itl_ms:min,tokens_per_s:max (default: the study's)"},
			&cli.StringFlag{Name: "group", Usage: "pareto: one frontier per value of these comma-separated columns (default model)"},
			&cli.StringFlag{Name: "label", Usage: "pareto: comma-separated columns that label frontier points (default: up to three inputs that tell its points apart)"},
			&cli.StringFlag{Name: "agg", Usage: "heatmap, line: " + strings.Join(queries.AggNames, ", ") + " (default: the best value for the study's objective, else mean)"},
			&cli.StringFlag{Name: "log", Value: "auto", Usage: "log axes: auto (a positive axis spanning ≥ 100×), x, y, xy or none"},
			&cli.BoolFlag{Name: "all", Usage: "include infeasible rows"},
			&cli.IntFlag{Name: "max-points", Value: reports.DefaultMaxPoints, Usage: fmt.Sprintf("points drawn before sampling, 1 to %d (roofline, pareto and scatter: a heatmap or a line aggregates every row)", reports.MaxMaxPoints)},
			&cli.IntFlag{Name: "dpi", Value: defaultDPI, Usage: fmt.Sprintf("PNG resolution in dots per inch, %d to %d (--out FILE.png only)", figures.MinDPI, figures.MaxDPI)},
			&cli.StringFlag{Name: "title", Usage: "figure title (default: what is drawn)"},
		},
		Action: a.plotAction,
	}
}

func (a *app) plotAction(ctx context.Context, c *cli.Command) error {
	// The figure goes to a file and the summary to stderr: -o json renders errors,
	// the table formats would change nothing.
	if _, err := a.outputFormat("text", "json"); err != nil {
		return err
	}
	args := c.Args().Slice()
	if len(args) == 0 {
		return badInputf("plot", "want KIND RESULT (kinds: %s)", strings.Join(reports.Kinds, ", "))
	}
	if err := reports.CheckKind(args[0]); err != nil {
		return badInput("plot", err)
	}
	if len(args) < 2 {
		return badInputf("plot", "missing RESULT: give the sweep output folder (mlsysim plot %s OUT)", args[0])
	}
	o := reports.Options{Kind: args[0], X: c.String("x"), Y: c.String("y"), Color: c.String("color"), Facet: c.String("facet"),
		Objectives: c.String("objectives"), Agg: c.String("agg"), Log: c.String("log"), Title: c.String("title"),
		All: c.Bool("all")}
	if c.IsSet("max-points") {
		// Set only when given: a heatmap or a line samples nothing and refuses it.
		o.MaxPoints = c.Int("max-points")
	}
	if o.Kind == "roofline" && !c.IsSet("color") {
		o.Color = "precision"
	}
	if c.IsSet("group") {
		o.Group = splitCols(c.String("group"))
	}
	if c.IsSet("label") {
		o.Label = splitCols(c.String("label"))
	}
	if c.IsSet("max-points") && (o.MaxPoints < 1 || o.MaxPoints > reports.MaxMaxPoints) {
		return badInputf("--max-points", "%d: want 1 to %d", o.MaxPoints, reports.MaxMaxPoints)
	}
	dpi := c.Int("dpi")
	if dpi < figures.MinDPI || dpi > figures.MaxDPI {
		return badInputf("--dpi", "%d: want %d to %d", dpi, figures.MinDPI, figures.MaxDPI)
	}
	for _, w := range c.StringSlice("where") {
		f, err := queries.ParseFilter(w)
		if err != nil {
			return badInput("--where", err)
		}
		o.Where = append(o.Where, f)
	}
	results := args[1:]
	out := c.String("out")
	if out == "" {
		base, err := defaultOutBase(results)
		if err != nil {
			return badInput("--out", err)
		}
		out = base + "-" + o.Kind + ".svg"
	}
	format, err := figures.FormatOf(out)
	if err != nil {
		return badInput("--out", err)
	}
	if c.IsSet("dpi") && format != figures.PNG {
		// A vector figure has no resolution: the flag would change nothing.
		return badInputf("--dpi", "applies to PNG output only; --out %s is %s", out, strings.ToUpper(string(format)))
	}
	if err := checkFigureOut(out, results, figureEndings); err != nil {
		return badInput("--out", err)
	}

	start := time.Now()
	db, err := a.openResults(ctx, results)
	if err != nil {
		return err
	}
	defer db.Close()
	fig, note, err := reports.Figure(ctx, db, a.cat, o)
	if err != nil {
		return badInput("", err)
	}
	if err := writeFigure(out, fig, format, dpi); err != nil {
		return badInput("--out", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (%s%s) in %.2f s\n", out, o.Kind, note, time.Since(start).Seconds())
	return nil
}

// splitCols reads a comma-separated list of columns; "" is none (not nil).
func splitCols(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// defaultOutBase is where a figure or report goes when --out is not given:
// beside the one result. Several folders or a glob have no one place, so
// they need --out.
func defaultOutBase(results []string) (string, error) {
	if len(results) != 1 || strings.ContainsAny(results[0], "*?[") {
		return "", fmt.Errorf("missing: with several results (%s) give the file to write", strings.Join(results, " "))
	}
	base := filepath.Clean(results[0])
	if b := filepath.Base(base); b == "." || b == ".." {
		// "." names no folder to write beside; its absolute path does.
		abs, err := filepath.Abs(base)
		if err != nil {
			return "", err
		}
		base = abs
	}
	return strings.TrimSuffix(base, ".parquet"), nil
}

// figureEndings are the file names a figure may have.
const figureEndings = ".svg, .pdf or .png"

// checkFigureOut refuses an output that is a folder, sits among the result's
// parts or cannot be written, before any work is done; endings is what the
// command's file name may end in (report's ".html": it said ".svg, .pdf or .png").
func checkFigureOut(out string, results []string, endings string) error {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder; want a file name ending in %s", out, endings)
	}
	dir, _ := filepath.Abs(filepath.Dir(out))
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%s: the folder %s does not exist", out, filepath.Dir(out))
	} else if !st.IsDir() {
		return fmt.Errorf("%s: %s is a file, not a folder", out, filepath.Dir(out))
	}
	for _, r := range results {
		if abs, _ := filepath.Abs(r); abs == dir {
			return fmt.Errorf("%s is inside the result %s; write it elsewhere", out, r)
		}
	}
	// A temporary file made and removed: the figure is written the same way.
	f, err := sinks.Create(out)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write %s: %w", out, err)
	}
	f.Abort()
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
	if err := a.resultProfile(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	a.warnPartial(db.Info, "drawing")
	return db, nil
}

// resultProfile refuses a --profile that differs from the one a stored result
// was swept under: query, plot, report and merge read the rows as they were
// computed, so "--profile seed plot out/" drew calibrated numbers, captioned
// calibrated, for a user who asked for the seed's.
func (a *app) resultProfile(ctx context.Context, db *queries.DB) error {
	if !a.IsSet("profile") {
		return nil
	}
	prov, err := db.Provenance(ctx)
	if err != nil || prov.Profile == "" {
		return nil // no profile recorded (a plain Parquet file): nothing to contradict
	}
	return profileMismatch(db.Info.Path, prov.Profile, a.String("profile"))
}

// warnPartial warns that a result is less than a whole run — an unfinished
// sweep, or one shard of several — saying what the command (verb: querying,
// drawing) reads of it.
func (a *app) warnPartial(info queries.Info, verb string) {
	if info.Manifest && info.Status != "complete" {
		a.warn("%s is an unfinished sweep (status %s): %s the parts written so far", info.Path, info.Status, verb)
	}
	if info.Shard != "" {
		a.warn("%s is shard %s of a sweep: %s its parts only (give every shard's folder, or merge them, for the whole run)", info.Path, info.Shard, verb)
	}
}

// pointPlot checks eval's --plot and returns what draws the evaluated point on
// its accelerator's roofline, or nil without --plot. It runs before the
// evaluation so a bad file name fails fast.
func (a *app) pointPlot(c *cli.Command) (func(name, hwKey string, row map[string]any) error, error) {
	if !c.IsSet("plot") {
		return nil, nil
	}
	out := c.String("plot")
	format, err := figures.FormatOf(out)
	if err != nil {
		return nil, badInput("--plot", err)
	}
	if err := checkFigureOut(out, nil, figureEndings); err != nil {
		return nil, badInput("--plot", err)
	}
	return func(name, hwKey string, row map[string]any) error {
		h, err := a.cat.HardwareByKey(hwKey)
		if err != nil {
			return badInput("HARDWARE", err)
		}
		fig, err := reports.PointRoofline(h, name, row)
		if err != nil {
			return badInput("--plot", err)
		}
		if err := writeFigure(out, fig, format, defaultDPI); err != nil {
			return badInput("--plot", err)
		}
		fmt.Fprintf(a.stderr, "wrote %s (roofline)\n", out)
		return nil
	}, nil
}
