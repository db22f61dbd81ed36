//go:build !lean

package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/sweep"
)

// defaultServingHardware are per-chip accelerators with measured bandwidth and a price.
const defaultServingHardware = "A100,H100,H200,MI300X"

// defaultServingKV are the KV-cache formats searched under every weight precision: the
// model's 16-bit dtype (vLLM's and SGLang's kv_cache_dtype "auto") and FP8, the quantised
// cache all three catalogued engine families store (vLLM docs, "Quantized KV Cache": FP8
// E4M3/E5M2; SGLang docs, "Quantized KV Cache": FP8, FP4 on Blackwell; TensorRT-LLM docs,
// "Multi-Head, Multi-Query, and Group-Query Attention", INT8/FP8 KV caches). An int8 or int4 cache is searched when --kv-precision lists it.
const defaultServingKV = "fp16,fp8"

func (a *app) optimizeServingCommand(keep cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      "serving",
		Usage:     "the cheapest deployment of MODEL that serves a request rate within TTFT and ITL targets, aggregated vs disaggregated",
		ArgsUsage: "MODEL",
		Description: `Sweeps the serve-deploy study (docs/PHYSICS.md §34) over every layout of MODEL (a
catalog key, or a model file — a YAML entry or a Hugging Face config.json — as eval
and serve take it)
on the given accelerators — precision, KV-cache format (each of --kv-precision under
every weight precision: a 16-bit cache under int4 weights is searched, as AWQ and GPTQ
models are served), tp, pp, ep (MoE), decode batch 1–--max-batch, aggregated or disaggregated with prefill instances of tp 1–8 — sizes the
fleet that serves --qps requests of --isl prompt and --osl generated tokens within
--ttft-ms and --itl-ms (mean latencies: TTFT counts the running decode step — calibrated,
aggregated, what is left of the step in progress, §34.5 — the prompts queued ahead, the prefill, the KV transfer when disaggregated and, calibrated, the
wait for a free batch slot — docs/PHYSICS.md §34.3 — so a replica is not packed to
capacity; calibrated, the batch is the engine's cap and a replica or decode instance
steps at the batch its load gives it, §34.4), and prices it per million generated tokens
(catalog unit cost amortised over 3 years with 5 % maintenance and energy at the
region's PUE, or --accelerator-hour-usd; an accelerator the catalog gives no price is
refused without it, as its energy alone would undercut every priced one), timing every step with --engine's kernels,
all-reduce and scheduling (default vllm; mlsysim zoo engines; calibrated only, so
--engine is refused under --profile seed). It prints the cheapest configurations, the
cheapest aggregated and disaggregated ones side by side, and the frontier of tokens/s
per accelerator against tokens/s per user. Of configurations at one price, the one further
inside its targets (sla_ratio) ranks first, then the one whose decode slots the load takes
less of (decode_utilization); the recommendation says how much of the decode slots and the
prefill capacity its load takes. The same space is the bundled grid
serving-deploy (mlsysim sweep serving-deploy) for your own queries.

Exit 2 when no configuration meets the targets within --max-accelerators; the
closest miss (smallest largest ratio of latency to target, or of fleet to limit:
sla_ratio) is shown with the numbers it was ranked on — the layout's unqueued TTFT and
fastest decode step (calibrated: one sequence's) against the targets and its fleet against
the limit, each with its ratio — then that fleet's own latencies under the load; JSON's
closest_miss adds ttft_floor_ms, itl_floor_ms and missed_by (ttft, itl or fleet: the
largest ratio). JSON keys: model, qps, target_ttft_ms, target_itl_ms, input_tokens,
output_tokens, hardware, engine, latency_basis (what the latencies are: under --profile seed
its closed form, without a wait for a free batch slot, so a pick near a replica's capacity
can miss its TTFT target when serve --qps simulates it), total_searched, feasible, best,
best_aggregated, best_disaggregated, top_candidates, frontier (closest_miss instead when
nothing is feasible).

Example:
   mlsysim optimize serving Llama3_70B --qps 20 --ttft-ms 500 --itl-ms 50 --hardware H100,H200,MI300X`,
		Flags: []cli.Flag{
			&cli.FloatFlag{Name: "qps", Usage: "requests per second to serve (required, > 0)", HideDefault: true},
			&cli.FloatFlag{Name: "ttft-ms", Usage: "mean time-to-first-token target in ms (required, > 0)", HideDefault: true},
			&cli.FloatFlag{Name: "itl-ms", Usage: "mean inter-token latency target in ms (required, > 0)", HideDefault: true},
			&cli.StringFlag{Name: "hardware", Value: defaultServingHardware, Usage: "comma-separated accelerators (mlsysim zoo hardware)"},
			&cli.IntFlag{Name: "isl", Value: 1024, Usage: "prompt tokens per request"},
			&cli.IntFlag{Name: "osl", Value: 256, Usage: "generated tokens per request (≥ 2: the first comes from the prefill, the rest are the decode steps --itl-ms bounds)"},
			&cli.IntFlag{Name: "max-accelerators", Usage: "largest fleet allowed (0 = no limit)"},
			&cli.StringFlag{Name: "disaggregated", Value: "auto", Usage: "auto (compare both), on (only disaggregated), off (only aggregated)"},
			&cli.StringFlag{Name: "precision", Value: "fp16,fp8,int8,int4", Usage: "comma-separated weight precisions searched (fp8 and fp4 only where the device has that rate; none where its catalog entry lists it unsupported_precisions)"},
			&cli.StringFlag{Name: "kv-precision", Value: defaultServingKV, Usage: "comma-separated KV-cache formats searched, each under every weight precision: fp16 (the model's 16-bit dtype) and fp8 are what vLLM, SGLang and TensorRT-LLM store; int8 or int4 on request"},
			&cli.StringFlag{Name: "engine", Value: sweep.DefaultEngine, Usage: "serving engine (mlsysim zoo engines): kernels per layer, all-reduce latency, step overhead and measured host time per step, memory budget, attention precision"},
			&cli.FloatFlag{Name: "accelerator-hour-usd", Usage: "rental price per accelerator-hour (0: owned, amortised + energy)"},
			&cli.IntFlag{Name: "max-batch", Value: 1024, Usage: "largest decode batch searched (every batch from 1)"},
			&cli.IntFlag{Name: "top", Value: 5, Usage: "cheapest configurations to show"},
			keep,
		},
		Action: func(ctx context.Context, c *cli.Command) error { return a.optimizeServing(ctx, c) },
	}
}

