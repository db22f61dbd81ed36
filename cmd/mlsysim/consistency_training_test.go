package main

// Cross-surface agreement for training (consistency_test.go holds inference and serving):
// eval --training's flags and the node study's row; a fleet plan and the fleet study's
// row; and optimize parallelism's answer on an MoE plan re-evaluated as a plan.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// TestEvalTrainingEverySurface: one training step on one accelerator through eval's flags
// and as a one-point node sweep (JSON lines), and one fleet through a plan (cluster,
// parallelism, ops with a rental price and a stated power) and as a one-point fleet sweep,
// give the same numbers bit for bit, under both profiles.
func TestEvalTrainingEverySurface(t *testing.T) {
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			ev := oneObject(t, mustRun(t, "--profile", profile, "eval", "Llama3_8B", "H100", "--training", "-b", "2", "-s", "2048", "-p", "bf16",
				"--zero-stage", "3", "--dp-size", "8", "--activation-recomputation", "-o", "json"))
			spec := writeSpec(t, "node.yaml", "version: 1\nstudy: node\nfixed:\n  hardware: H100\n  training: true\n  batch_size: 2\n  seq_len: 2048\n  precision: bf16\n  zero_stage: 3\n  dp_size: 8\n  activation_recomputation: true\naxes:\n  model: [Llama3_8B]\n")
			row := jsonLines(t, mustRun(t, "--profile", profile, "sweep", spec, "--out", "-", "--format", "jsonl", "-q"))[0]
			if ev["f_status"] != "PASS" || row["feasible"] != true {
				t.Fatalf("want a feasible point: eval %v, sweep %v (%v)", ev["f_status"], row["feasible"], row["infeasible_reason"])
			}
			for _, c := range [][2]string{{"p_latency", "latency_ms"}, {"p_tokens_per_step", "tokens_per_step"}, {"p_tokens_per_s", "tokens_per_s"},
				{"p_mfu", "mfu"}, {"p_hfu", "hfu"}, {"p_energy_j", "energy_j"}, {"f_memory_used_gb", "memory_footprint_gb"},
				{"f_activation_memory_gb", "activation_memory_gb"}} {
				sameNumber(t, "eval --training "+c[0], ev[c[0]], row[c[1]].(float64))
			}

			const ops = "ops: {region: Quebec, duration_days: 10, rental_usd_per_accelerator_hour: 2.5, power_per_accelerator_w: 550}\n"
			plan := writeSpec(t, "plan.yaml", "version: \"1.0\"\nname: fleet surfaces\nworkload: {name: Llama3_8B, batch_size: 256, seq_len: 2048}\n"+
				"hardware: {cluster: Research_256, precision: bf16}\nparallelism: {tp: 8, pp: 2, dp: auto, microbatches: 8, zero_stage: 1}\n"+ops)
			pl := oneObject(t, mustRun(t, "--profile", profile, "eval", plan, "-o", "json"))
			fspec := writeSpec(t, "fleet.yaml", "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 256\n  seq_len: 2048\n  precision: bf16\n  tp: 8\n  pp: 2\n  microbatches: 8\n  zero_stage: 1\n"+
				"  region: Quebec\n  duration_days: 10\n  rental_usd_per_accelerator_hour: 2.5\n  power_per_accelerator_w: 550\naxes:\n  model: [Llama3_8B]\n")
			fr := jsonLines(t, mustRun(t, "--profile", profile, "sweep", fspec, "--out", "-", "--format", "jsonl", "-q"))[0]
			if pl["f_status"] != "PASS" || fr["feasible"] != true {
				t.Fatalf("want a feasible fleet: plan %v, sweep %v (%v)", pl["f_status"], fr["feasible"], fr["infeasible_reason"])
			}
			for _, c := range [][2]string{{"p_step_latency", "step_latency_ms"}, {"p_tokens_per_s", "tokens_per_s"}, {"p_tokens_per_step", "tokens_per_step"},
				{"p_mfu", "mfu"}, {"p_hfu", "hfu"}, {"p_fleet_throughput", "fleet_throughput_per_s"}, {"p_bubble", "bubble_ms"},
				{"f_memory_used_gb", "memory_per_accelerator_gb"}, {"f_activations_gb", "activations_gb"},
				{"m_tco_usd", "tco_usd"}, {"m_energy_kwh", "energy_kwh"}, {"m_water_l", "water_l"}, {"m_pue", "pue"}} {
				sameNumber(t, "plan "+c[0], pl[c[0]], fr[c[1]].(float64))
			}
			sameNumber(t, "plan m_carbon_footprint (t)", pl["m_carbon_footprint"], fr["carbon_kg"].(float64)/1000)
			// The rental and the stated power, by hand: 2.5 USD × 256 × 24 h × 10 d; 550 W × 256 × 240 h.
			sameNumber(t, "rented TCO", pl["m_tco_usd"], 2.5*256*24*10)
			sameNumber(t, "IT energy × PUE", pl["m_energy_kwh"], 550*256*240/1000*fr["pue"].(float64))
		})
	}
}

