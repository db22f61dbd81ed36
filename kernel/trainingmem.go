package kernel

import "math"

// TrainingMemory is the per-accelerator training memory model (physics.md §7.1,
// TrainingMemoryModel; Wall 2):
//
//	shards  = TP·PP·EP;  p = P/shards;  p_train = p · trainable fraction
//	weights = p·b;  gradients = p_train·b;  optimizer = p_train · (12 adam | 4 sgd | 0)
//	ZeRO-1 shards the optimizer over DP, ZeRO-2 also gradients, ZeRO-3 also weights
//	mb      = max(1, ceil(B/(DP·GA)));  L_stage = max(1, ceil(L/PP))
//	activations = ActivationBytes(L_stage, S, mb, h, heads, b, recompute)
//	buffers = gradients · comm fraction + (2·mb·S·h·b if PP > 1)
//	feasible iff the total ≤ HBM capacity
//
// With in.Calibrated the activations follow Korthikanti et al. 2022 tensor by tensor
// (calibratedActivations), the first pipeline stage holds its in-flight microbatches,
// expert parameters shard over ep and gradients may be FP32 (docs/PHYSICS.md §35).
func TrainingMemory(out *TrainMemOut, in *TrainMemIn) {
	n := len(in.Params)
	out.resize(n)
	if in.Calibrated {
		for i := 0; i < n; i++ {
			trainingMemoryCalibrated(out, in, i)
		}
		return
	}
	for i := 0; i < n; i++ {
		b := in.Bytes[i]
		tp, pp, dp := in.TP[i], in.PP[i], in.DP[i]
		pRank := in.Params[i] / (tp * pp * in.EP[i])
		pTrain := pRank * in.TrainableFraction[i]
		weights := pRank * b
		grads := pTrain * b
		opt := pTrain * in.OptimizerBytes[i]
		weights, grads, opt = ZeROShard(in.ZeROStage[i], dp, weights, grads, opt)
		mb := math.Max(1, math.Ceil(in.Batch[i]/(dp*in.GradAccum[i])))
		stageLayers := math.Max(1, math.Ceil(in.Layers[i]/pp))
		h := in.Hidden[i]
		if h == 0 {
			h = DefaultHidden
		}
		act := ActivationBytes(stageLayers, in.SeqLen[i], mb, h, in.Heads[i], b, in.Recompute[i])
		buffers := grads * in.CommBufferFraction[i]
		if pp > 1 {
			buffers += 2 * mb * in.SeqLen[i] * h * b
		}
		total := weights + grads + opt + act + buffers
		capacity := in.MemCapacity[i]

		out.Weights[i] = weights
		out.Gradients[i] = grads
		out.Optimizer[i] = opt
		out.Activations[i] = act
		out.Buffers[i] = buffers
		out.Total[i] = total
		out.Microbatch[i] = mb
		if capacity > 0 {
			out.Utilization[i] = total / capacity
		} else {
			out.Utilization[i] = math.Inf(1)
		}
		out.Feasible[i] = total <= capacity
	}
}

// trainingMemoryCalibrated is TrainingMemory's calibrated point (docs/PHYSICS.md §35):
//
//	p_rank = dense/(tp·pp) + experts/(tp·pp·ep);  weights = p_rank·b;  gradients = p_rank·(4 if FP32 else b)
//	optimizer = p_rank · optimizer bytes;  ZeRO shards over dp·cp, or the hybrid shard group
//	            DPShard·cp where one is set (experts over dp·cp/ep, or DPShard·cp/ep)
//
// A structured model's pipeline is counted rank by rank, the largest total kept
// (rankContents, trainingmemrank.go: each rank's own stages and in-flight microbatches);
// otherwise the first stage:
//
//	activations = calibratedActivations(layer) · ⌈L/pp⌉ · in-flight microbatches
//	              · (1 + (pp−1)/(pp·v)) with interleaving   (Korthikanti §4.2.3)
//	            + the embedding dropout mask of each in-flight microbatch (§4.3)
//	            + 4·s·b·h/t·(1 + V/h)·b/2 without pipelining: last norm, output input, FP32 logits (§4.3)
//
// memETP is point i's expert tensor-parallel degree: ETP, or TP where unset.
func memETP(in *TrainMemIn, i int) float64 {
	return expertTP(in.ETP, i, in.TP[i])
}

