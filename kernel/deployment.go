package kernel

import "math"

// DeployReason says what decides a ServingDeployment point.
type DeployReason uint8

const (
	// DeployFeasible: some fleet within the accelerator limit meets both targets.
	DeployFeasible DeployReason = iota
	// DeployMemory: weights, draft and the KV cache at full context do not fit, or (disaggregated)
	// a prefill instance does not hold the weights and one prompt's KV cache.
	DeployMemory
	// DeployITL: even without queueing the decode step is slower than the ITL target.
	DeployITL
	// DeployTTFT: even without queueing the prefill (and KV transfer) misses the TTFT target.
	DeployTTFT
	// DeployAccelerators: meeting the targets at this QPS needs more accelerators than allowed.
	DeployAccelerators
)

// ServingDeployment sizes a fleet that serves QPS requests/s of InputTokens prompt tokens
// and OutputTokens generated tokens within a time-to-first-token and an inter-token
// latency target (ours; docs/PHYSICS.md §34). Per point the decode replica is the shared
// serving input's layout (tp × pp accelerators, Batch concurrent sequences); prefill and
// decode times come from Serving's physics of the profile (one prompt, n = I − cached
// prefix; a decode step at the mean context of the generated tokens, I + (O + 1)/2, the
// batchers' MeanDecodeContext), and memory must hold the full context I + O for the whole
// batch — and, disaggregated, a prefill instance its weights on PrefillTP accelerators and
// one prompt's KV cache.
//
// Aggregated (Disaggregated = 0): each replica interleaves whole prefills between decode
// steps (no chunking overlap). With λ = QPS / r requests/s per replica and prefill
// service t_p, the replica prefills a fraction ρ = λ·t_p of the time, so
//
//	ITL  = t_step / (1 − ρ)                       decode stalls while prefilling
//	TTFT = t_step + t_p + ρ·t_p / (2(1 − ρ))      wait for the running step, M/D/1 queue
//	r    ≥ QPS·(t_p + O·t_step/B)                 Little: at most B sequences in flight
//
// Disaggregated (= 1, Splitwise, Patel et al. 2024; DistServe, Zhong et al. 2024): prefill
// instances of PrefillTP accelerators and decode instances of tp × pp. The KV cache of the
// prompt, kv·I·b_kv bytes, moves from the prefill to the decode instance in parallel over
// min(PrefillTP, tp·pp) accelerator pairs — over the scale-up link when both instances fit
// in one node, else the fabric — taking t_kv; then
//
//	ITL  = t_step                                 no prefill interference
//	TTFT = t_p + ρ_p·t_p / (2(1 − ρ_p)) + t_kv    M/D/1 prefill queue (DistServe §4.1)
//	r_d  ≥ QPS·O·t_step / B,   r_p ≥ QPS·t_p / ρ_p
//
// In both modes the least fleet meeting the targets is taken (every bound is monotone in
// the instance count): a TTFT target with slack x = (target − fixed latency)/t_p allows a
// prefill utilisation ρ ≤ 2x/(1 + 2x). The pool ratio is r_p·PrefillTP : r_d·tp·pp.
//
// Calibrated, B is the engine's cap, not the batch it runs: a decode replica or instance
// steps at the batch its load gives it (§34.4). With λ = QPS/r and ρ as above (0
// disaggregated), the sequences decoding are the least fixed point of
//
//	N_d = λ·(O − 1)·t_step(b̄)/(1 − ρ),   b̄ = min(N_d + 1, B)
//
// (Little's law; b̄ the size-biased batch of an M/G/∞ stage's Poisson occupancy, as
// ServingLoad has it), and t_step(b̄) replaces t_step(B) in the ITL, in the aggregated
// TTFT's running step and in the draw; the slot waits keep t_step(B) (a request waits only
// while all B slots are taken). The aggregated TTFT charges not the whole running step but
// its mean residual where one runs (stepResidual, §34.5), so its floor is the unqueued
// prefill. The least r above the slots' capacity meeting both targets
// is searched, and an ITL target is missed outright only when a lone sequence's step
// exceeds it. The disaggregated prefill pool is one queue served by r_p instances (M/D/r_p,
// SlotWait's form), the least r_p whose TTFT meets the target.
//
// Power averages what each accelerator does: prefill draw while prefilling, decode draw
// while decoding, the idle floor otherwise (AcceleratorPowerW; the seed's SeedPowerW).
func ServingDeployment(out *DeployOut, in *DeployIn) {
	n := len(in.Params)
	out.resize(n)
	out.steps.start = in.runStarts(out.steps.start, n)
	for i := 0; i < n; i++ {
		if out.steps.start[i] {
			out.steps.run++
		}
		out.set(i, deploy(in, i, &out.memo, &out.steps))
	}
}

// stepCache remembers the calibrated decode steps at whole batches of a run of points
// whose shared serving inputs are equal bit for bit (runStarts): the fleet search prices
// the steps of many decode batches per point, and a sweep's batch caps, the fastest axis,
// leave the layout and so those steps alone. An entry is keyed by its run and by every
// input of the step that may change inside a run (the batch, the context, the efficiency
// and 16-bit rates), so a hit returns the bits decodePhase computed.
type stepCache struct {
	start []bool
	run   uint64 // the current run's id, from 1; 0 marks an empty entry
	keys  [stepCacheSize]stepKey
	vals  [stepCacheSize]phase
	// dense: vals[1..denseTo] are the steps of batches 1..denseTo under denseKey (its b
	// 0), so poissonStep reads a window of them without a key each.
	denseKey stepKey
	denseTo  int
	// kinks[j]: how many batches 2 … j the dense step bends at (its second difference
	// t(j + 1) − 2·t(j) + t(j − 1) beyond rounding), for j < denseTo.
	kinks [stepCacheSize]int32
}

