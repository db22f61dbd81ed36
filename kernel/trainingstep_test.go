package kernel

import (
	"math"
	"testing"
)

// gptStep is one TrainingStep point of a GPT-style model (MHA, 4h GeLU MLP) on
// A100-like parts: rate 271.2 TFLOP/s, 108 SMs, 1.8 TB/s, NVLink 230 GB/s and
// 24 GB/s per NIC (the catalog's measured figures), with no communication unless
// the split asks for it.
type gptStep struct {
	h, a, L, V, s, B, M, GA float64
	N, g, tp, pp, cp, ep, v float64
	zero, attn              float64 // attn: the fused attention's rate, 0 = the matmul rate
	shard                   float64 // ZeRO shard group (hybrid sharding), 0 = all of dp
	sp, flash, overlap, fp  bool
	lora, cpAG, eager, neox bool
	fp8                     FP8Recipe
	fp8p                    bool // FP8 primary weights
	flat                    bool // no SMs: no wave quantization, each GEMM its roofline
	rec                     Recompute
	params                  float64
	congestion, straggler   float64 // 0 = 1
	nvls                    bool    // the node's NVSwitch reduces (NCCL's NVLS all-reduce)
}

// gptFP8Rate is the FP8 matmul rate runStep's points have: the H100's measured
// 1402.6 TFLOP/s (Bekman's table, the catalog's), so FP8 GEMMs are unmistakably faster.
const gptFP8Rate = 1402.6e12

func gpt(h, a, L float64) gptStep {
	return gptStep{h: h, a: a, L: L, s: 2048, B: 1, M: 1, GA: 1, N: 1, g: 8, tp: 1, pp: 1, cp: 1, ep: 1, v: 1,
		flash: true, fp: true, rec: RecomputeSelective, params: 12 * h * h * L}
}

func runStep(pts ...gptStep) *StepOut {
	in := &StepIn{}
	for _, p := range pts {
		app := func(dst *[]float64, v float64) { *dst = append(*dst, v) }
		app(&in.Layers, p.L)
		app(&in.Hidden, p.h)
		app(&in.Heads, p.a)
		app(&in.KVHeads, 0)
		app(&in.FFN, 0)
		app(&in.Vocab, p.V)
		app(&in.Experts, 0)
		app(&in.TopK, 0)
		app(&in.Params, p.params)
		app(&in.ExpertParams, 0)
		in.Gated = append(in.Gated, false)
		app(&in.SeqLen, p.s)
		app(&in.Batch, p.B)
		app(&in.Microbatches, p.M)
		app(&in.GradAccum, p.GA)
		app(&in.Accelerators, p.N)
		app(&in.PerNode, p.g)
		app(&in.TP, p.tp)
		app(&in.PP, p.pp)
		app(&in.CP, p.cp)
		app(&in.EP, p.ep)
		app(&in.VirtualStages, p.v)
		app(&in.ZeROStage, p.zero)
		app(&in.DPShard, p.shard)
		in.SeqParallel = append(in.SeqParallel, p.sp)
		in.FlashAttention = append(in.FlashAttention, p.flash)
		in.OverlapDP = append(in.OverlapDP, p.overlap)
		in.FP32Grads = append(in.FP32Grads, p.fp)
		in.LoRA = append(in.LoRA, p.lora)
		in.CPAllGather = append(in.CPAllGather, p.cpAG)
		in.Eager = append(in.Eager, p.eager)
		in.NeoX = append(in.NeoX, p.neox)
		in.NVLS = append(in.NVLS, p.nvls)
		in.Recompute = append(in.Recompute, p.rec)
		in.FP8 = append(in.FP8, p.fp8)
		in.FP8Params = append(in.FP8Params, p.fp8p)
		app(&in.FP8Rate, gptFP8Rate)
		app(&in.Bytes, 2)
		app(&in.PeakFLOPS, 312e12)
		app(&in.MatmulRate, 271.2e12)
		if p.attn == 0 {
			p.attn = 271.2e12
		}
		app(&in.AttentionRate, p.attn)
		if p.flat {
			app(&in.SMs, 0)
		} else {
			app(&in.SMs, 108)
		}
		app(&in.MemBW, 1.8e12)
		app(&in.IntraBus, 230e9)
		app(&in.InterBus, 24e9)
		app(&in.IntraHop, NCCLHopNVLinkS)
		app(&in.InterHop, NCCLHopNetS)
		app(&in.Congestion, math.Max(1, p.congestion))
		app(&in.Straggler, math.Max(1, p.straggler))
		app(&in.Imbalance, 1)
	}
	out := &StepOut{}
	TrainingStep(out, in)
	return out
}

// TestGEMMTime: the main loop runs at the rate over wave-quantised 256×128 tiles,
// then the epilogue writes C (NVIDIA Matrix Multiplication Background guide §3.2).
func TestGEMMTime(t *testing.T) {
	const rate, sms, bw = 271.2e12, 108.0, 1.8e12
	k := 8192.0
	// One full wave: 108 tiles of 256×128 (m = 27·256 = 6912, n = 4·128 = 512).
	full := gemmTime(6912, 512, k, 1, rate, sms, bw, 2, 2)
	want := 2*6912*512*k/rate + 6912*512*2/bw
	relClose(t, "one full wave", full, want, 1e-12)
	// One more row of tiles spills into a second, nearly empty wave: the main loop doubles.
	spill := gemmTime(6912+1, 512, k, 1, rate, sms, bw, 2, 2)
	q := (6912 + 1) * 512 / (2 * 108 * 256 * 128.0)
	relClose(t, "a second wave", spill, 2*(6912+1)*512*k/(rate*q)+(6912+1)*512*2/bw, 1e-12)
	// A skinny GEMM is bound by its operands' traffic, not the math.
	thin := gemmTime(1, 8192, 8192, 1, rate, 0, bw, 2, 2)
	relClose(t, "memory-bound", thin, (8192+8192*8192)*2/bw+8192*2/bw, 1e-12)
	// Accumulating into an FP32 buffer reads and writes it: 8 bytes per element of C.
	acc := gemmTime(6912, 512, k, 1, rate, sms, bw, 2, GradAccumFP32Bytes)
	relClose(t, "FP32 accumulation epilogue", acc-full, 6912*512*(8-2)/bw, 1e-9)
	// Few rows: 64 × 1024 with k = 16384 is 8 tiles of 64×128 (a tile no taller than m)
	// or 4 of 64×256; as data-parallel tiles they leave 100 of the 108 SMs idle (107 µs of
	// math), so k splits over ⌊108/8⌋ = 13 slices of the 64×128 tiles, one wave, each
	// writing and reading FP32 partials of C; the slices stream the operands (19.8 µs).
	const m, n, kk = 64.0, 1024.0, 16384.0
	split := gemmTime(m, n, kk, 1, rate, sms, bw, 2, 2)
	want = (m*kk+kk*n)*2/bw + 2*13*m*n*4/bw + m*n*2/bw
	relClose(t, "split-K", split, want, 1e-12)
	dataParallel := 2*m*n*kk/(rate*m*n/(108*64*128)) + m*n*2/bw
	if !(split < dataParallel) {
		t.Errorf("split-K %v is not faster than the 8 data-parallel tiles %v", split, dataParallel)
	}
	// One row of 4-bit weights (m = 1, 7168 × 8192) streams its weights: its tiles are 16
	// rows tall (a tensor-core instruction's), so the padded rows' math (3–12 µs at
	// 726 TFLOP/s over 132 SMs) stays under the 7.1 µs of the stream; 256-row tiles
	// would have made it compute-bound (24 µs).
	const bw4, rate4 = 4.15e12, 726e12
	one := gemmTime(1, 7168, 8192, 1, rate4, 132, bw4, 0.5, 2)
	relClose(t, "one row, 4-bit", one, (8192+8192*7168)*0.5/bw4+7168*2/bw4, 1e-12)
}