// servingSearch is what optimize serving searches, from its flags.
type servingSearch struct {
	model                       *catalog.Model
	engine                      string
	hardware, precisions, modes []string
	kvPrecisions                []string
	qps, ttft, itl, rental      float64
	isl, osl, maxAccel, top     int
	maxBatch                    int
}

func (a *app) servingSearchFlags(c *cli.Command) (*servingSearch, error) {
	if c.Args().Len() != 1 {
		return nil, badInputf("optimize serving", "want one MODEL, got %d arguments; example: mlsysim optimize serving Llama3_70B --qps 20 --ttft-ms 500 --itl-ms 50", c.Args().Len())
	}
	key := c.Args().First()
	if err := folderArg("MODEL", key); err != nil {
		return nil, err
	}
	if isFile(key) {
		// A model file (YAML entry or Hugging Face config.json), as eval and serve take it:
		// it was looked up as a catalog key ("unknown model …/config.json").
		var err error
		if key, err = a.addModelFile(key); err != nil {
			return nil, err
		}
	}
	m, err := a.cat.ModelByKey(key)
	if err != nil {
		return nil, badInput("MODEL", err)
	}
	s := &servingSearch{model: m, qps: c.Float("qps"), ttft: c.Float("ttft-ms"), itl: c.Float("itl-ms"), rental: c.Float("accelerator-hour-usd"),
		isl: c.Int("isl"), osl: c.Int("osl"), maxAccel: c.Int("max-accelerators"), top: c.Int("top"), maxBatch: c.Int("max-batch")}
	for _, f := range []struct {
		name string
		v    float64
		set  bool
	}{{"qps", s.qps, c.IsSet("qps")}, {"ttft-ms", s.ttft, c.IsSet("ttft-ms")}, {"itl-ms", s.itl, c.IsSet("itl-ms")}} {
		if !f.set || !(f.v > 0) || math.IsInf(f.v, 0) {
			return nil, badInputf("--"+f.name, "required: a finite number > 0, got %v", f.v)
		}
	}
	switch {
	case s.isl < 1 || s.isl > 10_000_000:
		return nil, badInputf("--isl", "must be in [1, 10000000], got %d", s.isl)
	case s.osl == 1:
		// One generated token is the prefill's: no decode step follows, so --itl-ms
		// bounds nothing and the layouts would be sized for a decode that never runs.
		return nil, badInputf("--osl", "1 generates only the first token: there is no inter-token latency for --itl-ms to bound; give --osl ≥ 2, or size a prefill-only load with `mlsysim serve MODEL HW --qps Q --output-tokens 1 -b B`")
	case s.osl < 1 || s.osl > 10_000_000:
		return nil, badInputf("--osl", "must be in [2, 10000000], got %d", s.osl)
	case s.maxAccel < 0 || s.maxAccel > 1<<20:
		return nil, badInputf("--max-accelerators", "must be in [0, %d], got %d", 1<<20, s.maxAccel)
	case s.maxBatch < 1 || s.maxBatch > 1<<20:
		return nil, badInputf("--max-batch", "must be in [1, %d], got %d", 1<<20, s.maxBatch)
	case s.top < 1 || s.top > 1000:
		return nil, badInputf("--top", "must be in [1, 1000], got %d", s.top)
	case s.rental < 0:
		return nil, badInputf("--accelerator-hour-usd", "must be ≥ 0, got %v", s.rental)
	}
	if ctx := m.ContextTokens; ctx > 0 && s.isl+s.osl > ctx {
		return nil, &cliError{code: exitPhysics, title: "Longer than the model's context", err: fmt.Errorf(
			"--isl %d + --osl %d = %d tokens exceeds %s's context window of %d tokens (catalog context_tokens): no layout can serve it",
			s.isl, s.osl, s.isl+s.osl, m.Key, ctx)}
	}
	e, err := a.cat.EngineByKey(c.String("engine"))
	if err != nil {
		return nil, badInput("--engine", err)
	}
	if err := a.seedEngine(c); err != nil {
		return nil, err
	}
	s.engine = e.Key
	switch c.String("disaggregated") {
	case "auto":
		s.modes = []string{"aggregated", "disaggregated"}
	case "on":
		s.modes = []string{"disaggregated"}
	case "off":
		s.modes = []string{"aggregated"}
	default:
		return nil, badInputf("--disaggregated", "%q is not auto, on or off", c.String("disaggregated"))
	}
	for _, list := range []struct {
		flag string
		dst  *[]string
	}{{"hardware", &s.hardware}, {"precision", &s.precisions}, {"kv-precision", &s.kvPrecisions}} {
		for _, v := range strings.Split(c.String(list.flag), ",") {
			if v = strings.TrimSpace(v); v == "" {
				// "H100,,A100" (or "H100,$GPU" with GPU unset) searched H100 and A100
				// without a word, as if the list were what the user meant.
				return nil, badInputf("--"+list.flag, "%q has an empty item (two commas, or one at an end); give comma-separated values", c.String(list.flag))
			}
			*list.dst = append(*list.dst, v)
		}
	}
	for _, kv := range s.kvPrecisions {
		if strings.EqualFold(kv, sweep.KVSame) || strings.EqualFold(kv, sweep.KVAuto) {
			return nil, badInputf("--kv-precision", "%q is not a format: the search stores the KV cache in each listed format under every weight precision, so the weights' own format is searched when it is listed; give formats (%s)", kv, defaultServingKV)
		}
	}
	if err := a.precisionsSearched(s, c.IsSet("precision")); err != nil {
		return nil, err
	}
	if s.rental == 0 {
		// An unpriced accelerator's cost would be its energy alone and undercut every priced
		// one: the "cheapest" answer would be an artefact of a missing catalog number.
		for _, k := range s.hardware {
			if h, err := a.cat.HardwareByKey(k); err == nil && h.UnitCostUSD == 0 {
				return nil, badInputf("--hardware", "%s states no price in the catalog (unit_cost), so its cost per token would count energy alone and undercut every priced accelerator; give --accelerator-hour-usd (one rental price for all), a --catalog file with its unit_cost, or leave it out (priced by default: %s)",
					h.Key, defaultServingHardware)
			}
		}
	}
	return s, nil
}

