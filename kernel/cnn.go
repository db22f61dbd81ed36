package kernel

import "math"

// CNNExecution is how a framework runs a CNN's layers (docs/PHYSICS.md §36): which
// elementwise layers get their own pass over the feature map, and whether the layers run
// one after another or overlap as one graph.
type CNNExecution uint8

const (
	// CNNEager runs every convolution, batch norm, ReLU and residual add as its own
	// kernel, one after another: PyTorch eager mode, with or without AMP (torch.nn's
	// BatchNorm2d, ReLU and the Bottleneck's `out += identity` are separate modules).
	CNNEager CNNExecution = iota
	// CNNFusedBNAct computes batch-norm statistics in the convolution's epilogue and
	// applies scale, bias, residual add and ReLU in one pass: NVIDIA's MXNet ResNet-50 for
	// MLPerf Training (gluon FusedConv2DBNRelu / FusedConv2DBNAddRelu: NormConvolution,
	// BNStatsFinalize, ScaleBiasAddRelu).
	CNNFusedBNAct
	// CNNGraph is an inference engine that folds batch norm into the convolution weights,
	// runs ReLU and the residual add in the convolution's epilogue (TensorRT's layer
	// fusions) and overlaps layers (cross-layer fusion plugins, concurrent streams), so the
	// whole graph's roofline bounds the batch.
	CNNGraph
)

// ConvShape is one convolution of a CNN, repeated Count times, per sample. A fully
// connected layer is a 1×1 convolution on one pixel.
type ConvShape struct {
	Pixels     float64 // output feature-map pixels (side²)
	In, Out    float64 // channels
	Taps       float64 // kernel side²
	InElems    float64 // input feature-map elements (In · (side·stride)²)
	Count      float64
	Groups     float64 // In and Out split into Groups independent convolutions (0 or 1: none; In: depthwise)
	BN         bool    // a batch norm follows the convolution
	Shortcut   bool    // a projection shortcut: its output is consumed by the residual add
	ReLU       bool    // a ReLU follows (the batch norm, or the convolution without one)
	Add        bool    // a residual add follows the batch norm
	PoolPixels float64 // output pixels of a max pool after the layer (0: none)
}

// PoolIndexBytes is the size of the argmax index a training max pool keeps per output
// element: PyTorch's max_pool2d_with_indices returns int64 indices, and its backward
// (tools/autograd/derivatives.yaml) reads them.
const PoolIndexBytes = 8

// Elementwise passes over a convolution's output, in element reads plus writes
// (docs/PHYSICS.md §36). Batch norm in training is two passes forward (statistics, then
// normalise) and two backward (the Σdy and Σdy·x̂ reductions, then dx): Jung et al.,
// "Restructuring Batch Normalization to Accelerate CNN Training", MLSys 2019, §2.
const (
	bnInferAccesses   = 2 // read x, write y
	bnFwdAccesses     = 3 // read x (statistics), read x and write y (normalise)
	bnBwdAccesses     = 5 // read dy, x (reductions); read dy, x and write dx
	reluFwdAccesses   = 2 // read, write
	reluBwdAccesses   = 3 // read dy and the output (mask), write dx
	addAccesses       = 3 // read two operands, write the sum (forward; the backward sums the two branches' gradients)
	fusedFwdAccesses  = 2 // ScaleBiasAddRelu: read the convolution output, write the activation
	fusedSkipAccesses = 1 // the fused pass reads the residual operand (forward)
	// fusedSkipBwdAccesses: the fused backward writes the residual branch's gradient, and the
	// other branch's convolution dgrad reads it back to add its own into it (cuDNN's β = 1
	// accumulate; NVIDIA's MXNet NormConvolution::Backward passes β = 1 for an add-to
	// gradient), where the unfused add's backward sums the two branches (addAccesses).
	fusedSkipBwdAccesses = 2
	poolFwdAccesses      = 1 // a max pool reads its input once and writes the pooled output (counted apart)
	poolBwdAccesses      = 1 // its backward writes the full-size input gradient (reading the pooled dy, counted apart)
)

