package kernel

import (
	"math"
	"testing"
)

// dsv3 is DeepSeek-V3's structure as its technical report (arXiv:2412.19437, §4.2
// Hyper-Parameters) and config.json state it: 61 layers of hidden size 7168, 128 heads,
// MLA with query rank 1536, key/value rank 512, 128-wide non-rotary and 64-wide rotary
// query/key heads and 128-wide value heads; the first 3 layers dense (SwiGLU 18432
// wide), the other 58 MoE layers of 1 shared and 256 routed experts 2048 wide, 8 routed
// per token; vocabulary 129280, untied; one MTP module.
var dsv3 = Arch{DenseLayers: 3, DenseFFN: 18432, SharedExperts: 1,
	QLoraRank: 1536, KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128, MTP: 1}

const (
	dsv3L, dsv3H, dsv3Heads, dsv3Vocab        = 61.0, 7168.0, 128.0, 129280.0
	dsv3Experts, dsv3TopK, dsv3FFN, dsv3Gated = 256.0, 8.0, 2048.0, 3.0
)

// TestArchParamsDeepSeekV3 counts DeepSeek-V3's parameters by hand and against the
// published 671B total and 37B activated (technical report, abstract and §4.2).
func TestArchParamsDeepSeekV3(t *testing.T) {
	// Attention per layer: q down 7168·1536 = 11,010,048; q up 1536·128·192 = 37,748,736;
	// kv down 7168·(512+64) = 4,128,768; kv up 512·128·(128+128) = 16,777,216;
	// out 128·128·7168 = 117,440,512; sum 187,105,280.
	attn := dsv3.AttentionLinearParams(dsv3H, dsv3Heads, 0)
	if attn != 187105280 {
		t.Fatalf("MLA parameters per layer %v, want 187,105,280", attn)
	}
	// Layers: 61·187,105,280 = 11,413,422,080 (attention); 3·3·7168·18432 =
	// 1,189,085,184 (dense MLPs); 58·(257·3·7168·2048 + 7168·256) = 58·11,320,164,352 =
	// 656,569,532,416 (shared and routed experts, routers); embeddings 2·129280·7168 =
	// 1,853,358,080. Total 671,025,397,760.
	// Routed: 58·256·44,040,192 = 653,908,770,816. Active: total − routed + 58·8·44,040,192
	// (20,434,649,088) = 37,551,276,032. MTP: one MoE layer (187,105,280 + 11,320,164,352)
	// and its 2·7168·7168 projection (102,760,448) = 11,610,030,080.
	total, routed, active, mtp := ArchParams(dsv3L, dsv3H, dsv3Heads, 0, dsv3Vocab, dsv3Experts, dsv3TopK, dsv3FFN, dsv3Gated, &dsv3)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"total", total, 671025397760}, {"routed", routed, 653908770816}, {"active", active, 37551276032}, {"mtp", mtp, 11610030080}} {
		if c.got != c.want {
			t.Errorf("%s = %.0f, want %.0f", c.name, c.got, c.want)
		}
	}
	// Published: "671B total parameters with 37B activated for each token".
	if d := math.Abs(total/671e9 - 1); d > 0.001 {
		t.Errorf("total %.4g is %.2f %% from the published 671B", total, 100*d)
	}
	if d := math.Abs(active/37e9 - 1); d > 0.02 {
		t.Errorf("active %.4g is %.2f %% from the published 37B", active, 100*d)
	}
}

