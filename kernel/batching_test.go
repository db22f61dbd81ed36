package kernel

import (
	"math"
	"testing"
)

// batchPt is one ContinuousBatching evaluation at the seed's defaults (fp16, η 0.5, page 16).
type batchPt struct {
	m                         testModel
	h                         testHW
	seq, mean, maxBatch, page float64
}

func cbPt(m testModel, h testHW, seq, maxBatch float64) batchPt {
	return batchPt{m: m, h: h, seq: seq, maxBatch: maxBatch, page: DefaultPageTokens}
}

func batchColumns(pts ...batchPt) *BatchIn {
	in := &BatchIn{}
	for _, p := range pts {
		in.Params = append(in.Params, p.m.params)
		in.AttnCoef = append(in.AttnCoef, p.m.attnCoef())
		// §6.2: the seed's paged cache counts 2·L·H_kv·d per token (no MLA).
		in.KVElemsPerToken = append(in.KVElemsPerToken, KVElemsPerToken(p.m.layers, p.m.heads, p.m.kvHeads, p.m.hidden, 0, 0))
		in.Bytes = append(in.Bytes, FP16.Bytes())
		in.SeqLen = append(in.SeqLen, p.seq)
		in.MeanTokens = append(in.MeanTokens, p.mean)
		in.MaxBatch = append(in.MaxBatch, p.maxBatch)
		in.PageTokens = append(in.PageTokens, p.page)
		in.Efficiency = append(in.Efficiency, 0.5)
		in.PeakFLOPS = append(in.PeakFLOPS, p.h.peakFor(FP16))
		in.MemBandwidth = append(in.MemBandwidth, p.h.bw)
		in.MemCapacity = append(in.MemCapacity, p.h.capacity)
		in.DispatchTax = append(in.DispatchTax, p.h.dispatch)
	}
	return in
}

func runBatch(pts ...batchPt) *BatchOut {
	out := &BatchOut{}
	ContinuousBatching(out, batchColumns(pts...))
	return out
}

func runBatchC(pts ...batchPt) *BatchCOut {
	out := &BatchCOut{}
	ContinuousBatchingC(out, batchColumns(pts...))
	return out
}

func TestContinuousBatchingB(t *testing.T) {
	out := runBatch(cbPt(llama3_8B, h100, 1024, 32), cbPt(llama3_8B, h100, 8192, 4096), cbPt(llama3_8B, h100, 2050, 256))
	const kvTok = 2 * 32 * 8 * 128 * 2 // bytes per token, fp16
	checkScalars(t, []scalarCase{
		// physics.md §13.4 ContinuousBatching B (Llama3_8B, H100, S 1024, cap 32, page 16): TTFT
		// 1099.800 ms; N 32; frag 0; KV 4.295 GB; ITL 6.07611 ms; 5266.53 tok/s; N_s 19; speedup 1.53984.
		{"§13.4 S1024 TTFT ms", out.TTFT[0] * 1e3, 1099.800, 0, 5e-4},
		{"§13.4 S1024 N", out.Active[0], 32, 0, 0},
		{"§13.4 S1024 frag", out.Fragmentation[0], 0, 0, 0},
		{"§13.4 S1024 KV GB", out.KVBytes[0] / 1e9, 4.295, 0, 5e-4},
		{"§13.4 S1024 ITL ms", out.ITL[0] * 1e3, 6.07611, 0, 5e-6},
		{"§13.4 S1024 tok/s", out.Throughput[0], 5266.53, 0, 5e-3},
		{"§13.4 S1024 N_s", out.StaticActive[0], 19, 0, 0},
		{"§13.4 S1024 speedup", out.Speedup[0], 1.53984, 0, 5e-6},
		// Exact forms (§6.2): TTFT of 32 prompts of 1024; KV 32·1024 tokens; ITL without layer tax.
		{"S1024 TTFT exact", out.TTFT[0], (2*8.03e9*1024*32+4*32*32*128*1024*1024*32.0)/494.5e12 + 0.01e-3, tightRel, 0},
		{"S1024 KV exact", out.KVBytes[0], 32 * 1024 * kvTok, tightRel, 0},
		{"S1024 ITL exact", out.ITL[0], (16.06e9 + 32*1024*kvTok) / 3.35e12, tightRel, 0},
		{"S1024 static tok/s", out.StaticThroughput[0], 19 / ((16.06e9 + 19*1024*kvTok) / 3.35e12), tightRel, 0},

		// §13.4 (S 8192, cap 4096): N 65 (memory-bound); KV 69.793 GB; ITL 25.6278 ms; 2536.31 tok/s;
		// N_s 39; speedup 1.12471; TTFT 1 381 191.85 ms (all 4096 sequences prefilled).
		{"§13.4 S8192 N", out.Active[1], 65, 0, 0},
		{"§13.4 S8192 KV GB", out.KVBytes[1] / 1e9, 69.793, 0, 5e-4},
		{"§13.4 S8192 ITL ms", out.ITL[1] * 1e3, 25.6278, 0, 5e-5},
		{"§13.4 S8192 tok/s", out.Throughput[1], 2536.31, 0, 5e-3},
		{"§13.4 S8192 N_s", out.StaticActive[1], 39, 0, 0},
		{"§13.4 S8192 speedup", out.Speedup[1], 1.12471, 0, 5e-6},
		{"§13.4 S8192 TTFT ms", out.TTFT[1] * 1e3, 1381191.85, 0, 5e-3},
		// N = ⌊(80 GiB − 16.06 GB)/(8192 tokens · 131 072 B)⌋ = ⌊65.04⌋.
		{"S8192 N exact", out.Active[1], math.Floor((80*gib - 16.06e9) / (8192 * kvTok)), 0, 0},

		// §13.4 (S 2050, cap 256): padded 2064 → frag 0.0067829; N 256; ITL 25.4676 ms;
		// 10 052.0 tok/s; speedup 1.12672.
		{"§13.4 S2050 frag", out.Fragmentation[2], 0.0067829, 0, 5e-8},
		{"S2050 frag exact", out.Fragmentation[2], 14.0 / 2064, tightRel, 0},
		{"§13.4 S2050 N", out.Active[2], 256, 0, 0},
		{"§13.4 S2050 ITL ms", out.ITL[2] * 1e3, 25.4676, 0, 5e-5},
		{"§13.4 S2050 tok/s", out.Throughput[2], 10052.0, 0, 5e-2},
		{"§13.4 S2050 speedup", out.Speedup[2], 1.12672, 0, 5e-6},
		{"S2050 KV pads to 2064", out.KVBytes[2], 256 * 2064 * kvTok, tightRel, 0},
	})
	for i := range 3 {
		if !out.Feasible[i] {
			t.Errorf("point %d infeasible", i)
		}
	}
}

