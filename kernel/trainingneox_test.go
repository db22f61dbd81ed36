package kernel

import "testing"

// TestNeoXLayerElementwise counts, by hand from GPT-NeoX v1.0's layer, the bytes and
// kernels per token of one Pythia-1B layer (models/1B/pythia-1b.yml: h 2048, 8 heads of
// 256, a 4·h GELU MLP, tp 1, 16-bit, Flash Attention): N = q = kv = 2048 elements,
// act = 8192, rotary on 0.25 of Q and K. Elements, forward:
//
//	norms 2·(2048 + 2048)                               =  8192
//	attention bias 2·2048, MLP bias 2·2048 + residual 3·2048, layer residual 3·2048 = 20480
//	bias_gelu 2·8192                                    = 16384
//	rotary 2·0.25·4096, cats 2·4096                     =  2048 + 8192
//	flash: Q, K, V copies 2·6144, concat 2·6144, context 2·2048 = 28672
//	total 83968 elements, 167,936 bytes; 2 + 4 + 1 + 1 + 2 + 5 = 15 kernels
//
// backward:
//
//	norms 2·5·2048 = 20480; x's two accumulations 2·3·2048 = 12288; bias sums 2·2048 = 4096
//	bias_gelu_back 3·8192 + its bias sum 8192            = 32768
//	QKV bias sum 6144, rotary 2048, slice_backward 7·4096 = 28672, split's cat 2·6144 = 12288
//	flash: the output gradient's copy 2·2048 = 4096
//	total 122880 elements, 245,760 bytes; 4 + 2 + 2 + 2 + 1 + 1 + 10 + 1 + 1 = 24 kernels
//
// against the fused accounting's (10·2048 + 2·8192)·2 = 73,728 and (16·2048 + 3·8192)·2 =
// 114,688 bytes. Without Flash Attention the copies go (the unfused core counts its
// context transpose): 110,592 and 237,568 bytes, 10 and 23 kernels.
func TestNeoXLayerElementwise(t *testing.T) {
	cases := []struct {
		name           string
		flash          bool
		fwd, bwd       float64
		fwdK, bwdK     float64
		q, kv, norm, a float64
	}{
		{"Pythia-1B, flash", true, 167936, 245760, 15, 24, 2048, 2048, 2048, 8192},
		{"Pythia-1B, unfused attention", false, 110592, 237568, 10, 23, 2048, 2048, 2048, 8192},
		// tp 2: Q, K, V and the intermediate halve, the stream does not:
		// forward 2·(14·2048 + 2·4096 + 0.5·2048 + 2·2048 + 14·1024) = 2·(28672 + 8192 +
		// 1024 + 4096 + 14336); backward 2·(18·2048 + 4·4096 + 3072 + 1024 + 7·2048 +
		// 6144 + 2048).
		{"Pythia-1B over tp 2, flash", true, 112640, 159744, 15, 24, 1024, 1024, 2048, 4096},
		// One sequence: the transposes are views; the concat alone copies (2·6144):
		// forward 2·(55296 + 12288), backward 237,568; 10 + 1 and 23 kernels.
		{"Pythia-1B, flash, one sequence", true, 135168, 237568, 11, 23, 2048, 2048, 2048, 8192},
	}
	for _, c := range cases {
		w := NeoXLayerElementwise(c.norm, c.q, c.kv, c.a, 2, c.flash, c.name == "Pythia-1B, flash, one sequence")
		relClose(t, c.name+" forward bytes", w.FwdBytes, c.fwd, 1e-15)
		relClose(t, c.name+" backward bytes", w.BwdBytes, c.bwd, 1e-15)
		relClose(t, c.name+" forward kernels", w.FwdKernels, c.fwdK, 0)
		relClose(t, c.name+" backward kernels", w.BwdKernels, c.bwdK, 0)
	}
}

// TestStepNeoXElementwise: a GPT-NeoX layer costs its fused layer plus the difference of
// the elementwise bytes at the bandwidth and KernelS per kernel (Pythia-1B's layer, one and
// two 2,048-token sequences, one accelerator, 16-bit at 1.8 TB/s), with and without Flash
// Attention; at tp 2
// its forward also runs one tensor-parallel all-reduce instead of two (gpt_j_residual),
// the backward still two.
func TestStepNeoXElementwise(t *testing.T) {
	const e, bw = 2.0, 1.8e12
	fused := gpt(2048, 8, 4)
	neox := fused
	neox.neox = true
	// One sequence (b = 1): only the concat copies around Flash Attention.
	n := 2048.0
	out := runStep(fused, neox)
	fusedF, fusedB := n*73728.0, n*114688.0
	relClose(t, "one sequence forward", out.LayerFwd[1]-out.LayerFwd[0], (n*135168-fusedF)/bw+11*KernelS, 1e-9)
	relClose(t, "one sequence backward", out.LayerBwd[1]-out.LayerBwd[0], (n*237568-fusedB)/bw+23*KernelS, 1e-9)

	// Two sequences a microbatch (4,096 tokens): the transposes copy.
	fused.B, neox.B = 2, 2
	n = 4096
	out = runStep(fused, neox)
	fusedF, fusedB = n*73728.0, n*114688.0
	relClose(t, "forward", out.LayerFwd[1]-out.LayerFwd[0], (n*167936-fusedF)/bw+15*KernelS, 1e-9)
	relClose(t, "backward", out.LayerBwd[1]-out.LayerBwd[0], (n*245760-fusedB)/bw+24*KernelS, 1e-9)
	if out.ModelFLOPs[1] != out.ModelFLOPs[0] || out.Optimizer[1] != out.Optimizer[0] {
		t.Errorf("GPT-NeoX's elementwise work changed FLOPs or the optimizer: %v %v", out.ModelFLOPs, out.Optimizer)
	}

	// Without Flash Attention: the count without the copies (110,592 and 237,568 bytes, 10
	// and 23 kernels) against the fused passes and the unfused configuration's hidden
	// dropout, 2·N·(e + 1) forward and 2·N·(2e + 1) backward, which GPT-NeoX's
	// configurations (hidden-dropout 0) do not run.
	fused.flash, neox.flash = false, false
	out = runStep(fused, neox)
	dropF, dropB := n*2*2048*(e+1), n*2*2048*(2*e+1)
	relClose(t, "unfused forward", out.LayerFwd[1]-out.LayerFwd[0], (n*110592-fusedF-dropF)/bw+10*KernelS, 1e-9)
	relClose(t, "unfused backward", out.LayerBwd[1]-out.LayerBwd[0], (n*237568-fusedB-dropB)/bw+23*KernelS, 1e-9)

	fused.flash, neox.flash = true, true
	fused.tp, neox.tp, fused.N, neox.N = 2, 2, 2, 2
	out = runStep(fused, neox)
	// Fused at tp 2: norms and residuals on the whole stream, GeLU on half the intermediate.
	fusedF, fusedB = n*2*(10*2048+2*4096), n*2*(16*2048+3*4096)
	ar := RingOrNVLSAllReduce(n*2048*e, 2, 230e9, NCCLHopNVLinkS, false)
	relClose(t, "tp 2 forward", out.LayerFwd[1]-out.LayerFwd[0], (n*112640-fusedF)/bw+15*KernelS-ar, 1e-9)
	relClose(t, "tp 2 backward", out.LayerBwd[1]-out.LayerBwd[0], (n*159744-fusedB)/bw+24*KernelS, 1e-9)
}
