package kernel

import (
	"math"
	"testing"
)

// K/V heads replicated over tensor parallelism wider than them (kvreplicate.go). The
// widths are the models' config.json values: StarCoderBase (GPTBigCode, multi-query)
// h 6144, 48 heads, 1 K/V head, d = 6144/48 = 128, 40 layers; Llama 3 70B h 8192, 64
// heads, 8 K/V heads, d = 128, 80 layers, FFN 28672.
func TestKVReplicationHelpers(t *testing.T) {
	for _, c := range []struct {
		name                     string
		kv, tp                   float64
		splits                   bool
		perRank, replicas, extra float64 // extra: ReplicatedKVWeights at h, heads
		h, heads                 float64
	}{
		// tp divides kv: an even split, nothing replicated.
		{"Llama 3 70B tp 8", 8, 8, true, 1, 1, 0, 8192, 64},
		{"Llama 3 70B tp 4", 8, 4, true, 2, 1, 0, 8192, 64},
		// tp 16 over 8 heads: one head a rank, each on 2 ranks; a rank holds 1 head's K
		// and V (2·8192·128 = 2,097,152 elements a layer) where its 1/16 share is half a
		// head's: 2·8192·128·(1 − 8/16) = 1,048,576 more a layer.
		{"Llama 3 70B tp 16", 8, 16, true, 1, 2, 1048576, 8192, 64},
		// StarCoder (MQA) at tp 2 and 4: the one head on every rank; beyond the 1/tp share
		// 2·6144·128·(1 − 1/2) = 786,432 and 2·6144·128·(1 − 1/4) = 1,179,648 a layer.
		{"StarCoder tp 2", 1, 2, true, 1, 2, 786432, 6144, 48},
		{"StarCoder tp 4", 1, 4, true, 1, 4, 1179648, 6144, 48},
		// 6 K/V heads on 4 ranks: neither ratio whole.
		{"6 heads on tp 4", 6, 4, false, 1.5, 1, 0, 3072, 24},
	} {
		if got := KVSplits(c.kv, c.tp); got != c.splits {
			t.Errorf("%s: KVSplits %v, want %v", c.name, got, c.splits)
		}
		if !c.splits {
			continue
		}
		if got := KVHeadsPerRank(c.kv, c.tp); got != c.perRank {
			t.Errorf("%s: KVHeadsPerRank %g, want %g", c.name, got, c.perRank)
		}
		if got := KVReplicas(c.kv, c.tp); got != c.replicas {
			t.Errorf("%s: KVReplicas %g, want %g", c.name, got, c.replicas)
		}
		if got := ReplicatedKVWeights(c.h, c.heads, c.kv, c.tp); got != c.extra {
			t.Errorf("%s: ReplicatedKVWeights %g, want %g", c.name, got, c.extra)
		}
	}
}

