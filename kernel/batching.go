package kernel

import "math"

// ContinuousBatching is PagedAttention serving capacity, seed Profile B
// (physics.md §6.2, ContinuousBatchingModel; Wall 5):
//
//	TTFT   = (2·P·S·B_max + coef·S²·B_max)/(F·η) + dispatch    (all B_max prompts prefilled)
//	W = P·b;  M_kv = HBM capacity − W
//	M_kv ≤ 0 → infeasible: nothing admitted, throughput 0, ITL 1000 s, speedup 1
//	S_pad  = ⌈S/page⌉·page;  fragmentation = (S_pad − S)/S_pad
//	per request = kv·S_pad·b           (kv KV elements per token)
//	N      = min(⌊M_kv / per request⌋, B_max);  KV = N · per request
//	ITL    = (W + KV)/BW  (no layer tax);  throughput = N/ITL tokens/s (0 if N = 0)
//	static: N_s = max(1, ⌊0.6·N⌋);  ITL_s = (W + N_s · per request)/BW
//	speedup = throughput / (N_s/ITL_s)   (1 if N = 0);  feasible iff N > 0
//
// coef is AttentionFLOPsCoef. The seed sizes the paged cache with kv = 2·L·H_kv·d
// (calc_paged_kv_cache_size), also for a model with latent attention: pass
// KVElemsPerToken(L, H, H_kv, h, 0, 0) to reproduce it. MeanTokens is not read.
//
// Layouts (either profile): a replica of tp·pp accelerators admits requests until one
// accelerator's share of weights, draft and KV fills its memory; the seed divides the
// bytes by tp·pp, the calibrated profile shards the KV cache over min(tp, KV heads) and
// pp. Calibrated (ServeIn.Calibrated): every decode step, static or paged, is Serving's
// calibrated step at the admitted batch (docs/PHYSICS.md §33) instead of (W + KV)/BW,
// timed at the mean context of a request's generated tokens, n + (S − n + 1)/2 for a
// prompt of n tokens (MeanDecodeContext); memory is still reserved for the whole S. The
// weights are Serving's (a 16-bit output layer beside 8-bit layers counts at 16 bits), so
// the batcher admits no batch that Serving finds out of memory.
//
// Prompts (InputTokens > 0, ours): each request's prefill (PromptPrefillS in the seed's
// terms; calibrated, its share of a pass of the prompts the engine's token budget takes at
// once, saturatedPrompt, docs/PHYSICS.md §34.7, the first token its) is charged and
// OutputTPS counts generated tokens only (OutputTokensPerS; calibratedOutputTPS); with no
// input tokens it equals the decode throughput, the seed's figure.
func ContinuousBatching(out *BatchOut, in *BatchIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		a := in.args(i, &out.memo)
		if a.m.calibrated {
			a.ctx = MeanDecodeContext(a.seq, a.seq-a.input)
		}
		r := a.profileB()
		out.TTFT[i] = r.ttft
		out.ITL[i] = r.itl
		out.Throughput[i] = r.throughput
		out.Active[i] = r.active
		out.Fragmentation[i] = r.fragmentation
		out.KVBytes[i] = a.replicaKV(r.kv)
		out.StaticActive[i] = r.staticActive
		out.StaticThroughput[i] = r.staticThroughput
		out.Speedup[i] = r.speedup
		out.Feasible[i] = r.feasible
		out.AdmitSlack[i] = r.admitSlack
		c := a.charge(a.seq, a.ctx, r.throughput, r.staticThroughput, r.active, r.itl)
		if a.m.calibrated && a.requests > 0 {
			// A benchmark of a fixed number of requests of one length, all queued at once,
			// runs them in waves (docs/PHYSICS.md §33, finite benchmark).
			gen := a.seq - a.input
			c.tps = a.finiteRequests(r.active, c.tps, gen)
			c.staticTPS = a.finiteRequests(r.staticActive, c.staticTPS, gen)
		}
		out.PromptPrefill[i], out.OutputTPS[i], out.StaticOutputTPS[i], out.EnergyPerToken[i] = c.prefill, c.tps, c.staticTPS, c.joules
		if c.tps > 0 && c.staticTPS > 0 && r.active > 0 && (a.input > 0 || (a.m.calibrated && a.requests > 0)) {
			out.Speedup[i] = c.tps / c.staticTPS
		}
	}
}

