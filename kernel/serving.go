package kernel

import "math"

// Serving is the LLM serving model (physics.md §6.1, ServingModel; Wall 4): TTFT,
// inter-token latency, KV cache and memory of one replica (tp · pp accelerators) serving
// batch sequences of context S. Two profiles share the input (ServeIn); docs/PHYSICS.md
// §5 (seed) and §33 (calibrated) give every equation.
//
// Seed (ServeIn.Calibrated false), the seed's Profile B extended to layouts:
//
//	n      = max(1, S − cached prefix)                       new prompt tokens
//	TTFT   = (2·P·n·B + 4·L·H·d·n·S·B) / (F·η·tp) + dispatch · chunks + TP all-reduces
//	KV     = kv elements per token · S · B · b_kv            (full context, MLA aware)
//	ITL    = (P·b + KV) / tp / BW_HBM + L · 0.01 ms + TP all-reduces
//	feasible iff (P·b + KV) / (tp · pp) ≤ HBM capacity
//
// With chunked prefill of c tokens, chunks = ceil(n/c) and the longest chunk,
// (2·P·c'·B + 4·L·H·d·c'·S·B)/(F·η) + dispatch with c' = min(c, n), bounds how
// long one chunk stalls decode. P is the total parameter count, also for MoE (as the seed).
// Tensor parallelism (Shoeybi et al. 2019, Megatron-LM §3) all-reduces the activations
// twice per layer: 2·L·ring(tokens·B·h·b, tp, β, 500 ns) over the scale-up link. Pipeline
// stages (pp) hold 1/pp of the layers; a token crosses pp − 1 stage boundaries, each a
// point-to-point send of B·h·b bytes. Speculative decoding follows the seed's §6.1: K
// draft steps of (W_draft + KV_draft)/BW, then the target step, divided by the expected
// accepted tokens (SpecExpectedTokens).
//
// Calibrated (ServeIn.Calibrated): every forward pass is a roofline over the replica's
// pipeline — max(FLOPs at the efficiency, bytes at the measured streaming bandwidth) per
// stage — plus a fixed cost per matmul kernel (GEMMKernelS, GEMMsPerLayer per layer), the
// TP all-reduces, the pipeline's point-to-point sends and the engine's per-step overhead
// (StepOverhead). MoE models compute with their active parameters and read the dense part
// plus the experts a step's tokens touch (ExpertsTouched); the KV cache shards over
// min(tp, KV heads). Decode splits the batch into min(pp, B) microbatches, so each stage
// re-reads its weights once per microbatch. Speculative decoding verifies K + 1 tokens per
// sequence in one step after K draft steps (a draft model's own roofline, or one layer of
// the target for a multi-token-prediction module). A model with multi-head latent attention
// is priced with its latent widths (servingmla.go): MLA's projections, the non-absorbed core
// in prefill and the absorbed one in decode, its down projections and cache on every rank.
func Serving(out *ServeOut, in *ServeIn) {
	n := len(in.Params)
	out.resize(n)
	m := llm{memo: &out.memo}
	out.runStart = in.runStarts(out.runStart, n)
	for i := 0; i < n; i++ {
		if out.runStart[i] {
			in.load(&m, i)
		} else {
			in.reload(&m, i)
		}
		if m.calibrated {
			servingCalibrated(out, in, &m, i)
		} else {
			servingSeed(out, in, &m, i)
		}
	}
}

func servingSeed(out *ServeOut, in *ServeIn, m *llm, i int) {
	s, batch := in.SeqLen[i], in.Batch[i]
	ttft, chunks, chunkMax := m.seedPrefill(batch, math.Max(1, s-in.CachedPrefix[i]), s, in.ChunkTokens[i])
	itl, comm, sends, total := m.seedDecode(batch, s)
	kv := m.kvTok * s * batch * m.bkv
	perAcc := total / m.tp
	if m.pp > 1 {
		perAcc /= m.pp
	}
	out.TTFT[i] = ttft
	out.ITL[i] = itl
	out.KVBytes[i] = kv
	out.WeightBytes[i] = m.p * m.b
	out.TotalBytes[i] = total
	out.MemUtilization[i] = perAcc / m.capacity
	out.TokensPerS[i] = batch / itl
	out.Chunks[i] = chunks
	out.ChunkTime[i] = chunkMax
	out.TPComm[i] = comm
	out.PPComm[i] = sends
	out.Feasible[i] = perAcc <= m.capacity
	out.MemSlack[i] = m.memSlack(perAcc, 0)
	out.ComputeBound[i] = false
	out.Accelerators[i] = m.tp * m.pp
	out.PowerW[i] = m.seedDecodePower(batch, s, itl)
	out.EnergyPerToken[i] = out.PowerW[i] * out.Accelerators[i] * itl / batch
}

// seedTPComm is the seed's TP communication of one forward pass of batch sequences of
// `tokens` tokens: two ring all-reduces per layer of the precision's bytes.
func (m *llm) seedTPComm(tokens, batch float64) float64 {
	if m.tp == 1 {
		return 0
	}
	return 2 * m.layers * RingAllReduce(tokens*batch*m.hidden*m.b, m.tp, m.upBW, NVLinkLatencyS)
}

// seedPPSends is the pipeline's pp − 1 stage-boundary sends (ours, on the seed's terms).
func (m *llm) seedPPSends(tokens, batch float64) float64 {
	if m.pp == 1 {
		return 0
	}
	return (m.pp - 1) * PointToPoint(tokens*batch*m.hidden*m.b, m.upBW, NVLinkLatencyS)
}

// seedPrefill is the seed's TTFT of batch prompts of n new tokens at context s in chunks
// of c (0 = one): FLOPs at F·η·tp, the exchanges, and the dispatch tax per chunk.
func (m *llm) seedPrefill(batch, n, s, c float64) (ttft, chunks, longest float64) {
	rate := m.peak * m.eff * m.tp
	ttft = ForwardFLOPs(m.p, m.coef, n, s, batch)/rate + m.seedTPComm(n, batch) + m.seedPPSends(n, batch)
	chunks = 1
	if c > 0 {
		chunks = math.Max(1, math.Ceil(n/c))
		cc := math.Min(c, n)
		longest = ForwardFLOPs(m.p, m.coef, cc, s, batch)/rate + m.seedTPComm(cc, batch) + m.dispatch
	}
	ttft += m.dispatch * chunks
	return ttft, chunks, longest
}

// seedDecode is the seed's decode step at context s: the replica's weights and KV cache
// over tp at the datasheet bandwidth, the layer tax and the exchanges, and with drafting
// the seed's speculative step. It also returns the TP and PP exchange times and the
// replica's bytes (weights, KV, draft).
func (m *llm) seedDecode(batch, s float64) (itl, comm, sends, total float64) {
	total = m.p*m.b + m.kvTok*s*batch*m.bkv
	comm = m.seedTPComm(1, batch)
	sends = m.seedPPSends(1, batch)
	itl = total/m.tp/m.bw + LayerTaxS*m.layers + comm + sends
	if m.specK > 0 {
		dw, dkv := m.seedDraft(s, batch)
		total += dw + dkv
		itl = (m.specK*(dw+dkv)/m.tp/m.bw + itl) / SpecExpectedTokens(m.specK, m.specA)
	}
	return itl, comm, sends, total
}

// seedDecodePower is the seed's draw during a decode step of itl seconds (SeedPowerW at
// the step's hardware-FLOP utilisation).
func (m *llm) seedDecodePower(batch, s, itl float64) float64 {
	return SeedPowerW(m.tdp, ForwardFLOPs(m.p, m.coef, 1, s, batch)/m.tp/itl/m.peak)
}

// seedDraft is the draft model's weights and KV cache at context s for batch sequences
// (the seed's t_draft numerator): a draft model's own, or one layer of the target for a
// multi-token-prediction module.
func (m *llm) seedDraft(s, batch float64) (w, kv float64) {
	if m.draftP > 0 {
		return m.draftP * m.b, m.draftKV * s * batch * m.bkv
	}
	return m.p * m.b / m.layers, m.kvTok / m.layers * s * batch * m.bkv
}