// physics.md §6.2 and §14: weights that fill HBM admit nothing (throughput 0, ITL 1 000 000 ms,
// speedup 1); a request longer than the free memory leaves the batch empty (feasible false).
func TestContinuousBatchingInfeasible(t *testing.T) {
	long := cbPt(llama3_8B, h100, 1<<22, 32) // 4M tokens: 550 GB of KV per request
	out := runBatch(cbPt(llama3_70B, h100, 2048, 32), long)
	checkScalars(t, []scalarCase{
		{"no room throughput", out.Throughput[0], 0, 0, 0},
		{"no room N", out.Active[0], 0, 0, 0},
		{"no room ITL", out.ITL[0], 1000, 0, 0},
		{"no room speedup", out.Speedup[0], 1, 0, 0},
		{"no room KV", out.KVBytes[0], 0, 0, 0},
		{"no room TTFT still computed", out.TTFT[0], (2*70.6e9*2048*32+AttentionFLOPsCoef(80, 64, 8192)*2048*2048*32)/494.5e12 + 0.01e-3, tightRel, 0},
		{"too long N", out.Active[1], 0, 0, 0},
		{"too long throughput", out.Throughput[1], 0, 0, 0},
		{"too long speedup", out.Speedup[1], 1, 0, 0},
		{"too long ITL = weights", out.ITL[1], 16.06e9 / 3.35e12, tightRel, 0},
	})
	if out.Feasible[0] || out.Feasible[1] {
		t.Errorf("feasible %v, want [false false]", out.Feasible)
	}
}

