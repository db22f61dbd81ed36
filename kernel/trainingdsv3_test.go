package kernel

import (
	"math"
	"testing"
)

// TestArchActivationsDeepSeekV3Recompute: under DeepSeek-V3's recomputation (report
// §3.2.3 and §3.3.3) its layer keeps, per token, beyond the plain count (kv = heads =
// 128, ffn = 2048, gated, TP 1, b = 2):
//
//	MLA split: only the output projection's input, 128·128 = 16,384, in place of the
//	  plain 2·7168 + 2·7168 = 28,672: −12,288; replicated: the two latents before their
//	  norms and the rotary key, 1536 + 512 + 64 = 2,112;
//	MoE (58 layers): the SwiGLU inputs of 8 routed and 1 shared expert, 2·2048·9 =
//	  36,864 elements at 2 bytes, in place of the plain 3·2048 = 6,144: +30,720;
//	  with FP8 they are 1 byte (18,432 in 2-byte units) and the plain count's activation
//	  output is already 1 byte (6,144 − 1,024 = 5,120): +13,312;
//	dense (3 layers): 3·18432 − 3·2048 = 49,152, as without recomputation.
//
// So 4096 tokens × 2 bytes × (−12,288 + 2,112 + (58·30,720 + 3·49,152)/61) bytes, and
// with FP8 (58·13,312 + 3·49,152)/61 in the MoE term.
func TestArchActivationsDeepSeekV3Recompute(t *testing.T) {
	want := 4096 * 2 * (-12288 + 2112 + (58*30720+3*49152)/61.0)
	got := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, dsv3TopK, dsv3L, 1, 2, true, false, RecomputeDeepSeekV3, &dsv3)
	if math.Abs(got/want-1) > 1e-12 {
		t.Errorf("BF16: %v bytes, want %v", got, want)
	}
	want8 := 4096 * 2 * (-12288 + 2112 + (58*13312+3*49152)/61.0)
	got8 := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, dsv3TopK, dsv3L, 1, 2, true, true, RecomputeDeepSeekV3, &dsv3)
	if math.Abs(got8/want8-1) > 1e-12 {
		t.Errorf("FP8: %v bytes, want %v", got8, want8)
	}
	// The plain part: the two norm outputs (2·7168·2 bytes a token) are not kept, and
	// with FP8 fp8SavedInputs no longer subtracts them: (2 − 1)·(7168 + 2048) a token.
	plainSel := calibratedActivations(4096, 1, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, 1, 2, true, false, true, RecomputeSelective)
	plainDS := calibratedActivations(4096, 1, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, 1, 2, true, false, true, RecomputeDeepSeekV3)
	if d := plainSel - plainDS; d != 4096*2*7168*2 {
		t.Errorf("norm outputs dropped: %v bytes, want %v", d, 4096*2*7168*2)
	}
	if got := fp8SavedInputs(4096, dsv3H, dsv3FFN, 1, 2, false, RecomputeDeepSeekV3); got != 4096*(7168+2048) {
		t.Errorf("FP8 saved inputs %v, want %v", got, 4096*(7168+2048))
	}
	// A model without experts keeps its MLP as the plain count does.
	dense := Arch{QLoraRank: 1536, KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128}
	if got := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, 18432, 0, 2, 1, 2, true, true, RecomputeDeepSeekV3, &dense); got != 4096*2*(-12288+2112) {
		t.Errorf("dense MLA model: %v bytes, want %v", got, 4096*2*(-12288+2112))
	}
}

