package sweep

import (
	"slices"

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
			Param{Name: "qps", Kind: KindFloat, Default: "0", Min: 0, Gap: true, Least: MinQPS, Max: MaxQPS, Unit: "1/s",
				Doc: "Poisson request rate at the replica (0 = none: the fixed batch alone); above 0 the load_* columns, feasibility, memory_utilization and per-token cost are the replica's steady state under it, with prompts of seq_len tokens (the context window must hold seq_len + output_tokens) and batch_size the engine's largest batch; with prefill_chunk_tokens the calibrated engine batches prompt chunks with the decode step (docs/PHYSICS.md §34.1)"},
			Param{Name: "output_tokens", Kind: KindInt, Default: "256", Min: 1, Max: MaxTokens, Unit: "tokens",
				Doc: "generated tokens per request under qps (the first from the prefill; read only when qps > 0)"},
		),
		Columns: append([]Column{
			{Name: "ttft_ms", Unit: "ms", Doc: "time to first token: prefill of the batch's prompts (seed: FLOPs at peak · efficiency + dispatch per chunk; calibrated: the pipeline's roofline per chunk)"},
			{Name: "itl_ms", Unit: "ms", Doc: "inter-token latency per generated token: one decode step (seed: (weights + KV)/tp/HBM bandwidth + layer tax; calibrated: roofline at the measured bandwidth + kernel and engine overhead), divided by the accepted tokens when drafting"},
			{Name: "tokens_per_s", Unit: "1/s", Doc: "decode tokens per second across the batch: batch / ITL"},
			{Name: "kv_cache_gb", Unit: "GB", Doc: "KV cache for the full context, whole replica (decimal GB); calibrated, a cache tensor parallelism cannot split (latent, or fewer KV heads than tp) counts each accelerator's copy"},
			{Name: "weights_gb", Unit: "GB", Doc: "weights at the precision, whole replica (decimal GB)"},
			{Name: "total_memory_gb", Unit: "GB", Doc: "weights + KV cache (+ draft), whole replica"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory (decimal GB)"},
			{Name: "memory_utilization", Doc: "one accelerator's share of weights, KV cache and draft / its capacity (under qps the steady state's: the mean decode batch + 1, at most load_max_batch, at full context seq_len + output_tokens; overloaded, load_max_batch's)"},
			{Name: "prefill_chunks", Doc: "prefill chunks (1 when not chunked)"},
			{Name: "prefill_chunk_time_ms", Unit: "ms", Doc: "longest prefill chunk: the bound on how long it stalls decode (0 when not chunked)"},
			{Name: "tp_comm_ms", Unit: "ms", Doc: "tensor- and expert-parallel exchanges per decode step (0 at tp 1)"},
			{Name: "pp_comm_ms", Unit: "ms", Doc: "pipeline stage-boundary sends per decode step (0 at pp 1)"},
			{Name: "load_concurrency", Doc: "under qps: mean requests in the replica, queued, prefilling or decoding, qps · (TTFT + (output_tokens − 1) · TPOT) (Little's law; 0 without qps, +Inf overloaded)"},
			{Name: "load_decode_batch", Doc: "under qps: mean sequences decoding, the least fixed point of qps · (output_tokens − 1) · TPOT (0 without qps, +Inf overloaded)"},
			{Name: "load_ttft_ms", Unit: "ms", Doc: "under qps: mean time to first token, half the running decode step + the prompt's M/D/1 queue + its prefill (chunked: the steps carrying its chunks beside the decode batch), and calibrated the wait for one of load_max_batch slots (M/D/c, docs/PHYSICS.md §34.3) (0 without qps, +Inf overloaded)"},
			{Name: "load_tpot_ms", Unit: "ms", Doc: "under qps: mean time per output token after the first, the decode step of the batch a sequence is in, stretched by the prefills' share of time (chunked: one step of that batch and the prompt tokens arriving during it) (0 without qps or with one output token, +Inf overloaded)"},
			{Name: "load_prefill_utilization", Doc: "under qps: share of time the replica prefills, qps · one prompt's prefill (chunked: qps · the prompt's share of steps that fill the chunk budget) (0 without qps)"},
			{Name: "load_max_batch", Doc: "under qps: the largest decode batch, batch_size or the sequences memory holds at seq_len + output_tokens if fewer (0 without qps)"},
			{Name: "load_capacity_qps", Unit: "1/s", Doc: "under qps: the rate one replica sustains with every request queued: load_max_batch over its prefills — passes of as many waiting prompts as the engine's token budget allows — and output_tokens − 1 decode steps at that batch (the batching study's and serve-capacity's rate, docs/PHYSICS.md §34.7), or stall-free the most any decode batch sustains (§34.1; at least qps where the point is steady) (0 without qps)"},
			{Name: "load_poisson_capacity_qps", Unit: "1/s", Doc: "under qps: the highest rate Poisson arrivals keep steady, where the point turns overloaded: calibrated whole prompts, the rate at which the slots' hold fills load_max_batch — the prompts a Poisson stream prefills back to back free their slots together and are refilled in one pass (docs/PHYSICS.md §34.8) — at most load_capacity_qps; seed and stall-free, load_capacity_qps (0 without qps)"},
			{Name: "load_utilization", Doc: "under qps: qps / load_poisson_capacity_qps (overloaded from 1; stall-free at or before 1) (0 without qps)"},
		}, append(servingColumns,
			wallPass(4, "serving", "one accelerator's weights + KV cache fit in what it may fill: its memory, or calibrated with a serving engine the engine's budget (its memory fraction less its profiling pass's activations; docs/PHYSICS.md §33)"),
			wallSlack(4, "serving", "(budget − one accelerator's weights + KV cache) / capacity, the budget wall_4_serving_pass holds it to (1 − weights + KV cache / capacity without an engine's): ≥ 0 exactly when it passes"),
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
	st   *Study
	t    *servingTables
	in   kernel.ServeIn
	out  kernel.ServeOut
	load kernel.LoadIn
	lout kernel.LoadOut
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
	copy(slack, out.MemSlack)
	binding := w.c("binding_wall")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	qps := c.get("qps")
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, e.context(c, qps))
	loaded := e.underLoad(c, w, qps)
	for k := 0; k < n; k++ {
		e.t.economics(&ec, k, out.Accelerators[k], out.TokensPerS[k], out.PowerW[k], out.ITL[k])
		// Decode streams weights and KV cache: memory bandwidth binds a point that fits,
		// unless (calibrated profile) the step's FLOPs take longer than its bytes.
		binding[k] = wallMemory
		if out.ComputeBound[k] {
			binding[k] = wallCompute
		}
		fits := out.Feasible[k]
		if loaded && qps[k] > 0 {
			fits = e.loadPoint(&ec, k, out.Accelerators[k], w.b("wall_4_serving_pass"), w.f("memory_utilization"), slack, binding)
		}
		if !fits {
			binding[k] = wallServing
		}
		switch r := reasons[k]; {
		case r != reasonNone:
			feas[k], reason[k] = false, r // binding_wall: settleBinding's rule (binding.go)
		case in.CachedPrefix[k] >= in.SeqLen[k]:
			feas[k], reason[k] = false, reasonPrefix
		case !fits && loaded && qps[k] > 0 && e.lout.Reason[k] == kernel.LoadOverloaded:
			feas[k], reason[k] = false, reasonOverloaded
		case !fits:
			feas[k], reason[k] = false, reasonOOM
		default:
			feas[k], reason[k] = true, reasonNone
		}
	}
}

// context is each point's longest sequence, which the model's (and a draft's) context
// window must hold: seq_len, and under a request rate each request's prompt and generated
// tokens, seq_len + output_tokens, as serve-sim and serve-deploy count them (a 130,000-token
// prompt and 2,000 generated tokens on Llama3_8B's 131,072 was a feasible row, exit 0, beside
// serve-sim's exceeds_context for the same request).
func (e *serveEval) context(c cols, qps []float64) []float64 {
	seq := c.get("seq_len")
	if !slices.ContainsFunc(qps, func(q float64) bool { return q > 0 }) {
		return seq
	}
	out := c.get("output_tokens")
	e.t.tokens = grow(e.t.tokens, len(seq))
	for k := range seq {
		e.t.tokens[k] = seq[k]
		if qps[k] > 0 {
			e.t.tokens[k] += out[k]
		}
	}
	return e.t.tokens
}

// underLoad runs kernel.ServingLoad on a batch with any point under a request rate and
// writes the load columns (zero where qps is 0); it reports whether it ran.
func (e *serveEval) underLoad(c cols, w outs, qps []float64) bool {
	names := []string{"load_concurrency", "load_decode_batch", "load_ttft_ms", "load_tpot_ms",
		"load_prefill_utilization", "load_max_batch", "load_capacity_qps", "load_poisson_capacity_qps", "load_utilization"}
	if !slices.ContainsFunc(qps, func(q float64) bool { return q > 0 }) {
		for _, name := range names {
			clear(w.f(name))
		}
		return false
	}
	e.load.ServeIn = e.in
	e.load.OutputTokens, e.load.QPS = c.get("output_tokens"), qps
	kernel.ServingLoad(&e.lout, &e.load)
	lo := &e.lout
	copy(w.f("load_concurrency"), lo.Concurrency)
	copy(w.f("load_decode_batch"), lo.DecodeBatch)
	scaleInto(w.f("load_ttft_ms"), lo.TTFT, 1e3)
	scaleInto(w.f("load_tpot_ms"), lo.TPOT, 1e3)
	copy(w.f("load_prefill_utilization"), lo.PrefillUtilization)
	copy(w.f("load_max_batch"), lo.MaxBatch)
	copy(w.f("load_capacity_qps"), lo.CapacityQPS)
	copy(w.f("load_poisson_capacity_qps"), lo.PoissonCapacityQPS)
	util := w.f("load_utilization")
	for k, q := range qps {
		util[k] = q / lo.PoissonCapacityQPS[k]
		if q == 0 {
			for _, name := range names {
				w.f(name)[k] = 0
			}
		}
	}
	return true
}

// loadPoint writes the wall-4 pass, slack and memory utilisation and the per-token cost of
// point k at its request rate (the steady state's tokens, draw and TPOT) and reports whether
// the replica is steady; an overloaded or out-of-memory point keeps the fixed batch's cost.
//
// The memory is the load's, as the wall's pass and slack always were: batch_size is only
// the engine's cap under a rate, and the replica holds the sequences the load gives it (at
// most what memory holds). The fixed batch's figure put a feasible row at 659 % of memory
// (Llama3_8B on an H100, cap 512 at 8192 tokens, 1 request/s: 55 sequences fit, 3.4 run).
func (e *serveEval) loadPoint(ec *econCols, k int, accels float64, pass []bool, util, slack []float64, binding []uint8) bool {
	lo := &e.lout
	pass[k], util[k], slack[k] = lo.Reason[k] != kernel.LoadMemory, lo.MemUtilization[k], lo.MemSlack[k]
	if lo.Reason[k] != kernel.LoadSteady {
		return false
	}
	binding[k] = wallMemory
	if lo.ComputeBound[k] {
		binding[k] = wallCompute
	}
	gap := lo.TPOT[k]
	if e.load.OutputTokens[k] <= 1 {
		// One generated token (TPOT 0): its user sees it after the TTFT, as serve-sim says.
		gap = lo.TTFT[k]
	}
	e.t.economics(ec, k, accels, e.load.QPS[k]*e.load.OutputTokens[k], lo.PowerW[k], gap)
	return true
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
