package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
	"github.com/mlsysim/mlsysim/sweep"
)

func (a *app) serveCommand() *cli.Command {
	return &cli.Command{
		Name:          "serve",
		Usage:         "LLM serving of one replica: TTFT, ITL, KV cache, memory, tokens/s and cost per token",
		ArgsUsage:     "MODEL HARDWARE",
		ShellComplete: a.completeArgs(modelKeys, hardwareKeys, noKeys),
		Description: `Prefill (time to first token) is compute-bound, decode (inter-token latency)
memory-bound: every generated token re-reads the weights and the KV cache
(physics.md §6.1 of the seed). The calibrated profile (the default) times both as
a roofline at the accelerator's measured streaming bandwidth and matmul efficiency
(docs/PHYSICS.md §33), so large batches turn compute-bound ("Decode bound" in the
text output). A replica spans --tp × --pp accelerators (tensor parallelism on the
scale-up link, pipeline stages in turn); --ep spreads a MoE model's experts;
--draft-model adds speculative decoding (mtp: the model's own multi-token-prediction
module, for models that ship one, e.g. DeepSeek_V3; a draft model must be smaller than
the target and hold the sequence plus the drafted tokens in its context window, else the
point is infeasible); --engine names the serving engine whose
kernels, all-reduce and scheduling the calibrated step charges (default vllm;
mlsysim zoo engines). A split the model cannot take (tp not
dividing the heads or not splitting the KV heads, pp above the layers, ep not dividing the experts or tp, tp beyond a
node) is bad input. MODEL must be a transformer.

--qps Q puts the replica under Poisson arrivals of Q requests/s, each a prompt of
--seq-len tokens and --output-tokens generated ones (default 256; the model's context
window must hold both, exceeds_context otherwise), with --batch-size
(required with --qps) the engine's largest batch: the steady state's mean concurrency, TTFT, time per output
token and share of capacity follow the fixed-batch lines, and the cost and the memory
(memory_utilization: the sequences the load keeps decoding, at the full context of prompt and
output) are the steady state's (docs/PHYSICS.md §34.1); the KV cache line stays the full batch's. A rate the replica cannot keep up with is infeasible
(overloaded; exit 2 with --strict), never a number. With --prefill-chunk-tokens the
calibrated engine batches prompt chunks with the decode step (stall-free batching);
without it, whole prompts run between steps.

The same flags also run a discrete-event simulation of the replica (docs/PHYSICS.md
§34.2, the serve-sim study): --requests requests (default 2000) arrive at --qps from a
seeded Poisson stream (--seed, default 1: same seed, same output), each iteration priced
by the same step physics, and the requests' P50/P90/P99 TTFT, TPOT and end-to-end
latency follow. --ttft-ms and --tpot-ms (alias --itl-ms) set per-request targets: the
share meeting both is the attainment, and the goodput — the highest rate at which
--attainment (default 0.9) of the requests meet them — is searched; without --qps the
percentiles are sampled at the goodput, and the Per accelerator and Cost lines are the
replica's at that rate (the fixed batch's tokens/s in brackets: a full --batch-size at
every step, which the goodput need not fill). --prefill-instances P (with --decode-instances
D, --prefill-tp T, and --qps or a target) simulates disaggregated pools instead: P prefill
instances of T accelerators hand each prompt's KV cache to D decode instances of tp × pp;
goodput per accelerator counts all of them. The load_* lines stay the colocated replica's
mean model, and the fixed-batch lines (feasible among them) stay --batch-size's; without
--qps, --strict judges the simulation alone, which admits what memory holds up to it, and so
it does with pools whose rate one colocated replica alone could not keep up with (the
Feasible line then says which: the pools' verdict, beside that replica's overload).
A rate at or above the simulated capacity is overloaded (no percentile; where the
steady-state mean still keeps up, the Feasible line says both); targets met at
no rate give no goodput (ttft_target_missed / itl_target_missed; exit 2 with --strict).
Simulated requests that cannot run at all (exceeds_context, out_of_memory, a refused
layout or draft) give no capacity, goodput, percentile or cost: the Sim feasible line says
why. With a simulation, --batch-size is required (the engine's largest batch); --attainment
outside (0, 1], a target ≤ 0 and pools < 1 are bad input.

JSON keys follow the seed (model, hardware, seq_len, batch_size, precision,
efficiency, feasible, ttft_ms, itl_ms, tokens_per_sec, kv_cache_gb,
memory_utilization, and prefill_chunks, prefill_chunk_time_ms,
decode_stall_bound_ms when chunking) plus weights_gb, total_memory_gb,
accelerators, tokens_per_s_per_accelerator, tokens_per_s_per_user, power_w,
joules_per_token and usd_per_million_tokens, all unrounded (with --qps also qps,
output_tokens and the load_* columns: load_concurrency, load_decode_batch, load_ttft_ms,
load_tpot_ms, load_prefill_utilization, load_max_batch, load_capacity_qps (every request
queued: the batching study's rate), load_poisson_capacity_qps (the most Poisson arrivals keep
steady, where the point turns overloaded), load_utilization (qps over the latter); null where overloaded; with a simulation sim_qps, sim_ttft_p50_ms …
sim_e2e_p99_ms, sim_ttft_mean_ms, sim_tpot_mean_ms, sim_attainment (these null where the rate
overloads the server or, with targets met at no rate, none is sampled: sim_qps 0), sim_capacity_qps (every
request queued), sim_poisson_capacity_qps (where the simulation calls the rate overloaded:
load_poisson_capacity_qps for one calibrated replica of whole prompts), sim_accelerators, prefill_instances, decode_instances, prefill_tp, kv_transfer_ms,
sim_requests, sim_seed, with targets target_ttft_ms, target_tpot_ms, attainment,
goodput_qps and goodput_qps_per_accelerator, then sim_tokens_per_s_per_accelerator,
sim_power_w, sim_joules_per_token and sim_usd_per_million_tokens (the economics at the
simulated rate, null where none is sampled or it overloads the server; the text's Per
accelerator and Cost lines show them with pools, or without --qps), then sim_feasible and, when it is false,
sim_infeasible_reason), cost_basis (owned: the
amortised price and energy; rental: --accelerator-hour-usd; energy_only: the accelerator
states no price, which the text says too), kv_precision (the format the KV cache is stored in:
--kv-precision's, resolved — under its default auto the engine's default, the checkpoint's KV
scheme (vllm, sglang and trtllm each keep the scheme a checkpoint names, else the model's
dtype; vLLM's early-2024 V0 entries vllm-0.2, vllm-0.2.7 and vllm-0.3 keep the model's dtype): calibrated, FP8 under fp8 weights (an FP8 checkpoint's FP8 scheme: state
--kv-precision bf16 for one that names none) and 16-bit under int8, int4 and fp4 weights
(their checkpoints name none), the weights' own format otherwise, seed the weights' own;
under same the weights' own; the text's KV cache line says which),
infeasible_reason when feasible is false, and host_step_ms where the engine has a measured
host time per step (vllm-0.2, vllm-0.2.7, vllm-0.3; calibrated): that time at the point's
batch and tp, which the ITL includes (the text's Host time line); efficiency is the one the matmuls ran at. An accelerator whose catalog entry states no TDP draws the
seed's fallback power (an H100's 700 W); the text output says so. --spec-tokens and
--spec-acceptance need --draft-model (refused without it: they would change nothing);
--step-overhead-ms and --engine are refused under --profile seed, which has no engine terms,
and --ep above 1 there, whose serving step has no expert parallelism;
--tp-across-nodes where tp fits in a node, and --node-size where every group (tp, ep,
the replica's tp × pp; seed: tp alone) stays on the same side of it as of the default 8.

Examples:
   mlsysim serve Llama3_8B H100
   mlsysim serve Llama3_70B H100 -b 8 -p fp8 --tp 2 --seq-len 8192 --prefill-chunk-tokens 512
   mlsysim serve Llama3_70B H100 --tp 2                # tensor parallel over NVLink
   mlsysim serve Llama3_70B H100 -p fp8 --tp 4 --pp 2 --kv-precision fp8 -b 64
   mlsysim serve Llama3_70B H100 -p fp8 --tp 4 --draft-model Llama3_8B --spec-acceptance 0.7
   mlsysim serve Llama3_70B H100 -p fp8 --tp 2 -b 256 -s 1024 --qps 4 --output-tokens 256
   mlsysim serve OPT_13B A100 -b 256 -s 512 --output-tokens 64 --ttft-ms 400 --tpot-ms 40
   mlsysim serve OPT_13B A100 -b 256 -s 512 --output-tokens 64 --ttft-ms 400 --tpot-ms 40 --prefill-instances 2`,
		Flags: append(append(servingFlags(),
			&cli.IntFlag{Name: "prefill-chunk-tokens", Usage: "chunked prefill: tokens per chunk", DefaultText: "0, the whole prompt in one chunk"},
			&cli.FloatFlag{Name: "qps", Usage: "Poisson request rate at the replica, requests/s: TTFT, TPOT and concurrency in steady state, with prompts of --seq-len tokens and --batch-size the engine's largest batch (docs/PHYSICS.md §34.1), and their simulated percentiles (§34.2)", DefaultText: "0, no request rate: a fixed batch"},
			&cli.IntFlag{Name: "output-tokens", Value: 256, Usage: "generated tokens per request (with --qps, targets or pools)"},
		), serveSimFlags()...),
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json", "markdown")
			if err != nil {
				return err
			}
			model, hw, err := a.targets(c, "serve")
			if err != nil {
				return err
			}
			chunk := c.Int("prefill-chunk-tokens")
			if c.IsSet("prefill-chunk-tokens") && chunk <= 0 {
				return badInputf("--prefill-chunk-tokens", "must be > 0, got %d", chunk)
			}
			qps := c.Float("qps")
			if c.IsSet("qps") && !(qps > 0) {
				return badInputf("--qps", "must be a request rate > 0 (requests/s), got %v; leave it out for the fixed batch alone", qps)
			}
			if c.IsSet("qps") && !c.IsSet("batch-size") {
				// Under a rate --batch-size is the engine's cap on the decode batch; its
				// default of 1 would serve one request at a time and call most rates
				// overloaded, an answer about a setting nobody asked for.
				return badInputf("--batch-size", "is the engine's largest decode batch under --qps (vLLM's max_num_seqs, TensorRT-LLM's max_batch_size); give it, e.g. -b 256 — the default 1 would serve one request at a time")
			}
			if c.IsSet("output-tokens") && !simulating(c) {
				return badInputf("--output-tokens", "applies under a request rate or a simulation only; add --qps, --ttft-ms/--tpot-ms or --prefill-instances (or drop --output-tokens)")
			}
			if err := a.simFlagsCheck(c, model); err != nil {
				return err
			}
			if d := c.String("draft-model"); d != "none" && d != "mtp" {
				// A draft must be a language model; a catalog key of another family
				// is the user's slip, not a scenario to mark infeasible.
				if dm, err := a.cat.ModelByKey(d); err == nil && !dm.Family.IsTransformer() {
					return badInputf("--draft-model", "%s is a %s model, not a language model that can draft tokens; name a language model smaller than %s (%s) or mtp",
						dm.Key, dm.Family, model, a.smallerLLMs(model))
				}
			}
			if d := c.String("draft-model"); d == "none" {
				// Without a draft nothing is drafted: the flags would change nothing.
				for _, f := range []string{"spec-tokens", "spec-acceptance"} {
					if c.IsSet(f) {
						return badInputf("--"+f, "applies to speculative decoding only; add --draft-model mtp or a draft model key (or drop --%s)", f)
					}
				}
			}
			layout, err := a.servingAxes(c, model)
			if err != nil {
				return err
			}
			axes := append(append(a.scenarioAxes(c, model, hw), layout...),
				axis("prefill_chunk_tokens", strconv.Itoa(chunk), "--prefill-chunk-tokens"),
				axis("qps", strconv.FormatFloat(qps, 'g', -1, 64), "--qps"),
				axis("output_tokens", strconv.Itoa(c.Int("output-tokens")), "--output-tokens"))
			row, err := a.evalOne("serve", axes)
			if err != nil {
				return err
			}
			var sim map[string]any
			if simulating(c) {
				simAx := append(append(a.scenarioAxes(c, model, hw), layout...), simAxes(c)...)
				if sim, err = a.evalOne("serve-sim", simAx); err != nil {
					return err
				}
			}
			if err := a.mtpCheck(c, model); err != nil {
				return err
			}
			if c.IsSet("step-overhead-ms") && a.String("profile") == "seed" {
				return badInputf("--step-overhead-ms", "changes nothing under the seed profile, whose serving step has no engine overhead; use --profile calibrated (or drop it)")
			}
			if err := a.seedEngine(c); err != nil {
				return err
			}
			if c.Int("ep") > 1 && a.String("profile") == "seed" {
				// Mixtral_8x7B at tp 8 gave the same TTFT, ITL and memory at ep 1, 2 and 8.
				return badInputf("--ep", "changes nothing under the seed profile, whose serving step has no expert parallelism (no all-to-all; the experts are priced as at ep 1); use --profile calibrated (or drop it)")
			}
			if err := a.precisionFlag(hw, c.String("precision"), format); err != nil {
				return err
			}
			var noTDP, noPrice bool
			devices := 1
			if h, err := a.cat.HardwareByKey(hw); err == nil {
				noTDP = h.TDPW == 0
				noPrice = h.UnitCostUSD == 0 && c.Float("accelerator-hour-usd") == 0
				devices = max(1, h.AcceleratorCount)
			}
			simWhy := ""
			if sim != nil && sim["feasible"] != true {
				simWhy = a.infeasibleWhy(sim)
			}
			if err := renderServe(a.stdout, format, row, sim, a.infeasibleWhy(row), simWhy, chunk > 0, qps > 0, noTDP, noPrice, devices, a.hostStepMS(row)); err != nil {
				return err
			}
			if sim != nil && (qps == 0 || pooledOverload(row, sim)) {
				// Without a rate the fixed-batch lines are --batch-size's; the simulation,
				// which admits what memory holds up to it, decides. With disaggregated pools
				// the rate is theirs: one colocated replica that cannot keep up with it is not
				// the deployment asked about (4 prefill + 1 decode MI300X keep up with 20
				// requests/s of Llama3_70B that its 2-accelerator replica alone cannot: it
				// exited 2 with --strict, "overloaded").
				return a.strictCheck(c, sim)
			}
			if err := a.strictCheck(c, row); err != nil || sim == nil {
				return err
			}
			return a.strictCheck(c, sim)
		},
	}
}

