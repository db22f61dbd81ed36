package kernel

import (
	"math"
	"sort"
	"testing"
)

// The calibrated serving physics (docs/PHYSICS.md §33). Every expected value below is
// computed here from the stated formula with the catalog's measured H100 attributes:
// BabelStream Triad 2.97 TB/s (Azure ND H100 v5) and the MAMF matmul efficiencies 0.709
// (FP8) and 0.803 (BF16) of the ml-engineering table.
const (
	h100TriadBW = 2.97e12
	h100FP8Eff  = 0.709
	h100BF16Eff = 0.803
)

func one(v float64) []float64 { return []float64{v} }

// calIn is one calibrated Serving point of a dense model on H100.
func calIn(m testModel, prec Precision, eff, seq, batch float64) *ServeIn {
	return &ServeIn{
		Params: one(m.params), Layers: one(m.layers), AttnCoef: one(m.attnCoef()), KVElemsPerToken: one(m.kvElems()),
		Bytes: one(prec.Bytes()), SeqLen: one(seq), Batch: one(batch), CachedPrefix: one(0), ChunkTokens: one(0),
		Efficiency: one(eff), PeakFLOPS: one(h100.peakFor(prec)), MemBandwidth: one(h100.bw), MemCapacity: one(h100.capacity),
		DispatchTax: one(h100.dispatch), Hidden: one(m.hidden), KVHeads: one(m.kvHeads), AchievableBW: one(h100TriadBW),
		TDP: one(700), TPBandwidth: one(450e9), Calibrated: true,
	}
}

func near(t *testing.T, label string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12*math.Abs(want) {
		t.Errorf("%s = %.15g, want %.15g", label, got, want)
	}
}

// TestCalibratedDecodeRoofline: one accelerator, Llama3_8B FP8 at S 256. A decode step
// is max(FLOPs at peak·η, (weights + KV)/measured bandwidth) plus 4 matmul kernels per
// layer; batch 8 streams bytes, batch 4096 is bound by its FLOPs.
func TestCalibratedDecodeRoofline(t *testing.T) {
	kernels := 32 * 4 * KernelS
	for _, c := range []struct {
		batch        float64
		computeBound bool
	}{{8, false}, {4096, true}} {
		var out ServeOut
		Serving(&out, calIn(llama3_8B, FP8, h100FP8Eff, 256, c.batch))
		kv := float64(2*32*8*128) * 256 * c.batch // fp8 KV: one byte per element
		mem := (8.03e9 + kv) / h100TriadBW
		compute := (2*8.03e9 + AttentionFLOPsCoef(32, 32, 4096)*256) * c.batch / (1979e12 * h100FP8Eff)
		if (compute > mem) != c.computeBound {
			t.Fatalf("batch %v: the test's roofline sides are not as named", c.batch)
		}
		near(t, "ITL", out.ITL[0], math.Max(mem, compute)+kernels)
		near(t, "tokens/s", out.TokensPerS[0], c.batch/out.ITL[0])
		if out.ComputeBound[0] != c.computeBound {
			t.Errorf("batch %v: compute bound %v, want %v", c.batch, out.ComputeBound[0], c.computeBound)
		}
		// Power: 0.30 floor, compute share of the TDP, memory term up to 300/700 (Ma et al. 2026).
		uc := (2*8.03e9 + AttentionFLOPsCoef(32, 32, 4096)*256) * c.batch / out.ITL[0] / 1979e12
		um := (8.03e9 + kv) / out.ITL[0] / h100TriadBW
		wantP := 700 * math.Min(1, 0.3+0.7*uc+(300.0/700-0.3)*um)
		near(t, "power", out.PowerW[0], wantP)
		near(t, "J/token", out.EnergyPerToken[0], wantP*out.ITL[0]/c.batch)
	}
}