// rateOnly are the precisions searched only on accelerators that state their rate (the
// spec's where): fp8 has no path without fp8 tensor cores, fp4 none without fp4 ones
// (sweep.PrecisionPath, which serve and eval apply to one accelerator).
var rateOnly = []string{"fp8", "fp4"}

// precisionsSearched notes, for a --precision the user gave, the accelerators an fp8 or
// fp4 is not searched on, or (calibrated) a format their catalog entry lists in
// unsupported_precisions (its points are unsupported_by_hardware), and refuses a list no
// listed accelerator can run at all.
func (a *app) precisionsSearched(s *servingSearch, explicit bool) error {
	runnable := 0
	var missing []string
	calibrated := a.String("profile") != sweep.Profiles[1]
	for _, p := range s.precisions {
		p = strings.ToLower(p)
		var without, lacking []string
		for _, k := range s.hardware {
			h, err := a.cat.HardwareByKey(k)
			switch {
			case err != nil:
			case calibrated && h.Unsupported(p):
				lacking = append(lacking, h.Key)
			case slices.Contains(rateOnly, p) && !h.StatesRate(p):
				without = append(without, h.Key)
			}
		}
		runnable += len(s.hardware) - len(without) - len(lacking)
		if len(without) > 0 {
			missing = append(missing, fmt.Sprintf("%s (%s)", p, strings.Join(sweep.WithRate(a.cat, p), ", ")))
			if explicit {
				a.warn("%s is not searched on %s: no %s rate in the catalog", p, strings.Join(without, ", "), p)
			}
		}
		if len(lacking) > 0 {
			missing = append(missing, fmt.Sprintf("%s (not on %s: no %s arithmetic, catalog unsupported_precisions)", p, strings.Join(lacking, ", "), p))
			if explicit {
				a.warn("%s is not searched on %s: no %s arithmetic (catalog unsupported_precisions)", p, strings.Join(lacking, ", "), p)
			}
		}
	}
	if runnable == 0 {
		return badInputf("--precision", "none of %s runs on --hardware %s: fp8 and fp4 are searched only on accelerators that state their rate, and no format on an accelerator whose catalog entry lists it unsupported; add one — %s — or another precision",
			strings.Join(s.precisions, ","), strings.Join(s.hardware, ","), strings.Join(missing, "; "))
	}
	return nil
}