// TestStepDeepSeekV3Recompute: the backward of DeepSeek-V3's MoE layer under its
// recomputation is the one without any (FlashAttention: selective adds nothing) plus
// the query and key/value up projections' forward GEMMs, 4096 × 24,576 × 1,536 and
// 4096 × 32,768 × 512, and the re-run norms and SwiGLU in memory traffic: the two layer
// norms 2·2·4096·7168·2 = 234,881,024 bytes, the latents' 2·4096·(1536 + 512)·2 =
// 33,554,432, and the SwiGLU (read gate and up, write the product) 3·2 bytes on the
// 8·4096 routed and 4096 shared rows of 2048, 6·36,864·2048 = 452,984,832: 721,420,288
// bytes at 3 TB/s. Its forward does not change. Hardware FLOPs per token add the two
// up projections on the 61 layers and the MTP module: 62 · 2 · (1536·128·192 +
// 512·128·256) = 6,761,218,048.
func TestStepDeepSeekV3Recompute(t *testing.T) {
	k := layerKey{h: dsv3H, a: dsv3Heads, kv: dsv3Heads, ffn: dsv3FFN, vocab: dsv3Vocab, experts: dsv3Experts, topk: dsv3TopK, s: 4096, b: 1, cp: 1, tp: 1, ep: 1,
		bytes: 2, rate: 700e12, attn: 350e12, sms: 132, bw: 3e12, tpBus: 1, tpHop: 0, cpBus: 1, epBus: 1, imbalance: 1, gated: true, flash: true, rec: RecomputeNone, arch: &dsv3}
	none := layerStep(&k)
	k.rec = RecomputeDeepSeekV3
	ds := layerStep(&k)
	up := gemmTime(4096, 24576, 1536, 1, 700e12, 132, 3e12, 2, 2) + gemmTime(4096, 32768, 512, 1, 700e12, 132, 3e12, 2, 2)
	want := up + 721420288/3e12
	if got := ds.bwd - none.bwd; math.Abs(got/want-1) > 1e-12 {
		t.Errorf("recomputation adds %v s to the backward, want %v", got, want)
	}
	if ds.fwd != none.fwd {
		t.Errorf("forward %v, want %v unchanged", ds.fwd, none.fwd)
	}
	_, hwSel := archFLOPs(4096, 4096, dsv3H, dsv3Heads, 0, dsv3FFN, dsv3TopK, dsv3Experts, dsv3Vocab, dsv3L, true, true, false, RecomputeSelective, &dsv3)
	_, hwDS := archFLOPs(4096, 4096, dsv3H, dsv3Heads, 0, dsv3FFN, dsv3TopK, dsv3Experts, dsv3Vocab, dsv3L, true, true, false, RecomputeDeepSeekV3, &dsv3)
	if got := (hwDS - hwSel) / 4096; got != 6761218048 {
		t.Errorf("hardware FLOPs per token add %.0f, want 6,761,218,048", got)
	}
}

// TestDualPipeSplit: DualPipe runs an even pp without interleaving and an even number
// of microbatches of at least 2·pp (deepseek-ai/DualPipe dualpipe.py at 3da1bbe:
// num_ranks % 2 == 0, num_chunks % 2 == 0, num_chunks >= num_ranks * 2).
func TestDualPipeSplit(t *testing.T) {
	for _, tc := range []struct {
		pp, v, m float64
		ok       bool
	}{
		{16, 1, 120, true}, {16, 1, 32, true}, {8, 1, 20, true},
		{15, 1, 120, false}, {16, 2, 120, false}, {16, 1, 30, false}, {16, 1, 33, false}, {1, 1, 2, false},
	} {
		if got := DualPipeSplit(tc.pp, tc.v, tc.m); got != tc.ok {
			t.Errorf("pp %v v %v m %v: %v, want %v", tc.pp, tc.v, tc.m, got, tc.ok)
		}
	}
	in, _ := dsv3Step([]*Arch{&dsv3}, 61, 1)
	in.PP[0], in.Microbatches[0], in.DualPipe = 8, 8, []bool{true} // 8 < 2·8
	out := &StepOut{}
	TrainingStep(out, in)
	if out.Valid[0] || out.Reason[0] != StepInvalidDualPipe {
		t.Errorf("DualPipe with 8 microbatches on pp 8: valid %v reason %d, want StepInvalidDualPipe", out.Valid[0], out.Reason[0])
	}
}

