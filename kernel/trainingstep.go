package kernel

import "math"

// TrainingStep is the calibrated profile's training step of a transformer on N
// accelerators split TP × CP × PP × DP, with expert parallelism carved out of the
// data-parallel ranks (docs/PHYSICS.md §35). It prices one optimizer step from the
// operations of a transformer layer on one accelerator:
//
//	n = b·s/cp tokens per microbatch and CP rank; b = B/(dp·M·GA)
//	GEMM(m,n,k) = max(2mnk/(R·q), (mk+kn)·e/BW) + mn·e_out/BW        R: measured matmul rate,
//	              q: wave quantization of 256×128 tiles over the SMs,   BW: measured HBM rate
//	layer fwd = QKV + out-proj + MLP GEMMs + attention core + elementwise traffic (with an MoE
//	            layer's token permutation) + TP collectives
//	layer bwd = dgrad + wgrad GEMMs (wgrad accumulates into the gradient buffer) + attention
//	            backward + elementwise backward + exposed TP collectives (+ the recomputed forward)
//	pipeline  = (M·GA + (pp−1)/v) · t_microbatch(last stage, with the logits) + p2p sends
//	step      = pipeline + exposed DP/ZeRO collectives + optimizer pass over the state
//
// Collectives are rings at the link's measured bus bandwidth with NCCL's latency model
// (CollectiveTime). Model FLOPs follow Korthikanti et al. 2022 Eq. 7 (3 × forward GEMM
// FLOPs with the full s² attention and the logits); hardware FLOPs add recomputation.
// A split that does not divide (StepInvalid*) gives Valid false and zero times.
func TrainingStep(out *StepOut, in *StepIn) {
	n := len(in.Layers)
	out.resize(n)
	for i := 0; i < n; i++ {
		out.step(i, in)
	}
}

// Reasons TrainingStep marks a split invalid.
const (
	StepValid             uint8 = iota
	StepInvalidSplit            // tp·cp·pp does not divide the accelerators
	StepInvalidLayers           // fewer layers than stages, or an interleaved split that does not divide
	StepInvalidHeads            // attention heads do not divide by tp, or a grouped-query model's K/V heads and tp neither divide the other
	StepInvalidEP               // ep does not divide dp or the experts (or the model has none)
	StepInvalidBatch            // the global batch does not divide into dp·microbatches·accumulation
	StepInvalidSeq              // the sequence does not divide into 2·cp chunks (cp > 1)
	StepInvalidShard            // the ZeRO shard group does not divide dp, or ep does not divide it
	StepInvalidInterleave       // interleaved (v > 1) with microbatches not a multiple of pp
	StepInvalidDualPipe         // DualPipe with an odd pp, interleaving, or microbatches odd or fewer than 2·pp
	StepInvalidETP              // etp does not divide tp, or an MoE model with tp > 1 lacks sequence parallelism
)

// Constants of the calibrated training step (docs/PHYSICS.md §35).
const (
	// GEMMTileM × GEMMTileN is the thread-block tile of large cuBLAS GEMMs on NVIDIA
	// GPUs (256×128 or its transpose, the most efficient tile; NVIDIA "Matrix
	// Multiplication Background User's Guide" §2.3, §3.2 on wave quantization).
	GEMMTileM = 256
	GEMMTileN = 128
	// GEMMTileMinRows: a tile is never taller than m rounded up to the 16 rows of the
	// smallest tensor-core instruction (PTX ISA, warp-level mma.sync shapes m16n8k16
	// for 16-bit and m16n8k32 for 8-bit inputs).
	GEMMTileMinRows = 16
	// GEMMTileK is the k-depth of one main-loop step of that tile (CUTLASS's default
	// Sm80 tensor-op configuration, GemmShape<128, 256, 64>): a split-K slice holds at
	// least one.
	GEMMTileK = 64
	// SplitKPartialBytes: split-K slices write FP32 partial sums of C, read back by the
	// reduction (CUTLASS's parallel split-K workspace is the accumulator type).
	SplitKPartialBytes = 4
	// GradAccumFP32Bytes is the read-modify-write of an FP32 gradient buffer per
	// weight (Megatron-LM accumulates weight gradients into FP32 main_grad buffers,
	// fused into the wgrad GEMM; Micikevicius et al. 2018 keep FP32 master state).
	GradAccumFP32Bytes = 8
	// OptimizerPassBytes is the memory traffic of one mixed-precision Adam step per
	// parameter, besides writing the b-byte weights back: unscale and clip the FP32
	// gradients (read 4, read 4 + write 4), Adam (read master, grad, m, v = 16;
	// write master, m, v = 12), read the master to cast (4), zero the gradient (4).
	OptimizerPassBytes = 48
	// OptimizerPassBytesBF16Moments is that pass with Adam's moments in BF16
	// (OptimizerBytesAdamBF16Moments): m and v are read and written at 2 bytes, not 4,
	// 8 bytes fewer.
	OptimizerPassBytesBF16Moments = 40
	// NCCLChannelSMs are the SMs NCCL's ring kernels occupy while a collective runs
	// beside compute (24 channels on an NVSwitch A100 node, nccl-tests issue #100 log).
	NCCLChannelSMs = 24
	// FlashAttentionBackwardFLOPs: FlashAttention's backward does 2.5× the forward's
	// FLOPs, its recomputation of the scores included (Dao 2023, FlashAttention-2 §4.1).
	FlashAttentionBackwardFLOPs = 2.5
	// MoEPermuteForward and MoEPermuteBackward are the bytes per token, hidden element and
	// routed copy (times e, the element size) that Megatron-Core's all-to-all token
	// dispatcher moves around an MoE layer's experts without fused permutation (core_v0.9.0,
	// moe_utils.permute/unpermute): forward, the gather into n·topk rows (read and write
	// topk), the scatter back (read and write topk), the product with the router
	// probabilities (read and write topk) and the sum over the topk copies (read topk,
	// write 1): 8 per copy and 1 per token; backward, the gradients of the same four
	// (4 per copy for the product, whose probability gradient reads the saved tokens, 2
	// each for the scatter and the gather): 8 per copy. With more than one local expert
	// the received tokens are sorted by expert before and after (sort_chunks_by_idxs),
	// MoESortPerCopy more per copy in each direction.
	MoEPermuteForward  = 8
	MoEPermuteBackward = 8
	MoESortPerCopy     = 2
	// DualPipeCommSMs are the SMs DeepSeek-V3's all-to-all kernels hold while DualPipe
	// overlaps them with computation: "only 20 SMs are sufficient to fully utilize the
	// bandwidths of IB and NVLink" (DeepSeek-V3 report, arXiv:2412.19437, §3.2.2).
	DualPipeCommSMs = 20
	// DeepEPCommSMs are the SMs DeepEP's dispatch and combine kernels hold under
	// Megatron-Core (TransformerConfig moe_deepep_num_sms, 20 by default; DeepEP v1's
	// default where the field is unset in later releases).
	DeepEPCommSMs = 20
	// RouterLogitBytes: an MoE router's logits, and their gradient, are FP32
	// (Megatron-Core's moe_router_dtype fp32, as Megatron-Bridge's DeepSeek provider sets
	// it, src/megatron/bridge/models/deepseek/deepseek_provider.py at 066adea;
	// router_gating_linear returns the router dtype).
	RouterLogitBytes = 4
	// CrossEntropyBytesPerLogit: casting the logits to FP32 and the fused softmax
	// cross-entropy read and write each logit element about 20 bytes in all (forward
	// cast 2+4, softmax 4+4, backward 4+2).
	CrossEntropyBytesPerLogit = 20
)

// StepIn holds the input columns of TrainingStep.
type StepIn struct {
	// Model: Heads must be > 0; KVHeads 0 = Heads; FFN 0 = 4·Hidden; Vocab 0 = no
	// output layer; Experts 0 = dense. Params is the total, ExpertParams the share
	// held by the experts (sharded over ep as well).
	Layers, Hidden, Heads, KVHeads, FFN, Vocab []float64
	Experts, TopK, Params, ExpertParams        []float64
	Gated                                      []bool // SwiGLU-style MLP: two up projections

	SeqLen, Batch, Microbatches, GradAccum []float64 // tokens; global sequences; per pipeline flush
	Accelerators, PerNode                  []float64 // N; accelerators per node (scale-up domain)
	TP, PP, CP, EP, VirtualStages          []float64
	// ETP is the expert tensor-parallel degree (Megatron-Core's
	// expert_tensor_parallel_size): a routed expert's weights split over etp ranks; 0 =
	// tp, Megatron's default. It divides tp (StepInvalidETP otherwise); etp < tp is MoE
	// parallel folding (docs/PHYSICS.md §35, "Expert tensor parallelism").
	ETP       []float64
	ZeROStage []float64
	// DPShard is the ZeRO shard group (ZeRO ≥ 1): state is sharded over DPShard
	// consecutive data-parallel ranks and replicated over the dp/DPShard groups, whose
	// shards of the gradients are all-reduced (hybrid sharding: PyTorch FSDP's
	// HYBRID_SHARD, torchtitan's dp_shard × dp_replicate). 0 = every data-parallel rank.
	DPShard                                []float64
	SeqParallel, FlashAttention, OverlapDP []bool
	FP32Grads                              []bool // accumulate and reduce gradients in FP32
	// CPAllGather: context parallelism gathers every rank's K and V before the local
	// attention and reduce-scatters their gradients after it, exposed (the Llama 3
	// paper §3.3.2), instead of passing the chunks around a ring beside the attention.
	CPAllGather []bool
	// Eager: the layer's norms, rotary embedding, MLP activation and residual adds run op
	// by op as PyTorch eager kernels of a Llama-style block (EagerLayerElementwise: FP32
	// norms, the rotation in FP32, autograd's gradient accumulations, KernelS per kernel)
	// instead of one fused pass each (Megatron-LM's fused kernels, or torch.compile).
	Eager []bool
	// NeoX: the same work as GPT-NeoX's layer runs it (NeoXLayerElementwise: LayerNorm,
	// unfused bias adds, the partial rotary's slices and cats, the copies around Flash
	// Attention, their autograd), and one tensor-parallel all-reduce forward for the
	// parallel residual (gpt_j_residual). Shorter (nil): false; Eager wins.
	NeoX []bool
	// LoRA freezes the base weights and trains LoRAParams adapters of rank LoRARank on
	// Q, K, V and O (Hu et al. 2021): no weight gradients for the base, an optimizer
	// and gradient collectives over the adapters only.
	LoRA      []bool
	Recompute []Recompute
	// A2AOverlap runs an (interleaved) 1F1B pipeline as Megatron-Core's combined 1F1B
	// ("EP A2A overlap", --overlap-moe-expert-parallel-comm): in the steady state a
	// microbatch's dispatch and combine all-to-alls run beside the forward or backward
	// computation of an adjacent microbatch, on DeepEPCommSMs of the SMs. Only with
	// expert parallelism; DualPipe overlaps them already. Shorter (nil): false.
	A2AOverlap []bool
	// DeepEP dispatches and combines the expert-parallel tokens with DeepEP's kernels
	// (Megatron-Core's flex dispatcher, moe_enable_deepep): a token crosses the network
	// once per destination node and NVLink once per destination GPU (DeepEPLink), instead
	// of once per routed copy. RoutingGroups and RoutingGroupTopK are the model's expert
	// groups and the groups a token's experts are chosen within (n_group, topk_group; 0:
	// no grouping), which bound those nodes (RoutedUnitHit). Shorter (nil): false, 0.
	DeepEP                          []bool
	RoutingGroups, RoutingGroupTopK []float64
	// DualPipe runs the pipeline as DeepSeek-V3's bidirectional DualPipe schedule
	// (DualPipe, below) instead of 1F1B. Shorter than the other columns (nil): false.
	DualPipe []bool
	// BF16Moments keeps Adam's first and second moments in BF16 (the FP32 master copy
	// and gradients unchanged: DeepSeek-V3 §3.3.3), so the optimizer's pass moves
	// OptimizerPassBytesBF16Moments per parameter. Shorter than the other columns (nil):
	// false.
	BF16Moments []bool
	Bytes       []float64 // bytes per weight and activation element
	// FP8 runs the layers' linear GEMMs in FP8 with Transformer Engine's recipe (FP8None:
	// all in Bytes) at FP8Rate, the measured FP8 matmul rate (fp8training.go).
	FP8     []FP8Recipe
	FP8Rate []float64
	// FP8Params keeps the linear layers' primary weights as FP8 tensors where FP8 is on
	// (Megatron-Core's fp8_param_gather, TE's fp8_model_init; FP8PrimaryWeights):
	// gathered in 1 byte, their transpose rebuilt once per step instead of a cast from
	// the training precision. Shorter than the other columns (nil): false.
	FP8Params []bool
	// Arch is the model's layer structure where its layers differ (DeepSeek-V3's dense
	// first layers, shared experts, latent attention, MTP; trainingarch.go). Shorter
	// than the other columns (nil): the plain model, every layer alike. With a
	// structure, FFN is a routed expert's width and ExpertParams the routed experts'.
	// A nil entry is the plain model too; the pointer is compared, never written.
	Arch []*Arch

	PeakFLOPS []float64 // datasheet peak at the precision (MFU/HFU denominator)
	// FP8Peak is the datasheet FP8 peak: with an FP8 recipe, the rate at which the
	// MFU/HFU denominator counts the linear GEMMs' FLOPs (mixedPeakFLOPs). Shorter than
	// the other columns (nil) or 0: every FLOP at PeakFLOPS.
	FP8Peak    []float64
	MatmulRate []float64 // achieved dense GEMM rate (measured, or the caller's fallback)
	// AttentionRate is the fused attention kernel's achieved rate (measured, or the
	// matmul rate where none is): FlashAttention-2 reaches 35 % of an H100's peak
	// against 80 % for a large GEMM (docs/PHYSICS.md §35).
	AttentionRate []float64
	SMs           []float64 // 0 = no wave quantization
	MemBW         []float64 // achieved HBM bytes/s

	// Links per direction: the scale-up domain (inside a node) and the scale-out NIC.
	IntraBus, InterBus []float64 // bytes/s
	IntraHop, InterHop []float64 // s per ring step (NCCLHop*)
	// NVLS is true where the node's accelerators share an NVSwitch that reduces in the
	// switch (catalog.Node.NVLS): an all-reduce of a group inside one node may run NCCL's
	// NVLS (RingOrNVLSAllReduce). nil = none.
	NVLS []bool

	// What-if multipliers (≥ 1; 1 = none), the fleet study's congestion, straggler and
	// moe_imbalance. Congestion divides every link's bandwidth and multiplies its
	// per-step latency (NCCL's launch latency is not link time); Straggler stretches the
	// whole step to the slowest rank's; Imbalance is the busiest expert-parallel rank's
	// tokens over the mean: its expert GEMMs and its all-to-all carry that many more
	// (an expert-parallel layer waits for its most loaded rank: Fedus et al. 2022, Switch
	// Transformers, "Efficient sparse routing", on expert capacity; docs/PHYSICS.md §35).
	Congestion, Straggler, Imbalance []float64
}