func trainingMemoryCalibrated(out *TrainMemOut, in *TrainMemIn, i int) {
	dual := opt(in.DualPipe, i, false)
	out.ranks = rankContents(in, i, dual, out.ranks)
	if out.ranks == nil {
		calibratedRankMemory(out, in, i, nil)
		return
	}
	// The most loaded pipeline rank (docs/PHYSICS.md §35, "The most loaded pipeline
	// rank"): the one whose total is the largest; the first of equals.
	var best [5]float64
	bestTotal := math.Inf(-1)
	for r := range out.ranks {
		calibratedRankMemory(out, in, i, &out.ranks[r])
		if out.Total[i] > bestTotal {
			bestTotal = out.Total[i]
			best = [5]float64{out.Weights[i], out.Gradients[i], out.Optimizer[i], out.Activations[i], out.Buffers[i]}
		}
	}
	out.Weights[i], out.Gradients[i], out.Optimizer[i], out.Activations[i], out.Buffers[i] = best[0], best[1], best[2], best[3], best[4]
	out.Total[i] = bestTotal
	out.Utilization[i] = math.Inf(1)
	if c := in.MemCapacity[i]; c > 0 {
		out.Utilization[i] = bestTotal / c
	}
	out.Feasible[i] = bestTotal <= in.MemCapacity[i]
}

