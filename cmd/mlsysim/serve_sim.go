package main

import (
	"fmt"
	"math"
	"strconv"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/sweep"
)

// serveSimFlags are serve's flags for the simulated run (the serve-sim study,
// docs/PHYSICS.md §34.2): percentiles under --qps, SLO targets and the goodput search,
// disaggregated pools.
func serveSimFlags() []cli.Flag {
	return []cli.Flag{
		&cli.FloatFlag{Name: "ttft-ms", Usage: "TTFT target, ms: with --tpot-ms (or alone) the goodput search — the highest Poisson rate at which --attainment of the requests meet the targets", DefaultText: "0, no target"},
		&cli.FloatFlag{Name: "tpot-ms", Aliases: []string{"itl-ms"}, Usage: "time-per-output-token target, ms ((last − first token)/(output tokens − 1) per request)", DefaultText: "0, no target"},
		&cli.FloatFlag{Name: "attainment", Value: 0.9, Usage: "share of requests in (0, 1] that must meet the targets (with --ttft-ms or --tpot-ms)"},
		&cli.IntFlag{Name: "prefill-instances", Usage: "disaggregated serving: prefill instances of --prefill-tp accelerators each (≥ 1), handing the KV cache to --decode-instances decode instances of tp × pp"},
		&cli.IntFlag{Name: "decode-instances", Value: 1, Usage: "decode instances (with --prefill-instances)"},
		&cli.IntFlag{Name: "prefill-tp", Value: 1, Usage: "tensor-parallel accelerators of a prefill instance (with --prefill-instances)"},
		&cli.IntFlag{Name: "requests", Value: 2000, Usage: "requests per simulated run (with --qps, targets or pools)"},
		&cli.IntFlag{Name: "seed", Value: 1, Usage: "seed of the simulated arrival stream (same seed, same output)"},
	}
}

// simulating reports whether serve runs the simulation: under a rate, with a target, or
// with disaggregated pools.
func simulating(c *cli.Command) bool {
	return c.IsSet("qps") || c.IsSet("ttft-ms") || c.IsSet("tpot-ms") || c.IsSet("prefill-instances")
}

// simFlagsCheck refuses the simulation's flags where they are out of range or change
// nothing.
func (a *app) simFlagsCheck(c *cli.Command, model string) error {
	sim := simulating(c)
	for _, f := range []string{"ttft-ms", "tpot-ms"} {
		if v := c.Float(f); c.IsSet(f) && !(v > 0 && !math.IsInf(v, 0)) {
			return badInputf("--"+f, "must be a latency target > 0 (ms), got %v", v)
		}
	}
	if v := c.Float("attainment"); c.IsSet("attainment") && !(v > 0 && v <= 1) {
		return badInputf("--attainment", "must be a share of requests in (0, 1], e.g. 0.9 for 90 %%, got %v", v)
	}
	if c.IsSet("attainment") && !c.IsSet("ttft-ms") && !c.IsSet("tpot-ms") {
		return badInputf("--attainment", "applies to the goodput search only; add --ttft-ms and/or --tpot-ms (or drop --attainment)")
	}
	for _, f := range []string{"prefill-instances", "decode-instances", "prefill-tp"} {
		if v := c.Int(f); c.IsSet(f) && (v < 1 || v > sweep.MaxParallel) {
			return badInputf("--"+f, "must be in [1, %d], got %d", sweep.MaxParallel, v)
		}
	}
	for _, f := range []string{"decode-instances", "prefill-tp"} {
		if c.IsSet(f) && !c.IsSet("prefill-instances") {
			return badInputf("--"+f, "applies to disaggregated serving only; add --prefill-instances (or drop --%s)", f)
		}
	}
	if v := c.Int("requests"); c.IsSet("requests") && (v < 1 || v > sweep.MaxSimRequests) {
		return badInputf("--requests", "must be in [1, %d], got %d", sweep.MaxSimRequests, v)
	}
	if v := c.Int("seed"); c.IsSet("seed") && (v < 0 || v > 1<<32) {
		return badInputf("--seed", "must be in [0, %d], got %d", int64(1)<<32, v)
	}
	for _, f := range []string{"requests", "seed"} {
		if c.IsSet(f) && !sim {
			return badInputf("--"+f, "applies to the simulated run only; add --qps, --ttft-ms/--tpot-ms or --prefill-instances (or drop --%s)", f)
		}
	}
	if c.IsSet("prefill-instances") && !c.IsSet("qps") && !c.IsSet("ttft-ms") && !c.IsSet("tpot-ms") {
		return badInputf("--prefill-instances", "needs a rate to simulate the pools at: add --qps, or --ttft-ms/--tpot-ms for the goodput")
	}
	if sim && !c.IsSet("batch-size") {
		return badInputf("--batch-size", "is the engine's largest decode batch of a simulated replica or decode instance (vLLM's max_num_seqs, TensorRT-LLM's max_batch_size); give it, e.g. -b 256 — the default 1 would serve one request at a time")
	}
	if c.IsSet("prefill-tp") {
		if m, err := a.cat.ModelByKey(model); err == nil {
			if err := sweep.ServingLayoutError(m, c.Int("prefill-tp"), 1, c.Int("ep"), c.Int("node-size"), c.Bool("tp-across-nodes")); err != nil {
				return badInput("--prefill-tp", err)
			}
		}
	}
	return nil
}