// TestCollectiveTime: NCCL's ring model (tuning.cc defaults) with the bus bandwidth.
func TestCollectiveTime(t *testing.T) {
	const m, bus = 100e6, 230e9
	relClose(t, "all-reduce over 8", CollectiveTime(CollAllReduce, m, 8, bus, NCCLHopNVLinkS), 8.4e-6+14*3.4e-6+2*7.0/8*m/bus, 1e-12)
	relClose(t, "all-gather over 8", CollectiveTime(CollAllGather, m, 8, bus, NCCLHopNVLinkS), 8.4e-6+7*3.4e-6+7.0/8*m/bus, 1e-12)
	if CollectiveTime(CollAllReduce, m, 1, bus, NCCLHopNVLinkS) != 0 {
		t.Error("a collective over one rank costs time")
	}
}

func TestStepSplit(t *testing.T) {
	for _, tc := range []struct {
		name                                                          string
		n, tp, pp, cp, ep, v, layers, heads, kv, experts, b, m, ga, s float64
		reason                                                        uint8
		dp, micro                                                     float64
	}{
		{"valid", 64, 8, 2, 1, 1, 1, 32, 32, 0, 0, 64, 4, 1, 2048, StepValid, 4, 4},
		{"tp·cp·pp does not divide", 64, 8, 3, 1, 1, 1, 32, 32, 0, 0, 64, 1, 1, 2048, StepInvalidSplit, 0, 0},
		{"uneven stages are allowed", 64, 8, 3, 1, 1, 1, 32, 32, 0, 0, 64, 1, 1, 2048, StepInvalidSplit, 0, 0},
		{"70 layers on 12 stages (BLOOM)", 384, 4, 12, 1, 1, 1, 70, 112, 0, 0, 2048, 128, 1, 2048, StepValid, 8, 2},
		{"fewer layers than stages", 64, 1, 64, 1, 1, 1, 32, 32, 0, 0, 64, 1, 1, 2048, StepInvalidLayers, 0, 0},
		{"interleaved chunks must be equal", 64, 8, 2, 1, 1, 3, 32, 32, 0, 0, 64, 4, 1, 2048, StepInvalidLayers, 0, 0},
		{"126 layers + embedding + output in 16 × 8 chunks (Llama 3)", 8192, 8, 16, 1, 1, 8, 126, 128, 0, 0, 2048, 32, 1, 8192, StepValid, 64, 1},
		{"125 layers + 2 do not fill 16 × 8 chunks", 8192, 8, 16, 1, 1, 8, 125, 128, 0, 0, 2048, 32, 1, 8192, StepInvalidLayers, 0, 0},
		{"heads by tp", 64, 8, 1, 1, 1, 1, 32, 36, 0, 0, 64, 1, 1, 2048, StepInvalidHeads, 0, 0},
		{"ep within dp", 64, 8, 1, 1, 3, 1, 32, 32, 0, 6, 64, 1, 1, 2048, StepInvalidEP, 0, 0},
		{"ep by experts", 64, 8, 1, 1, 4, 1, 32, 32, 0, 6, 64, 1, 1, 2048, StepInvalidEP, 0, 0},
		{"ep without experts", 64, 8, 1, 1, 2, 1, 32, 32, 0, 0, 64, 1, 1, 2048, StepInvalidEP, 0, 0},
		{"batch by dp·microbatches", 64, 8, 1, 1, 1, 1, 32, 32, 0, 0, 60, 1, 1, 2048, StepInvalidBatch, 0, 0},
		{"seq by cp", 64, 8, 1, 4, 1, 1, 32, 32, 0, 0, 2, 1, 1, 2050, StepInvalidSeq, 0, 0},
		// Each cp rank holds two of 2·cp chunks (causal load balancing; Transformer
		// Engine asserts an even sequence a GPU): 12 tokens on cp 4 are 3 a rank.
		{"seq 12 on cp 4: 3 tokens a rank", 64, 8, 1, 4, 1, 1, 32, 32, 0, 0, 2, 1, 1, 12, StepInvalidSeq, 0, 0},
		{"seq 16 on cp 4: two chunks of 2 a rank", 64, 8, 1, 4, 1, 1, 32, 32, 0, 0, 2, 1, 1, 16, StepValid, 2, 1},
		{"seq 2049 without cp", 64, 8, 1, 1, 1, 1, 32, 32, 0, 0, 8, 1, 1, 2049, StepValid, 8, 1},
		{"interleaved: 6 microbatches on pp 4", 64, 8, 4, 1, 1, 2, 32, 32, 0, 0, 12, 6, 1, 2048, StepInvalidInterleave, 0, 0},
		{"interleaved: 2 microbatches on pp 4", 64, 8, 4, 1, 1, 2, 32, 32, 0, 0, 4, 2, 1, 2048, StepInvalidInterleave, 0, 0},
		{"interleaved: 8 microbatches on pp 4", 64, 8, 4, 1, 1, 2, 32, 32, 0, 0, 16, 8, 1, 2048, StepValid, 2, 1},
		{"not interleaved: 6 microbatches on pp 4", 64, 8, 4, 1, 1, 1, 32, 32, 0, 0, 12, 6, 1, 2048, StepValid, 2, 1},
		// Grouped-query attention: each rank holds whole K/V heads. Llama 3 8B's 32 heads
		// in 8 groups: tp 8 and tp 4 split them (Megatron-Core: num_query_groups a multiple
		// of tp); tp 16 and tp 32 (divisors of the 32 heads) replicate each K/V head on
		// 2 and 4 ranks (kvreplicate.go): dp = 64/16 = 4, microbatch 64/4 = 16; dp 2, 32.
		// 24 heads in 6 groups on tp 4 would cut a head (6/4 and 4/6 not whole).
		{"tp 8 over 8 K/V heads", 64, 8, 1, 1, 1, 1, 32, 32, 8, 0, 64, 1, 1, 2048, StepValid, 8, 8},
		{"tp 4 over 8 K/V heads", 64, 4, 1, 1, 1, 1, 32, 32, 8, 0, 64, 1, 1, 2048, StepValid, 16, 4},
		{"tp 16 over 8 K/V heads: replicated", 64, 16, 1, 1, 1, 1, 32, 32, 8, 0, 64, 1, 1, 2048, StepValid, 4, 16},
		{"tp 32 = heads over 8 K/V heads: replicated", 64, 32, 1, 1, 1, 1, 32, 32, 8, 0, 64, 1, 1, 2048, StepValid, 2, 32},
		{"tp 4 over 6 K/V heads", 64, 4, 1, 1, 1, 1, 32, 24, 6, 0, 64, 1, 1, 2048, StepInvalidHeads, 0, 0},
		{"tp 4 over 1 K/V head (MQA, StarCoder)", 64, 4, 1, 1, 1, 1, 40, 48, 1, 0, 64, 1, 1, 2048, StepValid, 16, 4},
	} {
		dp, micro, reason := StepSplit(tc.n, tc.tp, tc.pp, tc.cp, tc.ep, tc.v, tc.layers, tc.heads, tc.kv, tc.experts, tc.b, tc.m, tc.ga, tc.s)
		if reason != tc.reason || dp != tc.dp || micro != tc.micro {
			t.Errorf("%s: dp %g micro %g reason %d, want %g %g %d", tc.name, dp, micro, reason, tc.dp, tc.micro, tc.reason)
		}
	}
}

