package kernel

import "testing"

// TestFP8CastBytes: bytes moved per element of a BF16 tensor (e = 2) cast to FP8 with
// its transpose, by hand from TE's kernels (fp8training.go): delayed scaling takes the
// amax inside the cast (read 2, write 1 + 1 = 4; fused into a norm the norm writes 1
// byte instead of 2 and a transpose reads 1 and writes 1: −1 + 2 = 1); current scaling
// needs the amax first (an extra read of 2: 6; fused, the producer still writes 2 and
// the cast reads 2 and writes 2: 4); block scaling's quantizer reads 2 and writes 2
// (4) with or without a norm before it. No recipe, no cast.
func TestFP8CastBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     FP8Recipe
		fused bool
		want  float64
	}{
		{"none", FP8None, false, 0},
		{"delayed, from memory", FP8Delayed, false, 4},
		{"delayed, fused into the norm", FP8Delayed, true, 1},
		{"current, from memory", FP8Current, false, 6},
		{"current, amax fused into the norm", FP8Current, true, 4},
		// Block scaling: each 1×128 tile's amax and cast in one pass (read 2, write 1 + 1),
		// after the norm or not.
		{"blockwise, from memory", FP8Blockwise, false, 4},
		{"blockwise, after the norm", FP8Blockwise, true, 4},
	} {
		if got := fp8CastBytes(tc.r, 1000, 2, tc.fused); got != 1000*tc.want {
			t.Errorf("%s: %v bytes for 1000 elements, want %v", tc.name, got, 1000*tc.want)
		}
	}
}

// TestFP8GEMMTime: one full wave of 256×128 tiles at the FP8 rate reads 1-byte
// operands and writes a BF16 output: 2mnk/R₈ + 2mn/BW (NVIDIA's wave-quantization
// model, as TestGEMMTime; H100's measured 1402.6 TFLOP/s FP8 and 132 SMs).
func TestFP8GEMMTime(t *testing.T) {
	const rate8, sms, bw = 1402.6e12, 132.0, 2.97e12
	m, n, k := 11*256.0, 12*128.0, 8192.0 // 132 tiles, one wave
	got := gemmTime(m, n, k, 1, rate8, sms, bw, 1, 2)
	relClose(t, "FP8 full wave", got, 2*m*n*k/rate8+m*n*2/bw, 1e-12)
}

// TestFP8LayerStep holds one layer's FP8 forward and backward, and the step's weight
// casts, to a hand count on a GPT layer (h 4096, 32 heads, MLP 4h, no gating, tp 1, no
// wave quantization so each GEMM is 2mnk/R + its epilogue): the layer with FP8 minus
// the layer without is, per pass, the four linears' FLOPs at 1/R₈ − 1/R (their epilogues
// are BF16 either way) plus the casts' traffic at the memory rate; the step adds each
// layer's weights cast once.
func TestFP8LayerStep(t *testing.T) {
	const h, a, L, s = 4096.0, 32.0, 4.0, 2048.0
	const rate, rate8, bw = 271.2e12, gptFP8Rate, 1.8e12
	n := s // one sequence per microbatch
	ffn := 4 * h
	// Forward linears: QKV (n×3h×h), out-proj (n×h×h), up (n×ffn×h), down (n×h×ffn).
	flops := 2 * n * (3*h*h + h*h + ffn*h + h*ffn)
	gemmDiff := flops * (1/rate8 - 1/rate)
	for _, tc := range []struct {
		name       string
		r          FP8Recipe
		fused, raw float64 // cast bytes per element: from a producer, from memory
	}{
		{"delayed", FP8Delayed, 1, 4},
		{"current", FP8Current, 4, 6},
	} {
		// Forward casts: two norm outputs (n·h each) and the activation (n·ffn) fused, the
		// attention output (n·h) from memory. Backward: the QKV gradient (n·3h) and the two
		// n·h output gradients from memory, the MLP-up gradient (n·ffn) fused.
		castF := (2*n*h+n*ffn)*tc.fused + n*h*tc.raw
		castB := (3*n*h+2*n*h)*tc.raw + n*ffn*tc.fused
		weights := 3*h*h + h*h + 2*ffn*h
		base := gpt(h, a, L)
		base.flat = true
		p := base
		p.fp8 = tc.r
		out := runStep(base, p)
		relClose(t, tc.name+": forward", out.LayerFwd[1]-out.LayerFwd[0], gemmDiff+castF/bw, 1e-9)
		// Backward: dgrad and wgrad have the forward's FLOPs each; wgrad's FP32 epilogue
		// is the same in both.
		relClose(t, tc.name+": backward", out.LayerBwd[1]-out.LayerBwd[0], 2*gemmDiff+castB/bw, 1e-9)
		casts := out.Compute[1] - L*(out.LayerFwd[1]+out.LayerBwd[1])
		relClose(t, tc.name+": weight casts per step", casts, L*weights*tc.raw/bw, 1e-6)
		if none := out.Compute[0] - L*(out.LayerFwd[0]+out.LayerBwd[0]); none != 0 {
			t.Errorf("%s: the BF16 step casts %v s of weights", tc.name, none)
		}
		if !(out.Step[1] < out.Step[0]) {
			t.Errorf("%s: FP8 step %v s is not faster than BF16 %v s", tc.name, out.Step[1], out.Step[0])
		}
	}
}

