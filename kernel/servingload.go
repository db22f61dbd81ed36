package kernel

import "math"

// LoadReason says what decides a ServingLoad point.
type LoadReason uint8

const (
	// LoadSteady: the server reaches a steady state at the arrival rate.
	LoadSteady LoadReason = iota
	// LoadMemory: the weights and one sequence at full context do not fit.
	LoadMemory
	// LoadOverloaded: no steady state — the prefills alone fill the server, or the decode
	// batch the rate needs is larger than the engine's largest batch or than memory holds
	// at full context.
	LoadOverloaded
)

// ServingLoad is one continuous-batching replica (the shared serving input's layout)
// under Poisson arrivals of QPS requests/s, each a prompt of SeqLen tokens (n = SeqLen −
// cached prefix new) and OutputTokens generated ones (ours; docs/PHYSICS.md §34.1). The
// first token comes from the prefill, the O − 1 others from decode steps. With t_p one
// prompt's prefill (chunked or not, as Serving prices it: the chunks' passes and step
// overheads) and t_d(b) a decode step of b sequences at the mean context of the generated
// tokens, MeanDecodeContext(I + O, O):
//
//	ρ_p  = λ·t_p                            the share of time the replica prefills
//	TPOT = t_d(b̄) / (1 − ρ_p)               decode steps run in the time prefills leave
//	N_d  = λ·(O − 1)·TPOT                   sequences decoding (Little's law)
//	b̄    = min(N_d + 1, B)                  the batch a decoding sequence is in
//	TTFT = t_d(b̄)/2 + t_p + ρ_p·t_p/(2(1 − ρ_p))    (calibrated: §34.5's residual, stepResidual)
//	N    = λ·(TTFT + (O − 1)·TPOT)          requests in the replica (Little's law)
//
// The rate at which the largest batch B' (B, or fewer where memory holds fewer sequences
// at full context) is full, λ_cap = B'/((O − 1)·t_d(B') + B'·t_pass(k)/k), is the replica's
// capacity: B' requests per their prefills and decode steps, each pass of a queue that never
// empties taking the k prompts the engine's token budget allows (saturatedPrompt, §34.7; the
// batching study's and serve-capacity's rate too). The mean state below prefills one prompt
// a pass, as Poisson arrivals mostly leave it, so it can be overloaded below λ_cap. Chunked, it is the rate at
// the largest decode batch the batch cap, the chunk budget and ρ_p < 1 allow
// (mixedCapacity).
//
// A prefill is scheduled at the next step boundary ahead of decode (vLLM's and
// TensorRT-LLM's default in-flight batching): an arrival waits for the running step — its
// mean residual, t_d/2, under Poisson arrivals (PASTA, Wolff 1982; the residual of a
// deterministic interval) — and for the prompts ahead of it, an M/D/1 queue of service t_p
// (Pollaczek–Khinchine; the serve-deploy study's queueWait). Decode and prefill share the
// accelerators by time: a chunked prompt riding in a decode step is priced as its own
// passes, so the weights it shares with the decode step are read twice (an upper bound
// on TPOT for a memory-bound step). The decoding sequences are the busy servers of an
// M/G/∞ stage, whose occupancy is Poisson (Kleinrock 1975, Queueing Systems I §4.8), so a
// sequence's own batch, the size-biased mean E[N²]/E[N], is N_d + 1 (at most B).
//
// Chunked prefill (calibrated, PrefillChunk c > 0, no drafting) is stall-free batching
// (Sarathi-Serve, Agrawal et al. OSDI 2024; vLLM's and TensorRT-LLM's chunked context):
// every step carries the decoding sequences and up to c prompt tokens in one forward pass,
// so the prompts share its weight reads. The scheduler takes a waiting prompt's tokens up to
// the budget, so a prompt rides in C = ⌈n/c⌉ steps of its own — c tokens each, the last the
// rest (chunkSteps: S_p seconds in all) — and every other step decodes alone, t_d(b̄) =
// t_mix(b̄, 0). With λ·T prompts arriving per step:
//
//	T    = (1 − λ·C·T)·t_d(b̄) + λ·T·S_p(b̄)   the mean step, decode-only and chunk-carrying
//	TPOT = T,   N_d = λ·(O − 1)·T
//	ρ_p  = λ·S_p                              the share of time in a prompt's chunk steps
//	TTFT = ½(1 − e^{−N_d})·t_mix(N_d/(1 − e^{−N_d}), 0) + ρ'·S'/(2(1 − ρ')) + S' + W_slot
//	S'   = S_p(N_d), ρ' = λ·S'              a prompt's chunk steps beside the N_d it finds
//
// — the decode-only step in progress only while a sequence decodes (§34.5), the prompts
// ahead (an M/D/1 queue whose service is a prompt's chunk steps), the prompt's own chunk
// steps, and the wait for a free slot (§34.3). A decoding sequence's steps carry b̄ = N_d
// + 1 rows; a prompt's chunks run beside the N_d sequences a Poisson arrival finds
// (PASTA), whole batches around the mean (chunkStepsBetween). A step's time is not linear in its prompt
// tokens (the weights are read once, then the FLOPs grow; a MoE step wakes more experts),
// so the steps must be priced as the scheduler forms them, not at the mean prompt tokens a
// step carries (Jensen: that gave Llama3_8B fp16 on an H100 at batch 16 15.7 requests/s
// where the simulation sustains 12.6, and DeepSeek-V3 fp8 on 16 H200s 4.35 where it
// sustains 7.2). t_mix prices
// the pass as Serving does (mixedStage): the matmuls over b̄ + k rows, the decode
// attention over the cache, the prompt tokens' causal attention within their prompt
// (n + 1)/2 keys on average, plus the kernels, exchanges and the engine's step overhead.
// The steady state is the least fixed point in T (the map is nondecreasing while
// λ·C·T ≤ 1); there is none (overloaded) past the largest batch, when every step would
// carry a chunk, or at ρ_p ≥ 1.
//
// TPOT depends on N_d through t_d, so the steady state is a fixed point of the
// nondecreasing map N ↦ λ·(O − 1)·t_d(min(N + 1, B))/(1 − ρ_p); iterated from 0 it rises
// to the least fixed point (Kleene), stopping when a step moves it by less than
// loadTolerance of itself. Where the map is steep near the fixed point (close to
// saturation) the iteration is finished by bisection. There is no steady state (overloaded)
// when ρ_p ≥ 1, when the iterates pass B or the sequences memory holds at full context
// I + O, or when no fixed point lies below them.
func ServingLoad(out *LoadOut, in *LoadIn) {
	n := len(in.Params)
	out.resize(n)
	m := llm{memo: &out.memo}
	out.steps.start = in.runStarts(out.steps.start, n)
	for i := 0; i < n; i++ {
		if out.steps.start[i] {
			out.steps.run++
		}
		in.load(&m, i)
		p := m.underLoad(&out.steps, in.SeqLen[i], in.CachedPrefix[i], in.ChunkTokens[i], in.OutputTokens[i], in.QPS[i], in.Batch[i])
		if in.OutputTokens[i] <= 1 && p.reason == LoadSteady {
			// One generated token, the prefill's: no time between tokens (serve-sim's TPOT is
			// 0 too). The decode step it was priced at (7.0 ms for Llama3_8B on H100) was
			// printed as a TPOT and gave the user 1000/TPOT tokens/s.
			p.tpot = 0
		}
		out.set(i, p)
	}
}

