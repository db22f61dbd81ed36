package kernel

import (
	"math"
	"testing"
)

// simIn is the deployment fixture (Llama3_8B FP16 on H100, seed physics: a prompt of 1024
// tokens prefills in deployTP, a decode step of b sequences at the mean context of 256
// generated tokens takes loadA + loadC·b) under qps requests/s, n requests, colocated
// (prefills = 0) or P prefill instances of one accelerator and D decode instances.
func simIn(qps, osl, maxBatch float64, n, prefills, decodes float64) *SimIn {
	s := deployIn(qps, 1, 1, 0, 1).ServeIn
	s.SeqLen, s.Batch = one(1024), one(maxBatch)
	return &SimIn{ServeIn: s, OutputTokens: one(osl), QPS: one(qps), Requests: one(n), Seed: one(SimDefaultSeed),
		TTFTTarget: one(0), TPOTTarget: one(0), Attainment: one(0.9),
		PrefillInstances: one(prefills), DecodeInstances: one(decodes), PrefillTP: one(1)}
}

// simStep is the fixture's seed decode step of b sequences at the mean context of osl
// generated tokens after a prompt of 1024: weights and KV cache over the bandwidth, plus
// the layer tax (as loadA, loadC at osl 256).
func simStep(b, osl float64) float64 {
	return loadA + llama3_8B.kvElems()*MeanDecodeContext(1024+osl, osl)*2*b/3.35e12
}

func runSim(in *SimIn) SimOut {
	var out SimOut
	ServingSim(&out, in)
	return out
}

// server builds the simulation's server for the fixture's point 0 and its scratch with
// the given arrival times (the unit stream at rate 1).
func simServerFor(t *testing.T, in *SimIn, arrivals []float64) (*simServer, *simScratch) {
	t.Helper()
	m := in.point(0)
	isl, osl := in.SeqLen[0], in.OutputTokens[0]
	ctx := MeanDecodeContext(isl+osl, osl)
	s := &simServer{osl: osl, n: isl, repAcc: 1, maxBatch: int(in.Batch[0]), prefills: int(in.PrefillInstances[0]),
		decodes: int(in.DecodeInstances[0]), preAcc: 1}
	s.prefill = m.prefillPhase(isl, isl, 0)
	if s.prefills > 0 {
		s.kv = 0.25e-3 // any fixed transfer: the test reads it back
	}
	s.decodeAt = func(b float64) phase { return m.decodePhase(b, ctx) }
	return s, &simScratch{unit: arrivals}
}

// TestServingSimIsolated: requests 10 s apart (the prefill is 33 ms, a decode step 5 ms)
// never meet, so each sees an empty server: TTFT is the prefill (plus the KV transfer when
// disaggregated), TPOT one decode step of batch 1, end to end their sum — exactly.
func TestServingSimIsolated(t *testing.T) {
	arr := []float64{0, 10, 20, 30, 40}
	for _, prefills := range []float64{0, 1, 3} {
		in := simIn(1, 16, 8, 5, prefills, 2)
		s, sc := simServerFor(t, in, arr)
		s.run(sc, 1)
		tp, td := deployTP, simStep(1, 16)
		if math.Abs(s.prefill.t-tp) > 1e-12*tp || math.Abs(s.step(1).t-td) > 1e-12*td {
			t.Fatalf("fixture moved: prefill %g (want %g), decode %g (want %g)", s.prefill.t, tp, s.step(1).t, td)
		}
		wantTTFT := tp + s.kv
		for j := range arr {
			near(t, "TTFT", sc.first[j]-sc.arr[j], wantTTFT)
			near(t, "TPOT", (sc.last[j]-sc.first[j])/15, td)
			near(t, "end to end", sc.last[j]-sc.arr[j], wantTTFT+15*td)
		}
	}
}