// StepOut holds the output columns of TrainingStep; times in seconds per optimizer step.
type StepOut struct {
	Valid                           []bool
	Reason                          []uint8
	DP, LocalBatch, MicroBatch      []float64 // sequences per replica and per microbatch
	Compute                         []float64 // busy time of the slowest stage without exposed communication
	TPComm, CPComm, EPComm, PPComm  []float64 // exposed
	DPComm                          []float64 // exposed DP/ZeRO collectives
	Comm                            []float64 // all exposed communication
	Efficiency, ComputeMFU          []float64 // Compute/Step; MFU of the busy time
	Bubble, BubbleFraction          []float64
	Optimizer, Step                 []float64
	Tokens, ModelFLOPs, HWFLOPs     []float64 // per step, whole job
	SixPFLOPs                       []float64 // 6 · active parameters · tokens
	MFU, HFU, TokensPerS, SamplesPS []float64
	// LayerFwd and LayerBwd are one transformer layer's forward and backward for one
	// microbatch, exposed TP/CP/EP communication and recomputation included.
	LayerFwd, LayerBwd []float64

	memo layerMemo
	dual dualPipeSim
}

func (o *StepOut) resize(n int) {
	for _, p := range o.columns() {
		*p = grow(*p, n)
	}
	o.Valid = grow(o.Valid, n)
	o.Reason = grow(o.Reason, n)
}

// layerKey is everything one layer's times depend on; consecutive points of a sweep
// often share it (they differ in region, price or pipeline depth), so the last
// result is kept.
type layerKey struct {
	h, a, kv, ffn, vocab, experts, topk, s, b, cp, tp, ep, etp    float64
	bytes                                                         float64
	rate, attn, sms, bw, tpBus, tpHop, cpBus, cpHop, epBus, epHop float64
	imbalance, rate8, etpBus, etpHop                              float64
	gated, sp, flash, fp32, lora, cpAG, eager, neox, tpNVLS       bool
	rec                                                           Recompute
	fp8                                                           FP8Recipe
	arch                                                          *Arch // nil: plain
}

// layerWidths fills the widths a model may leave unstated (0): as many KV heads as
// query heads (multi-head attention) and an MLP 4·h wide (GPT's).
func layerWidths(h, heads, kvHeads, ffn float64) (kv, width float64) {
	if kvHeads == 0 {
		kvHeads = heads
	}
	if ffn == 0 {
		ffn = 4 * h
	}
	return kvHeads, ffn
}

// layerTimes are one layer's times for one microbatch on one accelerator.
type layerTimes struct {
	fwd, bwd     float64 // including exposed communication and recomputation
	tpFwd, tpBwd float64 // exposed TP collectives (bwd includes a fully recomputed forward's)
	cp, ep       float64 // exposed CP ring and EP all-to-all (forward + backward)
	logits       float64 // the output layer and loss, forward and backward, on the last stage
	epF          float64 // the forward's share of ep
	w            float64 // the weight-gradient GEMMs of bwd (DualPipe's W)
}

type layerMemo struct {
	ok  bool
	key layerKey
	t   layerTimes
	// A structured model's dense and MTP layers (the zero value for a plain one).
	dense, mtp layerTimes
}

func (o *StepOut) invalid(i int, reason uint8) {
	o.Valid[i], o.Reason[i] = false, reason
	o.DP[i], o.LocalBatch[i], o.MicroBatch[i], o.Compute[i], o.TPComm[i], o.CPComm[i] = 0, 0, 0, 0, 0, 0
	o.EPComm[i], o.PPComm[i], o.DPComm[i], o.Comm[i], o.Efficiency[i], o.ComputeMFU[i] = 0, 0, 0, 0, 0, 0
	o.Bubble[i], o.BubbleFraction[i], o.Optimizer[i], o.Step[i], o.Tokens[i], o.ModelFLOPs[i] = 0, 0, 0, 0, 0, 0
	o.HWFLOPs[i], o.SixPFLOPs[i], o.MFU[i], o.HFU[i], o.TokensPerS[i], o.SamplesPS[i] = 0, 0, 0, 0, 0, 0
	o.LayerFwd[i], o.LayerBwd[i] = 0, 0
}

func (o *StepOut) columns() []*[]float64 {
	return []*[]float64{&o.DP, &o.LocalBatch, &o.MicroBatch, &o.Compute, &o.TPComm, &o.CPComm, &o.EPComm, &o.PPComm, &o.DPComm,
		&o.Comm, &o.Efficiency, &o.ComputeMFU, &o.Bubble, &o.BubbleFraction, &o.Optimizer, &o.Step, &o.Tokens, &o.ModelFLOPs,
		&o.HWFLOPs, &o.SixPFLOPs, &o.MFU, &o.HFU, &o.TokensPerS, &o.SamplesPS, &o.LayerFwd, &o.LayerBwd}
}

// StepSplit checks a split and returns dp, the microbatch size and StepValid, or
// the first reason it does not divide. kvHeads is a grouped-query model's key/value
// heads (0: one per attention head); tp must split them as whole heads (KVSplits): tp
// divides them, each rank holding whole query groups as Megatron-Core requires
// ("num_query_groups must be a multiple of tensor_model_parallel_size",
// TransformerConfig), or they divide tp, each head replicated on tp/kv ranks as the
// BigCode fork of Megatron-LM trained StarCoder's one K/V head at tp 4 (kvreplicate.go;
// the step prices the copies). A ratio neither way whole would cut a head.
// The arguments are whole numbers below 2^53 (the sweep bounds and refuses others).
func StepSplit(accelerators, tp, pp, cp, ep, v, layers, heads, kvHeads, experts, batch, microbatches, gradAccum, seq float64) (dp, micro float64, reason uint8) {
	g := tp * pp * cp
	switch {
	case g > accelerators || !divides(accelerators, g):
		return 0, 0, StepInvalidSplit
	case layers < pp || (v > 1 && !divides(layers, pp*v) && !BalancedChunks(layers, pp, v)):
		// Without interleaving stages may be uneven (BLOOM ran 70 layers on 12 stages);
		// the interleaved schedule needs equal chunks, the embedding and the output layer
		// counted as a layer each where that is what makes them equal (Llama 3).
		return 0, 0, StepInvalidLayers
	case !divides(heads, tp) || !KVSplits(kvHeads, tp):
		return 0, 0, StepInvalidHeads
	}
	dp = accelerators / g
	switch {
	case !divides(dp, ep) || (ep > 1 && (experts == 0 || !divides(experts, ep))):
		return 0, 0, StepInvalidEP
	case !divides(batch, dp*microbatches*gradAccum):
		return 0, 0, StepInvalidBatch
	case v > 1 && !divides(microbatches, pp):
		// Megatron-LM's interleaved schedule runs its microbatches in groups of pp per
		// virtual stage and refuses a count that is not a multiple of the group
		// (megatron/core/pipeline_parallel/schedules.py,
		// forward_backward_pipelining_with_interleaving); the bubble (p − 1)/(m·v) and the
		// first stage's 1 + (p − 1)/(p·v) in-flight factor are that schedule's.
		return 0, 0, StepInvalidInterleave
	case cp > 1 && !divides(seq, 2*cp):
		// Context parallelism cuts each sequence into 2·cp chunks and gives rank r
		// chunks r and 2·cp − 1 − r, so causal attention's work is even across ranks;
		// Transformer Engine's ring and all-gather attention assert "Sequence length per
		// GPU needs to be divisible by 2!" (attention/dot_product_attention/
		// context_parallel.py), and Megatron-Core's get_batch_on_this_cp_rank views the
		// sequence as 2·cp chunks.
		return 0, 0, StepInvalidSeq
	}
	return dp, batch / (dp * microbatches * gradAccum), StepValid
}