// LoadIn holds the input columns of ServingLoad: the shared serving input (SeqLen is the
// prompt, Batch the engine's largest batch) plus the output length and the arrival rate.
type LoadIn struct {
	ServeIn
	OutputTokens []float64 // O per request
	QPS          []float64 // λ, requests/s
}

// LoadOut holds the output columns of ServingLoad; times in s. A point that is not
// steady has its TTFT, TPOT, concurrency and decode batch at +Inf; with one output token
// a steady point's TPOT is 0 (no time between tokens).
type LoadOut struct {
	Concurrency        []float64 // N, requests in the replica
	DecodeBatch        []float64 // N_d, sequences decoding (mean)
	TTFT, TPOT         []float64
	PrefillTime        []float64 // t_p
	DecodeStep         []float64 // t_d(b̄)
	PrefillUtilization []float64 // ρ_p
	MaxBatch           []float64 // min(B, sequences memory holds at full context)
	CapacityQPS        []float64 // the rate with every request queued: B'/((O − 1)·t_d(B') + B'·t_pass(k_sat)/k_sat), B' = MaxBatch (§34.7), or stall-free mixedCapacity, ≥ qps when steady
	PoissonCapacityQPS []float64 // the highest rate Poisson arrivals keep steady, where the point turns overloaded (§34.8): calibrated whole prompts poissonCapacity; else CapacityQPS
	MemUtilization     []float64 // one accelerator's weights + KV cache of b̄ sequences at full context / capacity
	MemSlack           []float64 // the same memory's slack within what the accelerator may fill (llm.memSlack): < 0 exactly when Reason is LoadMemory
	PowerW             []float64 // one accelerator's mean draw: prefill draw for ρ_p, decode draw the rest
	SlotWait           []float64 // calibrated: mean wait for one of the MaxBatch slots, part of TTFT (§34.3); 0 seed or not steady
	Reason             []LoadReason
	ComputeBound       []bool // the decode step's FLOPs outlast its bytes (calibrated)

	memo  passMemo
	steps stepCache // the decode steps at whole batches, per run of equal shared inputs (§34.4)
}