func TestContinuousBatchingC(t *testing.T) {
	pinned := cbPt(llama3_8B, h100, 8192, 4096)
	pinned.mean = 2048
	fixed := cbPt(llama3_8B, h100, 8192, 4096) // mean 0 = S_max: fixed-length requests
	capped := pinned
	capped.maxBatch = 16
	noRoom := cbPt(llama3_70B, h100, 8192, 4096)
	noRoom.mean = 2048
	out := runBatchC(pinned, fixed, capped, noRoom)

	const k = 2 * 32 * 8 * 128 * 2 // bytes per token
	alloc, frag := ExpectedPagedKVTokens(2048, 8192, 16)
	checkScalars(t, []scalarCase{
		// physics.md §6.2 Profile C pins (Llama3-8B, H100, S_max 8192, mean 2048, page 16, cap 4096):
		// N_static 65, N_paged 259, paged frag ≈ 0.0038 ± 5e-4, speedup ≈ 1.56 ± 0.01; §13.2 static frag 0.75.
		{"C N_static", out.StaticActive[0], 65, 0, 0},
		{"C N_paged", out.Active[0], 259, 0, 0},
		{"C paged frag", out.Fragmentation[0], 0.0038, 0, 5e-4},
		{"C speedup", out.Speedup[0], 1.56, 0, 0.01},
		{"C static frag", out.StaticFragmentation[0], 0.75, tightRel, 0},
		// physics.md §6.2 recomputation: A = 2055.85 tokens, frag 0.003819, speedup 1.5601.
		{"C allocated tokens", alloc, 2055.85, 0, 5e-3},
		{"C frag (author)", out.Fragmentation[0], 0.003819, 0, 5e-7},
		{"C speedup (author)", out.Speedup[0], 1.5601, 0, 5e-5},
		// Exact forms: decode step reads mean tokens per request.
		{"C ITL", out.ITL[0], (16.06e9 + 259*k*2048.0) / 3.35e12, tightRel, 0},
		{"C throughput", out.Throughput[0], 259 / ((16.06e9 + 259*k*2048.0) / 3.35e12), tightRel, 0},
		{"C static throughput", out.StaticThroughput[0], 65 / ((16.06e9 + 65*k*2048.0) / 3.35e12), tightRel, 0},
		{"C paged KV", out.KVBytes[0], 259 * k * alloc, tightRel, 0},
		{"C static KV", out.StaticKVBytes[0], 65 * k * 8192.0, tightRel, 0},
		{"C frag = expectation", out.Fragmentation[0], frag, tightRel, 0},
		// §6.2 fixed-length requests (mean = S_max): both allocators admit the same N, frag 0, speedup 1.
		{"fixed N_paged", out.Active[1], 65, 0, 0},
		{"fixed N_static", out.StaticActive[1], 65, 0, 0},
		{"fixed frag", out.Fragmentation[1], 0, 0, 0},
		{"fixed static frag", out.StaticFragmentation[1], 0, 0, 0},
		{"fixed speedup", out.Speedup[1], 1, tightRel, 0},
		// §13.2: cap 16 binds both → 16 and speedup 1.0.
		{"cap N_paged", out.Active[2], 16, 0, 0},
		{"cap N_static", out.StaticActive[2], 16, 0, 0},
		{"cap speedup", out.Speedup[2], 1, tightRel, 0},
		// Weights that fill HBM: nothing admitted.
		{"no room N", out.Active[3], 0, 0, 0},
		{"no room throughput", out.Throughput[3], 0, 0, 0},
		{"no room speedup", out.Speedup[3], 1, 0, 0},
	})
	if !out.Feasible[0] || !out.Feasible[1] || out.Feasible[3] {
		t.Errorf("feasible %v, want [true true true false]", out.Feasible)
	}
}

// physics.md §13.2 test_solver_suite: with 4096-token contexts of mean 1024, pages of 16 < 64
// < 2048 tokens fragment strictly more and admit no more requests.
func TestContinuousBatchingCPageSize(t *testing.T) {
	var pts []batchPt
	for _, page := range []float64{16, 64, 2048} {
		p := cbPt(llama3_8B, h100, 4096, 4096)
		p.mean, p.page = 1024, page
		pts = append(pts, p)
	}
	out := runBatchC(pts...)
	for i := 1; i < len(pts); i++ {
		if !(out.Fragmentation[i] > out.Fragmentation[i-1]) || out.Active[i] > out.Active[i-1] {
			t.Errorf("page %g → %g: frag %g → %g, N %g → %g; want frag rising, N not rising",
				pts[i-1].page, pts[i].page, out.Fragmentation[i-1], out.Fragmentation[i], out.Active[i-1], out.Active[i])
		}
	}
}

// Invariant: the B and C models agree on the fixed-length case where the seq is a multiple of
// the page, and the paged allocator never admits fewer requests than the static one.
func TestContinuousBatchingAgreement(t *testing.T) {
	var pts []batchPt
	for _, s := range []float64{1024, 4096, 8192, 32768} {
		for _, bMax := range []float64{1, 32, 4096} {
			pts = append(pts, cbPt(llama3_8B, h100, s, bMax))
			short := cbPt(llama3_8B, a100, s, bMax)
			short.mean = s / 3
			pts = append(pts, short)
		}
	}
	b, c := runBatch(pts...), runBatchC(pts...)
	for i, p := range pts {
		if p.mean == 0 && c.Active[i] != b.Active[i] {
			t.Errorf("S %g cap %g: C admits %g, B %g", p.seq, p.maxBatch, c.Active[i], b.Active[i])
		}
		if c.Active[i] < c.StaticActive[i] || c.Speedup[i] < 1-1e-12 {
			t.Errorf("S %g cap %g mean %g: paged %g < static %g or speedup %g < 1",
				p.seq, p.maxBatch, p.mean, c.Active[i], c.StaticActive[i], c.Speedup[i])
		}
	}
}

func TestContinuousBatchingColumnsIndependent(t *testing.T) {
	c := cbPt(llama3_8B, h100, 8192, 4096)
	c.mean = 2048
	pts := []batchPt{cbPt(llama3_8B, h100, 1024, 32), cbPt(llama3_70B, h100, 2048, 32), c, cbPt(mixtral, a100, 2050, 64)}
	b, cc := runBatch(pts...), runBatchC(pts...)
	for i, p := range pts {
		checkRowMatches(t, p.m.name+" B", b, i, runBatch(p))
		checkRowMatches(t, p.m.name+" C", cc, i, runBatchC(p))
	}
}