// TestServingSimStretch: a prompt arriving while another request decodes is prefilled in
// an iteration of its own ahead of decode, so the decoding request's TPOT grows by the
// prefill over its O − 1 tokens (the interference DistServe measures), while in a
// disaggregated pair the decode instance never sees the prefill. By hand: A arrives at 0
// (prefill until t_p, then 15 steps); B arrives at t_p + 2.5 steps, waits for the running
// step (until t_p + 3 steps), prefills (until 2t_p + 3 steps) and joins: A's remaining 12
// steps run with B at batch 2.
func TestServingSimStretch(t *testing.T) {
	in := simIn(1, 16, 8, 2, 0, 1)
	tp, d1, d2 := deployTP, simStep(1, 16), simStep(2, 16)
	s, sc := simServerFor(t, in, []float64{0, tp + 2.5*d1})
	s.run(sc, 1)
	near(t, "A's first token", sc.first[0], tp)
	near(t, "A's last token", sc.last[0], tp+3*d1+tp+12*d2)
	near(t, "B's TTFT", sc.first[1]-sc.arr[1], 0.5*d1+tp)
	near(t, "B's last token", sc.last[1], 2*tp+3*d1+12*d2+3*d1)

	dis := simIn(1, 16, 8, 2, 1, 1)
	s, sc = simServerFor(t, dis, []float64{0, tp + 2.5*d1})
	s.run(sc, 1)
	// A decodes alone from t_p + t_kv; B's prefill starts on arrival (the prefill
	// instance is free), and B joins A's batch at the step boundary after t_kv.
	a0 := tp + s.kv
	b0 := 2*tp + 2.5*d1 + s.kv // B's first token
	steps := math.Ceil((b0 - a0) / d1)
	near(t, "A's TTFT (disaggregated)", sc.first[0], a0)
	near(t, "B's TTFT (disaggregated)", sc.first[1]-sc.arr[1], tp+s.kv)
	near(t, "A's last token (disaggregated)", sc.last[0], a0+steps*d1+(15-steps)*d2)
}

// TestServingSimMD1: with one output token, a request is its prefill alone, so a
// colocated replica and a single prefill instance are M/D/1 queues of service t_p: the
// mean TTFT is t_p + ρ·t_p/(2(1 − ρ)) (Pollaczek–Khinchine; + t_kv disaggregated), and a
// share 1 − ρ of the arrivals find the server idle (PASTA), so P(TTFT = t_p) = 1 − ρ. With
// 200,000 requests the simulated mean is within 2 % of the closed form and the share of
// unqueued requests within 0.01 of 1 − ρ (the standard error of either is far smaller).
func TestServingSimMD1(t *testing.T) {
	for _, prefills := range []float64{0, 1} {
		for _, rho := range []float64{0.3, 0.7} {
			qps := rho / deployTP
			in := simIn(qps, 1, 8, 200000, prefills, 1)
			out := runSim(in)
			if out.Reason[0] != SimOK {
				t.Fatalf("reason %v", out.Reason[0])
			}
			want := out.KVTransfer[0] + deployTP + rho*deployTP/(2*(1-rho))
			if got := out.TTFTMean[0]; math.Abs(got-want) > 0.02*want {
				t.Errorf("prefills %v ρ %v: mean TTFT %.6g s, M/D/1 %.6g s", prefills, rho, got, want)
			}
			// Unqueued requests: TTFT within 1 µs of the transfer and prefill.
			in.TTFTTarget = one(out.KVTransfer[0] + deployTP + 1e-6)
			in.QPS = one(qps)
			out = runSim(in)
			if got := out.Attainment[0]; math.Abs(got-(1-rho)) > 0.01 {
				t.Errorf("prefills %v ρ %v: share unqueued %.4f, want 1 − ρ = %.4f", prefills, rho, got, 1-rho)
			}
		}
	}
}

