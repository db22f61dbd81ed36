package kernel

// Multi-head latent attention in the calibrated serving pass (docs/PHYSICS.md §33,
// "Multi-head latent attention"). The widths are the training step's description
// (Arch: QLoraRank, KVLoraRank, QKNope, QKRope, VHead); what differs in serving is which
// of MLA's two ways of computing the attention an engine takes (DeepSeek-V2, arXiv:2405.04434,
// §2.1.2; vllm-project/vllm@00a817a vllm/v1/attention/backends/mla/common.py, module
// docstring):
//
//   - non-absorbed ("compute friendly", prefill): the key/value latent of every context
//     token, cached and new, is up-projected to heads·(QKNope + VHead) and the attention
//     runs per head over a QKNope + QKRope query/key and a VHead value, as multi-head
//     attention;
//   - absorbed ("data-movement friendly", decode): W^UK is absorbed into the query
//     (a per-head QKNope → KVLoraRank batched matmul on the new tokens) and W^UV into the
//     output (KVLoraRank → VHead per head), and every head attends over the cached
//     latent itself, KVLoraRank + QKRope wide, with a KVLoraRank-wide value — multi-query
//     attention over the cache.
//
// vLLM decides per request by its query length: at most reorder_batch_threshold tokens
// (1, raised to 1 + the speculative tokens for a backend that takes uniform multi-token
// decode queries, FlashMLA's) is a decode (common.py, MLACommonMetadataBuilder); so a
// pass adding n ≤ 1 + K tokens per sequence is absorbed here, a longer one is not.

// MLA's kernels beyond the GEMMsPerLayer a layer with grouped-query attention launches
// (vllm-project/vllm@002d607 vllm/model_executor/models/deepseek_v2.py,
// DeepseekV2MLAAttention): the attention's matmuls are the fused down projection
// (fused_qkv_a_proj: q_a_proj and kv_a_proj_with_mqa in one GEMM; kv_a_proj_with_mqa
// alone without a query latent, beside q_proj), the query's up projection, the output
// projection and either the key/value up projection (non-absorbed: 4 for grouped-query
// attention's 2) or the two absorbed batched matmuls (5); and it norms its latents
// (q_a_layernorm with a query latent, kv_a_layernorm).
const (
	MLAPrefillMatmuls = 2 // fused down, query up, key/value up, output − (QKV, output)
	MLADecodeMatmuls  = 3 // fused down, query up, W^UK, W^UV, output − (QKV, output)
)

// latentShape sets one accelerator's MLA matmul widths (called by layerShape when m.mla
// is latent) and returns the activation elements per token its attention kernel and
// latent norms read and write. Tensor parallelism splits the heads (q_b_proj, kv_b_proj
// column-parallel, o_proj row-parallel) and replicates the down projections
// (ReplicatedLinear) and the latent cache on every rank (deepseek_v2.py; vLLM's MLA
// attention backends take the whole latent, num_kv_heads 1).
func (m *llm) latentShape() (attnIO float64) {
	a := &m.mla
	h, heads, tp := m.hidden, m.heads, m.tp
	m.latent = true
	// Down projection h → QLoraRank + KVLoraRank + QKRope, replicated; query up
	// projection QLoraRank (h without a query latent) → heads·(QKNope + QKRope)/tp; the
	// output projection's input heads·VHead/tp; key/value up projection KVLoraRank →
	// heads·(QKNope + VHead)/tp (latentPass).
	m.downN = a.QLoraRank + a.KVLoraRank + a.QKRope
	m.qUpK = a.QLoraRank
	if m.qUpK <= 0 {
		m.qUpK = h
	}
	m.qUpN = heads * (a.QKNope + a.QKRope) / tp
	m.oK = heads * a.VHead / tp
	m.kvUpN = heads * (a.QKNope + a.VHead) / tp
	// The core's FLOPs per token per context position over the model's layers: 2 per
	// query/key and per value element of each head (archAttentionScores: QKNope + QKRope
	// and VHead non-absorbed), and KVLoraRank + QKRope and KVLoraRank absorbed.
	m.attnPrefill = m.layers * archAttentionScores(1, h, heads, a)
	m.attnDecode = m.layers * 2 * heads * (2*a.KVLoraRank + a.QKRope)
	// Every rank holds the whole down projection where its share would be 1/tp of it:
	// (1 − 1/tp) of it more per layer of its stage. Weights below 16 bits add vLLM's
	// 16-bit copies of W^UK and W^UV for the absorbed batched matmuls ("we currently do
	// not have quantized bmm's ... store fp16/bf16 copies", common.py,
	// MLACommonImpl.process_weights_after_loading), the rank's heads' share of them.
	stage := m.layers / m.pp
	m.replicated = stage * h * m.downN * (1 - 1/tp)
	if m.b < 2 {
		m.copies16 = stage * a.KVLoraRank * m.kvUpN * 2
	}
	// The attention kernel reads its heads' queries and writes their outputs
	// (non-absorbed widths); the two latent RMSNorms read and write the query and
	// key/value latents on every rank.
	return heads*(a.QKNope+a.QKRope+a.VHead)/tp + 2*(a.QLoraRank+a.KVLoraRank)
}