// TestStepFLOPConventions: Korthikanti et al. 2022 Appendix A, Eq. 7 (model FLOPs)
// for GPT-3 175B, and hardware FLOPs as Appendix A's text derives them: selective
// recomputation reruns QKᵀ and attention over V, 2Bs²h + 2Bs²h per layer. (The
// paper's Eq. 8, 1 + s/3h, adds three times that; its stated ratio 1 + s/6h follows.)
func TestStepFLOPConventions(t *testing.T) {
	p := gpt(12288, 96, 96)
	p.V, p.B, p.M, p.N, p.tp, p.pp, p.v, p.flash, p.sp = 51200, 64, 64, 64, 8, 8, 3, false, true
	out := runStep(p)
	if !out.Valid[0] {
		t.Fatalf("invalid (reason %d)", out.Reason[0])
	}
	B, L, s, h, V := 64.0, 96.0, 2048.0, 12288.0, 51200.0
	relClose(t, "model FLOPs (Eq. 7)", out.ModelFLOPs[0], 72*B*L*s*h*h*(1+s/(6*h)+V/(12*h*L)), 1e-12)
	relClose(t, "hardware FLOPs, selective", out.HWFLOPs[0], out.ModelFLOPs[0]+4*B*s*s*h*L, 1e-12)
	relClose(t, "6·P·tokens", out.SixPFLOPs[0], 6*p.params*B*s, 1e-12)
	relClose(t, "MFU", out.MFU[0], out.ModelFLOPs[0]/(out.Step[0]*64*312e12), 1e-12)
	relClose(t, "tokens/s", out.TokensPerS[0], B*s/out.Step[0], 1e-12)
	// Full recomputation runs the forward again: 4/3 of the model FLOPs (Eq. 8's full-recompute form).
	p.rec = RecomputeFull
	full := runStep(p)
	relClose(t, "hardware FLOPs, full", full.HWFLOPs[0], out.ModelFLOPs[0]+72*B*L*s*h*h*(1+s/(6*h))/3, 1e-12)
	if full.Step[0] <= out.Step[0] {
		t.Errorf("full recomputation %.3g s is not slower than selective %.3g s", full.Step[0], out.Step[0])
	}
}

// TestStepLoRA: a LoRA step (Hu et al. 2021) does the frozen weights' forward and
// dgrad, attention forward and backward and the adapters' three passes; per layer and
// token 2·24h² + 3·4sh + 3·2·(8rh) FLOPs for GPT's 24h² linear FLOPs (Korthikanti et al.
// 2022 App. A), r = 16, and 2·2hV for the frozen output layer. Its optimizer passes over
// the 8rhL adapter parameters alone (48 + 2 bytes each) and data parallelism all-reduces
// only their FP32 gradients.
func TestStepLoRA(t *testing.T) {
	p := gpt(4096, 32, 32)
	p.V, p.B, p.N = 50257, 8, 8
	full := p
	p.lora = true
	out := runStep(full, p)
	if !out.Valid[0] || !out.Valid[1] {
		t.Fatalf("invalid (reasons %d, %d)", out.Reason[0], out.Reason[1])
	}
	B, L, s, h, V, r := 8.0, 32.0, 2048.0, 4096.0, 50257.0, 16.0
	relClose(t, "model FLOPs", out.ModelFLOPs[1], B*s*(L*(48*h*h+12*s*h+48*r*h)+4*h*V), 1e-12)
	relClose(t, "optimizer", out.Optimizer[1], 8*r*h*L*(48+2)/1.8e12, 1e-12)
	relClose(t, "gradient all-reduce", out.DPComm[1], CollectiveTime(CollAllReduce, 8*r*h*L*4, 8, 230e9, NCCLHopNVLinkS), 1e-12)
	// The 12h²L base weights' FP32 gradients dwarf the adapters'.
	if out.DPComm[0] < 100*out.DPComm[1] {
		t.Errorf("full fine-tuning's all-reduce %.3g s is not ≫ LoRA's %.3g s", out.DPComm[0], out.DPComm[1])
	}
	// The backward loses its weight-gradient GEMMs (≈ the forward's time) and keeps the
	// adapters' small ones: between 1/2 and 3/4 of full fine-tuning's.
	if b := out.LayerBwd[1] / out.LayerBwd[0]; b < 0.5 || b > 0.75 {
		t.Errorf("LoRA's layer backward is %.3f of full fine-tuning's, want 0.5–0.75", b)
	}
	if out.Step[1] >= out.Step[0] {
		t.Errorf("LoRA step %.4g s is not shorter than full fine-tuning's %.4g s", out.Step[1], out.Step[0])
	}
}

// TestStepScalesWithTokens: a step processes batch × seq_len tokens, so doubling the
// batch doubles the time and doubling seq_len nearly does (longer GEMMs waste less of
// their last wave; the attention grows as s²).
func TestStepScalesWithTokens(t *testing.T) {
	base := gpt(4096, 32, 32)
	base.B, base.M = 8, 8
	double := base
	double.B, double.M = 16, 16
	longer := base
	longer.s = 4096
	out := runStep(base, double, longer)
	// Only the optimizer step does not grow with the tokens.
	relClose(t, "batch × 2", out.Step[1]-out.Optimizer[1], 2*(out.Step[0]-out.Optimizer[0]), 1e-12)
	if r := (out.Step[2] - out.Optimizer[2]) / (out.Step[0] - out.Optimizer[0]); r < 1.7 || r > 2.3 {
		t.Errorf("seq_len × 2 scales the step by %.3f, want about 2", r)
	}
}

// TestStepPipeline: the bubble is (pp − 1)/v microbatch times of a stage
// (Narayanan et al. 2021), and a stage runs L/pp of the layers.
func TestStepPipeline(t *testing.T) {
	one := gpt(8192, 64, 48)
	one.B, one.M, one.g = 16, 16, 1 // one accelerator per node: pp > 1 crosses the fabric
	four := one
	four.N, four.pp = 4, 4
	inter := four
	inter.v = 3
	out := runStep(one, four, inter)
	perMB := out.Compute[0] / 16 // one microbatch through all 48 layers
	relClose(t, "1F1B bubble", out.Bubble[1], 3*perMB/4, 1e-12)
	relClose(t, "interleaved bubble", out.Bubble[2], 3.0/3*perMB/4, 1e-12)
	relClose(t, "stage compute", out.Compute[1], out.Compute[0]/4, 1e-12)
	if out.PPComm[1] <= 0 || out.PPComm[2] <= out.PPComm[1] {
		t.Errorf("p2p %g s (1F1B), %g s (interleaved): want sends, more of them with interleaving", out.PPComm[1], out.PPComm[2])
	}
}

// TestStepBalancedChunks: an interleaved split whose chunks are equal only with the
// embedding and the output layer counted as a layer each (Llama 3 405B: 126 + 2 = 16 × 8)
// paces the pipeline by a middle stage of (L+2)/pp layers, or, with two stages, by the
// last stage's (L+2)/pp − 1 layers; the bubble is (pp − 1)/v of that stage's microbatch.
func TestStepBalancedChunks(t *testing.T) {
	four := gpt(4096, 32, 14) // 14 + 2 = 4 stages × 2 chunks × 2 layers
	four.N, four.pp, four.v, four.B, four.M, four.g = 4, 4, 2, 8, 8, 1
	two := gpt(4096, 32, 6) // 6 + 2 = 2 stages × 2 chunks × 2 layers
	two.N, two.pp, two.v, two.B, two.M, two.g = 2, 2, 2, 8, 8, 1
	out := runStep(four, two)
	for i := range 2 {
		if !out.Valid[i] {
			t.Fatalf("point %d invalid (reason %d)", i, out.Reason[i])
		}
	}
	layer := out.LayerFwd[0] + out.LayerBwd[0]
	relClose(t, "4 stages: bubble of a 4-layer stage", out.Bubble[0], 3.0/2*4*layer, 1e-12)
	relClose(t, "2 stages: bubble of the last stage's 3 layers", out.Bubble[1], 1.0/2*3*layer, 1e-12)
	if !BalancedChunks(126, 16, 8) || BalancedChunks(128, 16, 8) || BalancedChunks(126, 16, 1) {
		t.Error("BalancedChunks: want true only where layers + 2, not layers, fill pp·v chunks, with v > 1")
	}
}