func (o *LoadOut) resize(n int) {
	for _, p := range []*[]float64{&o.Concurrency, &o.DecodeBatch, &o.TTFT, &o.TPOT, &o.PrefillTime,
		&o.DecodeStep, &o.PrefillUtilization, &o.MaxBatch, &o.CapacityQPS, &o.PoissonCapacityQPS, &o.MemUtilization, &o.PowerW, &o.SlotWait, &o.MemSlack} {
		*p = grow(*p, n)
	}
	o.Reason = grow(o.Reason, n)
	o.ComputeBound = grow(o.ComputeBound, n)
}

type loadPoint struct {
	n, nd, ttft, tpot, tp, step, rho, maxBatch, capacity, mem, power float64
	memSlack                                                         float64
	poisson                                                          float64 // PoissonCapacityQPS
	slotWait                                                         float64
	reason                                                           LoadReason
	computeBound                                                     bool
}

func (o *LoadOut) set(i int, p loadPoint) {
	o.Concurrency[i], o.DecodeBatch[i], o.TTFT[i], o.TPOT[i] = p.n, p.nd, p.ttft, p.tpot
	o.PrefillTime[i], o.DecodeStep[i], o.PrefillUtilization[i] = p.tp, p.step, p.rho
	o.MaxBatch[i], o.CapacityQPS[i], o.MemUtilization[i], o.PowerW[i] = p.maxBatch, p.capacity, p.mem, p.power
	o.Reason[i], o.ComputeBound[i], o.SlotWait[i] = p.reason, p.computeBound, p.slotWait
	o.PoissonCapacityQPS[i] = p.poisson
	o.MemSlack[i] = p.memSlack
}

const (
	// loadTolerance ends the fixed-point iteration: a step that moves the decode batch by
	// less than this share of it (far below any input's precision).
	loadTolerance = 1e-12
	// loadIterations bounds the monotone iteration before bisection finishes it; each is
	// one decode step's pricing.
	loadIterations = 64
	// loadBisections halves [below, above] to well under loadTolerance of a batch ≤ 2^20.
	loadBisections = 80
)

// memoryAt is one accelerator's memory at batch sequences of context s over its capacity,
// and whether it fits: the seed's whole replica over tp·pp accelerators within capacity,
// or the calibrated share (weights, KV cache, draft) within the engine's budget.
func (m *llm) memoryAt(s, batch float64) (util float64, fits bool) {
	if !m.calibrated {
		_, _, _, total := m.seedDecode(batch, s)
		util = total / (m.tp * m.pp) / m.capacity
		return util, util <= 1
	}
	mem, w := m.memPerAccel(s, batch)
	return mem / m.capacity, mem <= m.budget(w)
}

// memSlackAt is memSlack of batch sequences at context s (seed: 1 − memoryAt's share).
func (m *llm) memSlackAt(s, batch float64) float64 {
	if !m.calibrated {
		util, _ := m.memoryAt(s, batch)
		return 1 - util
	}
	mem, w := m.memPerAccel(s, batch)
	return m.memSlack(mem, w)
}

// sequencesHeld is how many sequences of context s fit beside the weights: memory is
// linear in the batch in both profiles, so it is solved from batches 0 and 1. It is
// negative when the weights alone do not fit.
func (m *llm) sequencesHeld(s float64) float64 {
	if !m.calibrated {
		_, _, _, w := m.seedDecode(0, s)
		_, _, _, one := m.seedDecode(1, s)
		return (m.tp*m.pp*m.capacity - w) / (one - w)
	}
	w, wAcc := m.memPerAccel(s, 0)
	one, _ := m.memPerAccel(s, 1)
	return (m.budget(wAcc) - w) / (one - w)
}