// finiteRequests is the generated tokens per second of a benchmark that queues N =
// a.requests requests of one length at once (ours, calibrated; docs/PHYSICS.md §33) on a
// batcher that holds `active` of them and, in steady state, generates tps tokens/s of
// `out` tokens per request with their prompts charged. Requests of equal length admitted
// together finish together, so the batcher runs ⌊N/active⌋ full waves, each taking
// active·out/tps (its prompts' prefill and out decode steps), and a last wave of the
// rem = N mod active requests left: their prefill together and out steps at a batch of
// rem, timed at the same mean context. The benchmark's wall time is the sum, and
//
//	tokens/s = N·out / (⌊N/active⌋·active·out/tps + rem·out·ITL(rem) + prefill(rem prompts))
//
// With N ≤ active there is one wave of N; N a multiple of active gives tps itself. A
// smaller last wave streams the same weights for fewer sequences, so it lowers the
// rate a benchmark of few waves measures.
func (a *batchArgs) finiteRequests(active, tps, out float64) float64 {
	n := a.requests
	if active <= 0 || tps <= 0 || out <= 0 {
		return tps
	}
	full := math.Floor(n / active)
	rem := n - full*active
	wall := full * active * out / tps
	if rem > 0 {
		steps := out
		if a.input > 0 {
			// The last wave's prompts in the engine's passes (promptsPerPass), their
			// prefill giving each request's first token.
			steps = out - 1
			k := max(1, a.m.promptsPerPass(rem, rem, a.input, 0))
			whole := math.Floor(rem / k)
			p := a.m.promptPass(k, a.input, a.input, 0).t * whole
			if left := rem - whole*k; left > 0 {
				p += a.m.promptPass(left, a.input, a.input, 0).t
			}
			wall += p
		}
		wall += steps * a.step(rem, a.ctx, 0)
	}
	return n * out / wall
}

// ContinuousBatchingC is Profile C's static-versus-paged allocator comparison for
// requests whose lengths are exponential with mean m, capped at S_max
// (physics.md §6.2 Profile C; CHANGELOG "Unreleased", pinned by test_solver_suite):
//
//	k = kv·b  (KV bytes per token);  M_kv = HBM capacity − P·b
//	static: N_s = min(B_max, ⌊M_kv/(k·S_max)⌋);  internal fragmentation 1 − m/S_max
//	paged:  (A, frag) = ExpectedPagedKVTokens(m, S_max, page)
//	        N_p = min(B_max, ⌊M_kv/(k·A)⌋)
//	t(n) = (W + n·k·m)/BW                 decode step: the KV actually read is the filled tokens
//	throughput = N_p/t(N_p);  static throughput = N_s/t(N_s)
//	speedup = throughput/static throughput (1 if N_p = 0, +Inf if only paged admits any)
//	feasible iff N_p > 0;  ITL = t(N_p)
//
// The decode step reading m tokens per request is inferred by physics.md (speedup
// 1.5601 against the pinned 1.56 ± 0.01; reading A would give 1.5552). m = 0 means
// S_max (fixed-length requests, for which both allocators coincide). Preconditions:
// 0 < m ≤ S_max (the seed raises otherwise), page > 0. Layouts, the calibrated step and
// prompts as in ContinuousBatching, with the mean length as the request length.
func ContinuousBatchingC(out *BatchCOut, in *BatchIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		a := in.args(i, &out.memo)
		r := a.profileC()
		out.ITL[i] = r.itl
		out.Throughput[i] = r.throughput
		out.StaticThroughput[i] = r.staticThroughput
		out.Active[i] = r.active
		out.StaticActive[i] = r.staticActive
		out.Fragmentation[i] = r.fragmentation
		out.StaticFragmentation[i] = r.staticFragmentation
		out.KVBytes[i] = a.replicaKV(r.kv)
		out.StaticKVBytes[i] = a.replicaKV(r.staticKV)
		out.Speedup[i] = r.speedup
		out.Feasible[i] = r.feasible
		out.AdmitSlack[i] = r.admitSlack
		c := a.charge(a.meanLen(), a.meanLen(), r.throughput, r.staticThroughput, r.active, r.itl)
		out.PromptPrefill[i], out.OutputTPS[i], out.StaticOutputTPS[i], out.EnergyPerToken[i] = c.prefill, c.tps, c.staticTPS, c.joules
		if c.tps > 0 && c.staticTPS > 0 && r.active > 0 && a.input > 0 {
			out.Speedup[i] = c.tps / c.staticTPS
		}
	}
}