// TestPlanNoGoodput: a plan whose fleet fails faster than it can train (131,072 DGX H100
// nodes: 852 failures a day) is not feasible, and the scorecard says why, not only the
// memory that fits (it printed Feasibility FAIL beside "10.2 GB / 85.9 GB per accelerator").
func TestPlanNoGoodput(t *testing.T) {
	plan := writeSpec(t, "big.yaml", "version: \"1.0\"\nname: a million H100s\nworkload: {name: Llama3_8B, batch_size: 1048576, seq_len: 2048}\n"+
		"hardware: {name: H100, node_count: 131072, accelerators_per_node: 8, precision: bf16}\nparallelism: {tp: 1, pp: 1, dp: auto, zero_stage: 3}\n")
	out := mustRun(t, "eval", plan)
	if _, ok := containsAll(out, "binding wall: 15 Fragility", "Feasibility  [FAIL]  no goodput: 852 node failures a day"); !ok {
		t.Errorf("the scorecard does not say why:\n%s", out)
	}
	js := oneObject(t, mustRun(t, "eval", plan, "-o", "json"))
	if js["f_status"] != "FAIL" || js["binding_wall"] != "15 Fragility" {
		t.Errorf("f_status %v, binding_wall %v; want FAIL, 15 Fragility", js["f_status"], js["binding_wall"])
	}
}

// TestOptimizeParallelismReevaluatesMoE: optimize parallelism on Mixtral 8x7B (expert
// parallelism within data parallelism, calibrated) — each of its three best layouts,
// written back into the plan, has the step time, MFU and memory per accelerator the
// optimizer reported (TestOptimizeParallelismReevaluates does the dense Llama-3 8B).
func TestOptimizeParallelismReevaluatesMoE(t *testing.T) {
	const base = "version: \"1.0\"\nname: Mixtral on Research_256\nworkload: {name: Mixtral_8x7B, batch_size: 512, seq_len: 4096}\nhardware: {cluster: Research_256, precision: bf16}\n"
	plan := writeSpec(t, "plan.yaml", base+"parallelism: {tp: 2, pp: 4, ep: 8, dp: auto, microbatches: 16, zero_stage: 1}\n")
	var opt struct {
		Top []parallelismPick `json:"top_candidates"`
	}
	out := mustRun(t, "optimize", "parallelism", plan, "-o", "json")
	if err := json.Unmarshal([]byte(out), &opt); err != nil || len(opt.Top) < 3 {
		t.Fatalf("want ≥ 3 candidates (%v):\n%s", err, out)
	}
	for i, c := range opt.Top[:3] {
		par := fmt.Sprintf("parallelism: {tp: %v, pp: %v, ep: 8, dp: auto, microbatches: %v, zero_stage: %v, virtual_stages: %v, activation_checkpointing: %v",
			c.Config["tp"], c.Config["pp"], c.Config["microbatches"], c.Config["zero_stage"], c.Config["virtual_stages"], c.Config["activation_checkpointing"])
		if s := fmt.Sprint(c.Config["schedule"]); s != "none" {
			par += ", pipeline_schedule: " + strings.TrimPrefix(s, "interleaved_")
		}
		reevaluatePick(t, i, c, base+par+"}\n")
	}
}