// costBasis says what usd_per_million_tokens counts: a rental price per accelerator-hour,
// an owned accelerator's amortised price and energy, or the energy alone when the catalog
// states no price (a cost that is not a full cost must say so).
func costBasis(row map[string]any, noPrice bool) string {
	switch {
	case noPrice:
		return "energy_only"
	case row["accelerator_hour_usd"] != nil && row["accelerator_hour_usd"] != 0.0:
		return "rental"
	}
	return "owned"
}

// decodeBound names what limits a serve row's decode step from its binding wall.
func decodeBound(wall, reason any) string {
	switch wall {
	case "1 Compute":
		return "compute (the step's FLOPs outlast its bytes)"
	case "2 Memory":
		return "memory bandwidth (weights + KV cache per step)"
	case "4 Serving", "14 Communication", "":
		// 14 Communication: a split the model cannot take; none: refused before any wall
		// (a request past the context, a format with no rate; sweep/binding.go).
		if reason != "out_of_memory" {
			return "— (the point is infeasible)"
		}
		return "— (weights + KV cache do not fit)"
	default:
		return fmt.Sprintf("%v", wall)
	}
}

// renderServe writes a serve row; noTDP says the accelerator states no TDP, so its power
// (and joules and owned cost per token) rests on the seed's fallback, kernel.FallbackTDPW;
// noPrice that it states no price and none was given, so the cost is the energy alone.
//
// Under a request rate (loaded) the load columns follow, and the per-token cost is the
// steady state's (the sweep writes it so).
//
// devices > 1: the hardware entry is a packaged system of that many accelerators, run as
// one device; its memory is the system's and the per-accelerator lines share it out.
// kvWhy says where a KV cache's format came from when --kv-precision named none. Under
// auto the engine's default is the checkpoint's KV scheme (engines.yaml, kv_cache_auto):
// the weights' own format when it is FP8 (an FP8 checkpoint's FP8 scheme, which the point
// assumes), the model's 16-bit dtype when the weights' checkpoints name none (int8, int4,
// fp4) and the model's dtype under 16- or 32-bit weights.
func kvWhy(asked, profile, engine, weights, format any) string {
	switch {
	case asked == sweep.KVSame:
		return " (the weights' format: --kv-precision same)"
	case asked == sweep.KVAuto && profile == "seed":
		return " (the weights' format: --kv-precision auto under the seed profile)"
	case asked == sweep.KVAuto && format == "fp8" && weights == "fp8":
		return fmt.Sprintf(" (%v's default, the checkpoint's KV scheme, taken as FP8 for FP8 weights; --kv-precision bf16 for a checkpoint that names none: --kv-precision auto)", engine)
	case asked == sweep.KVAuto && format != weights:
		return fmt.Sprintf(" (%v's default for these weights, the model's 16-bit dtype: their checkpoints name no KV scheme: --kv-precision auto)", engine)
	case asked == sweep.KVAuto:
		return fmt.Sprintf(" (%v's default, the model's dtype: --kv-precision auto)", engine)
	}
	return ""
}