// OutputTokensPerS is a batcher's generated tokens per second when it also runs every
// request's prompt (ours; the seed's batcher reports decode tokens/s only). A batcher
// decoding decodeTPS tokens/s (active/ITL) serves requests of out generated tokens, each
// also needing a prefill of prefillS seconds, which is compute and does not overlap the
// batch's FLOPs. Per request that is out/decodeTPS of decode time plus prefillS:
//
//	tokens/s = out / (out/decodeTPS + prefillS) = decodeTPS·out / (out + decodeTPS·prefillS)
//
// (= active·out / (out·ITL + active·prefillS)). With prefillS = 0 it is decodeTPS; 0 when
// nothing is decoded or the request generates nothing.
func OutputTokensPerS(decodeTPS, out, prefillS float64) float64 {
	if decodeTPS <= 0 || out <= 0 {
		return 0
	}
	return decodeTPS * out / (out + decodeTPS*prefillS)
}

// calibratedOutputTPS is a batcher's generated tokens per second when each request's
// prompt costs prefillS seconds of the replica and its prefill gives the first of its out
// tokens, so it decodes out − 1 steps (calibrated; the seed's OutputTokensPerS decodes all
// out): out / ((out − 1)/decodeTPS + prefillS). 0 when nothing is decoded or generated.
func calibratedOutputTPS(decodeTPS, out, prefillS float64) float64 {
	if decodeTPS <= 0 || out <= 0 {
		return 0
	}
	return out / ((out-1)/decodeTPS + prefillS)
}

// PromptPrefillS is the compute time of one request's prefill of n prompt tokens at
// F·η, the seed's TTFT numerator for a batch of one without dispatch:
// (2·P·n + coef·n²)/(F·η).
func PromptPrefillS(params, coef, n, peak, eff float64) float64 {
	return ForwardFLOPs(params, coef, n, n, 1) / (peak * eff)
}

// Constants of the batching model (physics.md §6.2, §10).
const (
	// StaticBatchFactor: Profile B's static batcher holds 60 % of the paged batch.
	StaticBatchFactor = 0.6
	// DefaultPageTokens is the seed's page_size default (tokens per KV page).
	DefaultPageTokens = 16
	// InfeasibleBatchITLS is the ITL Profile B reports when the weights fill HBM (1 000 000 ms).
	InfeasibleBatchITLS = 1000.0
)

// batchArgs is one point of either batching model: the shared serving point plus the
// batcher's own inputs.
type batchArgs struct {
	m                         llm
	seq, mean, maxBatch, page float64
	input, dispatch, peakSeed float64
	ctx                       float64 // the context profileB times its decode steps at: seq, or MeanDecodeContext (calibrated)
	requests                  float64 // requests of a finite benchmark, all queued at once (Profile B, calibrated); 0 = steady state
}

func (in *BatchIn) args(i int, memo *passMemo) batchArgs {
	a := batchArgs{
		m: in.point(i), seq: in.SeqLen[i], mean: in.MeanTokens[i], maxBatch: in.MaxBatch[i], page: in.PageTokens[i],
		input: opt(in.InputTokens, i, 0), dispatch: in.DispatchTax[i], peakSeed: in.PeakFLOPS[i],
		requests: opt(in.Requests, i, 0),
	}
	a.ctx = a.seq
	a.m.memo = memo
	if opt(in.GraphPadding, i, 0) > 0 && a.m.calibrated {
		// The engine pads each decode-only batch to a captured CUDA graph up to its
		// largest decode batch (CUDAGraphBatch; docs/PHYSICS.md §33).
		a.m.graphCap = a.maxBatch
		if t := a.m.profileTokens; t > 0 {
			a.m.graphCap = min(a.maxBatch, math.Floor(t))
		}
	}
	return a
}

// MeanDecodeContext is the context at which a batcher's mean decode step runs for
// requests that end at `length` tokens, the last `generated` of them generated (at most
// all of them, at least one): the tokens are generated at contexts length − generated + 1
// … length, whose mean is length − (generated − 1)/2 (n + (S − n + 1)/2 for requests of S
// tokens with n of prompt). A batcher's steps, in lockstep for requests admitted together
// or staggered once they finish at different times, read on average the mean of those,
// and a step's KV reads and attention are linear in its context, so the mean step is the
// step at the mean context (docs/PHYSICS.md §33 times a chunked prompt the same way).
// Memory is still reserved for the whole length (TensorRT-LLM's default
// GUARANTEED_NO_EVICT capacity policy admits a request only when its full length fits).
// The batching study and serve-capacity both time their calibrated steps at it; the seed
// times every step at the full length.
func MeanDecodeContext(length, generated float64) float64 {
	g := min(max(generated, 1), length)
	return length - g + (g+1)/2 // = length − (g − 1)/2, spelt so that whole numbers give n + (S − n + 1)/2 exactly
}