// spec is the serve-deploy grid of the search: decode batch 1–1024 innermost.
func (s *servingSearch) spec() string {
	ep := "[1]"
	if s.model.Experts > 0 {
		ep = "[1, 2, 4, 8]"
	}
	yamlList := func(xs []string) string { return "[" + strings.Join(xs, ", ") + "]" }
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return fmt.Sprintf(`version: 1
name: optimize-serving
study: serve-deploy
fixed:
  qps: %s
  target_ttft_ms: %s
  target_itl_ms: %s
  input_tokens: %d
  output_tokens: %d
  max_accelerators: %d
  accelerator_hour_usd: %s
  engine: %s
axes:
  model: [%s]
  hardware: %s
  precision: %s
  kv_precision: %s
  tp: [1, 2, 4, 8]
  pp: [1, 2, 4]
  ep: %s
  mode: %s
  prefill_tp: [1, 2, 4, 8]
  batch_size: {range: [1, %d]}
where:
  - "precision != 'fp8' || hw.fp8_tflops > 0"
  - "precision != 'fp4' || hw.fp4_tflops > 0"
  - "mode == 'disaggregated' || prefill_tp == 1"
`, g(s.qps), g(s.ttft), g(s.itl), s.isl, s.osl, s.maxAccel, g(s.rental), s.engine, s.model.Key,
		yamlList(s.hardware), yamlList(s.precisions), yamlList(s.kvPrecisions), ep, yamlList(s.modes), s.maxBatch)
}

// specName names the generated grid in its errors, which flagOfSpecLine rewrites.
const specName = "optimize serving"

// specFlags are the flags behind the generated grid's keys.
var specFlags = map[string]string{"qps": "--qps", "target_ttft_ms": "--ttft-ms", "target_itl_ms": "--itl-ms", "input_tokens": "--isl",
	"output_tokens": "--osl", "max_accelerators": "--max-accelerators", "accelerator_hour_usd": "--accelerator-hour-usd",
	"engine": "--engine", "model": "MODEL", "hardware": "--hardware", "precision": "--precision", "kv_precision": "--kv-precision", "mode": "--disaggregated", "batch_size": "--max-batch"}

// flagOfSpecLine turns an error at a line of the generated grid ("optimize serving:5: qps
// = 1e+09 is out of range") into one naming the flag the user typed ("--qps: …").
func flagOfSpecLine(text string, err error) error {
	msg := err.Error()
	var line int
	if _, scanErr := fmt.Sscanf(msg, specName+":%d:", &line); scanErr != nil {
		return err
	}
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) {
		return err
	}
	key, _, _ := strings.Cut(strings.TrimSpace(lines[line-1]), ":")
	flag, ok := specFlags[key]
	if !ok {
		return err
	}
	return fmt.Errorf("%s:%s", flag, strings.TrimPrefix(msg, fmt.Sprintf("%s:%d:", specName, line)))
}