// TestStepDualPipe prices a plain dense model (GPT-3-like 8 layers of 4096, no
// experts, TP 1) on PP 4 with 8 microbatches and no data parallelism, whose pipeline is
// then, from one layer's times (fwd, bwd, its wgrad W, the output layer) and a send of
// one microbatch's activations s = n·h·e/bus + hop, DualPipe's schedule
// (dualpipesim.go, checked by hand in dualpipesim_test.go) over four stages of 2 layers,
// the last with the output layer:
//
//	stage 0–2: F = 2·fwd, B = 2·bwd, W = 2·W;  stage 3: B + logits
//	rank 0 holds stage 0 and stage 3; its mean pair (reported, and ep_comm's):
//	compute per overlapped pair  C = (4·(fwd + bwd) + logits)/2
//	communication per pair       S = (4·s)/2 (a send each way for each chunk)
//	F&B = C + S·20/132 (the sends hold 20 of the 132 SMs while they run, S < C)
//	step = the schedule's time + the optimizer's pass over twice a stage's parameters
//	bubble = the last rank's idle time in the schedule
//
// and each rank holds two stages: the optimizer pass is twice 1F1B's.
func TestStepDualPipe(t *testing.T) {
	one := func(x float64) []float64 { return []float64{x} }
	mk := func(dual bool) (*StepIn, *StepOut) {
		in := &StepIn{Layers: one(8), Hidden: one(4096), Heads: one(32), KVHeads: one(0), FFN: one(0), Vocab: one(51200),
			Experts: one(0), TopK: one(0), Params: one(8*12*4096*4096 + 2*51200*4096), ExpertParams: one(0), Gated: []bool{false},
			SeqLen: one(2048), Batch: one(8), Microbatches: one(8), GradAccum: one(1), Accelerators: one(4), PerNode: one(8),
			TP: one(1), PP: one(4), CP: one(1), EP: one(1), VirtualStages: one(1), ZeROStage: one(0), DPShard: one(0),
			SeqParallel: []bool{false}, FlashAttention: []bool{true}, OverlapDP: []bool{false}, FP32Grads: []bool{true}, CPAllGather: []bool{false},
			Eager: []bool{false}, LoRA: []bool{false}, Recompute: []Recompute{RecomputeSelective}, Bytes: one(2), FP8: []FP8Recipe{FP8None}, FP8Rate: one(0),
			PeakFLOPS: one(989e12), MatmulRate: one(700e12), AttentionRate: one(350e12), SMs: one(132), MemBW: one(3e12),
			IntraBus: one(360e9), InterBus: one(45e9), IntraHop: one(NCCLHopNVLinkS), InterHop: one(NCCLHopNetS),
			Congestion: one(1), Straggler: one(1), Imbalance: one(1), DualPipe: []bool{dual}}
		out := &StepOut{}
		TrainingStep(out, in)
		return in, out
	}
	_, dual := mk(true)
	_, base := mk(false)
	if !dual.Valid[0] {
		t.Fatalf("invalid: reason %d", dual.Reason[0])
	}
	lt := dual.memo.t
	s := 2048*4096*2/360e9 + NCCLHopNVLinkS // one microbatch of 2048 tokens inside the node
	C := (4*(lt.fwd+lt.bwd) + lt.logits) / 2
	S := 4 * s / 2
	fb := C + S*20/132
	stages := make([]dpStage, 4)
	for k := range stages {
		stages[k] = dpStage{f: 2 * lt.fwd, b: 2 * lt.bwd, w: 2 * lt.w}
	}
	stages[3].b += lt.logits
	pipeline, bubble := (&dualPipeSim{}).run(stages, 8, s, 132)
	opt := 2 * base.Optimizer[0]
	want := pipeline + opt + dual.DPComm[0]
	relClose(t, "DualPipe step", dual.Step[0], want, 1e-12)
	relClose(t, "DualPipe bubble", dual.Bubble[0], bubble, 1e-12)
	relClose(t, "optimizer over two stages", dual.Optimizer[0], opt, 1e-12)
	relClose(t, "ep_comm: what the sends' SMs cost the pairs", dual.EPComm[0], 8*(fb-C), 1e-9)
	if dual.PPComm[0] != 0 || dual.EPComm[0] <= 0 {
		t.Errorf("sends: pp_comm %v (hidden: want 0), their cost %v (want > 0, on the SMs they hold)", dual.PPComm[0], dual.EPComm[0])
	}
	if !(dual.Bubble[0] < base.Bubble[0]) {
		t.Errorf("DualPipe bubble %v not below 1F1B's %v", dual.Bubble[0], base.Bubble[0])
	}
}