// CNNStep is the calibrated time of a batch of b samples through a CNN's convolutions
// and the elementwise layers after them. Each convolution is an implicit GEMM with
// m = b·pixels, n = out, k = taps·in/groups (a grouped convolution is groups GEMMs of
// n/groups columns, batched), priced as gemmTime prices a GEMM but reading the input
// feature map once (not its im2col copy): its tiling, wave quantisation q and split-K
// are gemmTiming's (convGEMM). A depthwise convolution (one input channel per group) is
// a stencil run outside the GEMM tiles, so it gets no wave quantisation; at taps
// multiply-adds per element read it is bound by its feature-map traffic:
//
//	conv  = max(2mnk / (R·q), (b·in_elems + k·n)·e / BW) + m·n·e / BW     q: wave quantisation
//	        (split-K over s slices: q grows s-fold, + 2·s·m·n·4 / BW of FP32 partial sums)
//	dgrad = the same FLOPs, reading dy and the weights, writing dx (not for the first layer)
//	wgrad = max(2mnk / R, (b·in_elems + m·n)·e / BW) + k·n·e / BW        split over m, no tile waves
//	ew    = Σ accesses · m·n·e / BW                                      the elementwise passes
//	pool  = (m·n + b·pool_pixels·n)·e / BW                                a max pool forward
//	        + (m·n + b·pool_pixels·n)·e / BW + 2·b·pool_pixels·n·8 / BW  training: its backward, indices written and read
//
// CNNEager and CNNFusedBNAct run layer after layer: busy = Σ conv times + ew.
// CNNGraph overlaps them: busy = max(Σ FLOP times, Σ bytes / BW + ew).
// It returns the summed FLOP time, the summed memory time and busy.
func CNNStep(layers []ConvShape, exec CNNExecution, b float64, training bool, e, rate, sms, bw float64) (tComp, tMem, busy float64) {
	var seq, ewElems, poolBytes float64
	for i := range layers {
		l := &layers[i]
		g := max(l.Groups, 1)
		m, n, k := b*l.Pixels, l.Out, l.Taps*l.In/g
		flops := 2 * m * n * k
		in := b * l.InElems
		out := m * n
		w := k * n
		outWrite := out
		if exec == CNNGraph && l.Add {
			outWrite += out // the epilogue reads the residual operand
		}
		depthwise := l.In == g
		layer, comp, mem := convGEMM(m, n/g, k, g, flops, (in+w)*e/bw, outWrite*e/bw, depthwise, rate, sms, bw)
		if training {
			if i > 0 {
				ld, cd, md := convGEMM(in/l.In, l.In/g, l.Taps*l.Out/g, g, flops, (out+w)*e/bw, in*e/bw, depthwise, rate, sms, bw)
				layer += ld
				comp += cd
				mem += md
			}
			cw := flops / rate
			rdw := (in + out) * e / bw
			layer += math.Max(cw, rdw) + w*e/bw
			comp += cw
			mem += rdw + w*e/bw
		}
		seq += l.Count * layer
		tComp += l.Count * comp
		tMem += l.Count * mem
		ewElems += l.Count * out * elementwiseAccesses(l, exec, training, appliedByNext(layers, i, exec))
		if l.PoolPixels > 0 {
			pooled := b * l.PoolPixels * n
			bytes := (poolFwdAccesses*out + pooled) * e
			if training {
				bytes += (poolBwdAccesses*out+pooled)*e + 2*pooled*PoolIndexBytes
			}
			poolBytes += l.Count * bytes
		}
	}
	ew := ewElems*e/bw + poolBytes/bw
	tMem += ew
	if exec == CNNGraph {
		return tComp, tMem, math.Max(tComp, tMem)
	}
	return tComp, tMem, seq + ew
}

// CNNGraphKernels is the number of kernels a graph engine launches for one inference
// through the layers: one per convolution (batch norm folded, ReLU and residual add in its
// epilogue: TensorRT's layer fusions, TensorFlow Lite's fused_activation_function) and one
// per max pool, which TensorRT runs as a layer of its own (docs/PHYSICS.md §36).
func CNNGraphKernels(layers []ConvShape) float64 {
	var k float64
	for i := range layers {
		k += layers[i].Count
		if layers[i].PoolPixels > 0 {
			k += layers[i].Count
		}
	}
	return k
}