// tpOr1 is a row's tp, 1 when it has none.
func tpOr1(v any) any {
	if v == nil {
		return 1
	}
	return v
}

// hostStepMS is the engine's measured host time per decode step at the point's batch and
// tp (calibrated, an engine with a host_step table: vLLM V0, docs/PHYSICS.md §33), ms, which
// the ITL includes; −1 when the point charges none.
func (a *app) hostStepMS(row map[string]any) float64 {
	e, err := a.cat.EngineByKey(fmt.Sprint(row["engine"]))
	if err != nil || e.HostStep == nil || row["profile"] != "calibrated" {
		return -1
	}
	num := func(k string, def float64) float64 {
		if v, ok := row[k].(float64); ok {
			return v
		}
		if v, ok := row[k].(int64); ok {
			return float64(v)
		}
		return def
	}
	h := kernel.HostStep{Batches: e.HostStep.Batches, TPs: e.HostStep.TPs, S: e.HostStep.Total()}
	return h.At(num("batch_size", 1), num("tp", 1)) * 1e3
}

func renderServe(w io.Writer, format string, row, sim map[string]any, why, simWhy string, chunked, loaded, noTDP, noPrice bool, devices int, hostMS float64) error {
	f := func(k string) float64 { v, _ := row[k].(float64); return v }
	// The cache's format, as the point stored it (kv_format): --kv-precision, or under its
	// default auto the engine's (calibrated: the checkpoint's KV scheme, FP8 under fp8
	// weights and none, 16-bit, under int8, int4 and fp4 weights), or
	// the weights' own under same. Say which, so an int4 answer's cache size can be read.
	kvFormat := fmt.Sprint(row["kv_format"])
	obj := orderedObject{
		{"model", row["model"]}, {"hardware", row["hardware"]}, {"seq_len", row["seq_len"]},
		{"batch_size", row["batch_size"]}, {"precision", row["precision"]}, {"efficiency", row["efficiency_used"]},
		{"feasible", row["feasible"]}, {"ttft_ms", f("ttft_ms")}, {"itl_ms", f("itl_ms")},
		{"tokens_per_sec", f("tokens_per_s")}, {"kv_cache_gb", f("kv_cache_gb")},
		{"memory_utilization", f("memory_utilization")}, {"weights_gb", f("weights_gb")},
		{"total_memory_gb", f("total_memory_gb")}, {"profile", row["profile"]}, {"engine", row["engine"]},
		{"accelerators", f("accelerators")}, {"tokens_per_s_per_accelerator", f("tokens_per_s_per_accelerator")},
		{"tokens_per_s_per_user", f("tokens_per_s_per_user")}, {"power_w", f("power_w")},
		{"joules_per_token", f("joules_per_token")}, {"usd_per_million_tokens", f("usd_per_million_tokens")},
		{"cost_basis", costBasis(row, noPrice)},
		{"kv_precision", kvFormat},
	}
	if row["feasible"] != true {
		// The text says why; JSON must too, or a caller sees "feasible": false and guesses.
		obj = append(obj, kv{"infeasible_reason", row["infeasible_reason"]})
	}
	if hostMS >= 0 {
		obj = append(obj, kv{"host_step_ms", hostMS})
	}
	if acc := f("accelerators"); acc > 1 {
		obj = append(obj, kv{"tp", row["tp"]}, kv{"pp", row["pp"]}, kv{"ep", row["ep"]}, kv{"tp_comm_ms", f("tp_comm_ms")}, kv{"pp_comm_ms", f("pp_comm_ms")})
	}
	if chunked {
		obj = append(obj, kv{"prefill_chunks", int(f("prefill_chunks"))},
			kv{"prefill_chunk_time_ms", f("prefill_chunk_time_ms")}, kv{"decode_stall_bound_ms", f("prefill_chunk_time_ms")})
	}
	if loaded {
		obj = append(obj, kv{"qps", f("qps")}, kv{"output_tokens", row["output_tokens"]})
		for _, k := range []string{"load_concurrency", "load_decode_batch", "load_ttft_ms", "load_tpot_ms",
			"load_prefill_utilization", "load_max_batch", "load_capacity_qps", "load_poisson_capacity_qps", "load_utilization"} {
			obj = append(obj, kv{k, f(k)})
		}
	}
	if sim != nil {
		obj = append(obj, simObject(sim)...)
	}
	if format == "json" {
		return writeJSON(w, obj)
	}
	engine := fmt.Sprint(row["engine"])
	if row["profile"] == "seed" {
		engine += " (the seed profile does not model engines)"
	}
	feasible := "yes"
	switch {
	case pooledOverload(row, sim) && sim["feasible"] == true:
		feasible = fmt.Sprintf("yes, as the disaggregated pools simulated below (one colocated replica of %.0f accelerators alone is overloaded)", f("accelerators"))
	case pooledOverload(row, sim):
		feasible = fmt.Sprintf("no (one colocated replica of %.0f accelerators is overloaded; the disaggregated pools: %v)", f("accelerators"), sim["infeasible_reason"])
	case row["feasible"] != true:
		feasible = fmt.Sprintf("no (%s)", why)
	case loaded && sim != nil && sim["infeasible_reason"] == "overloaded":
		// The steady-state mean (§34.1) and the simulation of the same replica (§34.2) can
		// disagree just below capacity (the simulation's lengths are exact, its arrivals a
		// finite trace; with chunked prefill the scheduler may also put two prompts in one
		// step): Llama3_8B on an H100 at -b 16, chunks of 512, 12.6 requests/s printed
		// "Feasible yes" above "Percentiles none: … overloaded" (exit 2 with --strict,
		// which judges both).
		feasible = fmt.Sprintf("no as simulated (overloaded: simulated capacity %.4g requests/s), yes by the steady-state mean (capacity %.4g requests/s)",
			simNum(sim["poisson_capacity_qps"]), f("load_poisson_capacity_qps"))
	}
	perAccel := fmt.Sprintf("%s tokens/s at %s W", smallFixed(f("tokens_per_s_per_accelerator"), 1), smallFixed(f("power_w"), 0))
	if loaded && row["feasible"] == true && f("accelerators") > 0 {
		// The steady state's rate, not the full batch's Tokens/s line divided out.
		perAccel += fmt.Sprintf(" under %g requests/s (the full batch: %.1f tokens/s)", f("qps"), f("tokens_per_s")/f("accelerators"))
	}
	cost := fmt.Sprintf("%s per million tokens, %.3g J per token", fmtUSD(f("usd_per_million_tokens")), f("joules_per_token"))
	if simPriced(sim, loaded) {
		perAccel, cost = simEconomics(row, sim, simWhy)
	}
	if row["feasible"] != true && !simPriced(sim, loaded) {
		// A batch that does not fit never runs: its rate and price are what it would
		// be, were it to fit (OPT_13B on an A100 at -b 256 -s 2048 printed $0.22 per
		// million tokens for 529.9 % of memory), as the Decode bound line says.
		note := fmt.Sprintf(" (not reachable: %s; the batch as if it fitted)", why)
		perAccel += note
		cost += note
	}
	if noTDP {
		perAccel += fmt.Sprintf(" (assumed: %v states no TDP; the seed's fallback is an H100's)", row["hardware"])
	}
	if noPrice {
		cost += fmt.Sprintf(" (energy only: %v states no price; add --accelerator-hour-usd)", row["hardware"])
	}
	lines := [][2]string{
		{"Sequence length", fmt.Sprintf("%v tokens", row["seq_len"])},
		{"Batch size", fmt.Sprint(row["batch_size"])},
		{"Precision", fmt.Sprint(row["precision"])},
		{"Efficiency", fmtPct(f("efficiency_used"))},
		{"Engine", engine},
		{"Feasible", feasible},
		{"TTFT (prefill)", fmt.Sprintf("%.2f ms", f("ttft_ms"))},
		{"ITL (decode)", fmt.Sprintf("%.4f ms per token", f("itl_ms"))},
		{"Tokens/s", fmt.Sprintf("%.1f (batch / ITL)", f("tokens_per_s"))},
		{"Decode bound", decodeBound(row["binding_wall"], row["infeasible_reason"])},
		{"Weights", fmt.Sprintf("%.2f GB", f("weights_gb"))},
		{"KV cache", fmt.Sprintf("%.2f GB in %s%s", f("kv_cache_gb"), kvFormat, kvWhy(row["kv_precision"], row["profile"], row["engine"], row["precision"], row["kv_format"]))},
		{"Memory", fmt.Sprintf("%.2f GB of %.2f GB (%s)", f("total_memory_gb"), f("memory_capacity_gb"), fmtPct(f("memory_utilization")))},
		{"Per accelerator", perAccel},
		{"Cost", cost},
	}
	switch acc := f("accelerators"); {
	case devices > 1:
		lines[12] = [2]string{"Memory", fmt.Sprintf("%s of %.2f GB per %v, a packaged system of %d accelerators: %.0f accelerators (tp %v × pp %v systems)",
			fmtPct(f("memory_utilization")), f("memory_capacity_gb"), row["hardware"], devices, acc, row["tp"], row["pp"])}
		lines = append(lines, [2]string{"Exchanges", fmt.Sprintf("%.4f ms TP, %.4f ms PP per decode step", f("tp_comm_ms"), f("pp_comm_ms"))})
	case acc > 1:
		lines[12] = [2]string{"Memory", fmt.Sprintf("%s of %.2f GB per accelerator, %.0f accelerators (tp %v × pp %v)",
			fmtPct(f("memory_utilization")), f("memory_capacity_gb"), acc, row["tp"], row["pp"])}
		lines = append(lines, [2]string{"Exchanges", fmt.Sprintf("%.4f ms TP, %.4f ms PP per decode step", f("tp_comm_ms"), f("pp_comm_ms"))})
	}
	if hostMS >= 0 {
		lines = append(lines, [2]string{"Host time", fmt.Sprintf("%.2f ms per decode step at batch %v, tp %v, in the ITL (%v's measured host time per step: docs/PHYSICS.md §33)",
			hostMS, row["batch_size"], tpOr1(row["tp"]), row["engine"])})
	}
	if loaded {
		// Under a rate the memory is the load's (memory_utilization, as the wall and the
		// verdict read it): --batch-size is the engine's cap, and the full batch's bytes
		// beside "Feasible yes" read as 659 % of memory for a replica that holds 3.4
		// sequences.
		seqs := min(f("load_decode_batch")+1, f("load_max_batch"))
		lines[12][1] = fmt.Sprintf("%s of %.2f GB per accelerator under the load (%.3g sequences of %.0f tokens); the full batch of %v at %v tokens: %.2f GB",
			fmtPct(f("memory_utilization")), f("memory_capacity_gb"), seqs, simNum(row["seq_len"])+simNum(row["output_tokens"]), row["batch_size"], row["seq_len"], f("total_memory_gb"))
		lines[11][1] += fmt.Sprintf(" for the full batch of %v", row["batch_size"])
	}
	if chunked {
		lines = append(lines, [2]string{"Prefill chunks", fmt.Sprintf("%.0f", f("prefill_chunks"))},
			[2]string{"Decode stall max", fmt.Sprintf("%.2f ms per chunk", f("prefill_chunk_time_ms"))})
	}
	if loaded {
		lines = append(lines, loadLines(row)...)
	}
	if sim != nil {
		lines = append(lines, simLines(sim, simWhy)...)
	}
	title := fmt.Sprintf("Serving analysis: %v on %v", row["model"], row["hardware"])
	if format == "markdown" {
		fmt.Fprintf(w, "## %s\n\n| Metric | Value |\n|---|---|\n", title)
		for _, l := range lines {
			fmt.Fprintf(w, "| %s | %s |\n", l[0], l[1])
		}
		return nil
	}
	fmt.Fprintf(w, "%s\n", title)
	for _, l := range lines {
		fmt.Fprintf(w, "  %-17s %s\n", l[0], l[1])
	}
	return nil
}