func servingCalibrated(out *ServeOut, in *ServeIn, m *llm, i int) {
	s, batch := in.SeqLen[i], in.Batch[i]
	newTok := max(1, s-in.CachedPrefix[i])
	ttft, chunks, chunkMax := m.prefill(batch, newTok, s, in.ChunkTokens[i])
	var d step
	m.decodeStep(&d, batch, s)

	w := m.weights
	// The replica's KV cache is what its tp · pp accelerators hold, kv / kvDiv each: a cache
	// that tp cannot split (a latent one, or fewer KV heads than tp ranks) is held in
	// tp / kvShards copies. It was counted once, so DeepSeek-V3 at tp 8 reported 2.30 GB of
	// cache and 674 GB in all beside a memory utilisation that holds 690 GB.
	kv := m.kvTok * m.kvContext(s) * batch * m.bkv * m.tp * m.pp / m.kvDiv
	total := w + kv
	perAcc, wAcc := m.memPerAccel(s, batch)
	if m.specK > 0 {
		dw, dkv := m.draftBytes(s, batch)
		total += dw + dkv
	}
	out.TTFT[i] = ttft
	out.ITL[i] = d.itl
	out.KVBytes[i] = kv
	out.WeightBytes[i] = w
	out.TotalBytes[i] = total
	out.MemUtilization[i] = perAcc / m.capacity
	out.TokensPerS[i] = batch / d.itl
	out.Chunks[i] = chunks
	out.ChunkTime[i] = chunkMax
	out.TPComm[i] = d.tpComm
	out.PPComm[i] = d.ppComm
	out.Feasible[i] = perAcc <= m.budget(wAcc)
	out.MemSlack[i] = m.memSlack(perAcc, wAcc)
	out.ComputeBound[i] = d.computeBound
	out.Accelerators[i] = m.tp * m.pp
	out.PowerW[i] = m.power(&d)
	out.EnergyPerToken[i] = out.PowerW[i] * out.Accelerators[i] * d.itl / batch
}

// Constants of the calibrated serving physics (docs/PHYSICS.md §33).
const (
	// KernelS is the fixed cost of one kernel beyond its roofline time — its launch, the
	// fill before its first bytes arrive and the tail of its last wave: the median, over
	// the twelve 64- and 128-row FP8 GEMMs of DeepGEMM's published H800 table
	// (deepseek-ai/DeepGEMM, initial README, a6d97a1), of the measured time minus
	// max(FLOPs at 1402.6 TFLOP/s, bytes at 2.97 TB/s) — 3.34 µs; TestKernelS recomputes
	// it. Every kernel boundary of a layer pays it, not only the matmuls' (docs/PHYSICS.md §33).
	KernelS = 3.3e-6
	// GEMMsPerLayer: a transformer layer runs four weight matmuls (QKV, output projection,
	// up/gate, down; Shoeybi et al. 2019 Fig. 3). A serving engine adds its other kernels
	// (ServeIn.KernelsPerLayer).
	GEMMsPerLayer = 4
	// ExchangeBytesPerElem: tensor-, pipeline- and expert-parallel exchanges carry 16-bit activations.
	ExchangeBytesPerElem = 2
	// ActivationBytesPerElem: the engines keep the activations between a layer's kernels
	// in 16 bits (bf16/fp16 model dtype; FP8 checkpoints quantise inside the matmul or
	// its input kernel): vLLM's LlamaDecoderLayer, SGLang's, TensorRT-LLM's
	// (docs/PHYSICS.md §33).
	ActivationBytesPerElem = 2
	// ResidualNormElems: a layer's two fused residual-add RMSNorms each read the hidden
	// state and the residual and write both, 4 elements per hidden unit each
	// (vllm-project/vllm csrc/layernorm_kernels.cu fused_add_rms_norm: input and residual
	// in, both updated in place).
	ResidualNormElems = 8
	// SeedEfficiency is ServingModel's default efficiency η (physics.md §6.1), what a
	// serving point runs at when neither the user nor a measurement says otherwise.
	SeedEfficiency = 0.5
	// DefaultNodeSize: accelerators on one scale-up link when the layout states none
	// (HGX/DGX H100 and H200, MI300X OAM platforms: 8).
	DefaultNodeSize = 8
)

// SpecExpectedTokens is the expected number of tokens a speculative step emits with K
// drafted tokens each accepted with probability α (Leviathan et al. 2023, eq. 1):
// (1 − α^(K+1)) / (1 − α), and K + 1 at α = 1.
func SpecExpectedTokens(k, alpha float64) float64 {
	if alpha >= 1 {
		return k + 1
	}
	return (1 - math.Pow(alpha, k+1)) / (1 - alpha)
}

// ExpertsTouched is the expected number of distinct experts that `tokens` tokens route to
// when each picks k of E experts uniformly (the load balance a router is trained for,
// Fedus et al. 2021): E · (1 − (1 − k/E)^tokens).
func ExpertsTouched(experts, k, tokens float64) float64 {
	return experts * (1 - math.Pow(1-k/experts, tokens))
}

// llm is one point of the shared serving input resolved to scalars, with the defaults of
// ServeIn's optional columns applied, and the per-point terms every pass reuses (derive).
type llm struct {
	p, pa, layers, hidden, coef, kvTok, kvHeads float64
	experts, topk                               float64
	b, bkv                                      float64
	eff, peak, bw, capacity, tdp                float64
	tp, pp, ep                                  float64
	upBW, upLat, fabBW, fabLat, nodeSize        float64
	stepOH, dispatch                            float64
	host                                        *HostStep // the engine's measured host time per step (HostStep column; calibrated); nil = none
	passTokens                                  float64   // the engine's prompt tokens per prefill pass (PrefillTokens; 0 = no limit)
	specK, specA                                float64
	kernels, moeKernels, arLat, arPerRank       float64
	arMax, arMaxTwo                             float64
	draftP, draftL, draftCoef, draftKV          float64
	draftHidden, draftKVHeads                   float64
	heads, ffn, upMats, sms, vocab              float64
	memFrac, rate16, attn16                     float64
	sus, sus16                                  float64 // sustained (power-limited) matmul rates of the weights' precision and of 16 bits (SustainedRate; 0 = none: no power limit)
	profileTokens                               float64
	window, localFrac                           float64 // sliding window (tokens; 0 = none) and the share of the layers that use it
	mla                                         Arch    // multi-head latent attention's widths (calibrated; the zero Arch: not latent)
	memFree, fp8Attn, nccl, nvlink, nvls        bool
	denseExperts                                bool    // the engine runs every token through each of a rank's whole experts (MoEDenseExperts)
	moeTiles                                    bool    // the engine's fused MoE runs this shape on its default tiles (FusedMoEDefault; calibrated)
	l2bw                                        float64 // measured L2 load bandwidth (L2Bandwidth; 0 = none)
	calibrated                                  bool
	graphCap                                    float64 // the largest captured CUDA-graph batch when the engine pads decode-only batches to one (CUDAGraphBatch); 0 = no padding

	// Set by derive from the fields above; a pass only reads them, so a point costs one
	// derive and not one per pass (the sweep's hot path, BENCHMARKS.md).
	rate, shards, kvDiv, kernelT float64 // peak·η, tp·pp, KV shards·pp, kernels' fixed cost per stage
	attnRate, headRate, headB    float64 // the attention core's rate; the output layer's rate and bytes per element
	susW, susHead, susAttn       float64 // sustained rates of the weight matmuls, the output layer and the attention core (PowerLimitedS; 0 = no power limit)
	weights                      float64 // p·b (and the 16-bit output layer, and in each copy what every rank replicates): the replica's weight bytes, what a dense model reads per pass
	dense, a2a, measuredAR       bool    // weights do not depend on tokens; MoE all-to-all over ep > 1; the engine's all-reduce
	ncclAR                       bool    // the engine all-reduces with NCCL inside a node (NCCLAllReduce)
	arLimit                      float64 // bytes: the largest message the engine's own kernel takes at this tp; 0 = no limit
	tpBW, tpLat, epBW, epLat     float64 // links of the tensor- and expert-parallel groups
	ppBW, ppLat                  float64 // link between pipeline stages
	gemms                        bool    // the layer's shape is known: each matmul timed on its own (gemmTime)
	qkvN, oK, upN, downK, restN  float64 // one accelerator's matmul widths (see layerShape)
	actElems                     float64 // activation elements per token the stage's non-matmul kernels read and write (see layerShape)
	profileAct                   float64 // bytes of the engine's profiling forward's live activations on one accelerator (see layerShape)
	latent                       bool    // the attention is latent and its widths known: its matmuls and core priced as MLA's (latentShape)
	downN, qUpK, qUpN, kvUpN     float64 // MLA: one accelerator's matmul widths (see latentShape)
	attnPrefill, attnDecode      float64 // MLA: the attention core's FLOPs per token per context position, non-absorbed and absorbed (see latentShape)
	replicated                   float64 // weight elements one accelerator holds beyond its 1/(tp·pp) share (MLA's replicated down projections, see latentShape)
	copies16                     float64 // bytes one accelerator holds of 16-bit copies of quantised weights (MLA's absorbed W^UK, W^UV, see latentShape)

	memo    *passMemo // the caller's output struct's memo of passes; nil = compute every pass
	shapeID uint64    // the memo's id of this matmul shape; 0 = not interned since derive
}