// TestServingSimGoodputMD1: the goodput for "90 % of requests unqueued" on one prefill
// instance is the rate at which 1 − ρ = 0.9, ρ = 0.1: λ = 0.1/t_p, within the sample's
// error (20,000 requests: the share's standard error is under 0.003 of it, so 5 %).
func TestServingSimGoodputMD1(t *testing.T) {
	in := simIn(0, 1, 8, 20000, 1, 1)
	in.TTFTTarget = one(1) // to read the KV transfer
	out := runSim(in)
	// Unqueued: within 1 µs of the transfer and prefill (rounding at arrival times of
	// hours is ~1e-10 s; a queued request waits for a prefill's remainder).
	in.TTFTTarget = one(out.KVTransfer[0] + deployTP + 1e-6)
	out = runSim(in)
	want := 0.1 / deployTP
	if got := out.Goodput[0]; math.Abs(got-want) > 0.05*want {
		t.Errorf("goodput %.4g requests/s, want 0.1/t_p = %.4g", got, want)
	}
	near(t, "goodput per accelerator", out.GoodputPerAccel[0], out.Goodput[0]/2)
	if out.Accelerators[0] != 2 {
		t.Errorf("accelerators %v, want 1 prefill + 1 decode", out.Accelerators[0])
	}
}

// TestServingSimMonotone: on one trace, raising the rate never lowers a percentile nor
// raises the attainment (common random numbers: the same arrivals, closer together).
func TestServingSimMonotone(t *testing.T) {
	for _, prefills := range []float64{0, 2} {
		prev := SimOut{}
		first := true
		for _, qps := range []float64{1, 4, 8, 12, 16} {
			in := simIn(qps, 64, 64, 2000, prefills, 1)
			in.TTFTTarget, in.TPOTTarget = one(0.2), one(0.012)
			out := runSim(in)
			if out.Reason[0] != SimOK {
				t.Fatalf("prefills %v qps %v: reason %v (capacity %.3g)", prefills, qps, out.Reason[0], out.Capacity[0])
			}
			if !first {
				for q := range SimPercentiles {
					if out.TTFT[q][0] < prev.TTFT[q][0] || out.TPOT[q][0] < prev.TPOT[q][0] || out.E2E[q][0] < prev.E2E[q][0] {
						t.Errorf("prefills %v qps %v: percentile %v fell: TTFT %g→%g, TPOT %g→%g", prefills, qps,
							SimPercentiles[q], prev.TTFT[q][0], out.TTFT[q][0], prev.TPOT[q][0], out.TPOT[q][0])
					}
				}
				if out.Attainment[0] > prev.Attainment[0] {
					t.Errorf("prefills %v qps %v: attainment rose %g→%g", prefills, qps, prev.Attainment[0], out.Attainment[0])
				}
			}
			prev, first = cloneSimOut(out), false
		}
	}
}

func cloneSimOut(o SimOut) SimOut {
	var c SimOut
	for q := range SimPercentiles {
		c.TTFT[q], c.TPOT[q], c.E2E[q] = append([]float64(nil), o.TTFT[q]...), append([]float64(nil), o.TPOT[q]...), append([]float64(nil), o.E2E[q]...)
	}
	c.Attainment = append([]float64(nil), o.Attainment...)
	return c
}

// TestServingSimReproducible: the same seed gives the same numbers to the bit, another
// seed other numbers, and a batch of points is each point alone.
func TestServingSimReproducible(t *testing.T) {
	in := simIn(10, 64, 64, 1000, 0, 1)
	in.TTFTTarget, in.TPOTTarget = one(0.2), one(0.012)
	a, b := runSim(in), runSim(in)
	for q := range SimPercentiles {
		if math.Float64bits(a.TTFT[q][0]) != math.Float64bits(b.TTFT[q][0]) || math.Float64bits(a.TPOT[q][0]) != math.Float64bits(b.TPOT[q][0]) {
			t.Errorf("P%v differs between runs", SimPercentiles[q])
		}
	}
	if math.Float64bits(a.Goodput[0]) != math.Float64bits(b.Goodput[0]) {
		t.Errorf("goodput differs between runs: %v, %v", a.Goodput[0], b.Goodput[0])
	}
	in.Seed = one(2)
	c := runSim(in)
	if c.TTFT[1][0] == a.TTFT[1][0] && c.TPOT[1][0] == a.TPOT[1][0] {
		t.Errorf("seed 2 gave seed 1's P90s")
	}
}