// simPriced reports whether serve's Per accelerator and Cost lines are the simulation's:
// with disaggregated pools, the deployment asked about is the pools at the simulated rate
// (the replica's own figures, its fixed batch when overloaded, priced 4 prefill + 1 decode
// MI300X serving Llama3_70B at $0.069 per million tokens where the pools' cost is $0.23);
// with targets and no --qps, the replica at its goodput (the fixed batch's figures are a
// full --batch-size at every step, which the goodput's rate does not fill: OPT_13B on an
// A100 at -b 256 printed 2499 tokens/s and $0.076 per million tokens, a batch that does not
// fit, where the replica at its goodput of 5.43 requests/s of 64 tokens delivers 348).
func simPriced(sim map[string]any, loaded bool) bool {
	return sim != nil && (pooled(sim) || !loaded)
}

// simEconomics are the Per accelerator and Cost lines at the simulated rate, or none where
// no rate is sampled (targets met at no rate, or overloaded).
func simEconomics(row, sim map[string]any, simWhy string) (perAccel, cost string) {
	s := func(k string) float64 { return simNum(sim[k]) }
	if simUnfit(sim) {
		none := fmt.Sprintf("none: the simulated requests cannot run (%s)", simWhy)
		return none, none
	}
	who := fmt.Sprintf("one replica of %.0f accelerator(s) at %.4g requests/s, the goodput; the fixed batch of %v: %.1f tokens/s",
		s("accelerators"), s("sim_qps"), row["batch_size"], simNum(row["tokens_per_s_per_accelerator"]))
	costWho := "the replica at its goodput"
	if pooled(sim) {
		who = fmt.Sprintf("the pools' %.0f accelerators at %.4g requests/s", s("accelerators"), s("sim_qps"))
		costWho = "the pools"
	}
	if s("sim_qps") <= 0 || sim["infeasible_reason"] == "overloaded" || !(s("tokens_per_s_per_accelerator") > 0) {
		none := fmt.Sprintf("none: the targets are met at no rate (%v)", sim["infeasible_reason"])
		if sim["infeasible_reason"] == "overloaded" {
			none = "none: the rate overloads the server, which delivers no steady rate to price"
		}
		return none, none
	}
	return fmt.Sprintf("%s tokens/s at %s W (%s)", smallFixed(s("tokens_per_s_per_accelerator"), 1), smallFixed(s("power_w"), 0), who),
		fmt.Sprintf("%s per million tokens, %.3g J per token (%s)", fmtUSD(s("usd_per_million_tokens")), s("joules_per_token"), costWho)
}