// opt is column i, or def when the optional column is absent (nil, or shorter than
// the others: the kernels' inputs document optional columns so).
func opt[T any](col []T, i int, def T) T {
	if i >= len(col) {
		return def
	}
	return col[i]
}

func (in *ServeIn) point(i int) llm {
	var m llm
	in.load(&m, i)
	return m
}

// load resolves point i into m (reused across a batch's points, so nothing is copied).
func (in *ServeIn) load(m *llm, i int) {
	m.p, m.layers, m.coef, m.kvTok = in.Params[i], opt(in.Layers, i, 1), in.AttnCoef[i], in.KVElemsPerToken[i]
	m.b, m.eff, m.peak, m.bw, m.capacity = in.Bytes[i], in.Efficiency[i], in.PeakFLOPS[i], in.MemBandwidth[i], in.MemCapacity[i]
	m.hidden, m.kvHeads = opt(in.Hidden, i, DefaultHidden), opt(in.KVHeads, i, 0)
	m.experts, m.topk = opt(in.Experts, i, 0), opt(in.ExpertsPerToken, i, 0)
	m.tp, m.pp, m.ep = max(1, opt(in.TP, i, 1)), max(1, opt(in.PP, i, 1)), max(1, opt(in.EP, i, 1))
	m.upBW, m.upLat = opt(in.TPBandwidth, i, OffloadFallbackBytesPerS), NVLinkLatencyS
	m.fabBW, m.fabLat = opt(in.FabricBandwidth, i, 0), opt(in.FabricLatency, i, InfiniBandNDRLatencyS)
	m.nodeSize, m.tdp = opt(in.NodeSize, i, DefaultNodeSize), opt(in.TDP, i, 0)
	m.stepOH, m.dispatch = opt(in.StepOverhead, i, 0), in.DispatchTax[i]
	m.host = nil
	if k := int(opt(in.HostStep, i, 0)); k > 0 && k <= len(in.HostSteps) && in.Calibrated {
		m.host = &in.HostSteps[k-1]
	}
	m.kernels, m.moeKernels = opt(in.KernelsPerLayer, i, GEMMsPerLayer), opt(in.MoEKernels, i, 0)
	m.arLat, m.arPerRank = opt(in.AllReduceLatency, i, 0), opt(in.AllReducePerRank, i, 0)
	m.nccl, m.nvlink = opt(in.AllReduceNCCL, i, 0) > 0, opt(in.ScaleUpNVLink, i, 0) > 0
	m.nvls = in.Calibrated && opt(in.ScaleUpNVLS, i, 0) > 0
	m.arMax, m.arMaxTwo = opt(in.AllReduceMax, i, 0), opt(in.AllReduceMaxTwo, i, 0)
	m.specK = opt(in.SpecTokens, i, 0)
	m.heads, m.ffn, m.upMats, m.sms = opt(in.Heads, i, 0), opt(in.FFN, i, 0), opt(in.UpMatrices, i, 1), opt(in.SMs, i, 0)
	m.vocab = opt(in.Vocab, i, 0)
	m.memFrac, m.memFree = opt(in.MemoryFraction, i, 0), opt(in.MemoryOfFree, i, 0) > 0
	m.profileTokens = opt(in.ProfileTokens, i, 0)
	m.passTokens = opt(in.PrefillTokens, i, 0)
	m.rate16, m.fp8Attn = opt(in.Rate16, i, 0), opt(in.FP8Attention, i, 0) > 0
	m.denseExperts = opt(in.MoEDenseExperts, i, 0) > 0 && in.Calibrated
	m.l2bw = opt(in.L2Bandwidth, i, 0)
	m.moeTiles = in.Calibrated && m.l2bw > 0 && opt(in.FusedMoEDefault, i, 0) > 0
	m.attn16 = opt(in.AttentionRate16, i, 0)
	m.sus, m.sus16 = 0, 0
	if in.Calibrated {
		m.sus, m.sus16 = opt(in.SustainedRate, i, 0), opt(in.SustainedRate16, i, 0)
	}
	if m.specK > 0 {
		m.specA = opt(in.SpecAcceptance, i, 0)
		m.draftP, m.draftL = opt(in.DraftParams, i, 0), opt(in.DraftLayers, i, 0)
		m.draftCoef, m.draftKV = opt(in.DraftCoef, i, 0), opt(in.DraftKVElems, i, 0)
		m.draftHidden, m.draftKVHeads = opt(in.DraftHidden, i, 0), opt(in.DraftKVHeads, i, 0)
	} else {
		m.specA, m.draftP, m.draftL, m.draftCoef, m.draftKV, m.draftHidden, m.draftKVHeads = 0, 0, 0, 0, 0, 0, 0
	}
	m.calibrated = in.Calibrated
	m.mla = Arch{}
	if r, nope, v := opt(in.KVLoraRank, i, 0), opt(in.QKNope, i, 0), opt(in.VHead, i, 0); r > 0 && nope > 0 && v > 0 && in.Calibrated {
		m.mla = Arch{QLoraRank: opt(in.QLoraRank, i, 0), KVLoraRank: r, QKNope: opt(in.QKNope, i, 0), QKRope: opt(in.QKRope, i, 0), VHead: opt(in.VHead, i, 0)}
	}
	// Sliding-window attention bounds the cache and the attention of the layers that use
	// it (calibrated; docs/PHYSICS.md §33). The seed counts every layer at full context.
	m.window, m.localFrac = 0, 0
	if w := opt(in.SlidingWindow, i, 0); w > 0 && in.Calibrated {
		m.window, m.localFrac = w, min(1, opt(in.SlidingLayers, i, 0)/m.layers)
		if m.localFrac <= 0 {
			m.window, m.localFrac = 0, 0
		}
	}
	if m.hidden == 0 {
		m.hidden = DefaultHidden
	}
	m.pa = opt(in.ActiveParams, i, 0)
	if m.pa <= 0 || m.pa > m.p {
		m.pa = m.p
	}
	m.bkv = opt(in.KVBytes, i, 0)
	if m.bkv <= 0 {
		m.bkv = m.b
	}
	if m.fabBW <= 0 {
		m.fabBW = m.upBW
	}
	if m.tdp <= 0 {
		m.tdp = FallbackTDPW
	}
	if in.Calibrated {
		if a := opt(in.AchievableBW, i, 0); a > 0 {
			m.bw = a
		}
	} else {
		// The seed's P is the total count, also for MoE, and its TTFT keeps the dispatch tax.
		m.pa = m.p
	}
	m.derive()
}

// derive sets the per-point terms from the fields; call it again after changing the
// layout (tp, pp, ep) or the model.
func (m *llm) derive() {
	m.shards = m.tp * m.pp
	m.kvDiv = m.kvShards() * m.pp
	stageLayers := m.layers
	if m.pp != 1 {
		stageLayers /= m.pp
	}
	m.dense = m.experts <= m.topk || m.topk <= 0 || m.pa >= m.p
	perLayer := m.kernels
	if m.experts > 0 {
		perLayer += m.moeKernels
	}
	if m.denseLocal() {
		// Each local expert is its own small MLP (vLLM's MixtralMLP of pull request #2090:
		// w1 and w3 apart, SiLU, the product, w2) weighted by a mask it computes (==, ×,
		// sum), scaled in place and added to the sum (docs/PHYSICS.md §33): 10 kernels an
		// expert; the layer count already holds one gate-and-up and one down matmul and a
		// SiLU-and-multiply, and the first expert adds nothing.
		perLayer += DenseExpertKernels*m.localExperts() - 4
	}
	m.kernelT = stageLayers * perLayer * KernelS
	m.a2a = m.ep > 1 && m.experts > 0 && !m.denseLocal()
	m.tpBW, m.tpLat = m.link(m.tp)
	inNode := !(m.nodeSize > 0 && m.tp > m.nodeSize)
	// An engine's one-shot kernel reads every peer's buffer at once over the scale-up
	// link; between PCIe-only peers the engines hand more than two ranks to NCCL: vLLM's
	// and SGLang's CustomAllreduce refuse 'more than two PCIe-only GPUs', TensorRT-LLM's
	// AUTO strategy takes NCCL without NVLink (docs/PHYSICS.md §33, pcieNCCL).
	m.ncclAR = (m.nccl || m.pcieNCCL()) && inNode
	m.measuredAR = !m.ncclAR && m.arLat > 0 && inNode
	m.arLimit = m.arMax
	if m.tp <= 2 {
		m.arLimit = m.arMaxTwo
	}
	m.epBW, m.epLat = m.link(m.ep)
	m.ppBW, m.ppLat = m.link(m.tp * m.pp)
	m.layerShape()
	m.rates() // after layerShape: the weights count its replicated parts
	m.shapeID = 0
}