// TestArchFLOPsDeepSeekV3: the forward FLOPs per token at 4096 tokens, by hand, and
// against Megatron-Bridge's own count (its performance summary, DGX-H100 table,
// DeepSeekV3 row: 338 model TFLOP/s per GPU at 1297 tokens/s per GPU, 260.6 GFLOP
// per token, causal attention).
func TestArchFLOPsDeepSeekV3(t *testing.T) {
	// Per token, forward: attention linears 2·187,105,280 = 374,210,560; scores
	// 2·4096·128·(192+128) = 335,544,320 (full s²); dense MLP 2·3·7168·18432 =
	// 792,723,456; MoE MLP 2·3·9·7168·2048 + router 2·7168·256 = 796,393,472;
	// MTP projection 2·2·7168² = 205,520,896; each output head 2·7168·129280 =
	// 1,853,358,080.
	// 3 dense layers: 3·1,502,478,336 = 4,507,435,008; 58 MoE layers: 58·1,506,148,352 =
	// 87,356,604,416; MTP: 1,711,669,248; two heads: 3,706,716,160; sum
	// 97,282,424,832; × 3 = 291,847,274,496 per token.
	const tokens = 4096.0
	model, hw := archFLOPs(tokens, 4096, dsv3H, dsv3Heads, 0, dsv3FFN, dsv3TopK, dsv3Experts, dsv3Vocab, dsv3L, true, true, false, RecomputeSelective, &dsv3)
	perToken := model / tokens
	if math.Abs(perToken/291847274496-1) > 1e-12 {
		t.Fatalf("model FLOPs per token %.0f, want 291,847,274,496", perToken)
	}
	if hw != model {
		t.Errorf("selective recompute with FlashAttention adds nothing: hw %v, model %v", hw, model)
	}
	// Causal attention halves the scores: 291,847,274,496 − 3·62·335,544,320/2 =
	// 260,641,652,736, Megatron-Bridge's 338e12/1297 = 260.6e9 to its three digits.
	causal := perToken - 3*62*335544320/2
	if d := math.Abs(causal/(338e12/1297) - 1); d > 0.002 {
		t.Errorf("causal FLOPs per token %.4g, %.2f %% from Megatron-Bridge's 260.6 GFLOP", causal, 100*d)
	}
	_, full := archFLOPs(tokens, 4096, dsv3H, dsv3Heads, 0, dsv3FFN, dsv3TopK, dsv3Experts, dsv3Vocab, dsv3L, true, true, false, RecomputeFull, &dsv3)
	// Full recompute adds one forward of the layers (not the heads): 97,282,424,832 −
	// 3,706,716,160 = 93,575,708,672 per token.
	if got := (full - model) / tokens; math.Abs(got/93575708672-1) > 1e-12 {
		t.Errorf("full recompute adds %.0f per token, want 93,575,708,672", got)
	}
	// LoRA: the layers' GEMMs 2× (the layers' forward 93,575,708,672 less the scores
	// 62·335,544,320 = 20,803,747,840: 72,771,960,832 → 145,543,921,664), the scores 3×
	// (62,411,243,520), adapters of rank 16 on Q, K, V, O 3× (3·62·2·(2·16·7168·4) =
	// 341,311,488), the frozen heads 2× (7,413,432,320): 215,709,908,992 per token.
	lora, _ := archFLOPs(tokens, 4096, dsv3H, dsv3Heads, 0, dsv3FFN, dsv3TopK, dsv3Experts, dsv3Vocab, dsv3L, true, true, true, RecomputeSelective, &dsv3)
	if got := lora / tokens; math.Abs(got/215709908992-1) > 1e-12 {
		t.Errorf("LoRA FLOPs per token %.0f, want 215,709,908,992", got)
	}
}

// TestArchStages: Megatron-Bridge runs DeepSeek-V3 on PP 8 × VP 4 with the layout
// "Et|(tt|)*30mL" (NVIDIA-NeMo/Megatron-Bridge@f37f883a, scripts/performance/configs/
// deepseek/deepseek_v3_llm_pretrain.yaml): 32 chunks of two slots; chunk j runs on rank
// j mod 8. Rank 0: the embedding and layer 0 (dense), and chunks 8, 16, 24 (6 MoE
// layers); rank 1: layers 1, 2 (dense) and 6 MoE; ranks 2–6: 8 MoE layers; rank 7: 6
// MoE layers, then the MTP module and the loss (two output heads).
func TestArchStages(t *testing.T) {
	ranks, ok := ArchStages(61, 8, 4, &dsv3)
	if !ok {
		t.Fatal("PP 8 × VP 4 refused")
	}
	want := []stageMix{{dense: 1, moe: 6}, {dense: 2, moe: 6}, {moe: 8}, {moe: 8}, {moe: 8}, {moe: 8}, {moe: 8}, {moe: 6, mtp: 1, logits: 2}}
	for r, w := range want {
		if ranks[r] != w {
			t.Errorf("rank %d runs %+v, want %+v", r, ranks[r], w)
		}
	}
	// PP 8 without interleaving: ⌈61/8⌉ = 8 layers a rank, the last 5 with the MTP and
	// the loss — Megatron-Bridge's own (8, 1) layout for DeepSeek-V3 (recipes/deepseek/
	// deepseek_v3.py at 5c32e742: embedding + 8, 6 × 8, 5 + mtp + loss).
	ranks, _ = ArchStages(61, 8, 1, &dsv3)
	if ranks[0] != (stageMix{dense: 3, moe: 5}) || ranks[6] != (stageMix{moe: 8}) || ranks[7] != (stageMix{moe: 5, mtp: 1, logits: 2}) {
		t.Errorf("PP 8: %+v", ranks)
	}
	if _, ok := ArchStages(6, 8, 1, &dsv3); ok {
		t.Error("6 layers on 8 ranks laid out")
	}
}

