package kernel

import (
	"math"
	"testing"
)

// capPt is one ServingCapacity evaluation (fp16, η 0.5).
type capPt struct {
	m                            testModel
	h                            testHW
	seq, mean, output, maxBatch  float64
	qps, target, maxReplicas, cv float64
}

// capacity is the seed's ServingCapacityModel defaults (physics.md §6.3): seq 2048, output 128,
// batch cap 32, max_replicas 1024, cv 1.
func servingCap(m testModel, h testHW, qps, target float64) capPt {
	return capPt{m: m, h: h, seq: 2048, output: DefaultOutputTokens, maxBatch: DefaultMaxBatch,
		qps: qps, target: target, maxReplicas: DefaultMaxReplicas, cv: 1}
}

func capColumns(pts ...capPt) *CapacityIn {
	in := &CapacityIn{}
	for _, p := range pts {
		in.Params = append(in.Params, p.m.params)
		in.Layers = append(in.Layers, p.m.layers)
		in.AttnCoef = append(in.AttnCoef, p.m.attnCoef())
		in.KVElemsPerToken = append(in.KVElemsPerToken, p.m.kvElems())
		in.PagedKVElemsPerToken = append(in.PagedKVElemsPerToken, KVElemsPerToken(p.m.layers, p.m.heads, p.m.kvHeads, p.m.hidden, 0, 0))
		in.Bytes = append(in.Bytes, FP16.Bytes())
		in.SeqLen = append(in.SeqLen, p.seq)
		in.MeanTokens = append(in.MeanTokens, p.mean)
		in.OutputTokens = append(in.OutputTokens, p.output)
		in.MaxBatch = append(in.MaxBatch, p.maxBatch)
		in.QPS = append(in.QPS, p.qps)
		in.TargetP99 = append(in.TargetP99, p.target)
		in.MaxReplicas = append(in.MaxReplicas, p.maxReplicas)
		in.ServiceCV = append(in.ServiceCV, p.cv)
		in.Efficiency = append(in.Efficiency, 0.5)
		in.PeakFLOPS = append(in.PeakFLOPS, p.h.peakFor(FP16))
		in.MemBandwidth = append(in.MemBandwidth, p.h.bw)
		in.MemCapacity = append(in.MemCapacity, p.h.capacity)
		in.DispatchTax = append(in.DispatchTax, p.h.dispatch)
	}
	return in
}

func runCapacity(pts ...capPt) *CapacityOut {
	out := &CapacityOut{}
	ServingCapacity(out, capColumns(pts...), &CapacityScratch{})
	return out
}