// rates sets derive's terms that read the point's rates (eff, rate16, attn16): reload
// calls it alone for a point that differs from the one before only in them, so every
// term that reads one of them belongs here.
func (m *llm) rates() {
	m.rate = m.peak * m.eff
	// Weights below 16 bits quantise the layers' linear operators only: the output layer
	// stays 16-bit, and the attention core runs on 16-bit queries unless the engine runs
	// it at 8 bits (docs/PHYSICS.md §33). Without a 16-bit rate, everything runs at m.rate.
	m.attnRate, m.headRate, m.headB = m.rate, m.rate, m.b
	attn16 := m.b == 2
	if m.rate16 > 0 && m.b < 2 {
		m.headRate, m.headB = m.rate16, 2
		if !(m.fp8Attn && m.b == 1) {
			m.attnRate, attn16 = m.rate16, true
		}
	}
	// A 16-bit attention core runs at the fused attention kernel's measured rate where
	// the accelerator has one (docs/PHYSICS.md §33), as in the training step.
	if attn16 && m.attn16 > 0 {
		m.attnRate = m.attn16
	}
	// The power limit (docs/PHYSICS.md §33, "Power-limited matmul rate"): each FLOP at
	// its precision's sustained rate, the 16-bit output layer and attention core at the
	// 16-bit one.
	m.susW, m.susHead, m.susAttn = m.sus, m.sus, m.sus
	if m.sus16 > 0 && m.b < 2 {
		if m.headB == 2 {
			m.susHead = m.sus16
		}
		if attn16 {
			m.susAttn = m.sus16
		}
	}
	m.weights = m.p * m.b
	if m.calibrated && m.vocab > 0 && m.headB != m.b {
		m.weights += m.vocab * m.hidden * (m.headB - m.b)
	}
	// What every accelerator holds beyond its 1/(tp·pp) share (latent attention's
	// replicated down projections and 16-bit copies, latentShape), in each copy.
	if m.replicated > 0 || m.copies16 > 0 {
		m.weights += (m.replicated*m.b + m.copies16) * m.shards
	}
}

// layerShape sets one accelerator's share of a layer's four weight matrices (QKV and
// output projection column- and row-parallel over tp; MLP up/gate and down per expert,
// the experts spread over ep and each one's width over tp/ep) and of the parameters
// outside the layers (embedding and output layer), so each matmul can be timed on its
// own (calibrated, when the model's shape is known: heads and MLP width).
func (m *llm) layerShape() {
	m.gemms = m.calibrated && m.ffn > 0 && m.heads > 0
	m.profileAct = 0 // without the layer's shape the profiling peak is not known
	m.latent, m.replicated, m.copies16 = false, 0, 0
	m.downN, m.qUpK, m.qUpN, m.kvUpN = 0, 0, 0, 0 // the memo's key tells a latent shape by downN > 0
	if !m.gemms {
		return
	}
	h := m.hidden
	kvWidth := h // a latent cache without its widths: its projections counted as full attention
	if m.kvHeads > 0 {
		kvWidth = m.kvHeads * h / m.heads
	}
	perExpert := (m.upMats + 1) * m.ffn * h
	active := max(1, m.topk)
	if m.experts <= 0 {
		active = 1
	}
	m.qkvN, m.oK = (h+2*kvWidth)/m.tp, h/m.tp
	attnIO := 2 * h / m.tp
	if m.mla.mla() {
		attnIO = m.latentShape()
	} else if rep := ReplicatedKVWeights(h, m.heads, m.kvHeads, m.tp); rep > 0 {
		// K/V heads replicated over tp > kv (kvreplicate.go; vLLM's QKVParallelLinear):
		// each rank projects every token onto its whole K/V head(s) and holds their
		// weights, beyond its 1/tp share, in each layer of its stage.
		m.qkvN = QKVColumns(h, h/m.heads, m.kvHeads, m.tp)
		m.replicated += m.layers / m.pp * rep
	}
	m.upN, m.downK = m.upMats*m.ffn/m.tp, m.ffn/m.tp
	// What the layer's kernels besides the matmuls must read and write per token at the
	// least, whatever an engine fuses (docs/PHYSICS.md §33): the two residual-add RMSNorms
	// read the hidden state and the residual and write both (4h each, on every tp rank:
	// the all-reduce leaves the whole hidden state on each); the attention kernel reads
	// its rank's queries and writes its output (2h/tp; the KV cache is counted apart;
	// latent attention's in latentShape); the MLP's activation reads the up (and gate)
	// outputs and writes the product, (g + 1)·ffn/tp for each of a token's active experts.
	through := active // the experts each token's MLP activations pass through
	if m.denseLocal() {
		// every token through each of the rank's whole experts
		through = m.localExperts() * m.tp
	}
	m.actElems = m.layers / m.pp * (ResidualNormElems*h + attnIO + through*(m.upMats+1)*m.ffn/m.tp)
	// The engine sizes its KV pool after a profiling forward pass of profileTokens tokens
	// (TensorRT-LLM's max_num_tokens, docs/PHYSICS.md §33): at its peak, inside one
	// layer's MLP, the hidden state and the residual (h each, whole on every rank) and the
	// up (and gate) outputs with their product, (g + 1)·ffn/tp per active expert, are live
	// at 16 bits; those bytes are not free for the KV cache.
	m.profileAct = m.profileTokens * (2*h + through*(m.upMats+1)*m.ffn/m.tp) * ActivationBytesPerElem
	switch {
	case m.denseLocal():
		m.upN, m.downK = m.upMats*m.ffn, m.ffn
	case m.moe():
		m.upN, m.downK = m.upN*m.ep, m.downK*m.ep
	}
	// The output layer (vocabulary-parallel over tp); the input embedding is a lookup of
	// a few rows, not a matmul. A stage holds 1/pp of it, as of the layers. Without a
	// vocabulary, the parameters outside the layers stand for it.
	m.restN = m.vocab / m.shards
	if m.vocab <= 0 {
		layer := m.mla.AttentionLinearParams(h, m.heads, m.kvHeads) + active*perExpert
		m.restN = max(0, m.pa-m.layers*layer) / h / m.shards
	}
}

// moe: the MLP's experts are routed (each token's MLP runs on topk of them).
func (m *llm) moe() bool {
	return m.experts > 0 && m.topk > 0 && !m.dense
}

// DenseExpertKernels is the kernels one local expert of vLLM's expert-parallel Mixtral
// layer launches per forward pass (vllm-project/vllm pull request #2090; the same
// MixtralMoE survives in vllm/model_executor/models/mixtral_quant.py at 01bfb22b):
// MixtralMLP's w1, w3 and w2 matmuls, nn.SiLU and the product w1_out * w3_out; the
// expert's weight per token, (selected_experts == expert_idx), routing_weights * mask and
// .sum; the in-place .mul_ by it and the .add_ into the layer's sum.
const DenseExpertKernels = 10

// denseLocal: a MoE layer whose experts are split whole over the tensor-parallel ranks,
// each rank running every token through each of its experts and masking the result by
// the routing weight (vLLM's Mixtral of pull request #2090, December 2023), not routed
// tokens over tensor-sharded experts.
func (m *llm) denseLocal() bool {
	return m.denseExperts && m.moe()
}

// localExperts is the whole experts one rank of the densely split MoE layer holds: the
// experts split as evenly as they go over the tp ranks (numpy's array_split), the
// slowest rank holding ⌈E/tp⌉.
func (m *llm) localExperts() float64 {
	return max(1, math.Ceil(m.experts/m.tp))
}

// matmuls is one stage's weight matmuls for seqs sequences adding n tokens each, each
// timed by gemmTime (the calibrated training step's model: the measured large-matmul
// rate over wave-quantised tiles, split-K for few rows, or the operands' traffic): the
// stage's layers' four, the routed experts' per touched expert, and the output layer on
// the sequences' last tokens only (engines compute logits for the positions they
// sample). It returns the time, FLOPs and bytes.
func (m *llm) matmuls(seqs, n float64) (t, flops, bytes float64) {
	if m.memo != nil && m.sms > 0 {
		// Without SMs each matmul is one roofline, cheaper than a lookup.
		return m.memo.matmuls(m, seqs, n)
	}
	return m.gemmPass(seqs, seqs*n)
}