// TestServingSimOverloaded: at or above the capacity (colocated whole prompts:
// B'/(t_p·B' + (O − 1)·t_d(B'))) no percentile is a number.
func TestServingSimOverloaded(t *testing.T) {
	in := simIn(1, 64, 16, 500, 0, 1)
	out := runSim(in)
	capacity := 16 / (16*deployTP + 63*simStep(16, 64))
	near(t, "capacity", out.Capacity[0], capacity)
	in.QPS = one(capacity)
	out = runSim(in)
	if out.Reason[0] != SimOverloaded || !math.IsInf(out.TTFT[1][0], 1) || !math.IsInf(out.TPOTMean[0], 1) {
		t.Errorf("at capacity: reason %v, P90 TTFT %v, mean TPOT %v; want overloaded, +Inf", out.Reason[0], out.TTFT[1][0], out.TPOTMean[0])
	}
	// Disaggregated: min(P/t_p, D·B'/((O − 1)·t_d(B'))).
	dis := simIn(1, 64, 16, 500, 2, 3)
	out = runSim(dis)
	near(t, "disaggregated capacity", out.Capacity[0], math.Min(2/deployTP, 3*16/(63*simStep(16, 64))))
}

// TestServingSimUnmet: a TTFT target below the prefill is met at no rate.
func TestServingSimUnmet(t *testing.T) {
	in := simIn(0, 64, 16, 200, 0, 1)
	in.TTFTTarget = one(deployTP / 2)
	out := runSim(in)
	if out.Reason[0] != SimTTFTMissed || out.Goodput[0] != 0 {
		t.Errorf("reason %v goodput %v, want ttft missed and 0", out.Reason[0], out.Goodput[0])
	}
	in.TTFTTarget, in.TPOTTarget = one(1), one(simStep(1, 64)/2)
	out = runSim(in)
	if out.Reason[0] != SimTPOTMissed || out.Goodput[0] != 0 {
		t.Errorf("reason %v goodput %v, want tpot missed and 0", out.Reason[0], out.Goodput[0])
	}
}

// TestServingSimStallFree: calibrated chunked prefill, requests far apart: a prompt of
// 1024 tokens in chunks of 512 takes two mixed steps with nothing decoding, then decodes
// alone in steps of one sequence and no prompt tokens.
func TestServingSimStallFree(t *testing.T) {
	s := *calIn(llama3_8B, FP8, h100FP8Eff, 1024, 64)
	s.ChunkTokens = one(512)
	in := &SimIn{ServeIn: s, OutputTokens: one(32), QPS: one(0.1), Requests: one(3), Seed: one(1),
		PrefillInstances: one(0), DecodeInstances: one(1)}
	m := s.point(0)
	ctx := MeanDecodeContext(1056, 32)
	pre := 2 * m.mixedPhase(0, ctx, 512, 1024).t
	dec := m.mixedPhase(1, ctx, 0, 1024).t
	var out SimOut
	// Three requests at rate 0.1/s are seconds apart (the seed's gaps), a request lasts
	// well under 0.2 s.
	ServingSim(&out, in)
	if out.Reason[0] != SimOK {
		t.Fatalf("reason %v", out.Reason[0])
	}
	near(t, "P50 TTFT", out.TTFT[0][0], pre)
	near(t, "P99 TTFT", out.TTFT[2][0], pre)
	near(t, "P50 TPOT", out.TPOT[0][0], dec)
	near(t, "P99 end to end", out.E2E[2][0], pre+31*dec)
}

