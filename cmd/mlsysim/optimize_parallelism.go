//go:build !lean

package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/kernel"
	"github.com/mlsysim/mlsysim/suggest"
	"github.com/mlsysim/mlsysim/sweep"
)

// maxParallelismSearch bounds the layouts one optimize parallelism search evaluates: a
// 10,000-GPU fleet's auto search is ~10^5 (BENCHMARKS.md, "optimize parallelism"), so
// a search past 2M points is a list of flags to narrow, not a question to wait on.
const maxParallelismSearch = 2_000_000

// checkpointingOrder is the search order of activation checkpointing (the fleet study's
// activation_checkpointing values): the least recomputation first — none, selective
// (the attention core), linear_outputs (norms and the MLP activation, Llama 1 §2.4),
// full (each layer) — so an exact tie goes to the layout that recomputes less.
var checkpointingOrder = []string{"none", "selective", "linear_outputs", "full"}

func (a *app) optimizeParallelismCommand(keep cli.Flag) *cli.Command {
	list := func(name, auto string) cli.Flag {
		return &cli.StringFlag{Name: name, Value: "auto", Usage: "auto (" + auto + "), plan (the plan's value only), or a comma-separated list"}
	}
	return &cli.Command{
		Name:      "parallelism",
		Usage:     "the training layout with the shortest feasible step: TP × PP split, microbatches, pipeline schedule, ZeRO stage and recomputation (physics.md §7.5)",
		ArgsUsage: "PLAN.yaml",
		Description: `Searches the plan's model, batch and fleet over tensor- and pipeline-parallel degrees
(dp = accelerators / (tp · cp · pp)) and, under the calibrated profile, over the number of
microbatches (so the microbatch size: global batch = microbatch size × microbatches × dp),
the pipeline schedule's virtual stages (1 = 1F1B, v > 1 = interleaved 1F1B: the bubble is
(pp − 1)/(microbatches · v) of the busy time, the first stage holds the activations of
min(pp, microbatches) microbatches, × (1 + (pp − 1)/(pp · v)) interleaved), the ZeRO stage and
activation checkpointing (none, selective, linear_outputs, full). The plan's
parallelism.overlap holds for every ZeRO stage searched — without it ZeRO-3's per-layer
gathers are exposed as ZeRO-1/2's reductions are (docs/PHYSICS.md §35, "One overlap rule";
the constraints say which). The seed profile searches tp and pp only
(its optimizer), with the plan's other choices.

Objective: the shortest training step (step_latency_ms) for the plan's global batch, so also
the most tokens/s. A layout is feasible when its degrees divide (tp · cp · pp divides the
accelerators; the batch divides into dp × microbatches; the layers into pp · v equal chunks,
or pp · v chunks with the embedding and the output layer counted as a layer each; tp divides
the heads, and divides the key/value heads or is a multiple of them (each then replicated on
tp/kv ranks); an interleaved schedule needs microbatches a multiple of pp, as Megatron-LM's
does) and its training memory fits the accelerator. Layouts that do not divide are counted as
infeasible; a flag value that no searched layout can use is refused. Left out as repeats of
another layout: ZeRO stages above 0 where dp · cp is 1, and selective recomputation beside
FlashAttention (which stores no scores to drop). Exact ties go to the first in the search
order: smaller values, then checkpointing none, selective, linear_outputs, full.

JSON: objective_value, best_config (tp, pp, dp, ep, cp, microbatches, microbatch_size,
virtual_stages, schedule, zero_stage, activation_checkpointing), best_parallelism (the
best layout as a plan's parallelism block: its keys and values, pipeline_schedule 1f1b or
dualpipe with virtual_stages for interleaving — the text prints it as "in a plan:"; pasted
into the plan, eval gives the same step), best_step_time, best_mfu,
best_throughput, total_searched, search_space_size, objective, constraints, searched,
top_candidates (config, step_time, mfu, throughput, memory_per_accelerator_gb,
binding_wall, bubble_ms, bubble_fraction, activations_gb, tokens_per_s, node_latency_ms:
the slowest stage's busy time without exposed communication or bubble, parallelism: the
candidate as a plan's parallelism block).`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "top", Value: 5, Usage: "candidates to show, 1 to 1000", Validator: within(1, 1000)},
			list("tp", "powers of two up to a node"),
			list("pp", "powers of two up to the fleet, at most 512"),
			list("microbatches", "calibrated: every count that divides the global batch with a searched dp; seed: the plan's"),
			list("virtual-stages", "calibrated: 1 and each v that cuts the layers into pp · v equal chunks for a searched pp; seed: the plan's"),
			list("zero-stages", "calibrated: 0, 1, 2, 3; seed: the plan's"),
			list("activation-checkpointing", "calibrated: none, selective, linear_outputs, full; seed: the plan's"),
			keep,
		},
		Action: func(ctx context.Context, c *cli.Command) error { return a.optimizeParallelism(ctx, c) },
	}
}

