//go:build !lean

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/results"
	"github.com/mlsysim/mlsysim/sweep"
)

// maxSearchBatch bounds optimize batching's --max-batch: every batch from 1 is a
// point of its sweep. Serving engines cap requests in flight per replica in the
// hundreds to low thousands (vLLM's max_num_seqs defaults to 256), so 65,536 is
// far past any real batcher while keeping the search a sub-second sweep.
const maxSearchBatch = 1 << 16

// Optimizers are "sweep, then query": a plan becomes a grid over the searched
// choices, the sweep writes Parquet, a bundled query picks the winners.
func (a *app) optimizeCommand() *cli.Command {
	keep := &cli.StringFlag{Name: "keep", Usage: "keep the sweep in this folder, which must not hold a result already (default: a temporary folder, removed)"}
	return &cli.Command{
		Name:  "optimize",
		Usage: optimizeUsage,
		Description: `serving takes a model and targets on the command line and sweeps the serve-deploy study.
The others turn PLAN.yaml (docs/PLAN.md) into a grid over the choices they search,
sweep it (the fleet study) and run a bundled query over the result (docs/QUERIES.md).
Formats: text, json. JSON keys follow the seed: objective_value, best_config,
total_searched, top_candidates, plus per optimizer best_region / lowest_tco /
carbon_footprint / pue (placement) and best_step_time / best_mfu / best_throughput
(parallelism).`,
		Before: func(ctx context.Context, c *cli.Command) (context.Context, error) {
			return ctx, requireQueries("optimize")
		},
		Commands: []*cli.Command{
			a.optimizeServingCommand(keep),
			{
				Name:      "placement",
				Usage:     "the region with the lowest TCO + carbon tax (physics.md §8.4)",
				ArgsUsage: "PLAN.yaml",
				Flags: []cli.Flag{
					&cli.FloatFlag{Name: "carbon-tax", Value: 100, Usage: "USD per tonne CO2e added to TCO"},
					&cli.StringFlag{Name: "regions", Value: "all", Usage: "comma-separated grid regions, or all (mlsysim zoo regions)"},
					keep,
				},
				Action: func(ctx context.Context, c *cli.Command) error { return a.optimizePlacement(ctx, c) },
			},
			{
				Name:      "batching",
				Usage:     "the largest batch whose latency meets an SLA at a query rate: a request's mean latency, arrival to last token (calibrated), or the seed's p99 from a full batch (--profile seed) (physics.md §6.7)",
				ArgsUsage: "PLAN.yaml",
				Description: `Serves the plan's model, precision, efficiency and seq_len with one replica per
accelerator (the seed's optimizer); a plan with a parallelism block is refused, as
nothing here would read it (mlsysim optimize serving searches layouts).

Which latency --sla-ms bounds depends on the profile (JSON sla_latency names the column):
  calibrated  a request's mean latency, arrival to last token: the wait for its batch to
              fill ((batch − 1)/(2 · qps) on average) + the mean wait for a replica + the
              batch's service (the serve-sla study's mean_latency_ms, docs/PHYSICS.md §14).
              A mean, not a percentile: no percentile of that sum is computed.
  seed        the seed's p99 latency, which starts when a batch is full: the batch's
              99th-percentile wait for a replica plus its service (p99_wait_service_ms);
              it leaves out the fill wait, so the seed's goldens keep their answers.
The answer gives both, and the fill wait (batch_fill_wait_ms, mean_latency_ms and the
seed's p99_latency in json). No batch meeting the SLA exits 2 with the closest miss (the
batch with the lowest bounded latency, json closest_miss).`,
				Flags: []cli.Flag{
					&cli.FloatFlag{Name: "sla-ms", Usage: "target in ms for a request's mean latency, arrival to last token (calibrated), or the seed's p99 of a full batch's wait + service (--profile seed) (required, at most 10000000)", HideDefault: true},
					&cli.FloatFlag{Name: "qps", Usage: "request arrival rate, requests/s (required)", HideDefault: true},
					&cli.IntFlag{Name: "max-batch", Value: 256, Usage: "largest batch searched (the seed's max_search_batch), at most 65536", Validator: within(1, maxSearchBatch)},
					keep,
				},
				Action: func(ctx context.Context, c *cli.Command) error { return a.optimizeBatching(ctx, c) },
			},
			a.optimizeParallelismCommand(keep),
		},
	}
}

