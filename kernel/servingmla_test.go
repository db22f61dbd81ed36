package kernel

import "testing"

// Multi-head latent attention in the calibrated serving pass (servingmla.go). Widths are
// DeepSeek-V3's (config.json: hidden 7168, 128 heads, q_lora_rank 1536, kv_lora_rank 512,
// qk_nope 128, qk_rope 64, v_head 128, 61 layers) and DeepSeek-V2-Lite's (hidden 2048,
// 16 heads, queries at full rank, the same latent widths, 27 layers); every expected value
// is hand arithmetic written out beside it.

var (
	deepSeekV3MLA = Arch{QLoraRank: 1536, KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128}
	v2LiteMLA     = Arch{KVLoraRank: 512, QKNope: 128, QKRope: 64, VHead: 128}
	v2Lite        = testModel{name: "DeepSeek-V2-Lite (dense-shaped)", family: Transformer, params: 15.7e9, layers: 27, hidden: 2048,
		heads: 16, kvLoraRank: 512, ropeDim: 64}
)

// mlaIn is one calibrated point of a latent model on an H100, its MLP ffn wide (gated)
// and its vocabulary vocab, without a KV head tensor parallelism could split.
func mlaIn(m testModel, a Arch, prec Precision, eff, ffn, vocab, tp, seq, batch float64) *ServeIn {
	in := calIn(m, prec, eff, seq, batch)
	in.KVHeads = one(0)
	in.Heads, in.FFN, in.UpMatrices, in.Vocab = one(m.heads), one(ffn), one(2), one(vocab)
	in.TP = one(tp)
	in.QLoraRank, in.KVLoraRank, in.QKNope, in.QKRope, in.VHead = one(a.QLoraRank), one(a.KVLoraRank), one(a.QKNope), one(a.QKRope), one(a.VHead)
	return in
}

// TestLatentWidths: DeepSeek-V3 at tp 8. One accelerator's matmuls are the replicated
// down projection h → 1536 + 512 + 64 = 2112, the query's up projection 1536 →
// 128·192/8 = 3072, the output projection's 128·128/8 = 2048 → 7168 and the key/value up
// projection 512 → 128·256/8 = 4096; with the down projection counted once and the rest
// on all 8 ranks they are the layer's 187,105,280 attention weights (Arch's count, by
// hand: 7168·1536 + 1536·128·192 = 48,758,784 for the queries, 7168·576 + 512·128·256 =
// 20,905,984 for keys and values, 128·128·7168 = 117,440,512 for the output).
// The core's FLOPs per token per context position: 61 · 2·128·(128 + 64 + 128) =
// 4,997,120 non-absorbed, 61 · 2·128·(2·512 + 64) = 16,990,208 absorbed.
func TestLatentWidths(t *testing.T) {
	m := mlaIn(deepSeekV3, deepSeekV3MLA, FP8, h100FP8Eff, 2048, 129280, 8, 4096, 2).point(0)
	if !m.latent {
		t.Fatal("DeepSeek-V3's widths given, the pass is not latent")
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"down projection width", m.downN, 2112}, {"query up projection depth", m.qUpK, 1536},
		{"query up projection width", m.qUpN, 3072}, {"output projection depth", m.oK, 2048},
		{"key/value up projection width", m.kvUpN, 4096},
		{"non-absorbed core FLOPs per position", m.attnPrefill, 4997120},
		{"absorbed core FLOPs per position", m.attnDecode, 16990208},
		{"layer's attention weights", m.downN*7168 + 8*(m.qUpK*m.qUpN+512*m.kvUpN+m.oK*7168), 187105280},
		{"Arch's count", deepSeekV3MLA.AttentionLinearParams(7168, 128, 128), 187105280},
	} {
		near(t, c.name, c.got, c.want)
	}
}

