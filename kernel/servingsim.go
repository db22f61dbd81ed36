package kernel

import (
	"math"
	"math/rand/v2"
	"slices"
)

// SimReason says what decides a ServingSim point.
type SimReason uint8

const (
	// SimOK: the point is simulated (and, with targets, some rate meets them).
	SimOK SimReason = iota
	// SimMemory: the weights and one sequence at full context do not fit on a decode
	// instance (or colocated replica), or a prefill instance does not hold the weights and
	// one prompt's KV cache.
	SimMemory
	// SimOverloaded: QPS is at or above the rate the simulated server sustains (its
	// capacity), where a finite trace has no steady state to sample.
	SimOverloaded
	// SimTTFTMissed, SimTPOTMissed: with targets, no rate meets the attainment — at the
	// lowest rate tried (a thousandth of the capacity) too few requests meet the TTFT
	// (or, TTFT met, the TPOT) target.
	SimTTFTMissed
	SimTPOTMissed
)

// Simulation constants (docs/PHYSICS.md §34.2).
const (
	// SimDefaultSeed is the arrival stream's seed unless one is given.
	SimDefaultSeed = 1
	// simLowRate is the share of the capacity the goodput search starts from: at a
	// thousandth of it a request almost never meets another.
	simLowRate = 1e-3
	// simRateTolerance ends the goodput bisection: the bracket is within this share of
	// the capacity.
	simRateTolerance = 1e-4
	// simFrameSpan is how far, in seconds, a run's clock may run from its origin before
	// the origin moves to the next arrival that finds the server idle (2^20 s, 12 days):
	// float64 resolves such a time to 2^-32 s (0.23 ns), where an absolute clock at
	// 1e-12 requests/s (arrivals 1e12 s apart, resolved to 0.12 ms) rounded a 6 ms decode
	// step to 0 or 7.8 ms. A run that stays within it keeps one origin, 0.
	simFrameSpan = 1 << 20
)

// ServingSim is a deterministic discrete-event simulation of LLM serving under Poisson
// arrivals (ours; docs/PHYSICS.md §34.2): Requests requests arrive at QPS requests/s (the
// arrival times of a seeded stream), each a prompt of SeqLen tokens (n = SeqLen − cached
// prefix new) and OutputTokens generated ones, the first by the prefill. Every iteration
// of every instance is priced by the profile's serving physics — a prompt's prefill
// (prefillPhase), a decode step of the b sequences in the batch (decodePhase at the mean
// context of the generated tokens, MeanDecodeContext(I + O, O)), or a stall-free step of
// b decoding sequences and k prompt tokens (mixedPhase) — so what the simulation adds to
// ServingLoad (§34.1) is the order of events: which requests wait behind which, and by
// how much a prefill stretches the decode steps around it. Per request it records the
// time to first token, the time per output token after the first (TPOT, the O − 1 later
// tokens: (last − first)/(O − 1)) and the end-to-end latency, and reports their P50, P90
// and P99 (nearest rank) and the share of requests meeting both targets (attainment).
//
// Colocated (PrefillInstances = 0): DecodeInstances continuous-batching replicas of the
// shared serving input's layout behind a random dispatcher, so each sees a Poisson stream
// of QPS/D (Poisson thinning) and one is simulated; each admits at most B' sequences
// (Batch, or fewer where memory holds fewer at full context I + O). Whole prompts (seed; calibrated without chunking or
// with drafting): at each iteration boundary a waiting prompt, if the batch has room, is
// prefilled in an iteration of its own ahead of decode (vLLM's default scheduler without
// chunked prefill: prefill first), one prompt per iteration, FCFS; otherwise the decode
// batch takes one step. Stall-free (calibrated, PrefillChunk c > 0, no drafting;
// Sarathi-Serve, Agrawal et al. OSDI 2024): every iteration carries the decoding
// sequences and up to c prompt tokens, first of the prompts already being prefilled,
// then of waiting ones while the batch has room.
//
// Disaggregated (PrefillInstances P ≥ 1; DistServe, Zhong et al. OSDI 2024; Splitwise,
// Patel et al. ISCA 2024): P prefill instances of PrefillTP accelerators take the
// prompts FCFS from one queue (the earliest free instance takes the next prompt, one
// prompt at a time); the prompt's KV cache then moves to a decode instance over the
// link serve-deploy prices (t_kv, §34), and its first token counts from there, as in
// serve-deploy. D = DecodeInstances decode instances of tp × pp run decode-only
// continuous batching of up to B' sequences; a request joins the instance with the
// fewest requests assigned (ties: the lowest index) at its next step boundary, or starts
// a step at once on an idle one.
//
// Arrivals: a seeded stream (PCG, Seed) of unit-rate exponential gaps, cumulated and
// divided by the rate, so every rate sees the same sequence stretched (common random
// numbers): the goodput search compares rates on one trace. The server starts empty and
// every request is measured, as a benchmark run of Requests requests would be. Times run
// from an origin that moves, once the clock is simFrameSpan past it, to the next arrival
// that finds the server idle (nothing in it depends on the time before), so a request's
// times are resolved to a fraction of a nanosecond at any rate; a run shorter than that
// keeps the origin 0.
//
// Capacity: the rate the simulated server sustains — colocated whole prompts
// B'/(t_p·B' + (O − 1)·t_d(B')) (ServingLoad's), stall-free the simulated throughput
// under a queue that never empties (saturated), disaggregated min(P/t_p, D·B'/((O − 1)·t_d(B'))).
// The verdict is PoissonCapacity, the rate Poisson arrivals keep steady: for a calibrated
// colocated replica of whole prompts ServingLoad's poissonCapacity (§34.8, §34.9: the groups
// a stream prefills back to back), else Capacity. At QPS at or above it the point is
// overloaded (no percentile: +Inf). With a TTFT or TPOT target the goodput
// is the highest rate below PoissonCapacity at which at least Attainment of the requests
// meet both, found by bisection between a thousandth of PoissonCapacity and PoissonCapacity
// (attainment falls with the rate on a common trace; where it is not monotone the
// bisection returns one crossing). Per accelerator it is divided by the accelerators the
// point occupies (D·tp·pp colocated; P·PrefillTP + D·tp·pp disaggregated).
//
// Not simulated: preemption and swapping (admission stops at B'), a prefix cache's hits
// varying per request (every request has the same cached prefix), lengths varying per
// request, several prompts batched in one prefill iteration (each prompt is its own
// pass, as ServingLoad prices it), contention for the KV-transfer link, and the network
// and tokenizer time outside the engine.
func ServingSim(out *SimOut, in *SimIn) {
	n := len(in.Params)
	out.resize(n)
	var sc simScratch
	for i := 0; i < n; i++ {
		out.set(i, simulatePoint(in, i, &out.memo, &sc))
	}
}

