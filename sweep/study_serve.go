package sweep

import (
	"github.com/mlsysim/mlsysim/kernel"
)

// The serve study: LLM prefill and decode of one replica (kernel.Serving) in any layout.
func init() {
	register(&Study{
		Name:      "serve",
		Doc:       "LLM serving: TTFT, ITL, KV cache, memory and per-token cost of one replica (physics.md §6.1; calibrated: docs/PHYSICS.md §33)",
		Objective: Objective{Column: "itl_ms", Minimize: true},
		Params: withServing(
			modelParam, hardwareParam, precisionParam, servingEffParam, batchParam, seqParam,
			Param{Name: "prefill_chunk_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "chunked prefill: tokens per chunk (0 = one chunk)"},
			Param{Name: "cached_prefix_len", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "prompt tokens already in a prefix cache (must be < seq_len)"},
		),
		Columns: append([]Column{
			{Name: "ttft_ms", Unit: "ms", Doc: "time to first token: prefill of the batch's prompts (seed: FLOPs at peak · efficiency + dispatch per chunk; calibrated: the pipeline's roofline per chunk)"},
			{Name: "itl_ms", Unit: "ms", Doc: "inter-token latency per generated token: one decode step (seed: (weights + KV)/tp/HBM bandwidth + layer tax; calibrated: roofline at the measured bandwidth + kernel and engine overhead), divided by the accepted tokens when drafting"},
			{Name: "tokens_per_s", Unit: "1/s", Doc: "decode tokens per second across the batch: batch / ITL"},
			{Name: "kv_cache_gb", Unit: "GB", Doc: "KV cache for the full context, whole replica (decimal GB)"},
			{Name: "weights_gb", Unit: "GB", Doc: "weights at the precision, whole replica (decimal GB)"},
			{Name: "total_memory_gb", Unit: "GB", Doc: "weights + KV cache (+ draft), whole replica"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory (decimal GB)"},
			{Name: "memory_utilization", Doc: "one accelerator's share of weights, KV cache and draft / its capacity"},
			{Name: "prefill_chunks", Doc: "prefill chunks (1 when not chunked)"},
			{Name: "prefill_chunk_time_ms", Unit: "ms", Doc: "longest prefill chunk: the bound on how long it stalls decode (0 when not chunked)"},
			{Name: "tp_comm_ms", Unit: "ms", Doc: "tensor- and expert-parallel exchanges per decode step (0 at tp 1)"},
			{Name: "pp_comm_ms", Unit: "ms", Doc: "pipeline stage-boundary sends per decode step (0 at pp 1)"},
		}, append(servingColumns,
			wallPass(4, "serving", "weights + KV cache fit in accelerator memory"),
			wallSlack(4, "serving", "1 − one accelerator's weights + KV cache / capacity"),
			colBindingWall,
			colFeasible, colReason,
		)...),
		check: transformersOnly("serving"),
		newEval: func(p *Plan) evaluator {
			return inChunks(&serveEval{st: p.Study, t: newServingTables(p)})
		},
	})
}

type serveEval struct {
	st  *Study
	t   *servingTables
	in  kernel.ServeIn
	out kernel.ServeOut
}

func (e *serveEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	e.serve(c)
	in := &e.in

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("ttft_ms"), out.TTFT, 1e3)
	scaleInto(w.f("itl_ms"), out.ITL, 1e3)
	copy(w.f("tokens_per_s"), out.TokensPerS)
	scaleInto(w.f("kv_cache_gb"), out.KVBytes, 1e-9)
	scaleInto(w.f("weights_gb"), out.WeightBytes, 1e-9)
	scaleInto(w.f("total_memory_gb"), out.TotalBytes, 1e-9)
	scaleInto(w.f("memory_capacity_gb"), in.MemCapacity, 1e-9)
	copy(w.f("memory_utilization"), out.MemUtilization)
	copy(w.f("prefill_chunks"), out.Chunks)
	scaleInto(w.f("prefill_chunk_time_ms"), out.ChunkTime, 1e3)
	scaleInto(w.f("tp_comm_ms"), out.TPComm, 1e3)
	scaleInto(w.f("pp_comm_ms"), out.PPComm, 1e3)
	copy(w.b("wall_4_serving_pass"), out.Feasible)
	slack := w.f("wall_4_serving_slack")
	for k := range slack {
		slack[k] = 1 - out.MemUtilization[k]
	}
	binding := w.c("binding_wall")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, c.get("seq_len"))
	for k := 0; k < n; k++ {
		e.t.economics(&ec, k, out.Accelerators[k], out.TokensPerS[k], out.PowerW[k], out.ITL[k])
		// Decode streams weights and KV cache: memory bandwidth binds a point that fits,
		// unless (calibrated profile) the step's FLOPs take longer than its bytes.
		binding[k] = wallMemory
		if out.ComputeBound[k] {
			binding[k] = wallCompute
		}
		if !out.Feasible[k] {
			binding[k] = wallServing
		}
		switch r := reasons[k]; {
		case r != reasonNone:
			feas[k], reason[k], binding[k] = false, r, wallServing
		case in.CachedPrefix[k] >= in.SeqLen[k]:
			feas[k], reason[k] = false, reasonPrefix
		case !out.Feasible[k]:
			feas[k], reason[k] = false, reasonOOM
		default:
			feas[k], reason[k] = true, reasonNone
		}
	}
}

// serve gathers the serving inputs of a batch and runs kernel.Serving; studies
// built on serving (serve, serve-sla) share it. Parameters a study lacks take
// the serve study's defaults (no chunking, no prefix cache).
func (e *serveEval) serve(c cols) {
	in := &e.in
	e.t.gather(c, in)
	in.SeqLen = c.get("seq_len")
	in.Batch = c.get("batch_size")
	in.ChunkTokens = c.getOr("prefill_chunk_tokens", 0)
	in.CachedPrefix = c.getOr("cached_prefix_len", 0)
	kernel.Serving(&e.out, in)
}