// TestOptimizeServingPicksHoldUnderSimulation: the cheapest aggregated and disaggregated
// deployments optimize serving recommends (Llama-3 70B at 10 requests/s on MI300X, FP8), each replica simulated request by request by
// serve (aggregated: --qps at its share; disaggregated: --prefill-instances P at the whole
// rate), meet the TTFT and ITL targets they were chosen for (mean TTFT, mean TPOT), under
// both profiles; and under calibrated they are the numbers optimize reported — aggregated,
// serve's closed form: TPOT = ITL (same step, 1e-9), TTFT within 1 %, $ and J per token
// within 1e-4 (the draw is averaged over the steps by each path); disaggregated, the
// simulation: TPOT within 5 %, TTFT within 10 %, $ per million tokens within 1 %, tokens/s
// per accelerator equal. (These tolerances were set after a first look at one point:
// 0.02 %, 1e-15, 6e-8 and 8e-7; −2.9 %, +0.2 %, 0.1 % and equal.)
//
// The seed's aggregated pick is the exception, by decision (issue #10's simcons round): the
// seed's closed form has no wait for a free batch slot (docs/PHYSICS.md §34.3 is
// calibrated only), and it picks 2 × MI300X at batch 47 for 10 requests/s, 99 % of a
// replica's capacity — closed form TTFT 201 ms (serve: 193 ms), simulated mean 3,461 ms
// against the 1,000 ms target. The seed keeps its closed form (its goldens) and says what
// its latencies are instead: its latency_basis is pinned here, and its pick must meet the
// targets by that closed form (serve --qps's load_ttft_ms and load_tpot_ms), which is what
// it claims.
func TestOptimizeServingPicksHoldUnderSimulation(t *testing.T) {
	const qps, ttft, itl = 10.0, 1000.0, 50.0
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			// MI300X in FP8 up to batch 128 (7,680 layouts): the picks of the wider search
			// over H100 and MI300X, every precision, up to batch 256, at a fraction of its
			// time (the race detector slows a sweep ~100×).
			out := mustRun(t, "--profile", profile, "optimize", "serving", "Llama3_70B", "--qps", fmt.Sprint(qps), "--ttft-ms", fmt.Sprint(ttft),
				"--itl-ms", fmt.Sprint(itl), "--hardware", "MI300X", "--precision", "fp8", "--kv-precision", "fp8", "--max-batch", "128", "-o", "json")
			var opt struct {
				In  float64        `json:"input_tokens"`
				Out float64        `json:"output_tokens"`
				Agg map[string]any `json:"best_aggregated"`
				Dis map[string]any `json:"best_disaggregated"`
				// Basis is what the latencies are (the seed's closed form, or the calibrated one).
				Basis string `json:"latency_basis"`
			}
			if err := json.Unmarshal([]byte(out), &opt); err != nil || opt.Agg == nil || opt.Dis == nil {
				t.Fatalf("want an aggregated and a disaggregated pick (%v):\n%s", err, out)
			}
			serve := func(b map[string]any, extra ...string) map[string]any {
				args := append([]string{"--profile", profile, "serve", "Llama3_70B", fmt.Sprint(b["hardware"]), "-p", fmt.Sprint(b["precision"]),
					"--kv-precision", fmt.Sprint(b["kv_precision"]), "--tp", fmt.Sprint(b["tp"]), "--pp", fmt.Sprint(b["pp"]),
					"-b", fmt.Sprint(b["batch_size"]), "-s", fmt.Sprint(opt.In), "--output-tokens", fmt.Sprint(opt.Out), "-o", "json"}, extra...)
				return oneObject(t, mustRun(t, args...))
			}
			f := func(m map[string]any, k string) float64 { v, _ := m[k].(float64); return v }
			within := func(what string, got, want, tol float64) {
				if !(math.Abs(got-want) <= tol*math.Abs(want)) {
					t.Errorf("%s: %.9g, optimize reported %.9g (tolerance %g)", what, got, want, tol)
				}
			}
			agg := serve(opt.Agg, "--qps", strconv.FormatFloat(qps/f(opt.Agg, "replicas"), 'g', -1, 64))
			dis := serve(opt.Dis, "--qps", fmt.Sprint(qps), "--prefill-instances", fmt.Sprint(opt.Dis["prefill_instances"]), "--prefill-tp", fmt.Sprint(opt.Dis["prefill_tp"]))
			if agg["sim_feasible"] != true || dis["sim_feasible"] != true {
				t.Fatalf("a pick is not feasible simulated: aggregated %v (%v), disaggregated %v (%v)", agg["sim_feasible"], agg["sim_infeasible_reason"], dis["sim_feasible"], dis["sim_infeasible_reason"])
			}
			t.Logf("aggregated %v: TTFT %.4g ms (serve %.4g, simulated %.4g), ITL %.4g ms (simulated %.4g)", opt.Agg["hardware"], f(opt.Agg, "ttft_ms"), f(agg, "load_ttft_ms"), f(agg, "sim_ttft_mean_ms"), f(opt.Agg, "itl_ms"), f(agg, "sim_tpot_mean_ms"))
			t.Logf("disaggregated %v: TTFT %.4g ms (simulated %.4g), ITL %.4g ms (simulated %.4g)", opt.Dis["hardware"], f(opt.Dis, "ttft_ms"), f(dis, "sim_ttft_mean_ms"), f(opt.Dis, "itl_ms"), f(dis, "sim_tpot_mean_ms"))
			for _, c := range []struct {
				what string
				sim  map[string]any
			}{{"disaggregated", dis}, {"aggregated", agg}} {
				if profile == "seed" && c.what == "aggregated" {
					if b := opt.Basis; b != seedLatencyBasis {
						t.Errorf("seed latency_basis %q, want %q", b, seedLatencyBasis)
					}
					if f(c.sim, "load_ttft_ms") > ttft || f(c.sim, "load_tpot_ms") > itl {
						t.Errorf("seed aggregated pick misses its targets by its own closed form: TTFT %.6g ms (target %g), TPOT %.6g ms (target %g)",
							f(c.sim, "load_ttft_ms"), ttft, f(c.sim, "load_tpot_ms"), itl)
					}
					t.Logf("seed aggregated: closed form TTFT %.6g ms, simulated %.6g ms (not checked: latency_basis)", f(c.sim, "load_ttft_ms"), f(c.sim, "sim_ttft_mean_ms"))
					continue
				}
				if f(c.sim, "sim_ttft_mean_ms") > ttft || f(c.sim, "sim_tpot_mean_ms") > itl {
					t.Errorf("%s: simulated mean TTFT %.6g ms (target %g), mean TPOT %.6g ms (target %g)", c.what, f(c.sim, "sim_ttft_mean_ms"), ttft, f(c.sim, "sim_tpot_mean_ms"), itl)
				}
			}
			if profile != "calibrated" {
				return
			}
			within("aggregated: serve's TPOT", f(agg, "load_tpot_ms"), f(opt.Agg, "itl_ms"), 1e-9)
			within("aggregated: serve's TTFT", f(agg, "load_ttft_ms"), f(opt.Agg, "ttft_ms"), 0.01)
			within("aggregated: serve's $ per million tokens", f(agg, "usd_per_million_tokens"), f(opt.Agg, "usd_per_million_tokens"), 1e-4)
			within("aggregated: serve's joules per token", f(agg, "joules_per_token"), f(opt.Agg, "joules_per_token"), 1e-4)
			within("disaggregated: simulated mean TPOT", f(dis, "sim_tpot_mean_ms"), f(opt.Dis, "itl_ms"), 0.05)
			within("disaggregated: simulated mean TTFT", f(dis, "sim_ttft_mean_ms"), f(opt.Dis, "ttft_ms"), 0.10)
			within("disaggregated: simulated $ per million tokens", f(dis, "sim_usd_per_million_tokens"), f(opt.Dis, "usd_per_million_tokens"), 0.01)
			within("disaggregated: simulated tokens/s per accelerator", f(dis, "sim_tokens_per_s_per_accelerator"), f(opt.Dis, "tokens_per_s_per_accelerator"), 1e-12)
		})
	}
}