// TestCalibratedPrefill: Llama3_8B BF16 prefill of 2048 tokens runs at the matmul
// efficiency; 16 tokens only stream the weights once. Chunks of 512 pay the kernels four
// times; the engine's step overhead is charged per chunk.
func TestCalibratedPrefill(t *testing.T) {
	// n new tokens at context s: causal attention over n·(s − (n − 1)/2) keys in all.
	flops := func(n, s float64) float64 { return 2*8.03e9*n + AttentionFLOPsCoef(32, 32, 4096)*n*(s-(n-1)/2) }
	kvAt := func(s float64) float64 { return float64(2*32*8*128) * s * 2 } // the context's KV
	kv := kvAt(2048)
	kernels := 32 * 4 * KernelS
	long := calIn(llama3_8B, BF16, h100BF16Eff, 2048, 1)
	short := calIn(llama3_8B, BF16, h100BF16Eff, 16, 1)
	chunked := calIn(llama3_8B, BF16, h100BF16Eff, 2048, 1)
	chunked.ChunkTokens[0] = 512
	chunked.StepOverhead = one(0.5e-3)
	var lo, so, co ServeOut
	Serving(&lo, long)
	Serving(&so, short)
	Serving(&co, chunked)
	near(t, "TTFT 2048", lo.TTFT[0], math.Max(flops(2048, 2048)/(989e12*h100BF16Eff), (8.03e9*2+kv)/h100TriadBW)+kernels)
	shortFLOPs := 2*8.03e9*16 + AttentionFLOPsCoef(32, 32, 4096)*16*8.5
	shortBytes := 8.03e9*2 + float64(2*32*8*128)*16*2
	if shortFLOPs/(989e12*h100BF16Eff) > shortBytes/h100TriadBW {
		t.Fatal("16 tokens should stream the weights, not compute")
	}
	near(t, "TTFT 16", so.TTFT[0], shortBytes/h100TriadBW+kernels)
	// Four chunks of 512 end at contexts 512, 1024, 1536 and 2048: each is timed at their
	// mean, 1280, which counts their attention and KV reads exactly (compute binds in all
	// four); the longest is the last, at the whole context.
	chunkAt := func(s float64) float64 {
		return math.Max(flops(512, s)/(989e12*h100BF16Eff), (8.03e9*2+kvAt(s))/h100TriadBW) + kernels + 0.5e-3
	}
	var sumAttn float64
	for _, s := range []float64{512, 1024, 1536, 2048} {
		if flops(512, s)/(989e12*h100BF16Eff) < (8.03e9*2+kvAt(s))/h100TriadBW {
			t.Fatalf("the 512-token chunk at %v should compute, not stream", s)
		}
		sumAttn += 512 * (s - 255.5)
	}
	near(t, "the chunks' attention keys", sumAttn, 2048*2049/2)
	near(t, "TTFT 4×512", co.TTFT[0], 4*chunkAt(1280))
	near(t, "longest chunk", co.ChunkTime[0], chunkAt(2048))

	// A chunk longer than the prompt is the unchunked prefill plus the step overhead.
	whole := calIn(llama3_8B, BF16, h100BF16Eff, 2048, 1)
	whole.ChunkTokens[0] = 4096
	whole.StepOverhead = one(0.5e-3)
	var wo ServeOut
	Serving(&wo, whole)
	near(t, "TTFT one chunk", wo.TTFT[0], lo.TTFT[0]+0.5e-3)
	near(t, "longest of one chunk", wo.ChunkTime[0], wo.TTFT[0])
}

// TestCalibratedLayout: Llama3_70B FP16 on tp 2 × pp 2 H100s at batch 8, S 2048. Each
// stage holds 40 layers and half of each one's weights; the batch runs as two
// microbatches of 4, so the step is two stage passages of one microbatch plus one
// send, and every stage reads its weights once per microbatch.
func TestCalibratedLayout(t *testing.T) {
	in := calIn(llama3_70B, FP16, h100BF16Eff, 2048, 8)
	in.TP, in.PP = one(2), one(2)
	var out ServeOut
	Serving(&out, in)
	kvPerSeq := float64(2*80*8*128) * 2048 * 2
	stageFLOPs := (2*70.6e9 + AttentionFLOPsCoef(80, 64, 8192)*2048) * 4 / 4
	stageBytes := 70.6e9*2/4 + kvPerSeq*4/(2*2) // KV over min(tp 2, 8 heads) and 2 stages
	comm := 40 * 2 * RingAllReduce(4*8192*2, 2, 450e9, NVLinkLatencyS)
	stage := math.Max(stageFLOPs/(989e12*h100BF16Eff), stageBytes/h100TriadBW) + 40*4*KernelS + comm
	send := PointToPoint(4*8192*2, 450e9, NVLinkLatencyS)
	near(t, "ITL", out.ITL[0], 2*stage+send)
	near(t, "TP comm", out.TPComm[0], 2*comm)
	near(t, "PP comm", out.PPComm[0], send)
	near(t, "memory utilisation", out.MemUtilization[0], (70.6e9*2/4+kvPerSeq*8/4)/(80*gib))
	if out.Accelerators[0] != 4 {
		t.Errorf("accelerators %v, want 4", out.Accelerators[0])
	}
	// One prompt is not split: its prefill crosses both stages once (causal attention:
	// 2048 tokens attend 1024.5 keys on average).
	prefillStage := math.Max((2*70.6e9*2048+AttentionFLOPsCoef(80, 64, 8192)*2048*1024.5)*8/4/(989e12*h100BF16Eff),
		(70.6e9*2/4+kvPerSeq*8/4)/h100TriadBW) + 40*4*KernelS + 40*2*RingAllReduce(8*2048*8192*2, 2, 450e9, NVLinkLatencyS)
	near(t, "TTFT", out.TTFT[0], 2*prefillStage+PointToPoint(8*2048*8192*2, 450e9, NVLinkLatencyS))
}

