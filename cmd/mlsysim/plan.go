package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sweep"
)

// lens is one of the three scorecard levels.
type lens struct {
	name, prefix, status, summary string
	metrics                       []kv // metric → float64, in display order
}

// evalPlan evaluates a plan file: one point of the node or fleet study,
// rendered as the 3-lens scorecard, with its assertions checked.
func (a *app) evalPlan(path, format string) error {
	pf, study, axes, err := a.loadPlan(path)
	if err != nil {
		return err
	}
	if err := pf.CheckMetricNames(planMetricNames()); err != nil {
		return badInput("", err)
	}
	row, err := a.evalOne(study, axes)
	if err != nil {
		return err
	}
	// After evaluating, so a value out of range is reported as such first. The optimizers
	// read a plan their own way and check it so (CheckOptimizerEffect: optimize batching
	// reads a one-accelerator plan's seq_len, placement its efficiency).
	if err := pf.CheckEffect(a.cat, a.String("profile"), func(msg string) { a.warn("%s", msg) }); err != nil {
		return badInput("", err)
	}
	a.withContext(row)
	lenses := planLenses(study, row, pf.HasOps())
	if study == "fleet" && pf.HasOps() {
		a.macroAssumptions(&lenses[2], pf, row)
	}
	metrics := map[string]float64{}
	var available []string
	for _, l := range lenses {
		for _, m := range l.metrics {
			key := l.prefix + "." + m.k
			if f, ok := m.v.(float64); ok {
				metrics[key] = f
				available = append(available, key)
			}
		}
	}
	sort.Strings(available)
	violations := pf.Check(metrics, available)

	obj := orderedObject{{"scenario", pf.Name}}
	for _, l := range lenses {
		obj = append(obj, kv{l.prefix[:1] + "_status", l.status})
	}
	for _, l := range lenses {
		for _, m := range l.metrics {
			obj = append(obj, kv{l.prefix[:1] + "_" + m.k, m.v})
		}
	}
	obj = append(obj, kv{"binding_wall", row["binding_wall"]}, kv{"study", study}, kv{"model", row["model"]}, kv{"precision", row["precision"]},
		kv{"batch_size", row["batch_size"]}, kv{"seq_len", row["seq_len"]})
	eff, fp8 := a.planEfficiency(pf, study, row)
	obj = append(obj, kv{"efficiency", eff})
	if fp8 > 0 {
		obj = append(obj, kv{"efficiency_fp8", fp8})
	}
	obj = append(obj, kv{"profile", row["profile"]})
	if len(violations) > 0 {
		obj = append(obj, kv{"status", "sla_failed"}, kv{"violations", violations})
	}
	switch format {
	case "json":
		err = writeJSON(a.stdout, obj)
	case "markdown":
		renderPlanMarkdown(a.stdout, pf.Name, lenses, violations)
	case "html":
		err = renderScorecardHTML(a.stdout, pf.Name, lenses, violations, row["binding_wall"])
	default:
		renderPlanText(a.stdout, pf.Name, lenses, violations, row["binding_wall"])
	}
	if err != nil {
		return err
	}
	if len(violations) > 0 {
		return &cliError{code: exitAssert, title: "Constraint violated", payloadShown: true,
			err: fmt.Errorf("%d assertion(s) failed: %s", len(violations), strings.Join(violations, "; "))}
	}
	return nil
}

// loadPlan reads and resolves a plan file; the catalog gains any ad-hoc fleet.
func (a *app) loadPlan(path string) (pf *sweep.PlanFile, study string, axes []sweep.Axis, err error) {
	return a.loadPlanSplit(path, false)
}