// meanLen is Profile C's mean request length (S_max when no mean is given).
func (a *batchArgs) meanLen() float64 {
	if a.mean == 0 {
		return a.seq
	}
	return a.mean
}

// accels is the replica's accelerator count.
func (a *batchArgs) accels() float64 { return a.m.tp * a.m.pp }

// free is one accelerator's memory left for KV cache after its share of the weights
// and draft (calibrated: within the serving engine's memory budget); perAcc converts a request's KV bytes to one accelerator's share.
func (a *batchArgs) free(w float64) float64 {
	m := &a.m
	if !m.calibrated {
		if a.accels() == 1 {
			return m.capacity - w
		}
		return m.capacity - w/a.accels()
	}
	wAcc := w / a.accels()
	if m.specK > 0 {
		dw, _ := m.draftBytes(0, 0)
		wAcc += dw / m.tp
	}
	return m.budget(wAcc) - wAcc
}

// replicaKV is the memory a replica's KV cache of kvBytes (counted once) takes on its tp · pp
// accelerators: calibrated, each holds kvBytes / (min(tp, KV heads) · pp) (perAcc), so a
// cache tp cannot split — latent, or fewer KV heads than tp — takes tp / min(tp, KV heads)
// times its size, as Serving's KV bytes count it; the seed counts it once.
func (a *batchArgs) replicaKV(kvBytes float64) float64 {
	if !a.m.calibrated {
		return kvBytes
	}
	return kvBytes * a.m.tp / a.m.kvShards()
}

// perAcc is one accelerator's share of a request's cache: kvBytes of the target's (its
// tokens tokens, windowed layers already at their window) and, when drafting, the draft's.
func (a *batchArgs) perAcc(kvBytes, tokens float64) float64 {
	m := &a.m
	if !m.calibrated {
		if a.accels() == 1 {
			return kvBytes
		}
		return kvBytes / a.accels()
	}
	kv := kvBytes / (m.kvShards() * m.pp)
	if m.specK > 0 {
		// The draft keeps its own cache per request.
		dkv := kvBytes * m.draft().kvTok / m.kvTok / m.tp
		if c := m.kvContext(tokens); c != tokens {
			dkv *= tokens / c // the target's layers hold their window, the draft's the whole request
		}
		kv += dkv
	}
	return kv
}

// step is the decode step of reqs requests at context ctx whose bytes (whole replica)
// are memBytes: (memBytes/tp)/BW in the seed, Serving's calibrated step otherwise.
func (a *batchArgs) step(reqs, ctx, memBytes float64) float64 {
	if !a.m.calibrated {
		if a.m.tp == 1 {
			return memBytes / a.m.bw
		}
		return memBytes / a.m.tp / a.m.bw
	}
	var d step
	a.m.decodeStep(&d, reqs, ctx)
	return d.itl
}

type batchPoint struct {
	ttft, itl, throughput, active, fragmentation, kv float64
	staticActive, staticThroughput, speedup          float64
	admitSlack                                       float64 // admitSlack of one request
	feasible                                         bool
}

// admitSlack is what one accelerator's free memory (free, after the weights: the
// engine's budget under calibrated) has beyond one request's KV cache (one, its share on
// this accelerator), as a share of its capacity: < 0 exactly where the batcher admits
// nothing. wall_5_batching_slack reads it there; it read 1 − (weights + the KV of no
// requests) / capacity, positive beside a failing wall (Llama 3 8B fp16 on a T4).
func (a *batchArgs) admitSlack(free, one float64) float64 {
	return (free - one) / a.m.capacity
}