// TestStepDualPipeSMPartition: with all-to-alls in DualPipe's chunk pair, the pair's SMs
// are split for the whole pair (DeepSeek-V3 §3.2.1, "manually adjust the ratio of GPU SMs
// dedicated to communication versus computation"; §3.5.1, 20 of the 132 SMs), so the
// computation runs on 112 of 132 SMs while it runs, not only while a transfer is in
// flight. A plain MoE model (8 layers of 4096, 8 experts, top-2, gated 14336) on PP 4 ×
// EP 2 in one node, 8 microbatches of one 2048-token sequence; from one layer's times, by
// hand, rank 0 holds stages 0 and 3 (2 layers each, the output layer on stage 3):
//
//	compute per pair C = (4·(fwd + bwd − ep) + logits)/2     (the all-to-alls apart)
//	communication    S = (4·ep + 4·send)/2,   send = 2048·4096·2 B / 360e9 + hop
//	F&B = max(S, C·132/112) = C·132/112 here (S is shorter)
//	step = DualPipe's schedule (dualpipesim.go) over four stages of 2 layers — F =
//	       2·(fwd − epF), B = 2·(bwd − epB), W = 2·W, all-to-alls 2·epF and 2·epB, the
//	       output layer on stage 3 — + the optimizer's pass and the gradients' reduction
//	bubble = the last rank's idle time in the schedule
//
// and ep_comm is what the split costs, 8·C·20/112.
func TestStepDualPipeSMPartition(t *testing.T) {
	one := func(x float64) []float64 { return []float64{x} }
	in := &StepIn{Layers: one(8), Hidden: one(4096), Heads: one(32), KVHeads: one(8), FFN: one(14336), Vocab: one(32000),
		Experts: one(8), TopK: one(2), Params: one(12e9), ExpertParams: one(11e9), Gated: []bool{true},
		SeqLen: one(2048), Batch: one(16), Microbatches: one(8), GradAccum: one(1), Accelerators: one(8), PerNode: one(8),
		TP: one(1), PP: one(4), CP: one(1), EP: one(2), VirtualStages: one(1), ZeROStage: one(1), DPShard: one(0),
		SeqParallel: []bool{false}, FlashAttention: []bool{true}, OverlapDP: []bool{false}, FP32Grads: []bool{true}, CPAllGather: []bool{false},
		Eager: []bool{false}, LoRA: []bool{false}, Recompute: []Recompute{RecomputeSelective}, Bytes: one(2), FP8: []FP8Recipe{FP8None}, FP8Rate: one(0),
		PeakFLOPS: one(989e12), MatmulRate: one(700e12), AttentionRate: one(350e12), SMs: one(132), MemBW: one(3e12),
		IntraBus: one(360e9), InterBus: one(45e9), IntraHop: one(NCCLHopNVLinkS), InterHop: one(NCCLHopNetS),
		Congestion: one(1), Straggler: one(1), Imbalance: one(1), DualPipe: []bool{true}}
	out := &StepOut{}
	TrainingStep(out, in)
	if !out.Valid[0] {
		t.Fatalf("invalid: reason %d", out.Reason[0])
	}
	lt := out.memo.t
	send := 2048*4096*2/360e9 + NCCLHopNVLinkS
	C := (4*(lt.fwd+lt.bwd-lt.ep) + lt.logits) / 2
	S := (4*lt.ep + 4*send) / 2
	if lt.ep <= 0 || S >= C*132/112 {
		t.Fatalf("all-to-alls %v s a pair against the split compute %v s: not the regime this test checks", S, C*132/112)
	}
	fb := C * 132 / 112
	epB := lt.ep - lt.epF
	stages := make([]dpStage, 4)
	for k := range stages {
		stages[k] = dpStage{f: 2 * (lt.fwd - lt.epF), b: 2 * (lt.bwd - epB), w: 2 * lt.w, af: 2 * lt.epF, ab: 2 * epB}
	}
	stages[3].b += lt.logits
	pipeline, bubble := (&dualPipeSim{}).run(stages, 8, send, 132)
	relClose(t, "DualPipe step", out.Step[0], pipeline+out.Optimizer[0]+out.DPComm[0], 1e-12)
	relClose(t, "bubble", out.Bubble[0], bubble, 1e-12)
	relClose(t, "ep_comm: the SMs the split takes", out.EPComm[0], 8*(fb-C), 1e-9)
	relClose(t, "ep_comm by hand", out.EPComm[0], 8*C*20/112, 1e-9)
}