// gemmPass is matmuls computed: seqs sequences of tokens tokens in all.
func (m *llm) gemmPass(seqs, tokens float64) (t, flops, bytes float64) {
	h, rate, bw, e := m.hidden, m.rate, m.bw, m.b
	layers := m.layers / m.pp
	gemm := func(rows, cols, depth, batch, count float64) {
		t += count * gemmTime(rows, cols, depth, batch, rate, m.sms, bw, e, e)
		flops += count * 2 * rows * cols * depth * batch
		bytes += count * (rows*depth + depth*cols + rows*cols) * batch * e
	}
	if m.latent {
		// MLA's projections that run once per token whatever the pass (latentShape):
		// the down projections (replicated), the query's up projection and the output.
		// Its key/value up projection depends on the pass (latentPass).
		gemm(tokens, m.downN, h, 1, layers)
		gemm(tokens, m.qUpN, m.qUpK, 1, layers)
	} else {
		gemm(tokens, m.qkvN, h, 1, layers)
	}
	gemm(tokens, h, m.oK, 1, layers)
	if m.denseLocal() {
		// each of the rank's whole experts multiplies every token (docs/PHYSICS.md §33)
		local := m.localExperts()
		gemm(tokens, m.upN, h, local, layers)
		gemm(tokens, h, m.downK, local, layers)
	} else if m.moe() {
		touched := ExpertsTouched(m.experts, m.topk, tokens)
		rows := tokens * m.topk / touched
		if m.moeTiles {
			// vLLM's fused MoE on its default tiles: each expert matmul takes at least
			// its tiles' loads from L2 (FusedMoETileL2Time; docs/PHYSICS.md §33).
			tm, tn := fusedMoETiles(tokens, m.experts)
			tiled := func(cols, depth float64) {
				g := max(gemmTime(rows, cols, depth, 1, rate, m.sms, bw, e, e), FusedMoETileL2Time(rows, cols, depth, tm, tn, e, m.l2bw))
				count := touched / m.ep * layers
				t += count * g
				flops += count * 2 * rows * cols * depth
				bytes += count * (rows*depth + depth*cols + rows*cols) * e
			}
			tiled(m.upN, h)
			tiled(h, m.downK)
		} else {
			gemm(rows, m.upN, h, touched/m.ep, layers)
			gemm(rows, h, m.downK, touched/m.ep, layers)
		}
	} else {
		experts := max(1, m.topk)
		if m.experts <= 0 {
			experts = 1
		}
		gemm(tokens, m.upN, h, experts, layers)
		gemm(tokens, h, m.downK, experts, layers)
	}
	if m.restN > 0 {
		rate, e = m.headRate, m.headB
		gemm(seqs, m.restN, h, 1, 1)
	}
	return t, flops, bytes
}

// kvShards is how many ways tensor parallelism splits one sequence's KV cache: over
// min(tp, KV heads) ranks, kv / KVHeadsPerRank(kv, tp) — past kv ranks each head's cache
// is replicated with it on tp/kv ranks, one head a rank (kvreplicate.go; vLLM sizes the
// cache per rank by the rank's num_kv_heads); a latent-attention cache (no KV heads) is
// replicated.
func (m *llm) kvShards() float64 {
	if m.kvHeads <= 0 {
		return 1
	}
	return min(m.tp, m.kvHeads)
}

// expertWeights is the weight bytes one forward pass of a MoE model over `tokens` tokens
// reads: the dense part and the experts the tokens touch (a dense model reads m.weights).
func (m *llm) expertWeights(tokens float64) float64 {
	perExpert := (m.p - m.pa) / (m.experts - m.topk)
	dense := max(0, m.p-m.experts*perExpert)
	return (dense + ExpertsTouched(m.experts, m.topk, tokens)*perExpert) * m.b
}

// pcieNCCL reports whether an engine with its own all-reduce kernel (arLat > 0) calls
// NCCL's instead because its tensor-parallel peers share no scale-up link and are more
// than two (calibrated; docs/PHYSICS.md §33): vLLM's CustomAllreduce (vllm/distributed/
// device_communicators/custom_all_reduce.py at 00d618a: world_size > 2 and not fully_connected →
// disabled, 'not supported on more than two PCIe-only GPUs') and SGLang's copy of it;
// TensorRT-LLM's AllreduceOp selects NCCL under AUTO whenever NVLink is not supported,
// at two ranks too, which this rule does not price.
func (m *llm) pcieNCCL() bool {
	return m.calibrated && m.arLat > 0 && !m.nvlink && m.tp > 2
}

// links: the scale-up link within a node, the scale-out fabric once a group spans nodes.
func (m *llm) link(group float64) (bw, lat float64) {
	if m.nodeSize > 0 && group > m.nodeSize {
		return m.fabBW, m.fabLat
	}
	return m.upBW, m.upLat
}

// stageComm is one pipeline stage's tensor- and expert-parallel exchanges for `tokens`
// tokens: two all-reduces per layer, the MLP's replaced by a dispatch and a combine
// all-to-all when experts are spread over ep > 1 ranks.
func (m *llm) stageComm(tokens float64) float64 {
	layers := m.layers / m.pp
	act := tokens * m.hidden * ExchangeBytesPerElem
	ar := RingAllReduce(act, m.tp, m.tpBW, m.tpLat)
	switch {
	case m.ncclAR:
		ar = NCCLAllReduce(act, m.tp, m.tpBW, m.nvlink, m.nvls)
	case m.measuredAR && m.arLimit > 0 && act > m.arLimit:
		// Beyond its own kernel's workspace the engine calls NCCL's all-reduce
		// (TensorRT-LLM's ifFallbackToNCCL, docs/PHYSICS.md §33).
		ar = NCCLAllReduce(act, m.tp, m.tpBW, m.nvlink, m.nvls)
	case m.measuredAR:
		ar = MeasuredAllReduce(act, m.tp, m.tpBW, m.arLat, m.arPerRank)
	}
	if m.a2a {
		return layers * (ar + 2*AllToAll(act*m.topk/m.ep, m.ep, m.epBW, m.epLat))
	}
	return layers * 2 * ar
}

// step is one forward pass of the replica (a stage, a pipeline passage, a decode step):
// its time, what one accelerator computes and reads in it, its exchanges, and whether the
// FLOPs outlast the bytes.
type step struct {
	itl, flops, bytes, tpComm, ppComm float64
	work                              float64 // the FLOPs in seconds at the sustained rates (PowerLimitedS; 0 without them)
	computeBound                      bool
}

// stage is one forward pass on one pipeline stage: seqs sequences each adding n tokens at
// context s, written to d. When the layer's shape is known, each weight matmul is timed
// on its own (matmuls) and the attention core after them; otherwise the time is the
// longer of the stage's FLOPs at the efficiency and its bytes at the measured bandwidth.
// Then the kernels' fixed cost and the exchanges. (Divisions by a degree of 1 are
// skipped: they are exact, and the hot path.)
func (m *llm) stage(d *step, seqs, n, s float64) {
	kv := m.kvTok * m.kvContext(s) * seqs * m.bkv
	if m.kvDiv != 1 {
		kv /= m.kvDiv
	}
	if m.gemms {
		// A decode-only batch that the engine pads to a captured CUDA graph runs its
		// matmuls, activations and exchanges on the padded rows; the padding requests'
		// one-token caches add nothing to the attention (CUDAGraphBatch).
		rows := seqs
		if n == 1 && m.graphCap > 0 && m.pp == 1 {
			rows = CUDAGraphBatch(seqs, m.graphCap)
		}
		// Each matmul on its own, then the attention over the context: its FLOPs at the
		// rate or its KV cache at the bandwidth.
		t, flops, bytes := m.matmuls(rows, n)
		var attn, f16 float64
		if m.latent {
			lt, lf, lb, core := m.latentPass(seqs, n, s)
			t, flops, bytes, attn = t+lt, flops+lf, bytes+lb, core
			if n <= 1+m.specK {
				f16 = lf // absorbed: in 16 bits (latentAbsorbed)
			}
		} else {
			attn = m.coef * n * m.attnContext(n, s) * seqs / m.shards
		}
		act := rows * n * m.actElems * ActivationBytesPerElem
		d.itl = t + max(attn/m.attnRate, kv/m.bw) + act/m.bw + m.kernelT
		d.flops, d.bytes = flops+attn, bytes+kv+act
		d.computeBound = d.flops/m.rate > d.bytes/m.bw
		d.work = 0
		if m.sus > 0 {
			d.work = m.powerWork(flops, rows, f16, attn)
		}
		m.exchanges(d, rows*n)
		return
	}
	flops := ForwardFLOPs(m.pa, m.coef, n, m.attnContext(n, s), seqs)
	if m.shards != 1 {
		flops /= m.shards
	}
	m.roofline(d, flops, kv, seqs*n)
	m.exchanges(d, seqs*n)
}

