package kernel

import (
	"math"
	"testing"
)

// loadIn is the deployment fixture (Llama3_8B FP16 on H100, seed physics) as one replica
// under qps requests/s: prompts of 1024 tokens, osl generated, at most maxBatch decoding.
func loadIn(qps, osl, maxBatch float64) *LoadIn {
	s := deployIn(qps, 1, 1, 0, 1).ServeIn
	s.SeqLen, s.Batch = one(1024), one(maxBatch)
	return &LoadIn{ServeIn: s, OutputTokens: one(osl), QPS: one(qps)}
}

func runLoad(in *LoadIn) LoadOut {
	var out LoadOut
	ServingLoad(&out, in)
	return out
}

// The seed's decode step is linear in the batch at the mean context of 256 generated
// tokens, 1024 + 256 − 255/2 = 1152.5 (MeanDecodeContext): t_d(b) = loadA + loadC·b.
var (
	loadA = 8.03e9*2/3.35e12 + 32*LayerTaxS
	loadC = llama3_8B.kvElems() * 1152.5 * 2 / 3.35e12
)

// TestServingLoadClosedForm: with a linear step and the batch below its cap, the fixed
// point N_d = k·(a + c·(N_d + 1)), k = λ·(O − 1)/(1 − ρ_p), is N_d = k(a + c)/(1 − k·c).
func TestServingLoadClosedForm(t *testing.T) {
	for _, qps := range []float64{0.5, 5, 12} {
		out := runLoad(loadIn(qps, 256, 256))
		if out.Reason[0] != LoadSteady {
			t.Fatalf("qps %v: %v, want steady", qps, out.Reason[0])
		}
		rho := qps * deployTP
		k := qps * 255 / (1 - rho)
		nd := k * (loadA + loadC) / (1 - k*loadC)
		step := loadA + loadC*(nd+1)
		tpot := step / (1 - rho)
		ttft := step/2 + deployTP + rho*deployTP/(2*(1-rho))
		near(t, "prefill", out.PrefillTime[0], deployTP)
		near(t, "prefill utilisation", out.PrefillUtilization[0], rho)
		if math.Abs(out.DecodeBatch[0]-nd) > 1e-9*nd {
			t.Errorf("qps %v: decode batch %.15g, want %.15g", qps, out.DecodeBatch[0], nd)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"TPOT", out.TPOT[0], tpot}, {"TTFT", out.TTFT[0], ttft}, {"decode step", out.DecodeStep[0], step},
			{"concurrency", out.Concurrency[0], qps * (ttft + 255*tpot)},
		} {
			if math.Abs(c.got-c.want) > 1e-9*c.want {
				t.Errorf("qps %v: %s %.15g, want %.15g", qps, c.name, c.got, c.want)
			}
		}
	}
}

// TestServingLoadSaturation: with the batch capped at B, the highest steady rate is B
// requests over their prefills and decode steps at B, λ* = B/((O − 1)·t_d(B) + B·t_p);
// just above it the replica is overloaded, and so is any rate at which prefills alone
// fill it (λ·t_p ≥ 1).
func TestServingLoadSaturation(t *testing.T) {
	const b = 8
	sat := b / (255*(loadA+loadC*b) + b*deployTP)
	for _, c := range []struct {
		qps    float64
		osl    float64
		reason LoadReason
	}{
		{sat * (1 - 1e-6), 256, LoadSteady},
		{sat * (1 + 1e-6), 256, LoadOverloaded},
		{1 / deployTP, 1, LoadOverloaded},
		{0.999 / deployTP, 1, LoadSteady},
	} {
		out := runLoad(loadIn(c.qps, c.osl, b))
		if c.osl == 256 {
			near(t, "capacity", out.CapacityQPS[0], sat)
		}
		if out.Reason[0] != c.reason {
			t.Errorf("qps %v (λ* %v): %v, want %v", c.qps, sat, out.Reason[0], c.reason)
		}
		if c.reason == LoadOverloaded && !math.IsInf(out.TPOT[0], 1) {
			t.Errorf("qps %v: overloaded with TPOT %v, want +Inf (never a number)", c.qps, out.TPOT[0])
		}
	}
	// One generated token: no decode steps, the batch stays empty.
	out := runLoad(loadIn(10, 1, b))
	near(t, "decode batch at O = 1", out.DecodeBatch[0], 0)
}

