package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// The batching study: how many requests a PagedAttention batcher keeps in flight
// on one accelerator, and what that buys over a static batcher
// (kernel.ContinuousBatching, seed Profile B; with mean_request_tokens > 0,
// kernel.ContinuousBatchingC, the Profile C request-length model).
func init() {
	register(&Study{
		Name:      "batching",
		Doc:       "continuous batching with a paged KV cache: admitted requests, decode step, throughput and speedup over static batching (physics.md §6.2)",
		Objective: Objective{Column: "tokens_per_s"},
		Params: withServing(
			modelParam, hardwareParam, precisionParam, servingEffParam,
			Param{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Max: MaxTokens, Unit: "tokens",
				Doc: "tokens per request S; with mean_request_tokens > 0 the cap S_max on request length"},
			Param{Name: "max_batch_size", Kind: KindInt, Default: "1", Min: 1, Max: maxBatch, Doc: "batcher cap B_max on requests in flight (the seed's default 1)"},
			Param{Name: "page_tokens", Kind: KindInt, Default: "16", Min: 1, Max: MaxTokens, Unit: "tokens", Doc: "tokens per KV-cache page"},
			Param{Name: "mean_request_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "0: every request is seq_len tokens long (Profile B); > 0: lengths are exponential with this mean, capped at seq_len (Profile C; must be ≤ seq_len)"},
			Param{Name: "input_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "prompt tokens of each request (part of its length, seq_len or the mean); > 0 charges their prefill and makes tokens_per_s count generated tokens only; 0 is the seed's decode-only figure"},
			Param{Name: "max_num_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "calibrated: the engine's token budget per iteration (TensorRT-LLM's max_num_tokens): the tokens of the forward pass it profiles memory with before it sizes the KV cache (their live activations come out of memory before the engine's share, docs/PHYSICS.md §33), and the most prompt tokens one prefill pass takes (§34.7); 0: no profiling pass, and the engine's own prefill_token_budget"},
			Param{Name: "requests", Kind: KindInt, Default: "0", Min: 0, Max: maxRequests, Unit: "requests",
				Doc: "calibrated, Profile B: requests of a finite benchmark, all queued at once; they run in waves of the admitted batch, the last wave with the rest, and tokens_per_s is the benchmark's generated tokens over its wall time (docs/PHYSICS.md §33); 0: steady state"},
			Param{Name: "cuda_graph_padding", Kind: KindBool, Default: "false",
				Doc: "calibrated: the engine pads every decode-only batch to the next captured CUDA-graph batch size — TensorRT-LLM's cuda_graph_config with enable_padding and the batch_sizes 1, 2, 4 … 128, 256, 384, 512, 1024 … 8192 of its performance overview's llm_options.yml, the sizes above min(max_batch_size, max_num_tokens) replaced by that limit — so the step's matmuls, activations and all-reduces run on the padded rows while the KV cache read is the real batch's (docs/PHYSICS.md §33, CUDA-graph padding); false: decode steps at the batch they have"},
		),
		Columns: append([]Column{
			{Name: "ttft_ms", Unit: "ms", Doc: "prefill of max_batch_size prompts of seq_len tokens at once + dispatch (Profile B's formula, reported for both profiles)"},
			{Name: "itl_ms", Unit: "ms", Doc: "decode step of the admitted batch: (weights + KV)/HBM bandwidth, no layer tax (Profile C reads mean_request_tokens per request), in the calibrated profile Serving's calibrated step, for Profile B at the mean context of a request's generated tokens, input_tokens + (seq_len − input_tokens + 1)/2 (memory still reserved for seq_len); 1e6 ms when the weights fill memory (the seed's value)"},
			{Name: "tokens_per_s", Unit: "1/s", Doc: "decode tokens per second: active requests / ITL (0 when none is admitted); with input_tokens > 0 generated tokens per second with every prompt's prefill charged: active·out / (out·ITL + active·prompt_prefill_ms), out = length − input_tokens (calibrated: the prefill gives the first token, so active·out / ((out − 1)·ITL + active·prompt_prefill_ms), the serve study's load_capacity_qps · out, docs/PHYSICS.md §34.7)"},
			{Name: "prompt_prefill_ms", Unit: "ms", Doc: "compute time of one request's prefill of input_tokens: (2·P·n + attention)/(peak · efficiency) (seed); calibrated, its share of a prefill pass of the k prompts the engine's token budget (max_num_tokens, else the engine's prefill_token_budget) lets the admitted batch refill at once, t_pass(k)/k (docs/PHYSICS.md §34.7); 0 when input_tokens is 0"},
			{Name: "active_requests", Doc: "requests decoded together: min(⌊free memory / KV per request⌋, max_batch_size)"},
			{Name: "kv_cache_gb", Unit: "GB", Doc: "paged KV cache reserved for the active requests (seed: 2·L·H_kv·d per token, its count even for latent attention; calibrated: the serve study's per-token cache, latent attention included, in each copy an accelerator holds of a cache tp cannot split)"},
			{Name: "weights_gb", Unit: "GB", Doc: "weights at the precision"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory"},
			{Name: "fragmentation", Doc: "share of the paged reservation that is padding: (S_pad − S)/S_pad (Profile B), expected 1 − mean/allocated (Profile C)"},
			{Name: "static_active_requests", Doc: "requests a static batcher holds: max(1, ⌊0.6·active⌋) (Profile B), ⌊free memory / (KV per token · seq_len)⌋ capped (Profile C)"},
			{Name: "static_tokens_per_s", Unit: "1/s", Doc: "decode tokens per second of the static batcher (prompts charged as for tokens_per_s)"},
			{Name: "static_fragmentation", Doc: "padding share of the static reservation: 1 − mean/seq_len (Profile C); Profile B's static batcher reserves the same pages, so equal to fragmentation"},
			{Name: "speedup_vs_static", Doc: "tokens_per_s / static_tokens_per_s (1 when nothing is admitted; +Inf in Profile C when only the paged batcher admits a request)"},
		}, append(servingColumns,
			wallPass(5, "batching", "at least one request's KV cache fits beside the weights"),
			wallSlack(5, "batching", "1 − (weights + KV cache of the active requests) / replica capacity; where none is admitted (wall_5_batching_pass false), (free memory after the weights − one request's KV cache) / capacity of one accelerator, the free memory within the engine's budget under calibrated: negative exactly then"),
			colBindingWall,
			colFeasible, colReason,
		)...),
		check: transformersOnly("continuous batching"),
		newEval: func(p *Plan) evaluator {
			return inChunks(&batchingEval{st: p.Study, t: newServingTables(p), pagedKV: pagedKVPerToken(p.Models)})
		},
	})
}

// transformersOnly is the check of studies whose kernels need a transformer's shape.
func transformersOnly(what string) func(p *Plan) error {
	return func(p *Plan) error {
		for _, m := range p.Models {
			switch {
			case !m.Family.IsTransformer():
				return modelError{fmt.Errorf("%s needs a transformer, but %s is not one (family %s); the node study (mlsysim eval) takes any model", what, m.Key, m.Family)}
			case m.Layers == 0:
				return modelError{fmt.Errorf("%s needs the layer count of %s, which its catalog entry does not state", what, m.Key)}
			}
		}
		return nil
	}
}

// pagedKVPerToken is the seed's KV elements per token of a paged cache,
// 2·L·H_kv·d, per model code: calc_paged_kv_cache_size ignores latent attention
// (physics.md §6.2), so the batcher and the wafer use it where Serving uses the
// latent-attention-aware count.
func pagedKVPerToken(ms []*catalog.Model) []float64 {
	t := make([]float64, len(ms))
	for i, m := range ms {
		t[i] = kernel.KVElemsPerToken(float64(m.Layers), float64(m.Heads), float64(m.KVHeads), float64(m.HiddenDim), 0, 0)
	}
	return t
}

// peaksOf gathers the peak FLOP/s of each point's hardware at its precision.
func peaksOf(dst []float64, h *hwTable, hw, prec []float64) []float64 {
	dst = grow(dst, len(hw))
	for k := range dst {
		dst[k] = h.peakFor(hw[k], prec[k])
	}
	return dst
}

// clampMean returns mean_request_tokens capped at seq_len (the kernels'
// precondition); rows above the cap are marked infeasible by the caller.
func clampMean(dst, mean, seq []float64) []float64 {
	dst = grow(dst, len(mean))
	for k := range dst {
		dst[k] = min(mean[k], seq[k])
	}
	return dst
}

// maxBatch bounds batch sizes and batcher caps: a million sequences in flight is past
// what any accelerator's memory holds.
const maxBatch = 1 << 20

// maxRequests bounds a finite benchmark's request count (a billion requests).
const maxRequests = 1 << 30

type batchingEval struct {
	st      *Study
	t       *servingTables
	pagedKV []float64
	weights []float64
	in      kernel.BatchIn
	outB    kernel.BatchOut
	outC    kernel.BatchCOut
	pass    []float64 // the prefill pass budget: max_num_tokens where stated, else the engine's
}

func (e *batchingEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc := c.get("model")
	in := &e.in
	e.t.gather(c, &in.ServeIn)
	if !e.t.calibrated {
		// The seed sizes the paged cache with 2·L·H_kv·d also for latent attention (§6.2).
		in.KVElemsPerToken = gatherF(in.KVElemsPerToken, mc, e.pagedKV)
	}
	in.SeqLen, in.MaxBatch, in.PageTokens = c.get("seq_len"), c.get("max_batch_size"), c.get("page_tokens")
	mean := c.get("mean_request_tokens")
	in.MeanTokens = clampMean(in.MeanTokens, mean, in.SeqLen)
	in.InputTokens = c.get("input_tokens")
	in.ProfileTokens = c.get("max_num_tokens")
	// A stated max_num_tokens is also the engine's token budget per prefill pass
	// (TensorRT-LLM's in-flight batching schedules its context requests within it).
	e.pass = overrideNonZero(e.pass, in.PrefillTokens, in.ProfileTokens)
	in.PrefillTokens = e.pass
	in.Requests = c.get("requests")
	in.GraphPadding = c.get("cuda_graph_padding")

	kernel.ContinuousBatching(&e.outB, in)
	profileC := false
	for _, m := range mean {
		profileC = profileC || m > 0
	}
	if profileC {
		kernel.ContinuousBatchingC(&e.outC, in)
	}

	e.weights = grow(e.weights, n)
	fam := e.t.m.family
	for k := 0; k < n; k++ {
		e.weights[k] = kernel.WeightBytes(fam[int(mc[k])], in.Params[k], 0, in.Bytes[k])
	}

	w := outs{e.st, o}
	bo, co := &e.outB, &e.outC
	ttft, itl, tps, active := w.f("ttft_ms"), w.f("itl_ms"), w.f("tokens_per_s"), w.f("active_requests")
	kv, frag := w.f("kv_cache_gb"), w.f("fragmentation")
	sActive, sTPS, sFrag, speedup := w.f("static_active_requests"), w.f("static_tokens_per_s"), w.f("static_fragmentation"), w.f("speedup_vs_static")
	pass, slack, binding := w.b("wall_5_batching_pass"), w.f("wall_5_batching_slack"), w.c("binding_wall")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	prompt, prefill := in.InputTokens, w.f("prompt_prefill_ms")
	scaleInto(w.f("weights_gb"), e.weights, 1e-9)
	scaleInto(w.f("memory_capacity_gb"), in.MemCapacity, 1e-9)
	tp, pp := c.get("tp"), c.get("pp")
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, c.get("seq_len"))
	for k := 0; k < n; k++ {
		ttft[k] = bo.TTFT[k] * 1e3
		var kvBytes, joules, admit float64
		var ok bool
		if mean[k] > 0 {
			itl[k], tps[k], active[k] = co.ITL[k]*1e3, co.OutputTPS[k], co.Active[k]
			kvBytes, frag[k] = co.KVBytes[k], co.Fragmentation[k]
			sActive[k], sTPS[k], sFrag[k], speedup[k] = co.StaticActive[k], co.StaticOutputTPS[k], co.StaticFragmentation[k], co.Speedup[k]
			ok, joules, prefill[k] = co.Feasible[k], co.EnergyPerToken[k], co.PromptPrefill[k]*1e3
			admit = co.AdmitSlack[k]
		} else {
			itl[k], tps[k], active[k] = bo.ITL[k]*1e3, bo.OutputTPS[k], bo.Active[k]
			kvBytes, frag[k] = bo.KVBytes[k], bo.Fragmentation[k]
			sActive[k], sTPS[k], sFrag[k], speedup[k] = bo.StaticActive[k], bo.StaticOutputTPS[k], bo.Fragmentation[k], bo.Speedup[k]
			ok, joules, prefill[k] = bo.Feasible[k], bo.EnergyPerToken[k], bo.PromptPrefill[k]*1e3
			admit = bo.AdmitSlack[k]
		}
		length := in.SeqLen[k]
		if mean[k] > 0 {
			length = in.MeanTokens[k]
		}
		kv[k] = kvBytes * 1e-9
		pass[k] = ok
		accels := tp[k] * pp[k]
		slack[k] = 1 - (e.weights[k]+kvBytes)/(in.MemCapacity[k]*accels)
		if !ok {
			// Nothing admitted: what the free memory lacks for one request (negative),
			// not 1 − weights / capacity, which read positive beside the failing wall.
			slack[k] = admit
		}
		e.t.economics(&ec, k, accels, tps[k], joules*tps[k]/accels, itl[k]*1e-3)
		switch {
		case !ok:
			binding[k] = wallBatching
		case active[k] < in.MaxBatch[k]:
			// Memory caps the batch below B_max: the paged cache is the limit.
			binding[k] = wallBatching
		default:
			// The cap binds; decode streams weights and KV from memory.
			binding[k] = wallMemory
		}
		switch r := reasons[k]; {
		case r != reasonNone:
			feas[k], reason[k] = false, r // binding_wall: settleBinding's rule (binding.go)
		case mean[k] > in.SeqLen[k]:
			feas[k], reason[k] = false, reasonMeanTooLong
		case prompt[k] >= length:
			feas[k], reason[k] = false, reasonPromptTooLong
		case !ok:
			feas[k], reason[k] = false, reasonOOM
		default:
			feas[k], reason[k] = true, reasonNone
		}
	}
}

// overrideNonZero is dst holding over[k] where it is > 0, else base[k].
func overrideNonZero(dst, base, over []float64) []float64 {
	dst = grow(dst, len(base))
	for k := range base {
		dst[k] = base[k]
		if over[k] > 0 {
			dst[k] = over[k]
		}
	}
	return dst
}