type stepKey struct{ run, b, s, eff, rate16, attn16, sus, sus16 uint64 }

// stepCacheSize holds every batch of a 1–1024 cap and a lone sequence's, direct-mapped by
// the batch.
const stepCacheSize = 2048

// decode is m.decodePhase(b, s) for a whole batch b ≥ 1, remembered within the run (a
// nil cache remembers nothing).
func (c *stepCache) decode(m *llm, b, s float64) phase {
	if c == nil {
		return m.decodePhase(b, s)
	}
	k := c.key(m, b, s)
	j := int(uint64(b) & (stepCacheSize - 1))
	if c.keys[j] == k {
		return c.vals[j]
	}
	p := m.decodePhase(b, s)
	c.keys[j], c.vals[j] = k, p
	if j <= c.denseTo {
		c.denseTo = j - 1 // a dense entry overwritten
	}
	return p
}

func (c *stepCache) key(m *llm, b, s float64) stepKey {
	return stepKey{c.run, math.Float64bits(b), math.Float64bits(s), math.Float64bits(m.eff), math.Float64bits(m.rate16), math.Float64bits(m.attn16),
		math.Float64bits(m.sus), math.Float64bits(m.sus16)}
}

// dense returns the steps of batches 1..top (index b) at context s, remembered within the
// run; top < stepCacheSize.
func (c *stepCache) dense(m *llm, top int, s float64) []phase {
	if base := c.key(m, 0, s); c.denseKey != base {
		c.denseKey, c.denseTo = base, 0
	}
	for b := c.denseTo + 1; b <= top; b++ {
		t := c.decode(m, float64(b), s).t
		if b >= 3 {
			j := b - 1
			c.kinks[j] = c.kinks[j-1]
			if d2 := t - 2*c.vals[j].t + c.vals[j-1].t; math.Abs(d2) > kinkTolerance*t {
				c.kinks[j]++
			}
		}
		c.denseTo = b
	}
	return c.vals[:top+1]
}

// DeployIn holds the input columns of ServingDeployment: the shared serving input (SeqLen
// is not read; Batch is the decode batch per replica) plus the traffic and targets.
type DeployIn struct {
	ServeIn
	InputTokens, OutputTokens []float64 // I and O per request
	QPS                       []float64 // requests/s
	TTFTTarget, ITLTarget     []float64 // s
	Disaggregated             []float64 // 0 aggregated, 1 disaggregated
	PrefillTP                 []float64 // accelerators of one prefill instance (disaggregated)
	MaxAccelerators           []float64 // 0 = no limit
}

// DeployOut holds the output columns of ServingDeployment; times in s.
type DeployOut struct {
	TTFT, ITL               []float64 // at the chosen fleet
	PrefillTime, DecodeStep []float64 // t_p, t_step (calibrated: at the decode batch b̄)
	DecodeBatch             []float64 // b̄: the batch a decoding sequence is in (seed: B)
	KVTransfer              []float64 // t_kv (0 aggregated)
	Replicas                []float64 // aggregated replicas, or decode instances
	PrefillInstances        []float64 // 0 aggregated
	Accelerators            []float64 // whole fleet
	PrefillAccelerators     []float64
	PrefillUtilization      []float64 // ρ (aggregated) or ρ_p
	// DecodeUtilization is the share of a replica's (or decode instance's) batch slots the
	// load takes, λ·S/B with S a slot's hold: the rate over the rate that keeps all B
	// taken. Near 1 the slot wait is most of the latency (§34.3) and a finite run of
	// requests is far from the steady state its means describe.
	DecodeUtilization                 []float64
	TokensPerSPerAccel, TokensPerUser []float64 // output tokens/s per accelerator; 1/ITL
	PowerW                            []float64 // mean draw per accelerator
	EnergyPerToken                    []float64 // J per generated token, whole fleet
	Slowest                           []float64 // max(floor TTFT/target, ITL/target, accelerators/limit), +Inf when it does not fit: ≤ 1 when feasible (a fleet at the limit is 1)
	// TTFTFloor and ITLFloor are the latencies Slowest compares with the targets where the
	// fleet misses them: the unqueued TTFT (the running step or KV transfer, then the
	// prefill) and the fastest decode step the layout gives (seed: at its full batch;
	// calibrated: a lone sequence's).
	TTFTFloor, ITLFloor []float64
	Reason              []DeployReason
	Feasible            []bool
	ComputeBound        []bool    // the decode step's FLOPs outlast its bytes (calibrated)
	MemUtilization      []float64 // one decode accelerator's memory at full context / capacity

	memo  passMemo
	steps stepCache
}

func (o *DeployOut) resize(n int) {
	for _, p := range []*[]float64{&o.TTFT, &o.ITL, &o.PrefillTime, &o.DecodeStep, &o.DecodeBatch, &o.KVTransfer, &o.Replicas,
		&o.PrefillInstances, &o.Accelerators, &o.PrefillAccelerators, &o.PrefillUtilization, &o.DecodeUtilization, &o.TokensPerSPerAccel,
		&o.TokensPerUser, &o.PowerW, &o.EnergyPerToken, &o.Slowest, &o.TTFTFloor, &o.ITLFloor} {
		*p = grow(*p, n)
	}
	o.Reason = grow(o.Reason, n)
	o.Feasible = grow(o.Feasible, n)
	o.ComputeBound = grow(o.ComputeBound, n)
	o.MemUtilization = grow(o.MemUtilization, n)
}

type deployPoint struct {
	ttft, itl, tp, step, batch, kv, replicas, prefills, accels, prefillAccels, rho float64
	decodeUtil                                                                     float64
	perAccel, perUser, power, joules, slowest, mem                                 float64
	ttftFloor, itlFloor                                                            float64
	reason                                                                         DeployReason
	computeBound                                                                   bool
}

