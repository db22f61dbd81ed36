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
// Power averages what each accelerator does: prefill draw while prefilling, decode draw
// while decoding, the idle floor otherwise (AcceleratorPowerW; the seed's SeedPowerW).
func ServingDeployment(out *DeployOut, in *DeployIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		out.set(i, deploy(in, i, &out.memo))
	}
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
	TTFT, ITL                         []float64 // at the chosen fleet
	PrefillTime, DecodeStep           []float64 // t_p, t_step
	KVTransfer                        []float64 // t_kv (0 aggregated)
	Replicas                          []float64 // aggregated replicas, or decode instances
	PrefillInstances                  []float64 // 0 aggregated
	Accelerators                      []float64 // whole fleet
	PrefillAccelerators               []float64
	PrefillUtilization                []float64 // ρ (aggregated) or ρ_p
	TokensPerSPerAccel, TokensPerUser []float64 // output tokens/s per accelerator; 1/ITL
	PowerW                            []float64 // mean draw per accelerator
	EnergyPerToken                    []float64 // J per generated token, whole fleet
	Slowest                           []float64 // max(floor TTFT/target, ITL/target, accelerators/limit), +Inf when it does not fit: ≤ 1 when feasible (a fleet at the limit is 1)
	Reason                            []DeployReason
	Feasible                          []bool
	ComputeBound                      []bool    // the decode step's FLOPs outlast its bytes (calibrated)
	MemUtilization                    []float64 // one decode accelerator's memory at full context / capacity

	memo passMemo
}

func (o *DeployOut) resize(n int) {
	for _, p := range []*[]float64{&o.TTFT, &o.ITL, &o.PrefillTime, &o.DecodeStep, &o.KVTransfer, &o.Replicas,
		&o.PrefillInstances, &o.Accelerators, &o.PrefillAccelerators, &o.PrefillUtilization, &o.TokensPerSPerAccel,
		&o.TokensPerUser, &o.PowerW, &o.EnergyPerToken, &o.Slowest} {
		*p = grow(*p, n)
	}
	o.Reason = grow(o.Reason, n)
	o.Feasible = grow(o.Feasible, n)
	o.ComputeBound = grow(o.ComputeBound, n)
	o.MemUtilization = grow(o.MemUtilization, n)
}

type deployPoint struct {
	ttft, itl, tp, step, kv, replicas, prefills, accels, prefillAccels, rho float64
	perAccel, perUser, power, joules, slowest, mem                          float64
	reason                                                                  DeployReason
	computeBound                                                            bool
}