// underLoad is ServingLoad at one point: prompts of isl tokens (cached of them from a
// prefix cache, in chunks of chunk tokens), osl generated tokens, qps requests/s, at most
// maxBatch sequences decoding together.
func (m *llm) underLoad(steps *stepCache, isl, cached, chunk, osl, qps, maxBatch float64) loadPoint {
	full := isl + osl
	ctx := MeanDecodeContext(full, osl)
	pre := m.prefillPhase(max(1, isl-cached), isl, chunk)
	p := loadPoint{tp: pre.t, rho: qps * pre.t}
	// Weights that do not fit hold no sequence, not a negative count (it printed
	// "largest batch -54").
	p.maxBatch = max(0, min(maxBatch, math.Floor(m.sequencesHeld(full))))
	if p.maxBatch < 1 {
		p.reason, p.ttft, p.tpot, p.n = LoadMemory, math.Inf(1), math.Inf(1), math.Inf(1)
		p.mem, _ = m.memoryAt(full, 1)
		p.memSlack = m.memSlackAt(full, 1)
		return p
	}
	if chunk > 0 && m.calibrated && m.specK <= 0 {
		return m.underLoadMixed(p, max(1, isl-cached), ctx, chunk, osl, qps, full)
	}
	// A batch is whole: the step a decoding sequence sees is averaged over the whole
	// batches it is in, 1 + K with K Poisson of mean N_d (poissonStep, §34.9, as
	// serve-deploy's occupied prices it). The step at the mean batch put the drafted
	// replica's mean TPOT 18 % above the simulation at 9 requests/s, where its
	// draft-and-verify step turns compute-bound within the batches K takes; priced at the
	// fractional batch, a MoE step — concave in the batch as tokens wake more experts —
	// came out 0.8 % above serve-deploy's for Mixtral 8x7B fp8 on two H200s at 1 request/s.
	// The seed keeps its step at the fractional batch (its goldens).
	step := func(nd float64) phase {
		if !m.calibrated {
			return m.decodePhase(min(nd+1, p.maxBatch), ctx)
		}
		return steps.poissonStep(m, nd, p.maxBatch, ctx)
	}
	// The engine's prefill scheduling (§34.7): with a queue that never empties every pass
	// takes the k_sat prompts its token budget allows — the capacity every serving study
	// shares. Under Poisson arrivals (calibrated, §34.8) a prompt that finds a free slot is
	// prefilled about as it comes, one that finds every slot taken in the pass that refills
	// the group of slots freed together (poissonPasses): its prefill share p, ρ_p = λ·p,
	// and the slots' hold while all are taken.
	n := max(1, isl-cached)
	perPrompt, _, _ := m.saturatedPrompt(p.maxBatch, n, isl, chunk)
	top := step(p.maxBatch - 1) // the full batch's step, t_d(B')
	if m.calibrated {
		top = steps.decode(m, p.maxBatch, ctx)
	}
	p.capacity = p.maxBatch / ((osl-1)*top.t + p.maxBatch*perPrompt)
	p.poisson = p.capacity
	var pp poissonPasses
	own := pre.t
	if m.calibrated {
		p.poisson = m.poissonCapacity(n, isl, chunk, p.maxBatch, osl, top.t, p.capacity, pre)
		pp = m.poissonPasses(qps, n, isl, chunk, p.maxBatch, osl, top.t, pre)
		if qps*pp.hold >= p.maxBatch || (osl <= 1 && qps*pre.t >= 1) {
			// Past B'/hold the slots are not stable: overloaded. With one output token
			// nothing decodes and the prompts alone must keep up, λ·t_p < 1, as
			// poissonCapacity has it (the prefill share's group passes, below 1 there,
			// would not say so).
			return m.overloaded(p, full, 0)
		}
		p.rho, own = qps*pp.perPrompt, pp.own
	}
	steady := p.rho < 1
	// next is the map whose least fixed point is the decode batch.
	next := func(nd float64) float64 { return qps * (osl - 1) * step(nd).t / (1 - p.rho) }
	if m.calibrated {
		// The time alone, as serve-deploy's occupied maps it (poissonTime).
		next = func(nd float64) float64 {
			return qps * (osl - 1) * steps.poissonTime(m, nd, p.maxBatch, ctx) / (1 - p.rho)
		}
	}
	nd := 0.0
	if steady {
		nd, steady = leastFixedPoint(next, p.maxBatch)
	}
	saturated := false
	if !steady {
		if !m.calibrated || osl <= 1 {
			return m.overloaded(p, full, nd)
		}
		// Calibrated, with the slots stable (λ·hold < B') but no decode batch below B' for
		// the mean prefill share: the replica runs with every slot taken and the prompts
		// queued for them refill the groups that free (§34.8). B' sequences decode, so by
		// Little's law each token takes B'/(λ·(O − 1)), and prefills take the rest of the
		// time, ρ_p = 1 − λ·(O − 1)·t_d(B')/B' (the throughput balance; above λ·p_G as the
		// slots are stable, and equal to the mean state's ρ_p where its batch reaches B').
		saturated, nd = true, p.maxBatch-1
		p.rho = 1 - qps*(osl-1)*top.t/p.maxBatch
	}
	d := step(nd)
	if saturated {
		d = top // every slot taken: B' sequences decode
	}
	p.nd, p.step, p.computeBound = nd, d.t, d.computeBound
	p.tpot = d.t / (1 - p.rho)
	if saturated {
		p.nd, p.tpot = p.maxBatch, p.maxBatch/(qps*(osl-1))
	}
	p.ttft = d.t/2 + pre.t + queueWait(p.rho, pre.t)
	if m.calibrated {
		// The step in progress only when one runs (§34.5): the decoding sequences are
		// Poisson with mean N_d, so a step runs 1 − e^{−N_d} of the decode time, at the mean
		// batch of a running step, N_d/(1 − e^{−N_d}) — serve-deploy's stepResidual, so one
		// replica at one rate has one TTFT in both studies. t_d(b̄)/2 charged the half step
		// at the batch a decoding sequence sees even when the replica was idle: 27.53 ms
		// against serve-deploy's 26.14 for Llama3_8B fp16 on an H100 at 0.5 requests/s.
		// The prompt's own pass is poissonPasses' (a group pass when the slots are taken).
		p.ttft = m.stepResidual(nil, min(nd+1, p.maxBatch), p.maxBatch, ctx) + own + queueWait(p.rho, pre.t)
		// A request waits for a slot only while all B' are taken, and then the slots that
		// free together are refilled by one pass (§34.3, §34.8): each held pp.hold.
		w := SlotWait(qps, pp.hold, int(p.maxBatch))
		p.slotWait = w
		p.ttft += w
	}
	p.n = qps * (p.ttft + (osl-1)*p.tpot)
	p.mem, _ = m.memoryAt(full, min(nd+1, p.maxBatch))
	p.memSlack = m.memSlackAt(full, min(nd+1, p.maxBatch))
	p.power = p.rho*pre.power + (1-p.rho)*m.decodeDraw(d, nd)
	return p
}