func (o *DeployOut) set(i int, d deployPoint) {
	o.TTFT[i], o.ITL[i], o.PrefillTime[i], o.DecodeStep[i], o.DecodeBatch[i], o.KVTransfer[i] = d.ttft, d.itl, d.tp, d.step, d.batch, d.kv
	o.Replicas[i], o.PrefillInstances[i], o.Accelerators[i], o.PrefillAccelerators[i] = d.replicas, d.prefills, d.accels, d.prefillAccels
	o.PrefillUtilization[i], o.TokensPerSPerAccel[i], o.TokensPerUser[i] = d.rho, d.perAccel, d.perUser
	o.DecodeUtilization[i] = d.decodeUtil
	o.PowerW[i], o.EnergyPerToken[i], o.Slowest[i], o.Reason[i] = d.power, d.joules, d.slowest, d.reason
	o.Feasible[i] = d.reason == DeployFeasible
	o.ComputeBound[i], o.MemUtilization[i] = d.computeBound, d.mem
	o.TTFTFloor[i], o.ITLFloor[i] = d.ttftFloor, d.itlFloor
}

// phase is one pass's time, an accelerator's draw during it, and whether its FLOPs
// outlast its bytes.
type phase struct {
	t, power     float64
	computeBound bool
}

// prefillPhase is one prompt's prefill (n new tokens at context s) on replica m.
func (m *llm) prefillPhase(n, s, chunk float64) phase {
	if !m.calibrated {
		t, _, _ := m.seedPrefill(1, n, s, chunk)
		return phase{t, SeedPowerW(m.tdp, m.eff), true}
	}
	t, _, _ := m.prefill(1, n, s, chunk)
	var p step
	m.passage(&p, 1, n, s)
	return phase{t, m.power(&p), p.computeBound}
}

// decodePhase is one decode step of batch sequences at context s on replica m.
func (m *llm) decodePhase(batch, s float64) phase {
	if !m.calibrated {
		itl, _, _, _ := m.seedDecode(batch, s)
		return phase{itl, m.seedDecodePower(batch, s, itl), false}
	}
	var d step
	m.decodeStep(&d, batch, s)
	return phase{d.itl, m.power(&d), d.computeBound}
}

// rhoFor is the highest utilisation of an M/D/1 prefill queue with service t whose mean
// response, fixed + t + ρ·t/(2(1 − ρ)), stays within target; ok is false when even an
// empty queue misses it.
func rhoFor(target, fixed, t float64) (rho float64, ok bool) {
	slack := target - fixed - t
	if slack <= 0 {
		return 0, false
	}
	x := slack / t
	return 2 * x / (1 + 2*x), true
}

