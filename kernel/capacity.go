package kernel

import "math"

// CapacityBottleneck says what decides a ServingCapacity point.
type CapacityBottleneck uint8

const (
	// CapacityFeasible: some replica count meets the p99 target.
	CapacityFeasible CapacityBottleneck = iota
	// CapacityMemory: the batcher admits no request, or the served batch does not fit.
	CapacityMemory
	// CapacityLimit: a replica serves no queries, or even max_replicas leave the queue unstable.
	CapacityLimit
	// CapacityTailLatency: the queue is stable at max_replicas but its p99 misses the target.
	CapacityTailLatency
)

var capacityBottleneckNames = [...]string{"Feasible", "Memory", "Capacity", "Tail Latency"}

// String returns the seed's label: "Feasible", "Memory", "Capacity" or "Tail Latency".
func (b CapacityBottleneck) String() string {
	return enumName(b, capacityBottleneckNames[:], "CapacityBottleneck")
}

// ServingCapacity is the number of replicas that serve a query rate within a p99
// latency target (physics.md §6.3, ServingCapacityModel; Walls 4, 5 and 7):
//
//	cb   = ContinuousBatching(S, B_max, page 16)
//	B    = max(1, cb.active);  sv = Serving(S, batch B)
//	per-replica QPS = cb.throughput / output tokens
//	base = sv.TTFT + sv.ITL · output tokens
//	not sv.feasible or not cb.feasible → infeasible, bottleneck Memory
//	per-replica QPS ≤ 0                → infeasible, bottleneck Capacity
//	   (both: replicas = max_replicas, capacity 0, utilisation, p99 and wait +Inf)
//	service = 1 / per-replica QPS
//	replicas = the least r ≤ max_replicas whose TailLatency(λ = QPS, service, r, cv)
//	           is stable with base + max(0, p99 − service) ≤ target
//	none → infeasible with r = max_replicas, bottleneck Tail Latency if that queue is
//	       stable, else Capacity (p99 and wait are those at max_replicas)
//	capacity = replicas · per-replica QPS;  utilisation = QPS / capacity
//
// The seed tries r = 1, 2, … in turn. Here the least r is found by doubling r and
// then bisecting: the M/M/c p99 wait never grows with another server (Erlang C falls
// and the tail rate c·μ − λ rises) and stability is monotone in r, so "stable and
// within target" is false up to some r and true from there on; a test checks that
// both searches give the same replicas, estimate, wait and bottleneck.
// The seed's fifth label, "Base Latency", needs a feasible point with base > target,
// which cannot happen (base ≤ estimate ≤ target), so it is not produced.
//
// Profile C option: MeanTokens > 0 sizes the batch with ContinuousBatchingC (requests
// of that mean length, capped at S) and evaluates Serving at the mean length
// (pinned by test_solver_suite: active batch 65 without a mean, 259 with mean 2048).
//
// The layout and the calibrated physics of the shared serving input reach both the batcher
// and Serving. InputTokens > 0 (ours) charges every request's prompt prefill in the
// per-replica QPS, as the batching study's input_tokens does: the batcher then serves
// requests of input_tokens + output_tokens tokens at OutputTokensPerS, holding
// max(S, input + output) tokens of each in memory. Calibrated, Profile B's replica is the
// batching study's: its decode steps, the reported ITL and the base latency's are timed
// at the mean context of the generated tokens (MeanDecodeContext: output tokens ending at
// input + output, or at S without a prompt), not at the full S, which is the last step;
// with a prompt, the TTFT is the prefill pass of input_tokens prompts the batcher charges
// (the k the engine's token budget takes at once, §34.7), not of S tokens each.
func ServingCapacity(out *CapacityOut, in *CapacityIn, s *CapacityScratch) {
	n := len(in.Params)
	out.resize(n)
	s.resize(n)
	perReplica := s.perReplica
	batchOK := s.batchOK
	for i := 0; i < n; i++ {
		a := batchArgs{
			m: in.point(i), seq: in.SeqLen[i], mean: in.MeanTokens[i], maxBatch: in.MaxBatch[i], page: DefaultPageTokens,
			input: opt(in.InputTokens, i, 0), dispatch: in.DispatchTax[i], peakSeed: in.PeakFLOPS[i],
		}
		a.m.kvTok = in.PagedKVElemsPerToken[i]
		a.m.memo = &s.serve.memo // the batcher and Serving share one memo of passes
		// A request is input_tokens of prompt and output_tokens generated: memory holds
		// seq_len tokens of it, or the whole request when that is longer, and its generated
		// tokens end at input + output (at seq_len without a prompt).
		gen := in.OutputTokens[i]
		length := a.input + gen
		end := a.seq
		if a.input > 0 {
			a.seq, end = max(a.seq, length), length
		}
		seq := a.seq
		var active, throughput, itl float64
		ctx := length
		s.itl[i], s.ttft[i] = -1, -1
		if in.MeanTokens[i] > 0 {
			r := a.profileC()
			active, throughput, itl, batchOK[i] = r.active, r.throughput, r.itl, r.feasible
			seq = in.MeanTokens[i]
		} else {
			if a.m.calibrated {
				// The batching study's step: at the mean context of the generated tokens.
				a.ctx = MeanDecodeContext(end, gen)
				ctx = a.ctx
			}
			r := a.profileB()
			active, throughput, itl, batchOK[i] = r.active, r.throughput, r.itl, r.feasible
			if a.m.calibrated && active > 0 {
				s.itl[i] = itl
				if a.input > 0 {
					// The TTFT is the prefill pass a request's prompt is in: the k prompts
					// the engine's token budget lets the admitted batch refill at once, as
					// the batcher charges them (§34.7; memory is the batcher's). Serving
					// prefilled all the admitted prompts in one pass.
					seq = a.input
					k := max(1, a.m.promptsPerPass(active, active, a.input, 0))
					s.ttft[i] = a.m.promptPass(k, a.input, a.input, 0).t
				}
			}
		}
		// With a prompt its prefill is charged as in the batching study (OutputTokensPerS).
		c := a.charge(length, ctx, throughput, 0, active, itl)
		s.serveIn.Batch[i] = max(1, active)
		s.serveIn.SeqLen[i] = seq
		perReplica[i] = c.tps / gen
		out.EnergyPerToken[i] = c.joules
	}
	sv := &s.serveIn
	batch, seqLen, prefix, chunk := sv.Batch, sv.SeqLen, sv.CachedPrefix, sv.ChunkTokens
	*sv = in.ServeIn
	sv.Batch, sv.SeqLen, sv.CachedPrefix, sv.ChunkTokens = batch, seqLen, prefix, chunk
	Serving(&s.serve, sv)

	for i := 0; i < n; i++ {
		qps, target := in.QPS[i], in.TargetP99[i]
		ttft, itl := s.serve.TTFT[i], s.serve.ITL[i]
		if s.itl[i] >= 0 {
			// Calibrated Profile B: the mean step of a request's decode, as the batcher
			// times it (Serving's step at the full context is its last, slowest one).
			itl = s.itl[i]
		}
		if s.ttft[i] >= 0 {
			ttft = s.ttft[i]
		}
		base := ttft + itl*in.OutputTokens[i]
		maxR := in.MaxReplicas[i]
		rate := perReplica[i]

		out.ActiveBatch[i] = s.serveIn.Batch[i]
		out.TTFT[i] = ttft
		out.ITL[i] = itl
		out.BaseLatency[i] = base
		out.PerReplicaQPS[i] = rate

		if !s.serve.Feasible[i] || !batchOK[i] || rate <= 0 {
			out.infeasible(i, maxR)
			out.Bottleneck[i] = CapacityLimit
			if !s.serve.Feasible[i] || !batchOK[i] {
				out.Bottleneck[i] = CapacityMemory
			}
			continue
		}
		service := 1 / rate
		cv := in.ServiceCV[i]
		eval := func(r float64) (est, wait float64, stable bool) {
			t := tailLatency(qps, service, int(r), cv)
			wait = max(0, t.p99-service)
			return base + wait, wait, t.stable
		}
		// Gallop 1, 2, 4, … up to max_replicas, then bisect the last step: O(r log r) work,
		// as one M/M/c evaluation with c servers costs O(c).
		lo, hi := 0.0, 1.0 // lo misses the target (0 = no replica)
		est, wait, stable := eval(hi)
		for !(stable && est <= target) && hi < maxR {
			lo, hi = hi, math.Min(2*hi, maxR)
			est, wait, stable = eval(hi)
		}
		feasible := stable && est <= target
		if feasible {
			for hi-lo > 1 {
				mid := math.Floor((lo + hi) / 2)
				if e, w, st := eval(mid); st && e <= target {
					hi, est, wait = mid, e, w
				} else {
					lo = mid
				}
			}
		}
		replicas := hi
		capacity := replicas * rate
		out.Feasible[i] = feasible
		out.Replicas[i] = replicas
		out.QPSCapacity[i] = capacity
		out.Utilization[i] = qps / capacity
		out.EstimatedP99[i] = est
		out.QueueWaitP99[i] = wait
		switch {
		case feasible:
			out.Bottleneck[i] = CapacityFeasible
		case stable:
			out.Bottleneck[i] = CapacityTailLatency
		default:
			out.Bottleneck[i] = CapacityLimit
		}
	}
}