// calibratedRankMemory is trainingMemoryCalibrated for one pipeline rank: rc's contents,
// or, with rc nil, the first stage's count (firstStageDense, ⌈L/pp⌉ layers, DualPipe's
// two chunks as twice it).
func calibratedRankMemory(out *TrainMemOut, in *TrainMemIn, i int, rc *rankContent) {
	b := in.Bytes[i]
	tp, pp, dp, ep := in.TP[i], in.PP[i], in.DP[i], in.EP[i]
	dense := in.Params[i] - in.ExpertParams[i]
	etp := memETP(in, i)
	pExpert := in.ExpertParams[i] / (etp * pp * ep)
	pRank := firstStageDense(in, i, dense)/tp + pExpert
	if rc != nil {
		pExpert = rc.expert / (etp * ep)
		pRank = rc.dense/tp + pExpert
	}
	h := in.Hidden[i]
	kv, ffn := layerWidths(h, in.Heads[i], in.KVHeads[i], in.FFN[i])
	if !archAt(in.Arch, i).mla() && in.Heads[i] > 0 {
		// K/V heads replicated over tp > kv: the rank's heads' projections whole, beyond
		// its 1/tp share, in each of the stage's layers (kvreplicate.go).
		if rc == nil {
			pRank += ReplicatedKVWeights(h, in.Heads[i], kv, tp) * in.Layers[i] / pp
		} else {
			pRank += ReplicatedKVWeights(h, in.Heads[i], kv, tp) * rc.layers
		}
	}
	pTrain := pRank * in.TrainableFraction[i]
	gradBytes := b
	if in.FP32Grads[i] {
		gradBytes = 4
	}
	weights, grads, optState := pRank*b, pTrain*gradBytes, pTrain*in.OptimizerBytes[i]
	fp8 := in.FP8[i] != FP8None
	if fp8 {
		copies := fp8WeightCopies(in, i, kv, ffn)
		if rc != nil { // the rank's layers, not ⌈L/pp⌉
			copies *= rc.layers / math.Ceil(in.Layers[i]/pp)
		}
		weights += copies
		if opt(in.FP8Params, i, false) {
			// FP8 primary weights: the copies are the linear weights, with no b-byte one.
			weights -= copies / FP8WeightCopyBytes * b
		}
	}
	dual := opt(in.DualPipe, i, false)
	if dual && rc == nil {
		// DualPipe: each rank holds two chunks, one stage from each end of the pipeline
		// (deepseek-ai/DualPipe README at 3da1bbe: "Parameter Per Device 2×").
		weights, grads, optState = 2*weights, 2*grads, 2*optState
	}
	shard := dp // hybrid sharding shards over a group of the dp ranks only
	if in.DPShard[i] > 0 {
		shard = in.DPShard[i]
	}
	// The cp ranks of a context-parallel group hold the same weights: ZeRO shards over
	// dp·cp of them (Megatron-Core's intra_dp_cp_group; docs/PHYSICS.md §35, TrainingStep).
	if cp := in.CP[i]; cp > 1 {
		shard *= cp
	}
	if in.ExpertParams[i] > 0 && (ep > 1 || etp != tp) {
		// Dense state shards over the group, expert state over its shard·(tp/etp)/ep
		// expert-data-parallel ranks (an expert is replicated over tp/etp more ranks).
		fe := pExpert / pRank
		wd, gd, od := ZeROShard(in.ZeROStage[i], shard, weights*(1-fe), grads*(1-fe), optState*(1-fe))
		we, ge, oe := ZeROShard(in.ZeROStage[i], shard*tp/(etp*ep), weights*fe, grads*fe, optState*fe)
		weights, grads, optState = wd+we, gd+ge, od+oe
	} else {
		weights, grads, optState = ZeROShard(in.ZeROStage[i], shard, weights, grads, optState)
	}
	mb := math.Max(1, math.Ceil(in.Batch[i]/(dp*in.GradAccum[i])))
	seq := in.SeqLen[i] / in.CP[i]
	sp := in.SeqParallel[i] && tp > 1
	perLayer := calibratedActivations(seq, mb, h, in.Heads[i], kv, ffn, tp, b,
		in.Gated[i], sp, in.Flash[i], in.Recompute[i])
	if fp8 {
		perLayer -= fp8SavedInputs(seq*mb, h, ffn, tp, b, sp, in.Recompute[i])
	}
	// An MoE layer keeps each routed expert's intermediates (archActivations), a plain
	// model's as a structured one's: calibratedActivations counts one MLP.
	arch := archAt(in.Arch, i)
	topk := opt(in.TopK, i, 0) // a dense model, or no column: one MLP
	if ep > 1 && topk > 0 && opt(in.Imbalance, i, 0) > 1 {
		// The busiest expert-parallel rank, whose step the pace is (moe_imbalance γ,
		// TrainingStep), receives γ times the mean routed tokens and keeps their
		// intermediates: γ·k routed expert passes a token's worth.
		topk *= in.Imbalance[i]
	}
	if topk > 1 || !arch.Plain() || in.Recompute[i] == RecomputeDeepSeekV3 {
		perLayer += archActivations(seq*mb, h, in.Heads[i], kv, ffn, topk, in.Layers[i], tp, b, in.Gated[i], fp8, in.Recompute[i], arch)
	}
	if in.ExpertParams[i] > 0 {
		L := in.Layers[i]
		perLayer += MoEExpertInputs(seq*mb, h, topk, tp, etp, b, (L-math.Min(arch.DenseLayers, L))/L, fp8, in.Recompute[i])
	}
	inFlight := math.Min(pp, in.InFlight[i])
	if dual {
		// DualPipe holds PP + 1 chunks' microbatches of activations (the README's table,
		// "Activation Per Device PP+1"), whatever the microbatch count.
		inFlight = pp + 1
	}
	stage := math.Ceil(in.Layers[i]/pp) * inFlight // the first stage, the deepest when stages are uneven
	if v := in.VirtualStages[i]; v > 1 && pp > 1 {
		stage *= 1 + (pp-1)/(pp*v)
	}
	embeds := inFlight
	if rc != nil {
		stage, embeds = rc.actLayers, rc.embeds
	}
	act := perLayer * stage
	tokens := seq * mb
	if sp {
		tokens /= tp
	}
	act += tokens * h * embeds // embedding dropout mask, 1 byte per element
	logits := 4 * seq * mb * h / tp * (1 + in.Vocab[i]/h) * b / 2
	if pp == 1 {
		act += logits
	} else if rc != nil {
		act += logits * rc.logits // each output head's, per microbatch its stage holds
	} else if dual {
		// A plain model's rank 0 holds the last stage too, its one microbatch's logits
		// (dualpipe.py's schedule: k + 1 = 1 microbatch of stage pp − 1 at the peak).
		act += logits
	} else if in.Vocab[i] > 0 {
		// 1F1B's last stage: its layers (at most ⌈L/pp⌉), one microbatch in flight and
		// the output layer's logits (Korthikanti §4.3), heavier than the first stage
		// where few microbatches are in flight; the weights are alike (the output head
		// as large as the embedding).
		act = math.Max(act, perLayer*math.Ceil(in.Layers[i]/pp)+logits)
	}
	buffers := grads * in.CommBufferFraction[i]
	if pp > 1 {
		buffers += 2 * tokens * h * b
	}
	total := weights + grads + optState + act + buffers
	capacity := in.MemCapacity[i]
	out.Weights[i], out.Gradients[i], out.Optimizer[i], out.Activations[i], out.Buffers[i] = weights, grads, optState, act, buffers
	out.Total[i], out.Microbatch[i] = total, mb
	out.Utilization[i] = math.Inf(1)
	if capacity > 0 {
		out.Utilization[i] = total / capacity
	}
	out.Feasible[i] = total <= capacity
}