func deploy(in *DeployIn, i int, memo *passMemo, steps *stepCache) deployPoint {
	m := in.point(i)
	m.memo = memo
	isl, osl, qps := in.InputTokens[i], in.OutputTokens[i], in.QPS[i]
	batch := in.Batch[i]
	ttftT, itlT := in.TTFTTarget[i], in.ITLTarget[i]
	chunk := in.ChunkTokens[i]
	newTok := math.Max(1, isl-in.CachedPrefix[i])
	full, mean := isl+osl, MeanDecodeContext(isl+osl, osl)
	decode := steps.decode(&m, batch, mean)
	// floor is the fastest decode step the layout can give: at its full batch in the seed,
	// which times every replica there; calibrated, a lone sequence's (§34.4).
	floor := decode
	if m.calibrated {
		floor = steps.decode(&m, 1, mean)
	}
	idle := m.tdp * IdlePowerFraction
	d := deployPoint{step: decode.t, batch: batch, perUser: 1 / decode.t, computeBound: decode.computeBound}

	var fits bool
	d.mem, fits = m.memoryAt(full, batch)
	replicaAccels := m.tp * m.pp
	limit := opt(in.MaxAccelerators, i, 0)

	var fixed float64 // latency before the prefill queue: the running step, or the KV transfer after it
	var pre phase
	disagg := opt(in.Disaggregated, i, 0) > 0
	if disagg {
		p := m
		p.tp, p.pp = math.Max(1, opt(in.PrefillTP, i, 1)), 1
		p.derive()
		pre = p.prefillPhase(newTok, isl, chunk)
		// The prefill instance holds the whole model on its own accelerators: a 141 GB
		// model at prefill_tp 1 on an 80 GB accelerator was a feasible fleet.
		fits = fits && p.holdsPrompt(isl)
		kvBytes := m.kvTok * m.kvContext(isl) * m.bkv
		pairs := math.Min(p.tp, replicaAccels)
		bw, lat := m.link(p.tp + replicaAccels)
		d.kv = PointToPoint(kvBytes/pairs, bw, lat)
		fixed = d.kv
		d.prefillAccels = p.tp
	} else {
		pre = m.prefillPhase(newTok, isl, chunk)
		fixed = decode.t
		if m.calibrated {
			// An arrival waits for the step in progress only when one is (§34.5): with few
			// replicas' worth of load it finds the replica idle, and its TTFT tends to t_p.
			fixed = 0
		}
	}
	d.tp = pre.t
	rhoMax, ttftOK := rhoFor(ttftT, fixed, pre.t)
	d.ttftFloor, d.itlFloor = fixed+pre.t, floor.t
	d.slowest = math.Max(d.ttftFloor/ttftT, d.itlFloor/itlT)

	switch {
	case !fits:
		d.reason, d.slowest = DeployMemory, math.Inf(1)
	case floor.t > itlT:
		d.reason = DeployITL
	case !ttftOK:
		d.reason = DeployTTFT
	}
	dec := decode // the step the decode batch runs at the chosen fleet
	if m.calibrated {
		dec = m.deployLoaded(&d, in, i, steps, decode, floor, pre, fixed, rhoMax, disagg)
	} else if disagg {
		d.replicas = math.Max(1, math.Ceil(qps*osl*decode.t/batch))
		// At least the prefill instances that keep up with the prompts (ρ_p < 1), as the
		// calibrated fleet has: where no utilisation meets the TTFT target (rhoMax 0, a
		// miss) one instance took every prompt, so the closest miss was ranked on a fleet
		// that cannot serve the rate (TTFT +Inf) and undercounted its accelerators. Where
		// rhoMax > 0, ⌈qps·t_p/ρ*⌉ is already at least ⌊qps·t_p⌋ + 1 (ρ* < 1).
		d.prefills = math.Max(1, math.Floor(qps*pre.t)+1)
		if rhoMax > 0 {
			d.prefills = math.Max(d.prefills, math.Ceil(qps*pre.t/rhoMax))
		}
		d.rho = qps * pre.t / d.prefills
		d.itl = decode.t
		d.ttft = fixed + pre.t + queueWait(d.rho, pre.t)
		d.decodeUtil = qps * osl * decode.t / (batch * d.replicas) // as the instances were sized
	} else {
		r := qps * (pre.t + osl*decode.t/batch)
		if d.reason == DeployFeasible || d.reason == DeployTTFT {
			// ITL: t_step/(1 − ρ) ≤ target → ρ ≤ 1 − t_step/target.
			r = math.Max(r, qps*pre.t/(1-decode.t/itlT))
		}
		if rhoMax > 0 {
			r = math.Max(r, qps*pre.t/rhoMax)
		}
		ttftAt := func(r float64) float64 { return fixed + pre.t + queueWait(qps*pre.t/r, pre.t) }
		d.replicas = math.Max(1, math.Ceil(r))
		d.ttft = ttftAt(d.replicas)
		if d.reason == DeployFeasible && d.ttft > ttftT {
			d.replicas = leastReplicas(d.replicas, limit/replicaAccels, func(r float64) bool { return ttftAt(r) <= ttftT })
			d.ttft = ttftAt(d.replicas)
		}
		d.rho = qps * pre.t / d.replicas
		d.itl = decode.t / (1 - d.rho)
		d.decodeUtil = qps * (pre.t + osl*decode.t/batch) / d.replicas // as the replicas were sized
	}
	if disagg {
		d.prefillAccels *= d.prefills
		d.accels = d.prefillAccels + d.replicas*replicaAccels
		// Decode instances run their batch; prefill instances prefill a fraction ρ_p of the time.
		// Decode instances draw their step's power while one runs (decodeDraw), prefill
		// instances while prefilling, a fraction ρ_p of the time; the idle floor otherwise.
		energy := d.replicas*replicaAccels*m.decodeDraw(dec, d.batch-1) + d.prefillAccels*(d.rho*pre.power+(1-d.rho)*idle)
		d.power = energy / d.accels
	} else {
		d.accels = d.replicas * replicaAccels
		d.power = d.rho*pre.power + (1-d.rho)*m.decodeDraw(dec, d.batch-1)
	}
	if limit > 0 {
		d.slowest = math.Max(d.slowest, d.accels/limit)
		if d.reason == DeployFeasible && d.accels > limit {
			d.reason = DeployAccelerators
		}
	}
	if m.calibrated && d.reason == DeployFeasible && (d.itl > itlT || d.ttft > ttftT) {
		// A target a hair above its floor can outlast the search (leastReplicas stops past
		// 2⁴⁰ instances): that fleet misses, never a feasible row above its target.
		d.reason = DeployITL
		if d.itl <= itlT {
			d.reason = DeployTTFT
		}
		d.slowest = math.Max(d.slowest, math.Max(d.itl/itlT, d.ttft/ttftT))
	}
	if m.calibrated && d.reason == DeployFeasible {
		// The floors no longer depend on the batch cap (a lone sequence's step), so a fleet
		// that meets the targets is ranked by its own latencies: of two at one price, the
		// one further inside them first (§34.4).
		d.slowest = math.Max(d.ttft/ttftT, d.itl/itlT)
		if limit > 0 {
			d.slowest = math.Max(d.slowest, d.accels/limit)
		}
	}
	if tokens := qps * osl; tokens > 0 {
		d.perAccel = tokens / d.accels
		d.joules = d.power * d.accels / tokens
	}
	d.perUser = 1 / d.itl
	return d
}