// TestTrainingMemoryDualPipe: DualPipe's rank holds two stages — twice the weights,
// gradients and optimizer state — and PP + 1 microbatches of activations where 1F1B's
// first stage holds PP (DualPipe README at 3da1bbe, "Pipeline Bubbles and Memory Usage
// Comparison"): at PP 8 with 16 microbatches in flight the activations are 9/8 of 1F1B's
// (the per-layer tensors and the embedding's dropout mask alike).
func TestTrainingMemoryDualPipe(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	in := func(dual bool) *TrainMemIn {
		return &TrainMemIn{Params: one(70e9), Layers: one(80), Hidden: one(8192), Heads: one(64), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(16), SeqLen: one(4096),
			TP: one(8), PP: one(8), DP: one(1), EP: one(1), ZeROStage: one(1), GradAccum: one(16), TrainableFraction: one(1),
			CommBufferFraction: one(0.05), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(8), FFN: one(28672), Vocab: one(128256),
			ExpertParams: one(0), CP: one(1), VirtualStages: one(1), InFlight: one(16), DPShard: one(0), Gated: []bool{true},
			SeqParallel: []bool{true}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None}, DualPipe: []bool{dual}}
	}
	a, b := &TrainMemOut{}, &TrainMemOut{}
	TrainingMemory(a, in(false))
	TrainingMemory(b, in(true))
	relClose(t, "weights", b.Weights[0], 2*a.Weights[0], 1e-12)
	relClose(t, "gradients", b.Gradients[0], 2*a.Gradients[0], 1e-12)
	relClose(t, "optimizer", b.Optimizer[0], 2*a.Optimizer[0], 1e-12)
	// and rank 0 holds stage 7's one microbatch of logits beside (dualpipe.py's schedule):
	// 4·4096·8192/8·(1 + 128256/8192)·2/2 = 279,445,504 bytes.
	relClose(t, "activations", b.Activations[0], 9.0/8*a.Activations[0]+279445504, 1e-12)
}

// TestAllToAllLink: an all-to-all across nodes leaves each node at its ranks' own NIC
// rate. DeepSeek-V3's EP 64 over 8 nodes of 8 (stride 1), NVLink 400 GB/s, IB 50 GB/s a
// GPU: a rank sends 56/64 of its bytes off the node at 50 GB/s and 7/64 over NVLink
// beside them, so bus = 63 / max(56/50e9, 7/400e9) = 56.25 GB/s, and CollectiveTime's
// (63/64)·m/bus is m·(56/64)/50e9 — where the ring's rate, min(8·50, 8/7·400) = 400
// GB/s, was 7.1 times faster. Where NVLink is the slower side (size 16, 10 and 100
// GB/s): 15 / max(8/100e9, 7/10e9) = 21.43 GB/s. Inside a node it is GroupLink's.
func TestAllToAllLink(t *testing.T) {
	bus, hop := AllToAllLink(1, 64, 8, 400e9, NCCLHopNVLinkS, 50e9, NCCLHopNetS)
	relClose(t, "EP 64 over 8 nodes", bus, 63/(56/50e9), 1e-12)
	_, ringHop := GroupLink(1, 64, 8, 400e9, NCCLHopNVLinkS, 50e9, NCCLHopNetS)
	if hop != ringHop {
		t.Errorf("hop %v, want the ring's mean %v", hop, ringHop)
	}
	m := 470e6
	relClose(t, "all-to-all time", CollectiveTime(CollAllToAll, m, 64, bus, 0)-NCCLBaseLatencyS, m*56/64/50e9, 1e-12)
	bus, _ = AllToAllLink(1, 16, 8, 10e9, NCCLHopNVLinkS, 100e9, NCCLHopNetS)
	relClose(t, "NVLink-bound", bus, 15/(7/10e9), 1e-12)
	in, _ := AllToAllLink(2, 4, 8, 400e9, NCCLHopNVLinkS, 50e9, NCCLHopNetS)
	ring, _ := GroupLink(2, 4, 8, 400e9, NCCLHopNVLinkS, 50e9, NCCLHopNetS)
	if in != ring || in != 400e9 {
		t.Errorf("inside a node: %v, want the scale-up link's %v", in, ring)
	}
}