// dsv3Step is one calibrated step of DeepSeek-V3 on H100-like parts (the runStep
// rates at FP8-free BF16), laid out as the Megatron-Bridge run: TP 2, PP 8, VP 4,
// EP 64, 1024 accelerators, 8192 sequences of 4096 in microbatches of 1.
func dsv3Step(arch []*Arch, L, v float64) (*StepIn, *StepOut) {
	one := func(x float64) []float64 { return []float64{x} }
	in := &StepIn{Layers: one(L), Hidden: one(dsv3H), Heads: one(dsv3Heads), KVHeads: one(0), FFN: one(dsv3FFN), Vocab: one(dsv3Vocab),
		Experts: one(dsv3Experts), TopK: one(dsv3TopK), Params: one(671025397760), ExpertParams: one(653908770816), Gated: []bool{true},
		SeqLen: one(4096), Batch: one(8192), Microbatches: one(128), GradAccum: one(1), Accelerators: one(1024), PerNode: one(8),
		TP: one(2), PP: one(8), CP: one(1), EP: one(64), VirtualStages: one(v), ZeROStage: one(1), DPShard: one(0),
		SeqParallel: []bool{true}, FlashAttention: []bool{true}, OverlapDP: []bool{true}, FP32Grads: []bool{false}, CPAllGather: []bool{false},
		Eager: []bool{false}, LoRA: []bool{false}, Recompute: []Recompute{RecomputeSelective}, Bytes: one(2), FP8: []FP8Recipe{FP8None}, FP8Rate: one(gptFP8Rate),
		Arch: arch, PeakFLOPS: one(989e12), MatmulRate: one(700e12), AttentionRate: one(350e12), SMs: one(132), MemBW: one(3e12),
		IntraBus: one(360e9), InterBus: one(45e9), IntraHop: one(NCCLHopNVLinkS), InterHop: one(NCCLHopNetS),
		Congestion: one(1), Straggler: one(1), Imbalance: one(1)}
	out := &StepOut{}
	TrainingStep(out, in)
	return in, out
}

// TestTrainingStepDeepSeekV3: the step counts the structure's FLOPs and active
// parameters, and lays the 61 layers and the MTP module out on PP 8 × VP 4, which a
// plain model of 61 layers cannot take.
func TestTrainingStepDeepSeekV3(t *testing.T) {
	_, out := dsv3Step([]*Arch{&dsv3}, 61, 4)
	if !out.Valid[0] {
		t.Fatalf("invalid: reason %d", out.Reason[0])
	}
	tokens := 8192.0 * 4096
	if got := out.ModelFLOPs[0] / tokens; math.Abs(got/291847274496-1) > 1e-12 {
		t.Errorf("model FLOPs per token %.0f, want 291,847,274,496 (TestArchFLOPsDeepSeekV3)", got)
	}
	if got := out.SixPFLOPs[0] / tokens; math.Abs(got/(6*37551276032)-1) > 1e-12 {
		t.Errorf("6P per token %.0f, want 6 · 37,551,276,032", got)
	}
	// Without the MTP slot the layout does not fill 32 chunks (63 slots): refused.
	noMTP := dsv3
	noMTP.MTP = 0
	if _, o := dsv3Step([]*Arch{&noMTP}, 61, 4); o.Valid[0] || o.Reason[0] != StepInvalidLayers {
		t.Errorf("61 layers without MTP on PP 8 × VP 4: valid %v reason %d", o.Valid[0], o.Reason[0])
	}
	// A rank's busy time is its layers': the pace is the slowest rank's, whose
	// microbatch is at least the 8 MoE layers of a middle rank.
	if out.LayerFwd[0] <= 0 || out.Compute[0] < 128*8*(out.LayerFwd[0]+out.LayerBwd[0])-out.TPComm[0]-out.EPComm[0]-out.CPComm[0] {
		t.Errorf("compute %v below 128 microbatches × 8 MoE layers (fwd %v, bwd %v)", out.Compute[0], out.LayerFwd[0], out.LayerBwd[0])
	}
}