// TestCalibratedKVSharding: past 8 KV heads tensor parallelism replicates the cache, and
// a tensor-parallel group larger than a node talks over the fabric.
func TestCalibratedKVSharding(t *testing.T) {
	in := calIn(llama3_70B, FP8, h100FP8Eff, 8192, 64)
	in.TP = one(16)
	in.FabricBandwidth, in.FabricLatency = one(50e9), one(InfiniBandNDRLatencyS)
	var out ServeOut
	Serving(&out, in)
	kv := float64(2*80*8*128) * 8192 * 64
	near(t, "memory utilisation", out.MemUtilization[0], (70.6e9/16+kv/8)/(80*gib))
	near(t, "TP comm over the fabric", out.TPComm[0], 80*2*RingAllReduce(64*8192*2, 16, 50e9, InfiniBandNDRLatencyS))
}

// TestExpertsTouched: Mixtral routes each token to 2 of 8 experts; one token reads the
// dense part and 2 experts, a large batch reads all 8.
func TestExpertsTouched(t *testing.T) {
	near(t, "one token", ExpertsTouched(8, 2, 1), 2)
	near(t, "two tokens", ExpertsTouched(8, 2, 2), 8*(1-0.75*0.75))
	near(t, "many tokens", ExpertsTouched(8, 2, 1000), 8)
	m := llm{p: 46.7e9, pa: 12.9e9, experts: 8, topk: 2, b: 2}
	perExpert := (46.7e9 - 12.9e9) / 6
	dense := 46.7e9 - 8*perExpert
	near(t, "bytes at batch 1", m.expertWeights(1), (dense+2*perExpert)*2)
	near(t, "bytes at batch 1000", m.expertWeights(1000), 46.7e9*2)
}

// TestSpeculativeDecoding: K = 4 drafts accepted with α = 0.7 emit (1 − 0.7⁵)/0.3 tokens
// per step (Leviathan et al. 2023); the seed's §6.1 step is K draft reads plus the target
// step over that, the calibrated one verifies K + 1 tokens per sequence.
func TestSpeculativeDecoding(t *testing.T) {
	near(t, "E[tokens]", SpecExpectedTokens(4, 0.7), (1-math.Pow(0.7, 5))/0.3)
	near(t, "E[tokens] at α 1", SpecExpectedTokens(4, 1), 5)
	near(t, "E[tokens] at α 0", SpecExpectedTokens(4, 0), 1)

	draftIn := func(calibrated bool) *ServeIn {
		in := calIn(llama3_70B, FP8, h100FP8Eff, 1024, 1)
		in.TP = one(4)
		in.Calibrated = calibrated
		in.SpecTokens, in.SpecAcceptance = one(4), one(0.7)
		in.DraftParams, in.DraftLayers = one(8.03e9), one(32)
		in.DraftCoef, in.DraftKVElems = one(llama3_8B.attnCoef()), one(llama3_8B.kvElems())
		in.DraftHidden, in.DraftKVHeads = one(4096), one(8)
		return in
	}
	e := SpecExpectedTokens(4, 0.7)
	var seed ServeOut
	sIn := draftIn(false)
	Serving(&seed, sIn)
	target := (70.6e9 + float64(2*80*8*128)*1024) / 4 / 3.35e12
	target += 80*LayerTaxS + 2*80*RingAllReduce(8192, 4, 450e9, NVLinkLatencyS)
	draft := (8.03e9 + float64(2*32*8*128)*1024) / 4 / 3.35e12
	near(t, "seed ITL", seed.ITL[0], (4*draft+target)/e)

	var cal ServeOut
	Serving(&cal, draftIn(true))
	verify := math.Max((2*70.6e9+AttentionFLOPsCoef(80, 64, 8192)*(1024-2))*5/4/(1979e12*h100FP8Eff),
		(70.6e9/4+float64(2*80*8*128)*1024/4)/h100TriadBW) + 80*4*KernelS + 80*2*RingAllReduce(5*8192*2, 4, 450e9, NVLinkLatencyS)
	dstep := math.Max((2*8.03e9+llama3_8B.attnCoef()*1024)/4/(1979e12*h100FP8Eff),
		(8.03e9/4+float64(2*32*8*128)*1024/4)/h100TriadBW) + 32*4*KernelS + 32*2*RingAllReduce(8192, 4, 450e9, NVLinkLatencyS)
	near(t, "calibrated ITL", cal.ITL[0], (4*dstep+verify)/e)
}