// BalancedChunks reports whether an interleaved split (v > 1) of layers over pp
// stages comes out in equal chunks only once the embedding and the output layer each
// take a layer's place: layers + 2 = pp·v·c. The Llama 3 405B ran its 126 layers on 16
// stages so, one layer fewer on the first and the last stage, whose first and last
// chunks hold only the embedding and only the output layer and loss (Llama 3 paper
// §3.3.2; Megatron-Core's account_for_embedding_in_pipeline_split and
// account_for_loss_in_pipeline_split do the same).
func BalancedChunks(layers, pp, v float64) bool {
	return v > 1 && pp > 1 && !divides(layers, pp*v) && divides(layers+2, pp*v)
}

// ShardGroup is the ZeRO shard group of a data-parallel degree dp (docs/PHYSICS.md §35,
// hybrid sharding): shard ranks (0 = all of dp; without ZeRO, where nothing is sharded,
// dp) and StepValid, or StepInvalidShard where it does not divide dp or, with expert
// parallelism carved out of the shard group's ranks, ep does not divide it (an expert's
// state shards over shard/ep of its data-parallel ranks).
// The arguments are whole numbers below 2^53.
func ShardGroup(dp, ep, shard, zero float64) (float64, uint8) {
	if shard == 0 || zero < 1 {
		return dp, StepValid
	}
	if shard > dp || !divides(dp, shard) || !divides(shard, ep) {
		return 0, StepInvalidShard
	}
	return shard, StepValid
}

// ExpertTPSplit checks the expert tensor-parallel degree of a split: StepValid, or
// StepInvalidETP where etp does not divide tp, or where an MoE model runs tp > 1
// without sequence parallelism — Megatron-Core's MoE layer refuses to train so
// (megatron/core/transformer/moe/moe_layer.py@d98e8a6, MoELayer.forward: "During
// training, performance may degrade if MoE and tensor parallelism are enabled without
// also enabling sequence parallelism", a ValueError), and the all-to-all pricing below
// takes each TP rank's 1/tp of the tokens. Megatron itself only requires etp·ep·pp to
// divide the world (parallel_state.py@d98e8a6, "world_size ... is not divisible by
// expert_tensor_model_pipeline_parallel size"); with ep dividing dp (StepSplit) an etp
// dividing tp meets that, and an etp above tp (expert-TP groups wider than the
// attention's) is not modelled.
func ExpertTPSplit(tp, etp, experts float64, sp bool) uint8 {
	if !divides(tp, etp) || (experts > 0 && tp > 1 && !sp) {
		return StepInvalidETP
	}
	return StepValid
}

// divides reports whether b divides a, for whole a < 2^53 and b > 0: a remainder of
// at least 1 keeps a/b at least 1/b from any integer, more than the division's
// rounding error (a/b)·2^−53, so the quotient is whole exactly when b divides a; and a
// float division costs far less than a 64-bit integer one.
func divides(a, b float64) bool {
	q := a / b
	return q == math.Trunc(q)
}