// TestStepAttentionRate: the fused attention runs at its own measured rate, forward
// the causal half of 4·b·a·s²·d FLOPs and backward 2.5 times that (FlashAttention-2
// §4.1), so slowing it from 271.2 to 100 TFLOP/s adds exactly that work's extra time.
func TestStepAttentionRate(t *testing.T) {
	fast := gpt(4096, 32, 32)
	fast.B = 2
	slow := fast
	slow.attn = 100e12
	out := runStep(fast, slow)
	flops := 0.5 * 4 * 2 * 32 * 2048 * 2048 * 128.0 // b·a·s·s·d, causal half
	extra := flops * (1/100e12 - 1/271.2e12)
	relClose(t, "forward", out.LayerFwd[1]-out.LayerFwd[0], extra, 1e-9)
	relClose(t, "backward", out.LayerBwd[1]-out.LayerBwd[0], FlashAttentionBackwardFLOPs*extra, 1e-9)
}

// TestStepRecomputeLinearOutputs: keeping the linear outputs (Llama 1 §2.4) recomputes
// the two norms and the MLP activation in the backward, one fused pass each, and
// nothing else. By hand for gpt(4096, 32, 32), one sequence of 2,048 tokens, tp 1: the
// norms read and write n·h = 2048·4096 elements each, 4·n·h·2 bytes = 67,108,864; the
// GeLU reads and writes n·4h, 2·2048·16384·2 bytes = 134,217,728; together
// 201,326,592 bytes at 1.8 TB/s = 111.848 µs more per layer's backward; the forward,
// the FLOP counts and (with FlashAttention) everything else stay selective's.
func TestStepRecomputeLinearOutputs(t *testing.T) {
	sel := gpt(4096, 32, 32)
	lin := sel
	lin.rec = RecomputeLinearOutputs
	out := runStep(sel, lin)
	relClose(t, "backward", out.LayerBwd[1]-out.LayerBwd[0], 201326592/1.8e12, 1e-9)
	if out.LayerFwd[1] != out.LayerFwd[0] || out.HWFLOPs[1] != out.HWFLOPs[0] || out.ModelFLOPs[1] != out.ModelFLOPs[0] {
		t.Errorf("forward %g/%g s, hardware FLOPs %g/%g, model FLOPs %g/%g: want them selective's", out.LayerFwd[1], out.LayerFwd[0],
			out.HWFLOPs[1], out.HWFLOPs[0], out.ModelFLOPs[1], out.ModelFLOPs[0])
	}
	if got, want := RecomputeLinearOutputs.String(), "linear_outputs"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	if r, err := ParseRecompute("linear_outputs"); err != nil || r != RecomputeLinearOutputs {
		t.Errorf("ParseRecompute(linear_outputs) = %v, %v", r, err)
	}
}

// TestStepDataParallel: a gradient all-reduce per step (ZeRO 0), hidden behind the
// backward when overlapped; ZeRO-3 gathers the weights around every microbatch, one
// layer ahead when overlapped, and exposes every layer's collectives when not.
func TestStepDataParallel(t *testing.T) {
	p := gpt(4096, 32, 32)
	p.N, p.B, p.g = 8, 8, 1 // dp 8 across the fabric
	ov := p
	ov.overlap = true
	z3 := ov
	z3.zero = 3
	z1 := ov
	z1.zero = 1
	z3n := p
	z3n.zero = 3
	out := runStep(p, ov, z3, z1, z3n)
	grads := p.params * 4 // FP32 gradients
	relClose(t, "ZeRO-0 all-reduce", out.DPComm[0], CollectiveTime(CollAllReduce, grads, 8, 24e9, NCCLHopNetS), 1e-12)
	if !(out.DPComm[1] < out.DPComm[0]) {
		t.Errorf("overlapped all-reduce %g s is not below %g s", out.DPComm[1], out.DPComm[0])
	}
	// ZeRO-1 overlapped: the reduce-scatter behind the backward, the all-gather of the
	// BF16 weights behind the forward, each only as far as that compute lasts.
	rs := CollectiveTime(CollReduceScatter, grads, 8, 24e9, NCCLHopNetS)
	ag := CollectiveTime(CollAllGather, p.params*2, 8, 24e9, NCCLHopNetS)
	relClose(t, "ZeRO-1 overlapped", out.DPComm[3], rs-32*out.LayerBwd[3]+ag-32*out.LayerFwd[3], 1e-12)
	// ZeRO-3 layer by layer: one layer's 12h² BF16 weights gathered (8.4 µs + 7·14 µs +
	// 7/8 · 403 MB / 24 GB/s = 14.79 ms) before its forward and again before its
	// backward, its FP32 gradients reduce-scattered after (29.46 ms); the first gather
	// and last reduce-scatter are exposed, and each of the other 31 layers' collectives
	// beyond that layer's compute.
	agL := CollectiveTime(CollAllGather, 12*4096*4096*2, 8, 24e9, NCCLHopNetS)
	rsL := CollectiveTime(CollReduceScatter, 12*4096*4096*4, 8, 24e9, NCCLHopNetS)
	relClose(t, "one layer's gather", agL, 8.4e-6+7*14e-6+7.0/8*12*4096*4096*2/24e9, 1e-12)
	relClose(t, "ZeRO-3 per layer", out.DPComm[2],
		2*agL+rsL+31*(math.Max(0, agL-out.LayerFwd[2])+math.Max(0, agL+rsL-out.LayerBwd[2])), 1e-12)
	// Not overlapped, as ZeRO 0–2 without overlap: all 32 layers' gathers (forward and
	// backward) and reduce-scatters exposed, 32 · (2 · 14.79 + 29.46) ms = 1.889 s.
	relClose(t, "ZeRO-3 not overlapped", out.DPComm[4], 32*(2*agL+rsL), 1e-12)
	relClose(t, "by hand", out.DPComm[4], 1.889, 1e-3)
	if !(out.DPComm[2] > 2*agL+rsL) {
		t.Errorf("this layer's collectives (%g s) outlast its compute (%g s), so more than the first gather and last reduce-scatter are exposed: %g s",
			agL+rsL, out.LayerFwd[2]+out.LayerBwd[2], out.DPComm[2])
	}
	if out.Optimizer[2] >= out.Optimizer[0] {
		t.Errorf("ZeRO-3 shards the optimizer pass over dp: %g s, unsharded %g s", out.Optimizer[2], out.Optimizer[0])
	}
}