// TestArchLayerTimes: latent attention, the shared expert and the dense MLP change a
// layer's time in the direction of their FLOPs, and the plain model is untouched.
func TestArchLayerTimes(t *testing.T) {
	k := layerKey{h: dsv3H, a: dsv3Heads, kv: dsv3Heads, ffn: dsv3FFN, vocab: dsv3Vocab, experts: dsv3Experts, topk: dsv3TopK, s: 4096, b: 1, cp: 1, tp: 1, ep: 1,
		bytes: 2, rate: 700e12, attn: 350e12, sms: 132, bw: 3e12, tpBus: 1, tpHop: 0, cpBus: 1, epBus: 1, imbalance: 1, gated: true, flash: true, rec: RecomputeSelective}
	plain := layerStep(&k)
	k.arch = &Arch{SharedExperts: 1}
	shared := layerStep(&k)
	// One more expert on every token: 3 GEMMs of 4096 × 2048 × 7168 forward (about
	// 2·3·4096·2048·7168 / 700e12 = 0.52 ms), twice that backward.
	extraF := shared.fwd - plain.fwd
	if want := 2 * 3 * 4096 * 2048 * 7168 / 700e12; extraF < want || extraF > 1.5*want {
		t.Errorf("shared expert adds %v s forward, want about %v", extraF, want)
	}
	k.arch = &dsv3
	mla := layerStep(&k)
	dense, mtp := archLayers(&k)
	// MLA's projections (187.1M weights) do fewer FLOPs than multi-head attention's
	// 4·7168² = 205.5M, but its attention core is 320 wide per head against 2·56.
	if mla.fwd <= shared.fwd {
		t.Errorf("MLA layer forward %v not above the multi-head one %v (its scores are 2.9× wider)", mla.fwd, shared.fwd)
	}
	// A dense layer (18432-wide SwiGLU, 792.7 MFLOP/token) against an MoE layer on one
	// rank with all 256 experts (9 experts' 792.7 MFLOP/token, but 256 small GEMMs and
	// the permutation): dense runs no permutation, so it is the faster.
	if dense.fwd >= mla.fwd {
		t.Errorf("dense layer forward %v not below the MoE layer's %v", dense.fwd, mla.fwd)
	}
	if mtp.fwd <= mla.fwd || mtp.logits != 0 {
		t.Errorf("MTP forward %v not above its MoE layer's %v, or it kept the logits %v", mtp.fwd, mla.fwd, mtp.logits)
	}
}

// TestArchActivations: DeepSeek-V3's layer keeps, per token, beyond the plain count
// (kv = heads = 128, ffn = 2048, gated): MLA split 2·128·192 + 2·128·128 − (2·7168 +
// 2·7168) = 53,248 and replicated 2·(1536 + 512) + 64 = 4,160; MoE 3·2048·(8 + 1 − 1) =
// 49,152 per MoE layer, dense 3·18432 − 3·2048 = 49,152 per dense layer (the same:
// 9·2048 = 18432). At TP 2: (53,248 + 49,152)/2 + 4,160 = 55,360 elements, × 4096
// tokens × 2 bytes = 453,509,120 bytes; nothing under full recomputation.
func TestArchActivations(t *testing.T) {
	got := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, dsv3TopK, dsv3L, 2, 2, true, false, RecomputeSelective, &dsv3)
	if got != 453509120 {
		t.Errorf("extra activations %v bytes, want 453,509,120", got)
	}
	if got := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, dsv3TopK, dsv3L, 2, 2, true, false, RecomputeFull, &dsv3); got != 0 {
		t.Errorf("full recompute keeps %v extra bytes, want 0", got)
	}
}

// TestArchParamsDenseMLA: a dense model with latent attention (no experts) counts one
// MLP per layer: 2 layers of 187,105,280 + 3·7168·18432 = 396,361,728, and the
// embeddings 2·129280·7168 = 1,853,358,080: 3,020,292,096, all active.
func TestArchParamsDenseMLA(t *testing.T) {
	a := Arch{QLoraRank: 1536, KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128}
	total, routed, active, mtp := ArchParams(2, dsv3H, dsv3Heads, 0, dsv3Vocab, 0, 0, 18432, 3, &a)
	if total != 3020292096 || routed != 0 || active != total || mtp != 0 {
		t.Errorf("total %v routed %v active %v mtp %v, want 3,020,292,096, 0, all, 0", total, routed, active, mtp)
	}
}

// TestArchLayersWithoutDenseOrMTP: a latent-attention MoE model that states no dense
// layers and no MTP module (a YAML entry or config.json with MLA widths and experts
// only) gets no dense or MTP layer times, and its step stays finite. Before, the
// dense layer was timed at DenseFFN 0 (NaN) and multiplied by 0 dense layers.
func TestArchLayersWithoutDenseOrMTP(t *testing.T) {
	a := dsv3
	a.DenseLayers, a.DenseFFN, a.MTP = 0, 0, 0
	k := layerKey{h: dsv3H, a: dsv3Heads, kv: dsv3Heads, ffn: dsv3FFN, vocab: dsv3Vocab, experts: dsv3Experts, topk: dsv3TopK, s: 4096, b: 1, cp: 1, tp: 1, ep: 1,
		bytes: 2, rate: 700e12, attn: 350e12, sms: 132, bw: 3e12, tpBus: 1, tpHop: 0, cpBus: 1, epBus: 1, imbalance: 1, gated: true, flash: true, rec: RecomputeSelective, arch: &a}
	dense, mtp := archLayers(&k)
	if dense != (layerTimes{}) || mtp != (layerTimes{}) {
		t.Errorf("no dense layers and no MTP: dense %+v, mtp %+v, want zero times", dense, mtp)
	}
}