func (o *StepOut) step(i int, in *StepIn) {
	tp, pp, cp, ep, v := in.TP[i], in.PP[i], in.CP[i], in.EP[i], in.VirtualStages[i]
	L, h, a := in.Layers[i], in.Hidden[i], in.Heads[i]
	s, B := in.SeqLen[i], in.Batch[i]
	M, GA := in.Microbatches[i], in.GradAccum[i]
	N, g := in.Accelerators[i], in.PerNode[i]
	arch := archAt(in.Arch, i)
	structured := arch != &plainArch
	dp, b, reason := StepSplit(N, tp, pp, cp, ep, v, SplitLayers(L, pp, v, arch), a, in.KVHeads[i], in.Experts[i], B, M, GA, s)
	zero := in.ZeROStage[i]
	etp := expertTP(in.ETP, i, tp)
	if reason == StepValid {
		reason = ExpertTPSplit(tp, etp, in.Experts[i], in.SeqParallel[i])
	}
	var gs float64
	if reason == StepValid {
		gs, reason = ShardGroup(dp, ep, in.DPShard[i], zero)
	}
	dual := opt(in.DualPipe, i, false)
	if reason == StepValid && dual && !DualPipeSplit(pp, v, M) {
		reason = StepInvalidDualPipe
	}
	if reason != StepValid {
		o.invalid(i, reason)
		return
	}
	e := in.Bytes[i]
	kv, ffn := layerWidths(h, a, in.KVHeads[i], in.FFN[i])
	experts, topk := in.Experts[i], in.TopK[i]
	if experts == 0 || topk == 0 {
		topk = 1
	}
	rate, sms, bw := in.MatmulRate[i], in.SMs[i], in.MemBW[i]
	c := in.Congestion[i]
	intraBus, interBus := in.IntraBus[i]/c, in.InterBus[i]/c
	intraHop, interHop := in.IntraHop[i]*c, in.InterHop[i]*c

	// Placement (Megatron order, TP innermost, then CP, DP ⊃ EP, PP outermost): GroupLink.
	group := func(stride, size float64) (bus, hop float64) {
		return GroupLink(stride, size, g, intraBus, intraHop, interBus, interHop)
	}
	tpBus, tpHop := group(1, tp)
	cpBus, cpHop := group(tp, cp)
	// An all-reduce of a group inside one node of an NVSwitch that reduces may run NCCL's
	// NVLS (RingOrNVLSAllReduce; NVLSEnabled checks the group's size).
	nvls := opt(in.NVLS, i, false)
	inNode := func(stride, size float64) bool { return nvls && stride*size <= g }
	// Megatron-Core lays the experts out on a grid of their own, expert-TP innermost,
	// then EP, with no CP (parallel_state.py, initialize_model_parallel:
	// expert_decoder_rank_generator, tp=expert_tensor_parallel_size, cp=1, order
	// "tp-cp-ep-dp-pp"): the EP group is ep ranks at stride etp, and the expert-TP group
	// etp consecutive ranks.
	etpBus, etpHop := group(1, etp)
	// The expert-parallel all-to-alls leave a node at each rank's own NIC rate (AllToAllLink).
	epBus, epHop := AllToAllLink(etp, ep, g, intraBus, intraHop, interBus, interHop)
	if opt(in.DeepEP, i, false) && experts > 0 {
		// DeepEP: one copy per distinct node over the NIC, per distinct GPU over NVLink.
		var groups, groupTopK float64
		if i < len(in.RoutingGroups) && i < len(in.RoutingGroupTopK) {
			groups, groupTopK = in.RoutingGroups[i], in.RoutingGroupTopK[i]
		}
		epBus, epHop = DeepEPLink(etp, ep, g, intraBus, intraHop, interBus, interHop, experts, topk, groups, groupTopK)
	}

	key := layerKey{h: h, a: a, kv: kv, ffn: ffn, vocab: in.Vocab[i], experts: experts, topk: topk, s: s, b: b, cp: cp, tp: tp, ep: ep, etp: etp, bytes: e,
		rate: rate, attn: in.AttentionRate[i], sms: sms, bw: bw, tpBus: tpBus, tpHop: tpHop, cpBus: cpBus, cpHop: cpHop, epBus: epBus, epHop: epHop,
		etpBus: etpBus, etpHop: etpHop,
		gated: in.Gated[i], sp: in.SeqParallel[i], flash: in.FlashAttention[i], fp32: in.FP32Grads[i], lora: in.LoRA[i], rec: in.Recompute[i],
		cpAG: in.CPAllGather[i], imbalance: in.Imbalance[i], fp8: in.FP8[i], rate8: in.FP8Rate[i], eager: in.Eager[i], neox: opt(in.NeoX, i, false),
		tpNVLS: inNode(1, tp)}
	if structured {
		key.arch = arch
	}
	if !o.memo.ok || o.memo.key != key {
		o.memo = layerMemo{ok: true, key: key, t: layerStep(&key)}
		if structured {
			o.memo.dense, o.memo.mtp = archLayers(&key)
		}
	}
	lt := &o.memo.t

	tokens := b * s / cp             // per microbatch and CP rank
	stageLayers := math.Ceil(L / pp) // the deepest stage sets the pace
	layer := lt.fwd + lt.bwd
	tMB := stageLayers*layer + lt.logits // the last stage also runs the output layer and the loss
	if BalancedChunks(L, pp, v) {
		// The last stage runs one layer fewer beside the output layer, the middle stages
		// (L+2)/pp layers: the slower sets the pace.
		slots := (L + 2) / pp
		stageLayers, tMB = slots-1, (slots-1)*layer+lt.logits
		if pp > 2 && slots*layer > tMB {
			stageLayers, tMB = slots, slots*layer
		}
	}
	tf, tb := stageLayers*lt.fwd, stageLayers*lt.bwd
	// A structured model's ranks differ in their layers (ArchStages): the slowest sets
	// the pace; archTP, archCP and archEP are its exposed collectives per microbatch.
	var archTP, archCP, archEP float64
	if structured {
		ranks, _ := ArchStages(L, pp, v, arch)
		dn, mt := &o.memo.dense, &o.memo.mtp
		tMB = -1
		for _, r := range ranks {
			t := r.dense*(dn.fwd+dn.bwd) + r.moe*layer + r.mtp*(mt.fwd+mt.bwd) + r.logits*lt.logits
			if t <= tMB {
				continue
			}
			tMB, stageLayers = t, r.dense+r.moe+r.mtp
			tf, tb = r.dense*dn.fwd+r.moe*lt.fwd+r.mtp*mt.fwd, r.dense*dn.bwd+r.moe*lt.bwd+r.mtp*mt.bwd
			archTP = r.dense*(dn.tpFwd+dn.tpBwd) + r.moe*(lt.tpFwd+lt.tpBwd) + r.mtp*(mt.tpFwd+mt.tpBwd)
			archCP = r.dense*dn.cp + r.moe*lt.cp + r.mtp*mt.cp
			archEP = r.dense*dn.ep + r.moe*lt.ep + r.mtp*mt.ep
		}
	}
	micro := M * GA
	// A pipeline send: one microbatch's activations (or their gradients) across a stage
	// boundary.
	var send float64
	if pp > 1 {
		// Activations cross each of the v stage boundaries forward and back per microbatch,
		// sequence-sharded (SP) or scattered over the tp ranks and gathered again (Narayanan
		// et al. 2021 §4.1); stages are tp·cp·dp ranks apart, on one node only while
		// the whole pipeline fits in it.
		bus, hop := interBus, interHop
		if tp*cp*dp*pp <= g {
			bus, hop = intraBus, intraHop
		}
		msg := tokens * h * e
		send = msg/tp/bus + hop
		if !in.SeqParallel[i] && tp > 1 {
			send += CollectiveTime(CollAllGather, msg, tp, tpBus, tpHop)
		}
	}
	// DualPipe (DualPipe): the slowest rank's pair of chunks; its layers are the rank's.
	var dpr dualPipeRank
	castLayers, copies := stageLayers, 1.0
	if dual {
		dpr = o.memo.dualPipe(&o.dual, L, pp, micro, send, sms, stageLayers, structured, arch)
		tf, tb = dpr.c.f/2, dpr.c.b/2
		castLayers, stageLayers, copies = dpr.c.layers, dpr.c.layers, 2
	}
	// FP8 weights are cast once per step, on the first microbatch (fp8training.go).
	var weightCasts float64
	fp8Params := false // FP8 primary weights: the linear weights are gathered in 1 byte
	if r := in.FP8[i]; r != FP8None {
		local := 1.0
		if experts > 0 {
			local = experts / ep
		}
		w := FP8LayerWeights(h, a, kv, ffn, tp, local, in.Gated[i])
		weightCasts = castLayers * fp8WeightCasts(r, w, e) / bw
		if fp8Params = opt(in.FP8Params, i, false); fp8Params {
			weightCasts = castLayers * fp8ParamTranspose(w) / bw
		}
	}
	pipe := micro*tMB + weightCasts
	// Combined 1F1B (A2AOverlap): each microbatch's all-to-alls run beside another's
	// computation in the steady state; the warm-up and drain (the bubble) keep them.
	a2aOverlap := opt(in.A2AOverlap, i, false) && !dual && experts > 0 && ep > 1
	var a2aPair, a2aComp float64
	if a2aOverlap {
		a2a := stageLayers * lt.ep
		if structured {
			a2a = archEP
		}
		a2aComp = tMB - a2a
		a2aPair = overlappedOn(a2a, a2aComp, sms, DeepEPCommSMs)
		pipe = micro*a2aPair + weightCasts
	}
	bubble := 0.0
	var ppComm float64
	switch {
	case dual:
		// The sends run beside the paired chunks with the all-to-alls (dpr.t).
		bubble = dpr.bubble
		pipe = dpr.t + weightCasts
	case pp > 1:
		bubble = (pp - 1) / v * tMB
		pipe += bubble
		ppComm = micro * 2 * v * send
		pipe += ppComm
	}

	// Gradients: dense parameters reduce over dp, expert parameters over dp/ep. Only
	// trainable parameters (gDense, gExpert) have gradients and optimizer state; with
	// LoRA those are the adapters, dense, while ZeRO-3 still gathers the frozen base.
	shard := tp * pp
	pDense := (in.Params[i] - in.ExpertParams[i]) / shard
	// K/V heads replicated over tp > kv (kvreplicate.go): each rank holds its heads'
	// projections whole, beyond its 1/tp share — weights, gradients, optimizer state and
	// their data-parallel reduction. Multi-query attention under sequence parallelism
	// all-reduces their gradients over the TP group too, layer by layer after the
	// backward (bigcode-project/Megatron-LM@7c325cd, megatron/optimizer/optimizer.py,
	// allreduce_key_value_grads, in FP32 main_grad where gradients are kept so), exposed.
	var kvGradSync float64
	if kvRep := ReplicatedKVWeights(h, a, kv, tp); kvRep > 0 && !arch.mla() {
		pDense += kvRep * L / pp
		if kvSeqSharded(kv, tp, in.SeqParallel[i]) {
			gb := e
			if in.FP32Grads[i] {
				gb = GradAccumFP32Bytes
			}
			kvGradSync = stageLayers * RingOrNVLSAllReduce(2*h*(h/a)*gb, tp, tpBus, tpHop, inNode(1, tp))
		}
	}
	// A routed expert's weights split over etp, not tp (Megatron-Core's experts.py builds
	// the grouped MLP over expt_tp; docs/PHYSICS.md §35, "Expert tensor parallelism").
	expShard := etp * pp * ep
	pExpert := in.ExpertParams[i] / expShard
	if arch.MTP > 0 {
		// The MTP modules train beside the model (their routed experts sharded over ep).
		mats := 2.0
		if in.Gated[i] {
			mats = 3
		}
		_, _, _, mtp := ArchParams(L, h, a, kv, in.Vocab[i], experts, topk, ffn, mats, arch)
		mtpRouted := arch.MTP * experts * mats * h * ffn
		pDense += (mtp - mtpRouted) / shard
		pExpert += mtpRouted / expShard
	}
	// DualPipe keeps two chunks per rank: twice the parameters, gradients and optimizer
	// state of a stage (the DualPipe README's table: "Parameter Per Device 2×").
	pDense, pExpert = copies*pDense, copies*pExpert
	gDense, gExpert := pDense, pExpert
	if in.LoRA[i] {
		gDense, gExpert = copies*math.Min(LoRAParams(L, h), in.Params[i]-in.ExpertParams[i])/shard, 0
	}
	gradB := e
	if in.FP32Grads[i] {
		gradB = 4
	}
	// Bytes of the weights ZeRO gathers: e each, or 1 for the linear weights kept in FP8
	// (the attention and dense MLP projections of the stage's layers; an expert's
	// parameters are all MLP weights).
	agDense, agExpert := pDense*e, pExpert*e
	if fp8Params {
		local := 1.0
		if experts > 0 {
			local = 0
		}
		lin := math.Min(pDense, copies*FP8LayerWeights(h, a, kv, ffn, tp, local, in.Gated[i])*L/pp)
		agDense, agExpert = agDense-lin*(e-1), pExpert
	}
	// ZeRO shards over the shard group, gs consecutive data-parallel ranks (all dp without
	// hybrid sharding), expert state over its gs/ep expert-data-parallel ranks; the
	// dp/gs replicas of each shard all-reduce their gradients across groups after the
	// reduce-scatter inside one (PyTorch FSDP's HYBRID_SHARD: _reduce_grad in
	// torch/distributed/fsdp/_runtime_utils.py). Without hybrid sharding the replicas
	// are one and the all-reduces cost nothing.
	//
	// The cp ranks of a context-parallel group hold the same weights and each computes
	// gradients from its own chunk of the sequences, so gradients reduce, and ZeRO
	// shards, over the group's dp·cp ranks (gs·cp with hybrid sharding): Megatron-Core
	// builds its gradient buffers and distributed optimizer over the data-parallel group
	// "with_context_parallel" (distributed_data_parallel.py, intra_dp_cp_group, at
	// NVIDIA/Megatron-LM 0d8e071), torchtitan's FSDP over its dp_shard_cp mesh. TP is
	// innermost and CP next, so that group is gs·cp ranks at stride tp; an expert's
	// shard group, gs·cp/ep of them, spans the same ranks at stride tp·ep.
	// With etp < tp an expert is replicated over tp/etp more ranks of each group (its
	// expert-data-parallel group is tp·cp·dp/(etp·ep) ranks, parallel_state.py@d98e8a6,
	// expert_data_parallel_size), at stride etp·ep on the expert grid.
	replicas := dp / gs
	gsExp := gs / ep
	gs, gsExp = gs*cp, gsExp*cp*tp/etp
	dpBus, dpHop := group(tp, gs)
	expBus, expHop := group(etp*ep, gsExp)
	repBus, repHop := group(tp*gs, replicas)
	dpNVLS, expNVLS, repNVLS := inNode(tp, gs), inNode(etp*ep, gsExp), inNode(tp*gs, replicas)
	var dpComm float64
	overlap := in.OverlapDP[i]
	switch {
	case zero >= 3:
		// Each layer's weights are gathered just before it runs in the forward and again
		// in the backward, and its gradients reduce-scattered after its backward. With
		// overlap the gathers run one layer ahead (PyTorch FSDP's prefetch, Zhao et al.
		// 2023, VLDB; DeepSpeed ZeRO-3's likewise): the first gather and the last
		// reduce-scatter have nothing to hide behind, and a layer's collectives hide only
		// behind that layer's compute, every microbatch, which runs on the SMs NCCL leaves.
		// Without overlap every layer's collectives are exposed, as ZeRO 0–2's are: one
		// flag says whether the stack overlaps its data-parallel collectives, whatever
		// the stage (docs/PHYSICS.md §35, "One overlap rule").
		n := stageLayers
		ag := CollectiveTime(CollAllGather, agDense/n, gs, dpBus, dpHop) + CollectiveTime(CollAllGather, agExpert/n, gsExp, expBus, expHop)
		rs := CollectiveTime(CollReduceScatter, gDense*gradB/n, gs, dpBus, dpHop) + CollectiveTime(CollReduceScatter, gExpert*gradB/n, gsExp, expBus, expHop)
		// Hybrid sharding: FSDP all-reduces a layer's gradient shard on a stream of its
		// own once its reduce-scatter is done, so it runs beside the next layer's gather
		// and reduce-scatter; only the last layer's waits for its reduce-scatter.
		ar := RingOrNVLSAllReduce(gDense*gradB/(n*gs), replicas, repBus, repHop, repNVLS) + RingOrNVLSAllReduce(gExpert*gradB/(n*gsExp), replicas, repBus, repHop, repNVLS)
		if !overlap {
			dpComm = micro * n * (2*ag + rs + ar)
			break
		}
		hidden := overlapped(ag, lt.fwd, sms) - lt.fwd + overlapped(max(ag+rs, ar), lt.bwd, sms) - lt.bwd
		dpComm = micro * (2*ag + rs + ar + (n-1)*hidden)
	case zero >= 1:
		// Gradients reduce-scattered (and their shards all-reduced across replicas),
		// updated shards all-gathered as weights.
		rs := CollectiveTime(CollReduceScatter, gDense*gradB, gs, dpBus, dpHop) + CollectiveTime(CollReduceScatter, gExpert*gradB, gsExp, expBus, expHop) +
			RingOrNVLSAllReduce(gDense*gradB/gs, replicas, repBus, repHop, repNVLS) + RingOrNVLSAllReduce(gExpert*gradB/gsExp, replicas, repBus, repHop, repNVLS)
		agD, agE := gDense*e, gExpert*e // the trainable weights (LoRA: the adapters, never FP8)
		if fp8Params && !in.LoRA[i] {
			agD, agE = agDense, agExpert
		}
		ag := CollectiveTime(CollAllGather, agD, gs, dpBus, dpHop) + CollectiveTime(CollAllGather, agE, gsExp, expBus, expHop)
		// ZeRO-2 keeps the gradients as shards, so a rank cannot accumulate a
		// microbatch's full gradient and reduce once: every microbatch's backward
		// reduce-scatters the stage's gradients and the shards accumulate (Rajbhandari
		// et al. 2020 §5.2 reduce each layer's gradients as they become available in the
		// backward; PyTorch FSDP's no_sync docstring: accumulating without the reduction
		// holds "the full model gradients (instead of gradient shards)";
		// DeepSpeed refuses no_sync under ZeRO-2, "incompatible with gradient
		// partitioning", runtime/engine.py). ZeRO-1 keeps full gradients and reduces once.
		reduces := 1.0
		if zero >= 2 {
			reduces = micro
		}
		dpComm = reduces*rs + ag
		if overlap {
			// The reduce-scatter runs behind the last microbatch's backward, the weights'
			// all-gather behind the next step's first forward, layer by layer
			// (Megatron-LM's overlap-grad-reduce and overlap-param-gather; FSDP's
			// prefetch, Llama 3 paper §3.3.2), on the SMs NCCL leaves. Under ZeRO-2 the
			// other microbatches' reduce-scatters run asynchronously beside the compute
			// of the microbatch after theirs (the Llama 3 paper §3.3.2: FSDP "can tolerate
			// longer network latency by asynchronously ... reducing gradients").
			dpComm = overlapped(rs, tb, sms) - tb + overlapped(ag, tf, sms) - tf
			if reduces > 1 {
				tmb := tf + tb
				dpComm += (reduces - 1) * (overlapped(rs, tmb, sms) - tmb)
			}
		}
	default: // nothing sharded: gs is dp·cp
		dpComm = RingOrNVLSAllReduce(gDense*gradB, gs, dpBus, dpHop, dpNVLS) + RingOrNVLSAllReduce(gExpert*gradB, gsExp, expBus, expHop, expNVLS)
		if overlap {
			dpComm = overlapped(dpComm, tb, sms) - tb // behind the last microbatch's backward
		}
	}
	denseShard, expertShard := 1.0, 1.0
	if zero >= 1 {
		denseShard, expertShard = gs, gsExp
	}
	passBytes := float64(OptimizerPassBytes)
	if opt(in.BF16Moments, i, false) {
		passBytes = OptimizerPassBytesBF16Moments
	}
	opt := optimizerPassOf(gDense/denseShard+gExpert/expertShard, passBytes, e, bw)
	stepT := (pipe + dpComm + opt + kvGradSync) * in.Straggler[i]

	// FLOPs per step (Korthikanti et al. 2022 Eq. 7 convention, generalised): 3 × the
	// forward. A LoRA step does the frozen weights' forward and dgrad (2 ×), attention's
	// forward and backward (3 ×) and the adapters' forward, dgrad and wgrad (3 ×).
	attnScores := 4 * s * h
	linear := LayerForwardFLOPs(h, a, kv, ffn, topk, in.Gated[i])
	layerFwd := linear + attnScores
	allTokens := B * s
	model := 3 * allTokens * (L*layerFwd + 2*h*in.Vocab[i])
	if in.LoRA[i] {
		adapters := 2 * LoRAParams(1, h)
		layerFwd += adapters
		model = allTokens * (L*(2*linear+3*attnScores+3*adapters) + 2*2*h*in.Vocab[i])
	}
	hw := model
	switch in.Recompute[i] {
	case RecomputeFull:
		hw += allTokens * L * layerFwd
	case RecomputeSelective, RecomputeLinearOutputs, RecomputeDeepSeekV3:
		if !in.FlashAttention[i] {
			hw += allTokens * L * attnScores
		}
	}
	if structured {
		model, hw = archFLOPs(allTokens, s, h, a, kv, ffn, topk, experts, in.Vocab[i], L, in.Gated[i], in.FlashAttention[i], in.LoRA[i], in.Recompute[i], arch)
	}
	if kv < tp && !arch.mla() && !kvSeqSharded(kv, tp, in.SeqParallel[i]) {
		// Every rank projects all its group's tokens onto its replicated K/V heads
		// (layerStep): the tp ranks run KVHeadsPerRank·tp heads' projections where the
		// model has kv, forward, dgrad and wgrad (and the recomputed forward).
		dup := allTokens * L * 2 * 2 * h * (h / a) * (KVHeadsPerRank(kv, tp)*tp - kv)
		passes := 3.0
		if in.LoRA[i] {
			passes = 2
		}
		if in.Recompute[i] == RecomputeFull {
			passes++
		}
		hw += passes * dup
	}
	// Hardware FLOPs are what the step executes: a fused causal kernel computes half of
	// the s² scores the model-FLOP convention counts (causalFlashUncounted).
	var unexecuted float64
	if in.FlashAttention[i] {
		sc, layers := attnScores, L
		if structured {
			sc, layers = archAttentionScores(s, h, a, arch), L+arch.MTP
		}
		unexecuted = allTokens * layers * causalFlashUncounted(sc, in.Recompute[i])
		hw -= unexecuted
	}
	active := in.Params[i] - in.ExpertParams[i] + in.ExpertParams[i]*topk/math.Max(experts, 1)
	// The FLOPs the step's peak time is counted at: every FLOP at the precision's peak,
	// or under an FP8 recipe the linear GEMMs' at the FP8 peak (mixedPeakFLOPs).
	peak, modelAt, hwAt := in.PeakFLOPS[i], model, hw
	if p8 := fp8PeakAt(in, i); in.FP8[i] != FP8None && p8 > 0 {
		sc, logits, layers := attnScores, 2*h*in.Vocab[i], L
		if structured {
			sc, logits, layers = archAttentionScores(s, h, a, arch), (1+arch.MTP)*2*h*in.Vocab[i], L+arch.MTP
		}
		rest, recomputed := fp8RestFLOPs(allTokens, layers, sc, logits, h, in.LoRA[i], in.Recompute[i], in.FlashAttention[i])
		modelAt, hwAt = mixedPeakFLOPs(model, rest, peak, p8), mixedPeakFLOPs(hw, rest+recomputed-unexecuted, peak, p8)
	}
	peakAll := stepT * N * peak

	compute := micro*(tMB-stageLayers*(lt.tpFwd+lt.tpBwd+lt.cp+lt.ep)) + weightCasts
	o.Valid[i], o.Reason[i] = true, StepValid
	o.DP[i], o.LocalBatch[i], o.MicroBatch[i] = dp, B/dp, b
	o.TPComm[i] = micro * stageLayers * (lt.tpFwd + lt.tpBwd)
	o.CPComm[i] = micro * stageLayers * lt.cp
	o.EPComm[i] = micro * stageLayers * lt.ep
	if structured {
		compute = micro*(tMB-archTP-archCP-archEP) + weightCasts
		o.TPComm[i], o.CPComm[i], o.EPComm[i] = micro*archTP, micro*archCP, micro*archEP
	}
	if a2aOverlap {
		o.EPComm[i] = micro * (a2aPair - a2aComp) // what the overlapped all-to-alls cost
	}
	if dual {
		// Busy time: the paired chunks' compute on all the SMs; what overlapping the
		// all-to-alls and sends costs beyond it (the SMs they hold, any excess) is EP's.
		comp := (dpr.c.f + dpr.c.b) / 2
		compute = micro*(comp-(dpr.c.tp+dpr.c.cp)/2) + weightCasts
		o.TPComm[i], o.CPComm[i], o.EPComm[i] = micro*dpr.c.tp/2, micro*dpr.c.cp/2, micro*(dpr.tFB-comp)
	}
	o.TPComm[i] += kvGradSync
	o.Compute[i] = compute
	o.PPComm[i] = ppComm
	o.DPComm[i] = dpComm
	o.Comm[i] = o.TPComm[i] + o.CPComm[i] + o.EPComm[i] + ppComm + dpComm
	o.Efficiency[i] = compute / stepT
	o.ComputeMFU[i] = modelAt / (compute * N * peak)
	o.Bubble[i] = bubble
	o.BubbleFraction[i] = bubble / stepT
	o.Optimizer[i] = opt
	o.Step[i] = stepT
	o.Tokens[i] = allTokens
	o.ModelFLOPs[i] = model
	o.HWFLOPs[i] = hw
	o.SixPFLOPs[i] = 6 * active * allTokens
	o.MFU[i] = modelAt / peakAll
	o.HFU[i] = hwAt / peakAll
	o.TokensPerS[i] = allTokens / stepT
	o.SamplesPS[i] = B / stepT
	o.LayerFwd[i], o.LayerBwd[i] = lt.fwd, lt.bwd
}

