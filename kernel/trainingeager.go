package kernel

// EagerElementwise is the memory traffic and kernel count of one transformer layer's
// elementwise work, for one microbatch on one accelerator, when a PyTorch model runs it
// op by op in eager mode (no torch.compile, no fused kernels) as a Llama-style block
// writes it (docs/PHYSICS.md §35, "Eager elementwise work"). The operations are those of
// IBM's Foundation Model Stack LLaMABlock (foundation-model-stack, fms/models/llama.py,
// fms/modules at 464c4ca, February 2024: the code the fms-fsdp runs trained), each
// kernel reading its inputs and writing its output in HBM:
//
//	RMSNorm (LayerNormParameterized, use_high_precision_pow): x.float(), pow(2),
//	  mean(-1), + eps, rsqrt, multiply, type_as(x), weight · x
//	rotary (RotaryEmbedding.adjusted_qk), for Q and for K: .float(), the product with
//	  the 2×2 rotation (an FP32 tensor twice the input's size), .sum(5), type_as
//	grouped K/V heads (MultiHeadAttention): expand + flatten copies K and V to the
//	  query heads before scaled_dot_product_attention
//	SwiGLU (GatedLinearUnit): silu(wg·x), then its product with w1·x; GeLU: one kernel
//	residual adds: one kernel each
//
// and the backward runs each operation's derivative formula from PyTorch's
// tools/autograd/derivatives.yaml as written, one kernel per operation in it (pow's
// pow_backward, grad · (2 · x.pow(1)), three; mul's, a product per input and, for a
// broadcast input, its sum), plus autograd's accumulation (read two, write one) of
// every gradient whose tensor fed two operations: the FP32 input of each norm (pow and
// multiply), and the normed input of the separate Q, K and V projections (two) and of
// the gate and up projections (one).
//
// Elements are counted at e bytes (the training precision) or 4 (FP32), per:
//
//	norm    elements of the residual stream each norm and residual add runs on (n·h,
//	        n·h/tp under sequence parallelism)
//	input   elements of a norm's output as the projections read it (n·h)
//	q, kv   query and key/value elements on this rank (n·heads/tp·d, n·kv/tp·d)
//	act     the MLP's intermediate elements on this rank
//
// Reading the rotary table (2·d FP32 values per position, shared by the heads) and the
// per-token norm statistics is left out: each is under 1/h of the tensor it serves.
type EagerElementwise struct {
	FwdBytes, BwdBytes     float64
	FwdKernels, BwdKernels float64
}

// Bytes per element of each eager operation (f = FP32, e = the training precision):
// read + write, forward and backward, as EagerElementwise counts them.
const (
	eagerFP32Bytes = 4
	// RMSNorm forward: float (e + f), pow (2f), mean (f), multiply (2f), type_as (f + e),
	// weight (2e): 4e + 7f in 8 kernels (mean's eps and rsqrt act on per-token values).
	eagerNormFwdE, eagerNormFwdF, eagerNormFwdKernels = 4, 7, 8
	// RMSNorm backward: weight (grad · w; grad · x then its sum over tokens: 4e read, 2e
	// written, 3 kernels), type_as (e + f), multiply (grad · r, then grad · x summed
	// over the row: 4f + 2f, 3 kernels), rsqrt and eps (2 kernels on per-token values),
	// mean (expand / h: f), pow (x.pow(1), 2·, grad ·: 4f + 3f, 3 kernels), the
	// accumulation of x's two gradients (3f), float (f + e): 8e + 19f in 15 kernels.
	eagerNormBwdE, eagerNormBwdF, eagerNormBwdKernels = 8, 19, 15
	// Rotary, per tensor (Q or K): float (e + f), rotation product (f + 2f), sum (2f + f),
	// type_as (f + e): 2e + 8f in 4 kernels; the backward the same (type_as, the
	// product's gradient over the broadcast shape, its sum, float).
	eagerRotaryE, eagerRotaryF, eagerRotaryKernels = 2, 8, 4
	// SwiGLU: silu (2e), product (3e) forward, 2 kernels; backward the product's two
	// gradients (6e, 2 kernels) and silu's (3e, 1 kernel). GeLU: 2e forward, 3e backward.
	eagerGatedFwd, eagerGatedFwdKernels, eagerGatedBwd, eagerGatedBwdKernels = 5, 2, 9, 3
	eagerGeLUFwd, eagerGeLUBwd                                               = 2, 3
	// Residual add: two reads and a write, forward and (accumulating the stream's
	// gradient) backward.
	eagerResidual = 3
)

// EagerLayerElementwise counts one layer's eager elementwise work (EagerElementwise).
func EagerLayerElementwise(norm, input, q, kv, act, e float64, gated bool) EagerElementwise {
	var w EagerElementwise
	norms := 2 * norm
	w.FwdBytes = norms*(eagerNormFwdE*e+eagerNormFwdF*eagerFP32Bytes) + 2*eagerResidual*norm*e
	w.BwdBytes = norms*(eagerNormBwdE*e+eagerNormBwdF*eagerFP32Bytes) + 2*eagerResidual*norm*e
	w.FwdKernels = 2*eagerNormFwdKernels + 2
	w.BwdKernels = 2*eagerNormBwdKernels + 2
	rope := (q + kv) * (eagerRotaryE*e + eagerRotaryF*eagerFP32Bytes)
	w.FwdBytes += rope
	w.BwdBytes += rope
	w.FwdKernels += 2 * eagerRotaryKernels
	w.BwdKernels += 2 * eagerRotaryKernels
	if kv < q {
		// K and V copied to every query head's slot, and their gradients summed back.
		expand := 2 * (kv + q) * e
		w.FwdBytes += expand
		w.BwdBytes += expand
		w.FwdKernels += 2
		w.BwdKernels += 2
	}
	accumulations := 2.0 // the normed input's gradients from the Q, K and V projections
	if gated {
		w.FwdBytes += eagerGatedFwd * act * e
		w.BwdBytes += eagerGatedBwd * act * e
		w.FwdKernels += eagerGatedFwdKernels
		w.BwdKernels += eagerGatedBwdKernels
		accumulations++ // and from the gate and up projections
	} else {
		w.FwdBytes += eagerGeLUFwd * act * e
		w.BwdBytes += eagerGeLUBwd * act * e
		w.FwdKernels++
		w.BwdKernels++
	}
	w.BwdBytes += accumulations * 3 * input * e
	w.BwdKernels += accumulations
	return w
}