// TestStepDataParallelHidesOnFewerSMs: a data-parallel collective that hides behind
// compute still holds NCCL's 24 of the 108 SMs while it runs, so the compute beside
// it runs at 84/108 of its rate and the step grows by 24/108 of the collective's
// time — the same price the TP collectives pay (overlapped). By hand with eight
// sequences per rank (16,384 tokens): one layer's forward (≈ 24 ms) and backward
// (≈ 49 ms) outlast its 14.79 ms gather and 14.79 + 29.46 ms gather and
// reduce-scatter even on 84 SMs, so beyond the exposed first gather and last
// reduce-scatter each of the other 31 layers adds (ag + ag + rs) · 24/108; under
// ZeRO-1 the whole-model reduce-scatter and gather behind the last backward and the
// first forward add (rs + ag) · 24/108 where they fit, as here with 64 sequences
// per rank.
func TestStepDataParallelHidesOnFewerSMs(t *testing.T) {
	z3 := gpt(4096, 32, 32)
	z3.N, z3.B, z3.g, z3.zero, z3.overlap = 8, 64, 1, 3, true
	z1 := gpt(4096, 32, 32)
	z1.N, z1.B, z1.g, z1.zero, z1.overlap = 8, 512, 1, 1, true
	out := runStep(z3, z1)
	agL := CollectiveTime(CollAllGather, 12*4096*4096*2, 8, 24e9, NCCLHopNetS)
	rsL := CollectiveTime(CollReduceScatter, 12*4096*4096*4, 8, 24e9, NCCLHopNetS)
	if slow := out.LayerFwd[0] * 108 / 84; !(slow > agL && out.LayerBwd[0]*108/84 > agL+rsL) {
		t.Fatalf("the by-hand case needs each layer's compute on 84 SMs (%g s forward) to outlast its collectives (%g s)", slow, agL)
	}
	relClose(t, "ZeRO-3 on the SMs NCCL leaves", out.DPComm[0], 2*agL+rsL+31*(2*agL+rsL)*24/108, 1e-12)
	rs := CollectiveTime(CollReduceScatter, z1.params*4, 8, 24e9, NCCLHopNetS)
	ag := CollectiveTime(CollAllGather, z1.params*2, 8, 24e9, NCCLHopNetS)
	if !(32*out.LayerBwd[1]*108/84 > rs && 32*out.LayerFwd[1]*108/84 > ag) {
		t.Fatalf("the by-hand ZeRO-1 case needs the last backward and first forward to outlast the collectives")
	}
	relClose(t, "ZeRO-1 overlapped on the SMs NCCL leaves", out.DPComm[1], (rs+ag)*24/108, 1e-12)
}

// TestStepZeRO2ReducesEveryMicrobatch: ZeRO-2 keeps gradients as shards, so each of
// the M microbatches reduce-scatters the whole model's FP32 gradients (PyTorch FSDP's
// no_sync docstring: accumulating unreduced gradients holds the full gradients, not
// shards), where ZeRO-1 reduces once. By hand, 32 layers of 12h² (h 4096, 6.442e9
// parameters) over 8 ranks, one per node on a 24 GB/s NIC: one reduce-scatter of
// 25.77 GB is 8.4 µs + 7·14 µs + 7/8 · 25.77e9 / 24e9 = 0.9396 s. With four
// microbatches and no overlap ZeRO-2 sends three more of them. Overlapped, the last
// one hides behind the last backward as ZeRO-1's does, and each of the other three
// beside the next microbatch's forward and backward: with one sequence a microbatch
// (0.3 s of compute) it outlasts them, so 3·(rs − forward − backward) is added; with
// eight (2.3 s, longer than rs on the 84 SMs NCCL leaves) only 3·rs·24/108. With one
// microbatch ZeRO-2 is ZeRO-1 bit for bit.
func TestStepZeRO2ReducesEveryMicrobatch(t *testing.T) {
	base := gpt(4096, 32, 32)
	base.N, base.g, base.M, base.B = 8, 1, 4, 32
	z1, z2 := base, base
	z1.zero, z2.zero = 1, 2
	o1, o2 := z1, z2
	o1.overlap, o2.overlap = true, true
	b1, b2 := o1, o2 // eight sequences a microbatch
	b1.B, b2.B = 256, 256
	m1, m2 := z1, z2 // one microbatch
	m1.M, m2.M, m1.B, m2.B = 1, 1, 8, 8
	out := runStep(z1, z2, o1, o2, b1, b2, m1, m2)
	grads := base.params * 4
	rs := CollectiveTime(CollReduceScatter, grads, 8, 24e9, NCCLHopNetS)
	relClose(t, "one reduce-scatter", rs, 8.4e-6+7*14e-6+7.0/8*grads/24e9, 1e-12)
	relClose(t, "ZeRO-2 reduces every microbatch", out.DPComm[1]-out.DPComm[0], 3*rs, 1e-12)
	tmb := 32 * (out.LayerFwd[3] + out.LayerBwd[3])
	if !(rs > tmb*108/84) {
		t.Fatalf("the by-hand case needs the reduce-scatter (%g s) to outlast a microbatch's compute on 84 SMs (%g s)", rs, tmb*108/84)
	}
	relClose(t, "overlapped, network-bound", out.DPComm[3]-out.DPComm[2], 3*(rs-tmb), 1e-12)
	tmb = 32 * (out.LayerFwd[5] + out.LayerBwd[5])
	if !(tmb*108/84 > rs) {
		t.Fatalf("the by-hand case needs a microbatch's compute on 84 SMs (%g s) to outlast the reduce-scatter (%g s)", tmb*108/84, rs)
	}
	relClose(t, "overlapped, on the SMs NCCL leaves", out.DPComm[5]-out.DPComm[4], 3*rs*24/108, 1e-12)
	if out.DPComm[7] != out.DPComm[6] || out.Step[7] != out.Step[6] {
		t.Errorf("with one microbatch ZeRO-2 (%g s) is not ZeRO-1 (%g s)", out.DPComm[7], out.DPComm[6])
	}
}

