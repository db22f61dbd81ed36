package kernel

import "math"

// FP8 mixed-precision training as NVIDIA Transformer Engine (TE) runs it under
// Megatron-Core (docs/PHYSICS.md §35, "FP8 mixed precision"): the transformer layers'
// linear GEMMs take FP8 inputs with one FP32 scale per tensor and run at the
// accelerator's FP8 matmul rate; everything else — attention, norms, activations,
// residuals, the output layer, weights, gradients, collectives and the optimizer —
// stays in the training precision (BF16) with FP32 master state.
//
// Every GEMM input is cast twice over: Hopper's FP8 tensor cores take only the TN
// layout, so the forward (X·Wᵀ), dgrad (dY·W) and wgrad (dYᵀ·X) need each of X, W and
// dY both row-wise and transposed (TE's fp8_cast_transpose_fused writes the two 1-byte
// copies in one pass). Per element of e bytes, the casts move (TE 1.x
// module/layernorm_linear.py and linear.py; TE 2.x csrc/extensions/normalization.cpp,
// activation.cpp and cast.cpp):
//
//	delayed scaling (the scale from the amax history; the amax is taken inside the cast):
//	  cast of a tensor in memory          read e, write 1 + 1           = e + 2
//	  cast fused into the producing norm  the norm writes 1 byte instead of e, then the
//	  or activation (FULLY_FUSED)          transpose reads 1 and writes 1   = 3 − e
//	current scaling (the scale from this tensor's amax, known only after a pass over it):
//	  cast of a tensor in memory          amax pass (read e), cast     = 2e + 2
//	  producer with the amax fused        the producer still writes e, the cast reads it
//	  (FUSED_NORM_AMAX_FP8, _DACT_AMAX)    and writes 1 + 1               = e + 2
//
//	block scaling (DeepSeek-V3 §3.3.1: one scale per 1×128 tile of activations and
//	gradients and per 128×128 block of weights, each from its own amax; TE's
//	Float8BlockScaling, Megatron-Bridge's "blockwise" recipe):
//	  a block's amax and its cast are one	read e, write 1 + 1 (scales: 4 bytes per 128)
//	  pass over the tile, by a quantizer	= e + 2, whether the producer is a norm or not
//	  of its own                            (no fused norm-and-block-cast)
//
// Fused producers: the two norms (inputs of QKV and MLP-up, TE's LayerNormLinear and
// LayerNormMLP), the MLP activation (input of MLP-down) and its backward (the gradient of
// MLP-up). Cast from memory: the attention output (input of the output projection) and
// the gradients of QKV, the output projection and MLP-down. Weights are cast once per
// optimizer step, on the first microbatch (Megatron-Core passes is_first_microbatch, and
// TE keeps the FP8 copy and its transpose for the later ones).
type FP8Recipe uint8

// FP8 recipes, in the order of the fp8_recipe parameter's values.
const (
	FP8None      FP8Recipe = iota // no FP8: every GEMM in the training precision
	FP8Delayed                    // TE DelayedScaling
	FP8Current                    // TE Float8CurrentScaling
	FP8Blockwise                  // TE Float8BlockScaling: 1×128 activation and 128×128 weight blocks
)

// FP8WeightCopyBytes are the bytes per linear weight TE keeps beside the BF16 weight
// under FP8: the row-wise FP8 copy and its transpose (TE's weight_fp8 and weight_t_fp8,
// cached across the microbatches of a step).
const FP8WeightCopyBytes = 2

// FP8 primary weights (StepIn.FP8Params, TrainMemIn.FP8Params; the fleet study's
// fp8_params): Megatron-Core's fp8_param_gather, which Megatron-Bridge's FP8 recipes set
// (bf16_with_fp8_current_scaling_mixed in src/megatron/bridge/training/mixed_precision.py
// at v0.2.1), builds the linear layers under TE's fp8_model_init
// (megatron/core/fp8_utils.py, get_fp8_context with is_init), so their parameters are FP8
// tensors: 1 byte of data and the transpose cache beside it (FP8WeightCopyBytes in all),
// with no 16-bit copy — the FP32 master copy lives in the (sharded) optimizer state. The
// distributed optimizer's parameter buffer holds them as uint8
// (megatron/core/distributed/distributed_data_parallel.py: param_dtype = torch.uint8 for
// a Float8Tensor), so ZeRO's weight all-gather moves 1 byte per linear weight.

// fp8CastBytes is the memory traffic of casting elems elements of e bytes to FP8 with
// both layouts, beyond what the producer of the tensor already wrote (see FP8Recipe).
func fp8CastBytes(r FP8Recipe, elems, e float64, fused bool) float64 {
	switch {
	case r == FP8Delayed && fused:
		return elems * (3 - e)
	case r == FP8Delayed, r == FP8Current && fused, r == FP8Blockwise:
		return elems * (e + 2)
	case r == FP8Current:
		return elems * (2*e + 2)
	}
	return 0
}

// FP8LayerWeights is the number of linear weights of one transformer layer on one rank
// (the ones TE casts to FP8): QKV, the output projection and the MLP's up (and gate) and
// down projections of localExperts experts, sharded over tp.
func FP8LayerWeights(h, heads, kv, ffn, tp, localExperts float64, gated bool) float64 {
	up := 1.0
	if gated {
		up = 2
	}
	return (h*(h+2*kv*h/heads) + h*h + (up+1)*ffn*h*localExperts) / tp
}