// searchList is a flag's candidates: auto's, the plan's value alone, or the list given.
// Values are whole numbers ≥ lo; a value listed twice is refused (it would repeat every
// layout it is part of).
func searchList(c *cli.Command, flag string, lo int, auto func() []int, planValue int) ([]int, bool, error) {
	text := strings.TrimSpace(c.String(flag))
	switch text {
	case "auto":
		return auto(), true, nil
	case "plan":
		return []int{planValue}, false, nil
	}
	var out []int
	for f := range strings.SplitSeq(text, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.Atoi(f)
		if err != nil || v < lo || v > sweep.MaxCount {
			return nil, false, badInputf("--"+flag, "%q: want auto, plan, or a comma-separated list of whole numbers from %d to %d", f, lo, sweep.MaxCount)
		}
		if slices.Contains(out, v) {
			return nil, false, badInputf("--"+flag, "%d is listed twice", v)
		}
		out = append(out, v)
	}
	return out, true, nil
}

func intStrings(v []int) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.Itoa(x)
	}
	return out
}

func (a *app) optimizeParallelism(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json")
	if err != nil {
		return err
	}
	pf, axes, err := a.fleetPlan(c, "parallelism")
	if err != nil {
		return err
	}
	top := c.Int("top")
	calibrated := a.String("profile") != "seed"
	st, _ := sweep.StudyByName("fleet")
	one, err := sweep.NewPlan(a.cat, st, axes, nil)
	if err != nil {
		return badInput("", err)
	}
	if err := a.applyProfile(one); err != nil {
		return err
	}
	row, err := sweep.EvalPoint(one)
	if err != nil {
		return err
	}
	total := int(asNum(row["total_accelerators"]))
	batch, cp := int(asNum(row["batch_size"])), int(max(1, asNum(row["cp"])))
	model := one.Models[0]
	layers := model.Layers
	planInt := func(name string) int { return int(asNum(row[name])) }

	// tp over powers of two up to a node and pp up to the fleet, as the seed's
	// optimizer; splits that do not divide the fleet are infeasible rows.
	apn := nodeSize(a, row)
	tps, _, err := searchList(c, "tp", 1, func() []int {
		var v []int
		for x := 1; x <= apn && x <= 512 && x*cp <= total; x *= 2 {
			v = append(v, x)
		}
		return v
	}, planInt("tp"))
	if err != nil {
		return err
	}
	pps, _, err := searchList(c, "pp", 1, func() []int {
		var v []int
		for x := 1; x*cp <= total && x <= 512; x *= 2 {
			v = append(v, x)
		}
		return v
	}, planInt("pp"))
	if err != nil {
		return err
	}
	for _, d := range []struct {
		flag string
		v    []int
	}{{"tp", tps}, {"pp", pps}} {
		if f := strings.TrimSpace(c.String(d.flag)); f == "auto" || f == "plan" {
			continue // auto's divide or are infeasible rows; the plan's split was checked
		}
		for _, x := range d.v {
			if total%(x*cp) != 0 {
				return badInputf("--"+d.flag, "%s %d does not divide the %d accelerators (tp · cp · pp · dp = %d, cp %d); divisors of %d (to 64): %s",
					d.flag, x, total, total, cp, total/cp, divisorsText(total/cp))
			}
		}
	}
	// dps are the data-parallel degrees of the searched splits.
	var dps []int
	for _, tp := range tps {
		for _, pp := range pps {
			if g := tp * pp * cp; total%g == 0 && !slices.Contains(dps, total/g) {
				dps = append(dps, total/g)
			}
		}
	}

	ms, vs := []int{planInt("microbatches")}, []int{planInt("virtual_stages")}
	zs, ckpts := []int{planInt("zero_stage")}, []string{fmt.Sprint(row["activation_checkpointing"])}
	searchedM, searchedV, searchedZ, searchedC := false, false, false, false
	if !calibrated {
		for _, f := range []string{"microbatches", "virtual-stages", "zero-stages", "activation-checkpointing"} {
			if v := c.String(f); v != "auto" && v != "plan" {
				return badInputf("--"+f, "the seed profile's optimizer searches tp and pp only, with the plan's %s (physics.md §7.5); search %s under the calibrated profile", strings.ReplaceAll(f, "-", "_"), f)
			}
		}
	} else {
		if ms, searchedM, err = searchList(c, "microbatches", 1, func() []int { return microbatchCounts(batch, dps) }, ms[0]); err != nil {
			return err
		}
		if vs, searchedV, err = searchList(c, "virtual-stages", 1, func() []int { return virtualStageCounts(layers, pps) }, vs[0]); err != nil {
			return err
		}
		if zs, searchedZ, err = searchList(c, "zero-stages", 0, func() []int { return []int{0, 1, 2, 3} }, zs[0]); err != nil {
			return err
		}
		for _, z := range zs {
			if z > 3 {
				return badInputf("--zero-stages", "%d: ZeRO stages are 0, 1, 2 and 3", z)
			}
		}
		if ckpts, searchedC, err = checkpointingList(c.String("activation-checkpointing"), row); err != nil {
			return err
		}
		if err := checkSearchedCounts(model.Key, layers, batch, ms, vs, pps, dps, searchedM, searchedV); err != nil {
			return err
		}
	}
	var mCheck, vCheck []int
	if searchedM {
		mCheck = ms
	}
	if searchedV {
		vCheck = vs
	}
	if err := pf.CheckSearchedSplit(a.cat, a.String("profile"), tps, pps, mCheck, vCheck); err != nil {
		return badInput("", err)
	}
	a.noteSearched(pf, searchedM, searchedV, searchedZ, searchedC)

	axes = replaceAxis(axes, "tp", "--tp", intStrings(tps))
	axes = replaceAxis(axes, "pp", "--pp", intStrings(pps))
	if calibrated {
		axes = replaceAxis(axes, "microbatches", "--microbatches", intStrings(ms))
		axes = replaceAxis(axes, "virtual_stages", "--virtual-stages", intStrings(vs))
		axes = replaceAxis(axes, "zero_stage", "--zero-stages", intStrings(zs))
		if searchedC {
			// activation_recomputation true would make every candidate full.
			axes = replaceAxis(axes, "activation_recomputation", "--activation-checkpointing", []string{"false"})
			axes = replaceAxis(axes, "activation_checkpointing", "--activation-checkpointing", ckpts)
		}
	}
	space := len(tps) * len(pps) * len(ms) * len(vs) * len(zs) * len(ckpts)
	if space > maxParallelismSearch {
		return badInputf("--tp, --pp, --microbatches, --virtual-stages, --zero-stages, --activation-checkpointing",
			"%d layouts (%d tp × %d pp × %d microbatches × %d virtual stages × %d ZeRO stages × %d checkpointing) is more than the %d one search evaluates; narrow a list",
			space, len(tps), len(pps), len(ms), len(vs), len(zs), len(ckpts), maxParallelismSearch)
	}
	var rules []string // the search's own rules on combinations, as a grid's where filters
	if calibrated && slices.ContainsFunc(vs, func(v int) bool { return v > 1 }) {
		// A pipeline of one stage has nothing to interleave (the layout would repeat
		// v = 1's). Megatron-LM's interleaved schedule runs microbatches in groups of
		// microbatch_group_size_per_vp_stage, by default pp, and refuses a count whose
		// remainder is a partial group below pp (forward_backward_pipelining_with_interleaving,
		// megatron/core/pipeline_parallel/schedules.py; earlier versions: "number of
		// microbatches is not divisible by pipeline-model-parallel-size when using
		// interleaved schedule"): with the default, microbatches a multiple of pp. Larger
		// groups run other counts but keep more microbatches in flight on the first stage
		// than the memory model's (1 + (pp − 1)/(pp · v)) counts (Korthikanti et al. 2022
		// §4.2.3, for the default), so the search keeps to the default. The step refuses
		// the same counts (kernel.StepSplit, StepInvalidInterleave, an infeasible row);
		// this filter keeps them out of the layouts searched instead of listing them.
		rules = append(rules, "virtual_stages == 1 || (pp > 1 && int(microbatches) % int(pp) == 0)")
	}
	// Layouts the search would list twice: ZeRO shards over the dp · cp ranks, so where
	// they are one (tp · pp = the accelerators) every stage is ZeRO-0's layout (dp 1
	// beside cp > 1 still shards: the filter once read tp · cp · pp and dropped ZeRO
	// 1–3 from every context-parallel layout that fills the fleet); and
	// FlashAttention never stores the attention scores that selective recomputation
	// drops (kernel.calibratedActivations), so with it selective is none's layout.
	if calibrated && slices.Contains(zs, 0) && len(zs) > 1 {
		rules = append(rules, fmt.Sprintf("zero_stage == 0 || tp * pp < %d", total))
	}
	if calibrated && slices.Contains(ckpts, "none") && slices.Contains(ckpts, "selective") {
		rules = append(rules, `activation_checkpointing != "selective" || !flash_attention`)
	}
	plan, rows, names, kept, err := a.searchLayouts(ctx, axes, rules, c.String("keep"), top)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		layout := func(row map[string]any) string { return fmt.Sprintf("tp %v × pp %v", row["tp"], row["pp"]) }
		advice := "try ZeRO-3, activation recomputation or more accelerators"
		if calibrated {
			layout = func(row map[string]any) string {
				ckpt := row["activation_checkpointing"]
				if row["activation_recomputation"] == true {
					ckpt = "full"
				}
				return fmt.Sprintf("tp %v × pp %v with microbatches %v, virtual stages %v, ZeRO-%v and %v recomputation",
					row["tp"], row["pp"], row["microbatches"], row["virtual_stages"], row["zero_stage"], ckpt)
			}
			if slices.Contains(zs, 3) && slices.Contains(ckpts, "full") {
				advice = "ZeRO-3 and full recomputation were searched too: more accelerators, a smaller batch or a shorter sequence"
			}
		}
		why, err := a.splitMissWith(ctx, plan, "layouts", layout, advice)
		if err != nil {
			return err
		}
		return &cliError{code: exitPhysics, title: "No feasible split",
			err: fmt.Errorf("no TP×PP split of %d accelerators is feasible for %s: %s", total, pf.Name, why)}
	}
	var cands []orderedObject
	for _, r := range rows {
		cands = append(cands, layoutCandidate(names, r, calibrated, pf.ParallelismKeys()))
	}
	best := cands[0]
	searched := orderedObject{{"tp", tps}, {"pp", pps}, {"microbatches", ms}, {"virtual_stages", vs}, {"zero_stage", zs}, {"activation_checkpointing", ckpts}}
	capacity := asNum(pick(names, rows[0], "memory_capacity_gb"))
	seqs := "sequences"
	if batch == 1 {
		seqs = "sequence"
	}
	objective := fmt.Sprintf("minimise step_latency_ms: one optimizer step over the global batch of %d %s × %v tokens (so the most tokens/s)", batch, seqs, row["seq_len"])
	constraints := layoutConstraints(total, batch, capacity, calibrated, row["overlap"] == true)
	obj := orderedObject{{"scenario", pf.Name}, {"objective_value", best[1].v}, {"best_config", best[0].v},
		{"best_parallelism", best[11].v},
		{"best_step_time", best[1].v}, {"best_mfu", best[2].v}, {"best_throughput", best[3].v},
		{"total_searched", kept}, {"search_space_size", kept}, {"objective", objective}, {"constraints", constraints},
		{"searched", searched}, {"top_candidates", cands}}
	if format == "json" {
		return writeJSON(a.stdout, obj)
	}
	cfg := best[0].v.(orderedObject)
	fmt.Fprintf(a.stdout, "Parallelism — %s (%d accelerators, %s layouts searched)\n\n", pf.Name, total, groupDigits(float64(kept)))
	fmt.Fprintf(a.stdout, "Objective: %s\n", objective)
	fmt.Fprintf(a.stdout, "Searched: tp %s × pp %s", intsList(tps), intsList(pps))
	if calibrated {
		fmt.Fprintf(a.stdout, " × microbatches %s × virtual stages %s × ZeRO %s × checkpointing %s",
			intsList(ms), intsList(vs), intsList(zs), strings.Join(ckpts, ", "))
	}
	fmt.Fprintf(a.stdout, "\nConstraints: %s\n\n", strings.Join(constraints, "; "))
	fmt.Fprintf(a.stdout, "Best split: %s — step %s, MFU %s, %.4g samples/s\n",
		splitText(cfg[0].v, asNum(cfg[4].v), cfg[1].v, cfg[2].v, asNum(cfg[3].v), calibrated),
		fmtMs(asNum(best[1].v)), fmtPct(asNum(best[2].v)), asNum(best[3].v))
	if asNum(best[2].v) > 1 {
		fmt.Fprintln(a.stdout, "  (MFU above 100 %: model FLOPs count all s² attention scores, the published convention; the causal step executes about half of them)")
	}
	inPlan := fmt.Sprintf("  in a plan: parallelism: %s\n", flowYAML(best[11].v.(orderedObject)))
	if !calibrated {
		fmt.Fprintln(a.stdout, inPlan)
	}
	bubble := "no pipeline bubble"
	if asNum(cfg[1].v) > 1 {
		bubble = fmt.Sprintf("pipeline bubble %s (%s of the step)", fmtMs(asNum(best[6].v)), fmtPct(asNum(best[7].v)))
	}
	if calibrated { // the seed's microbatch is its local batch, and its bubble a fraction of the node step
		fmt.Fprintf(a.stdout, "  %s; %s; %.1f GB per accelerator (activations %.1f GB)\n%s\n",
			layoutText(cfg), bubble, asNum(best[4].v), asNum(best[8].v), inPlan)
	}
	cols := []string{"tp", "pp", "dp", "ep", "step", "MFU", "samples/s", "memory/GPU", "binding wall"}
	if calibrated {
		cols = []string{"tp", "pp", "dp", "ep", "micro", "mb size", "v", "ZeRO", "ckpt", "step", "bubble", "MFU", "samples/s", "memory/GPU", "binding wall"}
	}
	t := &table{title: "Best feasible layouts", cols: cols}
	for _, cd := range cands {
		cf := cd[0].v.(orderedObject)
		cells := []string{fmt.Sprint(cf[0].v), fmt.Sprint(cf[1].v), fmt.Sprint(cf[2].v), fmt.Sprint(cf[3].v)}
		if calibrated {
			cells = append(cells, fmt.Sprint(cf[5].v), fmt.Sprint(cf[6].v), fmt.Sprint(cf[7].v), fmt.Sprint(cf[9].v), fmt.Sprint(cf[10].v))
		}
		cells = append(cells, fmtMs(asNum(cd[1].v)))
		if calibrated {
			cells = append(cells, fmtMs(asNum(cd[6].v)))
		}
		cells = append(cells, fmtPct(asNum(cd[2].v)), fmt.Sprintf("%.4g", asNum(cd[3].v)), fmt.Sprintf("%.1f GB", asNum(cd[4].v)), fmt.Sprint(cd[5].v))
		t.add(cells, nil)
	}
	return renderTables(a.stdout, "text", []*table{t})
}