// deployLoaded sizes a calibrated fleet (§34.4): the decode batch is the least fixed point
// of its load at r replicas (or decode instances), occupied, and r the least above the B
// slots' capacity whose ITL and TTFT, slot waits included, meet the targets (every latency
// falls as replicas are added, to a floor the caller has checked). full is the decode step
// at the cap B, which the slot waits' holds keep: a request waits for a slot only while
// all B are taken; floor is a lone sequence's. It fills d's fleet, latencies and step, and returns the step run.
func (m *llm) deployLoaded(d *deployPoint, in *DeployIn, i int, steps *stepCache, full, floor, pre phase, fixed, rhoMax float64, disagg bool) phase {
	isl, osl, qps, batch := in.InputTokens[i], in.OutputTokens[i], in.QPS[i], in.Batch[i]
	mean := MeanDecodeContext(isl+osl, osl)
	itlT, ttftT := in.ITLTarget[i], in.TTFTTarget[i]
	replicaAccels := m.tp * m.pp
	limit := opt(in.MaxAccelerators, i, 0)
	slots := int(batch)
	searching := d.reason == DeployFeasible // while searching, a fleet's ITL miss skips its TTFT
	var r0 float64                          // the least r whose slots are stable: λ·S < B
	var hold float64                        // a slot's hold S while all are taken (§34.3)
	var at func(r float64) (ph phase, b, itl, ttft float64)
	var lastHold, lastRho float64 // aggregated: the slots' hold and ρ at the last fleet at evaluated
	if disagg {
		// A decode instance's slot is held its O − 1 steps; a request that finds them
		// taken waits after its first token, which stretches its mean ITL (§34.3).
		hold = (osl - 1) * full.t
		r0 = math.Floor(qps*hold/batch) + 1
		at = func(r float64) (phase, float64, float64, float64) {
			lam := qps / r
			ph, b, ok := m.occupied(steps, lam, osl, batch, 0, mean, full)
			if !ok {
				return ph, b, math.Inf(1), math.Inf(1)
			}
			if ph.t > itlT && searching {
				return ph, b, ph.t, 0 // refused on its step alone: no slot wait needed
			}
			return ph, b, ph.t + SlotWait(lam, hold, slots)/math.Max(1, osl-1), 0
		}
		// The prefill pool is one queue served by P instances, an M/D/P queue (its wait
		// SlotWait's M/D/c form, exactly M/D/1 at P = 1), the least P whose TTFT meets the
		// target; P instances each an M/D/1 queue of their own (the closed form above)
		// would wait longer, so theirs bounds the search.
		ttftAt := func(p float64) float64 { return fixed + pre.t + SlotWait(qps, pre.t, int(p)) }
		d.prefills = math.Max(1, math.Floor(qps*pre.t)+1)
		d.ttft = ttftAt(d.prefills)
		if d.reason == DeployFeasible && d.ttft > ttftT {
			d.prefills = leastReplicas(d.prefills, limit/d.prefillAccels, func(p float64) bool { return ttftAt(p) <= ttftT })
			d.ttft = ttftAt(d.prefills)
		}
		d.rho = qps * pre.t / d.prefills
	} else {
		// Slots are waited for only while all are taken, when the slots that free together
		// are refilled by one pass; a prompt's prefill share and its own pass follow the
		// engine's scheduling under Poisson arrivals, as serve --qps prices them
		// (poissonPasses, §34.8), so one replica at one rate has one TTFT and ITL in both
		// studies. The fleet search starts at the least r whose slots could be stable with
		// every pass at k_sat prompts — the smallest hold, B·t_pass(k_sat)/k_sat + (O −
		// 1)·t_step(B) — and bounds ρ below by λ·t_pass(k_sat)/k_sat.
		minShare, _, _ := m.saturatedPrompt(batch, newTokens(in, i), isl, in.ChunkTokens[i])
		hold = batch*minShare + (osl-1)*full.t
		r0 = math.Floor(qps*hold/batch) + 1
		// The least r whose slots are stable under the Poisson hold (λ·hold(λ) rises with λ,
		// so stability is monotone in r): the fleet that serves the rate, which a miss is
		// ranked on.
		// With one output token nothing decodes, so no saturated state takes up a prefill
		// share past 1: the prompts alone must keep up, λ·t_p < 1 (as poissonCapacity, so
		// serve --qps, has it). Without it a fleet of one-token requests was sized by its
		// slots, whose hold counts no prompt, and a miss was ranked on replicas prefilling
		// 9.9× their time at −202 W (Llama3_8B on A100, 1000 requests/s of one token).
		// A stall-free replica (chunked prefill, no drafting) keeps up with at most
		// mixedCapacity, where serve --qps (underLoadMixed) turns overloaded and serve-sim's
		// saturated run agrees within 2.5 %. The passes below price whole-prompt passes at
		// the chunk budget, which held one replica steady 20 % and more past that rate
		// (Llama3_70B fp16, 4 × H100, batch 256, chunks of 512, 512 + 128 tokens: 18.66
		// requests/s against serve's 15.54 and serve-sim's 15.55; docs/PHYSICS.md §34.9):
		// a fleet of such replicas serves no more than that rate each.
		stallFree := math.Inf(1)
		if in.ChunkTokens[i] > 0 && m.specK <= 0 {
			stallFree = m.mixedCapacity(batch, newTokens(in, i), mean, in.ChunkTokens[i], osl)
		}
		stable := func(r float64) bool {
			lam := qps / r
			return lam < stallFree && lam*m.poissonPasses(lam, newTokens(in, i), isl, in.ChunkTokens[i], batch, osl, full.t, pre).hold < batch &&
				(osl > 1 || lam*pre.t < 1)
		}
		if !stable(r0) {
			r0 = leastReplicas(r0, 0, stable)
		}
		if rhoMax > 0 {
			r0 = math.Max(r0, math.Ceil(qps*minShare/rhoMax))
		}
		if floor.t < itlT {
			r0 = math.Max(r0, math.Ceil(qps*minShare/(1-floor.t/itlT))) // ITL ≥ t_step(1)/(1 − ρ)
		}
		at = func(r float64) (phase, float64, float64, float64) {
			lam := qps / r
			pp := m.poissonPasses(lam, newTokens(in, i), isl, in.ChunkTokens[i], batch, osl, full.t, pre)
			lastHold, lastRho = pp.hold, lam*pp.perPrompt
			if lam*pp.hold >= batch {
				return full, batch, math.Inf(1), math.Inf(1)
			}
			rho := lastRho
			ph, b, ok := full, batch, false
			if rho < 1 {
				ph, b, ok = m.occupied(steps, lam, osl, batch, rho, mean, full)
			}
			itl := ph.t / (1 - rho)
			if !ok {
				if osl <= 1 {
					return full, batch, math.Inf(1), math.Inf(1)
				}
				// Every slot taken, the slots stable (§34.8, ServingLoad's saturated state):
				// B decode, a token each B/(λ·(O − 1)), prefills the rest of the time.
				ph, b = full, batch
				rho = 1 - lam*(osl-1)*full.t/batch
				lastRho = rho
				itl = batch / (lam * (osl - 1))
			}
			if itl > itlT && searching {
				return ph, b, itl, math.Inf(1) // the fleet is refused on its ITL: no TTFT needed
			}
			return ph, b, itl, m.stepResidual(steps, b, batch, mean) + pp.own + queueWait(rho, pre.t) + SlotWait(lam, pp.hold, slots)
		}
	}
	r0 = math.Max(1, r0)
	// The search's last fleet that met the targets is the least one (leastReplicas only
	// lowers its bound on a success), so its evaluation is kept rather than repeated.
	var kept struct {
		r, b, itl, ttft, hold, rho float64
		ph                         phase
	}
	meets := func(r float64) bool {
		ph, b, itl, ttft := at(r)
		if itl <= itlT && ttft <= ttftT {
			kept.r, kept.b, kept.itl, kept.ttft, kept.ph = r, b, itl, ttft, ph
			kept.hold, kept.rho = lastHold, lastRho
			return true
		}
		return false
	}
	if searching && !meets(r0) {
		r0 = leastReplicas(r0, limit/replicaAccels, meets)
	}
	searching = false
	d.replicas = r0
	ph, b, itl, ttft := kept.ph, kept.b, kept.itl, kept.ttft
	lastHold, lastRho = kept.hold, kept.rho
	if kept.r != r0 {
		ph, b, itl, ttft = at(r0)
	}
	d.itl, d.step, d.batch, d.computeBound = itl, ph.t, b, ph.computeBound
	if !disagg {
		// The slots' hold and the prefill share at the chosen fleet (§34.8).
		hold = lastHold
		d.ttft, d.rho = ttft, lastRho
	}
	d.decodeUtil = qps / r0 * hold / batch // the slots' load a/c (§34.3)
	return ph
}