// fleetPlan reads a plan for an optimizer and returns its one-point fleet axes.
func (a *app) fleetPlan(c *cli.Command, name string) (*sweep.PlanFile, []sweep.Axis, error) {
	if c.Args().Len() != 1 {
		return nil, nil, badInputf("optimize "+name, "want one PLAN.yaml, got %d arguments", c.Args().Len())
	}
	path := c.Args().First()
	pf, study, axes, err := a.loadPlanSplit(path, name == "parallelism")
	if err != nil {
		return nil, nil, err
	}
	if study != "fleet" {
		return nil, nil, badInputf("optimize "+name, "%s describes one accelerator; %s optimization needs a fleet (hardware.accelerators > 1 or hardware.cluster)", path, name)
	}
	var kept []string // the plan's split, where optimize parallelism is told to keep it
	if name == "parallelism" {
		for _, k := range []string{"tp", "pp"} {
			if strings.TrimSpace(c.String(k)) == "plan" {
				kept = append(kept, k)
			}
		}
	}
	if err := pf.CheckOptimizerEffectKeeping(a.cat, a.String("profile"), name, kept, func(msg string) { a.warn("%s", msg) }); err != nil {
		return nil, nil, badInput("", err)
	}
	return pf, axes, nil
}

// optimizerEffect refuses the plan keys an optimizer's answer never reads and warns of
// those its search or flags replace (sweep.PlanFile.CheckOptimizerEffect).
func (a *app) optimizerEffect(pf *sweep.PlanFile, name string) error {
	if err := pf.CheckOptimizerEffect(a.cat, a.String("profile"), name, func(msg string) { a.warn("%s", msg) }); err != nil {
		return badInput("", err)
	}
	return nil
}

// replaceAxis sets (or adds) an axis with the given values.
func replaceAxis(axes []sweep.Axis, name, where string, values []string) []sweep.Axis {
	ax := sweep.Axis{Name: name, Where: where}
	for _, v := range values {
		ax.Values = append(ax.Values, sweep.AxisValue{Text: v, Where: where})
	}
	for i := range axes {
		if axes[i].Name == name {
			axes[i] = ax
			return axes
		}
	}
	return append(axes, ax)
}

func axisValue(axes []sweep.Axis, name string) string {
	for _, ax := range axes {
		if ax.Name == name && len(ax.Values) == 1 {
			return ax.Values[0].Text
		}
	}
	return ""
}

// sweepAndQuery writes the plan's sweep and runs one bundled query over it.
func (a *app) sweepAndQuery(ctx context.Context, study string, axes []sweep.Axis, keepDir, query string, params map[string]string) (*sweep.Plan, [][]any, []string, error) {
	return a.sweepAndQueryWith(ctx, study, axes, keepDir, query, params, nil)
}

// sweepAndQueryWith is sweepAndQuery with prepare run on the plan before the sweep
// (optimize parallelism's rules); nil for none.
func (a *app) sweepAndQueryWith(ctx context.Context, study string, axes []sweep.Axis, keepDir, query string, params map[string]string, prepare func(*sweep.Plan) error) (*sweep.Plan, [][]any, []string, error) {
	st, _ := sweep.StudyByName(study)
	plan, err := sweep.NewPlan(a.cat, st, axes, nil)
	if err != nil {
		return nil, nil, nil, badInput("", err)
	}
	if err := a.applyProfile(plan); err != nil {
		return nil, nil, nil, err
	}
	if prepare != nil {
		if err := prepare(plan); err != nil {
			return nil, nil, nil, err
		}
	}
	dir, cleanup, err := sweepDir(keepDir)
	if err != nil {
		return nil, nil, nil, err
	}
	defer cleanup()
	if _, err := sweep.WriteParts(ctx, plan, sweep.WriteOptions{Dir: dir, Version: version}); err != nil {
		return nil, nil, nil, badInput("", err)
	}
	db, err := queries.Open(ctx, dir)
	if err != nil {
		return nil, nil, nil, err
	}
	defer db.Close()
	q, err := queries.Lookup(query)
	if err != nil {
		return nil, nil, nil, err
	}
	stmt, err := db.Prepare(ctx, q, params)
	if err != nil {
		return nil, nil, nil, badInput("", err)
	}
	rows, err := db.Query(ctx, stmt)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	var names []string
	for _, col := range rows.Columns() {
		names = append(names, col.Name)
	}
	var out [][]any
	for rows.Next() {
		out = append(out, append([]any(nil), rows.Values()...))
	}
	return plan, out, names, rows.Err()
}