// servingColumnsShown are the result columns optimize serving reports, in order.
var servingColumnsShown = []string{"hardware", "precision", "kv_precision", "tp", "pp", "ep", "mode", "prefill_tp", "batch_size",
	"replicas", "prefill_instances", "accelerators", "ttft_ms", "itl_ms", "tokens_per_s_per_accelerator", "tokens_per_s_per_user",
	"usd_per_million_tokens", "joules_per_token", "sla_ratio", "prefill_utilization", "decode_utilization", "infeasible_reason"}

func (a *app) optimizeServing(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json")
	if err != nil {
		return err
	}
	s, err := a.servingSearchFlags(c)
	if err != nil {
		return err
	}
	text := s.spec()
	spec, err := sweep.ParseSpec(specName, []byte(text))
	if err != nil {
		return badInput("", flagOfSpecLine(text, err))
	}
	plan, err := spec.Plan(a.cat)
	if err != nil {
		return badInput("", flagOfSpecLine(text, err))
	}
	if err := a.applyProfile(plan); err != nil {
		return err
	}
	dir, cleanup, err := sweepDir(c.String("keep"))
	if err != nil {
		return err
	}
	defer cleanup()
	opts := sweep.WriteOptions{Dir: dir, Version: version}
	if c.String("keep") == "" {
		opts.Compression = "snappy" // a temporary sweep: encode fast, it is read once
	}
	man, err := sweep.WriteParts(ctx, plan, opts)
	if err != nil {
		return badInput("", err)
	}
	db, err := queries.Open(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	run := func(name string, params map[string]string, extra ...string) ([]orderedObject, error) {
		q, err := queries.Lookup(name)
		if err != nil {
			return nil, err
		}
		st, err := db.Prepare(ctx, q, params)
		if err != nil {
			return nil, err
		}
		return servingRows(ctx, db, st, append(servingColumnsShown[:len(servingColumnsShown):len(servingColumnsShown)], extra...))
	}
	// A deployment shows once, at its cheapest batch; the search has 1024 batches of each.
	top, err := run("deployments", map[string]string{"k": strconv.Itoa(s.top)})
	if err != nil {
		return err
	}
	head := orderedObject{{"model", s.model.Key}, {"qps", s.qps}, {"target_ttft_ms", s.ttft}, {"target_itl_ms", s.itl},
		{"input_tokens", s.isl}, {"output_tokens", s.osl}, {"hardware", s.hardware}, {"engine", s.engine},
		{"latency_basis", servingLatencyBasis(a.String("profile"))}, {"total_searched", man.Rows}}
	if len(top) == 0 {
		// The closest miss is ranked on sla_ratio, which compares the layout's floors (the
		// unqueued TTFT, the fastest decode step) and its fleet with the targets: those are
		// the numbers it is shown with, beside the fleet's own (queued) latencies.
		miss, err := run("deployments", map[string]string{"by": "sla_ratio", "then": "usd_per_million_tokens", "k": "1", "feasible": "false"},
			"ttft_floor_ms", "itl_floor_ms")
		if err != nil {
			return err
		}
		obj := append(head, kv{"feasible", false})
		if len(miss) > 0 {
			miss[0] = append(miss[0], kv{"missed_by", missedBy(s, miss[0])})
			obj = append(obj, kv{"closest_miss", miss[0]})
		}
		if format == "json" {
			if err := writeJSON(a.stdout, obj); err != nil {
				return err
			}
		} else {
			a.renderServingHead(s, man.Rows)
			if len(miss) > 0 {
				renderMiss(a, s, miss[0])
			}
		}
		return &cliError{code: exitPhysics, title: "No configuration meets the targets", payloadShown: true,
			err: fmt.Errorf("no layout of %s on %s serves %g QPS within TTFT %g ms and ITL %g ms%s", s.model.Key,
				strings.Join(s.hardware, ", "), s.qps, s.ttft, s.itl, limitNote(s.maxAccel))}
	}
	perMode, err := run("deployments", map[string]string{"k": "2", "group": "mode"})
	if err != nil {
		return err
	}
	frontier, err := run("pareto", map[string]string{"objectives": "tokens_per_s_per_accelerator:max,tokens_per_s_per_user:max"})
	if err != nil {
		return err
	}
	frontier = dedupe(frontier, "tokens_per_s_per_accelerator", "tokens_per_s_per_user")
	byMode := map[string]orderedObject{}
	for _, r := range perMode {
		byMode[fmt.Sprint(field(r, "mode"))] = r
	}
	obj := append(head, kv{"feasible", true}, kv{"best", top[0]})
	for _, m := range []string{"aggregated", "disaggregated"} {
		var v any
		if r, ok := byMode[m]; ok {
			v = r
		}
		obj = append(obj, kv{"best_" + m, v})
	}
	obj = append(obj, kv{"top_candidates", top}, kv{"frontier", frontier})
	if format == "json" {
		return writeJSON(a.stdout, obj)
	}
	a.renderServingHead(s, man.Rows)
	b := top[0]
	fmt.Fprintf(a.stdout, "Recommendation: %s — %v, KV %s, %s, batch %v, %s\n", accelPhrase(b), field(b, "precision"), kvOf(b),
		layoutPhrase(b), field(b, "batch_size"), fleetPhrase(b))
	fmt.Fprintf(a.stdout, "  TTFT %s, ITL %s; %s tokens/s per accelerator, %.0f tokens/s per user; %s per million tokens, %.3g J per token\n",
		fmtMs(numOf(b, "ttft_ms")), fmtMs(numOf(b, "itl_ms")), perAccelText(numOf(b, "tokens_per_s_per_accelerator")),
		numOf(b, "tokens_per_s_per_user"), fmtUSD(numOf(b, "usd_per_million_tokens")), numOf(b, "joules_per_token"))
	fmt.Fprintf(a.stdout, "  Load: %s\n\n", loadPhrase(b))
	var modes []orderedObject
	var none []string
	for _, m := range []string{"aggregated", "disaggregated"} {
		if r, ok := byMode[m]; ok {
			modes = append(modes, r)
		} else if slices.Contains(s.modes, m) {
			none = append(none, m)
		}
	}
	title := "Aggregated vs disaggregated (cheapest of each)"
	if len(none) > 0 {
		// A searched mode with no configuration meeting the targets was left out of the
		// table without a word (JSON's best_<mode> is null): say so.
		title += "; no " + strings.Join(none, " or ") + " configuration meets the targets"
	}
	renderServingTable(a, title, modes)
	renderServingTable(a, "Cheapest configurations", top)
	renderServingTable(a, "Frontier: tokens/s per accelerator vs tokens/s per user", frontier)
	return nil
}

// loadPhrase says how much of its capacity the recommended fleet's load takes: the decode
// slots' (decode_utilization, §34.3) and the prefills' (prefill_utilization). A fleet sized
// to the least that meets mean targets can sit near 100 %, where the wait for a slot is
// most of its latency and a run of a few thousand requests measures well below the
// steady-state mean (the headline's 5 × MI300X at batch 91, 99.5 %: 25 ms over 2,000
// simulated requests, 37.6 ms over 200,000, 36.4 ms by the formula).
func loadPhrase(b orderedObject) string {
	dec, pre := 100*numOf(b, "decode_utilization"), 100*numOf(b, "prefill_utilization")
	p := fmt.Sprintf("decode slots %.1f %% taken, ", dec)
	if field(b, "mode") == "disaggregated" {
		p += fmt.Sprintf("prefill instances %.1f %% busy", pre)
	} else {
		p += fmt.Sprintf("%.1f %% of each replica's time prefilling", pre)
	}
	if dec >= 95 || pre >= 95 {
		p += " — near capacity: the means hold in steady state, which a short benchmark does not reach, and a burst above the rate queues at once"
	}
	return p
}

func limitNote(maxAccel int) string {
	if maxAccel > 0 {
		return " on at most " + nounCount(float64(maxAccel), "accelerator")
	}
	return ""
}

func (a *app) renderServingHead(s *servingSearch, searched uint64) {
	fmt.Fprintf(a.stdout, "Serving %s at %g QPS (%d prompt + %d generated tokens) within TTFT %g ms and ITL %g ms%s\n",
		s.model.Key, s.qps, s.isl, s.osl, s.ttft, s.itl, limitNote(s.maxAccel))
	engine := "engine " + s.engine
	if a.String("profile") == "seed" {
		engine += " (the seed profile does not model engines)" // as serve says; --engine is refused there
	}
	fmt.Fprintf(a.stdout, "%s configurations searched on %s, %s\n", groupDigits(float64(searched)), strings.Join(s.hardware, ", "), engine)
	if a.String("profile") == "seed" {
		fmt.Fprintf(a.stdout, "Latencies: %s\n", servingLatencyBasis("seed"))
	}
	fmt.Fprintln(a.stdout)
}

// servingRows reads a statement's rows as ordered objects of the shown columns.
func servingRows(ctx context.Context, db *queries.DB, st *queries.Statement, shown []string) ([]orderedObject, error) {
	rows, err := db.Query(ctx, st)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for _, col := range rows.Columns() {
		names = append(names, col.Name)
	}
	var out []orderedObject
	for rows.Next() {
		vals := rows.Values()
		var o orderedObject
		for _, want := range shown {
			v := pick(names, vals, want)
			if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
				v = nil // JSON has no Inf; null means "none exists"
			}
			o = append(o, kv{want, v})
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// dedupe keeps the first of rows that tie exactly in the given columns.
func dedupe(rows []orderedObject, columns ...string) []orderedObject {
	seen := map[string]bool{}
	var out []orderedObject
	for _, r := range rows {
		var key strings.Builder
		for _, c := range columns {
			fmt.Fprint(&key, field(r, c), " ")
		}
		if !seen[key.String()] {
			seen[key.String()] = true
			out = append(out, r)
		}
	}
	return out
}

func field(o orderedObject, key string) any {
	for _, e := range o {
		if e.k == key {
			return e.v
		}
	}
	return nil
}

func numOf(o orderedObject, key string) float64 {
	if v := field(o, key); v != nil {
		return asNum(v)
	}
	return math.Inf(1)
}

func accelPhrase(r orderedObject) string {
	return fmt.Sprintf("%s × %v", groupDigits(numOf(r, "accelerators")), field(r, "hardware"))
}

// perAccelText writes tokens/s per accelerator in whole tokens with digit groups, or with
// three significant digits below one: a tiny --qps read "0 tokens/s per accelerator"
// beside a price of $1,463,331 per million tokens.
func perAccelText(v float64) string {
	if v < 1 {
		return smallFixed(v, 0)
	}
	return groupDigits(v)
}

// kvOf names the KV cache's format: the point's kv_format, or for a row without it
// sweep.KVFormat (the search lists formats only: --kv-precision refuses auto and same).
func kvOf(r orderedObject) string {
	if f := field(r, "kv_format"); f != nil {
		return fmt.Sprint(f)
	}
	return sweep.KVFormat(fmt.Sprint(field(r, "kv_precision")), fmt.Sprint(field(r, "precision")), true, true)
}

func layoutPhrase(r orderedObject) string {
	l := fmt.Sprintf("tp %v × pp %v", field(r, "tp"), field(r, "pp"))
	if e := numOf(r, "ep"); e > 1 {
		l += fmt.Sprintf(" (ep %v)", field(r, "ep"))
	}
	return l
}

func fleetPhrase(r orderedObject) string {
	if field(r, "mode") == "disaggregated" {
		return fmt.Sprintf("disaggregated: %s of tp %v, %s", nounCount(numOf(r, "prefill_instances"), "prefill instance"),
			field(r, "prefill_tp"), nounCount(numOf(r, "replicas"), "decode instance"))
	}
	return "aggregated: " + nounCount(numOf(r, "replicas"), "replica")
}

// missTerms are the ratios sla_ratio is the largest of, for a miss: the unqueued TTFT and
// the fastest decode step over their targets, and the fleet over --max-accelerators.
func missTerms(s *servingSearch, r orderedObject) (ttft, itl, fleet float64) {
	ttft, itl = numOf(r, "ttft_floor_ms")/s.ttft, numOf(r, "itl_floor_ms")/s.itl
	if s.maxAccel > 0 {
		fleet = numOf(r, "accelerators") / float64(s.maxAccel)
	}
	return ttft, itl, fleet
}

// missedBy names the term of sla_ratio that is largest for the closest miss: what keeps
// it furthest from the targets ("itl", "ttft" or "fleet"), or "" when none is above 1.
func missedBy(s *servingSearch, r orderedObject) string {
	ttft, itl, fleet := missTerms(s, r)
	m := math.Max(ttft, math.Max(itl, fleet))
	if ratio := numOf(r, "sla_ratio"); ratio > m*(1+1e-9) {
		// A calibrated fleet whose search ran out (a target a hair above its floor) is
		// ranked on its own latencies, above the floors: name the one that misses more.
		ttft, itl = numOf(r, "ttft_ms")/s.ttft, numOf(r, "itl_ms")/s.itl
		m = math.Max(ttft, itl)
	}
	switch {
	case m <= 1:
		return ""
	case m == fleet:
		return "fleet"
	case m == itl:
		return "itl"
	}
	return "ttft"
}

func missWhy(s *servingSearch, r orderedObject) string {
	// exceeds_context cannot be the closest miss: servingSearch refuses such a request first.
	switch missedBy(s, r) {
	case "itl":
		return "the decode step alone (calibrated: of one sequence) is slower than the ITL target"
	case "ttft":
		return "the prefill alone (unqueued) is slower than the TTFT target"
	case "fleet":
		return "the fleet that serves the rate exceeds --max-accelerators"
	}
	return fmt.Sprint(field(r, "infeasible_reason"))
}

// renderMiss prints the closest miss with the numbers it was ranked on (sla_ratio, the
// largest of its terms): the layout's unqueued TTFT and fastest decode step against the
// targets and its fleet against --max-accelerators, each with its ratio; then the fleet's
// own latencies and price at the rate. It printed the fleet's queued TTFT (7,537 s for
// Llama3_70B at 2000 QPS on 968 H100) as if it were what missed, and named the ITL where
// the fleet's 60× over the limit was the largest ratio.
func renderMiss(a *app, s *servingSearch, r orderedObject) {
	ttft, itl, fleet := missTerms(s, r)
	fmt.Fprintf(a.stdout, "No configuration meets the targets. The closest miss (its largest ratio to a target or limit, %.3g×, is the smallest of all): %s.\n",
		numOf(r, "sla_ratio"), missWhy(s, r))
	fmt.Fprintf(a.stdout, "  %s — %v, KV %s, %s, batch %v\n", fmt.Sprint(field(r, "hardware")), field(r, "precision"), kvOf(r), layoutPhrase(r), field(r, "batch_size"))
	fmt.Fprintf(a.stdout, "  TTFT at least %s (unqueued) against %s: %.3g×\n", fmtMs(numOf(r, "ttft_floor_ms")), fmtMs(s.ttft), ttft)
	fmt.Fprintf(a.stdout, "  ITL at least %s (%s) against %s: %.3g×\n", fmtMs(numOf(r, "itl_floor_ms")), map[bool]string{true: "one sequence's decode step", false: "the decode step at its batch"}[a.String("profile") != "seed"], fmtMs(s.itl), itl)
	if s.maxAccel > 0 {
		fmt.Fprintf(a.stdout, "  Fleet %s at the rate (%s) against at most %d: %.3g×\n", nounCount(numOf(r, "accelerators"), "accelerator"), fleetPhrase(r), s.maxAccel, fleet)
	} else {
		fmt.Fprintf(a.stdout, "  Fleet %s at the rate (%s)\n", nounCount(numOf(r, "accelerators"), "accelerator"), fleetPhrase(r))
	}
	fmt.Fprintf(a.stdout, "  That fleet's own mean TTFT %s and ITL %s under the load; %s per million tokens\n\n",
		fmtMs(numOf(r, "ttft_ms")), fmtMs(numOf(r, "itl_ms")), fmtUSD(numOf(r, "usd_per_million_tokens")))
}

func renderServingTable(a *app, title string, rows []orderedObject) {
	if len(rows) == 0 {
		return
	}
	t := &table{title: title, cols: []string{"hardware", "precision", "KV", "layout", "mode", "batch", "accelerators", "TTFT", "ITL",
		"tok/s/acc", "tok/s/user", "$/M tokens"}}
	for _, r := range rows {
		mode := "agg"
		if field(r, "mode") == "disaggregated" {
			mode = fmt.Sprintf("disagg %.0f×tp%v + %.0f", numOf(r, "prefill_instances"), field(r, "prefill_tp"), numOf(r, "replicas"))
		}
		t.add([]string{fmt.Sprint(field(r, "hardware")), fmt.Sprint(field(r, "precision")), kvOf(r),
			layoutPhrase(r), mode, fmt.Sprint(field(r, "batch_size")), fmt.Sprintf("%.0f", numOf(r, "accelerators")),
			fmtMs(numOf(r, "ttft_ms")), fmtMs(numOf(r, "itl_ms")), perAccelText(numOf(r, "tokens_per_s_per_accelerator")),
			fmt.Sprintf("%.1f", numOf(r, "tokens_per_s_per_user")), fmtUSD(numOf(r, "usd_per_million_tokens"))}, nil)
	}
	renderTables(a.stdout, "text", []*table{t})
	fmt.Fprintln(a.stdout)
}