func TestServingCapacity(t *testing.T) {
	tighter := servingCap(llama3_8B, h100, 100, 3.3)
	out := runCapacity(servingCap(llama3_8B, h100, 100, 3.5), tighter)

	// Derived from physics.md §6.2, §6.1 and §6.5 (Llama3_8B, H100, S 2048, cap 32, output 128):
	// the batcher admits 32 requests; its decode step (16.06e9 + 32·2048·131 072 B)/3.35e12 gives
	// 32/step/128 = 33.97574938279171 queries/s per replica. Serving at batch 32: TTFT
	// 2.2707418588021517 s, ITL 7.678189430447761 ms, base 3.253550105899465 s. At 100 qps, 3
	// replicas are stable but wait 2.37 s at p99; 4 wait ln(P_wait/0.01)/(4μ − λ) = 0.10816284351268056 s
	// (P_wait 0.48587694710978135, Erlang C in plain arithmetic), within 3.5 s but not 3.3 s; 5 wait
	// 0.044385617755872124 s.
	const kvTok = 2 * 32 * 8 * 128 * 2
	step := (16.06e9 + 32*2048*kvTok) / 3.35e12
	perReplica := 32 / step / 128
	mu := perReplica
	w4 := math.Log(erlangCWait(100, mu, 4)/0.01) / (4*mu - 100)
	base := 2.2707418588021517 + 128*7.678189430447761e-3
	checkScalars(t, []scalarCase{
		{"per-replica QPS", out.PerReplicaQPS[0], 33.97574938279171, tightRel, 0},
		{"per-replica QPS exact", out.PerReplicaQPS[0], perReplica, tightRel, 0},
		{"active batch", out.ActiveBatch[0], 32, 0, 0},
		{"TTFT", out.TTFT[0], (2*8.03e9*2048*32+4*32*32*128*2048*2048*32.0)/494.5e12 + 0.01e-3, tightRel, 0},
		{"ITL", out.ITL[0], (16.06e9+32*2048*kvTok)/3.35e12 + 0.32e-3, tightRel, 0},
		{"base", out.BaseLatency[0], 3.253550105899465, tightRel, 0},
		{"replicas at 3.5 s", out.Replicas[0], 4, 0, 0},
		{"wait at 4", out.QueueWaitP99[0], 0.10816284351268056, 1e-8, 0},
		{"wait at 4, plain Erlang C", out.QueueWaitP99[0], w4, 1e-8, 0},
		{"estimate at 4", out.EstimatedP99[0], base + w4, tightRel, 0},
		{"capacity", out.QPSCapacity[0], 4 * perReplica, tightRel, 0},
		{"utilization", out.Utilization[0], 100 / (4 * perReplica), tightRel, 0},
		{"replicas at 3.3 s", out.Replicas[1], 5, 0, 0},
		{"wait at 5", out.QueueWaitP99[1], 0.044385617755872124, 1e-8, 0},
	})
	for i := range 2 {
		if !out.Feasible[i] || out.Bottleneck[i] != CapacityFeasible {
			t.Errorf("point %d: feasible %v, bottleneck %v; want true, Feasible", i, out.Feasible[i], out.Bottleneck[i])
		}
	}
}

// physics.md §6.3 and §14: Memory when the model or its batch does not fit, Capacity when even
// max_replicas leave the queue unstable, Tail Latency when a stable queue still misses the target.
func TestServingCapacityInfeasible(t *testing.T) {
	inf := math.Inf(1)
	unstable := servingCap(llama3_8B, h100, 1000, 10)
	unstable.maxReplicas = 8                    // 8 · 33.98 < 1000 qps
	slow := servingCap(llama3_8B, h100, 100, 3) // base 3.25 s > 3 s
	slow.maxReplicas = 64
	out := runCapacity(servingCap(llama3_70B, h100, 10, 10), unstable, slow)
	want := []CapacityBottleneck{CapacityMemory, CapacityLimit, CapacityTailLatency}
	for i, w := range want {
		if out.Feasible[i] || out.Bottleneck[i] != w {
			t.Errorf("point %d: feasible %v, bottleneck %v; want false, %v", i, out.Feasible[i], out.Bottleneck[i], w)
		}
	}
	checkScalars(t, []scalarCase{
		{"memory replicas = max", out.Replicas[0], 1024, 0, 0},
		{"memory capacity", out.QPSCapacity[0], 0, 0, 0},
		{"memory per replica", out.PerReplicaQPS[0], 0, 0, 0},
		{"memory utilization", out.Utilization[0], inf, 0, 0},
		{"memory p99", out.EstimatedP99[0], inf, 0, 0},
		{"memory wait", out.QueueWaitP99[0], inf, 0, 0},
		{"unstable replicas", out.Replicas[1], 8, 0, 0},
		{"unstable p99", out.EstimatedP99[1], inf, 0, 0},
		{"unstable utilization", out.Utilization[1], 1000 / (8 * out.PerReplicaQPS[1]), tightRel, 0},
		{"slow replicas", out.Replicas[2], 64, 0, 0},
		// At 64 replicas P_wait < 0.01: no wait, the estimate is the base latency.
		{"slow wait", out.QueueWaitP99[2], 0, 0, 0},
		{"slow p99 = base", out.EstimatedP99[2], out.BaseLatency[2], 0, 0},
	})
}

