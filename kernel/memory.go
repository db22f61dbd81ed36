package kernel

import (
	"fmt"
	"math"
	"strings"
)

// Recompute is the activation-checkpointing strategy of a training step.
type Recompute uint8

const (
	// RecomputeSelective keeps the linear-layer activations and recomputes
	// attention (Korthikanti et al.); it is the default, as in MLSys·im.
	RecomputeSelective Recompute = iota
	// RecomputeFull keeps only each layer's input and recomputes the rest.
	RecomputeFull
	// RecomputeNone keeps every activation, including the S² attention scores.
	RecomputeNone
	// RecomputeLinearOutputs keeps what is expensive to compute — the linear layers'
	// outputs and the attention's — and recomputes the cheap rest, the norms and the
	// MLP activation, in the backward (Touvron et al. 2023, Llama 1 §2.4); a term of
	// the calibrated training step and its memory only (ActivationBytes has none).
	RecomputeLinearOutputs
	// RecomputeDeepSeekV3 is the recomputation DeepSeek-V3's report describes
	// (arXiv:2412.19437): every RMSNorm and the MLA up-projections re-run in the
	// backward, their outputs not kept (§3.2.3, "Recomputation of RMSNorm and MLA
	// Up-Projection"), and an MoE layer's SwiGLU output recomputed from its cached
	// inputs (§3.3.3, "Low-Precision Activation" (2)), which are FP8 under an FP8
	// recipe; everything else is kept as without recomputation (FlashAttention
	// recomputes its own scores). A term of the calibrated step and its memory only.
	RecomputeDeepSeekV3
)

// String returns "selective", "full", "none", "linear_outputs" or "deepseek_v3".
func (r Recompute) String() string {
	switch r {
	case RecomputeSelective:
		return "selective"
	case RecomputeFull:
		return "full"
	case RecomputeNone:
		return "none"
	case RecomputeLinearOutputs:
		return "linear_outputs"
	case RecomputeDeepSeekV3:
		return "deepseek_v3"
	}
	return fmt.Sprintf("Recompute(%d)", uint8(r))
}