// roofline times a stage without the layer's shape: the longer of its flops (on one
// accelerator) at the rate and the weights it reads — the experts its rows reach, on one
// shard — with its KV cache kv at the bandwidth, then the kernels' fixed cost.
func (m *llm) roofline(d *step, flops, kv, rows float64) {
	w := m.weights
	if !m.dense && !m.denseLocal() {
		w = m.expertWeights(rows)
	}
	if m.shards != 1 {
		w /= m.shards
	}
	compute, memory := flops/m.rate, (w+kv)/m.bw
	d.itl = max(compute, memory) + m.kernelT
	d.flops, d.bytes, d.computeBound = flops, w+kv, compute > memory
	d.work = 0
	if m.sus > 0 {
		d.work = flops / m.susW
	}
}

// powerWork is a pass's FLOPs in seconds at the sustained rates (PowerLimitedS): the
// matmuls' mm FLOPs at the weights' rate, but for the output layer's on seqs sequences
// and the f16 FLOPs of 16-bit matmuls among them (MLA's absorbed ones), which run at 16
// bits for quantised weights, and the attention core's attn at its own.
func (m *llm) powerWork(mm, seqs, f16, attn float64) float64 {
	head := 0.0
	if m.restN > 0 {
		head = 2 * seqs * m.restN * m.hidden
	}
	return (mm-head-f16)/m.susW + (head+f16)/m.susHead + attn/m.susAttn
}

// powerLimit holds a pass d to the power limit (docs/PHYSICS.md §33, "Power-limited
// matmul rate"): where its FLOPs and bytes would draw more than the TDP at the burst
// rates, the clock drops until they fit, and the pass takes PowerLimitedS. Calibrated,
// on an accelerator with a measured sustained rate; a no-op otherwise.
func (m *llm) powerLimit(d *step) {
	if m.sus <= 0 {
		return
	}
	if t := PowerLimitedS(d.work, d.bytes/m.bw); t > d.itl {
		d.itl = t
	}
}

// exchanges adds a stage's tensor-parallel all-reduces (or its experts' all-to-all) over
// rows tokens to its time.
func (m *llm) exchanges(d *step, rows float64) {
	d.tpComm, d.ppComm = 0, 0
	if m.tp != 1 || m.a2a {
		d.tpComm = m.stageComm(rows)
		d.itl += d.tpComm
	}
}

// causalContext is the mean number of keys each of n new tokens attends at context s
// under the causal mask: every one the s − n earlier tokens, and the i-th new token the
// first i new ones, n(n + 1)/2 in all — so n·causalContext = n·(s − (n − 1)/2): a decode
// token attends all s, a whole prompt about half its s² (FlashAttention's causal count,
// Dao 2023 §4.1). The new tokens are part of the context: a context shorter than them
// counts them alone.
func causalContext(n, s float64) float64 {
	return max(s, n) - (n-1)/2
}

// windowContext is causalContext when each token attends at most the w latest keys, itself
// included (a sliding window of w tokens: Jiang et al. 2023, Mistral 7B §2; vLLM's
// SlidingWindowManager keeps the token computed and the w − 1 before it,
// vllm-project/vllm@129ab7c vllm/v1/core/single_type_kv_cache_manager.py): the new tokens sit at positions a..b,
// b = max(s, n), a = b − n + 1, and the one at position p attends min(p, w) keys.
func windowContext(n, s, w float64) float64 {
	b := max(s, n)
	a := b - n + 1
	switch {
	case b <= w:
		return b - (n-1)/2
	case a >= w:
		return w
	}
	// positions a..w attend p keys each, w+1..b attend w each
	return ((a+w)*(w-a+1)/2 + (b-w)*w) / n
}

// kvContext is the tokens of a sequence's KV cache at context s, averaged over the layers:
// s on a layer of full attention, min(s, w) on one of a sliding window of w tokens, which
// keeps (and reads) only the window (vLLM's SlidingWindowSpec, vllm-project/vllm@001cabc
// vllm/v1/kv_cache_interface.py; docs/PHYSICS.md §33).
func (m *llm) kvContext(s float64) float64 {
	if m.window <= 0 || s <= m.window {
		return s
	}
	return s - m.localFrac*(s-m.window)
}

// attnContext is the mean number of keys each of n new tokens attends at context s,
// averaged over the layers: causalContext on full-attention layers, windowContext on the
// sliding-window ones.
func (m *llm) attnContext(n, s float64) float64 {
	c := causalContext(n, s)
	if m.window <= 0 || max(s, n) <= m.window {
		return c
	}
	return c - m.localFrac*(c-windowContext(n, s, m.window))
}

// p2p is one pipeline-stage boundary crossing of `tokens` tokens' activations.
func (m *llm) p2p(tokens float64) float64 {
	if m.pp == 1 {
		return 0
	}
	return PointToPoint(tokens*m.hidden*ExchangeBytesPerElem, m.ppBW, m.ppLat)
}

// passage is one microbatch of seqs sequences, each adding n tokens at context s, crossing
// the pp stages in turn: pp stage times plus pp − 1 sends.
func (m *llm) passage(d *step, seqs, n, s float64) {
	m.stage(d, seqs, n, s)
	if m.pp == 1 {
		return
	}
	m.acrossStages(d, seqs*n)
}

// acrossStages turns one stage's pass d of rows tokens into their crossing of the pp
// stages: pp stage times (and exchanges) plus pp − 1 sends of their activations.
func (m *llm) acrossStages(d *step, rows float64) {
	send := m.p2p(rows)
	d.itl = m.pp*d.itl + (m.pp-1)*send
	d.tpComm *= m.pp
	d.ppComm = (m.pp - 1) * send
}

// forward is one step of batch sequences adding n tokens each at context s, split into
// min(pp, batch) microbatches that follow each other through the pipeline: a microbatch's
// passage sets the step time, and every stage works on every microbatch.
func (m *llm) forward(d *step, batch, n, s float64) {
	if m.pp == 1 {
		m.stage(d, batch, n, s)
		return
	}
	micro := max(1, min(m.pp, batch))
	m.passage(d, batch/micro, n, s)
	d.flops *= micro
	d.bytes *= micro
	d.work *= micro
}

// decodeStep is the calibrated decode step of batch sequences at context s, with the
// engine's overhead and, when drafting, the speculative step per emitted token.
func (m *llm) decodeStep(d *step, batch, s float64) {
	if m.specK <= 0 {
		m.forward(d, batch, 1, s)
		d.itl += m.hostTime(batch)
		m.powerLimit(d)
		return
	}
	var verify, draft step
	m.forward(&verify, batch, m.specK+1, s)
	m.draft().forward(&draft, batch, 1, s)
	e := SpecExpectedTokens(m.specK, m.specA)
	*d = step{
		itl:   (m.specK*draft.itl + verify.itl + m.hostTime(batch)) / e,
		flops: (m.specK*draft.flops + verify.flops) / e, bytes: (m.specK*draft.bytes + verify.bytes) / e,
		work:   (m.specK*draft.work + verify.work) / e,
		tpComm: verify.tpComm / e, ppComm: verify.ppComm / e, computeBound: verify.computeBound,
	}
	m.powerLimit(d)
}

// draft is the draft model as a replica of its own on the same tensor-parallel group: a
// catalog model, or a multi-token-prediction module (one layer of the target, DeepSeek-V3
// §2.2) when no draft model is given.
func (m *llm) draft() *llm {
	d := *m
	d.pp, d.ep, d.experts, d.specK = 1, 1, 0, 0
	if m.draftP > 0 {
		d.p, d.pa, d.layers, d.coef, d.kvTok = m.draftP, m.draftP, m.draftL, m.draftCoef, m.draftKV
		d.hidden, d.kvHeads = m.draftHidden, m.draftKVHeads
		d.ffn = 0                    // the draft's layer shape is not gathered: its pass is one roofline
		d.window, d.localFrac = 0, 0 // nor its attention window: every layer at full context
		d.mla = Arch{}               // nor its latent attention
		if d.hidden == 0 {
			d.hidden = DefaultHidden
		}
	} else {
		d.p, d.pa, d.layers, d.coef, d.kvTok = m.p/m.layers, m.pa/m.layers, 1, m.coef/m.layers, m.kvTok/m.layers
	}
	d.derive()
	return &d
}