// TestOptimizeParallelismBetterHardware: optimize parallelism over a cluster of H100
// copies whose memory bandwidth, peak rates, memory or scale-up links are doubled never
// finds a slower best step than over the unchanged copy (every layout's step is no slower
// there — sweep's TestFleetBetterHardwareNeverWorse — and no layout stops fitting), under
// both profiles; and over a copy with half the peak (seed: half the links) it does (the
// check can fail).
func TestOptimizeParallelismBetterHardware(t *testing.T) {
	if raceEnabled {
		// Fourteen searches; the race detector slows each ~100× and the package's tests
		// share one 20-minute limit. The relation is each layout's (sweep's
		// TestFleetBetterHardwareNeverWorse, which runs under it).
		t.Skip("fourteen optimizer searches: run without -race")
	}
	cat := catalog.MustDefault()
	h, err := cat.HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, f func(c *catalog.Hardware)) *catalog.Hardware {
		c := *h
		c.Key, c.Corrections, c.MIG = "Opt_H100_"+name, nil, nil
		f(&c)
		return &c
	}
	scaleLink := func(l *catalog.Link, k float64) *catalog.Link {
		if l == nil {
			return nil
		}
		c := *l
		c.BytesPerS *= k
		c.BusBytesPerS *= k
		return &c
	}
	peak := func(k float64) func(c *catalog.Hardware) {
		return func(c *catalog.Hardware) {
			c.PeakFLOPS *= k
			rates := map[string]float64{}
			for p, r := range c.Rates {
				rates[p] = r * k
			}
			c.Rates = rates
		}
	}
	hws := []*catalog.Hardware{
		variant("base", func(*catalog.Hardware) {}),
		variant("bw2", func(c *catalog.Hardware) {
			c.MemBandwidthBytesPerS *= 2
			c.AchievableBandwidthBytesPerS *= 2
		}),
		variant("peak2", peak(2)),
		variant("mem2", func(c *catalog.Hardware) { c.MemCapacityBytes *= 2 }),
		variant("link2", func(c *catalog.Hardware) { c.ScaleUp, c.HostLink = scaleLink(c.ScaleUp, 2), scaleLink(c.HostLink, 2) }),
		variant("halfpeak", peak(0.5)),
		variant("halflink", func(c *catalog.Hardware) {
			c.ScaleUp, c.HostLink = scaleLink(c.ScaleUp, 0.5), scaleLink(c.HostLink, 0.5)
		}),
	}
	b, err := catalog.EncodeHardwareYAML(hws)
	if err != nil {
		t.Fatal(err)
	}
	catFile := writeSpec(t, "hw.yaml", string(b))
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			best := map[string]float64{}
			worse := map[string]string{"calibrated": "halfpeak", "seed": "halflink"}[profile]
			for _, hw := range hws {
				v := strings.TrimPrefix(hw.Key, "Opt_H100_")
				plan := writeSpec(t, hw.Key+".yaml", "version: \"1.0\"\nname: Llama-3 8B on 256\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"+
					"hardware: {name: "+hw.Key+", node_count: 32, accelerators_per_node: 8, precision: bf16}\n")
				var opt struct {
					Best float64 `json:"best_step_time"`
				}
				out := mustRun(t, "--profile", profile, "--catalog", catFile, "optimize", "parallelism", plan, "-o", "json")
				if err := json.Unmarshal([]byte(out), &opt); err != nil || !(opt.Best > 0) {
					t.Fatalf("%s: %v\n%s", hw.Key, err, out)
				}
				best[v] = opt.Best
			}
			t.Logf("best steps, ms: %v", best)
			for _, v := range []string{"bw2", "peak2", "mem2", "link2"} {
				if got := best[v]; !(got <= best["base"]*(1+1e-12)) {
					t.Errorf("%s: best step %.9g ms, the unchanged H100's %.9g ms", v, best[v], best["base"])
				}
			}
			// The seed prices this node step on the host-link offload path (docs/PHYSICS.md
			// §25: the whole model's state does not fit one accelerator), so there the links
			// bind and the peak does not move its best step.
			if !(best[worse] > best["base"]) {
				t.Errorf("%s: best step %.9g ms, not slower than %.9g ms: the check cannot fail", worse, best[worse], best["base"])
			}
		})
	}
}

