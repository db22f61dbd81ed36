package kernel

import "math"

// The fused MoE kernel's default tiles (calibrated; docs/PHYSICS.md §33, "The fused MoE
// kernel's default tiles"). vLLM's Triton fused_moe of 2024 multiplies each expert's
// routed tokens by its weights on a grid of BLOCK_SIZE_M × BLOCK_SIZE_N output tiles;
// for a shape it ships no tuned configuration for it takes get_default_config's tiles
// (vllm-project/vllm@4cb3b924, vllm/model_executor/layers/fused_moe/fused_moe.py:
// 'Else use the default config'), the small ones when the step's tokens are at most the
// experts ('if M <= E'). Each tile loads, per step of K, its block of the expert's
// routed tokens (masked to the real ones) and its block of the expert's weights, from
// the L2 cache: every expert's weights once per M-block of its tokens, its tokens once
// per N-block of its weights.
const (
	FusedMoETileM      = 64 // BLOCK_SIZE_M when the step's tokens exceed the experts
	FusedMoETileN      = 64 // BLOCK_SIZE_N
	FusedMoESmallTileM = 16 // BLOCK_SIZE_M when the step's tokens are at most the experts
	FusedMoESmallTileN = 32 // BLOCK_SIZE_N
)

// FusedMoETileL2Time is the time one expert's matmul on the fused MoE kernel's tiles
// takes to load its operands from the L2 cache at l2BW bytes/s: `rows` routed tokens
// (M) by a `cols` × `depth` weight (N × K), tiles of tileM × tileN, elemBytes per
// operand element,
//
//	t = (⌈rows/tileM⌉·cols·depth + ⌈cols/tileN⌉·rows·depth) · elemBytes / l2BW
//
// For full tiles this is FLOPs / (l2BW · 2·tileM·tileN / ((tileM + tileN)·elemBytes)):
// a 64 × 64 tile of 16-bit operands does 32 FLOP per byte it loads, 173 TFLOP/s at the
// A100's 5.42 TB/s, below the 271 of its measured large-matmul rate; a decode step's few
// tokens per expert load little beside the weights, which HBM streams more slowly
// than L2 delivers them. The kernel's time is the longer of this and its roofline
// (gemmTime). l2BW ≤ 0 gives 0 (no L2 measurement: no bound).
func FusedMoETileL2Time(rows, cols, depth, tileM, tileN, elemBytes, l2BW float64) float64 {
	if l2BW <= 0 || rows <= 0 {
		return 0
	}
	loads := math.Ceil(rows/tileM)*cols*depth + math.Ceil(cols/tileN)*rows*depth
	return loads * elemBytes / l2BW
}

// fusedMoETiles is the default tile the fused MoE kernel runs a step of `tokens` tokens
// on (M ≤ E: the small one).
func fusedMoETiles(tokens, experts float64) (tileM, tileN float64) {
	if tokens <= experts {
		return FusedMoESmallTileM, FusedMoESmallTileN
	}
	return FusedMoETileM, FusedMoETileN
}