// SimIn holds the input columns of ServingSim: the shared serving input (SeqLen is the
// prompt, Batch the engine's largest batch, ChunkTokens its chunk) plus the traffic, the
// targets and the pools.
type SimIn struct {
	ServeIn
	OutputTokens           []float64 // O per request
	QPS                    []float64 // requests/s at which percentiles are sampled; 0 = none
	Requests               []float64 // simulated requests per run (≥ 1)
	Seed                   []float64 // the arrival stream's seed
	TTFTTarget, TPOTTarget []float64 // s; 0 = not applied
	Attainment             []float64 // share of requests that must meet the targets, (0, 1]
	PrefillInstances       []float64 // P; 0 = colocated
	DecodeInstances        []float64 // D: decode instances (disaggregated) or replicas (colocated)
	PrefillTP              []float64 // accelerators of one prefill instance (disaggregated)
}

// SimPercentiles are the quantiles ServingSim reports.
var SimPercentiles = [3]float64{0.50, 0.90, 0.99}

// SimOut holds the output columns of ServingSim; times in s. The sampled columns are at
// SampledQPS: QPS when given, else the goodput; they are NaN when neither is above 0 (no rate
// sampled: SampledQPS 0), +Inf when overloaded.
type SimOut struct {
	SampledQPS         []float64    // the rate the sampled columns are at
	TTFT, TPOT, E2E    [3][]float64 // P50, P90, P99
	TTFTMean, TPOTMean []float64
	Attainment         []float64 // share of requests meeting both targets (1 without targets)
	Goodput            []float64 // requests/s: the highest rate meeting the targets at Attainment (0 without targets or when none does)
	GoodputPerAccel    []float64
	Capacity           []float64 // requests/s the simulated server sustains with every request queued
	PoissonCapacity    []float64 // requests/s Poisson arrivals keep steady, where the point turns overloaded (§34.8): calibrated colocated whole prompts ServingLoad's poissonCapacity; else Capacity
	Accelerators       []float64
	PrefillTime        []float64 // t_p on a replica (colocated) or a prefill instance
	DecodeStep         []float64 // t_d(B') at the mean context
	KVTransfer         []float64 // t_kv (0 colocated)
	MaxBatch           []float64 // B'
	PowerW             []float64 // mean draw per accelerator over the sampled run (0 without one)
	Reason             []SimReason
	ComputeBound       []bool // the decode step at B' is compute-bound (calibrated)

	memo passMemo
}