// TestStepHybridSharding: HSDP on four nodes of eight (dp 32, dp_shard 8, so four
// replicas). Each layer's 12h² BF16 weights are gathered and its FP32 gradients
// reduce-scattered inside the node (NVLink, 230 GB/s), then each rank's 1/8 shard of
// them is all-reduced with its replicas on the other nodes over one 24 GB/s NIC each:
// 8.4 µs + 6 · 14 µs + (6/4) · 100.66 MB / 24 GB/s = 6.3839 ms, on a stream of its
// own beside the next layer's gather and reduce-scatter (1.53 + 3.06 ms on NVLink), so
// a layer's backward hides the longer of the two. With eight sequences per rank every
// layer's compute outlasts them on the 84 SMs NCCL leaves: beyond the first gather and
// the last reduce-scatter and all-reduce, each of the other 31 layers adds 24/108 of its
// forward gather and of the all-reduce. ZeRO-1 (not overlapped) sends the
// whole model's reduce-scatter and gather in the node and the 1/8 shard across it. The
// state and the optimizer's pass shard over 8 ranks, not 16; dp_shard = dp is the
// ZeRO-3 of every rank bit for bit; a group that does not divide dp, or that ep does not
// divide, is invalid. ZeRO-3 here is overlapped (FSDP's prefetch).
func TestStepHybridSharding(t *testing.T) {
	z3 := gpt(4096, 32, 32)
	z3.N, z3.B, z3.g, z3.zero, z3.shard, z3.overlap = 32, 256, 8, 3, 8, true
	full, same := z3, z3
	full.shard, same.shard = 0, 32
	z1 := z3
	z1.zero, z1.overlap = 1, false
	odd := z3
	odd.shard = 3
	out := runStep(z3, full, same, z1, odd)

	layer := 12 * 4096 * 4096.0
	ar := CollectiveTime(CollAllReduce, layer*4/8, 4, 24e9, NCCLHopNetS)
	relClose(t, "one layer's cross-node all-reduce", ar, 8.4e-6+6*14e-6+1.5*layer*4/8/24e9, 1e-12)
	relClose(t, "by hand", ar, 6.3839e-3, 1e-4)
	agL := CollectiveTime(CollAllGather, layer*2, 8, 230e9, NCCLHopNVLinkS)
	rsL := CollectiveTime(CollReduceScatter, layer*4, 8, 230e9, NCCLHopNVLinkS)
	if !(out.LayerFwd[0]*108/84 > agL && out.LayerBwd[0]*108/84 > agL+rsL+ar) {
		t.Fatalf("the by-hand case needs each layer's compute on 84 SMs to outlast its collectives")
	}
	if !(ar > agL+rsL) {
		t.Fatalf("the by-hand case needs the all-reduce (%g s) to outlast the gather and reduce-scatter (%g s)", ar, agL+rsL)
	}
	relClose(t, "HSDP ZeRO-3", out.DPComm[0], 2*agL+rsL+ar+31*(agL+ar)*24/108, 1e-12)

	P := z3.params
	rs := CollectiveTime(CollReduceScatter, P*4, 8, 230e9, NCCLHopNVLinkS)
	ag := CollectiveTime(CollAllGather, P*2, 8, 230e9, NCCLHopNVLinkS)
	relClose(t, "HSDP ZeRO-1", out.DPComm[3], rs+CollectiveTime(CollAllReduce, P*4/8, 4, 24e9, NCCLHopNetS)+ag, 1e-12)

	relClose(t, "optimizer over the group of 8", out.Optimizer[0], P/8*(OptimizerPassBytes+2)/1.8e12, 1e-12)
	relClose(t, "optimizer over all 32", out.Optimizer[1], P/32*(OptimizerPassBytes+2)/1.8e12, 1e-12)
	if out.Step[2] != out.Step[1] || out.DPComm[2] != out.DPComm[1] {
		t.Errorf("dp_shard = dp (%g s) is not ZeRO-3 over every rank (%g s)", out.Step[2], out.Step[1])
	}
	if out.Valid[4] || out.Reason[4] != StepInvalidShard {
		t.Errorf("dp_shard 3 of dp 32: valid %v, reason %d, want StepInvalidShard", out.Valid[4], out.Reason[4])
	}
	for _, tc := range []struct {
		dp, ep, shard, zero, want float64
		why                       uint8
	}{
		{16, 1, 0, 3, 16, StepValid},
		{16, 1, 8, 3, 8, StepValid},
		{16, 1, 8, 0, 16, StepValid}, // nothing sharded: the group is all of dp
		{16, 1, 32, 3, 0, StepInvalidShard},
		{16, 1, 6, 2, 0, StepInvalidShard},
		{16, 4, 8, 3, 8, StepValid},
		{16, 4, 2, 3, 0, StepInvalidShard}, // an expert's state would shard over half a rank
	} {
		if gs, why := ShardGroup(tc.dp, tc.ep, tc.shard, tc.zero); gs != tc.want || why != tc.why {
			t.Errorf("ShardGroup(dp %g, ep %g, shard %g, zero %g) = %g, %d; want %g, %d", tc.dp, tc.ep, tc.shard, tc.zero, gs, why, tc.want, tc.why)
		}
	}
}

// TestStepLayerTimes: on one accelerator without an output layer the step is its
// layers' forward and backward plus the optimizer pass; full recomputation adds one
// forward to every backward.
func TestStepLayerTimes(t *testing.T) {
	p := gpt(4096, 32, 32)
	p.B, p.M = 4, 1
	full := p
	full.rec = RecomputeFull
	out := runStep(p, full)
	relClose(t, "step", out.Step[0], 32*(out.LayerFwd[0]+out.LayerBwd[0])+out.Optimizer[0], 1e-12)
	relClose(t, "full recomputation", out.LayerBwd[1], out.LayerBwd[0]+out.LayerFwd[0], 1e-12)
}

// TestStepGroupLinks: a data-parallel group with k ranks per node spreads its
// traffic over the node's k NICs (bus min(k·24, k/(k−1)·230) GB/s) and crosses the
// network on nodes−1 of its n−1 ring steps; stages a whole node apart send over the
// fabric.
func TestStepGroupLinks(t *testing.T) {
	flat := gpt(4096, 32, 32)
	flat.N, flat.B, flat.g = 16, 16, 8 // dp 16: two nodes of eight
	half := flat
	half.tp = 2 // dp 8: four ranks per node
	pipe := gpt(4096, 32, 32)
	pipe.N, pipe.pp, pipe.tp, pipe.B, pipe.M, pipe.g = 16, 2, 8, 4, 4, 8 // one stage per node
	out := runStep(flat, half, pipe)
	grads := flat.params * 4
	hop := func(n, nodes float64) float64 {
		return ((n-nodes)*NCCLHopNVLinkS + (nodes-1)*NCCLHopNetS) / (n - 1)
	}
	relClose(t, "8 ranks per node", out.DPComm[0], CollectiveTime(CollAllReduce, grads, 16, 8*24e9, hop(16, 2)), 1e-12)
	relClose(t, "4 ranks per node", out.DPComm[1], CollectiveTime(CollAllReduce, grads/2, 8, 4*24e9, hop(8, 2)), 1e-12)
	msg := 2048 * 4096 * 2.0 // one sequence's activations, bf16
	relClose(t, "p2p over the fabric", out.PPComm[2], 4*2*(msg/8/24e9+NCCLHopNetS+CollectiveTime(CollAllGather, msg, 8, 230e9, NCCLHopNVLinkS)), 1e-12)
}

// TestStepContextParallelAllGather: Llama 3's context parallelism (§3.3.2) gathers the
// whole sequence's K and V before the local attention and reduce-scatters their
// gradients after it, all exposed (the backward gathers K and V again: a rank keeps
// only its own chunk), where a ring hides its chunks behind the attention.
// By hand: tp 8 fills each node, so the cp 4 ranks sit on 4 nodes, one per node: the
// NIC's 24 GB/s and 3 network steps of 14 µs. Each rank holds 8192/4 = 2048 tokens of
// K and V for 32/8 = 4 heads of 128: 2·2048·4·128·2 B = 4 MiB, 16 MiB gathered;
// T = 8.4 µs + 3·14 µs + 3/4 · 16 MiB / 24 GB/s = 574.688 µs per collective, three
// per layer (gather; gather and reduce-scatter), 32 layers.
func TestStepContextParallelAllGather(t *testing.T) {
	ring := gpt(4096, 32, 32)
	ring.s, ring.N, ring.tp, ring.cp, ring.sp = 8192, 32, 8, 4, true
	ag := ring
	ag.cpAG = true
	out := runStep(ring, ag)
	const m = 4 * 2 * 2048 * 4 * 128 * 2.0
	each := NCCLBaseLatencyS + 3*NCCLHopNetS + 3.0/4*m/24e9
	relClose(t, "one all-gather", each, 574.688e-6, 1e-9)
	relClose(t, "exposed CP, all-gather", out.CPComm[1], 32*3*each, 1e-12)
	relClose(t, "only the CP term moves", out.Step[1]-out.Step[0], out.CPComm[1]-out.CPComm[0], 1e-9)
}