// calibratedActivations is the activation memory of one transformer layer kept for
// the backward pass, in bytes, counted tensor by tensor as Korthikanti et al. 2022
// §4.1 do (their 34·s·b·h + 5·a·s²·b at 2 bytes for GPT) and generalised to grouped
// K/V heads (kv), an MLP of width ffn (gated: two up projections) and b bytes per
// element, with 1-byte dropout masks:
//
//	replicated under TP  = s·b·(2h·b [QKV and MLP inputs] + 2h·b [norm inputs] + 2h [dropout masks])
//	split by TP          = s·b·b·(2h [Q, projection input] + 2h·kv/a [K, V] + (g+1)·ffn [MLP])
//	attention scores     = a·s²·b·(2b + 1) [softmax output, dropout output, mask] (recompute none, unfused)
//
// Sequence parallelism splits the replicated part by tp too; selective recomputation
// drops the scores, FlashAttention never stores them (nor dropout masks); full
// recomputation keeps only the layer input, s·b·h·b (split by tp under SP); keeping
// the linear outputs (RecomputeLinearOutputs, Llama 1 §2.4) drops, beside what
// selective drops, the two norms' outputs (the QKV and MLP inputs, 2h·b replicated)
// and the MLP activation's (ffn·b split), which its backward recomputes; DeepSeek-V3's
// recomputation (RecomputeDeepSeekV3) drops the two norms' outputs alone here (its MLA
// and MoE terms are archActivations').
func calibratedActivations(seq, mb, h, heads, kvHeads, ffn, tp, b float64, gated, sp, flash bool, r Recompute) float64 {
	tokens := seq * mb
	if r == RecomputeFull {
		if sp {
			return tokens * h * b / tp
		}
		return tokens * h * b
	}
	kvHeads, ffn = layerWidths(h, heads, kvHeads, ffn)
	up := 1.0
	if gated {
		up = 2
	}
	replicated := 4 * h * b
	if !flash {
		replicated += 2 * h
	}
	split := b * (2*h + 2*h*kvHeads/heads + (up+1)*ffn)
	// K/V heads replicated over tp > kv (kvreplicate.go): a rank keeps its whole heads'
	// K and V for the whole sequence, d = h/heads wide each, not kv/tp of them.
	kvExtra := 2 * b * (h / heads) * (KVHeadsPerRank(kvHeads, tp) - kvHeads/tp)
	switch r {
	case RecomputeLinearOutputs:
		replicated -= 2 * h * b
		split -= b * ffn
	case RecomputeDeepSeekV3:
		// Every RMSNorm re-runs in the backward (DeepSeek-V3 §3.2.3): its output, the
		// QKV and MLP input, is not kept; its input, the residual stream, is.
		replicated -= 2 * h * b
	}
	if sp {
		replicated /= tp
	}
	act := tokens * (replicated + split/tp + kvExtra)
	if r == RecomputeNone && !flash {
		act += heads * seq * tokens * (2*b + 1) / tp
	}
	return act
}

// Optimizer state bytes per trainable parameter (physics.md §7.1).
const (
	OptimizerBytesAdam = 12.0 // FP32 master copy + two moments (adam, adamw)
	OptimizerBytesSGD  = 4.0  // FP32 master copy (momentum-free SGD)
	// OptimizerBytesAdamBF16Moments: AdamW's first and second moments kept in BF16
	// (2 + 2 bytes) beside the FP32 master copy (4), as DeepSeek-V3 trained (report
	// §3.3.3, "Low-Precision Optimizer States": "We adopt the BF16 data format instead
	// of FP32 to track the first and second moments in the AdamW ... optimizer ...
	// the master weights ... and gradients ... are still retained in FP32").
	OptimizerBytesAdamBF16Moments = 8.0
	// DefaultCommBufferFraction: gradient bucket = 5 % of the gradients.
	DefaultCommBufferFraction = 0.05
)