// causalFlashUncounted is, per token and layer, the attention FLOPs the full-s² count
// (sc a forward's scores and values, 4·s·h; three forwards' worth for the forward and
// backward, one more under full recomputation) holds but a fused causal kernel does not
// execute. Model FLOPs keep the full count, the convention MFU is published in (Chowdhery
// et al. 2022, PaLM, Appendix B: 6N + 12·L·H·Q·T per token, the full sequence T;
// Narayanan et al. 2021, Megatron-LM, Eq. 3: the s/(6h) term over all s² scores), so MFU
// can exceed 1 where attention dominates (Llama 3 8B at 128K tokens). Hardware FLOPs are
// what the hardware executes: FlashAttention computes the blocks on and below the
// diagonal, "approximately only half of the entries", and its backward does 2.5× the
// forward's FLOPs, the scores' recomputation included (Dao 2023, FlashAttention-2 §4.1;
// layerStep prices the same FLOPs), so 0.5·sc + 2.5·0.5·sc, and a full recomputation's
// forward 0.5·sc more. Unfused attention computes the whole s² matrix before masking it:
// nothing is uncounted there (flash false: the caller skips this).
func causalFlashUncounted(sc float64, rec Recompute) float64 {
	counted, executed := 3*sc, 0.5*sc*(1+FlashAttentionBackwardFLOPs)
	if rec == RecomputeFull {
		counted, executed = counted+sc, executed+0.5*sc
	}
	return counted - executed
}

// LayerForwardFLOPs is the forward GEMM FLOPs per token of one transformer layer
// without the attention scores (Korthikanti et al. 2022 Appendix A, generalised): the
// Q, K, V and output projections, 2·h·(h + 2·kv·h/a) + 2·h², and the MLP of topk
// experts of width ffn, 2·(2 or 3)·ffn·h (3 matrices when gated). kv 0 = heads.
func LayerForwardFLOPs(h, heads, kv, ffn, topk float64, gated bool) float64 {
	if kv == 0 {
		kv = heads
	}
	mats := 2.0
	if gated {
		mats = 3
	}
	return 2*(h*(h+2*kv*h/heads)+h*h) + 2*mats*math.Max(1, topk)*ffn*h
}