// TestStepTensorParallel: TP collectives add time; sequence parallelism moves the
// norms and residuals onto 1/tp of the tokens (Korthikanti et al. 2022 Table 4's
// forward speed-up) at the same communication volume.
func TestStepTensorParallel(t *testing.T) {
	p := gpt(6144, 64, 48)
	p.N, p.tp, p.B, p.M, p.flash = 8, 8, 4, 1, false
	sp := p
	sp.sp = true
	out := runStep(p, sp)
	if out.TPComm[0] <= 0 || out.TPComm[1] <= 0 {
		t.Fatalf("no TP communication: %g, %g", out.TPComm[0], out.TPComm[1])
	}
	if !(out.Compute[1] < out.Compute[0]) {
		t.Errorf("SP busy time %g s is not below TP-only %g s", out.Compute[1], out.Compute[0])
	}
}

// TestCalibratedActivations: Korthikanti et al. 2022 Table 2, bytes per layer at 2
// bytes per element, for GPT-3 (a 96, s 2048, h 12288) at b = 1, t = 8.
func TestCalibratedActivations(t *testing.T) {
	const s, b, h, a, tp = 2048.0, 1.0, 12288.0, 96.0, 8.0
	sbh := s * b * h
	for _, tc := range []struct {
		name      string
		sp, flash bool
		r         Recompute
		want      float64
	}{
		{"tensor parallel (baseline)", false, false, RecomputeNone, sbh * (10 + 24/tp + 5*a*s/(h*tp))},
		{"tensor + sequence parallel", true, false, RecomputeNone, sbh / tp * (34 + 5*a*s/h)},
		{"TP + selective", false, false, RecomputeSelective, sbh * (10 + 24/tp)},
		{"TP + SP + selective", true, false, RecomputeSelective, sbh * 34 / tp},
		{"full recomputation", false, false, RecomputeFull, 2 * sbh},
		{"full with SP keeps a 1/tp input", true, false, RecomputeFull, 2 * sbh / tp},
		{"FlashAttention: no scores, no dropout masks", true, true, RecomputeNone, sbh * 32 / tp},
	} {
		got := calibratedActivations(s, b, h, a, 0, 0, tp, 2, false, tc.sp, tc.flash, tc.r)
		relClose(t, tc.name, got, tc.want, 1e-12)
	}
	// Keeping the linear outputs (Llama 1 §2.4) drops the two norm outputs (2·sbh of
	// the replicated 4·sbh at 2 bytes, split by tp under SP) and the GeLU output
	// (4h·sb at 2 bytes, split by tp) from selective's 32/tp: (4 + 16)/tp = 20/tp.
	relClose(t, "linear outputs, TP + SP, FlashAttention",
		calibratedActivations(s, b, h, a, 0, 0, tp, 2, false, true, true, RecomputeLinearOutputs), sbh*20/tp, 1e-12)
	// GQA: K and V shrink with kv/a; a gated MLP stores gate, up and down inputs.
	gqa := calibratedActivations(s, b, 8192, 64, 8, 28672, 1, 2, true, false, true, RecomputeNone)
	relClose(t, "Llama-3 70B layer", gqa, s*b*(4*8192*2+2*(2*8192+2*8192*8/64+3*28672)), 1e-12)
}

// TestTrainingMemoryCalibrated: the first stage holds min(pp, microbatches) of its
// L/pp layers (p of them: L layers' worth, Korthikanti §4.2.3), × (1 + (p−1)/(p·v))
// interleaved; expert state shards over ep.
func TestTrainingMemoryCalibrated(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	in := func(pp, micro, v float64) *TrainMemIn {
		return &TrainMemIn{Params: one(175e9), Layers: one(96), Hidden: one(12288), Heads: one(96), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(micro), SeqLen: one(2048),
			TP: one(8), PP: one(pp), DP: one(1), EP: one(1), ZeROStage: one(0), GradAccum: one(micro), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80 << 30), Calibrated: true, KVHeads: one(0), FFN: one(0), Vocab: one(51200),
			ExpertParams: one(0), CP: one(1), VirtualStages: one(v), InFlight: one(micro), DPShard: one(0), Gated: []bool{false},
			SeqParallel: []bool{true}, Flash: []bool{false}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None}}
	}
	perLayer := 34 * 2048 * 12288 / 8.0
	mask := 2048 * 12288 / 8.0 // embedding dropout mask per in-flight microbatch
	for _, tc := range []struct {
		name         string
		pp, micro, v float64
		want         float64
	}{
		{"pp 8, 64 microbatches: L layers' worth", 8, 64, 1, perLayer*96 + 8*mask},
		{"pp 8, 2 microbatches in flight", 8, 2, 1, perLayer*12*2 + 2*mask},
		{"interleaved v = 3", 8, 64, 3, perLayer*96*(1+7.0/24) + 8*mask},
	} {
		var out TrainMemOut
		TrainingMemory(&out, in(tc.pp, tc.micro, tc.v))
		relClose(t, tc.name, out.Activations[0], tc.want, 1e-12)
		// The first stage's parameters (Megatron-LM's theoretical_memory_usage.py, the
		// most loaded shard): 96 layers of 12·h² over pp stages and the 51,200 × 12,288
		// embedding, over tp 8; at pp 8, (12 · 1,811,939,328 + 629,145,600)/8 · 4 B =
		// 11,186,208,768 B of FP32 gradients (the even split, 175e9/64 · 4, was 10,937,500,000).
		relClose(t, tc.name+" gradients FP32", out.Gradients[0], (96*12*12288*12288/tc.pp+51200*12288)/8*4, 1e-12)
	}
}

// TestDivides: the float test agrees with integer division up to 2^53, where a
// quotient one remainder away from whole is hardest to tell apart.
func TestDivides(t *testing.T) {
	const top = 1<<53 - 1
	for _, tc := range [][2]int64{{top, 3}, {top - 1, 2}, {1<<52 + 1, 2}, {top, top}, {top - 1, top}, {1 << 52, 1 << 26},
		{4096, 8}, {126, 16}, {4096 * 3, 3}, {1<<40 + 7, 1<<20 + 1}, {7, 8}, {0, 5}} {
		if got, want := divides(float64(tc[0]), float64(tc[1])), tc[0]%tc[1] == 0; got != want {
			t.Errorf("divides(%d, %d) = %v, want %v", tc[0], tc[1], got, want)
		}
	}
}

// TestMoEPermutation: the token permutation around an MoE layer's experts (Megatron-Core
// v0.9's unfused all-to-all dispatcher) moves, per token and hidden element of e bytes,
// 8 per routed copy + 1 forward and 8 per copy backward, 2 more per copy each way when
// the rank sorts its tokens over several local experts. By hand for 4096 tokens of
// 4096 in BF16, top-2: 4096²·2·17 and 4096²·2·16 bytes; with two local experts ·21 and
// ·20. In a layer it is the only difference between a one-expert top-1 MoE layer and
// the dense layer of the same shape.
func TestMoEPermutation(t *testing.T) {
	const elems = 4096 * 4096
	for _, c := range []struct{ local, fwd, bwd float64 }{{1, elems * 2 * 17, elems * 2 * 16}, {2, elems * 2 * 21, elems * 2 * 20}} {
		f, b := MoEPermuteBytes(elems, 2, c.local, 2)
		if f != c.fwd || b != c.bwd {
			t.Errorf("%v local experts: %v, %v bytes; want %v, %v", c.local, f, b, c.fwd, c.bwd)
		}
	}
	dense := layerKey{h: 4096, a: 32, kv: 8, ffn: 14336, topk: 1, s: 4096, b: 1, cp: 1, tp: 1, ep: 1, bytes: 2,
		rate: 794e12, attn: 346e12, sms: 132, bw: 3e12, gated: true, flash: true, fp32: true, rec: RecomputeSelective}
	moe := dense
	moe.experts = 1
	d, m := layerStep(&dense), layerStep(&moe)
	f, b := MoEPermuteBytes(4096*4096, 1, 1, 2)
	// Beside the permutation, the MoE layer runs its router's GEMMs (TestMoERouterGEMMs).
	rf, rb, _ := moeRouterGEMMs(4096, 1, 4096, 794e12, 132, 3e12, 2, GradAccumFP32Bytes)
	relClose(t, "forward", m.fwd-d.fwd, f/3e12+rf, 1e-9)
	relClose(t, "backward", m.bwd-d.bwd, b/3e12+rb, 1e-9)
}