// TestServingLoadMemory: the cap is the engine's batch or the sequences memory holds at
// the full context 1280 (80 GiB less 16.06 GB of weights, 32·8·128·2 elements of 2 bytes
// per token), whichever is smaller; a model that does not fit is out of memory.
func TestServingLoadMemory(t *testing.T) {
	held := math.Floor((80*gib - 16.06e9) / (llama3_8B.kvElems() * 1280 * 2))
	near(t, "sequences held", runLoad(loadIn(1, 256, 4096)).MaxBatch[0], held)
	near(t, "engine's batch", runLoad(loadIn(1, 256, 64)).MaxBatch[0], 64)
	in := loadIn(1, 256, 64)
	in.Params = one(70e9) // 140 GB of FP16 weights on 80 GiB
	out := runLoad(in)
	if r := out.Reason[0]; r != LoadMemory {
		t.Errorf("70B FP16 on one H100: %v, want out of memory", r)
	}
	// The weights leave no room: memory holds no sequence, 0, not the negative
	// (80 GiB − 140 GB)/KV per sequence (it was −323).
	near(t, "sequences held without room", out.MaxBatch[0], 0)
}

// TestServingLoadMonotone: more load never shortens TTFT or TPOT, nor shrinks the batch,
// and once overloaded a replica stays so — in both profiles.
func TestServingLoadMonotone(t *testing.T) {
	for _, calibrated := range []bool{false, true} {
		prev := LoadOut{}
		overloaded := false
		for qps := 0.25; qps < 200; qps *= 1.25 {
			in := loadIn(qps, 256, 256)
			in.Calibrated = calibrated
			out := runLoad(in)
			if out.Reason[0] == LoadOverloaded {
				overloaded = true
				continue
			}
			if overloaded {
				t.Fatalf("calibrated %v: steady at qps %v after an overloaded rate", calibrated, qps)
			}
			if prev.TTFT != nil && (out.TTFT[0] < prev.TTFT[0] || out.TPOT[0] < prev.TPOT[0] || out.DecodeBatch[0] < prev.DecodeBatch[0]) {
				t.Errorf("calibrated %v, qps %v: TTFT %v, TPOT %v, batch %v fell from %v, %v, %v", calibrated, qps,
					out.TTFT[0], out.TPOT[0], out.DecodeBatch[0], prev.TTFT[0], prev.TPOT[0], prev.DecodeBatch[0])
			}
			prev = out
		}
		if !overloaded {
			t.Errorf("calibrated %v: never overloaded below 200 requests/s", calibrated)
		}
	}
}