// layerStep prices one transformer layer for one microbatch on one accelerator.
func layerStep(k *layerKey) layerTimes {
	e, rate, sms, bw := k.bytes, k.rate, k.sms, k.bw
	h, tp, s := k.h, k.tp, k.s
	d := h / k.a
	n := k.b * s / k.cp // tokens of this CP rank
	sq := s / k.cp      // queries held; keys and values span the whole sequence
	heads := k.a / tp
	kvHeads := KVHeadsPerRank(k.kv, tp) // at least one: replicated when tp > kv (kvreplicate.go)
	gradBytes := 2 * e                  // read-modify-write of a gradient in the training precision
	if k.fp32 {
		gradBytes = GradAccumFP32Bytes
	}
	up := 1.0
	if k.gated {
		up = 2
	}
	// MLP GEMMs run per local expert on the tokens routed to it (balanced routing).
	// Under sequence parallelism (which MoE with tp > 1 requires, ExpertTPSplit) a rank
	// routes its own n/tp tokens; the alltoall dispatcher gathers what it receives over
	// the expert-TP group before the expert GEMMs and reduce-scatters after them
	// (megatron/core/transformer/moe/token_dispatcher.py@d98e8a6,
	// MoEAlltoAllTokenDispatcher.dispatch_postprocess / combine_preprocess:
	// gather_from_sequence_parallel_region and reduce_scatter_to_sequence_parallel_region
	// over expt_tp), so an expert GEMM takes etp·n/tp·topk/local rows, ffn/etp wide.
	etp := k.etp
	if etp == 0 {
		etp = tp // a key built without one (tests): Megatron's default
	}
	localExperts, routed, mlpTP := 1.0, n, tp
	imbalance := 1.0 // the busiest EP rank's received tokens over the mean
	if k.experts > 0 {
		localExperts, mlpTP = k.experts/k.ep, etp
		if k.ep > 1 {
			imbalance = k.imbalance
		}
		routed = n / tp * etp * k.topk / localExperts * imbalance
	}
	type gemm struct{ m, n, k, batch float64 }
	linears := [4]gemm{
		{n, (h + 2*k.kv*d) / tp, h, 1},                // QKV (column-parallel; replicated K/V heads below when tp > kv)
		{n, h, h / tp, 1},                             // attention output projection (row-parallel)
		{routed, up * k.ffn / mlpTP, h, localExperts}, // MLP up (and gate)
		{routed, h, k.ffn / mlpTP, localExperts},      // MLP down
	}
	// The linears' operands: the training precision, or FP8 at the FP8 rate (their
	// outputs stay in the training precision, wgrad's in the gradient buffer).
	linRate, linIn := rate, e
	if k.fp8 != FP8None {
		linRate, linIn = k.rate8, 1
	}
	// A structured layer's other linears (trainingarch.go): latent attention's down
	// projections, replicated on every TP rank (Megatron-Core's MLASelfAttention builds
	// linear_q_down_proj and linear_kv_down_proj with parallel_mode "duplicated",
	// megatron/core/transformer/multi_latent_attention.py), and its key/value up
	// projection; a shared expert's up and down projections, TP-split like a dense MLP
	// (Megatron-Core's SharedExpertMLP) on every token.
	ar := k.arch
	if ar == nil {
		ar = &plainArch
	}
	// The MLP block's TP collectives (its g/ḡ pair, and their backward) exist where a
	// TP-split MLP reads the whole sequence: a dense MLP, or an MoE layer's shared expert
	// (Megatron-Core's SharedExpertMLP gathers its input over TP). An MoE layer without one
	// routes each rank's own sequence shard to the experts
	// (megatron/core/transformer/moe/moe_layer.py@d98e8a6, MoELayer.forward: router and
	// token dispatcher on the sequence-parallel hidden states; the expert-TP gather and
	// scatter are EP's, below), so its layer runs only the attention block's pair.
	mlpBlock := k.experts == 0 || ar.SharedExperts > 0
	var extra [6]gemm
	nExtra, kvUp := 0, -1 // kvUp: the key/value up projection's index in extra
	add := func(g gemm) { extra[nExtra] = g; nExtra++ }
	// K/V heads replicated over tp > kv (kvreplicate.go): each rank holds kvHeads of them
	// whole. Multi-query attention under sequence parallelism runs the BigCode fork's
	// scheme (bigcode-project/Megatron-LM@7c325cd, megatron/model/transformer.py,
	// ParallelAttention.forward): the replicated K/V projection on the rank's own n/tp
	// tokens, its output gathered over the sequence-parallel region (reduce-scattered in
	// the backward), and the weight gradient, partial over the tokens, all-reduced over
	// the TP group after the backward (megatron/optimizer/optimizer.py,
	// allreduce_key_value_grads; kvGradSync). Otherwise every rank projects all n tokens
	// onto its heads (vLLM's QKVParallelLinear; the BigCode fork without sequence
	// parallelism), and the K/V output's gradient is all-reduced over the ranks that
	// share a head in the backward (the fork's copy_to_tensor_model_parallel_region).
	kvRep := !ar.mla() && k.kv < tp
	kvSeq := kvRep && kvSeqSharded(k.kv, tp, k.sp)
	if kvRep {
		linears[0] = gemm{n, QKVColumns(h, d, k.kv, tp), h, 1}
		if kvSeq {
			linears[0] = gemm{n, h / tp, h, 1} // the query (column-parallel)
			add(gemm{n / tp, 2 * kvHeads * d, h, 1})
		}
	}
	if ar.mla() {
		hq := k.a * (ar.QKNope + ar.QKRope) / tp
		linears[0] = gemm{n, hq, h, 1} // queries (column-parallel)
		if ar.QLoraRank > 0 {
			linears[0] = gemm{n, hq, ar.QLoraRank, 1} // query up projection
			add(gemm{n, ar.QLoraRank, h, 1})          // query down projection
		}
		add(gemm{n, ar.KVLoraRank + ar.QKRope, h, 1}) // key/value down projection and rotary key
		kvUp = nExtra
		add(gemm{n, k.a * (ar.QKNope + ar.VHead) / tp, ar.KVLoraRank, 1}) // key/value up projection
		linears[1] = gemm{n, h, k.a * ar.VHead / tp, 1}                   // output projection (row-parallel)
	}
	if ar.SharedExperts > 0 && k.experts > 0 {
		add(gemm{n, up * ar.SharedExperts * k.ffn / tp, h, 1})
		add(gemm{n, h, ar.SharedExperts * k.ffn / tp, 1})
	}
	var fwd, dgrad, wgrad [4]float64
	for j, l := range linears {
		fwd[j] = gemmTime(l.m, l.n, l.k, l.batch, linRate, sms, bw, linIn, e)
		dgrad[j] = gemmTime(l.m, l.k, l.n, l.batch, linRate, sms, bw, linIn, e)
		if !k.lora {
			wgrad[j] = gemmTime(l.k, l.n, l.m, l.batch, linRate, sms, bw, linIn, gradBytes)
		}
	}
	var extraF, extraB, extraW, extraUp float64
	for j, l := range extra[:nExtra] {
		f := gemmTime(l.m, l.n, l.k, l.batch, linRate, sms, bw, linIn, e)
		w := gemmTime(l.k, l.n, l.m, l.batch, linRate, sms, bw, linIn, gradBytes)
		extraF += f
		extraB += gemmTime(l.m, l.k, l.n, l.batch, linRate, sms, bw, linIn, e) + w
		extraW += w
		if j == kvUp {
			extraUp = f
		}
	}
	// The router's gating GEMM, h → experts logits on each of the rank's own n/tp tokens
	// (Megatron-Core's TopKRouter.gating, router_gating_linear in moe/moe_utils.py at 00611e6:
	// Transformer Engine's general GEMM on the 16-bit input and weight, written in the
	// router dtype, FP32 where moe_router_dtype is fp32; its backward's two GEMMs read the
	// FP32 logit gradient and the weight cast to FP32), at the training precision's rate
	// whatever the FP8 recipe (the router stays in high precision: DeepSeek-V3 §3.3, "MoE
	// gating modules"). The rate is a lower bound for the backward, whose FP32 operands
	// may not run on 16-bit tensor cores.
	var routerF, routerB, routerW float64
	if k.experts > 0 {
		routerF, routerB, routerW = moeRouterGEMMs(n/tp, k.experts, h, rate, sms, bw, e, gradBytes)
	}
	var loraF, loraB float64
	if k.lora {
		// Frozen weights have no wgrad. The adapters beside Q, K, V (three, one block
		// each of the fused projection's columns) and O: z = x·A (k×r), y += z·B (r×n)
		// forward; dz = dy·Bᵀ, dx += dz·Aᵀ, dA = xᵀ·dz, dB = zᵀ·dy backward.
		r := float64(LoRARank)
		for j, c := range [2]float64{3, 1} {
			l := linears[j]
			loraF += gemmTime(l.m, c*r, l.k, 1, rate, sms, bw, e, e) + gemmTime(l.m, l.n/c, r, c, rate, sms, bw, e, e)
			loraB += gemmTime(l.m, r, l.n/c, c, rate, sms, bw, e, e) + gemmTime(l.m, l.k, c*r, 1, rate, sms, bw, e, e) +
				gemmTime(l.k, c*r, l.m, 1, rate, sms, bw, e, gradBytes) + gemmTime(r, l.n/c, l.m, c, rate, sms, bw, e, gradBytes)
		}
	}

	// Elementwise traffic (bytes): the tensors of Korthikanti et al. 2022 §4.1 read and
	// written by each operation; norms and residuals run on 1/tp of the tokens under SP.
	E := n * h
	if k.sp {
		E /= tp
	}
	act := routed * localExperts * k.ffn / mlpTP // MLP intermediate elements
	if ar.SharedExperts > 0 && k.experts > 0 {
		act += n * ar.SharedExperts * k.ffn / tp
	}
	// The unfused (Megatron GPT) configuration trains with dropout; GPT-NeoX's count is its
	// configurations', hidden dropout 0 (NeoXLayerElementwise).
	dropout := !k.flash && !k.neox
	var ewF, ewB, kernelsF, kernelsB float64
	switch {
	case k.eager:
		// Op by op, as a PyTorch eager Llama block runs it, each kernel paying KernelS.
		w := EagerLayerElementwise(E, n*h, n*heads*d, n*kvHeads*d, act, e, k.gated)
		ewF, ewB, kernelsF, kernelsB = w.FwdBytes, w.BwdBytes, w.FwdKernels*KernelS, w.BwdKernels*KernelS
	case k.neox:
		// GPT-NeoX's layer as its code runs it, each kernel paying KernelS.
		w := NeoXLayerElementwise(E, n*heads*d, n*kvHeads*d, act, e, k.flash, k.b == 1)
		ewF, ewB, kernelsF, kernelsB = w.FwdBytes, w.BwdBytes, w.FwdKernels*KernelS, w.BwdKernels*KernelS
	default:
		ewF = 2*2*E*e + 2*3*E*e // two norms (read, write), two residual adds (2 reads, write)
		ewB = 2*5*E*e + 2*3*E*e // norm backward (x, dy twice; dx), residual gradient adds
		if k.gated {
			ewF += 3 * act * e // read gate and up, write their product
			ewB += 5 * act * e
		} else {
			ewF += 2 * act * e // GeLU
			ewB += 3 * act * e
		}
	}
	if ar.mla() {
		// The RMSNorms of the query and key/value latents, on every token of each TP rank.
		lat := n * (ar.QLoraRank + ar.KVLoraRank)
		ewF += 2 * lat * e
		ewB += 5 * lat * e
	}
	if dropout {
		ewF += 2 * E * (e + 1) // hidden dropout: write the output again and a 1-byte mask
		ewB += 2 * E * (2*e + 1)
	}
	if k.experts > 0 {
		permF, permB := MoEPermuteBytes(n/tp*etp*h, k.topk, localExperts, e) // the expert-TP group's tokens
		ewF += permF
		ewB += permB
	}
	if k.fp8 != FP8None {
		var moeRows float64
		if k.experts > 0 {
			moeRows = routed * localExperts
		}
		castF, castB := fp8Casts(k.fp8, E, n, h, tp, QKVColumns(h, d, k.kv, tp), act, up, moeRows, e)
		ewF += castF
		ewB += castB
	}

	// Attention core.
	var attnF, attnB float64
	bh := k.b * heads
	if k.flash {
		// Fused kernel: no s² tensor in memory; causal blocks above the diagonal are
		// skipped; it runs at its own measured rate.
		flops := 0.5 * 4 * bh * sq * s * d
		if ar.mla() {
			// Scores over query/key heads QKNope + QKRope wide, values VHead wide.
			flops = 0.5 * 2 * bh * sq * s * (ar.QKNope + ar.QKRope + ar.VHead)
		}
		attnF = flops / k.attn
		attnB = FlashAttentionBackwardFLOPs * attnF
	} else {
		d := d
		if ar.mla() {
			d = (ar.QKNope + ar.QKRope + ar.VHead) / 2 // the mean of the score and value widths
		}
		s2 := bh * sq * s
		attnF = gemmTime(sq, s, d, bh, rate, sms, bw, e, e) + gemmTime(sq, d, s, bh, rate, sms, bw, e, e) +
			(2*s2*e+s2*(2*e+1))/bw + 2*n*h/tp*e/bw // softmax, dropout and its mask, context transpose
		attnB = gemmTime(sq, d, s, bh, rate, sms, bw, e, e) + gemmTime(s, d, sq, bh, rate, sms, bw, e, e) +
			gemmTime(sq, s, d, bh, rate, sms, bw, e, e) + gemmTime(s, d, sq, bh, rate, sms, bw, e, e) +
			(3*s2*e+s2*(2*e+1))/bw + 2*n*h/tp*e/bw
	}

	var t layerTimes
	msg := n * h * e // one activation of the microbatch's tokens
	if tp > 1 {
		ag := CollectiveTime(CollAllGather, msg, tp, k.tpBus, k.tpHop)
		ar := RingOrNVLSAllReduce(msg, tp, k.tpBus, k.tpHop, k.tpNVLS)
		if k.sp {
			// The column-parallel layers' inputs are gathered as their GEMM takes them: in
			// FP8 when it runs in FP8 (fp8InputGather).
			agIn, reIn := ag, ag
			if k.fp8 != FP8None {
				agIn, reIn = fp8InputGather(k, n*h)
			}
			// g/ḡ: all-gather before and reduce-scatter after each block (Korthikanti §4.2.2).
			t.tpFwd = 2*agIn + 2*ag
			// Backward: the row-parallel layers' all-gathers are exposed; the column-parallel
			// layers' reduce-scatter overlaps their wgrad and the re-gathered input their dgrad.
			t.tpBwd = 2*ag + overlapped(reIn, dgrad[0], sms) - dgrad[0] + overlapped(ag, wgrad[0], sms) - wgrad[0] +
				overlapped(reIn, dgrad[2], sms) - dgrad[2] + overlapped(ag, wgrad[2], sms) - wgrad[2]
			if !mlpBlock {
				t.tpFwd = agIn + ag
				t.tpBwd = ag + overlapped(reIn, dgrad[0], sms) - dgrad[0] + overlapped(ag, wgrad[0], sms) - wgrad[0]
			}
		} else {
			t.tpFwd = 2 * ar
			if k.neox && !k.eager && mlpBlock {
				// gpt_j_residual: attention and MLP outputs summed, then one all-reduce
				// (transformer.py, "output = residual + self.reduce(output)").
				t.tpFwd = ar
			}
			t.tpBwd = overlapped(ar, wgrad[0], sms) - wgrad[0] + overlapped(ar, wgrad[2], sms) - wgrad[2]
			if !mlpBlock {
				t.tpFwd = ar
				t.tpBwd = overlapped(ar, wgrad[0], sms) - wgrad[0]
			}
		}
	}
	if kvRep {
		// The replicated K/V projection's exchanges (above), exposed.
		kvOut := n * 2 * kvHeads * d * e
		if kvSeq {
			t.tpFwd += CollectiveTime(CollAllGather, kvOut, tp, k.tpBus, k.tpHop)
			t.tpBwd += CollectiveTime(CollReduceScatter, kvOut, tp, k.tpBus, k.tpHop)
		} else {
			t.tpBwd += RingOrNVLSAllReduce(kvOut, KVReplicas(k.kv, tp), k.tpBus, k.tpHop, k.tpNVLS)
		}
	}
	// The output layer (vocabulary-parallel over tp) and the loss, on the last stage.
	if V := k.vocab; V > 0 {
		t.logits = gemmTime(n, V/tp, h, 1, rate, sms, bw, e, e) + gemmTime(n, h, V/tp, 1, rate, sms, bw, e, e) + CrossEntropyBytesPerLogit*n*V/tp/bw
		if !k.lora { // LoRA freezes the output layer
			t.logits += gemmTime(h, V/tp, n, 1, rate, sms, bw, e, gradBytes)
		}
	}

	var cpF, cpB float64
	switch chunk := 2 * k.b * sq * kvHeads * d * e; {
	case k.cp > 1 && k.cpAG:
		// All-gather CP (Llama 3 §3.3.2): the whole sequence's K,V are gathered before the
		// local attention, "exposed in the critical path". A rank keeps only its own chunk
		// (as the activation count has it), so the backward gathers them again and
		// reduce-scatters their gradients to the ranks that own them, exposed likewise.
		cpF = CollectiveTime(CollAllGather, k.cp*chunk, k.cp, k.cpBus, k.cpHop)
		cpB = cpF + CollectiveTime(CollReduceScatter, k.cp*chunk, k.cp, k.cpBus, k.cpHop)
		t.cp = cpF + cpB
	case k.cp > 1:
		// Ring attention: the K,V chunk of each of the cp−1 other ranks arrives while the
		// local attention runs; the backward sends K,V and their gradients.
		ring := (k.cp - 1) * (chunk/k.cpBus + k.cpHop)
		cpF, cpB = math.Max(0, ring-attnF), math.Max(0, 2*ring-attnB)
		t.cp = cpF + cpB
	}
	if k.experts > 0 && k.ep > 1 {
		// Dispatch and combine all-to-alls, forward and backward: each rank sends its own
		// n/tp tokens' topk copies (token_dispatcher.py@d98e8a6, MoEAlltoAllTokenDispatcher
		// .token_dispatch: all_to_all over the EP group of the permuted local tokens).
		t.ep = 4 * CollectiveTime(CollAllToAll, n/tp*k.topk*h*e*imbalance, k.ep, k.epBus, k.epHop)
	}
	if k.experts > 0 && etp > 1 {
		// The received tokens gathered over the expert-TP group and the expert outputs
		// reduce-scattered back (dispatch_postprocess / combine_preprocess), forward; the
		// backward runs their transposes, a reduce-scatter and an all-gather.
		buf := etp * n / tp * k.topk * h * e * imbalance
		bus, hop := k.etpBus, k.etpHop
		if bus == 0 {
			bus, hop = k.tpBus, k.tpHop // a key built without one (tests): the TP group's link
		}
		t.ep += 2 * (CollectiveTime(CollAllGather, buf, etp, bus, hop) +
			CollectiveTime(CollReduceScatter, buf, etp, bus, hop))
	}

	t.w = wgrad[0] + wgrad[1] + wgrad[2] + wgrad[3] + extraW + routerW
	t.epF = t.ep / 2
	gemmF := fwd[0] + fwd[1] + fwd[2] + fwd[3] + loraF + extraF + routerF
	gemmB := dgrad[0] + dgrad[1] + dgrad[2] + dgrad[3] + wgrad[0] + wgrad[1] + wgrad[2] + wgrad[3] + loraB + extraB + routerB
	t.fwd = gemmF + attnF + ewF/bw + kernelsF + t.tpFwd + cpF + t.ep/2
	t.bwd = gemmB + attnB + ewB/bw + kernelsB + t.tpBwd + cpB + t.ep/2
	switch k.rec {
	case RecomputeFull:
		t.bwd += t.fwd
		t.tpBwd += t.tpFwd
		t.cp += cpF
		t.ep += t.ep / 2
	case RecomputeSelective:
		if !k.flash {
			t.bwd += attnF // Korthikanti §5: only the attention core is recomputed
		}
	case RecomputeLinearOutputs:
		// Llama 1 §2.4: the linear layers' (and the attention's) outputs are kept; the
		// backward recomputes the two norms (read the kept input, write the output) and
		// the MLP activation (read gate and up, write their product; GeLU: read, write),
		// one fused pass each, and the attention core as selective does.
		rec := 2 * 2 * E * e
		if k.gated {
			rec += 3 * act * e
		} else {
			rec += 2 * act * e
		}
		t.bwd += rec / bw
		if !k.flash {
			t.bwd += attnF
		}
	case RecomputeDeepSeekV3:
		// DeepSeek-V3 §3.2.3: every RMSNorm re-runs in the backward (read the kept
		// input, write the output: the two layer norms and the MLA latents' norms) and so
		// do the MLA up-projections' forward GEMMs; §3.3.3: an MoE layer's SwiGLU output
		// is recomputed from its cached inputs (read gate and up, write the product). The
		// attention core is recomputed as selective does where it is unfused.
		rec := 2 * 2 * E * e
		if ar.mla() {
			rec += 2 * n * (ar.QLoraRank + ar.KVLoraRank) * e
			t.bwd += fwd[0] + extraUp // the query and key/value up projections
		}
		if k.experts > 0 {
			rec += (up + 1) * act * e
		}
		t.bwd += rec / bw
		if !k.flash {
			t.bwd += attnF
		}
	}
	return t
}