// draftBytes is the draft's weights and KV cache (whole replica).
func (m *llm) draftBytes(s, batch float64) (w, kv float64) {
	d := m.draft()
	return d.p * d.b, d.kvTok * d.kvContext(s) * batch * d.bkv
}

// memPerAccel is one accelerator's share of weights, KV cache and draft (calibrated),
// and of the weights alone (the target's and the draft's).
func (m *llm) memPerAccel(s, batch float64) (mem, weights float64) {
	w, kv := m.weights, m.kvTok*m.kvContext(s)*batch*m.bkv
	if m.shards != 1 {
		w /= m.shards
	}
	if m.kvDiv != 1 {
		kv /= m.kvDiv
	}
	mem = w + kv
	if m.specK > 0 {
		dw, dkv := m.draftBytes(s, batch)
		mem += (dw + dkv) / m.tp
		w += dw / m.tp
	}
	return mem, w
}

// budget is the memory one accelerator may fill when weights of w bytes are on it: the
// serving engine's default share (calibrated; ServeIn.MemoryFraction) of all of its
// memory, or the weights plus the share of what they leave for the KV cache
// (MemoryOfFree); all of it without an engine, and under the seed. The live activations
// of the engine's profiling forward pass (ServeIn.ProfileTokens) come out of the memory
// before the engine's share of it is taken, as the engine measures them first.
func (m *llm) budget(w float64) float64 {
	switch {
	case !m.calibrated || m.memFrac <= 0:
		return m.capacity
	case m.memFree:
		return w + m.memFrac*max(0, m.capacity-w-m.profileAct)
	}
	return m.memFrac*m.capacity - m.profileAct
}

// memSlack is the memory one accelerator has left within what it may fill, as a share
// of its capacity, for mem bytes of weights and KV cache of which w are weights: (budget −
// mem) / capacity under a serving engine's budget (calibrated), 1 − mem / capacity where
// the budget is all of it (no engine, and the seed). It is ≥ 0 exactly when mem ≤ budget,
// the point's memory verdict: wall_4_serving_slack was 1 − mem / capacity beside a verdict
// against the engine's budget, so a row said "does not fit" with slack +0.05 (Llama 3 8B
// fp16 on a T4 at batch 1 under vLLM's 0.9 of the memory).
func (m *llm) memSlack(mem, w float64) float64 {
	b := m.budget(w)
	if b == m.capacity {
		return 1 - mem/m.capacity
	}
	return (b - mem) / m.capacity
}

// prefill is the calibrated time to first token of batch prompts of n new tokens at
// context s, in chunks of c tokens (0 = one chunk): each chunk is one forward pass through
// the pipeline plus the engine's step overhead, at the context the prompt has reached by
// its end. It also returns the longest chunk, the last, which sees the whole context.
//
// Equal chunks of e = n/C tokens end at contexts s − n + j·e; a chunk's attention FLOPs and
// KV bytes are linear in its context, so C chunks at the mean context s − n + (C + 1)·e/2
// count exactly what the C chunks do in all (the attention n·(s − (n − 1)/2), as unchunked)
// while the same side of the attention's max(FLOPs, KV bytes) binds in every chunk; the
// two are linear in the context, so the side turns at most once, and chunks that cross
// the turn are counted slightly short.
func (m *llm) prefill(batch, n, s, c float64) (ttft, chunks, longest float64) {
	if c <= 0 {
		return m.chunk(batch, n, s), 1, 0
	}
	chunks = max(1, math.Ceil(n/c))
	each := n / chunks
	start := s - n
	if m.window > 0 && s > m.window && chunks > 1 {
		ttft = m.windowedChunks(batch, each, start, chunks)
		return ttft, chunks, m.chunk(batch, c, s)
	}
	one := m.chunk(batch, each, start+(chunks+1)*each/2)
	ttft, longest = chunks*one, one
	if chunks > 1 {
		longest = m.chunk(batch, c, s)
	}
	return ttft, chunks, longest
}

// windowedChunks is the time of C equal chunks of e tokens after a context of start tokens
// when a sliding window of w tokens is passed. The windowed layers' attention and cache
// stop growing with the context at w, so the chunks are counted in three groups, each
// exact as the mean-context chunk is without a window: the k chunks ending at or before w
// (everything linear in the context, at their mean end), the one that crosses w (on its
// own), and the rest (the windowed layers at w keys throughout, the full ones linear).
func (m *llm) windowedChunks(batch, e, start, chunks float64) float64 {
	k := min(chunks, max(0, math.Floor((m.window-start)/e)))
	var t float64
	if k > 0 {
		t += k * m.chunk(batch, e, start+(k+1)*e/2)
	}
	if k < chunks {
		t += m.chunk(batch, e, start+(k+1)*e)
	}
	if r := chunks - k - 1; r > 0 {
		t += r * m.chunk(batch, e, start+(k+2+chunks)*e/2)
	}
	return t
}

// chunk is one prefill chunk of batch prompts adding n tokens each at context s: a passage
// through the pipeline plus the engine's step overhead.
func (m *llm) chunk(batch, n, s float64) float64 {
	var d step
	m.passage(&d, batch, n, s)
	d.itl += m.hostTime(batch)
	m.powerLimit(&d)
	return d.itl
}

// power is one accelerator's draw during a calibrated step (AcceleratorPowerW).
func (m *llm) power(d *step) float64 {
	uc := d.flops / (d.itl * m.peak)
	if m.sus > 0 {
		uc = d.work / d.itl
	}
	return AcceleratorPowerW(m.tdp, uc, d.bytes/(d.itl*m.bw))
}