// TestLatentReplicaMemory: tensor parallelism splits the heads and replicates the down
// projections and the latent cache. DeepSeek-V3 FP8 at tp 8, 2 sequences of 4096 tokens:
// each accelerator holds 671e9/8 bytes of weights, plus 7/8 of the whole down projection
// (61·7168·2112 = 923,467,776; 7/8 of it 808,034,304 bytes) and vLLM's 16-bit copies of its heads' W^UK and
// W^UV (61·512·4096·2 = 255,852,544 bytes), and the whole cache, 61·576·4096·2 =
// 287,834,112 bytes; the replica's weights are 671e9 + 8·(808,034,304 + 255,852,544).
func TestLatentReplicaMemory(t *testing.T) {
	in := mlaIn(deepSeekV3, deepSeekV3MLA, FP8, h100FP8Eff, 2048, 129280, 8, 4096, 2)
	m := in.point(0)
	near(t, "replicated down projection", m.replicated*m.b, 808034304)
	near(t, "16-bit W^UK and W^UV", m.copies16, 255852544)
	mem, w := m.memPerAccel(4096, 2)
	near(t, "weights per accelerator", w, 671e9/8+808034304+255852544)
	near(t, "cache per accelerator", mem-w, 287834112)
	var out ServeOut
	Serving(&out, in)
	near(t, "replica's weights", out.WeightBytes[0], 671e9+8*(808034304+255852544))
	near(t, "replica's cache", out.KVBytes[0], 8*287834112)
	near(t, "memory adds up", out.MemUtilization[0]*h100.capacity*out.Accelerators[0], out.TotalBytes[0])
	// BF16 weights need no 16-bit copies: W^UK and W^UV are views of kv_b_proj.
	bf := mlaIn(deepSeekV3, deepSeekV3MLA, BF16, h100BF16Eff, 2048, 129280, 8, 4096, 2).point(0)
	near(t, "BF16 copies", bf.copies16, 0)
}

// TestLatentPassModes: the pass-dependent part of DeepSeek-V3's attention on one of 8
// BF16 accelerators. A decode token (n = 1) is absorbed: its 16 heads' query through W^UK
// (128 → 512) and output through W^UV (512 → 128), 61·2·tokens·16·(128·512 + 512·128)
// FLOPs, and the core over the latent, 16,990,208·n·context·seqs/8. A 512-token chunk
// at context 2048 is not: the 2048 context tokens' latents up-projected (512 → 4096
// columns on this rank), 61·2·2048·4096·512 FLOPs, and the core 4,997,120·512·1792.5/8
// (causal: 2048 − 511/2 keys a token). With one drafted token a step's two tokens a
// sequence are still a decode (vLLM's threshold 1 + K).
func TestLatentPassModes(t *testing.T) {
	m := mlaIn(deepSeekV3, deepSeekV3MLA, BF16, h100BF16Eff, 2048, 129280, 8, 1000, 4).point(0)
	_, flops, _, core := m.latentPass(4, 1, 1000)
	near(t, "absorbed matmul FLOPs", flops, 61*2*4*16*(128*512+512*128))
	near(t, "absorbed core FLOPs", core, 16990208*1000*4/8)
	_, flops, _, core = m.latentPass(1, 512, 2048)
	near(t, "key/value up projection FLOPs", flops, 61*2*2048*4096*512)
	near(t, "non-absorbed core FLOPs", core, 4997120*512*1792.5/8)
	// FP8 weights: the batched matmuls read vLLM's 16-bit copies, 2 bytes an element of
	// the 4 tokens' inputs and outputs and of the 16 heads' 128 × 512 matrices, at the
	// 16-bit rate.
	f8 := mlaIn(deepSeekV3, deepSeekV3MLA, FP8, h100FP8Eff, 2048, 129280, 8, 1000, 4)
	f8.Rate16 = one(989e12 * h100BF16Eff)
	m8 := f8.point(0)
	t8, _, bytes8, _ := m8.latentPass(4, 1, 1000)
	near(t, "absorbed matmul bytes at FP8", bytes8, 61*16*2*((4*128+128*512+4*512)+(4*512+512*128+4*128)))
	wantT := 61 * (gemmTime(4, 512, 128, 16, 989e12*h100BF16Eff, 0, h100TriadBW, 2, 2) + gemmTime(4, 128, 512, 16, 989e12*h100BF16Eff, 0, h100TriadBW, 2, 2) +
		(MLADecodeMatmuls+2)*KernelS)
	near(t, "absorbed time at FP8", t8, wantT)
	m.specK = 1
	_, flops, _, core = m.latentPass(4, 2, 1000)
	near(t, "verify step's absorbed FLOPs", flops, 61*2*8*16*(128*512+512*128))
	near(t, "verify step's core FLOPs", core, 16990208*2*999.5*4/8)
}