// simAxes are the serve-sim study's own axes from serve's flags (the scenario and
// layout axes are serve's).
func simAxes(c *cli.Command) []sweep.Axis {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return []sweep.Axis{
		axis("prefill_chunk_tokens", strconv.Itoa(c.Int("prefill-chunk-tokens")), "--prefill-chunk-tokens"),
		axis("qps", g(c.Float("qps")), "--qps"),
		axis("output_tokens", strconv.Itoa(c.Int("output-tokens")), "--output-tokens"),
		axis("requests", strconv.Itoa(c.Int("requests")), "--requests"),
		axis("seed", strconv.Itoa(c.Int("seed")), "--seed"),
		axis("target_ttft_ms", g(c.Float("ttft-ms")), "--ttft-ms"),
		axis("target_tpot_ms", g(c.Float("tpot-ms")), "--tpot-ms"),
		axis("attainment", g(c.Float("attainment")), "--attainment"),
		axis("prefill_instances", strconv.Itoa(c.Int("prefill-instances")), "--prefill-instances"),
		axis("decode_instances", strconv.Itoa(c.Int("decode-instances")), "--decode-instances"),
		axis("prefill_tp", strconv.Itoa(c.Int("prefill-tp")), "--prefill-tp"),
	}
}

// simKeys are the JSON keys of the simulated run, in order; the sampled ones are null
// where the rate overloads the server.
var simKeys = []string{"sim_qps", "sim_ttft_p50_ms", "sim_ttft_p90_ms", "sim_ttft_p99_ms",
	"sim_tpot_p50_ms", "sim_tpot_p90_ms", "sim_tpot_p99_ms", "sim_e2e_p50_ms", "sim_e2e_p90_ms", "sim_e2e_p99_ms",
	"sim_ttft_mean_ms", "sim_tpot_mean_ms", "sim_attainment", "sim_capacity_qps", "sim_poisson_capacity_qps", "sim_accelerators",
	"prefill_instances", "decode_instances", "prefill_tp", "kv_transfer_ms", "sim_requests", "sim_seed"}

// simObject is the simulated run's part of serve's JSON object.
func simObject(sim map[string]any) orderedObject {
	f := func(k string) float64 { return simNum(sim[k]) }
	src := map[string]string{"sim_capacity_qps": "capacity_qps", "sim_poisson_capacity_qps": "poisson_capacity_qps", "sim_accelerators": "accelerators",
		"sim_requests": "requests", "sim_seed": "seed"}
	var obj orderedObject
	for _, k := range simKeys {
		from := k
		if s, ok := src[k]; ok {
			from = s
		}
		obj = append(obj, kv{k, sim[from]})
	}
	if f("target_ttft_ms") > 0 || f("target_tpot_ms") > 0 {
		obj = append(obj, kv{"target_ttft_ms", nullIfZero(f("target_ttft_ms"))}, kv{"target_tpot_ms", nullIfZero(f("target_tpot_ms"))},
			kv{"attainment", f("attainment")}, kv{"goodput_qps", f("goodput_qps")},
			kv{"goodput_qps_per_accelerator", f("goodput_qps_per_accelerator")})
	}
	{
		// The per-token economics at the simulated rate, pools or replica (the top-level
		// ones are the colocated replica's fixed batch or steady state); null where no
		// rate is sampled.
		obj = append(obj, kv{"sim_tokens_per_s_per_accelerator", f("tokens_per_s_per_accelerator")}, kv{"sim_power_w", f("power_w")},
			kv{"sim_joules_per_token", f("joules_per_token")}, kv{"sim_usd_per_million_tokens", f("usd_per_million_tokens")})
	}
	obj = append(obj, kv{"sim_feasible", sim["feasible"]})
	if sim["feasible"] != true {
		obj = append(obj, kv{"sim_infeasible_reason", sim["infeasible_reason"]})
	}
	return obj
}

// simNum is a row value as a number: parameters come back as integers, columns as
// floats.
func simNum(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return 0
}