// loadPlanSplit is loadPlan for an optimizer that searches tp and pp (searched): the
// plan's degrees are then checked against the candidates (sweep.PlanFile.CheckSearchedSplit),
// not the plan's own split alone.
func (a *app) loadPlanSplit(path string, searched bool) (pf *sweep.PlanFile, study string, axes []sweep.Axis, err error) {
	b, err := catalog.ReadInput(path)
	if err != nil {
		return nil, "", nil, badInput("PLAN", err)
	}
	if pf, err = sweep.ParsePlanFile(path, b); err != nil {
		return nil, "", nil, badInput("", err)
	}
	study, axes, cat, err := pf.Resolve(a.cat, func(msg string) { a.warn("%s", msg) })
	switch {
	case err == nil && searched:
		err = pf.CheckPrecision(cat, a.String("profile"))
	case err == nil:
		err = pf.CheckSplit(cat, a.String("profile"))
	}
	if err != nil {
		return nil, "", nil, badInput("", err)
	}
	a.cat = cat
	return pf, study, axes, nil
}

func f64(row map[string]any, k string) float64 {
	switch v := row[k].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

// planMetricNames lists every metric some plan produces, sorted: the lenses of a training
// node plan and of a fleet plan with ops, where the model's context window is known.
func planMetricNames() []string {
	var names []string
	for _, study := range []string{"node", "fleet"} {
		for _, l := range planLenses(study, map[string]any{"training": true, "context_tokens": 1.0}, true) {
			for _, m := range l.metrics {
				if name := l.prefix + "." + m.k; !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// planLenses maps a result row to the seed's three lenses (interface.md §3),
// with our fixes: the fleet feasibility checks per-accelerator memory of the
// split, and performance.latency is the step latency on a fleet.
func planLenses(study string, row map[string]any, ops bool) []lens {
	feasible := row["feasible"] == true
	status := map[bool]string{true: "PASS", false: "FAIL"}
	macro := lens{name: "Macro", prefix: "macro", status: "SKIPPED", summary: "no ops block (add ops: {region, duration_days} for cost and carbon)"}
	if study == "node" {
		f := lens{name: "Feasibility", prefix: "feasibility", status: status[feasible],
			summary: fmt.Sprintf("%s / %s used", fmtGB(f64(row, "memory_footprint_gb")), fmtGB(f64(row, "memory_capacity_gb"))),
			metrics: []kv{{"memory_used_gb", f64(row, "memory_footprint_gb")}, {"memory_capacity_gb", f64(row, "memory_capacity_gb")},
				{"memory_utilization", f64(row, "memory_utilization")}, {"activation_memory_gb", f64(row, "activation_memory_gb")}}}
		if row["training"] == true {
			f.metrics = contextShare(f.metrics, row)
		}
		if row["infeasible_reason"] == "exceeds_context" {
			f.summary = contextSummary(row)
		}
		if row["activation_memory"] != "counted" {
			f.summary += fmt.Sprintf(" (activations not counted: %v; a lower bound)", row["activation_memory"])
		}
		p := lens{name: "Performance", prefix: "performance", status: status[feasible],
			summary: fmt.Sprintf("%v bound", row["bottleneck"]),
			metrics: []kv{{"latency", f64(row, "latency_ms")}, {"throughput", f64(row, "throughput_per_s")}, {"mfu", f64(row, "mfu")},
				{"hfu", f64(row, "hfu")}, {"energy_j", f64(row, "energy_j")}, {"tokens_per_step", f64(row, "tokens_per_step")},
				{"tokens_per_s", f64(row, "tokens_per_s")}}}
		if f64(row, "energy_j") == 0 && f64(row, "latency_ms") > 0 {
			// 0 J means the catalog states no TDP (scorecard.energy): leave the metric out, so
			// that an assert on it reports it unavailable instead of passing on 0.
			p.metrics = slices.DeleteFunc(p.metrics, func(m kv) bool { return m.k == "energy_j" })
			p.summary += fmt.Sprintf("; energy unknown (%v states no TDP)", row["hardware"])
		}
		if ops {
			macro.summary = "cost and carbon are computed for fleets (more than one accelerator), as in the seed"
		}
		p.summary += mfuConventionNote(row)
		return []lens{f, p, macro}
	}
	valid := row["wall_14_communication_pass"] != false
	fsum := fmt.Sprintf("%.1f GB / %.1f GB per accelerator (%s)", f64(row, "memory_per_accelerator_gb"), f64(row, "memory_capacity_gb"), row["hardware"])
	switch {
	case !valid:
		fsum = fmt.Sprintf("the split does not divide (%v)", row["infeasible_reason"])
	case row["infeasible_reason"] == "exceeds_context":
		fsum = contextSummary(row)
	case row["infeasible_reason"] == "no_goodput":
		// It fits; the run never ends (docs/PHYSICS.md §18.1).
		fsum = fmt.Sprintf("no goodput: %.4g node failures a day and %.3g s checkpoint writes leave no time that trains (%s)",
			f64(row, "job_failures_per_day"), f64(row, "checkpoint_write_s"), fsum)
	}
	f := lens{name: "Feasibility", prefix: "feasibility", status: status[feasible], summary: fsum,
		metrics: []kv{{"memory_used_gb", f64(row, "memory_per_accelerator_gb")}, {"memory_capacity_gb", f64(row, "memory_capacity_gb")},
			{"memory_utilization", f64(row, "memory_utilization")}, {"weights_gb", f64(row, "weights_gb")},
			{"gradients_gb", f64(row, "gradients_gb")}, {"optimizer_state_gb", f64(row, "optimizer_state_gb")},
			{"activations_gb", f64(row, "activations_gb")}, {"buffers_gb", f64(row, "buffers_gb")}}}
	f.metrics = contextShare(f.metrics, row)
	p := lens{name: "Performance", prefix: "performance", status: status[valid],
		summary: fmt.Sprintf("Scaling Efficiency: %.1f%% (%s)", 100*f64(row, "scaling_efficiency"),
			splitText(row["tp"], f64(row, "cp"), row["pp"], row["dp"], f64(row, "ep"), row["profile"] != "seed")),
		metrics: []kv{{"step_latency", f64(row, "step_latency_ms")}, {"latency", f64(row, "step_latency_ms")},
			{"comm_overhead", f64(row, "comm_ms")}, {"fleet_throughput", f64(row, "fleet_throughput_per_s")},
			{"mfu", f64(row, "mfu")}, {"node_mfu", f64(row, "node_mfu")}, {"scaling_efficiency", f64(row, "scaling_efficiency")},
			{"hfu", f64(row, "hfu")}, {"tokens_per_step", f64(row, "tokens_per_step")}, {"tokens_per_s", f64(row, "tokens_per_s")},
			{"model_flops_per_step", f64(row, "model_flops_per_step")}, {"hardware_flops_per_step", f64(row, "hardware_flops_per_step")},
			{"bubble", f64(row, "bubble_ms")}, {"dp_comm", f64(row, "dp_comm_ms")}, {"tp_comm", f64(row, "tp_comm_ms")},
			{"ep_comm", f64(row, "ep_comm_ms")}, {"cp_comm", f64(row, "cp_comm_ms")}, {"pp_comm", f64(row, "pp_comm_ms")},
			{"optimizer", f64(row, "optimizer_ms")}}}
	p.summary += mfuConventionNote(row)
	if ops {
		macro = lens{name: "Macro", prefix: "macro", status: "PASS",
			summary: fmt.Sprintf("TCO: $%s over %v days in %v", groupDigits(f64(row, "tco_usd")), row["duration_days"], row["region"]),
			metrics: []kv{{"tco_usd", f64(row, "tco_usd")}, {"carbon_footprint", f64(row, "carbon_kg") / 1000},
				{"energy_cost", f64(row, "energy_cost_usd")}, {"capex", f64(row, "capex_usd")},
				{"carbon_tax_usd", f64(row, "carbon_tax_usd")}, {"objective_usd", f64(row, "objective_usd")},
				{"energy_kwh", f64(row, "energy_kwh")}, {"water_l", f64(row, "water_l")}, {"pue", f64(row, "pue")},
				{"grid_carbon", f64(row, "grid_carbon_g_per_kwh")}}}
	}
	return []lens{f, p, macro}
}

// mfuConventionNote is what a performance summary adds where MFU passes 100 %: model
// FLOPs count all s² attention scores, the published convention, while the causal step
// executes about half of them (scorecard.utilisation; docs/PHYSICS.md §35).
func mfuConventionNote(row map[string]any) string {
	if f64(row, "mfu") <= 1 {
		return ""
	}
	return "; MFU above 100 %: model FLOPs count all s² attention scores (the published convention), the causal step executes about half — hfu counts the FLOPs executed"
}

// splitText names a fleet split so that its degrees multiply out to the accelerators:
// the seed's dp is N/(tp·pp·ep), the calibrated step's N/(tp·cp·pp) with ep carved out of
// dp (Megatron-Core's expert parallelism), so there ep is said to be within dp, not
// multiplied beside it (dp 16 × tp 2 × pp 2 × ep 8 read as 512 of 64 accelerators).
func splitText(tp any, cp float64, pp, dp any, ep float64, calibrated bool) string {
	if !calibrated {
		return fmt.Sprintf("tp %v × pp %v × dp %v × ep %g", tp, pp, dp, ep)
	}
	s := fmt.Sprintf("tp %v × pp %v × dp %v", tp, pp, dp)
	if cp > 1 {
		s = fmt.Sprintf("tp %v × cp %g × pp %v × dp %v", tp, cp, pp, dp)
	}
	if ep > 1 {
		s += fmt.Sprintf(", ep %g within dp", ep)
	}
	return s
}

// macroAssumptions keeps the macro lens from passing off a partial number as the whole:
// an accelerator the catalog gives no price has no capex, so TCO would be the energy
// alone — TCO, capex and the objective are then left out (an assert on them fails as
// unavailable) unless the plan states a rental price; one without a TDP draws the seed's
// fallback power unless the plan states it, and the summary says so.
func (a *app) macroAssumptions(l *lens, pf *sweep.PlanFile, row map[string]any) {
	h, err := a.cat.HardwareByKey(pf.Accelerator())
	if err != nil {
		return
	}
	if h.UnitCostUSD == 0 && pf.Ops.Rental == nil {
		l.metrics = slices.DeleteFunc(l.metrics, func(m kv) bool { return m.k == "tco_usd" || m.k == "capex" || m.k == "objective_usd" })
		l.summary = fmt.Sprintf("TCO unknown: %s states no price (give ops.rental_usd_per_accelerator_hour); energy $%s over %v days in %v",
			h.Key, groupDigits(f64(row, "energy_cost_usd")), row["duration_days"], row["region"])
	}
	if h.TDPW == 0 && pf.Ops.Power == nil {
		l.summary += fmt.Sprintf(" (power assumed: %s states no TDP, the seed's fallback is an H100's; give ops.power_per_accelerator_w)", h.Key)
	}
}

// contextShare appends feasibility.context_utilization, seq_len over the model's context
// window (context_tokens, which withContext adds to the row), where the catalog knows
// the window: an assert on the share then reports it unavailable rather than passing
// on 0, and no +Inf is printed. Only a step that processes whole sequences (a fleet, a
// training step) has one; a one-accelerator inference step reads no seq_len.
func contextShare(metrics []kv, row map[string]any) []kv {
	if f64(row, "context_tokens") <= 0 {
		return metrics
	}
	return append(metrics, kv{"context_utilization", f64(row, "seq_len") / f64(row, "context_tokens")})
}

// withContext adds the model's context window to a result row when the catalog knows it.
// planEfficiency is the fraction of peak a plan's matmuls ran at, as eval's JSON reports it
// (scorecard.usedEfficiency): under calibrated a fleet's transformer step and a listed CNN's
// convolutions run at the accelerator's measured matmul rate (the training step at the rate
// held at the power limit where the catalog has one), not at hardware.efficiency, which
// the plan's JSON printed (0.5 by default) although the step never read it.
func (a *app) planEfficiency(pf *sweep.PlanFile, study string, row map[string]any) (eff, fp8 float64) {
	r := row
	if study == "fleet" && row["profile"] != "seed" {
		r = make(map[string]any, len(row)+1)
		for k, v := range row {
			r[k] = v
		}
		r["transformer_layered"] = true // the calibrated fleet step is layered for every transformer it takes
	}
	sc := newScorecard("", r, "")
	if h, err := a.cat.HardwareByKey(pf.Accelerator()); err == nil && row["profile"] != "seed" {
		prec := fmt.Sprint(row["precision"])
		_, sc.measuredEff, _ = h.MeasuredMatmul(prec)
		_, sc.fp8Eff, _ = h.MeasuredMatmul("fp8")
		sc.sustainedEff = sustainedEff(h, prec)
		sc.sustainedFP8Eff = sustainedEff(h, "fp8")
	}
	return sc.usedEfficiency()
}

func (a *app) withContext(row map[string]any) {
	if m, err := a.cat.ModelByKey(fmt.Sprint(row["model"])); err == nil && m.ContextTokens > 0 {
		row["context_tokens"] = float64(m.ContextTokens)
	}
}

func contextSummary(row map[string]any) string {
	return fmt.Sprintf("seq_len %v exceeds %v's context window of %.0f tokens (exceeds_context)", row["seq_len"], row["model"], f64(row, "context_tokens"))
}

func groupDigits(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

var metricUnits = map[string]string{
	"memory_used_gb": "GB", "memory_capacity_gb": "GB", "latency": "ms", "step_latency": "ms", "comm_overhead": "ms",
	"throughput": "/s", "fleet_throughput": "/s", "energy_j": "J", "tco_usd": "USD", "carbon_footprint": "tCO2e",
	"energy_cost": "USD", "capex": "USD", "carbon_tax_usd": "USD", "objective_usd": "USD", "energy_kwh": "kWh", "water_l": "L", "bubble": "ms", "dp_comm": "ms",
	"tp_comm": "ms", "ep_comm": "ms", "cp_comm": "ms", "pp_comm": "ms", "optimizer": "ms", "weights_gb": "GB", "gradients_gb": "GB",
	"optimizer_state_gb": "GB", "activations_gb": "GB", "activation_memory_gb": "GB", "buffers_gb": "GB", "tokens_per_step": "tokens", "tokens_per_s": "/s",
	"model_flops_per_step": "FLOP", "hardware_flops_per_step": "FLOP", "grid_carbon": "gCO2e/kWh",
}

func fmtMetric(k string, v any) string {
	f, ok := v.(float64)
	if !ok {
		return fmt.Sprint(v)
	}
	if strings.Contains(k, "mfu") || strings.Contains(k, "utilization") || k == "scaling_efficiency" || k == "hfu" {
		return fmtPct(f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		// A count (tokens per step) in full: %.6g printed 2,097,152 as 2.09715e+06.
		return strings.TrimSpace(fmt.Sprintf("%.0f %s", f, metricUnits[k]))
	}
	return strings.TrimSpace(fmt.Sprintf("%.6g %s", f, metricUnits[k]))
}

func renderPlanText(w io.Writer, name string, lenses []lens, violations []string, binding any) {
	fmt.Fprintf(w, "MLSys·im scorecard — %s   (binding wall: %s)\n\n", name, wallText(binding))
	for i, l := range lenses {
		fmt.Fprintf(w, "Level %d: %-12s [%s]  %s\n", i+1, l.name, l.status, l.summary)
		for _, m := range l.metrics {
			fmt.Fprintf(w, "    %-32s %s\n", l.prefix+"."+m.k, fmtMetric(m.k, m.v))
		}
	}
	if len(violations) > 0 {
		fmt.Fprintln(w, "\nConstraint violations:")
		for _, v := range violations {
			fmt.Fprintf(w, "  FAIL: %s\n", v)
		}
	}
}

func renderPlanMarkdown(w io.Writer, name string, lenses []lens, violations []string) {
	fmt.Fprintf(w, "## MLSys·im plan: %s\n\n", name)
	for _, l := range lenses {
		fmt.Fprintf(w, "### %s: %s\n\n%s\n\n", l.name, l.status, l.summary)
		for _, m := range l.metrics {
			fmt.Fprintf(w, "- **%s**: %s\n", l.prefix+"."+m.k, fmtMetric(m.k, m.v))
		}
		if len(l.metrics) > 0 {
			fmt.Fprintln(w)
		}
	}
	if len(violations) > 0 {
		fmt.Fprintln(w, "### Constraint violations")
		for _, v := range violations {
			fmt.Fprintf(w, "- FAIL: %s\n", v)
		}
	}
}