// sweepDir is the folder an optimizer sweeps into: --keep's, which must not hold a
// result already (replacing one would lose it with exit 0; sweep --out asks for
// --overwrite), or a temporary folder that cleanup removes.
func sweepDir(keep string) (dir string, cleanup func(), err error) {
	if keep == "" {
		if dir, err = os.MkdirTemp("", "mlsysim-optimize-"); err != nil {
			return "", nil, err
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	existing, err := results.Existing(keep)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", nil, badInput("--keep", err)
	}
	if len(existing) > 0 {
		return "", nil, badInputf("--keep", "%s already holds a result (%d files), which the sweep would replace; remove it or give another folder", keep, len(existing))
	}
	return keep, func() {}, nil
}

func pick(names []string, row []any, col string) any {
	for i, n := range names {
		if n == col {
			return row[i]
		}
	}
	return nil
}

func asNum(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return 0
}

func (a *app) optimizePlacement(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json")
	if err != nil {
		return err
	}
	pf, axes, err := a.fleetPlan(c, "placement")
	if err != nil {
		return err
	}
	tax := c.Float("carbon-tax")
	if tax < 0 {
		return badInputf("--carbon-tax", "must be ≥ 0, got %g", tax)
	}
	regions := strings.Split(c.String("regions"), ",")
	if c.String("regions") == "all" {
		regions = nil
		for _, g := range a.cat.Grids {
			regions = append(regions, g.Key)
		}
	}
	for i := range regions {
		if regions[i] = strings.TrimSpace(regions[i]); regions[i] == "" {
			return badInputf("--regions", "%q has an empty item (two commas, or one at an end); give comma-separated regions (mlsysim zoo regions) or all", c.String("regions"))
		}
	}
	axes = replaceAxis(axes, "region", "--regions", regions)
	// The seed's placement optimizer prices power at the plan's efficiency
	// (mfu=hardware.efficiency): its goldens (physics.md §13.4) under --profile seed. The
	// calibrated fleet draws what its step does (its HFU), as eval prices the same plan:
	// forcing the efficiency's 0.5 gave Research_256 in Norway a TCO of $252,640 and 0.889 t
	// where eval of the plan says $248,439 and 0.539 t.
	if a.String("profile") == "seed" {
		axes = replaceAxis(axes, "energy_utilization", "hardware.efficiency", []string{axisValue(axes, "efficiency")})
	}
	axes = replaceAxis(axes, "carbon_tax_usd_per_t", "--carbon-tax", []string{strconv.FormatFloat(tax, 'g', -1, 64)})
	if axisValue(axes, "duration_days") == "" {
		axes = replaceAxis(axes, "duration_days", "default", []string{"30"}) // the seed's default
	}
	// The seed's placement optimizer never looked at the workload; ours ranks only regions
	// where the plan can run, so a recommendation is never a split that does not fit.
	plan, rows, names, err := a.sweepAndQuery(ctx, "fleet", axes, c.String("keep"), "placement",
		map[string]string{"tax": strconv.FormatFloat(tax, 'g', -1, 64), "k": strconv.Itoa(len(regions))})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		why, err := a.splitMiss(ctx, plan, "regions")
		if err != nil {
			return err
		}
		return &cliError{code: exitPhysics, title: "No feasible placement",
			err: fmt.Errorf("%s cannot run in any region, so no placement is recommended: %s", pf.Name, why)}
	}
	var cands []orderedObject
	for _, r := range rows {
		cands = append(cands, orderedObject{{"region", pick(names, r, "region")}, {"tco", asNum(pick(names, r, "tco_usd"))},
			{"carbon", asNum(pick(names, r, "placement_carbon_t"))}, {"pue", asNum(pick(names, r, "pue"))},
			{"objective", asNum(pick(names, r, "placement_objective_usd"))}})
	}
	best := cands[0]
	obj := orderedObject{{"scenario", pf.Name}, {"objective_value", best[4].v}, {"best_config", orderedObject{{"region", best[0].v}}},
		{"best_region", best[0].v}, {"lowest_tco", best[1].v}, {"carbon_footprint", best[2].v}, {"pue", best[3].v},
		{"carbon_tax_usd_per_t", tax}, {"total_searched", plan.N}, {"top_candidates", cands}}
	if format == "json" {
		return writeJSON(a.stdout, obj)
	}
	fmt.Fprintf(a.stdout, "Placement — %s (carbon tax $%g/tCO2e, %d regions)\n\n", pf.Name, tax, len(regions))
	fmt.Fprintf(a.stdout, "Best region: %v — TCO $%s + carbon %.3f t → objective $%s\n\n", best[0].v, groupDigits(asNum(best[1].v)),
		asNum(best[2].v), groupDigits(asNum(best[4].v)))
	t := &table{title: "Candidates, cheapest first", cols: []string{"region", "TCO USD", "carbon t", "PUE", "objective USD"}}
	for _, cd := range cands {
		t.add([]string{fmt.Sprint(cd[0].v), fmt.Sprintf("%.2f", asNum(cd[1].v)), fmt.Sprintf("%.3f", asNum(cd[2].v)),
			fmt.Sprintf("%g", asNum(cd[3].v)), fmt.Sprintf("%.2f", asNum(cd[4].v))}, nil)
	}
	return renderTables(a.stdout, "text", []*table{t})
}