// TestNearestRank: the ⌈q·n⌉-th smallest.
func TestNearestRank(t *testing.T) {
	for _, c := range []struct {
		q    float64
		n, i int
	}{{0.5, 1, 0}, {0.5, 2, 0}, {0.5, 3, 1}, {0.9, 10, 8}, {0.9, 1000, 899}, {0.99, 1000, 989}, {0.99, 50, 49}, {1, 7, 6}} {
		if got := NearestRank(c.q, c.n); got != c.i {
			t.Errorf("NearestRank(%v, %d) = %d, want %d", c.q, c.n, got, c.i)
		}
	}
}

// TestServingSimReplicas: D colocated replicas behind a random dispatcher are one
// replica at QPS/D (Poisson thinning): D times the goodput and capacity, the same per
// accelerator, and at D·λ the same percentiles as one replica at λ.
func TestServingSimReplicas(t *testing.T) {
	one1 := simIn(4, 64, 32, 1000, 0, 1)
	one1.TTFTTarget, one1.TPOTTarget = one(0.2), one(0.012)
	three := simIn(12, 64, 32, 1000, 0, 3)
	three.TTFTTarget, three.TPOTTarget = one(0.2), one(0.012)
	a, b := runSim(one1), runSim(three)
	near(t, "capacity", b.Capacity[0], 3*a.Capacity[0])
	near(t, "goodput", b.Goodput[0], 3*a.Goodput[0])
	near(t, "goodput per accelerator", b.GoodputPerAccel[0], a.GoodputPerAccel[0])
	near(t, "accelerators", b.Accelerators[0], 3)
	near(t, "P90 TTFT", b.TTFT[1][0], a.TTFT[1][0])
	near(t, "P99 TPOT", b.TPOT[2][0], a.TPOT[2][0])
}

// simBenchIn is a calibrated Llama3_8B FP8 replica on H100 (1024-token prompts, 256
// generated, at most 128 decoding) under qps, 2000 requests: prefills ahead of decode
// (chunk 0) or stall-free chunks, or prefills disaggregated (prefills > 0).
func simBenchIn(qps, chunk, prefills float64) *SimIn {
	s := *calIn(llama3_8B, FP8, h100FP8Eff, 1024, 128)
	s.ChunkTokens = one(chunk)
	return &SimIn{ServeIn: s, OutputTokens: one(256), QPS: one(qps), Requests: one(2000), Seed: one(1),
		TTFTTarget: one(0), TPOTTarget: one(0), Attainment: one(0.9),
		PrefillInstances: one(prefills), DecodeInstances: one(1), PrefillTP: one(1)}
}

// BenchmarkServingSim: one point, one simulated run of 2000 requests at about half the
// capacity; ".../goodput" adds the search (targets P90-like TTFT 300 ms, TPOT 20 ms).
// Run: go test -run=^$ -bench=ServingSim -benchtime=20x ./kernel/
func BenchmarkServingSim(b *testing.B) {
	for _, c := range []struct {
		name            string
		chunk, prefills float64
		qps             float64
		goodput         bool
	}{
		{"whole", 0, 0, 8, false}, {"stallfree", 512, 0, 8, false}, {"disaggregated", 0, 1, 8, false},
		{"whole/goodput", 0, 0, 0, true}, {"stallfree/goodput", 512, 0, 0, true}, {"disaggregated/goodput", 0, 1, 0, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := simBenchIn(c.qps, c.chunk, c.prefills)
			if c.goodput {
				in.TTFTTarget, in.TPOTTarget = one(0.3), one(0.02)
			}
			var out SimOut
			ServingSim(&out, in)
			if out.Reason[0] != SimOK {
				b.Fatalf("reason %v", out.Reason[0])
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ServingSim(&out, in)
			}
		})
	}
}