// physics.md §13.2 ServingCapacity (C): Llama3-8B/H100, max 8192, output 256, cap 4096 → active
// batch 65 without a mean, 259 with mean 2048; per-replica QPS higher; bottleneck not Memory.
func TestServingCapacityMeanTokens(t *testing.T) {
	p := servingCap(llama3_8B, h100, 1, 60)
	p.seq, p.output, p.maxBatch = 8192, 256, 4096
	withMean := p
	withMean.mean = 2048
	out := runCapacity(p, withMean)
	checkScalars(t, []scalarCase{
		{"active batch, no mean", out.ActiveBatch[0], 65, 0, 0},
		{"active batch, mean 2048", out.ActiveBatch[1], 259, 0, 0},
	})
	if !(out.PerReplicaQPS[1] > out.PerReplicaQPS[0]) {
		t.Errorf("per-replica QPS %g with the mean, not above %g", out.PerReplicaQPS[1], out.PerReplicaQPS[0])
	}
	if out.Bottleneck[1] == CapacityMemory || out.Bottleneck[0] == CapacityMemory {
		t.Errorf("bottlenecks %v, want neither Memory", out.Bottleneck)
	}
	// The Profile C serving point runs at the mean length: TTFT of 259 prompts of 2048 tokens.
	checkScalars(t, []scalarCase{
		{"C TTFT at the mean", out.TTFT[1], (2*8.03e9*2048*259+4*32*32*128*2048*2048*259.0)/494.5e12 + 0.01e-3, tightRel, 0},
	})
}

// seedReplicas is the seed's search (physics.md §6.3): r = 1, 2, … until stable and within
// target; without success, the values and bottleneck of r = max_replicas.
func seedReplicas(qps, service, base, target float64, maxR int, cv float64) (r int, est, wait float64, b CapacityBottleneck) {
	var stable bool
	for r = 1; r <= maxR; r++ {
		t := tailLatency(qps, service, r, cv)
		wait = max(0, t.p99-service)
		est, stable = base+wait, t.stable
		if stable && est <= target {
			return r, est, wait, CapacityFeasible
		}
	}
	if stable {
		return maxR, est, wait, CapacityTailLatency
	}
	return maxR, est, wait, CapacityLimit
}

// The bisection finds the replica count, estimate, wait and bottleneck of the seed's linear search.
func TestServingCapacityBisectionMatchesLoop(t *testing.T) {
	var pts []capPt
	for _, qps := range []float64{0.5, 7, 33, 34, 100, 250, 1000, 5000} {
		for _, target := range []float64{3, 3.26, 3.3, 3.5, 10, 100} {
			for _, cv := range []float64{0, 1, 3} {
				for _, maxR := range []float64{1, 5, 64, 1024} {
					p := servingCap(llama3_8B, h100, qps, target)
					p.cv, p.maxReplicas = cv, maxR
					pts = append(pts, p)
				}
			}
		}
	}
	out := runCapacity(pts...)
	outcomes := map[CapacityBottleneck]int{}
	for i, p := range pts {
		service := 1 / out.PerReplicaQPS[i]
		r, est, wait, b := seedReplicas(p.qps, service, out.BaseLatency[i], p.target, int(p.maxReplicas), p.cv)
		outcomes[b]++
		if float64(r) != out.Replicas[i] || est != out.EstimatedP99[i] || wait != out.QueueWaitP99[i] ||
			b != out.Bottleneck[i] || (b == CapacityFeasible) != out.Feasible[i] {
			t.Errorf("qps %g target %g cv %g max %g: got (%g, %g, %g, %v), loop (%d, %g, %g, %v)",
				p.qps, p.target, p.cv, p.maxReplicas, out.Replicas[i], out.EstimatedP99[i], out.QueueWaitP99[i],
				out.Bottleneck[i], r, est, wait, b)
		}
	}
	if len(outcomes) != 3 {
		t.Errorf("grid outcomes %v: want all of Feasible, Capacity and Tail Latency", outcomes)
	}
}

func TestServingCapacityColumnsIndependent(t *testing.T) {
	c := servingCap(llama3_8B, h100, 1, 60)
	c.seq, c.output, c.maxBatch, c.mean = 8192, 256, 4096, 2048
	pts := []capPt{servingCap(llama3_8B, h100, 100, 3.5), servingCap(llama3_70B, h100, 10, 10), c, servingCap(mixtral, h100, 5, 20)}
	batch := runCapacity(pts...)
	for i, p := range pts {
		checkRowMatches(t, p.m.name, batch, i, runCapacity(p))
	}
}