// nodeSize is the accelerators per node of the plan's cluster.
func nodeSize(a *app, row map[string]any) int {
	cl, err := a.cat.ClusterByKey(fmt.Sprint(row["cluster"]))
	if err != nil {
		return 1
	}
	n, err := a.cat.NodeByKey(cl.Node)
	if err != nil {
		return 1
	}
	return n.AcceleratorsPerNode
}

func (a *app) optimizeBatching(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json")
	if err != nil {
		return err
	}
	sla, qps, maxBatch := c.Float("sla-ms"), c.Float("qps"), c.Int("max-batch")
	switch {
	case !c.IsSet("sla-ms") || !(sla > 0) || math.IsInf(sla, 0): // !(> 0) refuses NaN too
		return badInputf("--sla-ms", "required: the target in ms for a request's mean latency (calibrated) or a full batch's p99 wait + service (the seed's p99 latency), a finite number > 0, got %v", sla)
	case sla > sweep.MaxMS: // as every latency target (sweep/limits.go); 1e308 was searched
		return badInputf("--sla-ms", "%v ms is out of range: want ≤ %.0f ms (2.8 hours), the bound of every latency target", sla, sweep.MaxMS)
	case !c.IsSet("qps") || !(qps > 0) || math.IsInf(qps, 0):
		return badInputf("--qps", "required: the request rate, a finite number > 0, got %v", qps)
	}
	if c.Args().Len() != 1 {
		return badInputf("optimize batching", "want one PLAN.yaml, got %d arguments", c.Args().Len())
	}
	path := c.Args().First()
	pf, study, planAxes, err := a.loadPlan(path)
	if err != nil {
		return err
	}
	if err := a.optimizerEffect(pf, "batching"); err != nil {
		return err
	}
	if pf.Parallelism != nil {
		return badInputf("optimize batching", "%s has a parallelism block, which optimize batching does not read: it serves the model on each accelerator, one replica per accelerator (the seed's optimizer); drop the block, or use mlsysim optimize serving for tensor- and pipeline-parallel layouts", path)
	}
	// The seed serves on the plan's accelerator with one replica per accelerator.
	hw, replicas := axisValue(planAxes, "hardware"), 1
	if study == "fleet" {
		cl, err := a.cat.ClusterByKey(axisValue(planAxes, "cluster"))
		if err != nil {
			return badInput("", err)
		}
		n, _ := a.cat.NodeByKey(cl.Node)
		hw, replicas = n.Accelerator, cl.Nodes*n.AcceleratorsPerNode
	}
	var batches []string
	for v := 1; v <= maxBatch; v++ {
		batches = append(batches, strconv.Itoa(v))
	}
	var axes []sweep.Axis
	for _, name := range []string{"model", "precision", "efficiency", "seq_len"} {
		axes = append(axes, sweep.Axis{Name: name, Where: path, Values: []sweep.AxisValue{{Text: axisValue(planAxes, name), Where: path}}})
	}
	axes = replaceAxis(axes, "hardware", path, []string{hw})
	axes = replaceAxis(axes, "replicas", path, []string{strconv.Itoa(replicas)})
	axes = replaceAxis(axes, "qps", "--qps", []string{strconv.FormatFloat(qps, 'g', -1, 64)})
	axes = replaceAxis(axes, "batch_size", "--max-batch", batches)
	// The latency the SLA bounds: the seed's p99 of a full batch's wait + service (its
	// goldens), or under the calibrated profile a request's mean latency, arrival to last
	// token (the batch-fill wait + the queue wait + the service), which a user measures.
	bound := batchingBound(a.String("profile"))
	plan, rows, names, err := a.sweepAndQuery(ctx, "serve-sla", axes, c.String("keep"), "batching",
		map[string]string{"sla": bound.column, "max": strconv.FormatFloat(sla, 'g', -1, 64), "group": ""})
	if err != nil {
		return err
	}
	seq, _ := strconv.ParseFloat(axisValue(planAxes, "seq_len"), 64)
	obj := orderedObject{{"scenario", pf.Name}}
	if len(rows) == 0 {
		miss, err := batchingMiss(ctx, plan, bound.column)
		if err != nil {
			return err
		}
		obj = append(obj, kv{"objective_value", 0.0}, kv{"best_config", orderedObject{{"max_batch_size", 0}}}, kv{"best_batch_size", 0},
			kv{"max_throughput", 0.0}, kv{"p99_latency", 0.0}, kv{"is_feasible", false}, kv{"total_searched", plan.N},
			kv{"sla_latency", bound.column})
		why := fmt.Sprintf("no batch from 1 to %d meets %s ≤ %g ms at %g QPS on %d × %s", maxBatch, bound.text, sla, qps, replicas, hw)
		if miss != nil {
			obj = append(obj, kv{"closest_miss", orderedObject{{"batch_size", miss["batch_size"]}, {bound.column, f64(miss, bound.column)}}})
			why += fmt.Sprintf("; closest miss: batch %v at %s", miss["batch_size"], fmtMs(f64(miss, bound.column)))
		} else {
			why += fmt.Sprintf("; at every batch the model does not fit or the queue is unstable (one replica per accelerator cannot keep up with %g QPS)", qps)
		}
		if format == "json" {
			if err := writeJSON(a.stdout, obj); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(a.stdout, "Batching — %s: %s\n", pf.Name, why)
		}
		return &cliError{code: exitPhysics, title: "No batch meets the SLA", payloadShown: true, err: errors.New(why)}
	}
	r := rows[0]
	best := pick(names, r, "batch_size")
	p99 := asNum(pick(names, r, "p99_wait_service_ms"))
	fill, mean := asNum(pick(names, r, "batch_fill_wait_ms")), asNum(pick(names, r, "mean_latency_ms"))
	bounded := asNum(pick(names, r, bound.column))
	// At steady state the fleet serves what arrives: qps requests of seq_len tokens (the seed's max_throughput).
	obj = append(obj, kv{"objective_value", qps * seq}, kv{"best_config", orderedObject{{"max_batch_size", best}}}, kv{"best_batch_size", best},
		kv{"max_throughput", qps * seq}, kv{"p99_latency", p99}, kv{"queue_utilization", asNum(pick(names, r, "queue_utilization"))},
		kv{"slo_headroom_ratio", 1 - bounded/sla}, kv{"is_feasible", true}, kv{"total_searched", plan.N}, kv{"replicas", replicas}, kv{"hardware", hw},
		kv{"batch_fill_wait_ms", fill}, kv{"mean_latency_ms", mean}, kv{"sla_latency", bound.column})
	if format == "json" {
		return writeJSON(a.stdout, obj)
	}
	fmt.Fprintf(a.stdout, "Batching — %s (%g QPS, %s ≤ %g ms, %d × %s, batches 1–%d)\n\n", pf.Name, qps, bound.text, sla, replicas, hw, maxBatch)
	fmt.Fprintf(a.stdout, "Largest batch meeting the SLA: %v — %s %s (service %s, queue utilisation %s)\n", best, bound.text, fmtMs(bounded),
		fmtMs(asNum(pick(names, r, "service_ms"))), fmtPct(asNum(pick(names, r, "queue_utilization"))))
	if bound.column == "mean_latency_ms" {
		fmt.Fprintf(a.stdout, "Of it, %s on average waiting for the batch to fill; the p99 of a full batch's wait + service (the seed's p99 latency) is %s\n", fmtMs(fill), fmtMs(p99))
	} else {
		fmt.Fprintf(a.stdout, "A request first waits %s on average for its batch to fill: mean latency %s, arrival to last token\n", fmtMs(fill), fmtMs(mean))
	}
	return nil
}