// TestServingSimStallFreeCapacity: a stall-free replica's capacity is its own saturated
// throughput: at 0.95 of it the latency of the second and the last quarter of 20,000
// requests agrees within 5 %. With chunks of 2048 a 1024-token prompt enters in one step,
// and the scheduler puts two waiting prompts in one step when it can. ServingLoad's
// mixedCapacity once spread the prompt tokens evenly over the steps (63 requests/s here,
// and the simulated queue grew without bound at 0.9 of that); then it carried each prompt
// in steps of its own (49.5), 11 % above what the simulation sustains (44.6 with every
// request queued at once), because a step that takes two prompts leaves the next to decode
// alone, and that decode-only step reads the weights again where the two one-prompt steps
// hid the read under their FLOPs. It now takes the prompts a chunk holds whole into one step
// (promptsPerPass within the chunk, §34.7), as the simulation does.
func TestServingSimStallFreeCapacity(t *testing.T) {
	in := simBenchIn(1, 2048, 0)
	in.Requests = one(20000)
	m := in.point(0)
	ctx := MeanDecodeContext(1280, 256)
	analytic := m.mixedCapacity(128, 1024, ctx, 2048, 256)
	growth := func(qps float64) (float64, SimReason) {
		in.QPS = one(qps)
		var sc simScratch
		var memo passMemo
		p := simulatePoint(in, 0, &memo, &sc)
		if p.reason != SimOK {
			return 0, p.reason
		}
		n := len(sc.arr)
		mean := func(a, b int) float64 {
			s := 0.0
			for j := a; j < b; j++ {
				s += sc.last[j] - sc.arr[j]
			}
			return s / float64(b-a)
		}
		return mean(3*n/4, n) / mean(n/4, n/2), SimOK
	}
	out := runSim(in)
	capacity := out.Capacity[0]
	// mixedCapacity now takes the two prompts a 2048-token chunk holds into one step as the
	// scheduler does (§34.7): 44.62 against the simulated 44.55 requests/s (it was 49.5, an
	// upper bound 11 % high, when it carried each prompt in a step of its own). Held to the
	// capacity tolerance of TestServingLoadStallFreeAgreesWithSim (10 %, fixed before that
	// test's first run), here and at batches 16 and 64 (14.98 / 15.03, 34.40 / 33.86).
	if r := analytic / capacity; math.Abs(r-1) > 0.10 {
		t.Fatalf("saturated capacity %.4g, mixedCapacity %.4g (ratio %.3f): want within 10 %%", capacity, analytic, r)
	}
	for _, b := range []float64{16, 64} {
		in := simBenchIn(1, 2048, 0)
		in.Batch = one(b)
		mb := in.point(0)
		a, s := mb.mixedCapacity(b, 1024, ctx, 2048, 256), runSim(in).Capacity[0]
		if r := a / s; math.Abs(r-1) > 0.10 {
			t.Errorf("B %v: saturated capacity %.4g, mixedCapacity %.4g (ratio %.3f): want within 10 %%", b, s, a, r)
		}
	}
	if g, r := growth(0.95 * capacity); r != SimOK || g > 1.05 {
		t.Errorf("at 0.95 of the capacity: growth %.3f (%v), want ≤ 1.05 and steady", g, r)
	}
}