// newTokens is a point's prompt tokens to prefill: those after its cached prefix, at least one.
func newTokens(in *DeployIn, i int) float64 {
	return math.Max(1, in.InputTokens[i]-in.CachedPrefix[i])
}

// stepResidual is the mean wait, before its prefill starts, that the decode step in
// progress gives a prompt arriving at an aggregated replica whose decoding sequences see
// the batch b (b = N_d + 1, occupied's; §34.5). The engine starts a waiting prompt's
// prefill at the next step boundary, ahead of decode (vLLM's scheduler without chunked
// prefill; ServingSim's runWhole), so the prompts form the high-priority class of a
// non-preemptive priority queue and the decode steps the low one: the first class's mean
// wait is W₀/(1 − ρ), W₀ the mean residual work in service at an arrival (Cobham 1954;
// Kleinrock, Queueing Systems II, 1976, §3.6). Its prefill part, ρ·t_p/2, over 1 − ρ is
// the M/D/1 wait the caller adds; the decode part is the time share of decode steps times
// a step's mean residual. The N decoding sequences are Poisson with mean N_d (an M/G/∞
// stage, Kleinrock, Queueing Systems I, §4.8; occupied's premise), independent of the
// prefill, so a step runs (1 − ρ)·(1 − e^{−N_d}) of the time; an arrival finds it at a
// uniform phase (PASTA, Wolff 1982), half a deterministic step t(N) to go; and, the step
// nearly affine in the batch, the mean over N ≥ 1 of t(N) is t at E[N | N ≥ 1] = N_d/(1 −
// e^{−N_d}). The 1 − ρ cancels:
//
//	wait = ½·(1 − e^{−N_d})·t(min(B, N_d/(1 − e^{−N_d})))
func (m *llm) stepResidual(steps *stepCache, b, batch, s float64) float64 {
	nd := b - 1
	busy := -math.Expm1(-nd) // 1 − e^{−N_d}
	if !(busy > 0) {
		return 0
	}
	n := math.Min(batch, math.Max(1, nd/busy))
	return busy * steps.between(m, n, s).t / 2
}

// occupied is the decode step of an instance that admits lam requests/s, each decoding
// O − 1 steps, at most batch at a time, in the 1 − rho of the time prefills leave (§34.4):
// the fixed point of N_d = lam·(O − 1)·t̄(N_d)/(1 − rho), t̄ the step averaged over the
// batch a decoding sequence is in (poissonStep; calibrated since issue #10's drafttpot
// round, the step at b̄ = min(N_d + 1, batch) before), at the mean context s; full is the
// step at batch. b̄ is the mean batch a decoding sequence is in; ok is false when no fixed
// point lies below the batch (the slots are overloaded). Averaged over a Poisson batch a
// convex step stays convex in its mean (the second derivative is E[Δ²t(1 + K)]).
//
// g(x) = f(x) − x, f the map, is positive at 0 and, when ok, not positive at the batch;
// the step is nearly affine in the batch (the weights once, the KV cache per sequence),
// so regula falsi with the Illinois modification (Dowell & Jarratt, BIT 11, 1971) finds
// the crossing in a few steps where iterating f from 0 (ServingLoad's leastFixedPoint, the
// least fixed point) takes tens, slowly near saturation; the search sizes fleets with it
// at every probe. Between 0 and the batch the crossing is the least fixed point when the
// step is convex in the batch (a roofline's maximum of linear terms), which
// TestOccupiedLeastFixedPoint checks against leastFixedPoint.
func (m *llm) occupied(steps *stepCache, lam, osl, batch, rho, s float64, full phase) (ph phase, b float64, ok bool) {
	a := lam * (osl - 1) / (1 - rho)
	if a <= 0 {
		return steps.decode(m, 1, s), 1, true
	}
	// g(B) = a·t̄(B) − B ≤ a·t(B) − B (t̄(B) averages steps no longer than the full
	// batch's): its sign needs the sum only where the bound is not negative, and the
	// bound serves the first secant as well as the value (the bracket, not the secant,
	// makes the search correct).
	lo, hi := 0.0, batch
	glo, ghi := a*steps.decode(m, 1, s).t, a*full.t-batch
	if ghi >= 0 {
		if ghi = a*steps.poissonTime(m, batch, batch, s) - batch; ghi >= 0 {
			return full, batch, false
		}
	}
	side := 0
	for k := 0; k < occupiedIterations && hi-lo > occupiedTolerance*hi; k++ {
		x := hi - ghi*(hi-lo)/(ghi-glo)
		if !(x > lo && x < hi) {
			x = (lo + hi) / 2
		}
		g := a*steps.poissonTime(m, x, batch, s) - x
		if math.Abs(g) <= occupiedTolerance*x {
			hi = x
			break
		}
		if g > 0 {
			lo, glo = x, g
			if side > 0 {
				ghi /= 2
			}
			side = 1
		} else {
			hi, ghi = x, g
			if side < 0 {
				glo /= 2
			}
			side = -1
		}
	}
	return steps.poissonStep(m, hi, batch, s), math.Min(hi+1, batch), true
}