// layoutCandidate is one result row as optimize parallelism reports it. The first six
// keys are the seed optimizer's; config's first four too.
func layoutCandidate(names []string, r []any, calibrated bool, planKeys []string) orderedObject {
	get := func(col string) any { return pick(names, r, col) }
	v, pp := asNum(get("virtual_stages")), asNum(get("pp"))
	schedule := "none"
	switch {
	case pp > 1 && get("pipeline_schedule") == "dualpipe":
		schedule = "dualpipe"
	case pp > 1 && v > 1:
		schedule = "interleaved_1f1b"
	case pp > 1:
		schedule = "1f1b"
	}
	ckpt := fmt.Sprint(get("activation_checkpointing"))
	if get("activation_recomputation") == true {
		ckpt = "full"
	}
	if !calibrated {
		ckpt = map[bool]string{true: "full", false: "none"}[get("activation_recomputation") == true]
	}
	cfg := orderedObject{{"tp", get("tp")}, {"pp", get("pp")}, {"dp", asNum(get("dp"))}, {"ep", get("ep")}, {"cp", get("cp")},
		{"microbatches", get("microbatches")}, {"microbatch_size", asNum(get("microbatch_size"))}, {"virtual_stages", get("virtual_stages")},
		{"schedule", schedule}, {"zero_stage", get("zero_stage")}, {"activation_checkpointing", ckpt}}
	return orderedObject{
		{"config", cfg},
		{"step_time", asNum(get("step_latency_ms"))}, {"mfu", asNum(get("mfu"))},
		{"throughput", asNum(get("fleet_throughput_per_s"))}, {"memory_per_accelerator_gb", asNum(get("memory_per_accelerator_gb"))},
		{"binding_wall", get("binding_wall")},
		{"bubble_ms", asNum(get("bubble_ms"))}, {"bubble_fraction", asNum(get("bubble_fraction"))},
		{"activations_gb", asNum(get("activations_gb"))}, {"tokens_per_s", asNum(get("tokens_per_s"))},
		{"node_latency_ms", asNum(get("node_latency_ms"))},
		{"parallelism", planParallelism(get, ckpt, calibrated, planKeys)}}
}