// TestAcceleratorPower: the floor, the compute term reaching the TDP, the memory term
// reaching 300 W of 700 (Ma et al. 2026), and the seed's 0.3 + 0.7·HFU.
func TestAcceleratorPower(t *testing.T) {
	for _, c := range []struct {
		name       string
		uc, um     float64
		want, seed float64
	}{
		{"idle", 0, 0, 210, 210},
		{"memory-bound decode", 0, 1, 300, 210},
		{"compute-bound prefill", 1, 0.2, 700, 700},
		{"half compute", 0.5, 0.5, 700 * (0.3 + 0.35 + (300.0/700-0.3)*0.5), 700 * 0.65},
	} {
		near(t, c.name, AcceleratorPowerW(700, c.uc, c.um), c.want)
		near(t, c.name+" (seed)", SeedPowerW(700, c.uc), c.seed)
	}
}

// TestKernelS recomputes the fixed matmul cost from DeepGEMM's published FP8 table
// (deepseek-ai/DeepGEMM README at a6d97a1, H800): for the 64- and 128-row shapes, the
// measured time 2·M·N·K / TFLOPS minus the roofline max(FLOPs at 1402.6 TFLOP/s, bytes
// at 2.97 TB/s), bytes = N·K + M·K (FP8) + 2·M·N (BF16 out); the median is the constant.
func TestKernelS(t *testing.T) {
	rows := [][4]float64{
		{64, 2112, 7168, 206}, {64, 24576, 1536, 289}, {64, 32768, 512, 219}, {64, 7168, 16384, 336},
		{64, 4096, 7168, 287}, {64, 7168, 2048, 295}, {128, 2112, 7168, 352}, {128, 24576, 1536, 535},
		{128, 32768, 512, 358}, {128, 7168, 16384, 645}, {128, 4096, 7168, 533}, {128, 7168, 2048, 510},
	}
	var offs []float64
	for _, r := range rows {
		m, n, k, tflops := r[0], r[1], r[2], r[3]
		flops := 2 * m * n * k
		roof := math.Max(flops/1402.6e12, (n*k+m*k+2*m*n)/h100TriadBW)
		offs = append(offs, flops/(tflops*1e12)-roof)
	}
	sort.Float64s(offs)
	median := (offs[5] + offs[6]) / 2
	if math.Abs(median-KernelS) > 0.05e-6 {
		t.Errorf("median offset %.3g s, KernelS %.3g s", median, KernelS)
	}
}