// TestServingKVReplication: the calibrated serving point prices the replicated heads —
// each rank's KV cache is its own head(s)', and its weights carry the K/V projections
// beyond its 1/tp share; the QKV matmul is h/tp + 2·d per rank.
func TestServingKVReplication(t *testing.T) {
	// Llama 3 70B BF16 at tp 16 (each of the 8 K/V heads on 2 ranks), S 4096, batch 4.
	const L, h, heads, kv, d, ffn, P = 80.0, 8192.0, 64.0, 8.0, 128.0, 28672.0, 70.6e9
	in := &ServeIn{
		Params: one(P), Layers: one(L), AttnCoef: one(AttentionFLOPsCoef(L, heads, h)),
		KVElemsPerToken: one(KVElemsPerToken(L, heads, kv, h, 0, 0)),
		Bytes:           one(2), SeqLen: one(4096), Batch: one(4), CachedPrefix: one(0), ChunkTokens: one(0),
		Efficiency: one(0.8), PeakFLOPS: one(989e12), MemBandwidth: one(3.35e12), MemCapacity: one(80e9),
		DispatchTax: one(0), Hidden: one(h), KVHeads: one(kv), Heads: one(heads), FFN: one(ffn), UpMatrices: one(2),
		TP: one(16), TDP: one(700), TPBandwidth: one(450e9), Calibrated: true,
	}
	m := in.point(0)
	// KV per token of the model: 2·80·8·128 = 163,840 elements; a rank holds one head's,
	// 2·80·1·128 = 20,480 = 1/8 of it (not 1/16), so the cache is split 8 ways.
	if got := m.kvTok / m.kvDiv; got != 20480 {
		t.Errorf("KV elements per token per rank = %g, want 20480 (one head's)", got)
	}
	// The QKV matmul's width on a rank: 8192/16 query + 2·1·128 K/V = 768 (not
	// (8192 + 2·8·128)/16 = 640).
	if m.qkvN != 768 {
		t.Errorf("QKV width per rank = %g, want 768", m.qkvN)
	}
	// Weights per rank: P/16 plus 80 layers × 1,048,576 replicated K/V elements, at 2 bytes.
	wantW := (P/16 + 80*1048576) * 2
	_, w := m.memPerAccel(4096, 4)
	if math.Abs(w-wantW) > 1e-9*wantW {
		t.Errorf("weights per rank = %.6g B, want %.6g", w, wantW)
	}
	// At tp 8 the heads split evenly: nothing replicated, the QKV width (8192 + 2048)/8.
	in.TP = one(8)
	m = in.point(0)
	if got := m.kvTok / m.kvDiv; got != 20480 || m.qkvN != 1280 || m.replicated != 0 {
		t.Errorf("tp 8: KV/rank %g, QKV width %g, replicated %g; want 20480, 1280, 0", got, m.qkvN, m.replicated)
	}

	// StarCoder-like MQA (h 6144, 48 heads, 1 K/V head) at tp 2 and tp 4: the cache per
	// rank is one head's, 2·40·128 = 10,240 elements a token, at any tp.
	for _, tp := range []float64{1, 2, 4} {
		in := &ServeIn{
			Params: one(15.5e9), Layers: one(40), AttnCoef: one(AttentionFLOPsCoef(40, 48, 6144)),
			KVElemsPerToken: one(KVElemsPerToken(40, 48, 1, 6144, 0, 0)),
			Bytes:           one(2), SeqLen: one(2048), Batch: one(1), CachedPrefix: one(0), ChunkTokens: one(0),
			Efficiency: one(0.8), PeakFLOPS: one(312e12), MemBandwidth: one(2.0e12), MemCapacity: one(80e9),
			DispatchTax: one(0), Hidden: one(6144), KVHeads: one(1), Heads: one(48), FFN: one(24576), UpMatrices: one(1),
			TP: one(tp), TDP: one(400), TPBandwidth: one(300e9), Calibrated: true,
		}
		m := in.point(0)
		if got := m.kvTok / m.kvDiv; got != 10240 {
			t.Errorf("MQA tp %g: KV elements per token per rank %g, want 10240", tp, got)
		}
		// QKV width: 6144/tp + 2·128; replicated 40 · 2·6144·128·(1 − 1/tp).
		if want := 6144/tp + 256; m.qkvN != want {
			t.Errorf("MQA tp %g: QKV width %g, want %g", tp, m.qkvN, want)
		}
		if want := 40 * 2 * 6144 * 128 * (1 - 1/tp); m.replicated != want {
			t.Errorf("MQA tp %g: replicated elements %g, want %g", tp, m.replicated, want)
		}
	}
}

