package sweep

import (
	"github.com/mlsysim/mlsysim/kernel"
)

// MaxSimRequests bounds the requests one simulated run takes: a goodput search runs ~15
// of them per point, and 10^6 requests is seconds each.
const MaxSimRequests = 1 << 20

// The serve-sim study: a discrete-event simulation of a colocated replica or of
// disaggregated prefill and decode pools under Poisson arrivals — percentiles of TTFT,
// TPOT and end-to-end latency, SLO attainment and goodput (kernel.ServingSim).
func init() {
	register(&Study{
		Name:      "serve-sim",
		Doc:       "LLM serving under Poisson arrivals, simulated request by request: P50/P90/P99 TTFT, TPOT and latency, SLO attainment and goodput, colocated or with disaggregated prefill and decode pools (docs/PHYSICS.md §34.2)",
		Objective: Objective{Column: "goodput_qps_per_accelerator", Minimize: false},
		Params: withServing(
			modelParam, hardwareParam, precisionParam, servingEffParam,
			Param{Name: "batch_size", Kind: KindInt, Default: "256", Min: 1, Max: maxBatch, Doc: "the engine's largest decode batch (vLLM's max_num_seqs) of a replica or decode instance"},
			Param{Name: "seq_len", Kind: KindInt, Default: "1024", Min: 1, Max: MaxTokens, Unit: "tokens", Doc: "prompt tokens per request"},
			Param{Name: "output_tokens", Kind: KindInt, Default: "256", Min: 1, Max: MaxTokens, Unit: "tokens", Doc: "generated tokens per request (the first from the prefill)"},
			Param{Name: "prefill_chunk_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "chunked prefill: the calibrated colocated engine batches up to this many prompt tokens with each decode step (0 = whole prompts in iterations of their own)"},
			Param{Name: "cached_prefix_len", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens", Doc: "prompt tokens already in a prefix cache (must be < seq_len; the same for every request)"},
			Param{Name: "qps", Kind: KindFloat, Default: "0", Min: 0, Gap: true, Least: MinQPS, Max: MaxQPS, Unit: "1/s",
				Doc: "Poisson request rate the percentiles are sampled at (0 = at the goodput, when a target is set; with neither the point is infeasible, no_rate)"},
			Param{Name: "requests", Kind: KindInt, Default: "2000", Min: 1, Max: MaxSimRequests, Doc: "requests per simulated run (the server starts empty; every request is measured)"},
			Param{Name: "seed", Kind: KindInt, Default: "1", Min: 0, Max: 1 << 32, Doc: "seed of the arrival stream (PCG): the same seed gives the same arrivals and results"},
			Param{Name: "target_ttft_ms", Kind: KindFloat, Default: "0", Min: 0, Max: 1e7, Unit: "ms", Doc: "TTFT target a request must meet (0 = none)"},
			Param{Name: "target_tpot_ms", Kind: KindFloat, Default: "0", Min: 0, Max: 1e7, Unit: "ms", Doc: "TPOT target a request must meet, (last − first token)/(output_tokens − 1) (0 = none)"},
			Param{Name: "attainment", Kind: KindFloat, Default: "0.9", Min: 0, MinOpen: true, Max: 1, Doc: "share of requests that must meet both targets for a rate to count as goodput"},
			Param{Name: "prefill_instances", Kind: KindInt, Default: "0", Min: 0, Max: MaxParallel, Doc: "disaggregated: prefill instances of prefill_tp accelerators (0 = colocated: one replica prefills and decodes)"},
			Param{Name: "decode_instances", Kind: KindInt, Default: "1", Min: 1, Max: MaxParallel, Doc: "disaggregated: decode instances of tp · pp accelerators (1 colocated)"},
			Param{Name: "prefill_tp", Kind: KindInt, Default: "1", Min: 1, Max: MaxParallel, Doc: "tensor-parallel accelerators of one prefill instance (disaggregated)"},
		),
		Columns: append([]Column{
			{Name: "sim_qps", Unit: "1/s", Doc: "the rate the sim_* columns are sampled at: qps, or the goodput when qps is 0 (0: nothing sampled)"},
			{Name: "sim_ttft_p50_ms", Unit: "ms", Doc: "median time to first token (prefill end, + KV transfer disaggregated) over the run's requests (+Inf overloaded; NaN, null in JSON, where nothing is sampled, as every sim_ latency and sim_attainment)"},
			{Name: "sim_ttft_p90_ms", Unit: "ms", Doc: "P90 time to first token (nearest rank)"},
			{Name: "sim_ttft_p99_ms", Unit: "ms", Doc: "P99 time to first token (nearest rank)"},
			{Name: "sim_tpot_p50_ms", Unit: "ms", Doc: "median time per output token after the first, (last − first token)/(output_tokens − 1)"},
			{Name: "sim_tpot_p90_ms", Unit: "ms", Doc: "P90 time per output token"},
			{Name: "sim_tpot_p99_ms", Unit: "ms", Doc: "P99 time per output token"},
			{Name: "sim_e2e_p50_ms", Unit: "ms", Doc: "median end-to-end latency, arrival to last token"},
			{Name: "sim_e2e_p90_ms", Unit: "ms", Doc: "P90 end-to-end latency"},
			{Name: "sim_e2e_p99_ms", Unit: "ms", Doc: "P99 end-to-end latency"},
			{Name: "sim_ttft_mean_ms", Unit: "ms", Doc: "mean time to first token"},
			{Name: "sim_tpot_mean_ms", Unit: "ms", Doc: "mean time per output token"},
			{Name: "sim_attainment", Doc: "share of the run's requests meeting both targets (1 without targets; 0 overloaded; NaN when nothing is sampled)"},
			{Name: "goodput_qps", Unit: "1/s", Doc: "highest Poisson rate at which at least attainment of the requests meet both targets (bisection on one arrival trace; 0 without targets or when none is met)"},
			{Name: "goodput_qps_per_accelerator", Unit: "1/s", Doc: "goodput_qps / accelerators"},
			{Name: "capacity_qps", Unit: "1/s", Doc: "the rate the simulated server sustains with every request queued (colocated: batch_size over its prefills and decode steps; disaggregated: the lesser of the pools'; the batching study's and serve's load_capacity_qps, docs/PHYSICS.md §34.7)"},
			{Name: "poisson_capacity_qps", Unit: "1/s", Doc: "the highest rate Poisson arrivals keep steady; qps at or above it is overloaded: calibrated colocated whole prompts serve's load_poisson_capacity_qps (docs/PHYSICS.md §34.8), else capacity_qps; the goodput search stays below it"},
			{Name: "prefill_ms", Unit: "ms", Doc: "one prompt's prefill on the replica or a prefill instance"},
			{Name: "decode_step_ms", Unit: "ms", Doc: "one decode step of the largest batch at the mean context of the generated tokens"},
			{Name: "kv_transfer_ms", Unit: "ms", Doc: "moving a prompt's KV cache to a decode instance (0 colocated)"},
			{Name: "max_batch", Doc: "the largest decode batch: batch_size, or the sequences memory holds at seq_len + output_tokens if fewer"},
		}, append(servingColumns, colBindingWall, colFeasible, colReason)...),
		check: transformersOnly("serving"),
		newEval: func(p *Plan) evaluator {
			return inChunks(&simEval{st: p.Study, t: newServingTables(p)})
		},
		// A point is one to ~15 simulated runs (milliseconds to tens of milliseconds,
		// BENCHMARKS.md): a dry run samples 4 × 64 points, not 4 × 16,384.
		sampleBatch: 64,
	})
}

type simEval struct {
	st  *Study
	t   *servingTables
	in  kernel.SimIn
	out kernel.SimOut
}

func (e *simEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	in := &e.in
	e.t.gather(c, &in.ServeIn)
	in.SeqLen, in.Batch = c.get("seq_len"), c.get("batch_size")
	in.ChunkTokens, in.CachedPrefix = c.get("prefill_chunk_tokens"), c.get("cached_prefix_len")
	in.OutputTokens, in.QPS, in.Requests, in.Seed = c.get("output_tokens"), c.get("qps"), c.get("requests"), c.get("seed")
	in.TTFTTarget, in.TPOTTarget = grow(in.TTFTTarget, n), grow(in.TPOTTarget, n)
	scaleInto(in.TTFTTarget, c.get("target_ttft_ms"), 1e-3)
	scaleInto(in.TPOTTarget, c.get("target_tpot_ms"), 1e-3)
	in.Attainment = c.get("attainment")
	in.PrefillInstances, in.DecodeInstances, in.PrefillTP = c.get("prefill_instances"), c.get("decode_instances"), c.get("prefill_tp")
	kernel.ServingSim(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("sim_qps"), out.SampledQPS)
	for q, pct := range []string{"p50", "p90", "p99"} {
		scaleInto(w.f("sim_ttft_"+pct+"_ms"), out.TTFT[q], 1e3)
		scaleInto(w.f("sim_tpot_"+pct+"_ms"), out.TPOT[q], 1e3)
		scaleInto(w.f("sim_e2e_"+pct+"_ms"), out.E2E[q], 1e3)
	}
	scaleInto(w.f("sim_ttft_mean_ms"), out.TTFTMean, 1e3)
	scaleInto(w.f("sim_tpot_mean_ms"), out.TPOTMean, 1e3)
	copy(w.f("sim_attainment"), out.Attainment)
	copy(w.f("goodput_qps"), out.Goodput)
	perAccel := w.f("goodput_qps_per_accelerator")
	copy(perAccel, out.GoodputPerAccel)
	for k, h := range c.get("hardware") {
		perAccel[k] /= e.t.h.devices[int(h)] // a packaged system's accelerators, as economics counts them
	}
	copy(w.f("capacity_qps"), out.Capacity)
	copy(w.f("poisson_capacity_qps"), out.PoissonCapacity)
	scaleInto(w.f("prefill_ms"), out.PrefillTime, 1e3)
	scaleInto(w.f("decode_step_ms"), out.DecodeStep, 1e3)
	scaleInto(w.f("kv_transfer_ms"), out.KVTransfer, 1e3)
	copy(w.f("max_batch"), out.MaxBatch)
	binding, feas, reason := w.c("binding_wall"), w.b("feasible"), w.c("infeasible_reason")
	e.t.tokens = sumInto(e.t.tokens, in.SeqLen, in.OutputTokens)
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, e.t.tokens)
	mc, ep, nodes, across := c.get("model"), c.get("ep"), c.get("node_size"), c.get("tp_across_nodes")
	for k := 0; k < n; k++ {
		// Per-token economics at the sampled rate: its tokens, the run's mean draw and TPOT.
		// A request of one generated token has no time between tokens (the kernel's TPOT
		// is 0, and 1/0 aborted the whole sweep as "+Inf on a feasible row"): its user sees
		// that one token after its TTFT.
		gap := out.TPOTMean[k]
		if in.OutputTokens[k] <= 1 {
			gap = out.TTFTMean[k]
		}
		tokens := out.SampledQPS[k] * in.OutputTokens[k]
		if out.Reason[k] == kernel.SimOverloaded {
			// At or above the capacity the queue grows without bound: no rate is sampled
			// and none is delivered at the offered one. Priced at it, one prefill and one decode H100 offered
			// 1000 requests/s of Llama3_8B wrote 128,000 tokens/s per accelerator at 0 W
			// and 0 J per token; like a run that samples nothing, no economics.
			tokens = 0
		}
		e.t.economics(&ec, k, out.Accelerators[k], tokens, out.PowerW[k], gap)
		feas[k], reason[k] = true, reasonNone
		binding[k] = wallMemory
		if out.ComputeBound[k] {
			binding[k] = wallCompute
		}
		switch out.Reason[k] {
		case kernel.SimMemory:
			feas[k], reason[k], binding[k] = false, reasonOOM, wallServing
		case kernel.SimOverloaded:
			feas[k], reason[k], binding[k] = false, reasonOverloaded, wallServing
		case kernel.SimTTFTMissed:
			feas[k], reason[k], binding[k] = false, reasonTTFTMissed, wallTailLatency
		case kernel.SimTPOTMissed:
			feas[k], reason[k], binding[k] = false, reasonITLMissed, wallTailLatency
		}
		if reason[k] == reasonNone && out.SampledQPS[k] == 0 {
			// Neither qps nor a target: no rate to simulate at, and no per-token economics.
			feas[k], reason[k] = false, reasonNoRate // no wall: binding.go
		}
		if r := e.t.pooledReason(reasons[k], in.CachedPrefix[k], in.SeqLen[k], in.PrefillInstances[k] > 0, mc[k], in.PrefillTP[k], ep[k], nodes[k], across[k] != 0); r != reasonNone {
			feas[k], reason[k] = false, r // binding_wall: settleBinding's rule (binding.go)
		}
	}
}