// TestLeastFixedPoint: the least of two fixed points, found by the iteration or by
// bisection when the iteration is slow, and none past the limit.
func TestLeastFixedPoint(t *testing.T) {
	for _, c := range []struct {
		name  string
		f     func(float64) float64
		limit float64
		want  float64
		ok    bool
	}{
		// x² − 3x + 2 = 0 at 1 and 2: f(x) = (x² + 2)/3 rises to 1.
		{"quadratic", func(x float64) float64 { return (x*x + 2) / 3 }, 10, 1, true},
		// f(x) = 0.999x + 1 converges slowly to 1000: bisection finishes it.
		{"slow", func(x float64) float64 { return 0.999*x + 1 }, 5000, 1000, true},
		{"past the limit", func(x float64) float64 { return 0.5*x + 10 }, 15, 0, false},
		{"no fixed point", func(x float64) float64 { return x + 1 }, 100, 0, false},
	} {
		got, ok := leastFixedPoint(c.f, c.limit)
		if ok != c.ok || (ok && math.Abs(got-c.want) > 1e-9*c.want) {
			t.Errorf("%s: %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestMixedStageIdentities: a chunked-prefill pass without prompt tokens is the decode
// stage, and one without decode tokens carrying a whole prompt is that prompt's prefill
// stage (its attention FLOP-bound, so the cache read does not decide) — bit for bit.
func TestMixedStageIdentities(t *testing.T) {
	m := calIn(llama3_8B, FP8, h100FP8Eff, 1024, 1).point(0)
	var mixed, alone step
	for _, b := range []float64{1, 7, 64, 512} {
		m.mixedStage(&mixed, b, 1300, 0, 1024)
		m.stage(&alone, b, 1, 1300)
		if mixed != alone {
			t.Errorf("batch %v without prompt tokens: %+v, want the decode stage %+v", b, mixed, alone)
		}
	}
	m.mixedStage(&mixed, 0, 1024, 1024, 1024)
	m.stage(&alone, 1, 1024, 1024)
	if mixed.itl != alone.itl || mixed.flops != alone.flops {
		t.Errorf("one whole prompt: %+v, want the prefill stage %+v", mixed, alone)
	}
}

// mixedLoadIn is the calibrated Llama3_8B FP8 H100 replica under qps with prompts of 1024
// tokens in chunks of chunk tokens, 256 generated, at most 64 sequences decoding.
func mixedLoadIn(qps, chunk float64) *LoadIn {
	s := *calIn(llama3_8B, FP8, h100FP8Eff, 1024, 64)
	s.ChunkTokens = one(chunk)
	return &LoadIn{ServeIn: s, OutputTokens: one(256), QPS: one(qps)}
}

// TestServingLoadChunked: stall-free batching. The steady state's outputs keep their own
// identities (TPOT the mean step, N_d = λ·255·T, TTFT = the residual of the step in
// progress + M/D/1 wait + the two steps that carry the prompt's chunks of 512); the rate
// that fills the batch of 64 is the capacity when the chunk budget (8192 ≥ 64·1024/255
// prompt tokens per step) does not bind, and just above it the replica is overloaded; a
// budget of 64 tokens per step overloads it sooner; and piggybacked prompts cost less
// TPOT than whole prompts between steps, which read the weights again.
func TestServingLoadChunked(t *testing.T) {
	// A budget of 8192 tokens a step leaves the batch of 64 to fill first; one of 128 fills
	// first itself (prompts of 1024 tokens need 8 steps each).
	for _, chunk := range []float64{8192, 128} {
		capacity := runLoad(mixedLoadIn(1, chunk)).CapacityQPS[0]
		for _, c := range []struct {
			qps    float64
			reason LoadReason
		}{{capacity * (1 - 1e-6), LoadSteady}, {capacity * (1 + 1e-6), LoadOverloaded}} {
			if r := runLoad(mixedLoadIn(c.qps, chunk)).Reason[0]; r != c.reason {
				t.Errorf("chunk %v, qps %v (capacity %v): %v, want %v", chunk, c.qps, capacity, r, c.reason)
			}
		}
		if o := runLoad(mixedLoadIn(capacity*(1-1e-6), chunk)); chunk == 128 && o.DecodeBatch[0] >= 63 {
			t.Errorf("chunk 128 at capacity: %v decoding, want the budget to bind before the batch of 64", o.DecodeBatch[0])
		}
	}
	// One generated token: nothing decodes, and c prompt tokens go through each step of
	// t_mix(1, c) — 8 steps for a prompt of 1024 in chunks of 128.
	prefillOnlyLoad := func(qps float64) LoadOut {
		in := mixedLoadIn(qps, 128)
		in.OutputTokens = one(1)
		return runLoad(in)
	}
	m := mixedLoadIn(1, 128).point(0)
	prefillOnly := 128 / (1024 * m.mixedPhase(1, MeanDecodeContext(1025, 1), 128, 1024).t)
	near(t, "capacity at O = 1", prefillOnlyLoad(1).CapacityQPS[0], prefillOnly)
	if lo, hi := prefillOnlyLoad(prefillOnly*(1-1e-6)), prefillOnlyLoad(prefillOnly*(1+1e-6)); lo.Reason[0] != LoadSteady || lo.DecodeBatch[0] != 0 || hi.Reason[0] != LoadOverloaded {
		t.Errorf("O = 1 around capacity %v: %v with %v decoding, then %v", prefillOnly, lo.Reason[0], lo.DecodeBatch[0], hi.Reason[0])
	}

	// Half the capacity in chunks of 512 (a prompt in two steps of its own; with chunks of
	// 8192 a step at capacity holds eight 1024-token prompts and the next decodes alone,
	// §34.7, which the rate here need not depend on).
	capacity := runLoad(mixedLoadIn(1, 512)).CapacityQPS[0]
	qps := capacity / 2
	out := runLoad(mixedLoadIn(qps, 512))
	if out.Reason[0] != LoadSteady {
		t.Fatalf("half the capacity: %v", out.Reason[0])
	}
	T := out.TPOT[0]
	m = mixedLoadIn(qps, 512).point(0)
	b := qps*255*T + 1
	// The prompt's two chunks of 512 fill the budget of their steps.
	ctx := MeanDecodeContext(1280, 256)
	full := m.mixedPhase(b, ctx, 512, 1024).t
	service := 1024.0 / 512 * full
	near(t, "step", out.DecodeStep[0], T)
	nd := qps * 255 * T
	near(t, "decode batch", out.DecodeBatch[0], nd)
	// The mean step a decoding sequence sees: a share q = λ·2·T of the steps carries one of
	// a prompt's two chunks beside b̄ = N_d + 1 sequences, the rest decode alone
	// (T = (1 − q)·t_d + λ·T·2·t_mix(b̄, 512)).
	td := m.mixedPhase(b, ctx, 0, 1024).t
	q := qps * 2 * T
	near(t, "mean step", (1-q)*td+qps*T*service, T)
	// A prompt's own two chunk steps run beside the N_d sequences it finds decoding (not
	// N_d + 1), ⌊N_d⌋ and ⌈N_d⌉ in the shares that give N_d (issue #10's simcons round).
	lo := math.Floor(nd)
	at := func(k float64) float64 { return 2 * m.mixedPhase(k, ctx, 512, 1024).t }
	own := at(lo) + (nd-lo)*(at(lo+1)-at(lo))
	rho := qps * own
	near(t, "chunk budget used", out.PrefillUtilization[0], rho)
	// The decode-only step in progress only while a sequence decodes (§34.5): ½(1 − e^{−N_d})
	// times the step at the mean running batch N_d/(1 − e^{−N_d}), between whole batches;
	// then the prompts ahead (M/D/1 of the prompt's own chunk steps), its own steps, and
	// the wait for one of the 64 slots, each held B'/λ_cap (§34.3).
	busy := 1 - math.Exp(-nd)
	run := nd / busy
	rl := math.Floor(run)
	tr := m.mixedPhase(rl, ctx, 0, 1024).t
	tr += (run - rl) * (m.mixedPhase(rl+1, ctx, 0, 1024).t - tr)
	residual := busy * tr / 2
	near(t, "TTFT", out.TTFT[0], residual+rho*own/(2*(1-rho))+own+SlotWait(qps, 64/out.CapacityQPS[0], 64))
	if !(full > T) {
		t.Errorf("a step carrying a full chunk of 512 (%v s) should outlast the mean step (%v s)", full, T)
	}
	// About 100 prompt tokens arrive per step of ~4 ms: a budget of 64 cannot keep up.
	if r := runLoad(mixedLoadIn(qps, 64)).Reason[0]; r != LoadOverloaded {
		t.Errorf("%v prompt tokens a step on a budget of 64: %v, want overloaded", qps*1024*T, r)
	}
	whole := runLoad(mixedLoadIn(qps, 0))
	if whole.Reason[0] != LoadSteady || !(whole.TPOT[0] > T) {
		t.Errorf("TPOT with whole prompts between steps %v, piggybacked %v: want the piggybacked lower", whole.TPOT[0], T)
	}
	prev := 0.0
	capacity = runLoad(mixedLoadIn(1, 8192)).CapacityQPS[0]
	for q := capacity / 20; q < capacity; q += capacity / 20 {
		o := runLoad(mixedLoadIn(q, 8192))
		if o.Reason[0] != LoadSteady || o.TPOT[0] < prev {
			t.Errorf("qps %v below capacity %v: %v, TPOT %v after %v", q, capacity, o.Reason[0], o.TPOT[0], prev)
		}
		prev = o.TPOT[0]
	}
}