// slaBound is the serve-sla column optimize batching's --sla-ms bounds, and its words.
type slaBound struct{ column, text string }

// batchingBound: the seed bounds its p99 latency, which starts when a batch is full
// (p99_wait_service_ms; its goldens). The calibrated profile bounds a request's mean
// latency, arrival to last token (mean_latency_ms: the batch-fill wait + the queue wait +
// the service, docs/PHYSICS.md §14), which a user measures; a percentile of that sum is
// not computed (the fill wait's Erlang mixture convolved with the queue wait).
func batchingBound(profile string) slaBound {
	if profile == "seed" {
		return slaBound{"p99_wait_service_ms", "p99 wait + service from a full batch"}
	}
	return slaBound{"mean_latency_ms", "mean latency, arrival to last token"}
}

// batchingMiss is the closest miss of a batching search that found no batch: the
// feasible (stable, fitting) point with the lowest bounded latency, nil when none is.
// The search is at most 65,536 points, so they are evaluated again here.
func batchingMiss(ctx context.Context, plan *sweep.Plan, column string) (map[string]any, error) {
	var best map[string]any
	err := sweep.Run(ctx, plan, sweep.Options{}, func(rec arrow.Record) error {
		for r := range int(rec.NumRows()) {
			row := sweep.Row(rec, r)
			if row["feasible"] != true || math.IsInf(f64(row, column), 0) {
				continue
			}
			if best == nil || f64(row, column) < f64(best, column) {
				best = row
			}
		}
		return nil
	})
	return best, err
}