// DualPipeSplit reports whether DeepSeek-V3's DualPipe schedule can run a pipeline of pp
// ranks with m microbatches per flush and v virtual stages: pp even, m even and at least
// 2·pp, and no interleaving (its two chunks per rank are its own; deepseek-ai/DualPipe
// dualpipe.py at 3da1bbe asserts num_ranks % 2 == 0 and num_chunks % 2 == 0 and
// num_chunks >= num_ranks * 2). The arguments are whole numbers below 2^53.
func DualPipeSplit(pp, v, m float64) bool {
	return pp >= 2 && v <= 1 && divides(pp, 2) && divides(m, 2) && m >= 2*pp
}

// dualChunks is what one rank's two DualPipe chunks (one stage from each end of the
// pipeline) do for one microbatch each: forward and backward compute without the
// all-to-alls (exposed TP and CP included), the weight-gradient GEMMs of the backward,
// the all-to-alls, the exposed TP and CP collectives, and the layers.
type dualChunks struct{ f, b, w, a2a, a2aF, tp, cp, layers float64 }

// dualPipeRank is the slowest rank under DualPipe: its chunks, the time of one pair of
// overlapped forward and backward chunks (tFB), its bubble and its pipeline time.
type dualPipeRank struct {
	c              dualChunks
	tFB, bubble, t float64
}

// chunks sums stages x and y of a rank (their dense, plain or MoE, and MTP layers and
// output heads) from the memo's layer times.
func (m *layerMemo) chunks(x, y stageMix) dualChunks {
	var c dualChunks
	for _, s := range [2]stageMix{x, y} {
		for _, p := range [3]struct {
			n float64
			t *layerTimes
		}{{s.dense, &m.dense}, {s.moe, &m.t}, {s.mtp, &m.mtp}} {
			t := p.t
			c.f += p.n * (t.fwd - t.epF)
			c.b += p.n * (t.bwd - (t.ep - t.epF))
			c.w += p.n * t.w
			c.a2a += p.n * t.ep
			c.a2aF += p.n * t.epF
			c.tp += p.n * (t.tpFwd + t.tpBwd)
			c.cp += p.n * t.cp
			c.layers += p.n
		}
		c.b += s.logits * m.t.logits
	}
	return c
}

// dualPipe prices DeepSeek-V3's DualPipe schedule (report §3.2.1, Figure 5 and Table 2;
// deepseek-ai/DualPipe README at 3da1bbe, "Pipeline Bubbles and Memory Usage
// Comparison") for micro microbatches on pp ranks, each holding stage r of the forward
// direction and stage pp−1−r of the reverse, and returns its slowest rank. In the steady
// state each rank runs a forward chunk of one microbatch beside the backward chunk of
// another ("F&B"), with the all-to-alls and pipeline sends of both running beside their
// computation ("both all-to-all and PP communication can be fully hidden") on
// DualPipeCommSMs of the SMs (§3.2.2); a rank runs micro such pairs, and the warm-up and
// drain leave the README's bubble (PP/2 − 1)(F&B + B − 3W), B a chunk's full backward
// and W its weight-gradient part:
//
//	F&B = overlapped(comm, compute) on DualPipeCommSMs, per pair the mean of the rank's
//	      two chunks: compute (F + B), comm (the all-to-alls + a send each way)
//	t   = micro·F&B + (pp/2 − 1)·(F&B + B − 3W)
//
// A plain model's stages are ⌈L/pp⌉ layers each (the deepest, as 1F1B prices them) with
// the output layer on the last, so the first rank, which holds the first and the last
// stage, is the slowest; a structured model's stages are ArchStages' without
// interleaving.
func (m *layerMemo) dualPipe(sim *dualPipeSim, L, pp, micro, send, sms, stageLayers float64, structured bool, arch *Arch) dualPipeRank {
	pair := func(c dualChunks) dualPipeRank {
		comp := (c.f + c.b) / 2
		comm := (c.a2a + 4*send) / 2
		tFB := overlappedOn(comm, comp, sms, DualPipeCommSMs)
		if c.a2a > 0 {
			// With all-to-alls in the pair, its SMs are split for the whole pair: DeepSeek
			// "manually adjust[s] the ratio of GPU SMs dedicated to communication versus
			// computation" for a pair of chunks (§3.2.1) and "allocate[s] 20 out of the 132
			// SMs ... for this purpose, which will limit the computational throughput"
			// (§3.5.1); its GEMM library caps the SMs a kernel takes for that
			// (deepseek-ai/DeepGEMM README at a6d97a1, deep_gemm.set_num_sms).
			tFB = partitioned(comm, comp, sms, DualPipeCommSMs)
		}
		bubble := (pp/2 - 1) * math.Max(0, tFB+c.b/2-3*c.w/2)
		return dualPipeRank{c: c, tFB: tFB, bubble: bubble, t: micro*tFB + bubble}
	}
	// The schedule itself (dualpipesim.go): the lone chunks of the warm-up and drain run
	// their all-to-alls exposed, and each rank its own two stages.
	stage := func(x stageMix) dpStage {
		c := m.chunks(x, stageMix{})
		return dpStage{f: c.f, b: c.b, w: c.w, af: c.a2aF, ab: c.a2a - c.a2aF}
	}
	sim.stages = sim.stages[:0]
	var best dualPipeRank
	if !structured {
		best = pair(m.chunks(stageMix{moe: stageLayers}, stageMix{moe: stageLayers, logits: 1}))
		for s := 0.0; s < pp; s++ {
			x := stageMix{moe: stageLayers}
			if s == pp-1 {
				x.logits = 1
			}
			sim.stages = append(sim.stages, stage(x))
		}
	} else {
		ranks, _ := ArchStages(L, pp, 1, arch)
		best = dualPipeRank{t: -1}
		for r := 0; r < len(ranks)/2; r++ {
			if d := pair(m.chunks(ranks[r], ranks[len(ranks)-1-r])); d.t > best.t {
				best = d
			}
		}
		for _, x := range ranks {
			sim.stages = append(sim.stages, stage(x))
		}
	}
	if len(sim.stages) == int(pp) {
		if t, idle := sim.run(sim.stages, int(micro), send, sms); t >= 0 {
			best.t, best.bubble = t, idle
		}
	}
	return best
}