// TestMoEExpertInputs: the routed copies of the tokens that an MoE layer's experts save
// for their first GEMM's weight gradient, by hand:
//
//	Mixtral-like, BF16, TP 1: 4096 tokens · top-2 · 4096 · 2 B = 67,108,864 B a layer;
//	DeepSeek-V3 at TP 2 with etp 1 (Megatron-Bridge's layout), FP8: a rank routes its
//	  2048 tokens, 2048 · 8 · 7168 · 1 B = 117,440,512 B an MoE layer, × 58/61 of the
//	  layers; at etp 2 it keeps the TP group's 4096 tokens' copies, twice that;
//	full recomputation keeps none, nor does a layer without routing.
func TestMoEExpertInputs(t *testing.T) {
	if got := MoEExpertInputs(4096, 4096, 2, 1, 1, 2, 1, false, RecomputeNone); got != 67108864 {
		t.Errorf("Mixtral-like: %v B, want 67,108,864", got)
	}
	want := 58.0 / 61 * 117440512
	if got := MoEExpertInputs(4096, 7168, 8, 2, 1, 2, 58.0/61, true, RecomputeSelective); math.Abs(got/want-1) > 1e-15 {
		t.Errorf("DeepSeek-V3 etp 1: %v B, want %v", got, want)
	}
	if got := MoEExpertInputs(4096, 7168, 8, 2, 2, 2, 58.0/61, true, RecomputeSelective); math.Abs(got/(2*want)-1) > 1e-15 {
		t.Errorf("DeepSeek-V3 etp 2: %v B, want %v", got, 2*want)
	}
	if got := MoEExpertInputs(4096, 7168, 8, 2, 1, 2, 1, false, RecomputeFull); got != 0 {
		t.Errorf("full recomputation: %v B, want 0", got)
	}
	if got := MoEExpertInputs(4096, 7168, 0, 2, 1, 2, 1, false, RecomputeNone); got != 0 {
		t.Errorf("no routing: %v B, want 0", got)
	}
}

// TestArchActivationsFP8MLPOutputs: under FP8 every MLP-down GEMM saves its input, the
// activation's output, as a 1-byte cast. Mixtral's shape (ffn 14336, top-2, gated, TP 1,
// selective, 4096 tokens, b 2): archActivations counts the second expert's MLP, (2 + 1)·
// 14336 elements a token at 2 B = 4096 · 2 · 43,008 = 352,321,536 B in BF16, and with FP8
// its activation output (14336) at 1 byte, 4096 · 14336 = 58,720,256 B less. DeepSeek-V3's
// dense layers (DenseFFN 18432, 3 of 61) likewise keep the 18432 − 2048 = 16,384 elements
// of activation output beyond the base count's at 1 byte, and its MoE layers the 8 further
// experts' (7 routed + 1 shared) 8 · 2048: at TP 1, 4096 · (3 · 16384 + 58 · 16384)/61 B less.
func TestArchActivationsFP8MLPOutputs(t *testing.T) {
	bf16 := archActivations(4096, 4096, 32, 8, 14336, 2, 32, 1, 2, true, false, RecomputeSelective, &Arch{})
	fp8 := archActivations(4096, 4096, 32, 8, 14336, 2, 32, 1, 2, true, true, RecomputeSelective, &Arch{})
	if bf16 != 352321536 || bf16-fp8 != 58720256 {
		t.Errorf("Mixtral-like: BF16 %v B (want 352,321,536), FP8 %v B less (want 58,720,256)", bf16, bf16-fp8)
	}
	d16 := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, dsv3TopK, dsv3L, 1, 2, true, false, RecomputeSelective, &dsv3)
	d8 := archActivations(4096, dsv3H, dsv3Heads, dsv3Heads, dsv3FFN, dsv3TopK, dsv3L, 1, 2, true, true, RecomputeSelective, &dsv3)
	want := 4096 * (3*16384 + 58*16384) / 61.0
	if got := d16 - d8; math.Abs(got/want-1) > 1e-12 {
		t.Errorf("DeepSeek-V3: FP8 keeps %v B less, want %v", got, want)
	}
}