// TestTrainingKVReplication: the training memory and step price StarCoderBase's one
// K/V head replicated on tp 4 ranks (the BigCode fork's layout, kvreplicate.go).
func TestTrainingKVReplication(t *testing.T) {
	const P, L, h, heads, d = 15.5e9, 40.0, 6144.0, 48.0, 128.0
	// Memory, pp 1 (so the stage's dense parameters are P), tp 4, dp 8, no ZeRO, BF16
	// weights and gradients, Adam's 12 bytes: a rank holds P/4 plus 40 layers ×
	// 2·6144·128·(1 − 1/4) = 1,179,648 replicated K/V elements = 3.875e9 + 47,185,920.
	mem := func(kv float64) *TrainMemOut {
		in := &TrainMemIn{Params: one(P), Layers: one(L), Hidden: one(h), Heads: one(heads), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(64), SeqLen: one(8192),
			TP: one(4), PP: one(1), DP: one(8), EP: one(1), ZeROStage: one(0), GradAccum: one(8), TrainableFraction: one(1),
			CommBufferFraction: one(0.05), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(kv), FFN: one(24576), Vocab: one(49152),
			ExpertParams: one(0), CP: one(1), VirtualStages: one(1), InFlight: one(1), DPShard: one(0), Gated: []bool{false},
			SeqParallel: []bool{true}, Flash: []bool{true}, FP32Grads: []bool{false}, FP8: []FP8Recipe{FP8None}}
		out := &TrainMemOut{}
		TrainingMemory(out, in)
		return out
	}
	perRank := P/4 + 40*1179648.0
	got := mem(1)
	relClose(t, "weights", got.Weights[0], perRank*2, 1e-12)
	relClose(t, "gradients", got.Gradients[0], perRank*2, 1e-12)
	relClose(t, "optimizer", got.Optimizer[0], perRank*OptimizerBytesAdam, 1e-12)
	// Activations: beside the split of 4 K/V heads (kv 4, tp 4: 1 a rank), the one head
	// is the same one a rank — the whole of it per token either way — so MQA at tp 4
	// keeps exactly kv-4's K and V: 2·128·2 B per token per layer, where an even split
	// of one head would keep a quarter of it.
	relClose(t, "activations MQA = one head a rank", got.Activations[0], mem(4).Activations[0], 1e-12)

	// The step, without sequence parallelism: every rank projects all its tokens onto
	// the one head, so the hardware FLOPs exceed the model's by the 3 replicas' K/V
	// projections: tokens · L · 2 · (h · 2d) · (1·4 − 1), forward, dgrad and wgrad (3×).
	step := func(kv float64, sp bool) *StepOut {
		in := &StepIn{Layers: one(L), Hidden: one(h), Heads: one(heads), KVHeads: one(kv), FFN: one(24576), Vocab: one(49152),
			Experts: one(0), TopK: one(0), Params: one(P), ExpertParams: one(0), Gated: []bool{false},
			SeqLen: one(8192), Batch: one(512), Microbatches: one(16), GradAccum: one(1), Accelerators: one(512), PerNode: one(8),
			TP: one(4), PP: one(4), CP: one(1), EP: one(1), VirtualStages: one(1), ZeROStage: one(0), DPShard: one(0),
			SeqParallel: []bool{sp}, FlashAttention: []bool{true}, OverlapDP: []bool{false}, FP32Grads: []bool{true}, CPAllGather: []bool{false},
			Eager: []bool{false}, LoRA: []bool{false}, Recompute: []Recompute{RecomputeSelective}, Bytes: one(2), FP8: []FP8Recipe{FP8None}, FP8Rate: one(0),
			PeakFLOPS: one(312e12), MatmulRate: one(250e12), AttentionRate: one(150e12), SMs: one(108), MemBW: one(2e12),
			IntraBus: one(230e9), InterBus: one(23e9), IntraHop: one(NCCLHopNVLinkS), InterHop: one(NCCLHopNetS),
			Congestion: one(1), Straggler: one(1), Imbalance: one(1)}
		out := &StepOut{}
		TrainingStep(out, in)
		if !out.Valid[0] {
			t.Fatalf("kv %g sp %v: invalid, reason %d", kv, sp, out.Reason[0])
		}
		return out
	}
	tokens := 512 * 8192.0
	mq, split := step(1, false), step(4, false)
	dup := 3 * tokens * L * 2 * (h * 2 * d) * 3
	relClose(t, "duplicated K/V FLOPs", (mq.HWFLOPs[0]-mq.ModelFLOPs[0])-(split.HWFLOPs[0]-split.ModelFLOPs[0]), dup, 1e-9)
	// With sequence parallelism (the fork's scheme) nothing is duplicated, and the TP
	// communication exceeds the 4-head split's by the K/V output's gather and
	// reduce-scatter and the K/V weight gradients' all-reduce over tp. (The step itself
	// may be shorter: one head projected on n/4 tokens is less work than 4 heads' split.)
	mqSP, splitSP := step(1, true), step(4, true)
	relClose(t, "SP: no duplicated FLOPs", mqSP.HWFLOPs[0]-mqSP.ModelFLOPs[0], splitSP.HWFLOPs[0]-splitSP.ModelFLOPs[0], 1e-12)
	// The gradient all-reduce alone: 10 layers a stage, each 2·6144·128 FP32 gradients.
	sync := 10 * CollectiveTime(CollAllReduce, 2*h*d*4, 4, 230e9, NCCLHopNVLinkS)
	if !(mqSP.TPComm[0] > splitSP.TPComm[0]+sync) {
		t.Errorf("SP: MQA at tp 4 TP comm %g s; want above the 4-head split's %g s + the K/V gradient all-reduce %g s",
			mqSP.TPComm[0], splitSP.TPComm[0], sync)
	}
}