// TestLatentDecodeStep: DeepSeek-V2-Lite-shaped (dense, gated MLP 10944 wide, vocabulary
// 102400) in BF16 on one H100 without tile quantisation, one sequence at 256 tokens: every
// matmul streams its input row, weights and output row at 2 bytes an element; the core's
// 27·2·16·1088·256 = 240.6 MFLOP take 0.3 µs against its cache's 27·576·256·2 bytes'
// 2.7 µs, so the cache binds; the non-matmul kernels move 27·(8·2048 + 16·320 + 2·512 +
// 3·10944) elements; and each layer pays KernelS for its 4 matmul kernels and the latent
// attention's 4 more (query up is the direct projection: down, query, W^UK, W^UV, output
// against QKV and output, and kv_a_layernorm).
func TestLatentDecodeStep(t *testing.T) {
	in := mlaIn(v2Lite, v2LiteMLA, BF16, h100BF16Eff, 10944, 102400, 1, 256, 1)
	var out ServeOut
	Serving(&out, in)
	type mm struct{ n, k, batch float64 }
	layer := []mm{
		{576, 2048, 1},   // down projection: kv_a_proj_with_mqa (no query latent)
		{3072, 2048, 1},  // q_proj: 16 heads · 192
		{2048, 2048, 1},  // output projection: 16 · 128 → 2048
		{21888, 2048, 1}, // gate and up
		{2048, 10944, 1}, // down
		{512, 128, 16},   // W^UK per head
		{128, 512, 16},   // W^UV per head
	}
	var perLayer float64
	for _, g := range layer {
		perLayer += (g.k + g.k*g.n + g.n) * g.batch * 2
	}
	head := (2048 + 2048*102400 + 102400) * 2.0
	kv := 27 * 576 * 256 * 2.0
	act := 27 * (8*2048 + 16*320 + 2*512 + 3*10944) * 2.0
	want := (27*perLayer+head+kv+act)/h100TriadBW + 27*(4+4)*KernelS
	near(t, "ITL", out.ITL[0], want)
}

// TestLatentMixedStep: a stall-free step of DeepSeek-V3 (BF16, tp 8) mixes both of MLA's
// paths. Its prompt part up-projects the latent of each chunk's context: 512-token chunks
// of 2048-token prompts at contexts 512, 1024, 1536 and 2048 up-project (512 + 2048)/2 =
// 1280 rows a chunk on average, 61·2·1280·4096·512 FLOPs, and attend 1024.5 keys a token
// (4,997,120·512·1024.5/8 core FLOPs); whole prompts (4096 tokens of 2048-token prompts)
// up-project their own 4096 rows. Without prompt tokens the mixed step is the decode step.
func TestLatentMixedStep(t *testing.T) {
	m := mlaIn(deepSeekV3, deepSeekV3MLA, BF16, h100BF16Eff, 2048, 129280, 8, 1000, 4).point(0)
	_, flops, _, core := m.latentPrompt(512, 2048)
	near(t, "chunked prompt's up projection FLOPs", flops, 61*2*1280*4096*512)
	near(t, "chunked prompt's core FLOPs", core, 4997120*512*1024.5/8)
	_, flops, _, _ = m.latentPrompt(4096, 2048)
	near(t, "whole prompts' up projection FLOPs", flops, 61*2*4096*4096*512)
	var d step
	m.decodeStep(&d, 32, 3000)
	near(t, "mixed step without prompt tokens", m.mixedPhase(32, 3000, 0, 2048).t, d.itl)
}