func nullIfZero(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

// simUnfit reports whether the simulated requests cannot run at all — a reason other than a
// rate past capacity or targets met at no rate (exceeds_context, out_of_memory, a layout or
// draft the point refuses) — so its capacity, goodput and percentiles are no answer. A
// 130,000-token prompt with 2,000 generated tokens on Llama3_8B (131,072) printed a
// goodput, percentiles and a cost with exit 0 beside a fixed batch that fits.
func simUnfit(sim map[string]any) bool {
	switch sim["infeasible_reason"] {
	case nil, "overloaded", "ttft_target_missed", "itl_target_missed":
		return false
	}
	return sim["feasible"] != true
}

// simLines are serve's text lines of the simulated run; simWhy says why it cannot run,
// where it cannot.
func simLines(sim map[string]any, simWhy string) [][2]string {
	f := func(k string) float64 { return simNum(sim[k]) }
	pools := fmt.Sprintf("colocated: one replica of %.0f accelerator(s) prefills and decodes", f("accelerators"))
	if f("prefill_instances") > 0 {
		pools = fmt.Sprintf("disaggregated: %.0f prefill instance(s) of tp %.0f → %.0f decode instance(s), %.0f accelerators; KV transfer %.3f ms",
			f("prefill_instances"), f("prefill_tp"), f("decode_instances"), f("accelerators"), f("kv_transfer_ms"))
	}
	lines := [][2]string{
		{"Simulated", fmt.Sprintf("%s; %.0f requests, seed %.0f (docs/PHYSICS.md §34.2)", pools, f("requests"), f("seed"))},
		{"Sim capacity", fmt.Sprintf("%.4g requests/s (largest batch %.0f)", f("poisson_capacity_qps"), f("max_batch"))},
	}
	if q, p := f("capacity_qps"), f("poisson_capacity_qps"); q > p*(1+1e-9) {
		// As serve's Capacity line: the rate Poisson arrivals keep steady (the verdict), then
		// the one a queue that never empties runs at (docs/PHYSICS.md §34.8).
		lines[1][1] = fmt.Sprintf("%.4g requests/s at most under Poisson arrivals, %.4g with every request queued (largest batch %.0f)", p, q, f("max_batch"))
	}
	if simUnfit(sim) {
		return append(lines[:1], [2]string{"Sim feasible", fmt.Sprintf("no (%s): no capacity, goodput or percentile", simWhy)})
	}
	targets := f("target_ttft_ms") > 0 || f("target_tpot_ms") > 0
	if targets {
		var want []string
		if v := f("target_ttft_ms"); v > 0 {
			want = append(want, fmt.Sprintf("TTFT ≤ %.4g ms", v))
		}
		if v := f("target_tpot_ms"); v > 0 {
			want = append(want, fmt.Sprintf("TPOT ≤ %.4g ms", v))
		}
		target := fmt.Sprintf("%s for %s of requests", joinAnd(want), fmtPct(f("attainment")))
		switch sim["infeasible_reason"] {
		case "ttft_target_missed", "itl_target_missed":
			lines = append(lines, [2]string{"Goodput", fmt.Sprintf("none: %s is met at no rate (%v even at a thousandth of the capacity)", target, sim["infeasible_reason"])})
		default:
			lines = append(lines, [2]string{"Goodput", fmt.Sprintf("%.4g requests/s, %.4g per accelerator (%s)", f("goodput_qps"), f("goodput_qps_per_accelerator"), target)})
		}
	}
	q := f("sim_qps")
	switch {
	case sim["infeasible_reason"] == "overloaded":
		return append(lines, [2]string{"Percentiles", "none: the rate is at or above the simulated capacity (overloaded)"})
	case q <= 0:
		return lines
	}
	at := fmt.Sprintf("%.4g requests/s", q)
	if targets && f("qps") == 0 {
		at += " (the goodput)"
	}
	ms := func(k string) string { return fmt.Sprintf("%.4g", f(k)) }
	tpot := ms("sim_tpot_p50_ms") + " / " + ms("sim_tpot_p90_ms") + " / " + ms("sim_tpot_p99_ms") + " ms (mean " + ms("sim_tpot_mean_ms") + ")"
	if f("output_tokens") <= 1 {
		tpot = "none: one generated token per request, no time between tokens"
	}
	lines = append(lines,
		[2]string{"Sampled at", at},
		[2]string{"TTFT P50/P90/P99", ms("sim_ttft_p50_ms") + " / " + ms("sim_ttft_p90_ms") + " / " + ms("sim_ttft_p99_ms") + " ms (mean " + ms("sim_ttft_mean_ms") + ")"},
		[2]string{"TPOT P50/P90/P99", tpot},
		[2]string{"E2E P50/P90/P99", ms("sim_e2e_p50_ms") + " / " + ms("sim_e2e_p90_ms") + " / " + ms("sim_e2e_p99_ms") + " ms"},
	)
	if targets {
		lines = append(lines, [2]string{"SLO attainment", fmtPct(f("sim_attainment")) + " of requests meet the targets"})
	}
	return lines
}

func joinAnd(s []string) string {
	if len(s) == 2 {
		return s[0] + " and " + s[1]
	}
	if len(s) == 1 {
		return s[0]
	}
	return ""
}