// TestCalibratedEngine: a serving engine's kernels, all-reduce and step overhead
// (docs/PHYSICS.md §33), hand-computed. Every kernel of a layer pays KernelS, so 10
// kernels per layer (vLLM's 4 matmuls and 6 others) over 32 layers add 320·KernelS to
// the matmul-only step, and a step overhead adds itself; a MoE layer's extra kernels
// count for a MoE model only. Inside a node tp 4 all-reduces at the engine's measured
// latency, 8.7 µs + 2 further ranks · 0.52 µs, plus the ring's bandwidth term; an engine
// that calls NCCL pays NCCL's ring protocols (NCCLAllReduce); a group beyond the node
// keeps the ring over the fabric.
func TestCalibratedEngine(t *testing.T) {
	itl := func(in *ServeIn) float64 {
		var out ServeOut
		Serving(&out, in)
		return out.ITL[0]
	}
	plain := calIn(llama3_8B, BF16, h100BF16Eff, 256, 8)
	engine := calIn(llama3_8B, BF16, h100BF16Eff, 256, 8)
	engine.KernelsPerLayer, engine.MoEKernels, engine.StepOverhead = one(10), one(4), one(0.2e-3)
	near(t, "dense ITL with the engine", itl(engine), itl(plain)+32*6*KernelS+0.2e-3)

	moe := func(kernels, moeKernels float64) *ServeIn {
		in := calIn(mixtral, BF16, h100BF16Eff, 256, 8)
		in.ActiveParams, in.Experts, in.ExpertsPerToken = one(12.9e9), one(8), one(2)
		in.KernelsPerLayer, in.MoEKernels = one(kernels), one(moeKernels)
		return in
	}
	near(t, "MoE kernels", itl(moe(10, 4))-itl(moe(10, 0)), 32*4*KernelS)

	ar := func(tp float64) (*ServeIn, *ServeOut) {
		in := calIn(llama3_70B, FP8, h100FP8Eff, 1024, 8)
		in.TP = one(tp)
		in.FabricBandwidth, in.FabricLatency = one(50e9), one(InfiniBandNDRLatencyS)
		in.AllReduceLatency, in.AllReducePerRank, in.ScaleUpNVLink = one(8.7e-6), one(0.52e-6), one(1)
		var out ServeOut
		Serving(&out, in)
		return in, &out
	}
	act := 8.0 * 8192 * 2
	_, in4 := ar(4)
	near(t, "measured all-reduce in a node", in4.TPComm[0], 80*2*(1.5*act/450e9+8.7e-6+2*0.52e-6))
	_, in16 := ar(16)
	near(t, "ring over the fabric beyond a node", in16.TPComm[0], 80*2*RingAllReduce(act, 16, 50e9, InfiniBandNDRLatencyS))

	// An engine that calls NCCL (TensorRT-LLM v0.5): NCCL's ring protocols inside the node,
	// whatever latency column is present; 8 tokens (128 KiB) over 4 NVLink ranks take LL,
	// 6.6 + 6 · 0.6 µs plus 1.5 · 128 KiB at LL's cap of 87.7 GB/s (a quarter of this bus
	// is more); over PCIe 6.6 + 6 · 1.0 µs; beyond the node the ring over the fabric stays.
	nccl := func(tp, nvlink float64) *ServeOut {
		in, _ := ar(tp)
		in.AllReduceNCCL, in.ScaleUpNVLink = one(1), one(nvlink)
		var out ServeOut
		Serving(&out, in)
		return &out
	}
	near(t, "NCCL over NVLink", nccl(4, 1).TPComm[0], 80*2*(6.6e-6+6*0.6e-6+1.5*act/87.7e9))
	near(t, "NCCL over PCIe", nccl(4, 0).TPComm[0], 80*2*(6.6e-6+6*1.0e-6+1.5*act/87.7e9))
	near(t, "NCCL engine beyond a node", nccl(16, 1).TPComm[0], in16.TPComm[0])

	// An engine whose own kernel takes messages up to its workspace (TensorRT-LLM: 8 MB
	// beyond 2 ranks, 16 MB at 2) calls NCCL above it: the 128 KiB message over 4 NVLink
	// ranks, above a 100 kB limit, pays NCCL's LL as above; under a 1 MB limit it keeps
	// the engine's measured kernel; at 2 ranks the two-rank limit (200 kB) applies, so
	// it keeps the measured kernel too, act/450 GB/s + 8.7 µs.
	limited := func(tp, max, maxTwo float64) *ServeOut {
		in, _ := ar(tp)
		in.AllReduceMax, in.AllReduceMaxTwo, in.ScaleUpNVLink = one(max), one(maxTwo), one(1)
		var out ServeOut
		Serving(&out, in)
		return &out
	}
	near(t, "above the engine's workspace: NCCL", limited(4, 100e3, 1e9).TPComm[0], 80*2*(6.6e-6+6*0.6e-6+1.5*act/87.7e9))
	near(t, "within the engine's workspace", limited(4, 1e6, 1).TPComm[0], in4.TPComm[0])
	near(t, "two ranks: the two-rank workspace", limited(2, 1, 200e3).TPComm[0], 80*2*(act/450e9+8.7e-6))
	near(t, "two ranks above it: NCCL", limited(2, 1e9, 100e3).TPComm[0], 80*2*(6.6e-6+2*0.6e-6+act/87.7e9))

	// PCIe-only peers (no scale-up link): vLLM's CustomAllreduce refuses more than two
	// PCIe-only GPUs, so the measured-kernel engine pays NCCL over PCIe at tp 4 — LL,
	// 6.6 + 6 · 1.0 µs plus 1.5 · 128 KiB at 87.7 GB/s, as the NCCL engine above — and
	// keeps its own kernel at two ranks: act/450 GB/s + 8.7 µs (the link's bandwidth is
	// the test's 450 GB/s column either way).
	pcie := func(tp float64) *ServeOut {
		in, _ := ar(tp)
		in.ScaleUpNVLink = one(0)
		var out ServeOut
		Serving(&out, in)
		return &out
	}
	near(t, "PCIe, four ranks: NCCL", pcie(4).TPComm[0], 80*2*(6.6e-6+6*1.0e-6+1.5*act/87.7e9))
	near(t, "PCIe, two ranks: the engine's kernel", pcie(2).TPComm[0], 80*2*(act/450e9+8.7e-6))
}