// TestServingLoadStallFreeAgreesWithSim: ServingLoad's stall-free closed form (§34.1) and
// the simulation of the same replica (§34.2) answer one question — what rate, TPOT and TTFT
// a calibrated Llama3_8B replica on H100 (1024-token prompts) gives under chunked prefill —
// and must agree. Before, the closed form spread the prompt tokens evenly over the steps,
// so every step paid for a sliver of prompt, where the scheduler carries a prompt in whole
// chunks beside the decode batch and leaves the other steps to decode alone: a step's cost
// is not linear in its tokens (the weights are read once, then the FLOPs grow), so the mean
// of the lumps is not the step at the mean (Jensen). At batch 16 in chunks of 512 (BF16,
// 128 generated) it gave 15.7 requests/s where the simulation sustains 12.6 (as the
// catalog's H100 gives it: `serve Llama3_8B H100 -p fp16 -b 16 -s 1024 --output-tokens 128
// --prefill-chunk-tokens 512 --qps 8`), TPOT 17 % below. Tolerances, fixed before the
// first run: capacity within 10 % of the simulated capacity; mean TPOT within 10 % and
// mean TTFT within 15 % of the simulated means (20,000 requests) at 0.3 and 0.6 of it, and
// TPOT at 0.9. Cases where a chunk holds whole prompts two at a time are in
// TestServingSimStallFreeCapacity.
func TestServingLoadStallFreeAgreesWithSim(t *testing.T) {
	for _, c := range []struct {
		batch, chunk, osl float64
		prec              Precision
		eff               float64
	}{
		{128, 512, 256, FP8, h100FP8Eff}, {128, 1024, 256, FP8, h100FP8Eff}, {16, 512, 128, BF16, h100BF16Eff}, {64, 256, 256, FP8, h100FP8Eff},
	} {
		at := func(qps float64) *SimIn {
			s := *calIn(llama3_8B, c.prec, c.eff, 1024, c.batch)
			s.ChunkTokens = one(c.chunk)
			return &SimIn{ServeIn: s, OutputTokens: one(c.osl), QPS: one(qps), Requests: one(20000), Seed: one(1),
				TTFTTarget: one(0), TPOTTarget: one(0), Attainment: one(0.9), PrefillInstances: one(0), DecodeInstances: one(1), PrefillTP: one(1)}
		}
		load := func(qps float64) LoadOut {
			return runLoad(&LoadIn{ServeIn: at(qps).ServeIn, OutputTokens: one(c.osl), QPS: one(qps)})
		}
		sim := runSim(at(1)).Capacity[0]
		if d := load(1).CapacityQPS[0]/sim - 1; math.Abs(d) > 0.10 {
			t.Errorf("B %v, chunk %v: capacity closed form %.4g, simulated %.4g (%+.1f %%)", c.batch, c.chunk, load(1).CapacityQPS[0], sim, 100*d)
		}
		for _, f := range []float64{0.3, 0.6, 0.9} {
			l, s := load(f*sim), runSim(at(f*sim))
			if l.Reason[0] != LoadSteady || s.Reason[0] != SimOK {
				t.Fatalf("B %v, chunk %v at %.1f of capacity: load %v, sim %v", c.batch, c.chunk, f, l.Reason[0], s.Reason[0])
			}
			t.Logf("B %v, chunk %v at %.1f: TTFT %.4g / %.4g ms simulated, TPOT %.4g / %.4g ms", c.batch, c.chunk, f, 1e3*l.TTFT[0], 1e3*s.TTFTMean[0], 1e3*l.TPOT[0], 1e3*s.TPOTMean[0])
			if d := l.TPOT[0]/s.TPOTMean[0] - 1; math.Abs(d) > 0.10 {
				t.Errorf("B %v, chunk %v at %.1f: TPOT closed form %.4g ms, simulated %.4g ms (%+.1f %%)", c.batch, c.chunk, f, 1e3*l.TPOT[0], 1e3*s.TPOTMean[0], 100*d)
			}
			if d := l.TTFT[0]/s.TTFTMean[0] - 1; f < 0.9 && math.Abs(d) > 0.15 {
				t.Errorf("B %v, chunk %v at %.1f: TTFT closed form %.4g ms, simulated %.4g ms (%+.1f %%)", c.batch, c.chunk, f, 1e3*l.TTFT[0], 1e3*s.TTFTMean[0], 100*d)
			}
		}
	}
}