// latentPass is the part of MLA's attention that depends on the pass, for seqs sequences
// adding n tokens each at context s on one stage: the key/value up projection of the
// context's latent (non-absorbed) or the absorbed batched matmuls on the new tokens, with
// the kernels this adds beyond a grouped-query layer's, and the attention core's FLOPs
// on one accelerator.
func (m *llm) latentPass(seqs, n, s float64) (t, flops, bytes, core float64) {
	ctx := m.attnContext(n, s)
	if n <= 1+m.specK {
		t, flops, bytes = m.latentAbsorbed(seqs * n)
		t += m.latentKernels(false, true)
		return t, flops, bytes, m.attnDecode * n * ctx * seqs / m.shards
	}
	// Non-absorbed: the latent of the whole context, the cached tokens' too, is
	// up-projected each pass (vLLM's chunked-context prefill recomputes it from the
	// cache, common.py "Chunked Prefill").
	t, flops, bytes = m.latentUp(seqs * max(s, n))
	t += m.latentKernels(true, false)
	return t, flops, bytes, m.attnPrefill * n * ctx * seqs / m.shards
}

// latentAbsorbed is the absorbed batched matmuls of `tokens` decode tokens on one stage:
// per head, the QKNope query through W^UK to the latent and the latent output through
// W^UV, in 16 bits (vLLM's copies) at the 16-bit rate.
func (m *llm) latentAbsorbed(tokens float64) (t, flops, bytes float64) {
	if tokens <= 0 {
		return 0, 0, 0
	}
	a := &m.mla
	rate, e := m.rate, m.b
	if m.b < 2 {
		e = 2
		if m.rate16 > 0 {
			rate = m.rate16
		}
	}
	local := m.heads / m.tp
	t1, f1, b1 := m.latentGemm(tokens, a.KVLoraRank, a.QKNope, local, rate, e)
	t2, f2, b2 := m.latentGemm(tokens, a.VHead, a.KVLoraRank, local, rate, e)
	return t1 + t2, f1 + f2, b1 + b2
}

// latentUp is the key/value up projection of `rows` latents on one stage (KVLoraRank →
// heads·(QKNope + VHead)/tp), at the weights' rate and bytes.
func (m *llm) latentUp(rows float64) (t, flops, bytes float64) {
	return m.latentGemm(rows, m.kvUpN, m.mla.KVLoraRank, 1, m.rate, m.b)
}

// latentGemm is one matmul of each of the stage's layers, timed by gemmTime.
func (m *llm) latentGemm(rows, cols, depth, batch, rate, e float64) (t, flops, bytes float64) {
	layers := m.layers / m.pp
	t = layers * gemmTime(rows, cols, depth, batch, rate, m.sms, m.bw, e, e)
	flops = layers * 2 * rows * cols * depth * batch
	bytes = layers * (rows*depth + depth*cols + rows*cols) * batch * e
	return t, flops, bytes
}

// latentKernels is the fixed cost of the kernels MLA adds to a stage's layers beyond a
// grouped-query layer's: its latent RMSNorms, and the matmuls of the non-absorbed pass
// (prefill), of the absorbed one (decode), or of both in a step that mixes them (the key/value
// up projection beside the two batched matmuls).
func (m *llm) latentKernels(prefill, decode bool) float64 {
	k := 1.0 // kv_a_layernorm
	if m.mla.QLoraRank > 0 {
		k++ // q_a_layernorm
	}
	switch {
	case prefill && decode:
		k += MLADecodeMatmuls + 1
	case decode:
		k += MLADecodeMatmuls
	default:
		k += MLAPrefillMatmuls
	}
	return m.layers / m.pp * k * KernelS
}

// latentPrompt is a mixed step's prompt part (mixedStage): k prompt tokens of n-token
// prompts, each chunk up-projecting the latent of its context — (n + c)/2 rows a chunk
// of c = min(k, n) tokens on average over a prompt's chunks, k rows for whole prompts — and
// their core over (n + 1)/2 keys a token.
func (m *llm) latentPrompt(k, n float64) (t, flops, bytes, core float64) {
	if k <= 0 {
		return 0, 0, 0, 0
	}
	c := min(k, n)
	t, flops, bytes = m.latentUp(k * (n + c) / (2 * c))
	return t, flops, bytes, m.attnPrefill * k * m.attnContext(n, n) / m.shards
}