// Defaults of ServingCapacity's inputs (physics.md §6.3, §10).
const (
	DefaultOutputTokens = 128
	DefaultMaxBatch     = 32
	DefaultMaxReplicas  = 1024
)

// CapacityIn holds the input columns of ServingCapacity: the shared serving input
// (Batch, CachedPrefix and ChunkTokens are not read) plus the batcher and queue.
type CapacityIn struct {
	ServeIn
	PagedKVElemsPerToken []float64 // for the batcher: 2·L·H_kv·d (see ContinuousBatching)
	MeanTokens           []float64 // 0 = Profile B; > 0 = Profile C mean request length
	OutputTokens         []float64 // generated tokens per request
	InputTokens          []float64 // optional: prompt tokens per request (0 = not charged, the seed)
	MaxBatch             []float64 // batcher cap B_max
	QPS                  []float64 // offered load, requests/s
	TargetP99            []float64 // s
	MaxReplicas          []float64 // ≥ 1
	ServiceCV            []float64 // coefficient of variation of the service time
}

// CapacityOut holds the output columns of ServingCapacity; times in s.
type CapacityOut struct {
	Replicas                   []float64
	QPSCapacity, PerReplicaQPS []float64 // requests/s
	Utilization                []float64 // QPS / capacity (+Inf when nothing is served)
	EstimatedP99, BaseLatency  []float64
	QueueWaitP99               []float64
	ActiveBatch, TTFT, ITL     []float64 // the Serving point the base latency comes from
	EnergyPerToken             []float64 // J per generated token of a busy replica (prompts charged as in QPS)
	Bottleneck                 []CapacityBottleneck
	Feasible                   []bool
}