func (o *DeployOut) set(i int, d deployPoint) {
	o.TTFT[i], o.ITL[i], o.PrefillTime[i], o.DecodeStep[i], o.KVTransfer[i] = d.ttft, d.itl, d.tp, d.step, d.kv
	o.Replicas[i], o.PrefillInstances[i], o.Accelerators[i], o.PrefillAccelerators[i] = d.replicas, d.prefills, d.accels, d.prefillAccels
	o.PrefillUtilization[i], o.TokensPerSPerAccel[i], o.TokensPerUser[i] = d.rho, d.perAccel, d.perUser
	o.PowerW[i], o.EnergyPerToken[i], o.Slowest[i], o.Reason[i] = d.power, d.joules, d.slowest, d.reason
	o.Feasible[i] = d.reason == DeployFeasible
	o.ComputeBound[i], o.MemUtilization[i] = d.computeBound, d.mem
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

func deploy(in *DeployIn, i int, memo *passMemo) deployPoint {
	m := in.point(i)
	m.memo = memo
	isl, osl, qps := in.InputTokens[i], in.OutputTokens[i], in.QPS[i]
	batch := in.Batch[i]
	ttftT, itlT := in.TTFTTarget[i], in.ITLTarget[i]
	chunk := in.ChunkTokens[i]
	newTok := math.Max(1, isl-in.CachedPrefix[i])
	full, mean := isl+osl, MeanDecodeContext(isl+osl, osl)
	decode := m.decodePhase(batch, mean)
	idle := m.tdp * IdlePowerFraction
	d := deployPoint{step: decode.t, perUser: 1 / decode.t, computeBound: decode.computeBound}

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
		kvBytes := m.kvTok * isl * m.bkv
		pairs := math.Min(p.tp, replicaAccels)
		bw, lat := m.link(p.tp + replicaAccels)
		d.kv = PointToPoint(kvBytes/pairs, bw, lat)
		fixed = d.kv
		d.prefillAccels = p.tp
	} else {
		pre = m.prefillPhase(newTok, isl, chunk)
		fixed = decode.t
	}
	d.tp = pre.t
	rhoMax, ttftOK := rhoFor(ttftT, fixed, pre.t)
	d.slowest = math.Max((fixed+pre.t)/ttftT, decode.t/itlT)

	switch {
	case !fits:
		d.reason, d.slowest = DeployMemory, math.Inf(1)
	case decode.t > itlT:
		d.reason = DeployITL
	case !ttftOK:
		d.reason = DeployTTFT
	}
	if disagg {
		d.replicas = math.Max(1, math.Ceil(qps*osl*decode.t/batch))
		// A decode instance's B slots are each held O − 1 steps; a request that finds them
		// taken waits after its first token, which stretches its mean ITL (§34.3).
		decodeWait := func(r float64) float64 {
			if !m.calibrated {
				return 0
			}
			return SlotWait(qps/r, (osl-1)*decode.t, int(batch)) / math.Max(1, osl-1)
		}
		itl := decode.t + decodeWait(d.replicas)
		if d.reason == DeployFeasible && itl > itlT {
			d.replicas = leastReplicas(d.replicas, limit/replicaAccels, func(r float64) bool { return decode.t+decodeWait(r) <= itlT })
			itl = decode.t + decodeWait(d.replicas)
		}
		d.prefills = 1
		if rhoMax > 0 {
			d.prefills = math.Max(1, math.Ceil(qps*pre.t/rhoMax))
		}
		d.rho = qps * pre.t / d.prefills
		d.prefillAccels *= d.prefills
		d.accels = d.prefillAccels + d.replicas*replicaAccels
		d.itl = itl
		d.ttft = fixed + pre.t + queueWait(d.rho, pre.t)
		// Decode instances run their batch; prefill instances prefill a fraction ρ_p of the time.
		energy := d.replicas*replicaAccels*decode.power + d.prefillAccels*(d.rho*pre.power+(1-d.rho)*idle)
		d.power = energy / d.accels
	} else {
		r := qps * (pre.t + osl*decode.t/batch)
		if d.reason == DeployFeasible || d.reason == DeployTTFT {
			// ITL: t_step/(1 − ρ) ≤ target → ρ ≤ 1 − t_step/target.
			r = math.Max(r, qps*pre.t/(1-decode.t/itlT))
		}
		if rhoMax > 0 {
			r = math.Max(r, qps*pre.t/rhoMax)
		}
		// TTFT at r replicas: the running step, the prompts ahead, the prefill and (calibrated)
		// the wait for one of the B slots. Slots are waited for only while all are taken,
		// when each that frees is refilled at once and the replica runs at its capacity:
		// a slot is held B/λ_cap = B·t_p + (O − 1)·t_step (§34.3).
		ttftAt := func(r float64) float64 {
			t := fixed + pre.t + queueWait(qps*pre.t/r, pre.t)
			if m.calibrated {
				t += SlotWait(qps/r, batch*pre.t+(osl-1)*decode.t, int(batch))
			}
			return t
		}
		d.replicas = math.Max(1, math.Ceil(r))
		d.ttft = ttftAt(d.replicas)
		if d.reason == DeployFeasible && d.ttft > ttftT {
			d.replicas = leastReplicas(d.replicas, limit/replicaAccels, func(r float64) bool { return ttftAt(r) <= ttftT })
			d.ttft = ttftAt(d.replicas)
		}
		d.rho = qps * pre.t / d.replicas
		d.accels = d.replicas * replicaAccels
		d.itl = decode.t / (1 - d.rho)
		d.power = d.rho*pre.power + (1-d.rho)*decode.power
	}
	if limit > 0 {
		d.slowest = math.Max(d.slowest, d.accels/limit)
		if d.reason == DeployFeasible && d.accels > limit {
			d.reason = DeployAccelerators
		}
	}
	if tokens := qps * osl; tokens > 0 {
		d.perAccel = tokens / d.accels
		d.joules = d.power * d.accels / tokens
	}
	d.perUser = 1 / d.itl
	return d
}

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