// TestStepA2AOverlap: Megatron-Core's combined 1F1B on DeepSeek-V3's layers (EP 64 at TP 2
// over 16 nodes, PP 8, 1F1B, 128 microbatches): each microbatch of the steady state takes
// F&B = overlapped(A, t − A) on 20 of the 132 SMs instead of t, where t is the slowest
// rank's microbatch and A its all-to-alls (EPComm/128 without the overlap); the bubble
// (7·t) keeps them. Here A (325 ms) outlasts even the slowed compute ((t − A)·132/112), so
// F&B = A: the step is shorter by 128·(t − A), and ep_comm is what the all-to-alls add
// beyond the compute, 128·(A − (t − A)).
func TestStepA2AOverlap(t *testing.T) {
	in, base := dsv3Step([]*Arch{&dsv3}, 61, 1)
	in.A2AOverlap = []bool{true}
	out := &StepOut{}
	TrainingStep(out, in)
	micro := 128.0
	A := base.EPComm[0] / micro
	tMB := base.Bubble[0] / 7
	C := tMB - A
	if A < C*132/112 {
		t.Fatalf("all-to-alls %v shorter than the slowed compute %v: not the regime this test checks", A, C*132/112)
	}
	relClose(t, "step shorter by", base.Step[0]-out.Step[0], micro*(tMB-A), 1e-9)
	relClose(t, "bubble unchanged", out.Bubble[0], base.Bubble[0], 1e-12)
	relClose(t, "ep_comm beyond the compute", out.EPComm[0], micro*(A-C), 1e-9)
	// Without expert parallelism there is nothing to overlap.
	in.EP[0], in.A2AOverlap = 1, []bool{true}
	a, b := &StepOut{}, &StepOut{}
	TrainingStep(a, in)
	in.A2AOverlap = nil
	TrainingStep(b, in)
	if a.Step[0] != b.Step[0] {
		t.Errorf("ep 1: step %v with the overlap, %v without", a.Step[0], b.Step[0])
	}
}

