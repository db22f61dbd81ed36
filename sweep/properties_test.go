package sweep

// Metamorphic and property tests over the studies: relations between points that must
// hold whatever the numbers are — a faster or larger accelerator never makes a step
// slower or a fitting point unfit, conservation of tokens, joules and dollars, and
// symmetries of precision and layout. Each relation is checked on every accelerator of
// the catalog (or a grid of layouts) under both profiles, and each was seen to fail
// against a deliberately broken input (the comment at each test says how).

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/mlsysim/mlsysim/catalog"
)

// propRows evaluates an inline grid spec against cat and returns every row in point order.
func propRows(t testing.TB, cat *catalog.Catalog, src string) []map[string]any {
	t.Helper()
	s, err := ParseSpec("prop.yaml", []byte(src))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	p, err := s.Plan(cat)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var rows []map[string]any
	err = Run(context.Background(), p, Options{Workers: 1}, func(rec arrow.Record) error {
		for r := 0; r < int(rec.NumRows()); r++ {
			rows = append(rows, Row(rec, r))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rows
}

func num(row map[string]any, col string) float64 {
	switch v := row[col].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return math.NaN()
}

func feasible(row map[string]any) bool { b, _ := row["feasible"].(bool); return b }

// A hardware variant: a catalog entry copied under a new key with one change.
type hwVariant struct {
	name   string
	mutate func(h *catalog.Hardware)
}

// scale multiplies every peak rate (the headline peak and each precision's).
func scalePeak(k float64) func(h *catalog.Hardware) {
	return func(h *catalog.Hardware) {
		h.PeakFLOPS *= k
		rates := make(map[string]float64, len(h.Rates))
		for p, r := range h.Rates {
			rates[p] = r * k
		}
		h.Rates = rates
	}
}

// scaleBandwidth multiplies the memory bandwidth, datasheet and measured, and the
// on-chip and flash tiers with it.
func scaleBandwidth(k float64) func(h *catalog.Hardware) {
	return func(h *catalog.Hardware) {
		h.MemBandwidthBytesPerS *= k
		h.AchievableBandwidthBytesPerS *= k
		h.SRAMBandwidthBytesPerS *= k
		h.FlashBandwidthBytesPerS *= k
	}
}

func scaleMemory(k float64) func(h *catalog.Hardware) {
	return func(h *catalog.Hardware) { h.MemCapacityBytes *= k }
}

func scaleLinks(k float64) func(h *catalog.Hardware) {
	return func(h *catalog.Hardware) {
		for _, l := range []**catalog.Link{&h.ScaleUp, &h.HostLink} {
			if *l == nil {
				continue
			}
			c := **l
			c.BytesPerS *= k
			c.BusBytesPerS *= k
			*l = &c
		}
	}
}

// withVariants returns a copy of the catalog holding, for every accelerator in keys, a
// base copy ("Prop_<key>_base", its corrections dropped so that the seed profile reads
// the same numbers as calibrated) and one copy per variant ("Prop_<key>_<variant>").
func withVariants(t testing.TB, keys []string, vs []hwVariant) *catalog.Catalog {
	t.Helper()
	cat := testCatalog().Clone()
	var hs []*catalog.Hardware
	for _, k := range keys {
		h, err := cat.HardwareByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		base := *h
		base.Corrections = nil
		base.MIG = nil // a scaled memory would not hold the catalogued slices
		base.Key = "Prop_" + k + "_base"
		hs = append(hs, &base)
		for _, v := range vs {
			c := base
			c.Key = "Prop_" + k + "_" + v.name
			v.mutate(&c)
			hs = append(hs, &c)
		}
	}
	b, err := catalog.EncodeHardwareYAML(hs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddUserYAML("prop-hardware.yaml", b); err != nil {
		t.Fatalf("AddUserYAML: %v", err)
	}
	return cat
}

// allHardware is every accelerator key in the embedded catalog.
func allHardware() []string {
	var keys []string
	for _, h := range testCatalog().Hardware {
		keys = append(keys, h.Key)
	}
	return keys
}

func yamlList(xs []string) string { return "[" + strings.Join(xs, ", ") + "]" }

// variantKeys lists the base and variant keys of withVariants for the spec's axis.
func variantKeys(keys []string, vs []hwVariant) []string {
	var out []string
	for _, k := range keys {
		out = append(out, "Prop_"+k+"_base")
		for _, v := range vs {
			out = append(out, "Prop_"+k+"_"+v.name)
		}
	}
	return out
}

// axisNames are the parameters of a spec's axis lines ("  name: values").
func axisNames(lines string) []string {
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(l), ":")
		names = append(names, name)
	}
	return names
}

// byHardware indexes rows by hardware and the values of the other axes.
func byHardware(rows []map[string]any, others []string) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, r := range rows {
		k := fmt.Sprint(r["hardware"])
		for _, o := range others {
			k += fmt.Sprintf("|%v", r[o])
		}
		m[k] = r
	}
	return m
}

// monotoneCase: a study's points over the base and variant accelerators, the columns
// that may only fall (times) and only rise (rates) when the accelerator gets better.
type monotoneCase struct {
	name   string
	study  string
	fixed  string   // YAML lines under fixed:
	axes   string   // YAML lines under axes: besides hardware
	others []string // the axes' names, to pair points
	lower  []string // never higher on the better accelerator
	higher []string // never lower on the better accelerator
	// moves names, per variant, the columns of lower and higher that the variant moves
	// to another operating point by design rather than to a worse one: more memory
	// lets a batching engine hold a larger batch (each token later, more tokens per
	// second), and a deployment on a faster accelerator spends its slack to the TTFT
	// and ITL targets on fewer accelerators.
	moves map[string][]string
	// unfit names the variants that may turn a feasible point infeasible, with why.
	unfit map[string]string
}

var monotoneCases = []monotoneCase{
	{name: "node inference", study: "node",
		axes:   "  model: [Llama3_8B, ResNet50, Mixtral_8x7B]\n  batch_size: [1, 32, 512]\n  precision: [fp16, int8]\n",
		others: []string{"model", "batch_size", "precision"},
		lower:  []string{"latency_ms"}, higher: []string{"throughput_per_s"}},
	{name: "node training", study: "node",
		fixed:  "  training: true\n  seq_len: 1024\n",
		axes:   "  model: [Llama3_8B, ResNet50]\n  batch_size: [1, 8]\n  precision: [bf16, fp16]\n",
		others: []string{"model", "batch_size", "precision"},
		lower:  []string{"latency_ms"}, higher: []string{"throughput_per_s"}},
	{name: "serve", study: "serve",
		fixed:  "  seq_len: 2048\n",
		axes:   "  model: [Llama3_8B, Mixtral_8x7B]\n  batch_size: [1, 16, 128]\n  precision: [fp16, fp8]\n  tp: [1, 2]\n",
		others: []string{"model", "batch_size", "precision", "tp"},
		lower:  []string{"ttft_ms", "itl_ms"}, higher: []string{"tokens_per_s"}},
	{name: "serve chunked", study: "serve",
		fixed:  "  seq_len: 4096\n  prefill_chunk_tokens: 512\n",
		axes:   "  model: [Llama3_8B, Llama3_70B]\n  batch_size: [1, 64]\n  precision: [fp16, int4]\n  tp: [1, 4]\n",
		others: []string{"model", "batch_size", "precision", "tp"},
		lower:  []string{"ttft_ms", "itl_ms", "prefill_chunk_time_ms"}, higher: []string{"tokens_per_s"}},
	{name: "serve under load", study: "serve",
		fixed:  "  seq_len: 1024\n  output_tokens: 128\n",
		axes:   "  model: [Llama3_8B, Mixtral_8x7B]\n  batch_size: [8, 128]\n  precision: [fp16, fp8]\n  qps: [0.5, 4, 32]\n  prefill_chunk_tokens: [0, 256]\n",
		others: []string{"model", "batch_size", "precision", "qps", "prefill_chunk_tokens"},
		lower:  []string{"load_ttft_ms", "load_tpot_ms", "load_utilization"}, higher: []string{"load_capacity_qps"}},
	{name: "serve-sla", study: "serve-sla",
		axes:   "  model: [Llama3_8B]\n  batch_size: [1, 16]\n  precision: [fp16, int8]\n  qps: [0.1, 2]\n",
		others: []string{"model", "batch_size", "precision", "qps"},
		lower:  []string{"ttft_ms", "itl_ms", "service_ms", "p99_wait_service_ms", "mean_latency_ms"}},
	{name: "batching", study: "batching",
		axes:   "  model: [Llama3_8B, Mixtral_8x7B]\n  max_batch_size: [1, 32, 256]\n  precision: [fp16, fp8]\n  mean_request_tokens: [0, 600]\n",
		others: []string{"model", "max_batch_size", "precision", "mean_request_tokens"},
		lower:  []string{"ttft_ms", "itl_ms"}, higher: []string{"tokens_per_s", "static_tokens_per_s"},
		moves: map[string][]string{"mem2": {"ttft_ms", "itl_ms"}}},
	{name: "serve-capacity", study: "serve-capacity",
		fixed:  "  target_p99_ms: 20000\n",
		axes:   "  model: [Llama3_8B, Llama3_70B]\n  precision: [fp16, fp8]\n  qps: [1, 50]\n  max_batch_size: [8, 64]\n",
		others: []string{"model", "precision", "qps", "max_batch_size"},
		lower:  []string{"replicas", "accelerators", "ttft_ms", "itl_ms", "base_latency_ms"}, higher: []string{"per_replica_qps"},
		moves: map[string][]string{"mem2": {"ttft_ms", "itl_ms", "base_latency_ms"}},
		// The seed's ServingCapacityModel (physics.md §6.3) serves every batch as full as
		// memory lets the batcher fill it, so on twice the memory the base latency of
		// that larger batch can pass the target that the smaller one met; the calibrated
		// replica is the same batcher's, but none of this grid's points does it there.
		unfit: map[string]string{"seed/mem2": "the seed fills the batch to memory"}},
	{name: "serve-deploy", study: "serve-deploy",
		fixed:  "  target_ttft_ms: 2000\n  target_itl_ms: 100\n  max_accelerators: 4096\n",
		axes:   "  model: [Llama3_8B, Llama3_70B]\n  precision: [fp16, fp8]\n  qps: [1, 40]\n  mode: [aggregated, disaggregated]\n",
		others: []string{"model", "precision", "qps", "mode"},
		lower:  []string{"accelerators"}},
	{name: "reasoning", study: "reasoning",
		axes:   "  model: [Llama3_8B, Llama3_70B]\n  precision: [fp16, int4]\n  reasoning_steps: [1, 16]\n",
		others: []string{"model", "precision", "reasoning_steps"},
		lower:  []string{"total_time_ms", "ttft_ms", "itl_ms"}},
	{name: "weight-streaming", study: "weight-streaming",
		axes:   "  model: [Llama3_8B, Llama3_70B]\n  precision: [fp16, int8]\n  phase: [decode, prefill]\n  batch_size: [1, 64]\n",
		others: []string{"model", "precision", "phase", "batch_size"},
		higher: []string{"tokens_per_s"}},
	{name: "train-memory", study: "train-memory",
		axes:   "  model: [Llama3_8B, Llama3_70B, GPT2]\n  precision: [bf16, fp16]\n  batch_size: [1, 8]\n  zero_stage: [0, 3]\n  dp: [8]\n",
		others: []string{"model", "precision", "batch_size", "zero_stage"}},
}

var betterHardware = []hwVariant{
	{"bw2", scaleBandwidth(2)},
	{"peak2", scalePeak(2)},
	{"mem2", scaleMemory(2)},
	{"link2", scaleLinks(2)},
}

// monotoneViolations evaluates a case on the base and variant accelerators of cat and
// returns how many feasible base points it compared and each violation found.
func monotoneViolations(t *testing.T, cat *catalog.Catalog, profile string, mc monotoneCase, keys []string, vs []hwVariant) (int, []string) {
	fixed := ""
	if mc.fixed != "" {
		fixed = "fixed:\n" + mc.fixed
	}
	src := fmt.Sprintf("version: 1\nstudy: %s\nprofile: %s\n%saxes:\n  hardware: %s\n%s",
		mc.study, profile, fixed, yamlList(variantKeys(keys, vs)), mc.axes)
	rows := propRows(t, cat, src)
	idx := byHardware(rows, mc.others)
	checked := 0
	var bad []string
	for _, r := range rows {
		hw := fmt.Sprint(r["hardware"])
		if !strings.HasSuffix(hw, "_base") || !feasible(r) {
			continue
		}
		stem := strings.TrimSuffix(hw, "base")
		for _, v := range vs {
			k := stem + v.name
			for _, o := range mc.others {
				k += fmt.Sprintf("|%v", r[o])
			}
			w, ok := idx[k]
			if !ok {
				t.Fatalf("no variant row %s", k)
			}
			checked++
			if !feasible(w) {
				if _, ok := mc.unfit[profile+"/"+v.name]; !ok {
					bad = append(bad, fmt.Sprintf("%s: feasible on the base, infeasible with %s (%v)", k, v.name, w["infeasible_reason"]))
				}
				continue
			}
			for _, c := range mc.lower {
				if a, b := num(r, c), num(w, c); !(b <= a*(1+1e-12)) && !slices.Contains(mc.moves[v.name], c) {
					bad = append(bad, fmt.Sprintf("%s: %s %.6g → %.6g with %s", k, c, a, b, v.name))
				}
			}
			for _, c := range mc.higher {
				if a, b := num(r, c), num(w, c); !(b >= a*(1-1e-12)) && !slices.Contains(mc.moves[v.name], c) {
					bad = append(bad, fmt.Sprintf("%s: %s %.6g → %.6g with %s", k, c, a, b, v.name))
				}
			}
		}
	}
	return checked, bad
}

func reportViolations(t *testing.T, bad []string) {
	t.Helper()
	for i, b := range bad {
		if i == 10 {
			t.Errorf("… %d violations in all", len(bad))
			break
		}
		t.Error(b)
	}
}

// TestBetterHardwareNeverWorse: doubling an accelerator's memory bandwidth, its peak
// rates, its memory or its links never makes a step slower, a rate lower, a deployment
// larger or a feasible point infeasible — on every catalog accelerator, in eleven
// studies, under both profiles.
func TestBetterHardwareNeverWorse(t *testing.T) {
	keys := allHardware()
	cat := withVariants(t, keys, betterHardware)
	for _, profile := range []string{"calibrated", "seed"} {
		for _, mc := range monotoneCases {
			t.Run(profile+"/"+mc.name, func(t *testing.T) {
				checked, bad := monotoneViolations(t, cat, profile, mc, keys, betterHardware)
				if checked < 50 {
					t.Fatalf("only %d feasible pairs compared", checked)
				}
				reportViolations(t, bad)
			})
		}
	}
}

// TestBetterHardwareCheckCanFail: the same check, told that halving the bandwidth or the
// peak is "better", finds the slower steps — so the test above can fail.
func TestBetterHardwareCheckCanFail(t *testing.T) {
	keys := []string{"H100", "A100", "T4"}
	worse := []hwVariant{{"bw2", scaleBandwidth(0.5)}, {"peak2", scalePeak(0.5)}, {"mem2", scaleMemory(0.25)}}
	cat := withVariants(t, keys, worse)
	for _, i := range []int{0, 2} { // node inference, serve
		mc := monotoneCases[i]
		_, bad := monotoneViolations(t, cat, "calibrated", mc, keys, worse)
		for _, v := range worse {
			n := 0
			for _, b := range bad {
				if strings.HasSuffix(b, "with "+v.name) || strings.Contains(b, "infeasible with "+v.name) {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: %s made worse, no violation found", mc.name, v.name)
			}
		}
	}
}

// near reports whether a and b agree to a relative 1e-9 (both zero included).
func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// servingConservation: the identities every serving study's economics columns obey.
var servingConservation = []struct {
	name   string
	study  string
	fixed  string
	axes   string
	output bool // the study writes tokens_per_s for the replica or fleet it prices
}{
	{"serve", "serve", "  seq_len: 2048\n", "  model: [Llama3_8B, Mixtral_8x7B]\n  batch_size: [1, 64]\n  tp: [1, 2]\n  precision: [fp16, fp8]\n", true},
	{"serve under load", "serve", "  seq_len: 1024\n  batch_size: 64\n", "  model: [Llama3_8B]\n  qps: [1, 8]\n  prefill_chunk_tokens: [0, 256]\n", true},
	{"serve-sla", "serve-sla", "  qps: 0.05\n", "  model: [Llama3_8B]\n  batch_size: [1, 16]\n  replicas: [1, 3]\n", false},
	{"batching", "batching", "", "  model: [Llama3_8B, Mixtral_8x7B]\n  max_batch_size: [8, 128]\n", true},
	{"serve-capacity", "serve-capacity", "  target_p99_ms: 20000\n", "  model: [Llama3_8B]\n  qps: [1, 50]\n", false},
	{"serve-deploy", "serve-deploy", "  target_ttft_ms: 2000\n  target_itl_ms: 100\n", "  model: [Llama3_8B]\n  qps: [2, 40]\n  mode: [aggregated, disaggregated]\n", false},
	{"serve-sim", "serve-sim", "  requests: 200\n  seq_len: 512\n  output_tokens: 64\n", "  model: [Llama3_8B]\n  qps: [1, 4]\n", false},
}

// TestServingEconomicsConserve: on every feasible row of every serving study, under both
// profiles, for catalog accelerators and a packaged 8-accelerator system:
//
//	usd_per_million_tokens · tokens_per_s_per_accelerator · 3600 / 1e6 = USD per accelerator-hour
//	joules_per_token · tokens_per_s_per_accelerator = power_w (per accelerator)
//	tokens_per_s_per_user · itl_ms / 1000 = 1 (under a request rate the TPOT's)
//	memory_capacity_gb · 1e9 = the catalog's bytes (decimal GB, never GiB)
//
// and the 8-accelerator box reports 8× the accelerators, ⅛ the tokens/s and watts per
// accelerator, and the same $ and joules per token, as the same silicon counted as one.
func TestServingEconomicsConserve(t *testing.T) {
	const hourUSD = 2.5
	cat := withVariants(t, []string{"H100", "A100", "MI300X"}, []hwVariant{
		{"box8", func(h *catalog.Hardware) { h.AcceleratorCount = 8 }},
	})
	hw := []string{"H100", "A100", "Prop_H100_base", "Prop_H100_box8", "Prop_MI300X_base", "Prop_MI300X_box8"}
	for _, profile := range []string{"calibrated", "seed"} {
		for _, sc := range servingConservation {
			t.Run(profile+"/"+sc.name, func(t *testing.T) {
				src := fmt.Sprintf("version: 1\nstudy: %s\nprofile: %s\nfixed:\n  accelerator_hour_usd: %g\n%saxes:\n  hardware: %s\n%s",
					sc.study, profile, hourUSD, sc.fixed, yamlList(hw), sc.axes)
				rows := propRows(t, cat, src)
				checked := 0
				var bad []string
				for _, r := range rows {
					if !feasible(r) {
						continue
					}
					checked++
					key := fmt.Sprintf("%v %v %v", r["hardware"], r["model"], r["point_id"])
					per := num(r, "tokens_per_s_per_accelerator")
					if got := num(r, "usd_per_million_tokens") * per * 3600 / 1e6; !near(got, hourUSD) {
						bad = append(bad, fmt.Sprintf("%s: $/M tokens × tokens/s/accelerator × 3600/1e6 = %.9g, want %g", key, got, hourUSD))
					}
					if got := num(r, "joules_per_token") * per; !near(got, num(r, "power_w")) {
						bad = append(bad, fmt.Sprintf("%s: J/token × tokens/s/accelerator = %.9g W, power_w %.9g", key, got, num(r, "power_w")))
					}
					// What one sequence sees per token: the fixed batch's ITL, under a
					// request rate the steady state's TPOT, simulated the mean TPOT.
					tpot := "itl_ms"
					if q, _ := r["qps"].(float64); sc.study == "serve" && q > 0 {
						tpot = "load_tpot_ms"
					} else if sc.study == "serve-sim" {
						tpot = "sim_tpot_mean_ms"
					}
					if d, ok := r[tpot].(float64); ok && d > 0 {
						if got := num(r, "tokens_per_s_per_user") * d / 1000; !near(got, 1) {
							bad = append(bad, fmt.Sprintf("%s: tokens/s/user × %s = %.9g, want 1", key, tpot, got))
						}
					} else {
						bad = append(bad, fmt.Sprintf("%s: no %s", key, tpot))
					}
					if sc.output {
						tps := num(r, "tokens_per_s")
						if q, _ := r["qps"].(float64); q > 0 {
							tps = q * num(r, "output_tokens")
						}
						if got := per * num(r, "accelerators"); !near(got, tps) {
							bad = append(bad, fmt.Sprintf("%s: tokens/s/accelerator × accelerators = %.9g, tokens_per_s %.9g", key, got, tps))
						}
					}
					if c, ok := r["memory_capacity_gb"].(float64); ok {
						h, err := cat.HardwareByKey(fmt.Sprint(r["hardware"]))
						if err != nil {
							t.Fatal(err)
						}
						if !near(c*1e9, h.MemCapacityBytes) {
							bad = append(bad, fmt.Sprintf("%s: memory_capacity_gb %.9g, catalog %.0f bytes", key, c, h.MemCapacityBytes))
						}
					}
				}
				if checked < 4 {
					t.Fatalf("only %d feasible rows", checked)
				}
				// The box against the same silicon counted as one accelerator: the rental
				// price is per accelerator, so the box's hour costs 8×.
				others := axisNames(sc.axes)
				idx := byHardware(rows, others)
				for _, r := range rows {
					hw := fmt.Sprint(r["hardware"])
					if !strings.HasSuffix(hw, "_box8") {
						continue
					}
					k := strings.TrimSuffix(hw, "box8") + "base"
					for _, o := range others {
						k += fmt.Sprintf("|%v", r[o])
					}
					b, ok := idx[k]
					if !ok || feasible(b) != feasible(r) {
						bad = append(bad, fmt.Sprintf("%s %v: no base row, or another feasibility", hw, r["point_id"]))
						continue
					}
					if !feasible(r) {
						continue
					}
					for _, c := range []struct {
						col string
						k   float64
					}{{"accelerators", 8}, {"tokens_per_s_per_accelerator", 1.0 / 8}, {"power_w", 1.0 / 8}, {"joules_per_token", 1}, {"usd_per_million_tokens", 8}, {"tokens_per_s_per_user", 1}} {
						if !near(num(r, c.col), c.k*num(b, c.col)) {
							bad = append(bad, fmt.Sprintf("%s %v: %s %.9g, want %g × the single device's %.9g", hw, r["point_id"], c.col, num(r, c.col), c.k, num(b, c.col)))
						}
					}
				}
				reportViolations(t, bad)
			})
		}
	}
}