func (o *SimOut) resize(n int) {
	ps := []*[]float64{&o.SampledQPS, &o.TTFTMean, &o.TPOTMean, &o.Attainment, &o.Goodput, &o.GoodputPerAccel, &o.Capacity, &o.PoissonCapacity,
		&o.Accelerators, &o.PrefillTime, &o.DecodeStep, &o.KVTransfer, &o.MaxBatch, &o.PowerW}
	for q := range SimPercentiles {
		ps = append(ps, &o.TTFT[q], &o.TPOT[q], &o.E2E[q])
	}
	for _, p := range ps {
		*p = grow(*p, n)
	}
	o.Reason = grow(o.Reason, n)
	o.ComputeBound = grow(o.ComputeBound, n)
}

type simPoint struct {
	ttft, tpot, e2e                                [3]float64
	ttftMean, tpotMean, attain, goodput, perAccel  float64
	qps                                            float64
	capacity, accels, tp, step, kv, maxBatch, powr float64
	poisson                                        float64 // PoissonCapacity
	reason                                         SimReason
	computeBound                                   bool
}

func (o *SimOut) set(i int, p simPoint) {
	for q := range SimPercentiles {
		o.TTFT[q][i], o.TPOT[q][i], o.E2E[q][i] = p.ttft[q], p.tpot[q], p.e2e[q]
	}
	o.TTFTMean[i], o.TPOTMean[i], o.Attainment[i] = p.ttftMean, p.tpotMean, p.attain
	o.Goodput[i], o.GoodputPerAccel[i], o.Capacity[i], o.Accelerators[i] = p.goodput, p.perAccel, p.capacity, p.accels
	o.PrefillTime[i], o.DecodeStep[i], o.KVTransfer[i], o.MaxBatch[i] = p.tp, p.step, p.kv, p.maxBatch
	o.PowerW[i], o.Reason[i], o.ComputeBound[i], o.SampledQPS[i] = p.powr, p.reason, p.computeBound, p.qps
	o.PoissonCapacity[i] = p.poisson
}

// simServer is one point's server: its step times and pools.
type simServer struct {
	osl      float64 // O
	n        float64 // new prompt tokens
	chunk    float64 // stall-free chunk budget (colocated); 0 = whole prompts
	maxBatch int     // B'
	prefill  phase   // one prompt's prefill (replica or prefill instance)
	kv       float64 // t_kv (disaggregated)
	prefills int     // P; 0 = colocated
	decodes  int     // D
	preAcc   float64 // accelerators of a prefill instance
	repAcc   float64 // accelerators of a replica or decode instance
	idle     float64 // an idle accelerator's draw, W

	decode   []phase // decode steps by batch, filled as batches occur (t = 0: not yet)
	decodeAt func(b float64) phase
	mixed    func(b, k float64) phase
	passes   func(waiting, room float64) (float64, phase) // colocated whole prompts: the prompts a prefill pass takes, and the pass
}

// step is the decode step of b sequences, priced once per point.
func (s *simServer) step(b int) phase {
	if b < len(s.decode) && s.decode[b].t > 0 {
		return s.decode[b]
	}
	for len(s.decode) <= b {
		s.decode = append(s.decode, phase{})
	}
	s.decode[b] = s.decodeAt(float64(b))
	return s.decode[b]
}

// simScratch holds a point's per-request slices, reused across points and runs.
type simScratch struct {
	unit                         []float64 // unit-rate arrival times
	abs                          []float64 // arrival times of the run, s from its start
	arr, first, last, ready, buf []float64 // arr, first, last: s from the request's origin
	rem                          []int32
	running, queue               []int32
	inst                         []simInstance
}

// simRun is one run's per-request results (in the scratch) and its energy.
type simRun struct {
	energyJ, span float64 // accelerator-joules over all accelerators; the run's length, s
}