func (a *batchArgs) profileB() batchPoint {
	m := &a.m
	s, bMax := a.seq, a.maxBatch
	var r batchPoint
	if m.calibrated {
		r.ttft, _, _ = m.prefill(bMax, s, s, 0)
	} else {
		r.ttft = ForwardFLOPs(m.p, m.coef, s, s, bMax)/(a.peakSeed*m.eff*m.tp) + a.dispatch
	}
	w := m.weights
	free := a.free(w)
	sPad := math.Ceil(s/a.page) * a.page
	perRequest := m.kvTok * m.kvContext(sPad) * m.bkv // a windowed layer holds its window (calibrated)
	r.admitSlack = a.admitSlack(free, a.perAcc(perRequest, sPad))
	if free <= 0 {
		r.itl, r.speedup = InfeasibleBatchITLS, 1
		return r
	}
	if sPad > 0 {
		r.fragmentation = (sPad - s) / sPad
	}
	r.active = math.Min(math.Floor(free/a.perAcc(perRequest, sPad)), bMax)
	r.kv = perRequest * r.active
	ctx := a.ctx
	r.itl = a.step(r.active, ctx, w+r.kv)
	r.speedup = 1
	if r.active > 0 && r.itl > 0 {
		r.throughput = r.active / r.itl
	}
	r.staticActive = math.Max(1, math.Floor(StaticBatchFactor*r.active))
	r.staticThroughput = r.staticActive / a.step(r.staticActive, ctx, w+perRequest*r.staticActive)
	if r.active > 0 {
		r.speedup = r.throughput / r.staticThroughput
	}
	r.feasible = r.active > 0
	return r
}

type batchCPoint struct {
	itl, throughput, staticThroughput, active, staticActive float64
	fragmentation, staticFragmentation, kv, staticKV        float64
	speedup, admitSlack                                     float64
	feasible                                                bool
}

func (a *batchArgs) profileC() batchCPoint {
	m := &a.m
	sMax, bMax := a.seq, a.maxBatch
	mean := a.meanLen()
	k := m.kvTok * m.bkv
	w := m.weights
	free := math.Max(0, a.free(w))
	allocated, frag := ExpectedPagedKVTokens(mean, sMax, a.page)
	r := batchCPoint{
		staticActive:        math.Min(bMax, math.Floor(free/a.perAcc(k*m.kvContext(sMax), sMax))),
		active:              math.Min(bMax, math.Floor(free/a.perAcc(k*m.kvContext(allocated), allocated))),
		fragmentation:       frag,
		staticFragmentation: 1 - mean/sMax,
		admitSlack:          a.admitSlack(a.free(w), a.perAcc(k*m.kvContext(allocated), allocated)),
	}
	step := func(reqs float64) float64 { return a.step(reqs, mean, w+reqs*k*mean) }
	r.itl = step(r.active)
	r.kv = r.active * k * m.kvContext(allocated)
	r.staticKV = r.staticActive * k * m.kvContext(sMax)
	if r.active > 0 {
		r.throughput = r.active / r.itl
	}
	if r.staticActive > 0 {
		r.staticThroughput = r.staticActive / step(r.staticActive)
	}
	r.speedup = 1
	if r.active > 0 {
		r.speedup = r.throughput / r.staticThroughput
	}
	r.feasible = r.active > 0
	return r
}

// charged is what a batcher's requests cost with their prompts: one request's prefill,
// generated tokens per second (paged and static) and joules per generated token.
type charged struct{ prefill, tps, staticTPS, joules float64 }

// charge prices requests of `length` tokens, `input` of them prompt, on a batcher that
// decodes decodeTPS (static staticTPS) tokens/s with `active` requests in steps of itl
// timed at context ctx.
func (a *batchArgs) charge(length, ctx, decodeTPS, staticTPS, active, itl float64) charged {
	m := &a.m
	var c charged
	c.tps, c.staticTPS = decodeTPS, staticTPS
	out := length
	var prefillPower float64
	if a.input > 0 {
		out = length - a.input
		if m.calibrated && active > 0 {
			// The engine's prefill scheduling, shared with serve and serve-sim
			// (saturatedPrompt, docs/PHYSICS.md §34.7): with every slot refilled as it frees,
			// a pass takes the waiting prompts the engine's token budget allows, so a
			// request's share of the prefill reads the weights once per pass of k prompts.
			var pass phase
			c.prefill, _, pass = m.saturatedPrompt(active, a.input, a.input, 0)
			prefillPower = pass.power
			// The prefill gives the first generated token, so a request decodes out − 1
			// steps (as serve and serve-sim count them).
			c.tps = calibratedOutputTPS(decodeTPS, out, c.prefill)
			c.staticTPS = calibratedOutputTPS(staticTPS, out, c.prefill)
		} else {
			c.prefill = PromptPrefillS(m.p, m.coef, a.input, a.peakSeed, m.eff)
			prefillPower = SeedPowerW(m.tdp, m.eff)
			c.tps = OutputTokensPerS(decodeTPS, out, c.prefill)
			c.staticTPS = OutputTokensPerS(staticTPS, out, c.prefill)
		}
	}
	if active <= 0 || decodeTPS <= 0 || out <= 0 {
		return c
	}
	var decodePower float64
	if m.calibrated {
		var d step
		m.decodeStep(&d, active, ctx)
		decodePower = m.power(&d)
	} else {
		decodePower = SeedPowerW(m.tdp, ForwardFLOPs(m.p, m.coef, 1, length, active)/m.tp/itl/a.peakSeed)
	}
	// Per request: its decode steps' share of the replica's time and its prefill.
	steps := out
	if m.calibrated && a.input > 0 {
		steps = out - 1
	}
	c.joules = (decodePower*steps/decodeTPS + prefillPower*c.prefill) * a.accels() / out
	return c
}