func TestServingCapacityDoesNotAllocate(t *testing.T) {
	c := servingCap(llama3_8B, h100, 1, 60)
	c.seq, c.maxBatch, c.mean = 8192, 4096, 2048
	in := capColumns(servingCap(llama3_8B, h100, 100, 3.5), c, servingCap(llama3_70B, h100, 10, 10))
	var out CapacityOut
	var s CapacityScratch
	ServingCapacity(&out, in, &s)
	if allocs := testing.AllocsPerRun(20, func() { ServingCapacity(&out, in, &s) }); allocs != 0 {
		t.Errorf("ServingCapacity allocates %g times per call once its outputs and scratch are sized", allocs)
	}
}

func BenchmarkServingCapacity(b *testing.B) {
	var pts []capPt
	for i := range 1024 {
		p := servingCap(llama3_8B, h100, float64(1+i%500), 3.5+float64(i%7))
		p.cv = float64(i%3) / 2
		pts = append(pts, p)
	}
	in := capColumns(pts...)
	var out CapacityOut
	var s CapacityScratch
	ServingCapacity(&out, in, &s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ServingCapacity(&out, in, &s)
	}
	b.ReportMetric(float64(b.N)*float64(len(pts))/b.Elapsed().Seconds(), "points/s")
}

// TestServingCapacityChargesPrompts: with input tokens a replica's QPS is the batcher's
// generated tokens/s with every prompt's prefill charged, over the output tokens; the
// batcher's requests are input + output tokens long.
func TestServingCapacityChargesPrompts(t *testing.T) {
	pt := servingCap(llama3_8B, h100, 100, 5)
	in := capColumns(pt, pt)
	in.InputTokens = []float64{0, 1920}
	var out CapacityOut
	ServingCapacity(&out, in, &CapacityScratch{})
	b := batchColumns(cbPt(llama3_8B, h100, 2048, 32))
	var bo BatchOut
	ContinuousBatching(&bo, b)
	pre := PromptPrefillS(8.03e9, llama3_8B.attnCoef(), 1920, 989e12, 0.5)
	near(t, "uncharged QPS", out.PerReplicaQPS[0], bo.Throughput[0]/128)
	near(t, "charged QPS", out.PerReplicaQPS[1], OutputTokensPerS(bo.Throughput[0], 128, pre)/128)
	if !(out.Replicas[1] >= out.Replicas[0]) {
		t.Errorf("charging prompts lowered the replicas: %v < %v", out.Replicas[1], out.Replicas[0])
	}
}

// calCapacity8B is a calibrated serve-capacity point of Llama 3 8B BF16 on an H100:
// requests of 1024 prompt and 1024 generated tokens, seq_len 2048, at most 64 in flight.
func calCapacity8B() *CapacityIn {
	pt := servingCap(llama3_8B, h100, 10, 1e3)
	pt.output, pt.maxBatch = 1024, 64
	in := capColumns(pt)
	in.Hidden, in.KVHeads = one(4096), one(8)
	in.AchievableBW, in.Efficiency = one(h100TriadBW), one(h100BF16Eff)
	in.InputTokens = one(1024)
	in.Calibrated = true
	return in
}