func simulatePoint(in *SimIn, i int, memo *passMemo, sc *simScratch) simPoint {
	m := in.point(i)
	m.memo = memo
	isl, osl := in.SeqLen[i], math.Max(1, in.OutputTokens[i])
	full, ctx := isl+osl, MeanDecodeContext(isl+osl, osl)
	newTok := math.Max(1, isl-in.CachedPrefix[i])
	chunk := in.ChunkTokens[i]
	s := simServer{osl: osl, n: newTok, repAcc: m.tp * m.pp, idle: m.tdp * IdlePowerFraction}
	s.prefills = int(opt(in.PrefillInstances, i, 0))
	s.decodes = max(1, int(opt(in.DecodeInstances, i, 1)))
	replicas := 1.0
	p := simPoint{}

	held := math.Floor(m.sequencesHeld(full))
	p.maxBatch = math.Min(in.Batch[i], held)
	fits := p.maxBatch >= 1
	if s.prefills > 0 {
		pm := m
		pm.tp, pm.pp = math.Max(1, opt(in.PrefillTP, i, 1)), 1
		pm.derive()
		s.prefill = pm.prefillPhase(newTok, isl, chunk)
		fits = fits && pm.holdsPrompt(isl)
		pairs := math.Min(pm.tp, s.repAcc)
		bw, lat := m.link(pm.tp + s.repAcc)
		s.kv = PointToPoint(m.kvTok*m.kvContext(isl)*m.bkv/pairs, bw, lat)
		s.preAcc = pm.tp
		p.accels = float64(s.prefills)*s.preAcc + float64(s.decodes)*s.repAcc
	} else {
		// D colocated replicas behind a random dispatcher each see a Poisson stream of
		// QPS/D (Poisson thinning): one replica is simulated at that rate.
		replicas, s.decodes = float64(s.decodes), 1
		s.prefill = m.prefillPhase(newTok, isl, chunk)
		p.accels = replicas * s.repAcc
		// Whole prompts: a pass takes the waiting prompts the engine's scheduler allows
		// (promptsPerPass), priced once per prompt count.
		passes := map[float64]phase{1: s.prefill}
		s.passes = func(waiting, room float64) (float64, phase) {
			k := m.promptsPerPass(waiting, room, newTok, chunk)
			ph, ok := passes[k]
			if !ok {
				ph = m.promptPass(k, newTok, isl, chunk)
				passes[k] = ph
			}
			return k, ph
		}
		if chunk > 0 && m.calibrated && m.specK <= 0 {
			s.chunk = chunk
		}
	}
	p.tp, p.kv = s.prefill.t, s.kv
	if !fits {
		p.reason = SimMemory
		p.maxBatch = math.Max(0, p.maxBatch)
		simInf(&p)
		return p
	}
	s.maxBatch = int(p.maxBatch)
	s.decodeAt = func(b float64) phase { return m.decodePhase(b, ctx) }
	top := s.step(s.maxBatch)
	p.step, p.computeBound = top.t, top.computeBound
	if s.chunk > 0 {
		// b and k are whole numbers (sequences; prompt tokens ≤ the chunk): one key.
		memoMixed := map[int64]phase{}
		s.mixed = func(b, k float64) phase {
			key := int64(b)*(int64(s.chunk)+1) + int64(k)
			if ph, ok := memoMixed[key]; ok {
				return ph
			}
			ph := m.mixedPhase(b, ctx, k, newTok)
			memoMixed[key] = ph
			return ph
		}
	}
	switch {
	case s.prefills > 0:
		p.capacity = float64(s.prefills) / s.prefill.t
		if osl > 1 {
			p.capacity = math.Min(p.capacity, float64(s.decodes)*p.maxBatch/((osl-1)*top.t))
		}
	case s.chunk > 0:
		p.capacity = s.saturated(sc)
	default:
		// Exact for this scheduler (§34.7): with a queue that never empties every pass
		// takes the k prompts the engine's budget allows, and the batch stays full.
		perPrompt, _, _ := m.saturatedPrompt(p.maxBatch, newTok, isl, chunk)
		p.capacity = p.maxBatch / ((osl-1)*top.t + p.maxBatch*perPrompt)
	}
	p.poisson = p.capacity
	if s.prefills == 0 && s.chunk == 0 && m.calibrated {
		// Under Poisson arrivals the prompts a stream prefills back to back free their slots
		// together and are refilled in one pass, so the slots stay stable only below
		// ServingLoad's Poisson capacity (§34.8), the rate at which serve turns overloaded:
		// one verdict for one replica. A finite run between it and the queued capacity
		// ends with a finite mean that a long run does not reach (Llama 3 70B FP8 on two
		// MI300X: mean TTFT 46.5 s over 50,000 requests at 4.65 requests/s, 231 s over
		// 200,000, between 4.723 and 4.855).
		p.poisson = m.poissonCapacity(newTok, isl, chunk, p.maxBatch, osl, top.t, p.capacity, s.prefill)
	}
	perRep := p.poisson // the rates below are at one replica (or one pair of pools)
	p.capacity *= replicas
	p.poisson *= replicas

	reqs := max(1, int(opt(in.Requests, i, 2000)))
	sc.arrivals(reqs, uint64(opt(in.Seed, i, SimDefaultSeed)))
	ttftT, tpotT := opt(in.TTFTTarget, i, 0), opt(in.TPOTTarget, i, 0)
	need := opt(in.Attainment, i, 1)

	qps := opt(in.QPS, i, 0)
	if ttftT > 0 || tpotT > 0 {
		var why SimReason
		p.goodput, why = s.goodput(sc, perRep, ttftT, tpotT, need)
		p.goodput *= replicas
		p.reason = why
		p.perAccel = p.goodput / p.accels
		if qps == 0 {
			qps = p.goodput // sample the percentiles at the goodput
		}
	}
	p.qps = qps
	switch {
	case qps <= 0:
		simNone(&p)
	case qps >= p.poisson:
		p.reason = SimOverloaded
		simInf(&p)
	default:
		r := s.run(sc, qps/replicas)
		p.powr = r.energyJ / (r.span * p.accels / replicas)
		p.attain = sc.attainment(ttftT, tpotT, osl)
		p.ttft, p.ttftMean = sc.quantiles(sc.ttfts())
		p.tpot, p.tpotMean = sc.quantiles(sc.tpots(osl))
		p.e2e, _ = sc.quantiles(sc.e2es())
	}
	return p
}

