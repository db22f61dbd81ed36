package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/grids"
	"github.com/mlsysim/mlsysim/results"
	"github.com/mlsysim/mlsysim/sinks"
	"github.com/mlsysim/mlsysim/sweep"
)

// version is recorded in manifests and file metadata; change it with releases.
const version = "0.1.0-dev"

// confirmPoints: a grid larger than this needs --yes.
const confirmPoints = 1e9

// Bounds of the sweep's own integer flags (--part-points has sweep.MaxPartPoints).
// A batch holds every input and output column of its points (~60 float64
// each): 2^20 points is ~0.5 GB per worker. More workers than 1024 only contend.
const (
	maxBatchPoints = 1 << 20
	maxWorkers     = 1024
)

// within is a flag validator: the value must lie in [lo, hi].
func within(lo, hi int) func(int) error {
	return func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("%d is out of range: want %d to %d", v, lo, hi)
		}
		return nil
	}
}

func (a *app) sweepCommand() *cli.Command {
	return &cli.Command{
		Name:      "sweep",
		Usage:     "evaluate a grid of scenarios into Parquet (or Arrow, CSV, JSON lines)",
		ArgsUsage: "GRID.yaml|EXAMPLE",
		Description: `GRID is a grid spec (docs/GRID.md) or the name of a bundled example: ` + strings.Join(grids.Names(), ", ") + `.
Points are evaluated column-at-a-time on every core and written as OUT/part-NNNNN.<format>
files (each complete or absent) plus OUT/_manifest.json; OUT is locked while a run writes
it (a second run is refused, naming the holder). DuckDB, pyarrow and polars read
the Parquet as it is: SELECT count(*) FROM 'OUT/*.parquet'.

Examples:
   mlsysim sweep serving-frontier --out out/frontier
   mlsysim sweep grids/roofline.yaml --out out/roofline --compression snappy
   mlsysim sweep my.yaml --dry-run
   mlsysim sweep my.yaml --out out/x --shard 2/4     # one of four machines (K counts from 1)
   mlsysim sweep my.yaml --out out/shard-$SLURM_ARRAY_TASK_ID --shard auto   # a Slurm array task (docs/CLUSTER.md)
   mlsysim merge 'out/shard-*' --out out/all         # the shards' folders as one result
   mlsysim sweep my.yaml --out - --format arrow | next-tool
   mlsysim sweep --columns serve                     # the columns a study writes`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output folder, or - to stream to stdout (with --format arrow, csv or jsonl); required except with --dry-run or --columns"},
			&cli.StringFlag{Name: "format", Value: "parquet", Usage: "parquet, arrow, csv or jsonl"},
			&cli.StringFlag{Name: "compression", Value: "zstd", Usage: "parquet codec: zstd, snappy or none"},
			&cli.IntFlag{Name: "workers", Usage: "parallel workers, at most 1024", DefaultText: "GOMAXPROCS, the CPUs this process may run on", Validator: within(0, maxWorkers)},
			&cli.StringFlag{Name: "shard", Usage: "K/N: evaluate only shard K of N, K counting from 1 (contiguous parts; the union of all N is the whole run); auto: the index of a Slurm array task or Kubernetes Indexed Job, refused when both are set (docs/CLUSTER.md)"},
			&cli.IntFlag{Name: "shard-index", Usage: "0-based shard index, as Slurm arrays and Kubernetes count (with --shard-count)", Value: -1, DefaultText: "none"},
			&cli.IntFlag{Name: "shard-count", Usage: "number of shards, at most " + strconv.Itoa(results.MaxShards) + " (with --shard-index, or with --shard auto on Kubernetes, where MLSYSIM_SHARD_COUNT also gives it)", DefaultText: "none"},
			&cli.BoolFlag{Name: "resume", Usage: "finish an interrupted run in --out: its parts are verified (footer, rows, spec, part number) and kept, damaged ones rewritten; give the interrupted run's --part-points and --batch-size"},
			&cli.BoolFlag{Name: "overwrite", Usage: "replace an existing result in --out (only mlsysim's own files are deleted; not with --resume)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print points, columns and estimated size and time (-o json: one JSON object); write nothing"},
			&cli.BoolFlag{Name: "yes", Usage: "run grids above 1e9 points"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar and no summary"},
			&cli.StringFlag{Name: "columns", Usage: "print the columns of a study (" + strings.Join(sweep.StudyNames(), ", ") + ", or all) and exit; takes no GRID and no other sweep flag"},
			&cli.IntFlag{Name: "part-points", Usage: fmt.Sprintf("grid points per output part, at most %d", sweep.MaxPartPoints), DefaultText: fmt.Sprintf("chosen from the grid size and shard count: about %d parts per shard, %d to %d points each; docs/GRID.md", sweep.PartsPerShard, sweep.MinPartPoints, sweep.DefaultPartPoints)},
			&cli.IntFlag{Name: "batch-size", Value: sweep.DefaultBatchSize, Usage: "points per batch, the unit a worker takes (one Parquet row group), 1 to 2^20", Validator: within(1, maxBatchPoints)},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a pprof CPU profile of the run to this file"},
		},
		Action: a.sweepAction,
	}
}