// splitMiss says why no point of a fleet search (its splits, or the regions of one
// split) is feasible: how many points fail for each reason and the closest miss, the out-of-memory split that needs the
// least memory per accelerator. Memory advice is given only where memory is what fails
// (a sequence past the context window or a layout that does not divide needs another
// fix). The search is at most a few hundred points, so they are evaluated again here.
func (a *app) splitMiss(ctx context.Context, plan *sweep.Plan, points string) (string, error) {
	return a.splitMissWith(ctx, plan, points, func(row map[string]any) string {
		return fmt.Sprintf("tp %v × pp %v", row["tp"], row["pp"])
	}, "try ZeRO-3, activation recomputation or more accelerators")
}

// splitMissWith is splitMiss naming the closest miss by layout and giving advice where
// memory is what fails (optimize parallelism's calibrated search has tried ZeRO-3 and
// recomputation already).
func (a *app) splitMissWith(ctx context.Context, plan *sweep.Plan, points string, layout func(map[string]any) string, advice string) (string, error) {
	count := map[string]int{}
	var reasons []string
	var closest, tooLong map[string]any
	err := sweep.Run(ctx, plan, sweep.Options{}, func(rec arrow.Record) error {
		for r := range int(rec.NumRows()) {
			row := sweep.Row(rec, r)
			reason := fmt.Sprint(row["infeasible_reason"])
			if count[reason]++; count[reason] == 1 {
				reasons = append(reasons, reason)
			}
			if reason == "exceeds_context" {
				tooLong = row
			}
			if reason == "out_of_memory" && (closest == nil || f64(row, "memory_utilization") < f64(closest, "memory_utilization")) {
				closest = row
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%s %d", r, count[r]))
	}
	why := points + " by reason: " + strings.Join(parts, ", ")
	if closest != nil {
		why += fmt.Sprintf("; closest miss: %s needs %.1f GB per accelerator of %.1f GB; %s",
			layout(closest), f64(closest, "memory_per_accelerator_gb"), f64(closest, "memory_capacity_gb"), advice)
	}
	if tooLong != nil {
		if m, err := a.cat.ModelByKey(fmt.Sprint(tooLong["model"])); err == nil {
			why += fmt.Sprintf("; seq_len %v is longer than %s's context window of %d tokens (catalog context_tokens)", tooLong["seq_len"], m.Key, m.ContextTokens)
		}
	}
	return why, nil
}