// TestCalibratedMatmuls: with the layer's shape known, a decode step of one Llama 3 8B
// sequence (FP8, S 256) on an H100 (132 SMs) times each weight matmul on its own. At
// one row every matmul streams its operands — W_qkv (4096 × 6144), W_o (4096 × 4096),
// W_gate,up (4096 × 28672), W_down (14336 × 4096) per layer and the output layer
// (4096 × 128256) once, each with its one-row input and output: on 16-row tiles the
// padded rows' math (1.6–12.6 µs) stays under each stream, so no k is split. Then the KV
// cache at the bandwidth, the non-matmul kernels' activations at the bandwidth (per layer
// and token in 16 bits: two residual-add RMSNorms 4 × 4096 each, the attention's query
// and output 2 × 4096, SiLU-and-multiply reading 2 × 14336 and writing 14336) and 4
// kernels per layer.
func TestCalibratedMatmuls(t *testing.T) {
	in := calIn(llama3_8B, FP8, h100FP8Eff, 256, 1)
	in.Heads, in.FFN, in.UpMatrices, in.Vocab, in.SMs = one(32), one(14336), one(2), one(128256), one(132)
	var out ServeOut
	Serving(&out, in)
	type mm struct{ n, k float64 }
	layer := []mm{{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}}
	bytes := func(g mm) float64 { return g.k + g.k*g.n + g.n } // input row, weights, output row (1 byte each)
	var perLayer float64
	for _, g := range layer {
		perLayer += bytes(g)
	}
	head := bytes(mm{128256, 4096})
	kv := float64(2*32*8*128) * 256
	act := 32 * (8*4096 + 2*4096 + 3*14336) * 2.0
	want := (32*perLayer+head+kv+act)/h100TriadBW + 32*4*KernelS
	near(t, "ITL", out.ITL[0], want)
	if out.ComputeBound[0] {
		t.Error("a one-row decode step is compute bound")
	}
	// The whole-pass roofline without the shape reads every parameter, the input
	// embedding included; the per-matmul step reads the output layer only.
	var whole ServeOut
	Serving(&whole, calIn(llama3_8B, FP8, h100FP8Eff, 256, 1))
	if out.ITL[0] >= whole.ITL[0] {
		t.Errorf("per-matmul ITL %v ≥ whole-pass %v: the input embedding is not streamed in decode", out.ITL[0], whole.ITL[0])
	}
}

// TestActivationTraffic: the activation elements per token one accelerator's non-matmul
// kernels read and write in a stage, by hand from the layer: two residual-add RMSNorms of
// 4h each on every tp rank, the attention's query in and output out (2h/tp), and the MLP
// activation reading the gate and up outputs and writing their product (3·ffn/tp for
// each of a token's active experts).
func TestActivationTraffic(t *testing.T) {
	for _, c := range []struct {
		name                       string
		m                          testModel
		ffn, experts, topk, tp, pp float64
		want                       float64
	}{
		{"Llama 3 8B", llama3_8B, 14336, 0, 0, 1, 1, 32 * (8*4096 + 2*4096 + 3*14336)},
		{"Llama 3 70B tp 2", llama3_70B, 28672, 0, 0, 2, 1, 80 * (8*8192 + 2*8192/2 + 3*28672/2)},
		{"Llama 3 70B tp 2 pp 2", llama3_70B, 28672, 0, 0, 2, 2, 40 * (8*8192 + 2*8192/2 + 3*28672/2)},
		{"Mixtral-shaped MoE tp 2", llama3_8B, 14336, 8, 2, 2, 1, 32 * (8*4096 + 2*4096/2 + 2*3*14336/2)},
	} {
		in := calIn(c.m, BF16, h100BF16Eff, 256, 8)
		in.Heads, in.FFN, in.UpMatrices, in.Vocab, in.SMs = one(c.m.heads), one(c.ffn), one(2), one(128256), one(132)
		in.TP, in.PP = one(c.tp), one(c.pp)
		if c.experts > 0 {
			in.Experts, in.ExpertsPerToken, in.ActiveParams = one(c.experts), one(c.topk), one(c.m.params/3)
		}
		m := in.point(0)
		near(t, c.name, m.actElems, c.want)
	}
}