// TestFP8SequenceParallelGather: under tp 8 with sequence parallelism the QKV and
// MLP-up inputs are gathered as FP8 (1 byte an element, not 2) in the forward and
// again in the backward, and current scaling adds an all-reduce of one FP32 amax per
// gathered input before it; the row-parallel layers' collectives stay BF16.
func TestFP8SequenceParallelGather(t *testing.T) {
	const h, n, tp = 8192.0, 4096.0, 8.0
	k := &layerKey{tp: tp, tpBus: 230e9, tpHop: NCCLHopNVLinkS, fp8: FP8Delayed}
	fwd, bwd := fp8InputGather(k, n*h)
	want := CollectiveTime(CollAllGather, n*h, tp, k.tpBus, k.tpHop)
	relClose(t, "delayed forward gather", fwd, want, 1e-15)
	relClose(t, "delayed backward gather", bwd, want, 1e-15)
	if bf16 := CollectiveTime(CollAllGather, 2*n*h, tp, k.tpBus, k.tpHop); !(want < bf16) {
		t.Errorf("an FP8 gather %v s is not shorter than a BF16 one %v s", want, bf16)
	}
	k.fp8 = FP8Current
	fwd, bwd = fp8InputGather(k, n*h)
	relClose(t, "current forward gather", fwd, want+CollectiveTime(CollAllReduce, 4, tp, k.tpBus, k.tpHop), 1e-15)
	relClose(t, "current backward gather", bwd, want, 1e-15)
}

// TestFP8TrainingMemory: with FP8 the rank keeps two 1-byte copies (the weight and its
// transpose) of every linear weight of its layers, and each GEMM's saved input shrinks
// from 2 bytes to 1 an element. GPT layer (h 4096, MLP 4h), 8 layers, tp 1, pp 1, one
// sequence of 2048 tokens, selective recomputation, FlashAttention, no SP: the linear
// weights are 12h² a layer, the saved inputs 2h (norm outputs) + h (attention output)
// + 4h (activation) elements a token; full recomputation saves only layer inputs.
func TestFP8TrainingMemory(t *testing.T) {
	const h, L, s = 4096.0, 8.0, 2048.0
	one := func(v float64) []float64 { return []float64{v} }
	in := func(r FP8Recipe, rec Recompute) *TrainMemIn {
		return &TrainMemIn{Params: one(12 * h * h * L), Layers: one(L), Hidden: one(h), Heads: one(32), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{rec}, Batch: one(1), SeqLen: one(s),
			TP: one(1), PP: one(1), DP: one(1), EP: one(1), ZeROStage: one(0), GradAccum: one(1), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(0), FFN: one(0), Vocab: one(0),
			ExpertParams: one(0), CP: one(1), VirtualStages: one(1), InFlight: one(1), DPShard: one(0), Gated: []bool{false},
			SeqParallel: []bool{false}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{r}}
	}
	run := func(r FP8Recipe, rec Recompute) *TrainMemOut {
		out := &TrainMemOut{}
		TrainingMemory(out, in(r, rec))
		return out
	}
	for _, r := range []FP8Recipe{FP8Delayed, FP8Current} {
		bf16, fp8 := run(FP8None, RecomputeSelective), run(r, RecomputeSelective)
		relClose(t, "FP8 weight copies", fp8.Weights[0]-bf16.Weights[0], 2*12*h*h*L, 1e-12)
		relClose(t, "FP8 saved inputs", bf16.Activations[0]-fp8.Activations[0], L*s*(2*h+h+4*h), 1e-12)
		if fp8.Gradients[0] != bf16.Gradients[0] || fp8.Optimizer[0] != bf16.Optimizer[0] {
			t.Errorf("FP8 changed gradients or optimizer state: %v, %v against %v, %v", fp8.Gradients[0], fp8.Optimizer[0], bf16.Gradients[0], bf16.Optimizer[0])
		}
		full, fullFP8 := run(FP8None, RecomputeFull), run(r, RecomputeFull)
		if fullFP8.Activations[0] != full.Activations[0] {
			t.Errorf("full recomputation: FP8 activations %v, want the BF16 layer inputs %v", fullFP8.Activations[0], full.Activations[0])
		}
	}
}

