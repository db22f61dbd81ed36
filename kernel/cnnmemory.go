package kernel

import "math"

// CNNFeatureMaps counts, per sample, the feature-map elements a CNN that lists its
// convolutions keeps in memory (docs/PHYSICS.md §37). Both counts are elements; the
// caller multiplies by the batch and the bytes per element of the run's precision.
//
// stored is what a training step keeps from the forward pass for the backward pass, as
// an eager framework with in-place ReLU keeps it (PyTorch autograd, whose backward
// formulas in tools/autograd/derivatives.yaml read a convolution's input for the weight
// gradient, batch norm's input and saved statistics, and ReLU's result):
//
//	stored = in_elems(first layer) + Σ count · pixels · out · (1 + [ReLU follows])
//
// Each convolution's output is batch norm's saved input. Where a ReLU follows, the
// normalised tensor (the ReLU's output, modified in place) is a second stored tensor,
// and it is also the next convolution's saved input, so convolution inputs add nothing
// beyond the network's own input. A projection shortcut's normalised output (bn only)
// is consumed by the residual add, which saves nothing, and is freed. Layers the list
// does not name (the stem max-pool and its int64 indices, the classifier) are not
// counted.
//
// live is the largest set of feature maps an inference pass holds at once: one layer's
// input and output, plus the residual stream a block holds until its add (the largest
// tensor a residual add produces), plus, in eager mode, batch norm's output written
// beside the convolution's:
//
//	live = max over layers (in_elems + k · pixels · out) + max over add layers (pixels · out)
//	k    = 2 (CNNEager, CNNFusedBNAct: the normalisation writes a new tensor)
//	       1 (CNNGraph: batch norm folded into the convolution, ReLU and add in its epilogue)
func CNNFeatureMaps(layers []ConvShape, exec CNNExecution) (stored, live float64) {
	if len(layers) == 0 {
		return 0, 0
	}
	k := 2.0
	if exec == CNNGraph {
		k = 1
	}
	stored = layers[0].InElems
	var layer, residual float64
	for i := range layers {
		l := &layers[i]
		out := l.Pixels * l.Out
		kept := out
		if l.ReLU {
			kept += out
		}
		stored += l.Count * kept
		layer = math.Max(layer, l.InElems+k*out)
		if l.Add {
			residual = math.Max(residual, out)
		}
	}
	return stored, layer + residual
}
