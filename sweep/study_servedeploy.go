package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

// deployModes are the serve-deploy study's ways of placing prefill and decode.
var deployModes = []string{"aggregated", "disaggregated"}

// The serve-deploy study: the fleet that serves a request rate within TTFT and ITL
// targets, aggregated or with disaggregated prefill and decode pools, and what a
// million tokens cost (kernel.ServingDeployment). `mlsysim optimize serving` sweeps it.
func init() {
	register(&Study{
		Name:      "serve-deploy",
		Doc:       "LLM serving at deployment scale: replicas (or prefill and decode pools) for a QPS within TTFT and ITL targets, per-token cost (docs/PHYSICS.md §34)",
		Objective: Objective{Column: "usd_per_million_tokens", Minimize: true},
		Params: withServing(
			modelParam, hardwareParam, precisionParam, servingEffParam,
			Param{Name: "batch_size", Kind: KindInt, Default: "32", Min: 1, Max: maxBatch, Doc: "sequences a decode replica runs together"},
			Param{Name: "input_tokens", Kind: KindInt, Default: "1024", Min: 1, Max: MaxTokens, Unit: "tokens", Doc: "prompt tokens per request (ISL)"},
			Param{Name: "output_tokens", Kind: KindInt, Default: "256", Min: 1, Max: MaxTokens, Unit: "tokens", Doc: "generated tokens per request (OSL)"},
			Param{Name: "prefill_chunk_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens", Doc: "chunked prefill: tokens per chunk (0 = one chunk)"},
			Param{Name: "cached_prefix_len", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens", Doc: "prompt tokens served from a prefix cache (must be < input_tokens)"},
			Param{Name: "qps", Kind: KindFloat, Default: "10", Min: MinQPS, Max: MaxQPS, Unit: "1/s", Doc: "requests per second to serve"},
			Param{Name: "target_ttft_ms", Kind: KindFloat, Default: "1000", Min: 0, MinOpen: true, Max: 1e7, Unit: "ms", Doc: "time-to-first-token target (mean)"},
			Param{Name: "target_itl_ms", Kind: KindFloat, Default: "50", Min: 0, MinOpen: true, Max: 1e7, Unit: "ms", Doc: "inter-token latency target (mean)"},
			Param{Name: "mode", Kind: KindEnum, Default: "aggregated", Enum: deployModes,
				Doc: "aggregated: each replica prefills and decodes; disaggregated: prefill instances of prefill_tp accelerators hand the KV cache to decode instances"},
			Param{Name: "prefill_tp", Kind: KindInt, Default: "1", Min: 1, Max: MaxParallel, Doc: "tensor-parallel accelerators of one prefill instance (disaggregated)"},
			Param{Name: "max_accelerators", Kind: KindInt, Default: "0", Min: 0, Max: maxBatch, Doc: "largest fleet allowed (0 = no limit)"},
		),
		Columns: append([]Column{
			{Name: "ttft_ms", Unit: "ms", Doc: "mean time to first token at the chosen fleet: prefill + queue wait (+ the running decode step — calibrated, the mean residual of the step in progress, §34.5 — and, calibrated, the wait for a free batch slot, aggregated; + KV transfer, disaggregated) (docs/PHYSICS.md §34.3)"},
			{Name: "itl_ms", Unit: "ms", Doc: "mean inter-token latency: the decode step (calibrated: at decode_batch), stretched by prefill interference when aggregated; disaggregated and calibrated, plus the wait for a decode slot spread over the output tokens after the first"},
			{Name: "prefill_ms", Unit: "ms", Doc: "one prompt's prefill on a replica (aggregated) or a prefill instance"},
			{Name: "decode_step_ms", Unit: "ms", Doc: "one decode step at the mean context input + output/2: of batch_size sequences (seed), or of decode_batch, the batch the load gives a replica or decode instance (calibrated; docs/PHYSICS.md §34.4)"},
			{Name: "decode_batch", Doc: "sequences a decoding sequence steps with: batch_size (seed), or the mean under the load, at most batch_size (calibrated: Little's law's fixed point, docs/PHYSICS.md §34.4)"},
			{Name: "kv_transfer_ms", Unit: "ms", Doc: "moving a prompt's KV cache from the prefill to the decode instance (0 aggregated)"},
			{Name: "replicas", Doc: "aggregated replicas, or decode instances (tp · pp accelerators each)"},
			{Name: "prefill_instances", Doc: "prefill instances of prefill_tp accelerators (0 aggregated)"},
			{Name: "prefill_accelerators", Doc: "accelerators in the prefill pool (0 aggregated)"},
			{Name: "prefill_utilization", Doc: "share of time a replica (aggregated) or prefill instance spends prefilling"},
			{Name: "decode_utilization", Doc: "share of a replica's (aggregated) or decode instance's batch_size slots the load takes: the rate per replica over the rate that keeps every slot taken (calibrated: λ·S/batch_size, S a slot's hold while all are taken, docs/PHYSICS.md §34.3; seed: as its replicas were sized); near 1 the wait for a free slot is most of the latency, and a finite run of requests stays far below the steady-state means"},
			{Name: "memory_utilization", Doc: "one decode accelerator's weights, draft and KV cache at full context / capacity (a disaggregated prefill instance that cannot hold the model and one prompt is out_of_memory too)"},
			{Name: "ttft_floor_ms", Unit: "ms", Doc: "the least TTFT the layout can give, unqueued: the prefill after the running decode step (seed, aggregated) or the KV transfer (disaggregated); what sla_ratio compares with target_ttft_ms where the fleet misses"},
			{Name: "itl_floor_ms", Unit: "ms", Doc: "the least ITL the layout can give: its decode step at batch_size (seed) or of one sequence (calibrated); what sla_ratio compares with target_itl_ms where the fleet misses"},
			{Name: "sla_ratio", Doc: "closest miss: the largest of unqueued TTFT / target, decode ITL / target (calibrated: a lone sequence's step) and accelerators / max_accelerators (≤ 1 when feasible: a fleet of exactly max_accelerators meets it; +Inf when it does not fit or the layout is invalid); calibrated and feasible, the largest of the chosen fleet's TTFT, ITL and size over their targets, so of two fleets at one price the one further inside them ranks first (docs/PHYSICS.md §34.4)"},
		}, append(servingColumns, colBindingWall, colFeasible, colReason)...),
		check: transformersOnly("serving"),
		newEval: func(p *Plan) evaluator {
			return inChunks(&deployEval{st: p.Study, t: newServingTables(p)})
		},
	})
}

type deployEval struct {
	st  *Study
	t   *servingTables
	in  kernel.DeployIn
	out kernel.DeployOut
}

func (e *deployEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	in := &e.in
	e.t.gather(c, &in.ServeIn)
	in.Batch, in.ChunkTokens, in.CachedPrefix = c.get("batch_size"), c.get("prefill_chunk_tokens"), c.get("cached_prefix_len")
	in.SeqLen = in.Batch // not read
	in.InputTokens, in.OutputTokens, in.QPS = c.get("input_tokens"), c.get("output_tokens"), c.get("qps")
	in.TTFTTarget = grow(in.TTFTTarget, n)
	in.ITLTarget = grow(in.ITLTarget, n)
	scaleInto(in.TTFTTarget, c.get("target_ttft_ms"), 1e-3)
	scaleInto(in.ITLTarget, c.get("target_itl_ms"), 1e-3)
	in.Disaggregated, in.PrefillTP, in.MaxAccelerators = c.get("mode"), c.get("prefill_tp"), c.get("max_accelerators")
	kernel.ServingDeployment(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("ttft_ms"), out.TTFT, 1e3)
	scaleInto(w.f("itl_ms"), out.ITL, 1e3)
	scaleInto(w.f("prefill_ms"), out.PrefillTime, 1e3)
	scaleInto(w.f("decode_step_ms"), out.DecodeStep, 1e3)
	copy(w.f("decode_batch"), out.DecodeBatch)
	scaleInto(w.f("kv_transfer_ms"), out.KVTransfer, 1e3)
	copy(w.f("replicas"), out.Replicas)
	copy(w.f("prefill_instances"), out.PrefillInstances)
	copy(w.f("prefill_accelerators"), out.PrefillAccelerators)
	copy(w.f("prefill_utilization"), out.PrefillUtilization)
	copy(w.f("decode_utilization"), out.DecodeUtilization)
	copy(w.f("memory_utilization"), out.MemUtilization)
	copy(w.f("sla_ratio"), out.Slowest)
	scaleInto(w.f("ttft_floor_ms"), out.TTFTFloor, 1e3)
	scaleInto(w.f("itl_floor_ms"), out.ITLFloor, 1e3)
	binding, feas, reason := w.c("binding_wall"), w.b("feasible"), w.c("infeasible_reason")
	disagg, prefillTP := in.Disaggregated, in.PrefillTP
	e.t.tokens = sumInto(e.t.tokens, in.InputTokens, in.OutputTokens)
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, e.t.tokens)
	mc, ep, nodes, across, sla := c.get("model"), c.get("ep"), c.get("node_size"), c.get("tp_across_nodes"), w.f("sla_ratio")
	for k := 0; k < n; k++ {
		e.t.economics(&ec, k, out.Accelerators[k], in.QPS[k]*in.OutputTokens[k], out.PowerW[k], out.ITL[k])
		feas[k], reason[k] = out.Feasible[k], reasonNone
		binding[k] = wallMemory
		if out.ComputeBound[k] {
			binding[k] = wallCompute
		}
		switch out.Reason[k] {
		case kernel.DeployMemory:
			reason[k], binding[k] = reasonOOM, wallServing
		case kernel.DeployITL:
			reason[k], binding[k] = reasonITLMissed, wallTailLatency
		case kernel.DeployTTFT:
			reason[k], binding[k] = reasonTTFTMissed, wallTailLatency
		case kernel.DeployAccelerators:
			reason[k], binding[k] = reasonOverLimit, wallCapital
		}
		if r := e.t.pooledReason(reasons[k], in.CachedPrefix[k], in.InputTokens[k], disagg[k] > 0, mc[k], prefillTP[k], ep[k], nodes[k], across[k] != 0); r != reasonNone {
			// binding_wall: settleBinding's rule (binding.go).
			feas[k], reason[k] = false, r
			sla[k] = math.Inf(1) // no fleet of this layout exists
		}
	}
}
