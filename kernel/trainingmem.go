package kernel

import "math"

// TrainingMemory is the per-accelerator training memory model (physics.md §7.1,
// TrainingMemoryModel; Wall 2):
//
//	shards  = TP·PP·EP;  p = P/shards;  p_train = p · trainable fraction
//	weights = p·b;  gradients = p_train·b;  optimizer = p_train · (12 adam | 4 sgd | 0)
//	ZeRO-1 shards the optimizer over DP, ZeRO-2 also gradients, ZeRO-3 also weights
//	mb      = max(1, ceil(B/(DP·GA)));  L_stage = max(1, ceil(L/PP))
//	activations = ActivationBytes(L_stage, S, mb, h, heads, b, recompute)
//	buffers = gradients · comm fraction + (2·mb·S·h·b if PP > 1)
//	feasible iff the total ≤ HBM capacity
func TrainingMemory(out *TrainMemOut, in *TrainMemIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		b := in.Bytes[i]
		tp, pp, dp := in.TP[i], in.PP[i], in.DP[i]
		pRank := in.Params[i] / (tp * pp * in.EP[i])
		pTrain := pRank * in.TrainableFraction[i]
		weights := pRank * b
		grads := pTrain * b
		opt := pTrain * in.OptimizerBytes[i]
		weights, grads, opt = ZeROShard(in.ZeROStage[i], dp, weights, grads, opt)
		mb := math.Max(1, math.Ceil(in.Batch[i]/(dp*in.GradAccum[i])))
		stageLayers := math.Max(1, math.Ceil(in.Layers[i]/pp))
		h := in.Hidden[i]
		if h == 0 {
			h = DefaultHidden
		}
		act := ActivationBytes(stageLayers, in.SeqLen[i], mb, h, in.Heads[i], b, in.Recompute[i])
		buffers := grads * in.CommBufferFraction[i]
		if pp > 1 {
			buffers += 2 * mb * in.SeqLen[i] * h * b
		}
		total := weights + grads + opt + act + buffers
		capacity := in.MemCapacity[i]

		out.Weights[i] = weights
		out.Gradients[i] = grads
		out.Optimizer[i] = opt
		out.Activations[i] = act
		out.Buffers[i] = buffers
		out.Total[i] = total
		out.Microbatch[i] = mb
		if capacity > 0 {
			out.Utilization[i] = total / capacity
		} else {
			out.Utilization[i] = math.Inf(1)
		}
		out.Feasible[i] = total <= capacity
	}
}

// Optimizer state bytes per trainable parameter (physics.md §7.1).
const (
	OptimizerBytesAdam = 12.0 // FP32 master copy + two moments (adam, adamw)
	OptimizerBytesSGD  = 4.0  // FP32 master copy (momentum-free SGD)
	// DefaultCommBufferFraction: gradient bucket = 5 % of the gradients.
	DefaultCommBufferFraction = 0.05
)

// TrainMemIn holds the input columns of TrainingMemory.
type TrainMemIn struct {
	Params, Layers, Hidden, Heads []float64 // Heads must be > 0 for RecomputeNone
	Bytes                         []float64
	OptimizerBytes                []float64 // OptimizerBytesAdam, OptimizerBytesSGD or 0
	Recompute                     []Recompute
	Batch, SeqLen                 []float64 // global batch (sequences), tokens
	TP, PP, DP, EP                []float64
	ZeROStage, GradAccum          []float64
	TrainableFraction             []float64
	CommBufferFraction            []float64
	MemCapacity                   []float64
}

// TrainMemOut holds the output columns of TrainingMemory (bytes per accelerator).
type TrainMemOut struct {
	Weights, Gradients, Optimizer, Activations, Buffers, Total []float64
	Microbatch, Utilization                                    []float64
	Feasible                                                   []bool
}

func (o *TrainMemOut) resize(n int) {
	for _, p := range []*[]float64{&o.Weights, &o.Gradients, &o.Optimizer, &o.Activations, &o.Buffers,
		&o.Total, &o.Microbatch, &o.Utilization} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
}