// poissonTailMass is P(K ≥ n) for K Poisson of mean nd, wn = P(K = n), lo ≤ n ≤ top the
// ends of poissonTime's window (beyond each, at most e^{−poissonTail} of the mass): summed
// from n to top, or as 1 − P(lo ≤ K < n), whichever is fewer terms.
func poissonTailMass(nd, n, wn, lo, top float64) float64 {
	var sum float64
	if top-n <= n-lo {
		for k, w := n, wn; k <= top; k++ {
			sum += w
			w *= nd / (k + 1)
		}
		return sum
	}
	for k, w := n-1, wn*n/nd; k >= lo; k-- {
		sum += w
		w *= k / nd
	}
	return 1 - sum
}

// affine reports whether the step is affine over batches lo + 1 … hi + 1 (no bend at
// lo + 2 … hi, the kinkTolerance test of dense) and its steps at lo + 1 and lo + 2.
func (c *stepCache) affine(m *llm, lo, hi int, s float64) (t0, t1 float64, ok bool) {
	if c != nil && hi+2 < stepCacheSize {
		steps := c.dense(m, hi+2, s)
		return steps[lo+1].t, steps[lo+2].t, c.kinks[hi] == c.kinks[lo+1]
	}
	t0, t1 = c.decode(m, float64(lo+1), s).t, c.decode(m, float64(lo+2), s).t
	prev, cur := t0, t1
	for j := lo + 2; j <= hi; j++ {
		next := c.decode(m, float64(j+1), s).t
		if d2 := next - 2*cur + prev; math.Abs(d2) > kinkTolerance*next {
			return t0, t1, false
		}
		prev, cur = cur, next
	}
	return t0, t1, true
}

// between is the decode step at a mean batch b ≥ 1 that need not be whole: an engine's
// batch is whole, so b̄ is taken as ⌊b⌋ and ⌈b⌉ sequences in the shares that give it its
// mean, and the step and draw are theirs in those shares (linear between the two whole
// batches).
func (c *stepCache) between(m *llm, b, s float64) phase {
	lo := math.Floor(b)
	p := c.decode(m, lo, s)
	if w := b - lo; w > 0 {
		q := c.decode(m, lo+1, s)
		p.t += w * (q.t - p.t)
		p.power += w * (q.power - p.power)
		if w >= 0.5 {
			p.computeBound = q.computeBound
		}
	}
	return p
}

// poissonStep is the decode step a decoding sequence sees, averaged over the batch it is
// in (calibrated; docs/PHYSICS.md §34.9): the N decoding sequences are Poisson with mean
// nd (an M/G/∞ stage, Kleinrock, Queueing Systems I, 1975, §4.8), so the batch beside one
// of them is 1 + K, K Poisson of mean nd (size-biased: E[N·1{N = k+1}]/E[N] is K's law),
// capped at batch:
//
//	E[t(min(1 + K, B))] = Σ_k e^{−nd}·nd^k/k! · t(min(1 + k, B))
//
// The step at the mean batch, between's, is this only where the step is affine over the
// batches K takes; it is not where the step jumps (a tile or wave of the matmuls, §35) or
// turns compute-bound (a draft-and-verify step from 56 sequences), which is where the
// mean TPOT near capacity parted from the simulation (+18 % for the drafted replica).
// Only the time is averaged: the draw and whether the step is compute-bound stay the
// mean batch's (between), as before.
//
// The sum is truncated to the k within the Poisson tail bounds of poissonTail: below
// nd − √(2L·nd) and above nd + L/3 + √(L²/9 + 2L·nd) lies at most e^{−L} of the mass each
// (Chernoff's lower tail and Bernstein's upper tail; Boucheron, Lugosi & Massart,
// Concentration Inequalities, 2013, §2.2 and §2.8, the Poisson variable being sub-gamma
// with variance nd and scale 1/3), and the missing mass is given the step at the cap (all
// of it, when the upper bound reaches the cap, is K ≥ B − 1). Every step lies between t(1)
// and t(B), so the mean is off by at most 2·e^{−L}·(t(B) − t(1)): 2·10⁻¹⁰ of t(B) with
// L = poissonTail. Where the step is affine over the window, t(b) = α + β·b (no second
// difference beyond kinkTolerance; the memory-bound decode step is, the weights once and
// the KV cache per sequence), the sum is α + β·(1 + nd) but for the tails, off by at most
// 2·e^{−L}·(t(B) + |α| + |β|·(1 + nd)), and is taken as that without summing — the fleet
// search evaluates it at every probe. The terms are whole batches, remembered per run
// (stepCache, dense).
func (c *stepCache) poissonStep(m *llm, nd, batch, s float64) phase {
	p := c.between(m, math.Min(nd+1, batch), s)
	p.t = c.poissonTime(m, nd, batch, s)
	return p
}