// TrainMemIn holds the input columns of TrainingMemory.
type TrainMemIn struct {
	Params, Layers, Hidden, Heads []float64 // Heads must be > 0 for RecomputeNone
	Bytes                         []float64
	OptimizerBytes                []float64 // OptimizerBytesAdam, OptimizerBytesSGD or 0
	Recompute                     []Recompute
	Batch, SeqLen                 []float64 // global batch (sequences), tokens
	TP, PP, DP, EP                []float64
	ZeROStage, GradAccum          []float64
	TrainableFraction             []float64
	CommBufferFraction            []float64
	MemCapacity                   []float64

	// Calibrated selects trainingMemoryCalibrated; the columns below are read only then.
	Calibrated                           bool
	KVHeads, FFN, Vocab, ExpertParams    []float64 // 0 = MHA, 4·h, no output layer, dense
	CP, VirtualStages, InFlight          []float64 // InFlight: microbatches per pipeline flush
	DPShard                              []float64 // ZeRO shard group (hybrid sharding); 0 = DP
	ETP                                  []float64 // expert tensor parallelism (StepIn.ETP); nil or 0 = TP
	Gated, SeqParallel, Flash, FP32Grads []bool
	FP8                                  []FP8Recipe // FP8 GEMMs: FP8 weight copies, GEMM inputs saved in FP8 (fp8training.go)
	FP8Params                            []bool      // with FP8: the linear weights are FP8 tensors, no b-byte copy; nil = false
	// DualPipe: each rank holds two pipeline chunks (twice a stage's weights, gradients
	// and optimizer state) and PP + 1 chunks' microbatches of activations (TrainingStep's
	// DualPipe). Shorter than the other columns (nil): false.
	DualPipe []bool
	// Arch is a structured model's layers (TrainingStep's, trainingarch.go); nil or
	// shorter: the plain model. TopK is the routed experts per token of any MoE model,
	// plain or structured (each keeps its MLP intermediates); 0, nil or shorter: dense.
	Arch []*Arch
	TopK []float64
	// Imbalance is StepIn.Imbalance (moe_imbalance γ): with ep > 1 the busiest rank's
	// routed tokens over the mean, whose intermediates it keeps; nil or shorter: 1.
	Imbalance []float64
}

// TrainMemOut holds the output columns of TrainingMemory (bytes per accelerator).
type TrainMemOut struct {
	Weights, Gradients, Optimizer, Activations, Buffers, Total []float64
	Microbatch, Utilization                                    []float64
	Feasible                                                   []bool

	ranks []rankContent // the pipeline ranks of the point in hand (rankContents)
}

func (o *TrainMemOut) resize(n int) {
	for _, p := range []*[]float64{&o.Weights, &o.Gradients, &o.Optimizer, &o.Activations, &o.Buffers,
		&o.Total, &o.Microbatch, &o.Utilization} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
}

// firstStageDense is the dense (non-expert) parameters of point i's most loaded pipeline
// stage before tensor parallelism: the first, which holds its share of the transformer
// layers and the input embedding — Megatron-LM's theoretical memory
// (megatron/training/theoretical_memory_usage.py, compute_weight_and_optimizer_memory:
// "Most loaded model shard has (1/pp_size transformer layers + 1 embedding layer) /
// tp_size"). A layer's dense parameters are its linear weights (attention's Q, K, V and output
// projections, and the MLP unless the model routes to experts, whose weights
// ExpertParams holds; norms are left out). Without a pipeline, or for a structured model (its stages are ArchStages'), or
// without the widths to count a layer: dense / pp, the even split the memory counted
// before; never below it (a catalog count above the layers' and embeddings' keeps it).
func firstStageDense(in *TrainMemIn, i int, dense float64) float64 {
	pp, L, h := in.PP[i], in.Layers[i], in.Hidden[i]
	if pp <= 1 || !archAt(in.Arch, i).Plain() || in.Vocab[i] == 0 || h == 0 || in.Heads[i] == 0 {
		return dense / pp
	}
	kv, ffn := layerWidths(h, in.Heads[i], in.KVHeads[i], in.FFN[i])
	layer := h*(h+2*kv*h/in.Heads[i]) + h*h // Q, K, V and the output projection
	if in.ExpertParams[i] == 0 {
		mats := 2.0
		if in.Gated[i] {
			mats = 3
		}
		layer += mats * ffn * h // an MoE layer's MLP weights are the experts'
	}
	return math.Max(L*layer/pp+in.Vocab[i]*h, dense/pp)
}
