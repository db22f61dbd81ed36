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
// With ComputeFloor (the calibrated profile) every decode step, static or paged, also
// takes at least its FLOPs at F·η: step(n) = max(bytes/BW, n·(2·P + coef·S)/(F·η)), one new
// token per request attending over S (Williams et al. 2009 roofline; see Serving).
func ContinuousBatching(out *BatchOut, in *BatchIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		r := continuousBatchingB(in.args(i))
		out.TTFT[i] = r.ttft
		out.ITL[i] = r.itl
		out.Throughput[i] = r.throughput
		out.Active[i] = r.active
		out.Fragmentation[i] = r.fragmentation
		out.KVBytes[i] = r.kv
		out.StaticActive[i] = r.staticActive
		out.StaticThroughput[i] = r.staticThroughput
		out.Speedup[i] = r.speedup
		out.Feasible[i] = r.feasible
	}
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
// 0 < m ≤ S_max (the seed raises otherwise), page > 0.
func ContinuousBatchingC(out *BatchCOut, in *BatchIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		r := continuousBatchingC(in.args(i))
		out.ITL[i] = r.itl
		out.Throughput[i] = r.throughput
		out.StaticThroughput[i] = r.staticThroughput
		out.Active[i] = r.active
		out.StaticActive[i] = r.staticActive
		out.Fragmentation[i] = r.fragmentation
		out.StaticFragmentation[i] = r.staticFragmentation
		out.KVBytes[i] = r.kv
		out.StaticKVBytes[i] = r.staticKV
		out.Speedup[i] = r.speedup
		out.Feasible[i] = r.feasible
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

// batchArgs is one point of either batching model.
type batchArgs struct {
	params, coef, kvElems, bytes      float64
	seq, mean, maxBatch, page         float64
	eff, peak, bw, capacity, dispatch float64
	computeFloor                      bool
}

// floor is a decode step of reqs requests at context ctx whose bytes take memTime:
// memTime itself, or with computeFloor at least the step's FLOPs at F·η.
func (a batchArgs) floor(reqs, ctx, memTime float64) float64 {
	if !a.computeFloor {
		return memTime
	}
	return math.Max(memTime, ForwardFLOPs(a.params, a.coef, 1, ctx, reqs)/(a.peak*a.eff))
}

func (in *BatchIn) args(i int) batchArgs {
	return batchArgs{
		params: in.Params[i], coef: in.AttnCoef[i], kvElems: in.KVElemsPerToken[i], bytes: in.Bytes[i],
		seq: in.SeqLen[i], mean: in.MeanTokens[i], maxBatch: in.MaxBatch[i], page: in.PageTokens[i],
		eff: in.Efficiency[i], peak: in.PeakFLOPS[i], bw: in.MemBandwidth[i], capacity: in.MemCapacity[i],
		dispatch: in.DispatchTax[i], computeFloor: in.ComputeFloor,
	}
}

type batchPoint struct {
	ttft, itl, throughput, active, fragmentation, kv float64
	staticActive, staticThroughput, speedup          float64
	feasible                                         bool
}

func continuousBatchingB(a batchArgs) batchPoint {
	s, bMax := a.seq, a.maxBatch
	r := batchPoint{ttft: ForwardFLOPs(a.params, a.coef, s, s, bMax)/(a.peak*a.eff) + a.dispatch}
	w := a.params * a.bytes
	free := a.capacity - w
	if free <= 0 {
		r.itl, r.speedup = InfeasibleBatchITLS, 1
		return r
	}
	sPad := math.Ceil(s/a.page) * a.page
	if sPad > 0 {
		r.fragmentation = (sPad - s) / sPad
	}
	perRequest := a.kvElems * sPad * a.bytes
	r.active = math.Min(math.Floor(free/perRequest), bMax)
	r.kv = perRequest * r.active
	r.itl = a.floor(r.active, s, (w+r.kv)/a.bw)
	r.speedup = 1
	if r.active > 0 && r.itl > 0 {
		r.throughput = r.active / r.itl
	}
	r.staticActive = math.Max(1, math.Floor(StaticBatchFactor*r.active))
	r.staticThroughput = r.staticActive / a.floor(r.staticActive, s, (w+perRequest*r.staticActive)/a.bw)
	if r.active > 0 {
		r.speedup = r.throughput / r.staticThroughput
	}
	r.feasible = r.active > 0
	return r
}

type batchCPoint struct {
	itl, throughput, staticThroughput, active, staticActive float64
	fragmentation, staticFragmentation, kv, staticKV        float64
	speedup                                                 float64
	feasible                                                bool
}

func continuousBatchingC(a batchArgs) batchCPoint {
	sMax, bMax := a.seq, a.maxBatch
	mean := a.mean
	if mean == 0 {
		mean = sMax
	}
	k := a.kvElems * a.bytes
	w := a.params * a.bytes
	free := math.Max(0, a.capacity-w)
	allocated, frag := ExpectedPagedKVTokens(mean, sMax, a.page)
	r := batchCPoint{
		staticActive:        math.Min(bMax, math.Floor(free/(k*sMax))),
		active:              math.Min(bMax, math.Floor(free/(k*allocated))),
		fragmentation:       frag,
		staticFragmentation: 1 - mean/sMax,
	}
	step := func(reqs float64) float64 { return a.floor(reqs, mean, (w+reqs*k*mean)/a.bw) }
	r.itl = step(r.active)
	r.kv = r.active * k * allocated
	r.staticKV = r.staticActive * k * sMax
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

// BatchIn holds the input columns of ContinuousBatching and ContinuousBatchingC.
type BatchIn struct {
	Params          []float64 // total parameters
	AttnCoef        []float64 // AttentionFLOPsCoef(L, H, h) (Profile B TTFT)
	KVElemsPerToken []float64 // 2·L·H_kv·d, see the doc comment
	Bytes           []float64 // bytes per element
	SeqLen          []float64 // S (Profile B) or the cap S_max (Profile C), tokens
	MeanTokens      []float64 // Profile C mean request length, 0 = S_max; Profile B ignores it
	MaxBatch        []float64 // B_max requests
	PageTokens      []float64 // tokens per KV page (DefaultPageTokens)
	Efficiency      []float64
	PeakFLOPS       []float64
	MemBandwidth    []float64
	MemCapacity     []float64
	DispatchTax     []float64 // s

	// ComputeFloor bounds each decode step below by its FLOPs (calibrated profile).
	ComputeFloor bool
}

// BatchOut holds the output columns of ContinuousBatching; times in s, sizes in bytes.
type BatchOut struct {
	TTFT, ITL                      []float64
	Throughput                     []float64 // tokens/s
	Active                         []float64 // requests decoded together (max_active_requests)
	Fragmentation                  []float64 // fraction of the paged cache that is padding
	KVBytes                        []float64 // paged KV cache of the active requests
	StaticActive, StaticThroughput []float64 // the static batcher
	Speedup                        []float64 // paged over static throughput
	Feasible                       []bool
}

// BatchCOut holds the output columns of ContinuousBatchingC.
type BatchCOut struct {
	ITL                                []float64 // s, decode step of the paged batch
	Throughput, StaticThroughput       []float64 // tokens/s
	Active, StaticActive               []float64 // requests
	Fragmentation, StaticFragmentation []float64 // internal fragmentation, fractions
	KVBytes, StaticKVBytes             []float64 // reserved KV of the admitted requests
	Speedup                            []float64
	Feasible                           []bool
}

func (o *BatchOut) resize(n int) {
	for _, p := range []*[]float64{&o.TTFT, &o.ITL, &o.Throughput, &o.Active, &o.Fragmentation, &o.KVBytes,
		&o.StaticActive, &o.StaticThroughput, &o.Speedup} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
}

func (o *BatchCOut) resize(n int) {
	for _, p := range []*[]float64{&o.ITL, &o.Throughput, &o.StaticThroughput, &o.Active, &o.StaticActive,
		&o.Fragmentation, &o.StaticFragmentation, &o.KVBytes, &o.StaticKVBytes, &o.Speedup} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
}