// poissonTime is poissonStep's time: the sum, or, where the step is affine over the
// batches the sum spans, the step at 1 + nd, which is the sum but for its tails.
func (c *stepCache) poissonTime(m *llm, nd, batch, s float64) float64 {
	if !(nd > 0) || batch <= 1 {
		return c.decode(m, 1, s).t
	}
	const L = poissonTail
	lo := math.Max(0, math.Floor(nd-math.Sqrt(2*L*nd)))
	hi := math.Ceil(nd + L/3 + math.Sqrt(L*L/9+2*L*nd))
	top := hi                  // the window's upper end, uncapped
	hi = math.Min(hi, batch-2) // K ≥ B − 1 runs the full batch
	if hi+2 < batch && hi >= lo+2 {
		if t0, t1, ok := c.affine(m, int(lo), int(hi), s); ok {
			return t0 + (t1-t0)*(nd-lo)
		}
	} else if hi >= lo+1 && batch-1 <= top && batch+1 < stepCacheSize {
		// The cap within the window: affine up to the full batch (no bend at lo + 2 … B −
		// 1), the mean is t(lo + 1) + β·(E[min(K, n)] − lo), n = B − 1, where
		// E[min(K, n)] = nd − nd·P(K ≥ n) + n·P(K ≥ n + 1) (E[K·1{K ≥ n}] = nd·P(K ≥ n − 1)).
		if t0, t1, ok := c.affine(m, int(lo), int(batch)-1, s); ok {
			n := batch - 1
			lg, _ := math.Lgamma(n + 1)
			wn := math.Exp(n*math.Log(nd) - nd - lg)
			tail := poissonTailMass(nd, n, wn, lo, top)
			return t0 + (t1-t0)*(nd-nd*tail+n*(tail-wn)-lo)
		}
	}
	var t, mass float64
	if hi >= lo {
		mode := math.Min(math.Max(lo, math.Floor(nd)), hi)
		lg, _ := math.Lgamma(mode + 1)
		w0 := math.Exp(mode*math.Log(nd) - nd - lg)
		// The steps of batches lo + 1 … hi + 1, index k − lo.
		var steps []phase
		if c != nil && hi+1 < stepCacheSize {
			steps = c.dense(m, int(hi)+1, s)[int(lo)+1:]
		} else {
			steps = make([]phase, int(hi-lo)+1)
			for k := lo; k <= hi; k++ {
				steps[int(k-lo)] = c.decode(m, k+1, s)
			}
		}
		// Down from the mode, then up: e^{−nd}·nd^k/k! by its ratios.
		inv, w, i0 := 1/nd, w0, int(mode-lo)
		for i := i0; i >= 0; i-- {
			t += w * steps[i].t
			mass += w
			w *= (lo + float64(i)) * inv
		}
		w = w0
		for i := i0 + 1; i < len(steps); i++ {
			w *= nd / (lo + float64(i))
			t += w * steps[i].t
			mass += w
		}
	}
	if rest := 1 - mass; rest > 0 {
		t += rest * c.decode(m, batch, s).t
	}
	return t
}

const (
	// occupiedTolerance ends occupied's search: the decoding sequences known to a
	// billionth of themselves, far below what moves a fleet by one instance.
	occupiedTolerance = 1e-9
	// occupiedIterations bounds it; an affine step needs one or two.
	occupiedIterations = 100
	// kinkTolerance: a second difference of the step below it, relative to the step, is
	// rounding (an affine step's is ~10⁻¹⁶).
	kinkTolerance = 1e-12
	// poissonTail truncates poissonStep's sum: e^{−23} ≈ 10⁻¹⁰ of the Poisson mass beyond
	// each end, far below the fixed points' tolerances.
	poissonTail = 23.0
)

// holdsPrompt reports whether one instance of layout m holds its weights and one prompt's
// KV cache of isl tokens within its memory budget; no draft, which runs where tokens are
// decoded (a disaggregated prefill instance).
func (m llm) holdsPrompt(isl float64) bool {
	m.specK = 0
	_, fits := m.memoryAt(isl, 1)
	return fits
}

// queueWait is the mean wait of an M/D/1 queue at utilisation ρ with service t
// (Pollaczek–Khinchine): ρ·t / (2(1 − ρ)); +Inf at ρ ≥ 1.
func queueWait(rho, t float64) float64 {
	if rho >= 1 {
		return math.Inf(1)
	}
	return rho * t / (2 * (1 - rho))
}

// leastReplicas is the least whole r > r0 with ok(r), for an ok that fails at r0 and holds
// from some r on (every latency falls as replicas are added and tends to its unqueued
// floor, which the caller has checked meets the target): doubling steps above r0 bracket
// it and bisection finds it within the bracket. With a limit (> 0) on replicas the search
// stops at the first r above it, a fleet too large either way (DeployAccelerators).
func leastReplicas(r0, limit float64, ok func(float64) bool) float64 {
	lo, hi := r0, r0+1 // ok(lo) false
	for step := 1.0; !ok(hi); step *= 2 {
		if hi > 1<<40 || (limit > 0 && hi > limit) {
			return hi
		}
		lo, hi = hi, hi+step
	}
	for hi-lo > 1 {
		mid := math.Floor((lo + hi) / 2)
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