// saturated is the rate a stall-free replica sustains with a queue that never empties:
// every request arrives at once, and the throughput is the completions between the first
// and the third quarter of them over the time between, in a run of max(2000, 16·B')
// requests. ServingLoad's mixedCapacity (§34.1) carries each prompt in chunk steps of its
// own, as these steps do; here two waiting prompts can share a step, which leaves a step to
// decode alone, so where a chunk holds two prompts this capacity is lower (chunks of 2048,
// 1024-token prompts, batch 128: 44.6 against 49.5 requests/s).
func (s *simServer) saturated(sc *simScratch) float64 {
	n := max(2000, 16*s.maxBatch)
	sc.abs, sc.arr, sc.first, sc.last = grow(sc.abs, n), grow(sc.arr, n), grow(sc.first, n), grow(sc.last, n)
	sc.rem = grow(sc.rem, n)
	clear(sc.abs)
	s.runStallFree(sc)
	done := append(sc.ready[:0], sc.last[:n]...)
	slices.Sort(done)
	sc.ready = done
	lo, hi := n/4, 3*n/4
	if done[hi] > done[lo] {
		return float64(hi-lo) / (done[hi] - done[lo])
	}
	return float64(n) / done[n-1]
}

// simInf marks a point's sampled columns as unbounded.
func simInf(p *simPoint) {
	inf := math.Inf(1)
	for q := range SimPercentiles {
		p.ttft[q], p.tpot[q], p.e2e[q] = inf, inf, inf
	}
	p.ttftMean, p.tpotMean = inf, inf
	p.attain = 0
}

// simNone marks a point's sampled columns as undefined: no rate to sample at (neither QPS nor
// a target, or targets met at no rate). A 0 there read as a 0 ms latency, which a query such
// as sim_ttft_p99_ms <= target counted as met; NaN is null in JSON and fails every comparison
// in SQL.
func simNone(p *simPoint) {
	nan := math.NaN()
	for q := range SimPercentiles {
		p.ttft[q], p.tpot[q], p.e2e[q] = nan, nan, nan
	}
	p.ttftMean, p.tpotMean, p.attain = nan, nan, nan
}