// TestSixteenBitParts: weights below 16 bits quantise the layers' linear operators only.
// Llama 3 8B FP8 on an H100 with the 16-bit rate (989 TFLOP/s · 0.803) given: a one-row
// decode step streams the output layer (4096 × 128256) at 2 bytes per element, not 1, so
// the step is longer by exactly the extra bytes of its weights, input row and output row
// at the measured bandwidth, and the weights hold the output layer's extra 525M bytes. A
// 2048-token prefill's attention core (causal: 4·32·4096·2048·1024.5 FLOPs, compute-bound)
// runs at the 16-bit rate unless the engine runs it at 8 bits (FP8Attention).
func TestSixteenBitParts(t *testing.T) {
	rate16 := 989e12 * h100BF16Eff
	in := func(seq, fp8Attn float64, with16 bool) *ServeIn {
		x := calIn(llama3_8B, FP8, h100FP8Eff, seq, 1)
		x.Heads, x.FFN, x.UpMatrices, x.Vocab, x.SMs = one(32), one(14336), one(2), one(128256), one(132)
		if with16 {
			x.Rate16, x.FP8Attention = one(rate16), one(fp8Attn)
		}
		return x
	}
	var q8, q16 ServeOut
	Serving(&q8, in(256, 0, false))
	Serving(&q16, in(256, 0, true))
	extra := (4096 + 4096*128256 + 128256.0) / h100TriadBW
	near(t, "decode step with a 16-bit output layer", q16.ITL[0], q8.ITL[0]+extra)
	near(t, "weights", q16.WeightBytes[0], 8.03e9+128256*4096)

	var fp8Attn, attn16 ServeOut
	Serving(&fp8Attn, in(2048, 1, true))
	Serving(&attn16, in(2048, 0, true))
	flops := AttentionFLOPsCoef(32, 32, 4096) * 2048 * 1024.5
	near(t, "prefill with 16-bit attention", attn16.TTFT[0], fp8Attn.TTFT[0]+flops/rate16-flops/(1979e12*h100FP8Eff))
}

// TestCausalContext: n new tokens at context s attend n·(s − (n − 1)/2) keys in all under
// the causal mask — the earlier s − n tokens each, and 1 + 2 + … + n among themselves.
func TestCausalContext(t *testing.T) {
	for _, c := range []struct {
		name       string
		n, s, want float64
	}{
		{"one decode token at 96 attends all 96", 1, 96, 96},
		{"a whole 2048-token prompt", 2048, 2048, (2048 * 2049 / 2) / 2048.0},
		{"512 new tokens after a 1536-token prefix", 512, 2048, 1536 + (512*513/2)/512.0},
		{"4 verified tokens at 100", 4, 100, 96 + (1+2+3+4)/4.0},
		{"a context shorter than the new tokens", 10, 4, 55 / 10.0},
	} {
		near(t, c.name, causalContext(c.n, c.s), c.want)
	}
}

// TestAttentionRate16: a 16-bit attention core runs at the fused attention kernel's
// measured rate (FlashAttention-2 on the H100: 0.35 of 989 TFLOP/s, FlashAttention-3
// abstract) when one is given. Llama 3 8B BF16 prefilling 2048 tokens: its causal
// 4·32·4096·2048·1024.5 = 1.1 TFLOP take 3.18 ms at 346 TFLOP/s instead of 1.39 ms at the
// matmul rate (989 · 0.803), and both outlast reading the 2048 tokens' KV cache, so
// the prefill is longer by exactly the difference. An FP8 engine running the attention
// at 8 bits does not use the 16-bit kernel's rate.
func TestAttentionRate16(t *testing.T) {
	attnRate := 989e12 * 0.35
	flops := AttentionFLOPsCoef(32, 32, 4096) * 2048 * 1024.5
	kv := float64(2*32*8*128) * 2048 * 2
	if flops/(989e12*h100BF16Eff) < kv/h100TriadBW {
		t.Fatal("the 2048-token attention core should be compute-bound")
	}
	shaped := func(prec Precision, eff float64) *ServeIn {
		x := calIn(llama3_8B, prec, eff, 2048, 1)
		x.Heads, x.FFN, x.UpMatrices, x.Vocab, x.SMs = one(32), one(14336), one(2), one(128256), one(132)
		return x
	}
	var plain, fa ServeOut
	Serving(&plain, shaped(BF16, h100BF16Eff))
	measured := shaped(BF16, h100BF16Eff)
	measured.AttentionRate16 = one(attnRate)
	Serving(&fa, measured)
	near(t, "BF16 prefill at the attention kernel's rate", fa.TTFT[0], plain.TTFT[0]+flops/attnRate-flops/(989e12*h100BF16Eff))

	var fp8, fp8FA ServeOut
	base := shaped(FP8, h100FP8Eff)
	base.Rate16, base.FP8Attention = one(989e12*h100BF16Eff), one(1)
	Serving(&fp8, base)
	withRate := shaped(FP8, h100FP8Eff)
	withRate.Rate16, withRate.FP8Attention, withRate.AttentionRate16 = one(989e12*h100BF16Eff), one(1), one(attnRate)
	Serving(&fp8FA, withRate)
	near(t, "FP8 attention ignores the 16-bit kernel's rate", fp8FA.TTFT[0], fp8.TTFT[0])
}