// ServeIn is the LLM serving input every serving model shares: Serving (serve, serve-sla),
// ContinuousBatching and ContinuousBatchingC (batching), ServingCapacity (serve-capacity)
// and ServingDeployment (serve-deploy) embed or read it. Columns marked optional may be
// nil: the model is then dense, on one accelerator, without drafting or engine overhead.
type ServeIn struct {
	Params          []float64 // total parameters
	Layers          []float64 // model.layers (the seed's batchers do not read it; nil = 1)
	AttnCoef        []float64 // AttentionFLOPsCoef(layers, heads, hidden)
	KVElemsPerToken []float64 // KVElemsPerToken(...)
	Bytes           []float64 // weights: bytes per element
	SeqLen          []float64 // context length S
	Batch           []float64
	CachedPrefix    []float64 // tokens served from a prefix cache (0 = none)
	ChunkTokens     []float64 // prefill chunk size (0 = not chunked)
	Efficiency      []float64 // fraction of peak the matmuls reach
	PeakFLOPS       []float64
	MemBandwidth    []float64 // datasheet HBM bandwidth
	MemCapacity     []float64
	DispatchTax     []float64 // s (seed)

	// Optional model columns.
	Hidden          []float64 // hidden size for activation exchanges (0 = 4096)
	ActiveParams    []float64 // parameters one token uses (MoE); 0 = Params
	Experts         []float64 // routed experts (MoE); 0 = dense
	ExpertsPerToken []float64 // experts each token picks
	KVHeads         []float64 // KV heads TP can shard the cache over; 0 = not shardable (latent attention)
	KVBytes         []float64 // KV cache bytes per element; 0 = Bytes
	Heads           []float64 // attention heads (calibrated per-matmul timing; 0 = shape unknown)
	FFN             []float64 // MLP width (per expert); 0 = shape unknown: the whole pass is one roofline
	UpMatrices      []float64 // MLP input matrices: 2 gated (SwiGLU: gate and up), 1 plain; nil = 1
	Vocab           []float64 // vocabulary (the output layer's width); 0 = the parameters outside the layers

	// Optional hardware and layout columns.
	AchievableBW    []float64 // measured streaming bandwidth (calibrated); 0 = MemBandwidth
	TDP             []float64 // W per accelerator; 0 = FallbackTDPW
	SMs             []float64 // streaming multiprocessors (compute units); 0 = no tile quantisation
	L2Bandwidth     []float64 // measured L2 load bandwidth, bytes/s (calibrated; FusedMoEDefault's bound); 0 = none
	TP, PP, EP      []float64 // tensor-, pipeline- and expert-parallel degrees (≥ 1)
	TPBandwidth     []float64 // bytes/s of the scale-up link: per direction (seed), the measured bus bandwidth (calibrated)
	FabricBandwidth []float64 // per-direction bytes/s per accelerator of the scale-out fabric
	FabricLatency   []float64 // s
	NodeSize        []float64 // accelerators on one scale-up link; 0 = unbounded

	// Optional speculative decoding (SpecTokens 0 = off) and engine.
	SpecTokens     []float64 // K tokens drafted per step
	SpecAcceptance []float64 // α, probability each drafted token is accepted
	DraftParams    []float64 // draft model parameters; 0 = a multi-token-prediction module
	DraftLayers    []float64
	DraftCoef      []float64 // AttentionFLOPsCoef of the draft
	DraftKVElems   []float64 // KVElemsPerToken of the draft
	DraftHidden    []float64 // hidden size of the draft (0 = 4096)
	DraftKVHeads   []float64 // KV heads of the draft (0 = not shardable)
	StepOverhead   []float64 // engine time per step not overlapped with the accelerator, s
	// HostStep is 1 + the index in HostSteps of the engine's measured host time per step
	// (calibrated: added to StepOverhead at each step's sequences and tp, HostStep.At);
	// nil or 0 = none.
	HostStep  []float64
	HostSteps []HostStep

	// Optional engine kernel structure and all-reduce (calibrated; nil = matmul kernels only, ring latency).
	KernelsPerLayer  []float64 // kernels a dense layer launches, its GEMMsPerLayer matmuls included
	MoEKernels       []float64 // further kernels of a mixture-of-experts layer
	AllReduceLatency []float64 // s, the engine's small-message all-reduce over the scale-up link at 2 ranks
	AllReducePerRank []float64 // s added per further rank
	AllReduceNCCL    []float64 // 1: the engine calls NCCL's all-reduce (NCCLAllReduce) instead of a measured one-shot kernel
	AllReduceMax     []float64 // bytes: the largest message the engine's own kernel takes in a group of more than 2 ranks; larger ones go to NCCL (NCCLAllReduce); nil or 0 = no limit
	AllReduceMaxTwo  []float64 // bytes: the same in a group of 2 ranks
	ScaleUpNVLink    []float64 // 1: the scale-up link is NVLink-class (NCCL's NVLink latencies and LL128); else PCIe
	// ScaleUpNVLS is 1 where the scale-up link is a port into an NVSwitch that reduces
	// in the switch (catalog scale_up.nvls): an NCCL all-reduce there may run NVLS
	// (NCCLAllReduce; calibrated only). nil = none.
	ScaleUpNVLS     []float64
	MemoryFraction  []float64 // the engine's default share of memory for weights and KV cache (0 = all of it)
	MemoryOfFree    []float64 // 1: MemoryFraction is of the memory the weights leave, for the KV cache alone
	FP8Attention    []float64 // 1: the engine runs the attention core at 8 bits with these FP8 weights (TensorRT-LLM's FP8 context FMHA)
	MoEDenseExperts []float64 // 1: the engine splits a MoE layer's experts whole over the tp ranks and runs every token through each (vLLM's Mixtral of pull request #2090, calibrated); nil = routed tokens over tensor-sharded experts
	ProfileTokens   []float64 // tokens of the forward pass the engine profiles memory with before sizing its KV pool (TensorRT-LLM's max_num_tokens); nil or 0 = none
	PrefillTokens   []float64 // calibrated: the most prompt tokens the engine's scheduler prefills in one pass when prompts run whole (PromptsPerPass); nil or 0 = no limit, every prompt the batch has room for

	// FusedMoEDefault is 1 where the engine's fused MoE kernel runs this shape on vLLM's
	// default tiles (no tuned configuration; calibrated, with L2Bandwidth:
	// FusedMoETileL2Time bounds each expert matmul). nil = tuned: the roofline alone.
	FusedMoEDefault []float64

	// Rate16 is FLOP/s of 16-bit matmuls at their efficiency (calibrated): the output
	// layer of weights quantised below 16 bits, and their attention core unless
	// FP8Attention; nil = everything at the weights' rate.
	Rate16 []float64
	// AttentionRate16 is FLOP/s of the accelerator's fused attention kernel at 16 bits,
	// measured (calibrated: attention_efficiency × peak); the attention core runs at it
	// whenever it runs at 16 bits. nil or 0 = at the matmul rate.
	AttentionRate16 []float64
	// SustainedRate is FLOP/s of large matmuls at the weights' precision once the
	// accelerator is power-limited (calibrated: catalog gemm_sustained_efficiency × peak,
	// Bekman's MSMF), SustainedRate16 the same at 16 bits; a pass whose FLOPs and bytes
	// would draw more than the TDP takes PowerLimitedS. nil or 0 = no power limit (the
	// burst rates throughout, and AcceleratorPowerW's compute term over the peak).
	SustainedRate   []float64
	SustainedRate16 []float64

	// Optional multi-head latent attention (calibrated; nil or KVLoraRank 0 = not latent):
	// Arch's widths — the query latent (0 = queries projected directly), the key/value
	// latent, a head's non-rotary and rotary query/key and its value. The attention's
	// matmuls and core are then MLA's (docs/PHYSICS.md §33, "Multi-head latent attention").
	QLoraRank, KVLoraRank, QKNope, QKRope, VHead []float64

	// Optional sliding-window attention (calibrated; nil or 0 = every layer attends the
	// whole context): the window in tokens and how many of Layers use it.
	SlidingWindow []float64
	SlidingLayers []float64

	// Calibrated selects the calibrated physics (docs/PHYSICS.md §33); false is the seed's.
	Calibrated bool
}

// ServeOut holds the output columns of Serving; times in s, sizes in bytes.
type ServeOut struct {
	TTFT, ITL                        []float64 // ITL per emitted token (speculative steps divided by the accepted tokens)
	KVBytes, WeightBytes, TotalBytes []float64 // whole replica (calibrated: a replicated KV cache in every copy)
	MemUtilization, TokensPerS       []float64 // per accelerator; tokens/s of the replica
	Chunks, ChunkTime                []float64 // ChunkTime = 0 when not chunked
	TPComm, PPComm                   []float64 // TP all-reduces and pipeline sends per decode step
	Accelerators                     []float64 // tp · pp
	PowerW                           []float64 // one accelerator's draw while decoding
	EnergyPerToken                   []float64 // J per generated token, whole replica
	MemSlack                         []float64 // memory left within what one accelerator may fill, / capacity: ≥ 0 exactly when Feasible (llm.memSlack)
	Feasible                         []bool
	ComputeBound                     []bool // the decode step's FLOPs outlast its bytes (calibrated)

	memo     passMemo
	runStart []bool // Serving's scratch: the points whose shared columns differ from the point before (runStarts)
}

func (o *ServeOut) resize(n int) {
	for _, p := range []*[]float64{&o.TTFT, &o.ITL, &o.KVBytes, &o.WeightBytes, &o.TotalBytes,
		&o.MemUtilization, &o.TokensPerS, &o.Chunks, &o.ChunkTime, &o.TPComm, &o.PPComm,
		&o.Accelerators, &o.PowerW, &o.EnergyPerToken, &o.MemSlack} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
	o.ComputeBound = grow(o.ComputeBound, n)
}

// PerfOverviewGraphBatches are the CUDA-graph batch sizes of the `llm_options.yml` that
// TensorRT-LLM's performance overview passes to every `trtllm-bench throughput` run
// (NVIDIA/TensorRT-LLM@00f37686 docs/source/performance/perf-overview.md:
// `cuda_graph_config: enable_padding: true, batch_sizes: [1, 2, 4, … 8192]`).
var PerfOverviewGraphBatches = [...]float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192}

// CUDAGraphBatch is the batch a decode-only step of b sequences runs at when the engine
// pads it to a captured CUDA graph (calibrated; docs/PHYSICS.md §33, "CUDA-graph
// padding"): the smallest of PerfOverviewGraphBatches at or above b among those the
// engine keeps, the sizes up to its largest decode batch `limit` (min(max_batch_size,
// max_num_tokens)) and `limit` itself when a listed size exceeds it — TensorRT-LLM's
// `_filter_cuda_graph_batch_sizes` and `_round_up_batch_size`
// (tensorrt_llm/_torch/pyexecutor/model_engine.py; the padding requests are one dummy
// generation request repeated, `_get_padded_batch`). A batch above every kept size runs
// without a graph, unpadded.
func CUDAGraphBatch(b, limit float64) float64 {
	if b <= 0 {
		return b
	}
	for _, x := range PerfOverviewGraphBatches {
		if x > limit {
			// The first listed size beyond the limit: the engine pads to the limit instead.
			if b <= limit {
				return limit
			}
			return b
		}
		if x >= b {
			return x
		}
	}
	return b
}
