package kernel

import "math"

// Tensor parallelism wider than a model's key/value heads (docs/PHYSICS.md §33, "K/V
// heads replicated over tensor parallelism"). A grouped-query or multi-query model has
// kv < heads key/value heads. tp ranks share them as whole heads: when tp divides kv,
// each rank holds kv/tp of them; when kv divides tp, each rank holds one and each head
// is copied onto tp/kv ranks — its K/V projection weights, its KV cache and the K/V
// projection's work. vLLM's QKVParallelLinear (vllm-project/vllm@9e109c98,
// vllm/model_executor/layers/linear.py, __init__: "if tp_size >= total_num_kv_heads:
// num_kv_heads = 1; num_kv_head_replicas = divide(tp_size, total_num_kv_heads)", and
// divide asserts the ratio is whole) builds exactly this; the BigCode fork of Megatron-LM
// that trained StarCoder with one K/V head at tp 4 keeps the whole K/V projection on
// every rank (bigcode-project/Megatron-LM@7c325cd, megatron/model/transformer.py,
// ParallelAttention: key_value = get_linear_layer(hidden, 2·kv_channels) beside the
// column-parallel query). A ratio neither way whole (6 heads on 4 ranks) has no such
// layout: some rank would hold part of a head.

// KVSplits reports whether tp ranks can share kv key/value heads as whole heads: tp
// divides kv, or kv divides tp (each head then replicated on tp/kv ranks). kv ≤ 0 (no
// separate count: one per attention head, or a latent cache) is left to the caller.
func KVSplits(kv, tp float64) bool {
	if kv <= 0 {
		return true
	}
	return divides(kv, tp) || divides(tp, kv)
}

// KVHeadsPerRank is the key/value heads one of tp ranks holds: kv/tp, and at least one
// (each replicated on tp/kv ranks when tp exceeds kv). kv ≤ 0 gives 0.
func KVHeadsPerRank(kv, tp float64) float64 {
	if kv <= 0 {
		return 0
	}
	return math.Max(1, kv/tp)
}

// KVReplicas is how many of tp ranks hold each key/value head: tp/kv when tp exceeds
// kv, else 1 (vLLM's num_kv_head_replicas).
func KVReplicas(kv, tp float64) float64 {
	if kv <= 0 {
		return 1
	}
	return math.Max(1, tp/kv)
}

// ReplicatedKVWeights is the key/value projection weight elements per layer one of tp
// ranks holds beyond its 1/tp share of the layer: it holds KVHeadsPerRank heads' K and V
// columns, h·d each (d = h/heads), where an even split would give it kv/tp of them:
// 2·h·d·(max(1, kv/tp) − kv/tp). Zero when tp divides kv.
func ReplicatedKVWeights(h, heads, kv, tp float64) float64 {
	if kv <= 0 || heads <= 0 || tp <= kv {
		return 0
	}
	return 2 * h * (h / heads) * (KVHeadsPerRank(kv, tp) - kv/tp)
}

// QKVColumns is one rank's output width of the column-parallel QKV projection, d the
// head width: its 1/tp share of the h query columns and the 2·kv·d key/value columns,
// or, with tp wider than the K/V heads, its query share beside its whole replicated K/V
// head(s) (KVHeadsPerRank). Serving's layer shape and the training layer's matmuls and
// FP8 casts all take it from here.
func QKVColumns(h, d, kv, tp float64) float64 {
	if kv > 0 && tp > kv {
		return h/tp + 2*KVHeadsPerRank(kv, tp)*d
	}
	return (h + 2*kv*d) / tp
}

// kvSeqSharded reports whether a replicated K/V head runs the BigCode fork's
// sequence-parallel scheme: multi-query attention (one K/V head) under sequence
// parallelism at tp > 1 projects each rank's own n/tp tokens, gathers the K/V output
// over the sequence-parallel region and all-reduces the K/V weight gradients over the
// TP group (bigcode-project/Megatron-LM@7c325cd; layerStep, and the step's kvGradSync).
// Every other replicated layout projects all the group's tokens on every rank.
func kvSeqSharded(kv, tp float64, sp bool) bool {
	return sp && kv == 1 && tp > kv
}