// TestDenseLocalExperts: vLLM's Mixtral of December 2023 (pull request #2090; the same
// MixtralMoE in vllm/model_executor/models/mixtral_quant.py) splits the 8 experts whole
// over the tensor-parallel ranks and runs every token through each of a rank's experts.
// At tp 8 and one decode token a rank streams its one expert at full width — [1 × 28672]
// over 4096 and [1 × 4096] over 14336 — where the routed layer streams the token's 2
// experts at an eighth of their width, [1 × 3584] over 4096 and [1 × 4096] over 1792,
// twice. Without SMs a matmul is max(FLOPs at the rate, operands at the bandwidth) plus
// its output (gemmTime), so the step's difference is those matmuls' over 32 layers, plus
// 10 kernels per local expert less the 4 the layer already counts (3.3 µs each), plus
// the activations each rank's MLP reads and writes: (g + 1)·ffn per token for its whole
// expert against 2 experts' (g + 1)·ffn/8.
func TestDenseLocalExperts(t *testing.T) {
	step := func(dense bool) float64 {
		in := calIn(mixtral, BF16, h100BF16Eff, 1025, 1)
		in.ActiveParams, in.Experts, in.ExpertsPerToken = one(12.9e9), one(8), one(2)
		in.Heads, in.FFN, in.UpMatrices, in.SMs = one(32), one(14336), one(2), one(0)
		in.TP, in.KernelsPerLayer, in.MoEKernels = one(8), one(10), one(4)
		if dense {
			in.MoEDenseExperts = one(1)
		}
		var out ServeOut
		Serving(&out, in)
		return out.ITL[0]
	}
	rate := 989e12 * h100BF16Eff
	mm := func(m, n, k, batch float64) float64 { // gemmTime without SMs, 2-byte elements
		return max(2*m*n*k*batch/rate, (m*k+k*n)*batch*2/h100TriadBW) + m*n*batch*2/h100TriadBW
	}
	dense := 32 * (mm(1, 28672, 4096, 1) + mm(1, 4096, 14336, 1))
	routed := 32 * (mm(1, 3584, 4096, 2) + mm(1, 4096, 1792, 2))
	kernels := 32 * (10*1 - 4) * KernelS
	act := 32 * (8 - 2) * 3 * 14336.0 / 8 * 2 / h100TriadBW
	want := dense - routed + kernels + act
	if got := step(true) - step(false); math.Abs(got-want) > 1e-9*want {
		t.Errorf("dense local experts add %.6g s to the step, want %.6g", got, want)
	}
	// about 2.85 ms of weights (11.3 GB against 2.8 GB at 2.97 TB/s) and 0.63 ms of kernels
	if want < 3.4e-3 || want > 3.6e-3 {
		t.Errorf("the test's own arithmetic gives %.4g s, not about 3.5 ms", want)
	}
	// The seed profile has no engine: the flag changes nothing there.
	seed := func(dense bool) float64 {
		in := calIn(mixtral, BF16, h100BF16Eff, 1025, 1)
		in.Calibrated = false
		in.ActiveParams, in.Experts, in.ExpertsPerToken, in.TP = one(12.9e9), one(8), one(2), one(8)
		if dense {
			in.MoEDenseExperts = one(1)
		}
		var out ServeOut
		Serving(&out, in)
		return out.ITL[0]
	}
	if seed(true) != seed(false) {
		t.Error("the seed profile's step moved with MoEDenseExperts")
	}
}