// TestTrainingMemoryMostLoadedRank: DeepSeek-V3 on its own layout (pp 16, ep 64, dp 128,
// tp 1, ZeRO-1, BF16 moments: 8 optimizer bytes, FP32 gradients, no FP8 here) counts the
// most loaded pipeline rank, not an average stage. By hand (h 7168, V 129280, MLA with
// q_lora 1536, kv_lora 512, nope 128, rope 64, v 128 over 128 heads; SwiGLU):
//
//	attention  = 7168·1536 + 1536·128·192 + 7168·576 + 512·128·256 + 128·128·7168 = 187,105,280
//	dense layer = attention + 3·7168·18432                                    = 583,467,008
//	MoE layer  = attention + shared 3·7168·2048 + router 7168·256              = 232,980,480 dense
//	             + 256 routed experts · 3·7168·2048                           = 11,274,289,152 routed
//	MTP module = an MoE layer + 2·7168² = 335,740,928 dense, 11,274,289,152 routed
//	embedding = output head = 129280·7168                                      = 926,679,040
//
// 61 layers in stages of ⌈61/16⌉ = 4: stage 0 is the embedding, 3 dense layers and one
// MoE layer; stage 15 one MoE layer, the MTP module and the head. Under DualPipe rank 0
// holds both: dense 3·583,467,008 + 2·232,980,480 + 335,740,928 + 2·926,679,040 =
// 4,405,460,992 and routed 3·11,274,289,152/64 = 528,482,304, 4,933,943,296 in all (the
// issue's ~4.93 B; an average stage's two copies were 3.42 B): weights 2 bytes each,
// gradients 4, and the optimizer's 8 bytes sharded over dp 128 (dense) and 128/64 = 2
// (experts): 8·(4,405,460,992/128 + 528,482,304/2) = 2,389,270,528.
//
// Activations: 1F1B's rank 0 keeps its 4 layers for m = min(16, in flight) microbatches
// and the embedding's 1-byte dropout mask (4096·7168 each); DualPipe's rank 0 keeps
// stage 0 for pp = 16 microbatches and stage 15 (2 layers, 2 heads' logits) for 1
// (dualpipe.py's schedule). So with a per-layer x from the two 1F1B points (m 16 and 8,
// x = (A16 − A8 − 8·4096·7168)/32), DualPipe's is 66·x + 16·4096·7168 + 2 logits of
// 4·4096·7168·(1 + 129280/7168)·2/2 = 2,235,564,032 bytes each.
func TestTrainingMemoryMostLoadedRank(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	const routed = 58 * 11274289152.0
	const params = routed + 3*583467008 + 58*232980480 + 2*926679040 // 671,025,397,760: nothing beyond the widths
	arch := &Arch{DenseLayers: 3, DenseFFN: 18432, SharedExperts: 1, QLoraRank: 1536, KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128, MTP: 1}
	in := func(dual bool, inFlight float64) *TrainMemIn {
		return &TrainMemIn{Params: one(params), Layers: one(61), Hidden: one(7168), Heads: one(128), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdamBF16Moments), Recompute: []Recompute{RecomputeDeepSeekV3}, Batch: one(15360), SeqLen: one(4096),
			TP: one(1), PP: one(16), DP: one(128), EP: one(64), ZeROStage: one(1), GradAccum: one(120), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(128), FFN: one(2048), Vocab: one(129280),
			ExpertParams: one(routed), CP: one(1), VirtualStages: one(1), InFlight: one(inFlight), DPShard: one(0), Gated: []bool{true},
			SeqParallel: []bool{false}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None}, DualPipe: []bool{dual},
			Arch: []*Arch{arch}, TopK: one(8)}
	}
	d, a16, a8 := &TrainMemOut{}, &TrainMemOut{}, &TrainMemOut{}
	TrainingMemory(d, in(true, 120))
	TrainingMemory(a16, in(false, 120))
	TrainingMemory(a8, in(false, 8))
	relClose(t, "weights", d.Weights[0], 2*4933943296, 1e-12)
	relClose(t, "gradients", d.Gradients[0], 4*4933943296, 1e-12)
	relClose(t, "optimizer", d.Optimizer[0], 2389270528, 1e-12)
	// 1F1B's rank 0 holds stage 0 alone: dense 2,910,060,544, routed 11,274,289,152/64.
	relClose(t, "1F1B gradients", a16.Gradients[0], 4*(2910060544+176160768), 1e-12)
	mask := 4096 * 7168.0
	x := (a16.Activations[0] - a8.Activations[0] - 8*mask) / 32
	relClose(t, "1F1B activations", a16.Activations[0], 64*x+16*mask, 1e-12)
	relClose(t, "DualPipe activations", d.Activations[0], 66*x+16*mask+2*2235564032, 1e-12)
	if x <= 0 {
		t.Fatalf("per-layer activations %g: want > 0", x)
	}
	total := d.Weights[0] + d.Gradients[0] + d.Optimizer[0] + d.Activations[0] + d.Buffers[0]
	relClose(t, "total", d.Total[0], total, 1e-12)
	if d.Feasible[0] != (total <= 80e9) {
		t.Errorf("feasible %v at %g bytes of 80e9", d.Feasible[0], total)
	}
}