// decodeDraw is one accelerator's mean draw over the time prefills leave to decode, where
// nd sequences decode on average: the step's draw while one runs, which under the
// calibrated profile is 1 − e^{−N_d} of that time (the decoding sequences Poisson with mean
// N_d, an M/G/∞ stage, as stepResidual and §34.5 have it), and the idle floor the rest,
// IdlePowerFraction × TDP, as ServingSim charges an idle server. The step's draw for all of
// it had Llama3_8B on an H100 at 0.5 requests/s draw 291.5 W against the simulation's
// 239.1 W. The seed keeps the step's draw (its decode draw is near the floor at a small
// batch: its power follows the FLOPs alone).
func (m *llm) decodeDraw(d phase, nd float64) float64 {
	if !m.calibrated {
		return d.power
	}
	busy := -math.Expm1(-max(0, nd))
	return busy*d.power + (1-busy)*m.tdp*IdlePowerFraction
}

// overloaded marks p as having no steady state: TTFT, TPOT, concurrency and the mean decode
// batch have no value (+Inf, as the columns mark it), the memory is the largest batch's at
// full context. The decode batch was where the fixed-point search stopped (0 when the
// prefills alone fill the replica), which serve -o json printed as a mean batch of 0 beside
// a null concurrency.
func (m *llm) overloaded(p loadPoint, full, _ float64) loadPoint {
	p.reason, p.ttft, p.tpot, p.n, p.nd = LoadOverloaded, math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
	p.mem, _ = m.memoryAt(full, p.maxBatch)
	p.memSlack = m.memSlackAt(full, p.maxBatch)
	return p
}

