package kernel

import "math"

// CNNFeatureMaps counts, per sample, the feature-map elements a CNN that lists its
// convolutions keeps in memory (docs/PHYSICS.md §37). stored and live are elements; the
// caller multiplies by the batch and the bytes per element of the run's precision.
// indices is the count of int64 max-pool indices a training step also keeps
// (PoolIndexBytes each).
//
// stored is what a training step keeps from the forward pass for the backward pass, as
// an eager framework with in-place ReLU keeps it (PyTorch autograd, whose backward
// formulas in tools/autograd/derivatives.yaml read a convolution's input for the weight
// gradient, batch norm's input and saved statistics, ReLU's result, and a max pool's
// input and indices):
//
//	stored  = in_elems(first layer) + Σ count · (pixels · out · ([BN] + [output kept]) + pool_pixels · out)
//	output kept = a ReLU follows, or a batch norm that is not a projection shortcut's
//	indices = Σ count · pool_pixels · out
//
// Each convolution's output is batch norm's saved input. The layer's own output — the
// ReLU's (modified in place: the normalised tensor, or the convolution's output without
// batch norm), or a linear bottleneck's normalised tensor, or the sum an out-of-place
// residual add writes (MobileNetV2's x + conv(x)) — is the next convolution's (or max
// pool's) saved input and is stored once, so convolution inputs add nothing beyond the
// network's own input and the pooled outputs. A projection shortcut's normalised output
// is consumed by the residual add, which saves nothing, and is freed; the logits (no
// batch norm, no ReLU) store nothing of their own. Layers the list does not name are
// not counted.
//
// live is the largest set of feature maps an inference pass holds at once: one layer's
// input and output (or a max pool's input and output), plus the residual stream a block
// holds until its add (the largest tensor a residual add produces), plus, in eager mode,
// batch norm's output written beside the convolution's:
//
//	live = max over layers max(in_elems + k · pixels · out, pixels · out + pool_pixels · out)
//	       + max over add layers (pixels · out)
//	k    = 2 (CNNEager, CNNFusedBNAct, with a batch norm: the normalisation writes a new tensor)
//	       1 (CNNGraph: batch norm folded, ReLU and add in the epilogue; or no batch norm)
func CNNFeatureMaps(layers []ConvShape, exec CNNExecution) (stored, live, indices float64) {
	if len(layers) == 0 {
		return 0, 0, 0
	}
	stored = layers[0].InElems
	var layer, residual float64
	for i := range layers {
		l := &layers[i]
		out := l.Pixels * l.Out
		pooled := l.PoolPixels * l.Out
		var kept float64
		if l.BN {
			kept += out
		}
		if l.ReLU || l.BN && !l.Shortcut {
			kept += out
		}
		stored += l.Count * (kept + pooled)
		indices += l.Count * pooled
		k := 1.0
		if l.BN && exec != CNNGraph {
			k = 2
		}
		layer = math.Max(layer, math.Max(l.InElems+k*out, out+pooled))
		if l.Add {
			residual = math.Max(residual, out)
		}
	}
	return stored, layer + residual, indices
}

// cnnMaps is CNNFeatureMaps of the last layer list and execution it was asked for (one
// SingleNode call's): a batch's CNN rows repeat one model's list for many points, and the
// counts depend on the list and the execution alone. Lists are told apart by their first
// element's address and their length; SingleNode reads its input and writes nothing back.
type cnnMaps struct {
	first                 *ConvShape
	n                     int
	exec                  CNNExecution
	stored, live, indices float64
}

func (c *cnnMaps) of(layers []ConvShape, exec CNNExecution) (stored, live, indices float64) {
	if len(layers) == 0 {
		return CNNFeatureMaps(layers, exec)
	}
	if c.first != &layers[0] || c.n != len(layers) || c.exec != exec {
		c.stored, c.live, c.indices = CNNFeatureMaps(layers, exec)
		c.first, c.n, c.exec = &layers[0], len(layers), exec
	}
	return c.stored, c.live, c.indices
}