// TestServingCapacityMeanContext (calibrated): serve-capacity's replica is the batching
// study's — the same requests (1024 + 1024 tokens) give the same admitted batch, the same
// decode step, timed at the mean context of the generated tokens, 1024 + 1025/2 = 1536.5
// (MeanDecodeContext), and the same generated tokens/s per replica; its ITL is that step,
// below Serving's step at the full 2048, and its TTFT the prefill of the batch's 1024-token
// prompts that the batcher charges.
func TestServingCapacityMeanContext(t *testing.T) {
	var c CapacityOut
	ServingCapacity(&c, calCapacity8B(), &CapacityScratch{})
	var b BatchOut
	ContinuousBatching(&b, calPrompted8B())
	if c.ActiveBatch[0] != b.Active[0] || b.Active[0] < 2 {
		t.Fatalf("serve-capacity decodes %v requests, the batching study %v", c.ActiveBatch[0], b.Active[0])
	}
	var mean, full ServeOut
	Serving(&mean, calIn(llama3_8B, BF16, h100BF16Eff, 1536.5, b.Active[0]))
	Serving(&full, calIn(llama3_8B, BF16, h100BF16Eff, 2048, b.Active[0]))
	near(t, "ITL = Serving's step at 1536.5", c.ITL[0], mean.ITL[0])
	near(t, "ITL = the batching study's", c.ITL[0], b.ITL[0])
	near(t, "per-replica QPS = the batching study's generated tokens/s over 1024", c.PerReplicaQPS[0], b.OutputTPS[0]/1024)
	var prompts ServeOut
	Serving(&prompts, calIn(llama3_8B, BF16, h100BF16Eff, 1024, b.Active[0]))
	near(t, "TTFT = the active batch's 1024-token prompts prefilled together", c.TTFT[0], prompts.TTFT[0])
	near(t, "TTFT = the batching study's charge for them", c.TTFT[0], b.PromptPrefill[0]*b.Active[0])
	near(t, "base latency", c.BaseLatency[0], c.TTFT[0]+1024*mean.ITL[0])
	if !(c.ITL[0] < full.ITL[0]) {
		t.Errorf("ITL %v is not below the step at the full context %v", c.ITL[0], full.ITL[0])
	}
}

// TestServingCapacityHoldsWholeRequest: a prompt and output longer than seq_len (4000 +
// 1000 tokens against the default 2048) are held whole, as the batching study holds
// requests of 5000 tokens with 4000 of prompt, in both profiles.
func TestServingCapacityHoldsWholeRequest(t *testing.T) {
	for _, calibrated := range []bool{false, true} {
		in := calCapacity8B()
		in.Calibrated = calibrated
		in.InputTokens, in.OutputTokens, in.MaxBatch = one(4000), one(1000), one(8192)
		var c CapacityOut
		ServingCapacity(&c, in, &CapacityScratch{})
		b := calPrompted8B()
		b.Calibrated = calibrated
		b.SeqLen, b.InputTokens, b.MaxBatch = one(5000), one(4000), one(8192)
		var bo BatchOut
		ContinuousBatching(&bo, b)
		if c.ActiveBatch[0] != bo.Active[0] {
			t.Errorf("calibrated %v: serve-capacity admits %v requests, the batching study %v of 5000 tokens",
				calibrated, c.ActiveBatch[0], bo.Active[0])
		}
		perRequest := float64(2*32*8*128) * 5008 * 2 // 5000 tokens in pages of 16
		free := 80*gib - 8.03e9*2
		if want := math.Floor(free / perRequest); c.ActiveBatch[0] != want {
			t.Errorf("calibrated %v: admitted %v, want %v by hand", calibrated, c.ActiveBatch[0], want)
		}
	}
}

// TestServingCapacityCalibratedOutOfMemory: when the batcher admits nothing (Llama 3 70B
// in BF16 on one 80 GB H100) the point is out of memory and its ITL is still Serving's
// step of one sequence at S, not the batcher's infeasible 1000 s.
func TestServingCapacityCalibratedOutOfMemory(t *testing.T) {
	in := capColumns(servingCap(llama3_70B, h100, 10, 1e3))
	in.Hidden, in.KVHeads = one(8192), one(8)
	in.AchievableBW, in.Efficiency = one(h100TriadBW), one(h100BF16Eff)
	in.Calibrated = true
	var c CapacityOut
	ServingCapacity(&c, in, &CapacityScratch{})
	if c.Feasible[0] || c.Bottleneck[0] != CapacityMemory {
		t.Fatalf("feasible %v, bottleneck %v; want out of memory", c.Feasible[0], c.Bottleneck[0])
	}
	var single ServeOut
	Serving(&single, calIn(llama3_70B, BF16, h100BF16Eff, 2048, 1))
	near(t, "ITL", c.ITL[0], single.ITL[0])
}