// fp8Casts is one layer's FP8 cast traffic per microbatch (forward and backward, bytes)
// for the shapes layerStep prices: norm outputs of E elements each (1/tp of the tokens
// under sequence parallelism, where the cast precedes the all-gather), the attention
// output of n·h/tp, QKV outputs of n·qkv, the MLP's act intermediate elements
// (up projections up·act) and n·h outputs of the row-parallel layers. An MoE layer's
// experts (routed > 0: the rows its local experts receive) take the permuted tokens,
// which their grouped GEMMs cast from memory, and give back routed·h gradients.
func fp8Casts(r FP8Recipe, E, n, h, tp, qkv, act, up, routed, e float64) (fwd, bwd float64) {
	mlpIn, mlpOut := fp8CastBytes(r, E, e, true), fp8CastBytes(r, n*h, e, false)
	if routed > 0 {
		mlpIn, mlpOut = fp8CastBytes(r, routed*h, e, false), fp8CastBytes(r, routed*h, e, false)
	}
	fwd = fp8CastBytes(r, E, e, true) + mlpIn + // QKV and MLP-up inputs, from the norm (or the permutation)
		fp8CastBytes(r, n*h/tp, e, false) + // output-projection input, from attention
		fp8CastBytes(r, act, e, true) // MLP-down input, from the activation
	bwd = fp8CastBytes(r, n*qkv, e, false) + // QKV output gradient, from attention's backward
		fp8CastBytes(r, n*h, e, false) + mlpOut + // output-projection and MLP-down output gradients
		fp8CastBytes(r, up*act, e, true) // MLP-up output gradient, from the activation's backward
	return fwd, bwd
}

// fp8WeightCasts is the once-per-step cast of a layer's weights (read in the training
// precision, written as FP8 with its transpose), in bytes.
func fp8WeightCasts(r FP8Recipe, weights, e float64) float64 {
	return fp8CastBytes(r, weights, e, false)
}

// fp8ParamTranspose is the once-per-step traffic of a layer's weights kept as FP8
// primary weights (FP8PrimaryWeights): no cast from the training precision — the
// distributed optimizer writes its shard of each FP8 weight from the FP32 master copy
// (Megatron-Core's quantize_param_shard, megatron/core/fp8_utils.py at Megatron-LM
// 0d8e071, a few bytes per parameter of the shard, left in the optimizer's pass) — and
// after the all-gather the transpose Hopper's dgrad needs is rebuilt from the 1-byte
// row-wise data (read 1, write 1), in bytes.
func fp8ParamTranspose(weights float64) float64 {
	return 2 * weights
}

// FP8AmaxBytes is one per-tensor amax, an FP32 scalar.
const FP8AmaxBytes = 4

// fp8InputGather is the sequence-parallel all-gather of a column-parallel layer's input
// of elems elements when its GEMM runs in FP8: TE casts the local shard and gathers the
// 1-byte elements (layernorm_linear.py gathers ln_out after the cast, and its backward
// gathers the saved FP8 shard again for wgrad). Under current scaling the shards first
// agree on one scale: the input quantizer of a sequence-parallel column-parallel layer
// all-reduces its amax over the TP group (with_amax_reduction, amax_reduction_group =
// tp_group). It returns the forward's gather, amax reduction included, and the
// backward's re-gather.
func fp8InputGather(k *layerKey, elems float64) (fwd, bwd float64) {
	bwd = CollectiveTime(CollAllGather, elems, k.tp, k.tpBus, k.tpHop)
	fwd = bwd
	if k.fp8 == FP8Current {
		fwd += CollectiveTime(CollAllReduce, FP8AmaxBytes, k.tp, k.tpBus, k.tpHop)
	}
	return fwd, bwd
}

// fp8WeightCopies are the bytes of the FP8 weight copies (FP8WeightCopyBytes per linear
// weight of the transformer layers) on one rank of a calibrated TrainingMemory point,
// whose layers have kv KV heads and an MLP ffn wide (layerWidths): the layers of a
// pipeline stage, experts sharded over ep as well. They count as weights, so ZeRO-3
// shards them with the rest (an assumption, docs/PHYSICS.md §35).
func fp8WeightCopies(in *TrainMemIn, i int, kv, ffn float64) float64 {
	// A dense MLP is one expert; an MoE layer's experts are counted from the parameters
	// they hold, sharded over etp·ep.
	local := 1.0
	if in.ExpertParams[i] > 0 {
		local = 0
	}
	perLayer := FP8LayerWeights(in.Hidden[i], in.Heads[i], kv, ffn, in.TP[i], local, in.Gated[i])
	if in.ExpertParams[i] > 0 {
		perLayer += in.ExpertParams[i] / in.Layers[i] / (memETP(in, i) * in.EP[i])
	}
	return FP8WeightCopyBytes * perLayer * math.Ceil(in.Layers[i]/in.PP[i])
}

// fp8SavedInputs is what one layer's activations shrink by when its linear GEMMs run in
// FP8: TE saves each GEMM's input for wgrad as its FP8 cast (1 byte an element, not b):
// the norms' outputs feeding QKV and the MLP (h each, 1/tp of the tokens under sequence
// parallelism, whose shard TE gathers again), the attention output feeding the output
// projection (h/tp) and the activation feeding MLP-down (ffn/tp, ffn as layerWidths
// gives it). Under full recomputation only the layer's input is kept, which no GEMM reads.
func fp8SavedInputs(tokens, h, ffn, tp, b float64, sp bool, r Recompute) float64 {
	if r == RecomputeFull {
		return 0
	}
	if r == RecomputeLinearOutputs {
		return tokens * (b - 1) * h / tp // only the projection's input: no norm or activation output is kept
	}
	if r == RecomputeDeepSeekV3 {
		return tokens * (b - 1) * (h + ffn) / tp // no norm output is kept (DeepSeek-V3 §3.2.3)
	}
	norms := 2 * h
	if sp {
		norms /= tp
	}
	return tokens * (b - 1) * (norms + (h+ffn)/tp)
}
