package kernel

import "testing"

// TestExpertTPAllToAllBytes: under sequence parallelism a rank of a TP group holds
// n/tp of the microbatch's tokens and dispatches only those (Megatron-Core
// token_dispatcher.py@d98e8a6, MoEAlltoAllTokenDispatcher.token_dispatch). Mixtral-like
// layer, s 4096, b 1, topk 2, h 4096, BF16, tp 2, ep 2 on a 50 GB/s link:
//
//	bytes a rank sends = 4096/2 · 2 · 4096 · 2 = 33,554,432 (half of the n·topk·h·e the
//	step priced before), one all-to-all over 2 ranks = base + 1 hop + ½ · bytes / 50e9,
//	four of them (dispatch and combine, forward and backward).
//
// With etp 2 the received 2048·2 rows are all-gathered over the 2 expert-TP ranks
// before the expert GEMMs and reduce-scattered after (dispatch_postprocess /
// combine_preprocess), each over a buffer of 2 · 33,554,432 bytes, forward and
// backward: 2 · (AG + RS), each base + 1 hop + ½ · buffer / the TP link's 400 GB/s.
func TestExpertTPAllToAllBytes(t *testing.T) {
	k := layerKey{h: 4096, a: 32, kv: 8, ffn: 14336, experts: 8, topk: 2, s: 4096, b: 1, cp: 1, tp: 2, ep: 2, etp: 1, bytes: 2,
		rate: 794e12, attn: 346e12, sms: 132, bw: 3e12, tpBus: 400e9, tpHop: NCCLHopNVLinkS, etpBus: 400e9, etpHop: NCCLHopNVLinkS,
		epBus: 50e9, epHop: NCCLHopNetS, gated: true, flash: true, sp: true, rec: RecomputeSelective, imbalance: 1}
	msg := 4096.0 / 2 * 2 * 4096 * 2
	a2a := NCCLBaseLatencyS + NCCLHopNetS + 0.5*msg/50e9
	relClose(t, "etp 1: all-to-alls of a rank's n/tp tokens", layerStep(&k).ep, 4*a2a, 1e-12)

	k2 := k
	k2.etp = 2
	buf := 2 * msg
	gather := NCCLBaseLatencyS + NCCLHopNVLinkS + 0.5*buf/400e9
	relClose(t, "etp 2: all-to-alls plus the expert-TP gather and scatter", layerStep(&k2).ep, 4*a2a+2*(gather+gather), 1e-12)

	// The expert GEMMs do the same work either way (2048·2·2/4 = 2048 rows a local
	// expert 14336 wide at etp 1, 4096 rows 7168 wide at etp 2), so the layer's time
	// apart from the communication stays within the GEMM shapes' efficiency.
	a, b := layerStep(&k), layerStep(&k2)
	if ca, cb := a.fwd-a.ep/2, b.fwd-b.ep/2; ca <= 0 || cb <= 0 || ca/cb > 1.2 || cb/ca > 1.2 {
		t.Errorf("forward without the expert communication: etp 1 %g s, etp 2 %g s; want within 20 %%", ca, cb)
	}
}

// TestExpertTPSplit: etp divides tp; MoE at tp > 1 needs sequence parallelism (Megatron
// raises a ValueError in MoELayer.forward otherwise, moe_layer.py@d98e8a6).
func TestExpertTPSplit(t *testing.T) {
	for _, c := range []struct {
		tp, etp, experts float64
		sp               bool
		want             uint8
	}{
		{2, 1, 256, true, StepValid},
		{2, 2, 256, true, StepValid},
		{8, 4, 8, true, StepValid},
		{4, 3, 8, true, StepInvalidETP},
		{2, 4, 8, true, StepInvalidETP}, // wider than the attention's TP group: not modelled
		{2, 1, 8, false, StepInvalidETP},
		{2, 2, 0, false, StepValid}, // a dense model: no MoE layer to refuse
		{1, 1, 8, false, StepValid},
	} {
		if got := ExpertTPSplit(c.tp, c.etp, c.experts, c.sp); got != c.want {
			t.Errorf("ExpertTPSplit(tp %g, etp %g, experts %g, sp %v) = %d, want %d", c.tp, c.etp, c.experts, c.sp, got, c.want)
		}
	}
}