// TestServingSimMeansAgreeWithLoad: the simulation and ServingLoad's closed forms (§34.1)
// model the same whole-prompt replica, so their means agree where the closed form's
// approximations (prefills spread evenly over time, the size-biased mean batch) hold, and
// part as the prefills' share of time ρ_p grows: over 20,000 requests the simulated mean
// TPOT is 0.5 %, 1.9 % and 5.3 % above the closed form at ρ_p 0.10, 0.34 and 0.58 (the
// simulated prefills come in Poisson clusters, and a decoding request that meets a cluster
// waits out all of it), the mean TTFT within 1.5 %. Bounds: TPOT within 3 % up to ρ_p 0.35
// and 8 % at 0.58, and no more than 0.5 % below; TTFT within 3 %.
func TestServingSimMeansAgreeWithLoad(t *testing.T) {
	for _, c := range []struct{ qps, tpotBound float64 }{{3, 0.03}, {10, 0.03}, {17, 0.08}} {
		load := runLoad(loadIn(c.qps, 256, 256))
		sim := runSim(simIn(c.qps, 256, 256, 20000, 0, 1))
		if load.Reason[0] != LoadSteady || sim.Reason[0] != SimOK {
			t.Fatalf("qps %v: load %v, sim %v", c.qps, load.Reason[0], sim.Reason[0])
		}
		if d := sim.TPOTMean[0]/load.TPOT[0] - 1; d < -0.005 || d > c.tpotBound {
			t.Errorf("qps %v (ρ_p %.2f): mean TPOT simulated %.4g ms, closed form %.4g ms (%+.1f %%)",
				c.qps, load.PrefillUtilization[0], 1e3*sim.TPOTMean[0], 1e3*load.TPOT[0], 100*d)
		}
		if d := math.Abs(sim.TTFTMean[0]/load.TTFT[0] - 1); d > 0.03 {
			t.Errorf("qps %v (ρ_p %.2f): mean TTFT simulated %.4g ms, closed form %.4g ms (%.1f %% apart)",
				c.qps, load.PrefillUtilization[0], 1e3*sim.TTFTMean[0], 1e3*load.TTFT[0], 100*d)
		}
	}
}

// TestServingSimExactAtAnyRate: at 1e-12 and 1e-15 requests/s the arrivals are 1e13 s and
// more apart, where float64 resolves an absolute time only to a few ms (2^-9 s at 1e13 s):
// an absolute clock gave TTFTs and TPOTs of 0 or a whole ms step (P50 TPOT 0 and P90 TTFT
// 62.5 ms for Llama3_8B on H100 at 1e-12). Each request still meets an empty server, so
// TTFT is the prefill (plus t_kv), TPOT one decode step of batch 1 (a mixed step of no prompt tokens when stall-free) — to 1e-9, as at 1
// request/s (TestServingSimIsolated) — whole prompts, stall-free chunks (a 1024-token
// prompt in two 512-token steps, each decoding no sequence: k = 512, b = 0) and
// disaggregated pools alike; and the run's span still covers the arrivals (the power is an
// idle accelerator's draw: every busy second is a millionth of a millionth of it).
func TestServingSimExactAtAnyRate(t *testing.T) {
	arr := []float64{0, 10, 20, 30, 40}
	for _, qps := range []float64{1e-12, 1e-15} {
		for _, mode := range []string{"whole", "stall-free", "1 prefill", "3 prefills"} {
			prefills := map[string]float64{"1 prefill": 1, "3 prefills": 3}[mode]
			in := simIn(qps, 16, 8, 5, prefills, 2)
			s, sc := simServerFor(t, in, arr)
			wantTTFT := s.prefill.t + s.kv
			if mode == "stall-free" {
				m := in.point(0)
				ctx := MeanDecodeContext(1024+16, 16)
				s.chunk = 512
				s.mixed = func(b, k float64) phase { return m.mixedPhase(b, ctx, k, 1024) }
				wantTTFT = 2 * s.mixed(0, 512).t
			}
			s.idle = 100
			r := s.run(sc, qps)
			td := s.step(1).t
			if mode == "stall-free" {
				td = s.mixed(1, 0).t // a stall-free step with no prompt tokens
			}
			for j := range arr {
				near(t, mode+" TTFT", sc.first[j]-sc.arr[j], wantTTFT)
				near(t, mode+" TPOT", (sc.last[j]-sc.first[j])/15, td)
			}
			if span := 40 / qps; r.span < span || r.span > span*(1+1e-9) {
				t.Errorf("%s at %g/s: span %g s, want the last arrival's %g s plus one request", mode, qps, r.span, span)
			}
		}
	}
}