// moeRouterGEMMs are an MoE router's gating GEMM on nr tokens of h elements (e bytes)
// to experts FP32 logits (RouterLogitBytes), and its backward's data- and
// weight-gradient GEMMs on the FP32 logit gradient, at rate (layerStep): forward,
// backward (both) and the backward's weight-gradient part.
func moeRouterGEMMs(nr, experts, h, rate, sms, bw, e, gradBytes float64) (fwd, bwd, w float64) {
	fwd = gemmTime(nr, experts, h, 1, rate, sms, bw, e, RouterLogitBytes)
	w = gemmTime(h, experts, nr, 1, rate, sms, bw, RouterLogitBytes, gradBytes)
	return fwd, gemmTime(nr, h, experts, 1, rate, sms, bw, RouterLogitBytes, e) + w, w
}

// MoEPermuteBytes is the memory traffic of the token permutation around an MoE layer's
// experts for elems = tokens × hidden elements of e bytes routed to topk experts each,
// localExperts of them on this rank: forward and backward (MoEPermuteForward).
func MoEPermuteBytes(elems, topk, localExperts, e float64) (fwd, bwd float64) {
	perCopyF, perCopyB := float64(MoEPermuteForward), float64(MoEPermuteBackward)
	if localExperts > 1 {
		perCopyF += MoESortPerCopy
		perCopyB += MoESortPerCopy
	}
	return elems * e * (perCopyF*topk + 1), elems * e * perCopyB * topk
}

// gemmTime is one (batched) GEMM C[m×n] = A[m×k]·B[k×n] on an accelerator that reaches
// rate FLOP/s on large GEMMs: the main loop runs at rate × wave quantization (or at
// the memory rate when the operands' traffic binds), then the epilogue writes C
// (outBytes per element: the precision, or a read-modify-write of an accumulator).
// The 256×128 tile runs in either orientation, no taller along m than m rounded up to
// the 16 rows of a tensor-core instruction (a GEMM of a few rows does not pay for 128
// or 256). When the tiles fill less than half the SMs, the library may split k over
// ⌊SMs/tiles⌋ thread blocks per tile instead (split-K: CUTLASS's parallel reduction
// "across threadblocks" for small m·n and large k, docs/efficient_gemm.md; Osama et al.,
// Stream-K, PPoPP 2023 §2), at the cost of writing and reading FP32 partial sums. The
// fastest of these runs, as a library picks the fastest kernel it has. Serving's
// matmuls of a few rows (docs/PHYSICS.md §33) are where the last two matter.
func gemmTime(m, n, k, batch, rate, sms, bw, inBytes, outBytes float64) float64 {
	flops := 2 * m * n * k * batch
	operands := (m*k + k*n) * batch * inBytes / bw
	epilogue := m * n * batch * outBytes / bw
	return gemmTiming(m, n, k, batch, rate, sms, bw, flops, operands, epilogue).t
}

// gemmCost is a GEMM's time on the tiling a library picks, with the FLOP time at that
// tiling's occupancy and the split-K partial sums' traffic (0 without split-K).
type gemmCost struct{ t, compute, partials float64 }

// gemmTiming is gemmTime's choice of tiling for a GEMM whose operand reads and epilogue
// writes (in seconds at bw) the caller counts itself: a convolution reads its input
// feature map once rather than its im2col copy (docs/PHYSICS.md §36).
func gemmTiming(m, n, k, batch, rate, sms, bw, flops, operands, epilogue float64) gemmCost {
	if sms <= 0 {
		return gemmCost{t: max(flops/rate, operands) + epilogue, compute: flops / rate}
	}
	g := gemm{m: m, n: n, k: k, batch: batch, rate: rate, sms: sms, bw: bw, flops: flops, operands: operands, epilogue: epilogue}
	if m >= GEMMTileM {
		// Both orientations have the full tile's area: the one with fewer tiles is faster.
		return g.tiled(GEMMTileM*GEMMTileN, batch*min(math.Ceil(m/GEMMTileM)*math.Ceil(n/GEMMTileN), math.Ceil(m/GEMMTileN)*math.Ceil(n/GEMMTileM)))
	}
	rows := math.Ceil(m/GEMMTileMinRows) * GEMMTileMinRows
	tall, wide := min(GEMMTileM, rows), min(GEMMTileN, rows)
	t := g.tiled(tall*GEMMTileN, batch*math.Ceil(m/tall)*math.Ceil(n/GEMMTileN))
	if t.t == operands+epilogue {
		return t // streaming the operands: no tiling is faster
	}
	if w := g.tiled(wide*GEMMTileM, batch*math.Ceil(m/wide)*math.Ceil(n/GEMMTileM)); w.t < t.t {
		return w
	}
	return t
}

// gemm is one GEMM's shape and its three roofline terms, for gemmTime's tilings.
type gemm struct{ m, n, k, batch, rate, sms, bw, flops, operands, epilogue float64 }

// tiled is the GEMM on `tiles` tiles of `area` elements of C: data-parallel in waves
// over the SMs, or, when the tiles fill less than half of them, split-K if faster.
func (g *gemm) tiled(area, tiles float64) gemmCost {
	q := g.m * g.n * g.batch / (math.Ceil(tiles/g.sms) * g.sms * area)
	compute := g.flops / (g.rate * q)
	c := gemmCost{t: max(compute, g.operands) + g.epilogue, compute: compute}
	if compute <= g.operands {
		return c // the operands' stream binds: splitting k only adds partial sums
	}
	if split := min(math.Floor(g.sms/tiles), math.Ceil(g.k/GEMMTileK)); split >= 2 {
		qs := g.m * g.n * g.batch * split / (g.sms * area)
		partials := 2 * split * g.m * g.n * g.batch * SplitKPartialBytes / g.bw
		cs := g.flops / (g.rate * qs)
		if t := max(cs, g.operands) + partials + g.epilogue; t < c.t {
			c = gemmCost{t: t, compute: cs, partials: partials}
		}
	}
	return c
}

// optimizerPass is the time of one mixed-precision Adam step over params parameters at
// the streaming bandwidth bw: OptimizerPassBytes of model state per parameter and its
// weightBytes-byte weights written back (the transformer step's and, §36, a CNN's).
func optimizerPass(params, weightBytes, bw float64) float64 {
	return optimizerPassOf(params, OptimizerPassBytes, weightBytes, bw)
}

// optimizerPassOf is optimizerPass with passBytes of model state per parameter
// (OptimizerPassBytes, or OptimizerPassBytesBF16Moments).
func optimizerPassOf(params, passBytes, weightBytes, bw float64) float64 {
	return params * (passBytes + weightBytes) / bw
}

// overlapped is the time of compute that runs beside a collective: while the
// collective is in flight NCCL's kernels hold NCCLChannelSMs of the sms, slowing the
// compute in proportion; the longer of the two sets the time.
func overlapped(comm, compute, sms float64) float64 {
	return overlappedOn(comm, compute, sms, NCCLChannelSMs)
}

// partitioned is the time of compute that runs beside communication on a static split
// of the SMs: the compute has sms − commSMs of them for as long as it runs, whether or
// not the communication is in flight (DualPipe's chunk pairs), and the longer of the
// two sets the time.
func partitioned(comm, compute, sms, commSMs float64) float64 {
	if sms <= commSMs {
		return math.Max(comm, compute)
	}
	return math.Max(comm, compute*sms/(sms-commSMs))
}

// overlappedOn is overlapped with the collective holding commSMs of the sms.
func overlappedOn(comm, compute, sms, commSMs float64) float64 {
	if sms <= commSMs {
		return math.Max(comm, compute)
	}
	slow := compute * sms / (sms - commSMs)
	if comm >= slow {
		return comm
	}
	return comm + (compute - comm/slow*compute)
}

// NodeTrainingStep writes row j of a calibrated training step on one accelerator
// (TrainingStep with Accelerators 1, its memory from TrainingMemory's calibrated count)
// into row i of a single-node result, so that the node study's transformer training
// is the fleet study's step on one accelerator (docs/PHYSICS.md §35): the step is the
// layers' busy time (ComputeTime) then the optimizer's pass over its state (MemoryTime),
// with no framework tax beside them, as in the fleet; a split that does not fit is
// infeasible and what exceeds the capacity is reported as spill, but the step stays the
// in-memory one (it is not priced over the host link, as no fleet step is).
// optimizerShards is the number of ranks ZeRO (stage ≥ 1) spreads the optimizer state
// over, 1 for none: each rank's optimizer pass covers its shard (Rajbhandari et al. 2020).
func NodeTrainingStep(out *NodeOut, i int, s *StepOut, m *TrainMemOut, j int, optimizerShards, capacity, bw, tdp float64) {
	opt, step := s.Optimizer[j], s.Step[j]
	if optimizerShards > 1 {
		opt /= optimizerShards
		step += opt - s.Optimizer[j]
	}
	scale := s.Step[j] / step // MFU, HFU and throughput go as 1/step; exactly 1 unsharded
	out.Latency[i] = step
	out.ComputeTime[i] = s.Compute[j]
	out.MemoryTime[i] = opt
	out.OverheadTime[i] = 0
	out.Throughput[i] = s.SamplesPS[j] * scale
	out.Bottleneck[i] = Compute
	if opt > s.Compute[j] {
		out.Bottleneck[i] = Memory
	}
	out.MFU[i], out.HFU[i] = s.MFU[j]*scale, s.HFU[j]*scale
	out.Energy[i] = 0
	if tdp > 0 {
		out.Energy[i] = tdp * (IdlePowerFraction + DynamicPowerFraction*out.HFU[i]) * step
	}
	out.Footprint[i], out.Activations[i], out.ActivationsKnown[i] = m.Total[j], m.Activations[j], true
	out.EffectiveBandwidth[i] = bw
	out.SpillBytes[i] = math.Max(0, m.Total[j]-capacity)
	out.Feasible[i] = m.Feasible[j]
	out.OverheadDominated[i], out.Layered[i] = false, false
}