// appliedByNext reports whether layer i's batch norm (and its ReLU) costs no forward
// pass of its own under CNNFusedBNAct (and graph training, which keeps its passes): NVIDIA's
// MXNet ResNet-50 for MLPerf Training (resnet-v1b-mainloop-fl.py) runs each bottleneck's
// convolutions as NormConvolution, which applies the previous batch norm's scale, bias and
// ReLU to its input as it loads it ("Stats-Apply Relu Convolution Stats-Gen", cuDNN's
// CUDNN_FUSED_SCALE_BIAS_ACTIVATION_CONV_BNSTATS), and a projection shortcut's batch norm
// inside the dual ScaleBiasAddRelu that adds it, reading its raw output once (the skip
// read). A batch norm followed by a max pool (the stem's, a BatchNorm kernel of its own),
// by a residual add, without a ReLU (a linear bottleneck) or on the last listed layer keeps
// its pass. The backward is unchanged: batch norm's backward reads the raw convolution
// output and recomputes the normalised input and the ReLU mask from it.
func appliedByNext(layers []ConvShape, i int, exec CNNExecution) bool {
	l := &layers[i]
	if exec == CNNEager || !l.BN || l.Add || l.PoolPixels > 0 {
		return false
	}
	return l.Shortcut || l.ReLU && i < len(layers)-1
}

// elementwiseAccesses is the element reads and writes per output element of the batch
// norm, residual add and ReLU after one convolution; applied: the next convolution
// applies this batch norm as it loads its input (appliedByNext), so the fused forward
// has no pass of its own.
func elementwiseAccesses(l *ConvShape, exec CNNExecution, training, applied bool) float64 {
	if !l.BN {
		// A ReLU straight after a convolution (no batch norm, no add: AlexNet) is its
		// own pass in every framework here but graph inference, whose epilogue runs it.
		switch {
		case !l.ReLU || exec == CNNGraph && !training:
			return 0
		case training:
			return reluFwdAccesses + reluBwdAccesses
		}
		return reluFwdAccesses
	}
	skip, skipBwd, fwd := 0.0, 0.0, float64(fusedFwdAccesses)
	if l.Add {
		skip, skipBwd = fusedSkipAccesses, fusedSkipBwdAccesses
	}
	if applied {
		fwd = 0
	}
	switch {
	case exec == CNNEager && !training:
		a := float64(bnInferAccesses)
		if l.ReLU {
			a += reluFwdAccesses
		}
		if l.Add {
			a += addAccesses
		}
		return a
	case exec == CNNEager:
		a := float64(bnFwdAccesses + bnBwdAccesses)
		if l.ReLU {
			a += reluFwdAccesses + reluBwdAccesses
		}
		if l.Add {
			a += 2 * addAccesses
		}
		return a
	case exec == CNNGraph && !training:
		return 0 // folded into the convolution and its epilogue
	case !training:
		return fwd + skip
	}
	// Training cannot fold batch norm (its statistics change every batch): one fused
	// pass forward (none where the next convolution applies it) and the two-pass
	// backward, as CNNFusedBNAct.
	return fwd + bnBwdAccesses + skip + skipBwd
}

// convGEMM is the time of a convolution's forward or dgrad implicit GEMM (groups GEMMs
// of m×n outputs over k) with its FLOP time and its memory time: the tiling, wave
// quantisation and split-K of gemmTiming (docs/PHYSICS.md §35), so a fully connected
// layer at batch 1 (m = 1, a GEMV) splits k over the SMs and streams its weights, as
// cuBLAS's split-K and GEMV kernels do. A depthwise convolution is a stencil outside the
// tiles: its FLOPs run at the rate, unquantised.
func convGEMM(m, n, k, groups, flops, read, write float64, depthwise bool, rate, sms, bw float64) (t, comp, mem float64) {
	if depthwise {
		sms = 0
	}
	c := gemmTiming(m, n, k, groups, rate, sms, bw, flops, read, write)
	return c.t, c.compute, read + c.partials + write
}