// TestBundledSweepBytesIndependentOfWorkers: the bundled reliability, serving-sim and
// serve-capacity grids (studies TestSweepBytesIndependentOfWorkers leaves out) write the
// same Parquet bytes with 1 and 3 workers and on a second run, at a part size and batch
// size that split the grid unevenly, and the same JSON lines at other part and batch sizes
// — under both profiles.
func TestBundledSweepBytesIndependentOfWorkers(t *testing.T) {
	// Part and batch sizes that split each grid (3,840, 16 and 1,152 points) unevenly.
	sizes := map[string][2]string{"reliability": {"700", "37"}, "serving-sim": {"5", "3"}, "serve-capacity": {"250", "37"}}
	for _, grid := range []string{"reliability", "serving-sim", "serve-capacity"} {
		part, batch := sizes[grid][0], sizes[grid][1]
		for _, profile := range []string{"calibrated", "seed"} {
			if raceEnabled && (profile == "seed" || grid == "serving-sim") {
				// The race detector slows a sweep ~100×: one profile, and not the
				// simulation's grid (sweep's TestBundledGridsReproducible holds its rows).
				continue
			}
			t.Run(grid+"/"+profile, func(t *testing.T) {
				run := func(format string, extra ...string) map[string][]byte {
					dir := filepath.Join(t.TempDir(), "out")
					mustRun(t, append([]string{"--profile", profile, "sweep", grid, "--out", dir, "--format", format, "-q"}, extra...)...)
					_, files := readParts(t, dir, format)
					return files
				}
				one := run("parquet", "--workers", "1", "--part-points", part, "--batch-size", batch)
				three := run("parquet", "--workers", "3", "--part-points", part, "--batch-size", batch)
				again := run("parquet", "--workers", "3", "--part-points", part, "--batch-size", batch)
				if len(one) < 3 || len(one) != len(three) || len(one) != len(again) {
					t.Fatalf("parts: %d, %d, %d (want the same, at least 3)", len(one), len(three), len(again))
				}
				for n, b := range one {
					if !bytes.Equal(b, three[n]) || !bytes.Equal(b, again[n]) {
						t.Errorf("%s: bytes differ between 1 worker, 3 workers and a second run", n)
					}
				}
				join := func(files map[string][]byte) []byte {
					var all []byte
					for _, n := range slices.Sorted(maps.Keys(files)) {
						all = append(all, files[n]...)
					}
					return all
				}
				a := join(run("jsonl", "--workers", "1", "--part-points", part, "--batch-size", "2"))
				b := join(run("jsonl", "--workers", "2", "--part-points", "1000000", "--batch-size", "1000"))
				if !bytes.Equal(a, b) {
					t.Errorf("JSON lines differ with the part and batch sizes (%d, %d bytes)", len(a), len(b))
				}
			})
		}
	}
}