func TestContinuousBatchingDoesNotAllocate(t *testing.T) {
	c := cbPt(llama3_8B, h100, 8192, 4096)
	c.mean = 2048
	in := batchColumns(cbPt(llama3_8B, h100, 1024, 32), c)
	var out BatchOut
	var outC BatchCOut
	ContinuousBatching(&out, in)
	ContinuousBatchingC(&outC, in)
	if allocs := testing.AllocsPerRun(20, func() { ContinuousBatching(&out, in); ContinuousBatchingC(&outC, in) }); allocs != 0 {
		t.Errorf("ContinuousBatching allocates %g times per call once its outputs are sized", allocs)
	}
}

// TestOutputTokensPerS: charging prompts. 100 active requests, 10 ms steps (10 000 tokens/s
// decode-only), 50 output tokens each, 20 ms of prefill per request:
// 100·50 / (50·0.01 + 100·0.02) = 5000/2.5 = 2000 tokens/s.
func TestOutputTokensPerS(t *testing.T) {
	for _, c := range []struct {
		name                   string
		decode, out, pre, want float64
	}{
		{"charged", 100 / 0.01, 50, 0.02, 2000},
		{"decode only", 100 / 0.01, 50, 0, 10000},
		{"nothing active", 0, 50, 0.02, 0},
		{"no output tokens", 100 / 0.01, 0, 0.02, 0},
	} {
		if got := OutputTokensPerS(c.decode, c.out, c.pre); math.Abs(got-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Llama3_8B, 128 prompt tokens on H100 fp8 at η 0.5 (physics.md §6.1 TTFT numerator):
	// (2·8.03e9·128 + 4·32·32·128·128²) / (1979e12·0.5).
	want := (2*8.03e9*128 + 4*32*32*128*128*128) / (1979e12 * 0.5)
	if got := PromptPrefillS(8.03e9, AttentionFLOPsCoef(32, 32, 4096), 128, 1979e12, 0.5); math.Abs(got-want) > 1e-12*want {
		t.Errorf("PromptPrefillS = %v, want %v", got, want)
	}
}

// TestContinuousBatchingCalibrated: the calibrated batcher admits as the seed does on one
// accelerator (the same free memory and pages) but times each step with Serving's
// calibrated decode step; on tp 2 each accelerator holds half the weights and KV heads.
func TestContinuousBatchingCalibrated(t *testing.T) {
	in := batchColumns(cbPt(llama3_8B, h100, 256, 8192))
	in.Layers, in.Hidden, in.KVHeads = one(32), one(4096), one(8)
	in.AchievableBW, in.Efficiency = one(h100TriadBW), one(h100BF16Eff)
	in.Calibrated = true
	var out BatchOut
	ContinuousBatching(&out, in)
	n := out.Active[0]
	perRequest := float64(2*32*8*128) * 256 * 2
	if want := math.Min(math.Floor((80*gib-8.03e9*2)/perRequest), 8192); n != want {
		t.Fatalf("admitted %v, want %v", n, want)
	}
	// No prompt: a request generates all 256 tokens, at contexts 1 … 256, so the mean
	// step is Serving's step at context (256 + 1)/2 (memory still holds 256 per request).
	sv := calIn(llama3_8B, BF16, h100BF16Eff, 128.5, n)
	var s ServeOut
	Serving(&s, sv)
	near(t, "ITL = Serving's calibrated step at the mean context", out.ITL[0], s.ITL[0])
	near(t, "throughput", out.Throughput[0], n/s.ITL[0])
	var f ServeOut
	Serving(&f, calIn(llama3_8B, BF16, h100BF16Eff, 256, n))
	if !(out.ITL[0] < f.ITL[0]) {
		t.Errorf("ITL %v at the mean context is not below the step at the full 256 (%v)", out.ITL[0], f.ITL[0])
	}

	// A prompt of 1024 of 2048 tokens: generated tokens at contexts 1025 … 2048, mean
	// 1024 + 1025/2 = 1536.5.
	var po BatchOut
	ContinuousBatching(&po, calPrompted8B())
	var ps ServeOut
	Serving(&ps, calIn(llama3_8B, BF16, h100BF16Eff, 1536.5, po.Active[0]))
	near(t, "ITL with a prompt = step at 1536.5", po.ITL[0], ps.ITL[0])

	in.TP, in.TPBandwidth = one(2), one(450e9)
	ContinuousBatching(&out, in)
	if want := math.Min(math.Floor((80*gib-8.03e9)/(perRequest/2)), 8192); out.Active[0] != want {
		t.Errorf("tp 2 admitted %v, want %v (half the weights and KV per accelerator)", out.Active[0], want)
	}
}

// TestBatchingChargesPrompts: with input tokens the kernel charges each request's
// prefill (seed: PromptPrefillS) and reports generated tokens/s; without, the decode
// throughput is the output rate (the seed's figure).
func TestBatchingChargesPrompts(t *testing.T) {
	in := batchColumns(cbPt(llama3_8B, h100, 2048, 64), cbPt(llama3_8B, h100, 2048, 64))
	in.InputTokens = []float64{0, 1024}
	var out BatchOut
	ContinuousBatching(&out, in)
	if out.OutputTPS[0] != out.Throughput[0] || out.PromptPrefill[0] != 0 {
		t.Errorf("no prompt: output %v vs decode %v, prefill %v", out.OutputTPS[0], out.Throughput[0], out.PromptPrefill[0])
	}
	pre := PromptPrefillS(8.03e9, llama3_8B.attnCoef(), 1024, 989e12, 0.5)
	near(t, "prefill", out.PromptPrefill[1], pre)
	near(t, "output tokens/s", out.OutputTPS[1], OutputTokensPerS(out.Throughput[1], 1024, pre))
	near(t, "static output tokens/s", out.StaticOutputTPS[1], OutputTokensPerS(out.StaticThroughput[1], 1024, pre))
	near(t, "speedup", out.Speedup[1], out.OutputTPS[1]/out.StaticOutputTPS[1])
}

// calPrompted8B is a calibrated batcher of Llama 3 8B BF16 on an H100: requests of 2048
// tokens, 1024 of them prompt, at most 64 in flight.
func calPrompted8B() *BatchIn {
	in := batchColumns(cbPt(llama3_8B, h100, 2048, 64))
	in.Layers, in.Hidden, in.KVHeads = one(32), one(4096), one(8)
	in.AchievableBW, in.Efficiency = one(h100TriadBW), one(h100BF16Eff)
	in.InputTokens = one(1024)
	in.Calibrated = true
	return in
}

// TestBatchingPromptsTogether (calibrated): the admitted requests' prompts are prefilled
// together, so a request's share is one passage of all of them divided by their number:
// the weights are read once per batch, not once per request.
func TestBatchingPromptsTogether(t *testing.T) {
	in := calPrompted8B()
	var out BatchOut
	ContinuousBatching(&out, in)
	active := out.Active[0]
	if active < 2 {
		t.Fatalf("admitted %v requests; the test needs several", active)
	}
	sv := calIn(llama3_8B, BF16, h100BF16Eff, 1024, active)
	var s ServeOut
	Serving(&s, sv)
	near(t, "a request's prefill", out.PromptPrefill[0], s.TTFT[0]/active)
	alone := calIn(llama3_8B, BF16, h100BF16Eff, 1024, 1)
	Serving(&s, alone)
	if out.PromptPrefill[0] >= s.TTFT[0] {
		t.Errorf("a request's share %v is not below its prefill alone %v", out.PromptPrefill[0], s.TTFT[0])
	}
}

// TestEngineMemoryBudget (calibrated): a batcher admits requests into the memory the
// serving engine gives the KV cache by default — vLLM's gpu_memory_utilization 0.9 of
// all memory for weights and cache, TensorRT-LLM's free_gpu_memory_fraction 0.9 of what
// the weights leave — and a serve point that fits the whole memory but not the budget is
// infeasible.
func TestEngineMemoryBudget(t *testing.T) {
	capacity, w := float64(80*gib), 8.03e9*2
	perRequest := float64(2*32*8*128) * 256 * 2
	for _, c := range []struct {
		name       string
		frac, free float64
		kv         float64
	}{
		{"no engine", 0, 0, capacity - w},
		{"vllm", 0.9, 0, 0.9*capacity - w},
		{"trtllm", 0.9, 1, 0.9 * (capacity - w)},
	} {
		in := batchColumns(cbPt(llama3_8B, h100, 256, 8192))
		in.Layers, in.Hidden, in.KVHeads = one(32), one(4096), one(8)
		in.AchievableBW, in.Efficiency = one(h100TriadBW), one(h100BF16Eff)
		in.MemoryFraction, in.MemoryOfFree = one(c.frac), one(c.free)
		in.Calibrated = true
		var out BatchOut
		ContinuousBatching(&out, in)
		if want := math.Min(math.Floor(c.kv/perRequest), 8192); out.Active[0] != want {
			t.Errorf("%s: admitted %v, want %v", c.name, out.Active[0], want)
		}
	}
	// A serve point at 95 % of the memory fits it but not vLLM's 90 %.
	batch := math.Floor((0.95*capacity - w) / perRequest)
	sv := calIn(llama3_8B, BF16, h100BF16Eff, 256, batch)
	sv.MemCapacity = one(capacity)
	var s ServeOut
	Serving(&s, sv)
	if !s.Feasible[0] {
		t.Fatalf("batch %v at 95 %% of memory is infeasible without an engine budget", batch)
	}
	sv.MemoryFraction, sv.MemoryOfFree = one(0.9), one(0)
	Serving(&s, sv)
	if s.Feasible[0] {
		t.Errorf("batch %v at 95 %% of memory is feasible within vLLM's 0.9", batch)
	}
}

// TestEngineProfiledActivations (calibrated): an engine sizes its KV pool after a
// profiling forward pass of max_num_tokens tokens, so the activations live at its peak —
// by hand for Llama 3 8B (h 4096, gated MLP of 14336) at 20064 tokens (a 20000-token
// prompt plus trtllm-bench's batch of 64): 20064 · (2·4096 + 3·14336) · 2 bytes =
// 2.05 GB — leave the KV cache before the engine's share is taken; none is charged
// without the layer's shape or profiling tokens.
func TestEngineProfiledActivations(t *testing.T) {
	capacity, w := float64(80*gib), 8.03e9*2
	perRequest := float64(2*32*8*128) * 256 * 2
	peak := 20064.0 * (2*4096 + 3*14336) * 2
	near(t, "the profiling peak by hand", peak, 2054553600)
	for _, c := range []struct {
		name        string
		frac, free  float64
		tokens, ffn float64
		kv          float64
	}{
		{"trtllm", 0.9, 1, 20064, 14336, 0.9 * (capacity - w - peak)},
		{"vllm", 0.9, 0, 20064, 14336, 0.9*capacity - w - peak},
		{"no profiling tokens", 0.9, 1, 0, 14336, 0.9 * (capacity - w)},
		{"no layer shape", 0.9, 1, 20064, 0, 0.9 * (capacity - w)},
	} {
		in := batchColumns(cbPt(llama3_8B, h100, 256, 8192))
		in.Layers, in.Hidden, in.KVHeads = one(32), one(4096), one(8)
		in.Heads, in.FFN, in.UpMatrices = one(32), one(c.ffn), one(2)
		in.AchievableBW, in.Efficiency = one(h100TriadBW), one(h100BF16Eff)
		in.MemoryFraction, in.MemoryOfFree = one(c.frac), one(c.free)
		in.ProfileTokens = one(c.tokens)
		in.Calibrated = true
		var out BatchOut
		ContinuousBatching(&out, in)
		if want := math.Min(math.Floor(c.kv/perRequest), 8192); out.Active[0] != want {
			t.Errorf("%s: admitted %v, want %v", c.name, out.Active[0], want)
		}
	}
}

// TestMeanDecodeContext: tokens generated at contexts length − generated + 1 … length
// have the mean length − (generated − 1)/2, by hand.
func TestMeanDecodeContext(t *testing.T) {
	for _, c := range []struct{ length, generated, want float64 }{
		{2048, 1024, 1536.5}, // 1025 … 2048
		{256, 256, 128.5},    // 1 … 256: no prompt
		{4224, 4096, 2176.5}, // a 128-token prompt: 129 … 4224
		{2048, 1, 2048},      // one token, at the full length
		{2048, 0, 2048},      // nothing generated: the full length
		{2048, 5000, 1024.5}, // more than the request: all of it
	} {
		if got := MeanDecodeContext(c.length, c.generated); got != c.want {
			t.Errorf("MeanDecodeContext(%v, %v) = %v, want %v", c.length, c.generated, got, c.want)
		}
	}
}

// TestBatcherCountsSixteenBitOutputLayer (calibrated): FP8 weights keep the output layer
// at 16 bits (§33), and the batcher admits requests into what those weights leave, as
// Serving counts them — by hand for Llama 3 8B in FP8 with its 128,256 × 4096 output
// layer on an H100 under vLLM's 0.9: (0.9·80 GiB − 8.03e9 − 128256·4096) / (64 Ki
// elements · 2048 tokens · 1 byte) requests, and Serving finds that batch in memory and one
// more out of it (the seed-style count without the 16-bit layer admitted a batch Serving
// refused, so serve-capacity called every such point out of memory).
func TestBatcherCountsSixteenBitOutputLayer(t *testing.T) {
	in := batchColumns(cbPt(llama3_8B, h100, 2048, 8192))
	in.Bytes = one(FP8.Bytes())
	in.Layers, in.Hidden, in.KVHeads = one(32), one(4096), one(8)
	in.Heads, in.FFN, in.UpMatrices, in.Vocab, in.SMs = one(32), one(14336), one(2), one(128256), one(132)
	in.AchievableBW, in.Efficiency, in.PeakFLOPS = one(h100TriadBW), one(h100FP8Eff), one(h100.peakFor(FP8))
	in.Rate16, in.MemoryFraction = one(989e12*h100BF16Eff), one(0.9)
	in.Calibrated = true
	var out BatchOut
	ContinuousBatching(&out, in)
	w := 8.03e9 + 128256*4096.0
	perRequest := float64(2*32*8*128) * 2048
	want := math.Floor((0.9*80*gib - w) / perRequest)
	if out.Active[0] != want {
		t.Fatalf("admitted %v, want %v", out.Active[0], want)
	}
	for _, c := range []struct {
		batch float64
		fits  bool
	}{{want, true}, {want + 1, false}} {
		sv := in.ServeIn
		sv.SeqLen, sv.Batch, sv.CachedPrefix, sv.ChunkTokens = one(2048), one(c.batch), one(0), one(0)
		var s ServeOut
		Serving(&s, &sv)
		if s.Feasible[0] != c.fits {
			t.Errorf("Serving at batch %v: feasible %v, want %v", c.batch, s.Feasible[0], c.fits)
		}
	}
}

// TestBatchingFiniteRequests (calibrated): a benchmark of N requests of one length, all
// queued at once, runs ⌊N/active⌋ full waves at the steady rate and a last wave of the
// rest, whose prompts are prefilled together (no token budget: one pass) and give the
// first of their 1024 generated tokens, the other 1023 decode steps at a batch of the rest
// (Serving's step at the mean context 1536.5); tokens/s is N·1024 over the sum. By hand
// with the 8B batcher of 64 requests: N = 3·64 + 20 = 212 is three waves of 64 and one of
// 20, wall = 3·64·1024/T + 1023·ITL(20) + prefill(20).
func TestBatchingFiniteRequests(t *testing.T) {
	var steady BatchOut
	ContinuousBatching(&steady, calPrompted8B())
	active, tps := steady.Active[0], steady.OutputTPS[0]
	if active != 64 {
		t.Fatalf("admitted %v, the test wants the cap of 64", active)
	}
	finite := func(n float64) *BatchOut {
		in := calPrompted8B()
		in.Requests = one(n)
		var out BatchOut
		ContinuousBatching(&out, in)
		return &out
	}
	lastWave := func(rem float64) float64 {
		var d, p ServeOut
		Serving(&d, calIn(llama3_8B, BF16, h100BF16Eff, 1536.5, rem))
		Serving(&p, calIn(llama3_8B, BF16, h100BF16Eff, 1024, rem))
		return 1023*d.ITL[0] + p.TTFT[0]
	}

	near(t, "a whole number of waves is the steady rate", finite(4 * 64).OutputTPS[0], tps)
	wall := 3*64*1024/tps + lastWave(20)
	out := finite(212)
	near(t, "three waves of 64 and one of 20", out.OutputTPS[0], 212*1024/wall)
	if !(out.OutputTPS[0] < tps) {
		t.Errorf("a last wave of 20 gives %v tokens/s, not below the steady %v", out.OutputTPS[0], tps)
	}
	near(t, "fewer requests than the batch: one wave of them", finite(20).OutputTPS[0], 20*1024/lastWave(20))
	if out.ITL[0] != steady.ITL[0] || out.Active[0] != active || out.PromptPrefill[0] != steady.PromptPrefill[0] {
		t.Errorf("the steady columns moved: ITL %v/%v, active %v/%v, prefill %v/%v",
			out.ITL[0], steady.ITL[0], out.Active[0], active, out.PromptPrefill[0], steady.PromptPrefill[0])
	}
	// The static batcher (0.6 of the batch, 38 requests) runs its own waves: 212 = 5·38 + 22.
	sAct := steady.StaticActive[0]
	if sAct != 38 {
		t.Fatalf("static batch %v, want ⌊0.6·64⌋ = 38", sAct)
	}
	near(t, "static waves", out.StaticOutputTPS[0], 212*1024/(5*38*1024/steady.StaticOutputTPS[0]+lastWave(22)))
	near(t, "speedup", out.Speedup[0], out.OutputTPS[0]/out.StaticOutputTPS[0])

	// The seed has no finite benchmark: its columns do not move.
	seed := batchColumns(cbPt(llama3_8B, h100, 2048, 64))
	seed.InputTokens = one(1024)
	var a, b BatchOut
	ContinuousBatching(&a, seed)
	seed.Requests = one(212)
	ContinuousBatching(&b, seed)
	if a.OutputTPS[0] != b.OutputTPS[0] || a.StaticOutputTPS[0] != b.StaticOutputTPS[0] || a.Speedup[0] != b.Speedup[0] {
		t.Errorf("seed moved with requests: %v → %v", a.OutputTPS[0], b.OutputTPS[0])
	}
}

// TestPromptsPerPass by hand: the waiting prompts, the free slots and ⌊budget/n⌋ bound a
// pass; a prompt longer than the budget runs alone; nothing waiting or no room is 0; the
// seed prefills one prompt a pass whatever the budget.
func TestPromptsPerPass(t *testing.T) {
	for _, c := range []struct{ waiting, room, n, budget, want float64 }{
		{10, 64, 2048, 8192, 4},     // ⌊8192/2048⌋
		{3, 64, 2048, 8192, 3},      // what waits
		{10, 2, 2048, 8192, 2},      // what the batch has room for
		{10, 64, 2048, 0, 10},       // no budget: every waiting prompt
		{10, 64, 20000, 8192, 1},    // longer than the budget: alone
		{10, 64, 4000, 8192, 2},     // ⌊2.048⌋
		{0, 64, 2048, 8192, 0},      // nothing waits
		{5, 0, 2048, 8192, 0},       // no room
		{0.5, 1, 1, 1, 0},           // less than a prompt waits
		{2.5, 64, 100, 131072, 2},   // whole prompts
		{7, 5.5, 1, 0, 5},           // whole slots
		{64, 64, 2048, 131072, 64},  // vLLM's max_model_len of Llama 3.1: the whole batch
		{1000, 224, 2000, 2224, 1},  // trtllm-bench's ISL + max batch
		{1000, 2048, 128, 3840, 30}, // ⌊3840/128⌋
		{2, 2, 3, 5.9, 1},           // ⌊1.97⌋
		{2, 2, 3, 6, 2},             // ⌊6/3⌋
	} {
		if got := PromptsPerPass(c.waiting, c.room, c.n, c.budget); got != c.want {
			t.Errorf("PromptsPerPass(waiting %v, room %v, n %v, budget %v) = %v, want %v", c.waiting, c.room, c.n, c.budget, got, c.want)
		}
	}
	seed := llm{passTokens: 1 << 20}
	if k := seed.promptsPerPass(10, 10, 16, 0); k != 1 {
		t.Errorf("seed: %v prompts a pass, want 1", k)
	}
	cal := llm{calibrated: true, passTokens: 8192}
	if k := cal.promptsPerPass(10, 10, 1024, 2048); k != 2 {
		t.Errorf("calibrated, chunks of 2048 over the budget of 8192: %v prompts a pass, want 2 (the chunk is the budget)", k)
	}
}

// TestCUDAGraphBatch by hand: the smallest of the performance overview's captured sizes
// (1, 2, 4 … 128, 256, 384, 512, 1024 … 8192) at or above the batch, among those at or below
// the engine's largest decode batch, that limit itself standing in for the first size above
// it (TensorRT-LLM's _filter_cuda_graph_batch_sizes); above every kept size no graph runs and
// the batch is its own.
func TestCUDAGraphBatch(t *testing.T) {
	for _, c := range []struct{ b, limit, want float64 }{
		{1, 8192, 1},
		{3, 8192, 4},
		{8, 8192, 8},
		{100, 8192, 128},
		{129, 8192, 256},
		{257, 8192, 384},
		{385, 8192, 512},
		{600, 8192, 1024},
		{4097, 8192, 8192},
		{129, 192, 192},    // 256 > 192: the engine pads to 192 (max_batch_size 192)
		{176, 192, 192},    // the 70B on one H200 at 500/2000: 176 admitted of 192
		{100, 192, 128},    // below the limit the listed sizes stay
		{3000, 2048, 3000}, // above every kept size (max_num_tokens 2048): no graph, no padding
		{9000, 20000, 9000},
		{0, 8192, 0},
	} {
		if got := CUDAGraphBatch(c.b, c.limit); got != c.want {
			t.Errorf("CUDAGraphBatch(%v, %v) = %v, want %v", c.b, c.limit, got, c.want)
		}
	}
}

// TestBatchingCUDAGraphPadding (calibrated): with cuda_graph_padding the batcher's decode
// step runs its matmuls, activations and exchanges on the padded batch and reads the KV
// cache of the real one. Llama 3 8B in FP8 on an H100 at 3000-token requests admits a batch
// between two captured sizes; its padded step is the unpadded step at the captured size less
// the KV cache of the padding rows, (p − a)·65,536 elements · 1 byte · 1500.5 tokens at the
// Triad bandwidth (decode attention streams the cache: 8 FLOP a byte), and it is slower than
// the unpadded step of the same batch.
func TestBatchingCUDAGraphPadding(t *testing.T) {
	mk := func(pad float64) *BatchIn {
		in := batchColumns(cbPt(llama3_8B, h100, 3000, 8192))
		in.Bytes = one(FP8.Bytes())
		in.Layers, in.Hidden, in.KVHeads = one(32), one(4096), one(8)
		in.Heads, in.FFN, in.UpMatrices, in.Vocab, in.SMs = one(32), one(14336), one(2), one(128256), one(132)
		in.AchievableBW, in.Efficiency, in.PeakFLOPS = one(h100TriadBW), one(h100FP8Eff), one(h100.peakFor(FP8))
		in.Rate16, in.MemoryFraction = one(989e12*h100BF16Eff), one(0.9)
		in.GraphPadding = one(pad)
		in.Calibrated = true
		return in
	}
	var plain, padded BatchOut
	ContinuousBatching(&plain, mk(0))
	ContinuousBatching(&padded, mk(1))
	a := padded.Active[0]
	p := CUDAGraphBatch(a, 8192)
	if a != plain.Active[0] || !(p > a) {
		t.Fatalf("admitted %v (unpadded %v), padded to %v: the test needs a batch between captured sizes", a, plain.Active[0], p)
	}
	at := func(batch float64) float64 {
		sv := mk(0).ServeIn
		sv.SeqLen, sv.Batch, sv.CachedPrefix, sv.ChunkTokens = one(1500.5), one(batch), one(0), one(0)
		var s ServeOut
		Serving(&s, &sv)
		return s.ITL[0]
	}
	near(t, "unpadded step", plain.ITL[0], at(a))
	near(t, "padded step", padded.ITL[0], at(p)-(p-a)*65536*1500.5/h100TriadBW)
	if !(padded.ITL[0] > plain.ITL[0]) {
		t.Errorf("padded step %v not slower than the unpadded %v", padded.ITL[0], plain.ITL[0])
	}
	// The seed has no padding.
	seed := mk(1)
	seed.Calibrated = false
	var s0, s1 BatchOut
	ContinuousBatching(&s1, seed)
	seed.GraphPadding = one(0)
	ContinuousBatching(&s0, seed)
	if s0.ITL[0] != s1.ITL[0] || s0.OutputTPS[0] != s1.OutputTPS[0] {
		t.Errorf("seed moved with padding: %v → %v", s0.ITL[0], s1.ITL[0])
	}
}