// ParseRecompute parses a strategy name (case-insensitive): selective, full, none or
// linear_outputs or deepseek_v3.
func ParseRecompute(s string) (Recompute, error) {
	for _, r := range [...]Recompute{RecomputeSelective, RecomputeFull, RecomputeNone, RecomputeLinearOutputs, RecomputeDeepSeekV3} {
		if strings.EqualFold(s, r.String()) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown recompute strategy %q (valid: selective, full, none, linear_outputs, deepseek_v3)", s)
}

// ActivationBytes is the activation memory in bytes kept for the backward pass
// of a transformer (physics.md §3.4, Profile B: Korthikanti et al. 2023 §4.1,
// whose constants count FP16 bytes):
//
//	scale = bytesPerElem / 2
//	full      : per layer = 2·S·B·h·scale
//	selective : per layer = 34·S·B·h·scale
//	none      : per layer = (34·S·B·h + 5·heads·S²·B)·scale
//	total     = layers · per layer
//
// heads is read only by RecomputeNone, which needs heads > 0 (the caller checks,
// as the reference raises without it). An unknown strategy returns NaN.
func ActivationBytes(layers, seq, batch, hidden, heads, bytesPerElem float64, r Recompute) float64 {
	scale := bytesPerElem / 2
	var perLayer float64
	switch r {
	case RecomputeFull:
		perLayer = 2 * seq * batch * hidden
	case RecomputeSelective:
		perLayer = 34 * seq * batch * hidden
	case RecomputeNone:
		perLayer = 34*seq*batch*hidden + 5*heads*seq*seq*batch
	default:
		return math.NaN()
	}
	return layers * perLayer * scale
}

// KVCacheBytes is the key/value cache size in bytes (physics.md §3.5):
//
//	KV = 2·L·H_kv·d·S·B·b
//
// (the 2 counts keys and values). Preconditions: all arguments ≥ 0.
func KVCacheBytes(layers, kvHeads, headDim, seq, batch, bytesPerElem float64) float64 {
	return 2 * layers * kvHeads * headDim * seq * batch * bytesPerElem
}

// MLACacheBytes is the latent KV cache of multi-head latent attention in bytes
// (physics.md §3.5):
//
//	KV = L·(r_kv + r_rope)·S·B·b
func MLACacheBytes(layers, kvLoraRank, ropeDim, seq, batch, bytesPerElem float64) float64 {
	return layers * (kvLoraRank + ropeDim) * seq * batch * bytesPerElem
}

// PagedKVCacheBytes is the KV cache of a paged allocator that hands out whole
// pages of page tokens (physics.md §3.5):
//
//	S_pad = ⌈S/page⌉·page
//	fragmentation = (S_pad − S)/S_pad   (0 when S_pad = 0)
//	bytes = 2·L·H_kv·d·S_pad·B·b
//
// Preconditions: page > 0, other arguments ≥ 0.
func PagedKVCacheBytes(layers, kvHeads, headDim, seq, batch, page, bytesPerElem float64) (bytes, fragmentation float64) {
	sPad := math.Ceil(seq/page) * page
	if sPad > 0 {
		fragmentation = (sPad - seq) / sPad
	}
	return KVCacheBytes(layers, kvHeads, headDim, sPad, batch, bytesPerElem), fragmentation
}

// CappedExponentialScale is the scale μ of an exponential request length X
// whose capped length S = min(X, S_max) has the given mean (physics.md §3.5,
// Profile B/C). It solves
//
//	μ·(1 − e^(−S_max/μ)) = mean
//
// for t = S_max/μ by 100 bisection steps on [0, 1/ρ], ρ = mean/S_max, keeping
// the half where (1 − e^(−t))/t > ρ means t is too small, and returns S_max/t.
// mean = S_max (fixed-length requests) gives +Inf. Preconditions: S_max > 0 and
// 0 < mean ≤ S_max.
func CappedExponentialScale(mean, sMax float64) float64 {
	rho := mean / sMax
	if rho >= 1 {
		return math.Inf(1)
	}
	lo, hi := 0.0, 1/rho
	for range 100 {
		t := (lo + hi) / 2
		if -math.Expm1(-t)/t > rho {
			lo = t
		} else {
			hi = t
		}
	}
	return sMax / ((lo + hi) / 2)
}

// ExpectedPagedKVTokens is the expected number of tokens a paged allocator
// reserves per request when request lengths are capped exponentials of the
// given mean (physics.md §3.5, Profile B/C):
//
//	μ = CappedExponentialScale(mean, S_max),  K = ⌈S_max/page⌉
//	E[blocks] = K                             if μ = +Inf
//	          = expm1(−K·s)/expm1(−s), s = page/μ   (= Σ_{j<K} e^(−j·s))
//	allocated = page·E[blocks]
//	fragmentation = max(0, 1 − mean/allocated)
//
// Preconditions: as CappedExponentialScale, and page > 0.
func ExpectedPagedKVTokens(mean, sMax, page float64) (allocated, fragmentation float64) {
	mu := CappedExponentialScale(mean, sMax)
	k := math.Ceil(sMax / page)
	blocks := k
	if !math.IsInf(mu, 1) {
		s := page / mu
		blocks = math.Expm1(-k*s) / math.Expm1(-s)
	}
	allocated = page * blocks
	return allocated, math.Max(0, 1-mean/allocated)
}

// CheckpointBytesPerParamAdam is the checkpoint size per parameter with Adam
// (physics.md §3.6): FP16 weights 2 + FP32 master 4 + momentum 4 + variance 4;
// gradients are not stored.
const CheckpointBytesPerParamAdam = 14

// CheckpointBytes is the size of a training checkpoint in bytes (physics.md §3.6):
//
//	size = P · bytesPerParam
func CheckpointBytes(params, bytesPerParam float64) float64 {
	return params * bytesPerParam
}