func (a *app) sweepAction(ctx context.Context, c *cli.Command) (err error) {
	if st := c.String("columns"); st != "" {
		// --columns prints a study's columns and nothing else: a GRID or another
		// sweep flag beside it changed nothing (sweep --columns serve fleet.yaml
		// printed serve's columns, exit 0).
		if c.Args().Len() > 0 {
			return badInputf("--columns", "prints the columns of the study it names and reads no GRID (got %s): drop one of the two (mlsysim sweep GRID --dry-run lists a grid's columns)",
				strings.Join(c.Args().Slice(), " "))
		}
		for _, f := range c.Flags {
			if name := f.Names()[0]; name != "columns" && c.IsSet(name) {
				return badInputf("--"+name, "changes nothing with --columns, which only prints a study's columns")
			}
		}
		return a.printColumns(st)
	}
	// A run writes files and reports on stderr: -o json renders its errors, and the
	// table formats would change nothing, so they are refused, not ignored.
	if _, err := a.outputFormat("text", "json"); err != nil {
		return err
	}
	if c.Args().Len() != 1 {
		return badInputf("sweep", "want one GRID (a spec file or one of %s), got %d arguments", strings.Join(grids.Names(), ", "), c.Args().Len())
	}
	spec, err := loadSpec(c.Args().First())
	if err != nil {
		return badInput("", err)
	}
	plan, err := a.planOf(spec)
	if err != nil {
		return err
	}
	format := c.String("format")
	if err := sinks.CheckFormat(format); err != nil {
		return badInput("--format", err)
	}
	if c.IsSet("compression") && format != "parquet" {
		return badInputf("--compression", "applies to parquet only (--format is %s)", format)
	}
	if !slices.Contains(sinks.Compressions, c.String("compression")) {
		return badInputf("--compression", "%q is not supported; valid: %s", c.String("compression"), strings.Join(sinks.Compressions, ", "))
	}
	shard, shards, err := shardFlags(c)
	if err != nil {
		return err
	}
	if c.IsSet("part-points") && (c.Int("part-points") < 1 || c.Int("part-points") > sweep.MaxPartPoints) {
		return badInputf("--part-points", "want 1 to %d, got %d", sweep.MaxPartPoints, c.Int("part-points"))
	}
	if c.Bool("resume") && c.Bool("overwrite") {
		return badInputf("", "--resume and --overwrite exclude each other: --resume keeps the folder's complete parts, --overwrite deletes them")
	}
	// Refused before the dry run's estimate and before any allocation.
	if _, _, _, _, err := partSplit(c, plan, shard, shards); err != nil {
		return err
	}
	if c.Bool("dry-run") {
		return a.dryRun(ctx, plan, c)
	}
	if float64(plan.N) > confirmPoints && !c.Bool("yes") {
		return badInputf("sweep", "the grid has %d points (more than 1e9); check it with --dry-run and add --yes to run it", plan.N)
	}
	out := c.String("out")
	if out == "" {
		return badInputf("--out", "missing: give a folder (or - for stdout)")
	}
	if err := checkOutFolder(out); err != nil {
		return err
	}
	if out == "-" {
		for _, f := range []string{"resume", "overwrite"} {
			if c.Bool(f) {
				return badInputf("--"+f, "applies to an --out folder; --out - streams to stdout")
			}
		}
		if format == "parquet" {
			return badInputf("--out -", "streams arrow, csv or jsonl; add --format arrow (Parquet needs a file)")
		}
		stop, perr := startCPUProfile(c.String("cpuprofile"))
		if perr != nil {
			return perr
		}
		defer stop(&err) // the named result, which the return below sets
		return a.streamSweep(ctx, plan, c, format, shard, shards)
	}

	stop, err := startCPUProfile(c.String("cpuprofile"))
	if err != nil {
		return err
	}
	defer stop(&err)
	quiet := c.Bool("quiet")
	bar := newProgress(a.stderr, plan.N, quiet)
	start := time.Now()
	m, err := sweep.WriteParts(ctx, plan, sweep.WriteOptions{
		Dir: out, Format: format, Compression: c.String("compression"), Workers: c.Int("workers"),
		BatchSize: c.Int("batch-size"), PartPoints: uint64(c.Int("part-points")), Shard: shard, Shards: shards,
		Resume: c.Bool("resume"), Overwrite: c.Bool("overwrite"), Version: version, Progress: bar.update,
	})
	bar.finish()
	if m != nil {
		for _, r := range m.Rewritten {
			a.warn("--resume: rewrote the damaged part %s", r)
		}
		if m.Shard != nil && m.Shard.FirstPart == m.Shard.EndPart {
			a.warn("shard %d/%d has no parts to write: the grid has %d parts for %d shards (use fewer shards, or a smaller --part-points)", m.Shard.Index, m.Shard.Count, m.PartsTotal, m.Shard.Count)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &cliError{code: exitBadInput, title: "Interrupted", err: fmt.Errorf("stopped; complete parts stay in %s, finish with --resume", out)}
		}
		return badInput("", err)
	}
	if !quiet {
		el := time.Since(start).Seconds()
		var pts uint64
		for _, p := range m.Parts {
			pts += p.Points
		}
		// A resumed run evaluates only the parts it writes; the kept parts' rows are in the
		// result but not in this run's findings or speed, and the output says so.
		var kept uint64
		if m.Findings != nil && m.Findings.Rows < m.Rows {
			kept = m.Rows - m.Findings.Rows
		}
		if kept == 0 {
			fmt.Fprintf(a.stderr, "swept %d points → %d rows in %.2f s (%.3g points/s, %d workers); %d files, %s in %s\n",
				pts, m.Rows, el, float64(pts)/el, workersUsed(c.Int("workers")), len(m.Parts), fmtSI(float64(m.Bytes), "B"), out)
		} else {
			fmt.Fprintf(a.stderr, "resumed: %d rows kept from the interrupted run, %d written now in %.2f s (%d workers); %d points → %d rows in all; %d files, %s in %s\n",
				kept, m.Findings.Rows, el, workersUsed(c.Int("workers")), pts, m.Rows, len(m.Parts), fmtSI(float64(m.Bytes), "B"), out)
		}
		printFindings(a.stderr, plan, m.Findings, kept)
	}
	return nil
}