// TestMoERouterGEMMs: the router's gating GEMM of DeepSeek-V3's MoE layer (h 7168 → 256
// experts) on a rank's 4096 tokens, BF16 in and FP32 logits out, at 700 TFLOP/s and 3 TB/s
// without wave quantization (sms 0), by hand:
//
//	forward  max(2·4096·256·7168 = 15,032,385,536 FLOPs / 700e12 = 21.475 µs,
//	             (4096·7168 + 7168·256)·2 B = 62,390,272 B / 3e12 = 20.797 µs)
//	         + the logits 4096·256·4 B / 3e12 = 1.398 µs                       = 22.873 µs;
//	dgrad    max(21.475 µs, (4096·256 + 256·7168)·4 B / 3e12 = 3.8 µs) + 4096·7168·2 B / 3e12
//	         = 21.475 + 19.573                                                = 41.048 µs;
//	wgrad    max(21.475 µs, (7168·4096 + 4096·256)·4 B = 121,634,816 B / 3e12 = 40.545 µs)
//	         + the FP32 gradient's read-modify-write 7168·256·8 B / 3e12 = 4.893 µs = 45.438 µs.
func TestMoERouterGEMMs(t *testing.T) {
	f, b, w := moeRouterGEMMs(4096, 256, 7168, 700e12, 0, 3e12, 2, GradAccumFP32Bytes)
	flops := 2 * 4096 * 256 * 7168 / 700e12
	relClose(t, "forward", f, flops+4096*256*4/3e12, 1e-12)
	relClose(t, "weight gradient", w, (7168*4096+4096*256)*4/3e12+7168*256*8/3e12, 1e-12)
	relClose(t, "backward", b, flops+4096*7168*2/3e12+w, 1e-12)
	if math.Abs(f-22.873e-6) > 0.001e-6 || math.Abs(b-w-41.048e-6) > 0.001e-6 || math.Abs(w-45.438e-6) > 0.001e-6 {
		t.Errorf("router GEMMs %v, %v, %v s; want 22.873, 41.048, 45.438 µs", f, b-w, w)
	}
}

// TestStepWhatIfMultipliers: the fleet study's congestion, straggler and moe_imbalance
// change the calibrated step as documented. By hand: a straggler of 1.5 stretches the
// whole step (and so divides MFU) by 1.5 and leaves its parts alone; congestion 2 halves
// the links' bandwidth and doubles their per-step latency, so an 8-rank all-reduce
// takes NCCL's launch latency plus twice the rest; an imbalance of 2 doubles the
// busiest EP rank's all-to-all bytes (ep 2: one step, half the buffer crosses) and its
// expert GEMMs, and means nothing without expert parallelism.
func TestStepWhatIfMultipliers(t *testing.T) {
	p := gpt(4096, 32, 32)
	p.N, p.B, p.g = 8, 8, 1 // dp 8 across the fabric
	slow, congested := p, p
	slow.straggler, congested.congestion = 1.5, 2
	out := runStep(p, slow, congested)
	relClose(t, "straggler step", out.Step[1], 1.5*out.Step[0], 1e-12)
	relClose(t, "straggler MFU", out.MFU[1], out.MFU[0]/1.5, 1e-12)
	relClose(t, "straggler leaves the DP all-reduce", out.DPComm[1], out.DPComm[0], 1e-12)
	grads := p.params * 4
	relClose(t, "congested all-reduce", out.DPComm[2],
		NCCLBaseLatencyS+2*(14*NCCLHopNetS+14.0/8*grads/24e9), 1e-12)
	relClose(t, "congestion doubles the link time", out.DPComm[2]-NCCLBaseLatencyS, 2*(out.DPComm[0]-NCCLBaseLatencyS), 1e-12)

	moe := layerKey{h: 4096, a: 32, kv: 8, ffn: 14336, experts: 8, topk: 2, s: 4096, b: 1, cp: 1, tp: 1, ep: 2, bytes: 2,
		rate: 794e12, attn: 346e12, sms: 132, bw: 3e12, epBus: 50e9, epHop: NCCLHopNetS, gated: true, flash: true, fp32: true,
		rec: RecomputeSelective, imbalance: 1}
	busy := moe
	busy.imbalance = 2
	m, b := layerStep(&moe), layerStep(&busy)
	msg := 4096.0 * 2 * 4096 * 2 // tokens × topk × h × bytes
	relClose(t, "balanced all-to-all", m.ep, 4*(NCCLBaseLatencyS+NCCLHopNetS+0.5*msg/50e9), 1e-12)
	relClose(t, "imbalanced all-to-all", b.ep, 4*(NCCLBaseLatencyS+NCCLHopNetS+0.5*2*msg/50e9), 1e-12)
	if !(b.fwd-b.ep/2 > m.fwd-m.ep/2) {
		t.Errorf("the busiest rank's expert GEMMs: forward without the all-to-all %g s, balanced %g s", b.fwd-b.ep/2, m.fwd-m.ep/2)
	}
	local, localBusy := moe, busy
	local.ep, localBusy.ep = 1, 1
	if layerStep(&local) != layerStep(&localBusy) {
		t.Errorf("imbalance without expert parallelism changed the layer: %+v vs %+v", layerStep(&local), layerStep(&localBusy))
	}
}

// TestStepDataParallelSpansContextParallel: the cp ranks of a context-parallel group
// hold the same weights, so the gradients reduce, and ZeRO shards, over dp·cp ranks
// (Megatron-Core's intra_dp_cp_group), TP innermost: with tp 2, cp 2 and dp 8 on 32
// accelerators in nodes of 8, the group is 16 ranks at stride 2, four on each of four
// nodes, at min(4 × 24, 4/3 × 230) = 96 GB/s (GroupLink) with 3 of its 15 ring steps
// crossing the network.
func TestStepDataParallelSpansContextParallel(t *testing.T) {
	p := gpt(4096, 32, 32)
	p.N, p.B, p.tp, p.cp, p.zero = 32, 8, 2, 2, 1
	z0 := p
	z0.zero = 0
	out := runStep(p, z0)
	if out.DP[0] != 8 {
		t.Fatalf("dp = %g, want 32/(tp 2 · cp 2) = 8", out.DP[0])
	}
	P := p.params / 2 // per TP rank
	hop := (12*NCCLHopNVLinkS + 3*NCCLHopNetS) / 15
	rs := CollectiveTime(CollReduceScatter, P*4, 16, 96e9, hop)
	ag := CollectiveTime(CollAllGather, P*2, 16, 96e9, hop)
	relClose(t, "ZeRO-1 over dp·cp", out.DPComm[0], rs+ag, 1e-12)
	relClose(t, "optimizer over dp·cp", out.Optimizer[0], P/16*(OptimizerPassBytes+2)/1.8e12, 1e-12)
	relClose(t, "ZeRO-0 all-reduce over dp·cp", out.DPComm[1], CollectiveTime(CollAllReduce, P*4, 16, 96e9, hop), 1e-12)
	relClose(t, "ZeRO-0 optimizer unsharded", out.Optimizer[1], P*(OptimizerPassBytes+2)/1.8e12, 1e-12)
}
