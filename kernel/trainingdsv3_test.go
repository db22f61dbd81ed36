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