// startCPUProfile starts the pprof CPU profile of --cpuprofile (none for ""), written
// under a temporary name and renamed into place when stop runs, as every other output
// (sinks.Create): os.Create truncated an existing profile at the start, so a run killed
// part-way left it empty, and a device took the writes. stop records a failed rename
// in *err unless it holds an error already.
func startCPUProfile(path string) (stop func(err *error), err error) {
	if path == "" {
		return func(*error) {}, nil
	}
	f, err := sinks.Create(path)
	if err != nil {
		return nil, badInput("--cpuprofile", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, badInput("--cpuprofile", err)
	}
	return func(err *error) {
		pprof.StopCPUProfile()
		if cerr := f.Commit(); cerr != nil && *err == nil {
			*err = badInput("--cpuprofile", cerr)
		}
	}, nil
}

// printFindings says what the run found: feasibility and, per model, the best
// feasible point by the study's objective with the inputs that vary. kept rows
// (parts a resumed run kept) are not among the findings, and the lines say so.
func printFindings(w io.Writer, plan *sweep.Plan, f *sweep.Findings, kept uint64) {
	if f == nil || f.Rows == 0 {
		return
	}
	scope := ""
	if kept > 0 {
		scope = " written now"
		fmt.Fprintf(w, "findings below cover the rows written now; the %d kept rows are not counted (query the folder for the whole run)\n", kept)
	}
	line := fmt.Sprintf("feasible: %d of %d rows%s (%s)", f.Feasible, f.Rows, scope, fmtPct(float64(f.Feasible)/float64(f.Rows)))
	for _, r := range slices.Sorted(maps.Keys(f.Reasons)) {
		line += fmt.Sprintf("; %s: %d", r, f.Reasons[r])
	}
	fmt.Fprintln(w, line)
	if len(f.Best) == 0 {
		return
	}
	dir := "highest"
	if f.Objective.Minimize {
		dir = "lowest"
	}
	among := ""
	if kept > 0 {
		among = ", among the rows written now"
	}
	fmt.Fprintf(w, "best feasible point per model (%s %s%s):\n", dir, f.Objective.Column, among)
	width := 14
	for _, b := range f.Best {
		width = max(width, min(len(b.Model), 24))
	}
	for _, b := range f.Best {
		var parts []string
		for _, v := range plan.Values {
			if v.Dim >= 0 && v.Param.Name != "model" {
				parts = append(parts, fmt.Sprintf("%s=%v", v.Param.Name, b.Inputs[v.Param.Name]))
			}
		}
		fmt.Fprintf(w, "  %-*s %-10.4g point %d: %s\n", width, b.Model, b.Value, b.PointID, strings.Join(parts, " "))
	}
}

func workersUsed(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// loadSpec reads a spec file or a bundled example by name. A file of that name
// wins over the example; a folder does not (a spec is never a folder, and
// `mlsysim sweep roofline --out roofline` leaves one behind).
func loadSpec(arg string) (*sweep.Spec, error) {
	if b, path, ok := grids.Read(arg); ok {
		if fi, err := os.Stat(arg); err != nil || fi.IsDir() {
			return sweep.ParseSpec(path, b)
		}
	}
	b, err := catalog.ReadInput(arg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("grid %q: no such file, and no bundled example has that name (examples: %s)", arg, strings.Join(grids.Names(), ", "))
		}
		return nil, fmt.Errorf("grid: %w", err)
	}
	return sweep.ParseSpec(arg, b)
}

// shardFlags reads --shard (K/N or auto), or --shard-index with --shard-count,
// into a 1-based shard K of N (0, 0: not sharded).
func shardFlags(c *cli.Command) (k, n int, err error) {
	count := 0
	if c.IsSet("shard-count") {
		if count = c.Int("shard-count"); count < 1 || count > results.MaxShards {
			return 0, 0, badInputf("--shard-count", "want 1 to %d, got %d", results.MaxShards, count)
		}
	}
	if c.IsSet("shard-index") {
		if c.IsSet("shard") {
			return 0, 0, badInputf("--shard-index", "give either --shard or --shard-index with --shard-count, not both")
		}
		if count == 0 {
			return 0, 0, badInputf("--shard-index", "needs --shard-count")
		}
		k, n, err := results.ZeroBased(c.Int("shard-index"), count)
		if err != nil {
			return 0, 0, badInput("--shard-index", err)
		}
		return k, n, nil
	}
	if !c.IsSet("shard") && !c.IsSet("shard-count") {
		return 0, 0, nil
	}
	k, n, err = results.ParseShard(c.String("shard"), count, os.Getenv)
	if err != nil {
		return 0, 0, badInput("--shard", err)
	}
	return k, n, nil
}

func (a *app) printColumns(study string) error {
	names := []string{study}
	if study == "all" {
		names = sweep.StudyNames()
	}
	format, err := a.outputFormat("text", "json", "markdown", "csv")
	if err != nil {
		return err
	}
	var tables []*table
	for _, name := range names {
		st, err := sweep.StudyByName(name)
		if err != nil {
			return badInput("--columns", err)
		}
		tables = append(tables, columnsTable(st))
	}
	if study == "all" && format == "markdown" {
		fmt.Fprint(a.stdout, columnsPreamble)
	}
	return renderTables(a.stdout, format, tables)
}

const columnsPreamble = `# Result columns

Generated by ` + "`make docs`" + ` (` + "`mlsysim sweep --columns all -o markdown`" + `); a test keeps it in step
with the code. Every result starts with point_id, then the study's inputs in order, then its
outputs. Units are in the names; GB are decimal (1e9 bytes). In Parquet and Arrow files each
field's metadata also holds its unit and description (Parquet: in the ARROW:schema footer key,
and the unit in every column chunk's key-value metadata).

`

func columnsTable(st *sweep.Study) *table {
	t := &table{name: st.Name, title: "Study " + st.Name + ": " + st.Doc,
		cols: []string{"column", "kind", "type", "unit", "description"}, jsonCols: []string{"name", "kind", "type", "unit", "description"}}
	id := sweep.PointIDColumn
	t.add([]string{id.Name, "input", id.Type, "", id.Doc}, []any{id.Name, "input", id.Type, "", id.Doc})
	for _, p := range st.Params {
		typ := map[sweep.Kind]string{sweep.KindFloat: "float64", sweep.KindInt: "int64", sweep.KindBool: "bool"}[p.Kind]
		if typ == "" {
			typ = "string"
		}
		doc := p.Doc
		var notes []string
		if p.Default != "" {
			notes = append(notes, "default "+p.Default)
		}
		if p.Kind == sweep.KindInt || p.Kind == sweep.KindFloat {
			notes = append(notes, "range "+p.Range())
		}
		if len(notes) > 0 {
			doc += " (" + strings.Join(notes, "; ") + ")"
		}
		t.add([]string{p.Name, "input", typ, p.Unit, doc}, []any{p.Name, "input", typ, p.Unit, doc})
	}
	for _, col := range st.Columns {
		typ := map[sweep.ColType]string{sweep.Float64: "float64", sweep.Bool: "bool", sweep.Enum: "string"}[col.Type]
		if col.Nullable {
			typ += ", nullable"
		}
		t.add([]string{col.Name, "output", typ, col.Unit, col.Doc}, []any{col.Name, "output", typ, col.Unit, col.Doc})
	}
	return t
}

// partSplit is how a run splits into parts and which of them shard K of N
// writes: the part size (--part-points or the policy), the part count, and
// the shard's parts [first, end) (all of them when not sharded).
func partSplit(c *cli.Command, plan *sweep.Plan, shard, shards int) (pp, parts, first, end uint64, err error) {
	pp, parts, err = sweep.PartLayout(plan.N, uint64(c.Int("part-points")), shards)
	if err != nil {
		return 0, 0, 0, 0, badInput("", err)
	}
	first, end = results.PartRange(parts, shard, shards)
	return pp, parts, first, end, nil
}

// streamSweep writes one ordered stream to stdout: the whole grid, or the
// points of the shard's parts.
func (a *app) streamSweep(ctx context.Context, plan *sweep.Plan, c *cli.Command, format string, shard, shards int) error {
	w, err := sinks.New(format, a.stdout, plan.Schema(), sinks.Options{Stream: true, Version: version,
		Metadata: map[string]string{"mlsysim.version": version, "mlsysim.study": plan.Study.Name, "mlsysim.catalog_hash": plan.Catalog.Hash}})
	if err != nil {
		return badInput("--format", err)
	}
	opt := sweep.Options{Workers: c.Int("workers"), BatchSize: c.Int("batch-size")}
	empty := false
	if shards > 0 {
		pp, _, first, end, err := partSplit(c, plan, shard, shards)
		if err != nil {
			return err
		}
		opt.Lo, opt.Hi = min(first*pp, plan.N), min(end*pp, plan.N)
		empty = opt.Lo == opt.Hi // Hi = 0 would mean the whole grid to Run
	}
	if empty {
		a.warn("shard %d/%d has no points to stream", shard, shards)
	} else {
		err = sweep.Run(ctx, plan, opt, func(rec arrow.Record) error {
			return w.Write(rec)
		})
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return badInput("", err)
	}
	return nil
}

// dryRun reports the size of the grid without writing: points, columns, and an
// estimate of bytes and time from one sample batch written to nowhere. With -o json
// the same facts are one JSON object on stdout (the text would not parse).
func (a *app) dryRun(ctx context.Context, plan *sweep.Plan, c *cli.Command) error {
	format := c.String("format")
	est, err := sweep.Estimate(ctx, plan, format, c.String("compression"))
	if err != nil {
		return badInput("", err)
	}
	workers := workersUsed(c.Int("workers"))
	shard, shards, err := shardFlags(c)
	if err != nil {
		return err
	}
	pp, parts, first, end, err := partSplit(c, plan, shard, shards)
	if err != nil {
		return err
	}
	type axis struct {
		Params []string `json:"params"`
		Len    uint64   `json:"len"`
	}
	var axes []axis
	for _, d := range plan.Dims {
		var names []string
		for _, pi := range d.Params {
			names = append(names, plan.Values[pi].Param.Name)
		}
		axes = append(axes, axis{names, uint64(d.Len)})
	}
	var names []string
	for _, col := range plan.Columns() {
		names = append(names, col.Name)
	}
	// A shard's estimates are of its own points (what one array task writes), not the grid's.
	points, whose := plan.N, ""
	var lo, hi uint64
	if shards > 0 {
		lo, hi = min(first*pp, plan.N), min(end*pp, plan.N)
		points, whose = hi-lo, fmt.Sprintf(" for shard %d/%d's %d points", shard, shards, hi-lo)
	}
	rows := est.KeptShare * float64(points)
	bytes := rows * est.BytesPerRow
	secs := float64(points) / (est.PointsPerSec * float64(workers))
	needsYes := float64(plan.N) > confirmPoints
	if a.format() == "json" {
		obj := map[string]any{
			"grid": plan.Spec.Name, "study": plan.Study.Name, "points": plan.N,
			"axes": axes, "parts": parts, "part_points": pp, "columns": names,
			"format": format, "estimated_rows": rows, "estimated_bytes": bytes, "bytes_per_row": est.BytesPerRow,
			"workers": workers, "estimated_seconds": secs, "points_per_s_per_worker": est.PointsPerSec,
			"needs_yes": needsYes,
		}
		if plan.Filtered() {
			obj["kept_points_estimate"] = est.KeptShare * float64(plan.N)
			obj["filter_sampled_points"] = est.Sampled
		}
		if shards > 0 {
			obj["shard"] = map[string]any{"k": shard, "n": shards, "first_part": first, "parts": end - first, "points": hi - lo}
		}
		return writeJSON(a.stdout, obj)
	}
	w := a.stdout
	fmt.Fprintf(w, "grid %q, study %s\n", plan.Spec.Name, plan.Study.Name)
	fmt.Fprintf(w, "points: %d", plan.N)
	if plan.Filtered() {
		fmt.Fprintf(w, " (≈ %.0f after where filters, estimated from %d sampled points)", est.KeptShare*float64(plan.N), est.Sampled)
	}
	fmt.Fprintln(w)
	var ax []string
	for _, d := range axes {
		ax = append(ax, fmt.Sprintf("%s × %d", strings.Join(d.Params, "+"), d.Len))
	}
	fmt.Fprintf(w, "axes: %s\n", strings.Join(ax, ", "))
	fmt.Fprintf(w, "parts: %d of %d points", parts, pp)
	if shards > 0 {
		if end > first {
			fmt.Fprintf(w, "; shard %d/%d writes parts %d–%d (%d)", shard, shards, first, end-1, end-first)
		} else {
			fmt.Fprintf(w, "; shard %d/%d writes no part (%d parts for %d shards)", shard, shards, parts, shards)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "columns (%d): %s\n", len(names), strings.Join(names, ", "))
	fmt.Fprintf(w, "estimated output%s: %s as %s (%.1f bytes/row)\n", whose, fmtSI(bytes, "B"), format, est.BytesPerRow)
	fmt.Fprintf(w, "estimated time%s: %s on %d workers (%.3g points/s per worker)\n", whose, fmtSeconds(secs, time.Millisecond), workers, est.PointsPerSec)
	if needsYes {
		fmt.Fprintf(w, "note: more than 1e9 points; running it needs --yes\n")
	}
	return nil
}

// fmtSeconds renders a duration rounded to unit, in years past a billion
// seconds: a time.Duration holds only 292 years, and a grid's estimate can be
// longer (it printed a negative time).
func fmtSeconds(secs float64, unit time.Duration) string {
	if secs >= 1e9 {
		return fmt.Sprintf("%.3g years", secs/(365.25*24*3600))
	}
	return time.Duration(secs * float64(time.Second)).Round(unit).String()
}

// progress draws a one-line bar on a terminal: points/s and ETA.
type progress struct {
	w       io.Writer
	total   uint64
	on      bool
	start   time.Time
	lastOut time.Time
}

func newProgress(w io.Writer, total uint64, quiet bool) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && !quiet {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

func (p *progress) update(done uint64) {
	if !p.on || time.Since(p.lastOut) < 200*time.Millisecond && done < p.total {
		return
	}
	p.lastOut = time.Now()
	frac := float64(done) / float64(max(p.total, 1))
	el := time.Since(p.start).Seconds()
	rate := float64(done) / max(el, 1e-9)
	eta := "?"
	if rate > 0 && done > 0 {
		eta = fmtSeconds(float64(p.total-done)/rate, time.Second)
	}
	const width = 30
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %5.1f%%  %.3g points/s  ETA %s   ", strings.Repeat("█", n), strings.Repeat("·", width-n), 100*frac, rate, eta)
}

func (p *progress) finish() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