// goodput is the highest rate below capacity at which at least need of the requests meet
// both targets (a target of 0 is not applied), by bisection; 0 and why when even a
// thousandth of the capacity misses.
func (s *simServer) goodput(sc *simScratch, capacity, ttftT, tpotT, need float64) (float64, SimReason) {
	meets := func(qps float64) bool {
		s.run(sc, qps)
		return sc.attainment(ttftT, tpotT, s.osl) >= need
	}
	lo, hi := simLowRate*capacity, capacity
	if !meets(lo) {
		if sc.attainment(ttftT, 0, s.osl) < need {
			return 0, SimTTFTMissed
		}
		return 0, SimTPOTMissed
	}
	for hi-lo > simRateTolerance*capacity {
		mid := (lo + hi) / 2
		if meets(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, SimOK
}

// arrivals draws n unit-rate Poisson arrival times from the seeded stream (PCG; each gap
// −ln u with u uniform in (0, 1) from the stream's top 53 bits).
func (sc *simScratch) arrivals(n int, seed uint64) {
	sc.unit = grow(sc.unit, n)
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	t := 0.0
	for j := range sc.unit {
		u := (float64(r.Uint64()>>11) + 0.5) / (1 << 53)
		t -= math.Log(u)
		sc.unit[j] = t
	}
}

// run simulates the scratch's arrivals at qps requests/s; per-request times land in
// sc.arr (the arrival), sc.first (the first token: the prefill's end, plus t_kv
// disaggregated) and sc.last (the last token), each from the request's origin (0 unless
// the run outlasts simFrameSpan).
func (s *simServer) run(sc *simScratch, qps float64) simRun {
	n := len(sc.unit)
	sc.abs, sc.arr, sc.first, sc.last = grow(sc.abs, n), grow(sc.arr, n), grow(sc.first, n), grow(sc.last, n)
	sc.rem = grow(sc.rem, n)
	for j, u := range sc.unit {
		sc.abs[j] = u / qps
	}
	switch {
	case s.prefills > 0:
		return s.runDisaggregated(sc)
	case s.chunk > 0:
		return s.runStallFree(sc)
	}
	return s.runWhole(sc)
}

// decodeTokens takes one decode step's token for each running sequence at time t: those
// done leave (their last token at t). It returns the sequences still running and how many
// finished.
func (s *simServer) decodeTokens(sc *simScratch, running []int32, t float64) ([]int32, int) {
	k, done := 0, 0
	for _, j := range running {
		sc.rem[j]--
		if sc.rem[j] == 0 {
			sc.last[j] = t
			done++
			continue
		}
		running[k] = j
		k++
	}
	return running[:k], done
}

// started records request j's first token at t: it decodes O − 1 more, or is done.
func (s *simServer) started(sc *simScratch, j int32, t float64, running []int32) ([]int32, int) {
	sc.first[j] = t
	if s.osl <= 1 {
		sc.last[j] = t
		return running, 1
	}
	sc.rem[j] = int32(s.osl - 1)
	return append(running, j), 0
}

// runWhole is a colocated replica that prefills whole prompts ahead of decode, as many
// waiting prompts per iteration as the engine's scheduler takes (promptsPerPass; one in
// the seed).
func (s *simServer) runWhole(sc *simScratch) simRun {
	n := len(sc.arr)
	running := sc.running[:0]
	var r simRun
	t, o, next, head, done := 0.0, 0.0, 0, 0, 0 // t: s from the origin o
	for done < n {
		next = sc.admit(next, t, o)
		if head == next && len(running) == 0 {
			t, o = s.waitIdle(&r, sc.abs[next], t, o)
			continue
		}
		if head < next && len(running) < s.maxBatch {
			k, ph := 1.0, s.prefill
			if s.passes != nil {
				k, ph = s.passes(float64(next-head), float64(s.maxBatch-len(running)))
			}
			t += ph.t
			r.energyJ += ph.t * ph.power * s.repAcc
			for range int(k) {
				var d int
				running, d = s.started(sc, int32(head), t, running)
				head++
				done += d
			}
			continue
		}
		ph := s.step(len(running))
		t += ph.t
		r.energyJ += ph.t * ph.power * s.repAcc
		var d int
		running, d = s.decodeTokens(sc, running, t)
		done += d
	}
	sc.running = running
	r.span = o + t
	return r
}

// admit is next moved past the arrivals due by the clock t (s from the origin o), each
// admitted arrival's time stored from the origin in sc.arr.
func (sc *simScratch) admit(next int, t, o float64) int {
	abs, arr := sc.abs, sc.arr
	for next < len(abs) && abs[next]-o <= t {
		arr[next] = abs[next] - o
		next++
	}
	return next
}

// waitIdle charges r the idle power of a server with nothing to do from the clock t
// (from the origin o) until the arrival at a (from the run's start), and returns the
// clock and origin then (idleUntil).
func (s *simServer) waitIdle(r *simRun, a, t, o float64) (float64, float64) {
	r.energyJ += (a - o - t) * s.idle * s.repAcc
	return idleUntil(a, o)
}

// idleUntil is the clock (t from the origin, and the origin) when an idle server's next
// request arrives at a s from the run's start, origin o: the origin moves to the arrival
// once the clock would pass simFrameSpan, else it stays (so a short run's times are those
// of one clock from 0).
func idleUntil(a, o float64) (t, origin float64) {
	if a-o >= simFrameSpan {
		return 0, a
	}
	return a - o, o
}

// runStallFree is a colocated replica that batches up to chunk prompt tokens with every
// decode step (prompts FCFS: those being prefilled first, then waiting ones while the
// batch has room).
func (s *simServer) runStallFree(sc *simScratch) simRun {
	n := len(sc.arr)
	running := sc.running[:0]
	pre := sc.queue[:0] // prompts being prefilled, FCFS; their tokens left in left[]
	left := grow(sc.buf, n)
	var r simRun
	t, o, next, head, done := 0.0, 0.0, 0, 0, 0 // t: s from the origin o
	for done < n {
		next = sc.admit(next, t, o)
		if head == next && len(running) == 0 && len(pre) == 0 {
			t, o = s.waitIdle(&r, sc.abs[next], t, o)
			continue
		}
		budget := s.chunk
		for _, j := range pre {
			if budget <= 0 {
				break
			}
			budget -= math.Min(budget, left[j])
		}
		for budget > 0 && head < next && len(running)+len(pre) < s.maxBatch {
			left[head] = s.n
			pre = append(pre, int32(head))
			head++
			budget -= math.Min(budget, s.n)
		}
		k := s.chunk - budget
		ph := s.mixed(float64(len(running)), k)
		t += ph.t
		r.energyJ += ph.t * ph.power * s.repAcc
		var d int
		running, d = s.decodeTokens(sc, running, t)
		done += d
		// The prompts' tokens, in order, until the step's k are spent; finished prompts
		// give their first token at the step's end and decode from the next step.
		w := 0
		for _, j := range pre {
			take := math.Min(k, left[j])
			k -= take
			left[j] -= take
			if left[j] > 0 {
				pre[w] = j
				w++
				continue
			}
			running, d = s.started(sc, j, t, running)
			done += d
		}
		pre = pre[:w]
	}
	sc.running, sc.queue, sc.buf = running, pre, left
	r.span = o + t
	return r
}

// simInstance is a decode instance of the disaggregated pool.
type simInstance struct {
	running, waiting []int32
	until            float64 // the running step's end
	busy             bool
}

// runDisaggregated is P prefill instances feeding D decode instances.
func (s *simServer) runDisaggregated(sc *simScratch) simRun {
	n := len(sc.arr)
	var r simRun
	// Prefill pool: one FCFS queue, the earliest free instance takes the next prompt. A
	// prompt's prefill is taken when the decode pool's events reach its arrival (it does
	// not depend on them), so the clock's origin moves only when both pools are idle.
	free := grow(sc.buf, s.prefills)
	clear(free)
	end, o, pre := 0.0, 0.0, 0 // the prefill pool's last end, s from the run's start; the origin; prompts taken
	prefillNext := func(idle bool) {
		j := pre
		pre++
		a := sc.abs[j] - o
		if idle && a >= simFrameSpan && !slices.ContainsFunc(free, func(f float64) bool { return f > a }) {
			o, a = sc.abs[j], 0
			clear(free)
		}
		sc.arr[j] = a
		k := 0
		for q := 1; q < s.prefills; q++ {
			if free[q] < free[k] {
				k = q
			}
		}
		free[k] = math.Max(a, free[k]) + s.prefill.t
		sc.first[j] = free[k] + s.kv
		end = math.Max(end, o+free[k])
	}
	busyPre := float64(n) * s.prefill.t
	r.energyJ += busyPre * s.prefill.power * s.preAcc
	// Decode pool: requests arrive, in first-token order, when their KV cache has moved.
	if cap(sc.inst) < s.decodes {
		sc.inst = make([]simInstance, s.decodes)
	}
	inst := sc.inst[:s.decodes]
	for q := range inst {
		inst[q].running, inst[q].waiting, inst[q].busy = inst[q].running[:0], inst[q].waiting[:0], false
	}
	busyDec := 0.0
	t, next, done := 0.0, 0, 0
	start := func(in *simInstance, at float64) {
		room := min(s.maxBatch-len(in.running), len(in.waiting))
		in.running = append(in.running, in.waiting[:room]...)
		in.waiting = in.waiting[:copy(in.waiting, in.waiting[room:])]
		if len(in.running) == 0 {
			in.busy = false
			return
		}
		ph := s.step(len(in.running))
		in.until, in.busy = at+ph.t, true
		busyDec += ph.t
		r.energyJ += ph.t * ph.power * s.repAcc
	}
	for done < n {
		e := -1
		for q := range inst {
			if inst[q].busy && (e < 0 || inst[q].until < inst[e].until) {
				e = q
			}
		}
		if next == pre && next < n && (e < 0 || sc.abs[next]-o <= inst[e].until) {
			prefillNext(e < 0) // its first token is after its arrival: no decode event is due first
		}
		if next < pre && (e < 0 || sc.first[next] <= inst[e].until) {
			t = sc.first[next]
			j := int32(next)
			next++
			if s.osl <= 1 {
				sc.last[j] = t
				done++
				continue
			}
			sc.rem[j] = int32(s.osl - 1)
			k := 0
			for q := 1; q < len(inst); q++ {
				if len(inst[q].running)+len(inst[q].waiting) < len(inst[k].running)+len(inst[k].waiting) {
					k = q
				}
			}
			inst[k].waiting = append(inst[k].waiting, j)
			if !inst[k].busy {
				start(&inst[k], t)
			}
			continue
		}
		in := &inst[e]
		t = in.until
		var d int
		in.running, d = s.decodeTokens(sc, in.running, t)
		done += d
		start(in, t)
	}
	sc.buf = free
	r.span = math.Max(o+t, end)
	idlePre := r.span*float64(s.prefills) - busyPre
	idleDec := r.span*float64(s.decodes) - busyDec
	r.energyJ += idlePre*s.idle*s.preAcc + idleDec*s.idle*s.repAcc
	return r
}

// ttfts, tpots and e2es fill the scratch's buffer with each request's time to first
// token, time per output token after the first (0 with one output token) and end-to-end
// latency.
func (sc *simScratch) ttfts() []float64 {
	sc.ready = grow(sc.ready, len(sc.arr))
	for j := range sc.arr {
		sc.ready[j] = sc.first[j] - sc.arr[j]
	}
	return sc.ready
}

func (sc *simScratch) tpots(osl float64) []float64 {
	sc.ready = grow(sc.ready, len(sc.arr))
	for j := range sc.arr {
		sc.ready[j] = 0
		if osl > 1 {
			sc.ready[j] = (sc.last[j] - sc.first[j]) / (osl - 1)
		}
	}
	return sc.ready
}

func (sc *simScratch) e2es() []float64 {
	sc.ready = grow(sc.ready, len(sc.arr))
	for j := range sc.arr {
		sc.ready[j] = sc.last[j] - sc.arr[j]
	}
	return sc.ready
}

// quantiles sorts x and returns its P50, P90 and P99 (nearest rank: the ⌈q·N⌉-th
// smallest) and its mean.
func (sc *simScratch) quantiles(x []float64) (q [3]float64, mean float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	slices.Sort(x)
	for k, p := range SimPercentiles {
		q[k] = x[NearestRank(p, len(x))]
	}
	return q, mean
}

// NearestRank is the index of the q-quantile of n sorted values by the nearest-rank
// method: the ⌈q·n⌉-th smallest (at least the first).
func NearestRank(q float64, n int) int {
	r := int(math.Ceil(q*float64(n) - 1e-9))
	return min(n, max(1, r)) - 1
}

// attainment is the share of the last run's requests whose TTFT is within ttftT and TPOT
// within tpotT (a target of 0 is not applied).
func (sc *simScratch) attainment(ttftT, tpotT, osl float64) float64 {
	met := 0
	for j := range sc.arr {
		ok := ttftT <= 0 || sc.first[j]-sc.arr[j] <= ttftT
		if ok && tpotT > 0 && osl > 1 {
			ok = (sc.last[j]-sc.first[j])/(osl-1) <= tpotT
		}
		if ok {
			met++
		}
	}
	return float64(met) / float64(len(sc.arr))
}