// TestTrainingMemoryLastStage: a plain model's 1F1B last stage holds its ⌈L/pp⌉ layers
// for one microbatch and the output layer's logits, 4·4096·8192/8·(1 + 128256/8192)·2/2 =
// 279,445,504 bytes (Korthikanti §4.3); with one microbatch in flight it outweighs the
// first stage, which holds the same layers and the embedding's dropout mask, 4096/8 (SP)
// · 8192 = 4,194,304 bytes. The first stage's count per microbatch is an eighth of its
// count at 16 in flight (min(pp, 16) = 8 held, layers and mask alike), so at 1 in flight
// the activations are A16/8 − 4,194,304 + 279,445,504; at 16 the first stage's stay.
func TestTrainingMemoryLastStage(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	in := func(inFlight float64) *TrainMemIn {
		return &TrainMemIn{Params: one(70e9), Layers: one(80), Hidden: one(8192), Heads: one(64), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(16), SeqLen: one(4096),
			TP: one(8), PP: one(8), DP: one(1), EP: one(1), ZeROStage: one(1), GradAccum: one(16), TrainableFraction: one(1),
			CommBufferFraction: one(0.05), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(8), FFN: one(28672), Vocab: one(128256),
			ExpertParams: one(0), CP: one(1), VirtualStages: one(1), InFlight: one(inFlight), DPShard: one(0), Gated: []bool{true},
			SeqParallel: []bool{true}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None}}
	}
	a16, a1 := &TrainMemOut{}, &TrainMemOut{}
	TrainingMemory(a16, in(16))
	TrainingMemory(a1, in(1))
	relClose(t, "one in flight", a1.Activations[0], a16.Activations[0]/8-4194304+279445504, 1e-12)
	if a16.Activations[0] <= 8*279445504 {
		t.Errorf("16 in flight: %g bytes, want the first stage's, above the last's", a16.Activations[0])
	}
}

// TestRankContentsInterleaved: DeepSeek-V3 on Megatron-Bridge's PP 8 × VP 4 layout (61
// layers, one MTP module: 64 slots, chunks of 2 — ArchStages) at 128 microbatches. Rank 0
// holds the embedding and layer 0, then layers 15–16, 31–32, 47–48: 7 layers; rank 1
// layers 1–2, 17–18, 33–34, 49–50: 8; rank 7 layers 13–14, 29–30, 45–46, the MTP module
// and the loss: 7 and one head. Megatron-Core's warm-up (schedules.py) and one more,
// over v = 4 chunks: rank 0 (2·7 + 3·8 + 1)/4 = 9.75, rank 1 (2·6 + 24 + 1)/4 = 9.25,
// rank 7 (0 + 24 + 1)/4 = 6.25 stages in flight; so 7·9.75 = 68.25, 8·9.25 = 74 and
// 7·6.25 = 43.75 layer-microbatches, the head's logits for one microbatch (rank 7) and
// the embedding's masks for 9.75 (rank 0). Rank 0's 9.75 is Korthikanti's
// 8·(1 + 7/32) = 9.75.
func TestRankContentsInterleaved(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	arch := &Arch{DenseLayers: 3, DenseFFN: 18432, SharedExperts: 1, QLoraRank: 1536, KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128, MTP: 1}
	in := &TrainMemIn{Params: one(671e9), Layers: one(61), Hidden: one(7168), Heads: one(128), PP: one(8), VirtualStages: one(4),
		InFlight: one(128), KVHeads: one(128), FFN: one(2048), Vocab: one(129280), ExpertParams: one(58 * 11274289152.0),
		Gated: []bool{true}, Arch: []*Arch{arch}}
	ranks := rankContents(in, 0, false, nil)
	if len(ranks) != 8 {
		t.Fatalf("%d ranks, want 8", len(ranks))
	}
	for _, c := range []struct {
		r                           int
		layers, act, logits, embeds float64
	}{{0, 7, 68.25, 0, 9.75}, {1, 8, 74, 0, 0}, {7, 7, 43.75, 2, 0}} {
		got := ranks[c.r]
		if got.layers != c.layers || got.actLayers != c.act || got.logits != c.logits || got.embeds != c.embeds {
			t.Errorf("rank %d: layers %g, layer-microbatches %g, logits %g, masks %g; want %g, %g, %g, %g",
				c.r, got.layers, got.actLayers, got.logits, got.embeds, c.layers, c.act, c.logits, c.embeds)
		}
	}
	// A plain model keeps the first-stage count.
	in.Arch = nil
	if rankContents(in, 0, false, nil) != nil {
		t.Error("a plain model is counted rank by rank")
	}
}