// planParallelism is a layout as a plan's parallelism block takes it: the plan's own
// keys and values, so the answer pasted into the plan evaluates to the same step —
// the keys searched, then the other keys the plan sets (planKeys: overlap,
// sequence_parallel, …) at the values evaluated, so the block can replace the plan's.
// config's schedule (none, 1f1b, interleaved_1f1b, dualpipe) describes the layout and
// is no plan value: a plan names 1f1b or dualpipe in pipeline_schedule and
// interleaves through virtual_stages; microbatch_size follows from the batch. The
// seed's step reads no cp, pipeline_schedule or activation_checkpointing (a plan that
// sets them under seed is refused), and recomputes all or nothing.
func planParallelism(get func(string) any, ckpt string, calibrated bool, planKeys []string) orderedObject {
	out := searchedParallelism(get, ckpt, calibrated)
	for _, k := range planKeys {
		if slices.ContainsFunc(out, func(e kv) bool { return e.k == k }) {
			continue
		}
		if v := get(k); v != nil {
			out = append(out, kv{k, v})
		}
	}
	return out
}

func searchedParallelism(get func(string) any, ckpt string, calibrated bool) orderedObject {
	out := orderedObject{{"tp", get("tp")}, {"pp", get("pp")}, {"dp", asNum(get("dp"))}, {"ep", get("ep")}}
	if calibrated {
		out = append(out, kv{"cp", get("cp")})
	}
	out = append(out, kv{"microbatches", get("microbatches")}, kv{"virtual_stages", get("virtual_stages")})
	if calibrated {
		out = append(out, kv{"pipeline_schedule", get("pipeline_schedule")})
	}
	out = append(out, kv{"zero_stage", get("zero_stage")})
	if calibrated {
		// activation_recomputation false beside the searched checkpointing: a plan's
		// activation_recomputation: true would override it (and is refused beside it).
		return append(out, kv{"activation_recomputation", false}, kv{"activation_checkpointing", ckpt})
	}
	return append(out, kv{"activation_recomputation", get("activation_recomputation") == true})
}