// pooledOverload reports whether the only verdict against a serve row is its colocated
// replica's overload while disaggregated pools (--prefill-instances) are simulated at the
// rate: the pools, not that replica, are the deployment asked about.
func pooledOverload(row, sim map[string]any) bool {
	if sim == nil || row["infeasible_reason"] != "overloaded" {
		return false
	}
	return pooled(sim)
}

// pooled reports whether a simulation is of disaggregated pools (--prefill-instances).
func pooled(sim map[string]any) bool {
	return sim != nil && simNum(sim["prefill_instances"]) > 0
}

// smallFixed formats v with the given decimals, or with three significant digits where
// those would round it to zero: a microcontroller's 0.3 W and 0.0155 tokens/s printed as
// "0.0 tokens/s at 0 W" beside 19.3 J per token.
func smallFixed(v float64, decimals int) string {
	if v != 0 && math.Abs(v) < math.Pow(10, -float64(decimals)) {
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

// loadLines are serve's text lines under a request rate. The fixed-batch lines above
// them stay at --batch-size; the cost line is the steady state's.
func loadLines(row map[string]any) [][2]string {
	f := func(k string) float64 { v, _ := row[k].(float64); return v }
	capacity := fmt.Sprintf("%.3g requests/s at most (largest batch %.0f)", f("load_poisson_capacity_qps"), f("load_max_batch"))
	if q, p := f("load_capacity_qps"), f("load_poisson_capacity_qps"); q > p*(1+1e-9) {
		// Under Poisson arrivals the slots free in the groups a stream prefills back to back,
		// so passes hold fewer prompts than with every request queued (docs/PHYSICS.md §34.8).
		capacity = fmt.Sprintf("%.4g requests/s at most under Poisson arrivals, %.4g with every request queued (largest batch %.0f)", p, q, f("load_max_batch"))
	}
	lines := [][2]string{
		{"Request rate", fmt.Sprintf("%.4g requests/s (Poisson), %v-token prompts, %v generated tokens", f("qps"), row["seq_len"], row["output_tokens"])},
		{"Capacity", fmt.Sprintf("%s (%s used)", capacity, fmtPct(f("load_utilization")))},
	}
	if f("load_max_batch") < 1 {
		// Nothing fits: no capacity to use a share of (it printed "+Inf % used").
		lines[1][1] = fmt.Sprintf("none: memory holds no sequence of %.0f tokens beside the weights (largest batch 0)", f64(row, "seq_len")+f64(row, "output_tokens"))
	}
	if row["infeasible_reason"] == "overloaded" {
		return append(lines, [2]string{"Steady state", "none: overloaded (the queue grows without bound)"})
	}
	if row["feasible"] != true {
		return lines
	}
	// What load_ttft_ms adds up (§34.1, §34.3): the calibrated profile also waits for one of
	// the batch's slots, which the seed's does not.
	ttftParts := "running step + prompt queue + prefill + wait for a free batch slot"
	if row["profile"] == "seed" {
		ttftParts = "running step + prompt queue + prefill"
	}
	tpot := fmt.Sprintf("%.4f ms per token mean", f("load_tpot_ms"))
	if f64(row, "output_tokens") <= 1 {
		tpot = "none: one generated token per request, no time between tokens"
	}
	return append(lines,
		[2]string{"Concurrency", fmt.Sprintf("%.1f requests in the replica, %.1f decoding", f("load_concurrency"), f("load_decode_batch"))},
		[2]string{"TTFT (loaded)", fmt.Sprintf("%.2f ms mean (%s)", f("load_ttft_ms"), ttftParts)},
		[2]string{"TPOT (loaded)", tpot},
		[2]string{"Prefill share", fmtPct(f("load_prefill_utilization")) + " of the replica's time"},
	)
}

// servingFlags are serve's flags: eval's, with efficiency defaulting to the profile's,
// and the serving layout.
func servingFlags() []cli.Flag {
	var flags []cli.Flag
	for _, f := range commonFlags() {
		switch f.Names()[0] {
		case "efficiency":
			f = &cli.FloatFlag{Name: "efficiency", Aliases: []string{"e"}, Value: 0,
				Usage: "achieved fraction of peak FLOP/s in [0, 1]; 0 = the profile's (calibrated: the accelerator's measured matmul efficiency; seed: 0.5)"}
		case "seq-len":
			// eval's words ("inference here counts no KV cache (mlsysim serve does)") were
			// serve's help for the flag that sizes its prompt and KV cache.
			f = &cli.IntFlag{Name: "seq-len", Aliases: []string{"s"}, Value: 2048,
				Usage: "sequence length in tokens: the prompt the prefill (TTFT) processes and the context each sequence's KV cache holds (with --qps, each request's prompt)"}
		}
		flags = append(flags, f)
	}
	return append(flags,
		&cli.IntFlag{Name: "tp", Value: 1, Usage: "tensor-parallel accelerators per pipeline stage (scale-up link; must divide the heads, and divide the KV heads or be a multiple of them)"},
		&cli.IntFlag{Name: "pp", Value: 1, Usage: "pipeline stages (at most the layers)"},
		&cli.IntFlag{Name: "ep", Value: 1, Usage: "expert-parallel ranks of a MoE model (must divide the experts and tp: its ranks are a stage's tp accelerators)"},
		&cli.IntFlag{Name: "node-size", Value: 8, Usage: "accelerators on one scale-up link"},
		&cli.BoolFlag{Name: "tp-across-nodes", Usage: "allow tensor parallelism beyond one node (over the fabric)"},
		&cli.StringFlag{Name: "kv-precision", Value: sweep.KVAuto, Usage: "KV cache format: auto (the engine's default, the checkpoint's KV scheme: calibrated, FP8 under fp8 weights, 16-bit under int8, int4 and fp4 weights, else the weights'), same (the weights') or a precision"},
		&cli.StringFlag{Name: "draft-model", Value: "none", Usage: "speculative decoding: none, mtp, or a catalog model key"},
		&cli.IntFlag{Name: "spec-tokens", Value: 4, Usage: "tokens drafted per step (with --draft-model)"},
		&cli.FloatFlag{Name: "spec-acceptance", Value: 0.7, Usage: "probability a drafted token is accepted, in [0, 1] (with --draft-model)"},
		&cli.StringFlag{Name: "engine", Value: sweep.DefaultEngine, Usage: "serving engine (mlsysim zoo engines): kernels per layer, all-reduce latency, step overhead and measured host time per step, memory budget, attention precision"},
		&cli.FloatFlag{Name: "step-overhead-ms", Usage: "engine time per step not overlapped with the accelerator, added to the engine's own"},
		&cli.FloatFlag{Name: "accelerator-hour-usd", Usage: "rental price per accelerator-hour (0: owned, amortised + energy)"},
	)
}

// mtpCheck refuses --draft-model mtp for a model that ships no multi-token-prediction
// module (catalog mtp_layers): a sweep marks such a point model_has_no_mtp_module, but a
// flag the model cannot take is bad input. It runs after the point is planned, so a
// value out of range is reported first.
func (a *app) mtpCheck(c *cli.Command, model string) error {
	m, err := a.cat.ModelByKey(model)
	if err != nil || c.String("draft-model") != sweep.DraftMTP || m.MTPLayers > 0 {
		return nil
	}
	var with []string
	for _, o := range a.cat.Models {
		if o.MTPLayers > 0 {
			with = append(with, o.Key)
		}
	}
	return badInputf("--draft-model", "mtp drafts with the model's own multi-token-prediction module, and %s ships none (catalog mtp_layers, a config.json's num_nextn_predict_layers); models that do: %s. Name a draft model key instead (e.g. a smaller model of the family), or none",
		m.Key, strings.Join(with, ", "))
}

// servingAxes turns the layout flags into axes, refusing a split the model cannot take.
func (a *app) servingAxes(c *cli.Command, model string) ([]sweep.Axis, error) {
	tp, pp, ep, node := c.Int("tp"), c.Int("pp"), c.Int("ep"), c.Int("node-size")
	for _, f := range []string{"tp", "pp", "ep", "node-size"} {
		if v := c.Int(f); v < 1 || v > sweep.MaxParallel {
			return nil, badInputf("--"+f, "must be in [1, %d], got %d", sweep.MaxParallel, v)
		}
	}
	if m, err := a.cat.ModelByKey(model); err == nil {
		if err := sweep.ServingLayoutError(m, tp, pp, ep, node, c.Bool("tp-across-nodes")); err != nil {
			return nil, badInput("--tp/--pp/--ep", err)
		}
	}
	if err := a.nodeFlagsEffect(c, tp, pp, ep, node); err != nil {
		return nil, err
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return []sweep.Axis{
		axis("tp", strconv.Itoa(tp), "--tp"), axis("pp", strconv.Itoa(pp), "--pp"), axis("ep", strconv.Itoa(ep), "--ep"),
		axis("node_size", strconv.Itoa(node), "--node-size"), axis("tp_across_nodes", strconv.FormatBool(c.Bool("tp-across-nodes")), "--tp-across-nodes"),
		axis("kv_precision", c.String("kv-precision"), "--kv-precision"), axis("draft_model", c.String("draft-model"), "--draft-model"),
		axis("spec_tokens", strconv.Itoa(c.Int("spec-tokens")), "--spec-tokens"), axis("spec_acceptance", g(c.Float("spec-acceptance")), "--spec-acceptance"),
		axis("engine", c.String("engine"), "--engine"), axis("step_overhead_ms", g(c.Float("step-overhead-ms")), "--step-overhead-ms"),
		axis("accelerator_hour_usd", g(c.Float("accelerator-hour-usd")), "--accelerator-hour-usd"),
	}, nil
}

// nodeFlagsEffect refuses --node-size and --tp-across-nodes where they change nothing.
// A node bounds the groups that stay on the scale-up link: the calibrated step sends
// the tp and ep collectives and the pipeline's sends (a replica of tp × pp) over the
// fabric once their group outgrows it (kernel/serving.go, link); the seed's step has
// no fabric, so there the node only bounds tp (sweep.ServingLayoutError). A value that
// puts every group on the same side as the default node of 8 gives the same answer.
func (a *app) nodeFlagsEffect(c *cli.Command, tp, pp, ep, node int) error {
	if c.Bool("tp-across-nodes") && tp <= node {
		return badInputf("--tp-across-nodes", "changes nothing: tp %d fits in a node of %d; it allows a tensor-parallel group larger than --node-size (drop it)", tp, node)
	}
	if !c.IsSet("node-size") {
		return nil
	}
	groups := []int{tp, ep, tp * pp}
	if a.String("profile") == "seed" {
		groups = groups[:1]
	}
	for _, g := range groups {
		if (g > node) != (g > kernel.DefaultNodeSize) {
			return nil
		}
	}
	return badInputf("--node-size", "changes nothing: with tp %d × pp %d (ep %d) each group stays on the same side of a node of %d as of the default %d, so every exchange takes the same link; it matters once tp, ep or tp × pp outgrow one of them%s",
		tp, pp, ep, node, kernel.DefaultNodeSize, map[bool]string{true: " (under --profile seed only tp: the seed's serving step has no fabric)"}[a.String("profile") == "seed"])
}

// seedEngine refuses --engine under the seed profile: the engine's kernels, all-reduce
// latency, step overhead and memory budget are terms of the calibrated serving step
// only (docs/PHYSICS.md §33), so the seed's answer would only echo the name.
func (a *app) seedEngine(c *cli.Command) error {
	if c.IsSet("engine") && a.String("profile") == "seed" {
		return badInputf("--engine", "changes nothing under the seed profile, whose serving step has no engine terms (kernels, all-reduce latency, step overhead, memory budget: calibrated only); use --profile calibrated (or drop it)")
	}
	return nil
}

// smallerLLMs names up to four catalog language models smaller than target, the largest
// first: the drafts an error message can suggest.
func (a *app) smallerLLMs(target string) string {
	t, err := a.cat.ModelByKey(target)
	if err != nil {
		return "none found"
	}
	var smaller []*catalog.Model
	for _, m := range a.cat.Models {
		if m.Family.IsTransformer() && m.Parameters < t.Parameters {
			smaller = append(smaller, m)
		}
	}
	slices.SortStableFunc(smaller, func(x, y *catalog.Model) int { return cmp.Compare(y.Parameters, x.Parameters) })
	var out []string
	for _, m := range smaller[:min(4, len(smaller))] {
		out = append(out, m.Key)
	}
	if len(out) == 0 {
		return "none in the catalog"
	}
	return strings.Join(out, ", ")
}
