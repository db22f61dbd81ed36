package kernel

import "testing"

// TestEagerLayerElementwise counts, by hand from the operations of the fms LLaMABlock and
// their autograd formulas, the bytes and kernels of one layer run op by op (bf16, e = 2;
// FP32 intermediates 4 bytes). Per element, forward and backward:
//
//	RMSNorm   float 2+4, pow 4+4, mean 4, multiply 4+4, type_as 4+2, weight 2+2 = 36 (8 kernels);
//	          weight 8+4, type_as 2+4, multiply 16+8, mean 4, pow 16+12, accumulate 8+4,
//	          float 4+2 = 92 (15 kernels, rsqrt and eps among them)
//	rotary    float 2+4, product 4+8, sum 8+4, type_as 4+2 = 36 each way (4 kernels a tensor)
//	SwiGLU    silu 2+2, product 4+2 = 10 (2 kernels); backward 2·(4+2) + 4+2 = 18 (3 kernels)
//	GeLU      2+2 = 4 (1 kernel); backward 4+2 = 6 (1 kernel)
//	residual  4+2 = 6 each way (1 kernel)
//	expand    K and V copied to the query heads: kv·2 + q·2 each, and summed back
//	accumulate the normed input's gradients: 4+2 per element, twice (Q, K, V), once more gated
func TestEagerLayerElementwise(t *testing.T) {
	cases := []struct {
		name                  string
		norm, input, q, kv, a float64
		gated                 bool
		fwd, bwd, kf, kb      float64
	}{
		// 1000 stream elements, 250 K/V elements (grouped), 2000 SwiGLU elements:
		// forward 2·1000·36 + 2·1000·6 + 1250·36 + 2·(250·2 + 1000·2) + 2000·10
		//       = 72000 + 12000 + 45000 + 5000 + 20000;
		// backward 2·1000·92 + 12000 + 45000 + 5000 + 2000·18 + 3·1000·6
		//       = 184000 + 12000 + 45000 + 5000 + 36000 + 18000;
		// kernels 2·8 + 2 + 2·4 + 2 + 2 and 2·15 + 2 + 2·4 + 2 + 3 + 3.
		{"grouped K/V, SwiGLU", 1000, 1000, 1000, 250, 2000, true, 154000, 300000, 30, 48},
		// As many K/V heads as query heads (no copy), a GeLU MLP of 4000 elements:
		// forward 72000 + 12000 + 2000·36 + 4000·4; backward 184000 + 12000 + 72000 +
		// 4000·6 + 2·1000·6; kernels 16 + 2 + 8 + 1 and 30 + 2 + 8 + 1 + 2.
		{"MHA, GeLU", 1000, 1000, 1000, 1000, 4000, false, 172000, 304000, 27, 43},
		// Sequence parallelism: norms and residual adds on a quarter of the stream, the
		// projections still read the whole normed input (the accumulations' 4000).
		{"SP over 4", 250, 1000, 1000, 1000, 4000, false, 18000 + 3000 + 72000 + 16000, 46000 + 3000 + 72000 + 24000 + 12000, 27, 43},
	}
	for _, c := range cases {
		w := EagerLayerElementwise(c.norm, c.input, c.q, c.kv, c.a, 2, c.gated)
		relClose(t, c.name+" forward bytes", w.FwdBytes, c.fwd, 1e-15)
		relClose(t, c.name+" backward bytes", w.BwdBytes, c.bwd, 1e-15)
		relClose(t, c.name+" forward kernels", w.FwdKernels, c.kf, 0)
		relClose(t, c.name+" backward kernels", w.BwdKernels, c.kb, 0)
	}
}

// TestStepEagerElementwise: an eager layer costs its fused layer plus the difference of
// the elementwise bytes at the bandwidth and KernelS per kernel, forward and backward,
// and nothing else moves (GPT 1024/16 heads, 2048 tokens, one accelerator, bf16 at
// 1.8 TB/s). Both points run in one call, so the layer memo must tell them apart.
func TestStepEagerElementwise(t *testing.T) {
	fused := gpt(1024, 16, 4)
	eager := fused
	eager.eager = true
	out := runStep(fused, eager)
	const n, h, e, bw = 2048.0, 1024.0, 2.0, 1.8e12
	E, act := n*h, 4*n*h
	// Fused: norms 2·2, residuals 2·3, GeLU 2 forward; 2·5, 2·3, 3 backward (elements).
	fusedF, fusedB := (10*E+2*act)*e, (16*E+3*act)*e
	eagerF := 2*E*36 + 2*E*6 + 2*E*36 + act*4
	eagerB := 2*E*92 + 2*E*6 + 2*E*36 + act*6 + 2*E*6
	relClose(t, "forward", out.LayerFwd[1]-out.LayerFwd[0], (eagerF-fusedF)/bw+27*KernelS, 1e-9)
	relClose(t, "backward", out.LayerBwd[1]-out.LayerBwd[0], (eagerB-fusedB)/bw+43*KernelS, 1e-9)
	if out.ModelFLOPs[1] != out.ModelFLOPs[0] || out.Optimizer[1] != out.Optimizer[0] {
		t.Errorf("eager elementwise work changed FLOPs or the optimizer: %v %v, %v %v", out.ModelFLOPs, out.Optimizer, out.ModelFLOPs[1], out.Optimizer[1])
	}
}
