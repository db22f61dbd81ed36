package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/kernel"
)

// The serve study: LLM prefill and decode on one accelerator (kernel.Serving).
func init() {
	register(&Study{
		Name:      "serve",
		Doc:       "LLM serving: TTFT, ITL, KV cache and memory on one accelerator (physics.md §6.1)",
		Objective: Objective{Column: "itl_ms", Minimize: true},
		Params: []Param{
			modelParam, hardwareParam, precisionParam, effParam, batchParam, seqParam,
			{Name: "prefill_chunk_tokens", Kind: KindInt, Default: "0", Min: 0, Unit: "tokens",
				Doc: "chunked prefill: tokens per chunk (0 = one chunk)"},
			{Name: "cached_prefix_len", Kind: KindInt, Default: "0", Min: 0, Unit: "tokens",
				Doc: "prompt tokens already in a prefix cache (must be < seq_len)"},
			{Name: "tp", Kind: KindInt, Default: "1", Min: 1, Doc: "tensor-parallel accelerators sharing the model (over the scale-up link)"},
		},
		Columns: []Column{
			{Name: "ttft_ms", Unit: "ms", Doc: "time to first token: prefill compute + dispatch per chunk"},
			{Name: "itl_ms", Unit: "ms", Doc: "inter-token latency: (weights + KV) / HBM bandwidth + layer tax (+ TP all-reduces); the calibrated profile takes the larger of that streaming time and the step's FLOPs at peak · efficiency"},
			{Name: "tokens_per_s", Unit: "1/s", Doc: "decode tokens per second across the batch: batch / ITL"},
			{Name: "kv_cache_gb", Unit: "GB", Doc: "KV cache for the full context, whole replica (decimal GB)"},
			{Name: "weights_gb", Unit: "GB", Doc: "weights at the precision, whole replica (decimal GB)"},
			{Name: "total_memory_gb", Unit: "GB", Doc: "weights + KV cache, whole replica (per accelerator: ÷ tp)"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory (decimal GB)"},
			{Name: "memory_utilization", Doc: "total memory / tp / capacity (per accelerator)"},
			{Name: "prefill_chunks", Doc: "prefill chunks (1 when not chunked)"},
			{Name: "prefill_chunk_time_ms", Unit: "ms", Doc: "longest prefill chunk: the bound on how long it stalls decode (0 when not chunked)"},
			{Name: "tp_comm_ms", Unit: "ms", Doc: "tensor-parallel all-reduces per decode step (0 at tp 1)"},
			wallPass(4, "serving", "weights + KV cache fit in accelerator memory"),
			wallSlack(4, "serving", "1 − (weights + KV cache) / tp / capacity"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if !m.Family.IsTransformer() {
					return fmt.Errorf("serving needs a transformer, but %s is not one (family %s); use the node study (mlsysim eval) for it", m.Key, m.Family)
				}
			}
			return nil
		},
		newEval: func(p *Plan) evaluator {
			return &serveEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware), calibrated: p.Calibrated()}
		},
	})
}

type serveEval struct {
	st         *Study
	calibrated bool // decode steps get the compute floor (docs/PHYSICS.md §31)
	m          *modelTable
	h          *hwTable
	in         kernel.ServeIn
	out        kernel.ServeOut
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
	copy(w.b("wall_4_serving_pass"), out.Feasible)
	slack := w.f("wall_4_serving_slack")
	for k := range slack {
		slack[k] = 1 - out.MemUtilization[k]
	}
	binding := w.c("binding_wall")
	for k := 0; k < n; k++ {
		// Decode streams weights and KV cache: memory bandwidth binds a point that fits,
		// unless (calibrated profile) the step's FLOPs take longer than its bytes.
		binding[k] = wallMemory
		if out.ComputeBound[k] {
			binding[k] = wallCompute
		}
		if !out.Feasible[k] {
			binding[k] = wallServing
		}
	}
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	for k := 0; k < n; k++ {
		switch {
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
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	in := &e.in
	in.Params = gatherF(in.Params, mc, e.m.params)
	in.Layers = gatherF(in.Layers, mc, e.m.layers)
	in.AttnCoef = gatherF(in.AttnCoef, mc, e.m.attnCoef)
	in.KVElemsPerToken = gatherF(in.KVElemsPerToken, mc, e.m.kvPerToken)
	in.Bytes = bytesOf(in.Bytes, prec)
	in.PeakFLOPS = peaksOf(in.PeakFLOPS, e.h, hc, prec)
	in.MemBandwidth = gatherF(in.MemBandwidth, hc, e.h.bandwidth)
	in.MemCapacity = gatherF(in.MemCapacity, hc, e.h.capacity)
	in.DispatchTax = gatherF(in.DispatchTax, hc, e.h.dispatch)
	in.SeqLen = c.get("seq_len")
	in.Batch = c.get("batch_size")
	in.Efficiency = c.get("efficiency")
	in.ChunkTokens = c.getOr("prefill_chunk_tokens", 0)
	in.CachedPrefix = c.getOr("cached_prefix_len", 0)
	in.TP = c.getOr("tp", 1)
	in.TPBandwidth = gatherF(in.TPBandwidth, hc, e.h.tpBW)
	in.Hidden = gatherF(in.Hidden, mc, e.m.hidden)
	in.ComputeFloor = e.calibrated

	kernel.Serving(&e.out, in)
}