// leastFixedPoint is the least x in [0, limit] with f(x) = x for a nondecreasing f ≥ 0,
// and whether there is one. Iterating from 0 stays below every fixed point and rises to
// the least one; past limit there is none within it. When the iteration is slow (f is
// steep near its fixed point) bisection finishes it between the last iterate, where
// f(x) > x, and limit, where f(limit) ≤ x must hold for a fixed point to lie between.
func leastFixedPoint(f func(float64) float64, limit float64) (float64, bool) {
	x := 0.0
	for k := 0; k < loadIterations; k++ {
		y := f(x)
		if y > limit {
			return y, false
		}
		if y-x <= loadTolerance*y {
			return y, true
		}
		x = y
	}
	lo, hi := x, limit
	if f(hi) > hi {
		return hi, false
	}
	for k := 0; k < loadBisections && hi-lo > loadTolerance*hi; k++ {
		mid := (lo + hi) / 2
		if f(mid) > mid {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, true
}

// underLoadMixed is underLoad for an engine that batches prompt chunks of up to chunk
// tokens with the decode step (n new tokens per prompt, decode at context ctx); p holds
// the prefill alone and the largest batch. A prompt rides in its C = ⌈n/c⌉ chunk steps
// (chunkSteps) and every other step decodes alone, so the mean step is
//
//	T = (1 − λ·C·T)·t_mix(b̄, 0) + λ·T·S_p(b̄)
//
// — λ·T prompts arrive per step, each taking C steps of S_p seconds in all — a
// nondecreasing map of T while λ·C·T ≤ 1 (each chunk step is at least a decode step), whose
// least fixed point is found as underLoad's.
func (m *llm) underLoadMixed(p loadPoint, n, ctx, chunk, osl, qps, full float64) loadPoint {
	batch := func(t float64) float64 { return min(qps*(osl-1)*t+1, p.maxBatch) }
	mean := func(t float64) float64 {
		b := batch(t)
		c := m.chunkSteps(b, ctx, n, chunk)
		return (1-qps*c.count*t)*m.mixedPhase(b, ctx, 0, n).t + qps*t*c.t
	}
	// The step may last until every step carries a chunk or the decode batch fills up.
	c1 := m.chunkSteps(1, ctx, n, chunk)
	limit := 1 / (qps * c1.count)
	if osl > 1 {
		limit = min(limit, p.maxBatch/(qps*(osl-1)))
	}
	p.capacity = m.mixedCapacity(p.maxBatch, n, ctx, chunk, osl)
	p.poisson = p.capacity
	t, steady := leastFixedPoint(mean, limit)
	if !steady {
		return m.overloaded(p, full, qps*(osl-1)*t)
	}
	// A steady state at qps shows the replica sustains it, whatever the sampled capacity.
	p.capacity = max(p.capacity, qps)
	p.poisson = p.capacity
	b := batch(t)
	d := m.mixedPhase(b, ctx, 0, n)
	c := m.chunkSteps(b, ctx, n, chunk)
	q := qps * c.count * t // the share of steps that carry a chunk
	p.nd, p.step, p.tpot, p.computeBound = qps*(osl-1)*t, t, t, d.computeBound
	p.power = ((1-q)*d.t*m.decodeDraw(d, p.nd) + qps*t*c.energy) / t
	// What a prompt sees is not what a decoding sequence sees (issue #10's simcons round):
	// its chunk steps, and those of the prompts ahead of it, run beside the sequences it
	// finds decoding — Poisson with mean N_d (the busy servers of an M/G/∞ stage, Kleinrock
	// 1975 §4.8, seen by a Poisson arrival as they are, PASTA) — not beside the N_d + 1 a
	// decoding sequence is in, and a mean that is not whole is ⌊N_d⌋ and ⌈N_d⌉ sequences in
	// the shares that give it, as §34.4 steps a mean batch (chunkStepsBetween). At a trickle
	// the prompt's chunks run alone, as the simulated lone request's do: priced beside one
	// decode row, Llama3_8B's 1024-token chunk crossed gemmTime's 1,024-row tile (32.18 ms
	// against 24.28 ms alone) and the mean TTFT came out 34 % above the simulation's.
	own := m.chunkStepsBetween(p.nd, ctx, n, chunk)
	p.rho = qps * own.t
	if p.rho >= 1 {
		return m.overloaded(p, full, p.nd)
	}
	// A request waits for a slot only while all B' are taken, and then every slot that
	// frees is refilled at once, so the replica runs at its capacity and a slot is held
	// B'/λ_cap, as with whole prompts (§34.3).
	w := SlotWait(qps, p.maxBatch/p.capacity, int(p.maxBatch))
	if math.IsInf(w, 1) {
		return m.overloaded(p, full, p.nd)
	}
	p.slotWait = w
	// The prompts are the high class of a non-preemptive priority queue whose low class is
	// the decode-only steps (Cobham 1954; §34.5): the wait is W₀/(1 − ρ_p), W₀ the mean work
	// left in what an arrival finds running. The prompts' part, λ·S_p²/2 over 1 − ρ_p, is
	// the M/D/1 wait (queueWait; the remaining chunk steps of the prompt ahead included);
	// the decode-only step in progress runs (1 − ρ_p)(1 − e^{−N_d}) of the time (only while
	// a sequence decodes), so its part is §34.5's ½(1 − e^{−N_d})·t_mix at the mean batch of
	// a running step, N_d/(1 − e^{−N_d}) (mixedResidual). Before issue #10's simcons round
	// the residual was E[t²]/(2·E[t]) over both kinds of step, always running: a step at b̄
	// ≥ 1 charged at idle, and the chunk step in progress counted a second time beside the
	// M/D/1 wait (Llama3_8B FP8 on an H100, batch 128, chunks of 1024, 0.6 of capacity:
	// 20.60 ms against 19.03 simulated; now 18.92).
	residual := m.mixedResidual(p.nd, p.maxBatch, ctx, n)
	p.ttft = residual + queueWait(p.rho, own.t) + own.t + w
	p.n = qps * (p.ttft + (osl-1)*p.tpot)
	p.mem, _ = m.memoryAt(full, min(p.nd+1, p.maxBatch))
	p.memSlack = m.memSlackAt(full, min(p.nd+1, p.maxBatch))
	return p
}

// chunkStepsBetween is chunkSteps beside a mean decode batch b that need not be whole: ⌊b⌋
// and ⌈b⌉ sequences in the shares that give b, each count's steps priced at its whole batch
// (as stepCache.between steps a mean batch, §34.4), so a batch of 0.01 is a prompt alone 99 %
// of the time, not a prompt beside 0.01 of a row that gemmTime rounds up to a whole one.
func (m *llm) chunkStepsBetween(b, ctx, n, chunk float64) chunkSteps {
	lo := math.Floor(b)
	s := m.chunkSteps(lo, ctx, n, chunk)
	if w := b - lo; w > 0 {
		h := m.chunkSteps(lo+1, ctx, n, chunk)
		s.t += w * (h.t - s.t)
		s.t2 += w * (h.t2 - s.t2)
		s.energy += w * (h.energy - s.energy)
	}
	return s
}

// mixedResidual is §34.5's mean wait for a decode-only step in progress (stepResidual) on a
// stall-free replica: nd sequences decode, Poisson in number, so a step runs 1 − e^{−nd} of
// the decode time, at the mean batch of a running step nd/(1 − e^{−nd}) (at most batch),
// priced as ⌊·⌋ and ⌈·⌉ whole batches of mixedPhase with no prompt tokens.
func (m *llm) mixedResidual(nd, batch, ctx, n float64) float64 {
	busy := -math.Expm1(-nd) // 1 − e^{−N_d}
	if !(busy > 0) {
		return 0
	}
	b := math.Min(batch, math.Max(1, nd/busy))
	lo := math.Floor(b)
	t := m.mixedPhase(lo, ctx, 0, n).t
	if w := b - lo; w > 0 {
		t += w * (m.mixedPhase(lo+1, ctx, 0, n).t - t)
	}
	return busy * t / 2
}

// chunkSteps is what one prompt of n new tokens costs in the steps that carry it beside a
// decode batch of b sequences at context ctx: C = ⌈n/c⌉ steps of c tokens, the last of the
// n − (C − 1)·c left, as the scheduler takes a waiting prompt's tokens up to the chunk
// budget (§34.2's simulation; vLLM's chunked prefill). t is their total time, t2 the sum of
// their squares, energy their time × draw per accelerator.
type chunkSteps struct{ count, t, t2, energy float64 }

func (m *llm) chunkSteps(b, ctx, n, chunk float64) chunkSteps {
	return m.chunkStepsOf(b, ctx, n, chunk, 1)
}

// chunkStepsOf is chunkSteps when a prompt that fits a chunk shares its step with the
// per − 1 others the scheduler takes with it (per = promptsPerPass within the chunk, §34.7):
// a prompt's share is 1/per of a step of per·n prompt tokens. per = 1 is chunkSteps; a
// prompt longer than the chunk rides in steps of its own.
func (m *llm) chunkStepsOf(b, ctx, n, chunk, per float64) chunkSteps {
	if per > 1 && n <= chunk {
		var s chunkSteps
		ph := m.mixedPhase(b, ctx, per*n, n)
		s.count, s.t, s.t2, s.energy = 1/per, ph.t/per, ph.t*ph.t/per, ph.t*ph.power/per
		return s
	}
	var s chunkSteps
	add := func(k, times float64) {
		ph := m.mixedPhase(b, ctx, k, n)
		s.count += times
		s.t += times * ph.t
		s.t2 += times * ph.t * ph.t
		s.energy += times * ph.t * ph.power
	}
	whole := math.Floor(n / chunk)
	if whole > 0 {
		add(chunk, whole)
	}
	if last := n - whole*chunk; last > 0 {
		add(last, 1)
	}
	return s
}

// mixedPhase is one calibrated step of b sequences decoding at context s and k prompt
// tokens of n-token prompts, through the pipeline (as forward: min(pp, b) microbatches),
// with the engine's step overhead and host time at the step's sequences.
func (m *llm) mixedPhase(b, s, k, n float64) phase {
	var d step
	micro := 1.0
	if m.pp > 1 {
		micro = max(1, min(m.pp, b))
	}
	m.mixedStage(&d, b/micro, s, k/micro, n)
	if m.pp > 1 {
		m.acrossStages(&d, (b+k)/micro)
		d.flops *= micro
		d.bytes *= micro
		d.work *= micro
	}
	seqs := b
	if n > 0 {
		seqs += k / n // the prompts of the pass, each a sequence the engine's loop handles
	}
	d.itl += m.hostTime(seqs)
	m.powerLimit(&d)
	return phase{d.itl, m.power(&d), d.computeBound}
}

// mixedStage is stage for a pass of b decode tokens at context s and k prompt tokens
// attending (n + 1)/2 keys on average within their n-token prompts: the matmuls over
// b + k rows (logits for the decode tokens and the prompts that finish, k/n), the decode
// attention's FLOPs or cache reads, the prompt tokens' attention FLOPs.
func (m *llm) mixedStage(d *step, b, s, k, n float64) {
	kv := m.kvTok * m.kvContext(s) * b * m.bkv
	if m.kvDiv != 1 {
		kv /= m.kvDiv
	}
	rows := b + k
	seqs := b + k/n
	attnDecode := m.coef * m.attnContext(1, s) * b / m.shards
	attnPrompt := m.coef * k * m.attnContext(n, n) / m.shards // (n + 1)/2 keys without a window
	if m.gemms {
		t, flops, bytes := m.matmuls(seqs, rows/seqs)
		var f16 float64
		if m.latent {
			// MLA: the decode tokens absorbed, the prompt tokens not, in one step (both of
			// the engine's paths run; servingmla.go).
			dt, df, db := m.latentAbsorbed(b)
			pt, pf, pb, core := m.latentPrompt(k, n)
			t += dt + pt + m.latentKernels(k > 0, b > 0)
			flops, bytes = flops+df+pf, bytes+db+pb
			f16 = df // the decode tokens' absorbed matmuls, in 16 bits
			attnDecode, attnPrompt = m.attnDecode*m.attnContext(1, s)*b/m.shards, core
		}
		act := rows * m.actElems * ActivationBytesPerElem
		d.itl = t + max(attnDecode/m.attnRate, kv/m.bw) + attnPrompt/m.attnRate + act/m.bw + m.kernelT
		d.flops, d.bytes = flops+attnDecode+attnPrompt, bytes+kv+act
		d.computeBound = d.flops/m.rate > d.bytes/m.bw
		d.work = 0
		if m.sus > 0 {
			d.work = m.powerWork(flops, seqs, f16, attnDecode+attnPrompt)
		}
	} else {
		m.roofline(d, 2*m.pa*rows/m.shards+attnDecode+attnPrompt, kv, rows)
	}
	m.exchanges(d, rows)
}

// mixedCapacity is the highest rate a stall-free replica keeps up with. With x sequences
// decoding the steady state is explicit: a share u = x/(O − 1) of prompts arrive per step
// (Little's law, λ·T = u), so its mean step is T(x) = (1 − u·C)·t_mix(b̄, 0) + u·S_p(b̄),
// b̄ = min(x + 1, B'), with C and S_p a prompt's chunk steps and their time (chunkSteps),
// and its rate λ(x) = x/((O − 1)·T(x)). x is bounded by the largest batch and by u·C ≤ 1
// (every step carries a chunk). With one generated token nothing decodes: c prompt
// tokens per step of t_mix(1, c).
func (m *llm) mixedCapacity(maxBatch, n, ctx, chunk, osl float64) float64 {
	if osl <= 1 {
		return chunk / (n * m.mixedPhase(1, ctx, chunk, n).t)
	}
	// At capacity the queue never empties, so a step takes the waiting prompts the chunk
	// holds whole (promptsPerPass, §34.7): chunks of 2048 carry two 1024-token prompts and
	// leave the next step to decode alone.
	per := max(1, m.promptsPerPass(maxBatch, maxBatch, n, chunk))
	rate := func(x float64) float64 {
		b := min(x+1, maxBatch)
		u := x / (osl - 1)
		c := m.chunkStepsOf(b, ctx, n, chunk, per)
		return u / ((1-u*c.count)*m.mixedPhase(b, ctx, 0, n).t + u*c.t)
	}
	top := min(maxBatch, (osl-1)/m.chunkStepsOf(1, ctx, n, chunk, per).count)
	// λ(x) rises with x where the step grows smoothly, but the matmuls' tile and wave
	// quantisation (gemmTiming) make T(x) step up, so a smaller batch can sustain a higher
	// rate than the largest: the capacity is the most any allowed x sustains, sampled.
	best := rate(top)
	for k := 1; k < capacitySamples; k++ {
		best = max(best, rate(top*float64(k)/capacitySamples))
	}
	return best
}

// capacitySamples is how many evenly spaced decode batches mixedCapacity tries below the
// largest allowed one.
const capacitySamples = 64