// BatchIn holds the input columns of ContinuousBatching and ContinuousBatchingC: the
// shared serving input (Batch, CachedPrefix and ChunkTokens are not read) plus the
// batcher's own columns.
type BatchIn struct {
	ServeIn
	MeanTokens  []float64 // Profile C mean request length, 0 = S_max; Profile B ignores it
	MaxBatch    []float64 // B_max requests
	PageTokens  []float64 // tokens per KV page (DefaultPageTokens)
	InputTokens []float64 // optional: prompt tokens of each request (part of its length); 0 = decode only
	Requests    []float64 // optional: requests of a finite benchmark, all queued at once (Profile B, calibrated: finiteRequests); 0 = steady state
	// GraphPadding (optional, calibrated): > 0 when the engine pads every decode-only batch
	// to a captured CUDA graph of PerfOverviewGraphBatches (CUDAGraphBatch), up to
	// min(MaxBatch, ProfileTokens); 0 = decode steps at the batch they have.
	GraphPadding []float64
}

// BatchOut holds the output columns of ContinuousBatching; times in s, sizes in bytes.
type BatchOut struct {
	TTFT, ITL                      []float64
	Throughput                     []float64 // decode tokens/s
	Active                         []float64 // requests decoded together (max_active_requests)
	Fragmentation                  []float64 // fraction of the paged cache that is padding
	KVBytes                        []float64 // paged KV cache of the active requests
	StaticActive, StaticThroughput []float64 // the static batcher
	Speedup                        []float64 // paged over static throughput (generated tokens when prompts are charged)
	PromptPrefill                  []float64 // s, one request's prefill (0 without input tokens)
	OutputTPS, StaticOutputTPS     []float64 // generated tokens/s with prompts charged
	EnergyPerToken                 []float64 // J per generated token, whole replica
	AdmitSlack                     []float64 // (free memory − one request's KV) / capacity, one accelerator: < 0 exactly when nothing is admitted
	Feasible                       []bool

	memo passMemo
}

// BatchCOut holds the output columns of ContinuousBatchingC.
type BatchCOut struct {
	ITL                                []float64 // s, decode step of the paged batch
	Throughput, StaticThroughput       []float64 // tokens/s
	Active, StaticActive               []float64 // requests
	Fragmentation, StaticFragmentation []float64 // internal fragmentation, fractions
	KVBytes, StaticKVBytes             []float64 // reserved KV of the admitted requests
	Speedup                            []float64
	PromptPrefill                      []float64
	OutputTPS, StaticOutputTPS         []float64
	EnergyPerToken                     []float64
	AdmitSlack                         []float64 // as BatchOut's, for one request of the expected paged length
	Feasible                           []bool

	memo passMemo
}

func (o *BatchOut) resize(n int) {
	for _, p := range []*[]float64{&o.TTFT, &o.ITL, &o.Throughput, &o.Active, &o.Fragmentation, &o.KVBytes,
		&o.StaticActive, &o.StaticThroughput, &o.Speedup, &o.PromptPrefill, &o.OutputTPS, &o.StaticOutputTPS, &o.EnergyPerToken, &o.AdmitSlack} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
}

func (o *BatchCOut) resize(n int) {
	for _, p := range []*[]float64{&o.ITL, &o.Throughput, &o.StaticThroughput, &o.Active, &o.StaticActive,
		&o.Fragmentation, &o.StaticFragmentation, &o.KVBytes, &o.StaticKVBytes, &o.Speedup,
		&o.PromptPrefill, &o.OutputTPS, &o.StaticOutputTPS, &o.EnergyPerToken, &o.AdmitSlack} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
}