// TestExpertTPWeights: a routed expert's weights split over etp, not tp. 10e9 dense +
// 40e9 expert parameters, tp 4, pp 2, ep 4, no ZeRO, BF16:
//
//	etp 4: (10e9/8 + 40e9/32) · 2 B = (1.25e9 + 1.25e9) · 2 = 5e9 B
//	etp 1: (10e9/8 + 40e9/8)  · 2 B = (1.25e9 + 5e9)    · 2 = 12.5e9 B
func TestExpertTPWeights(t *testing.T) {
	in := func(etp float64) *TrainMemIn {
		return &TrainMemIn{Params: one(50e9), Layers: one(32), Hidden: one(4096), Heads: one(32), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(64), SeqLen: one(4096),
			TP: one(4), PP: one(2), DP: one(8), EP: one(4), ZeROStage: one(0), GradAccum: one(8), TrainableFraction: one(1),
			CommBufferFraction: one(0.05), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(8), FFN: one(14336), Vocab: one(32000),
			ExpertParams: one(40e9), CP: one(1), VirtualStages: one(1), InFlight: one(8), DPShard: one(0), Gated: []bool{true},
			SeqParallel: []bool{true}, Flash: []bool{true}, FP32Grads: []bool{false}, FP8: []FP8Recipe{FP8None}, ETP: one(etp)}
	}
	for _, c := range []struct{ etp, want float64 }{{4, 5e9}, {0, 5e9}, {1, 12.5e9}} {
		out := &TrainMemOut{}
		TrainingMemory(out, in(c.etp))
		relClose(t, "expert weights", out.Weights[0], c.want, 1e-12)
	}
}

// TestMoETPBlockCollectives: under sequence parallelism a dense layer all-gathers its
// sequence shard before, and reduce-scatters after, each of its two blocks (Korthikanti
// et al. 2022 §4.2.2); an MoE layer without a shared expert routes each rank's own shard
// to the experts (Megatron-Core moe_layer.py@d98e8a6, MoELayer.forward), so only its
// attention block has the pair. Mixtral-like layer, s 4096, b 1, h 4096, BF16, tp 2 on
// a 400 GB/s link: one all-gather or reduce-scatter of the microbatch's n·h·e =
// 4096·4096·2 B is base + 1 hop + ½ · 33,554,432 B / 400e9, so the MoE layer's forward
// exposes 2 of them where the dense layer exposes 4, and its backward's exposed
// row-parallel all-gathers are 1, not 2 (the column-parallel layers' overlap only QKV's
// GEMMs). With a shared expert (gathered over TP) the MoE layer has the dense pair again.
func TestMoETPBlockCollectives(t *testing.T) {
	k := layerKey{h: 4096, a: 32, kv: 8, ffn: 14336, experts: 8, topk: 2, s: 4096, b: 1, cp: 1, tp: 2, ep: 1, etp: 2, bytes: 2,
		rate: 794e12, attn: 346e12, sms: 132, bw: 3e12, tpBus: 400e9, tpHop: NCCLHopNVLinkS, etpBus: 400e9, etpHop: NCCLHopNVLinkS,
		epBus: 50e9, epHop: NCCLHopNetS, gated: true, flash: true, sp: true, rec: RecomputeSelective, imbalance: 1}
	one := NCCLBaseLatencyS + NCCLHopNVLinkS + 0.5*4096*4096*2/400e9
	moe := layerStep(&k)
	relClose(t, "MoE forward: the attention block's all-gather and reduce-scatter", moe.tpFwd, 2*one, 1e-12)
	dense := k
	dense.experts, dense.topk = 0, 1
	d := layerStep(&dense)
	relClose(t, "dense forward: both blocks' pairs", d.tpFwd, 4*one, 1e-12)
	// The backward: the dense layer's exposed part less the MoE layer's is one exposed
	// all-gather (MLP-down's) and what the MLP-up GEMMs leave of their overlapped pair.
	if diff := d.tpBwd - moe.tpBwd; diff < one*(1-1e-12) {
		t.Errorf("backward: dense exposes %v s, MoE %v s: want at least one all-gather (%v s) more", d.tpBwd, moe.tpBwd, one)
	}
	withShared := k
	shared := Arch{SharedExperts: 1}
	withShared.arch = &shared
	relClose(t, "MoE with a shared expert: both pairs", layerStep(&withShared).tpFwd, 4*one, 1e-12)
}