// CapacityScratch is ServingCapacity's working storage; reuse one across calls so
// that ServingCapacity does not allocate once it is sized.
type CapacityScratch struct {
	perReplica []float64
	itl        []float64 // the batcher's mean decode step (calibrated Profile B, a request admitted), −1 for Serving's
	ttft       []float64 // the prefill pass of a request's prompt (calibrated Profile B with a prompt), −1 for Serving's
	batchOK    []bool
	serveIn    ServeIn
	serve      ServeOut
}

func (s *CapacityScratch) resize(n int) {
	s.perReplica = grow(s.perReplica, n)
	s.itl = grow(s.itl, n)
	s.ttft = grow(s.ttft, n)
	s.batchOK = grow(s.batchOK, n)
	s.serveIn.Batch = grow(s.serveIn.Batch, n)
	s.serveIn.SeqLen = grow(s.serveIn.SeqLen, n)
	s.serveIn.CachedPrefix = grow(s.serveIn.CachedPrefix, n) // no prefix cache, no chunking
	s.serveIn.ChunkTokens = grow(s.serveIn.ChunkTokens, n)
	clear(s.serveIn.CachedPrefix)
	clear(s.serveIn.ChunkTokens)
}

func (o *CapacityOut) resize(n int) {
	for _, p := range []*[]float64{&o.Replicas, &o.QPSCapacity, &o.PerReplicaQPS, &o.Utilization, &o.EstimatedP99,
		&o.BaseLatency, &o.QueueWaitP99, &o.ActiveBatch, &o.TTFT, &o.ITL, &o.EnergyPerToken} {
		*p = grow(*p, n)
	}
	o.Bottleneck = grow(o.Bottleneck, n)
	o.Feasible = grow(o.Feasible, n)
}

// infeasible marks a point that serves nothing: max_replicas, no capacity, +Inf latency.
func (o *CapacityOut) infeasible(i int, maxReplicas float64) {
	inf := math.Inf(1)
	o.Feasible[i] = false
	o.Replicas[i] = maxReplicas
	o.QPSCapacity[i], o.PerReplicaQPS[i] = 0, 0
	o.Utilization[i], o.EstimatedP99[i], o.QueueWaitP99[i] = inf, inf, inf
}