// TestFP8CastsMoE: an MoE layer's experts cast the permuted rows they receive from
// memory (4 bytes an element under delayed scaling), where a dense MLP's input comes
// from the norm (1 byte) and its output gradient has the layer's n·h elements. Shapes:
// n 1024 tokens, h 512, tp 1, QKV 3h, act 8192 elements (up 2: 16384 for the MLP-up
// gradient), 3000 routed rows.
func TestFP8CastsMoE(t *testing.T) {
	const n, h, act, routed = 1024.0, 512.0, 8192.0, 3000.0
	E, qkv := n*h, 3*h
	fwd, bwd := fp8Casts(FP8Delayed, E, n, h, 1, qkv, act, 2, routed, 2)
	wantF := E*1 + routed*h*4 + n*h*4 + act*1
	wantB := n*qkv*4 + n*h*4 + routed*h*4 + 2*act*1
	relClose(t, "MoE forward casts", fwd, wantF, 1e-15)
	relClose(t, "MoE backward casts", bwd, wantB, 1e-15)
	fwd, bwd = fp8Casts(FP8Delayed, E, n, h, 1, qkv, act, 2, 0, 2)
	relClose(t, "dense forward casts", fwd, 2*E*1+n*h*4+act*1, 1e-15)
	relClose(t, "dense backward casts", bwd, n*qkv*4+2*n*h*4+2*act*1, 1e-15)
}

// TestFP8PrimaryWeights: with FP8 primary weights (Megatron-Core's fp8_param_gather) a
// GPT layer's linear weights (all of its 12h² parameters) are FP8 tensors with their
// transpose, 2 bytes each, and no BF16 copy: the rank holds what a BF16 step holds, 2·12h²
// bytes a layer fewer than FP8 with BF16 primary weights. The step rebuilds the transpose
// once (read 1, write 1 per weight) instead of casting from BF16 (current scaling: 6
// bytes), and ZeRO-1's weight all-gather moves 1 byte per parameter instead of 2 (dp 16
// on nodes of 8: GroupLink), the reduce-scatter unchanged.
func TestFP8PrimaryWeights(t *testing.T) {
	const h, a, L, s = 4096.0, 32.0, 4.0, 2048.0
	const bw = 1.8e12
	weights := 12 * h * h // per layer, tp 1
	one := func(v float64) []float64 { return []float64{v} }
	mem := func(r FP8Recipe, primary bool) float64 {
		in := &TrainMemIn{Params: one(weights * L), Layers: one(L), Hidden: one(h), Heads: one(a), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(1), SeqLen: one(s),
			TP: one(1), PP: one(1), DP: one(1), EP: one(1), ZeROStage: one(0), GradAccum: one(1), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(0), FFN: one(0), Vocab: one(0),
			ExpertParams: one(0), CP: one(1), VirtualStages: one(1), InFlight: one(1), DPShard: one(0), Gated: []bool{false},
			SeqParallel: []bool{false}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{r}, FP8Params: []bool{primary}}
		out := &TrainMemOut{}
		TrainingMemory(out, in)
		return out.Weights[0]
	}
	relClose(t, "BF16 weights", mem(FP8None, false), 2*weights*L, 1e-15)
	relClose(t, "FP8 with BF16 primary weights", mem(FP8Current, false), 4*weights*L, 1e-15)
	relClose(t, "FP8 primary weights", mem(FP8Current, true), 2*weights*L, 1e-15)
	if mem(FP8None, true) != mem(FP8None, false) {
		t.Errorf("fp8 primary weights without FP8 GEMMs changed the weights")
	}

	p := gpt(h, a, L)
	p.flat, p.fp8 = true, FP8Current
	primary := p
	primary.fp8p = true
	out := runStep(p, primary)
	casts := func(k int) float64 { return out.Compute[k] - L*(out.LayerFwd[k]+out.LayerBwd[k]) }
	relClose(t, "weight casts from BF16", casts(0), L*weights*6/bw, 1e-6)
	relClose(t, "transpose of FP8 primary weights", casts(1), L*weights*2/bw, 1e-6)

	z1 := p
	z1.N, z1.B, z1.zero = 16, 16, 1
	z1p := z1
	z1p.fp8p = true
	out = runStep(z1, z1p)
	bus, hop := GroupLink(1, 16, 8, 230e9, NCCLHopNVLinkS, 24e9, NCCLHopNetS)
	P := weights * L
	want := CollectiveTime(CollAllGather, P*1, 16, bus, hop) - CollectiveTime(CollAllGather, P*2, 16, bus, hop)
	relClose(t, "ZeRO-1 all-gather in 1 byte", out.DPComm[1]-out.DPComm[0], want, 1e-9)
}