// flowYAML writes an object of plain values as a YAML flow mapping: {tp: 8, pp: 16}.
func flowYAML(o orderedObject) string {
	parts := make([]string, len(o))
	for i, e := range o {
		parts[i] = fmt.Sprintf("%s: %v", e.k, e.v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// layoutText says a layout's microbatches, schedule, ZeRO stage and recomputation.
func layoutText(cfg orderedObject) string {
	m, size := asNum(cfg[5].v), asNum(cfg[6].v)
	seqs := "sequences"
	if size == 1 {
		seqs = "sequence"
	}
	s := fmt.Sprintf("%g microbatches of %g %s", m, size, seqs)
	if m == 1 {
		s = fmt.Sprintf("1 microbatch of %g %s", size, seqs)
	}
	switch cfg[8].v {
	case "dualpipe":
		s += ", DualPipe"
	case "interleaved_1f1b":
		s += fmt.Sprintf(", interleaved 1F1B with %v virtual stages", cfg[7].v)
	case "1f1b":
		s += ", 1F1B"
	default:
		s += ", no pipeline"
	}
	rec := map[string]string{"none": "no recomputation", "selective": "selective recomputation",
		"linear_outputs": "recomputation of all but the linear outputs", "full": "full recomputation",
		"deepseek_v3": "DeepSeek-V3's recomputation (norms, MLA up-projections, MoE SwiGLU)"}[fmt.Sprint(cfg[10].v)]
	return s + fmt.Sprintf(", ZeRO-%v, %s", cfg[9].v, rec)
}

func layoutConstraints(total, batch int, capacity float64, calibrated, overlap bool) []string {
	if !calibrated {
		return []string{fmt.Sprintf("tp · pp · dp · ep = %d accelerators", total),
			fmt.Sprintf("fits in %.1f GB per accelerator", capacity)}
	}
	// The plan's overlap holds for every ZeRO stage searched (docs/PHYSICS.md §35, "One
	// overlap rule"), so the stages are compared on one stack; say which.
	dpComm := "data-parallel collectives exposed at every ZeRO stage (parallelism.overlap is false, while a PyTorch FSDP or DDP stack overlaps them: overlap: true)"
	if overlap {
		dpComm = "data-parallel collectives overlapped with compute at every ZeRO stage (parallelism.overlap)"
	}
	return []string{
		fmt.Sprintf("tp · cp · pp · dp = %d accelerators (ep within dp)", total),
		fmt.Sprintf("global batch %d = microbatch size × microbatches × dp", batch),
		"the layers cut into pp · virtual_stages equal chunks (or with the embedding and the output layer a layer each)",
		"tp divides the attention heads, and divides the key/value heads or is a multiple of them (each K/V head then replicated on tp/kv ranks)",
		"interleaved (virtual_stages > 1): pp > 1 and microbatches a multiple of pp (Megatron-LM's interleaved schedule)",
		"ZeRO stages above 0 only where dp · cp > 1, and selective recomputation only without FlashAttention (elsewhere each is the same layout as ZeRO-0 or none)",
		fmt.Sprintf("fits in %.1f GB per accelerator", capacity),
		dpComm,
	}
}

// microbatchCounts are the microbatch counts m with m · dp dividing the batch for
// some searched dp, ascending.
func microbatchCounts(batch int, dps []int) []int {
	var out []int
	for m := 1; m <= batch; m++ {
		if batch%m != 0 {
			continue
		}
		if slices.ContainsFunc(dps, func(dp int) bool { return (batch/m)%dp == 0 }) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []int{1} // no split divides the batch: every layout is infeasible, and says so
	}
	return out
}

// virtualStageCounts are 1 and each v > 1 that cuts the layers into pp · v equal chunks
// (kernel.StepSplit's rule, with kernel.BalancedChunks) for some searched pp > 1.
func virtualStageCounts(layers int, pps []int) []int {
	out := []int{1}
	for v := 2; v <= layers; v++ {
		if slices.ContainsFunc(pps, func(pp int) bool { return pp > 1 && interleaves(layers, pp, v) }) {
			out = append(out, v)
		}
	}
	return out
}

func interleaves(layers, pp, v int) bool {
	return layers%(pp*v) == 0 || kernel.BalancedChunks(float64(layers), float64(pp), float64(v))
}

// checkSearchedCounts refuses a listed microbatch count or virtual-stage count that no
// searched layout can use: the answer would never contain it.
func checkSearchedCounts(model string, layers, batch int, ms, vs, pps, dps []int, listedM, listedV bool) error {
	if listedM {
		for _, m := range ms {
			if !slices.ContainsFunc(dps, func(dp int) bool { return batch%(m*dp) == 0 }) {
				return badInputf("--microbatches", "%d microbatches: the global batch of %d does not divide into dp × %d for any searched dp (%s); global batch = microbatch size × microbatches × dp; counts that do: %s",
					m, batch, m, intsList(dps), intsList(microbatchCounts(batch, dps)))
			}
		}
	}
	if listedV {
		for _, v := range vs {
			if v > 1 && !slices.ContainsFunc(pps, func(pp int) bool { return pp > 1 && interleaves(layers, pp, v) }) {
				return badInputf("--virtual-stages", "%d virtual stages: %s's %d layers do not cut into pp × %d equal chunks for any searched pp > 1 (%s), nor with the embedding and the output layer counted as a layer each; counts that do: %s",
					v, model, layers, v, intsList(pps), intsList(virtualStageCounts(layers, pps)))
			}
		}
	}
	return nil
}

// checkpointingList is --activation-checkpointing's candidates.
func checkpointingList(text string, row map[string]any) ([]string, bool, error) {
	switch text = strings.TrimSpace(text); text {
	case "auto":
		return slices.Clone(checkpointingOrder), true, nil
	case "plan":
		return []string{fmt.Sprint(row["activation_checkpointing"])}, false, nil
	}
	var out []string
	for f := range strings.SplitSeq(text, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(checkpointingOrder, f) {
			return nil, false, badInputf("--activation-checkpointing", "%q: want auto, plan, or a comma-separated list of none, selective, linear_outputs, full%s", f, suggest.Hint(f, checkpointingOrder))
		}
		if slices.Contains(out, f) {
			return nil, false, badInputf("--activation-checkpointing", "%s is listed twice", f)
		}
		out = append(out, f)
	}
	return out, true, nil
}

// noteSearched warns of the plan keys a calibrated search replaces.
func (a *app) noteSearched(pf *sweep.PlanFile, m, v, z, c bool) {
	par := pf.Parallelism
	if par == nil {
		return
	}
	for _, k := range []struct {
		searched, set bool
		key, flag     string
	}{{m, par.Microbatches != nil, "microbatches", "--microbatches"}, {v, par.VirtualStages != nil, "virtual_stages", "--virtual-stages"},
		{z, par.ZeroStage != nil, "zero_stage", "--zero-stages"}, {c, par.ActivationCheckpointing != "", "activation_checkpointing", "--activation-checkpointing"},
		{c, par.Recompute != nil, "activation_recomputation", "--activation-checkpointing"}} {
		if k.searched && k.set {
			a.warn("%s: parallelism.%s is not used: optimize parallelism searches it (%s; %s plan keeps the plan's)", pf.Where("parallelism."+k.key), k.key, k.flag, k.flag)
		}
	}
}

// intsList is "1, 2, 4" for a short list and "1, 2, …, 512 (10 values)" for a long one.
func intsList(v []int) string {
	s := intStrings(v)
	if len(s) > 8 {
		return fmt.Sprintf("%s, %s, %s, …, %s (%d values)", s[0], s[1], s[2], s[len(s)-1], len(s))
	}
	return strings.Join(s, ", ")
}

func divisorsText(n int) string {
	var d []int
	for x := 1; x <= n && x <= 64; x++ {
		if n%x == 0 {
			d = append(d, x)
		}
	}
	return intsList(d)
}

// searchLayouts sweeps the layouts (less those rules drop) and returns the plan, the
// best top rows by step time and how many layouts were evaluated.
func (a *app) searchLayouts(ctx context.Context, axes []sweep.Axis, rules []string, keep string, top int) (*sweep.Plan, [][]any, []string, uint64, error) {
	var kept uint64
	plan, rows, names, err := a.sweepAndQueryWith(ctx, "fleet", axes, keep, "parallelism",
		map[string]string{"k": strconv.Itoa(top), "group": ""}, func(p *sweep.Plan) error {
			if len(rules) > 0 {
				if err := p.SetRules("optimize parallelism", rules...); err != nil {
					return badInputf("--virtual-stages", "no searched layout can interleave: %v (an interleaved schedule needs pp > 1 and microbatches a multiple of pp)", err)
				}
			}
			kept = p.Kept()
			return nil
		})
	return plan, rows, names, kept, err
}
