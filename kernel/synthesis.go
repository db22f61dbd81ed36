package kernel

// Synthesis is the inverse roofline: the hardware one inference needs to finish
// within a target latency (physics.md §5.5, SynthesisSolver; Wall 22). Batch 1,
// no overheads:
//
//	required bandwidth = W / T                 (bytes/s: stream the weights once)
//	required FLOP/s    = ops / (T·η)
//	required memory    = W
//	compute/memory     = required FLOP/s / required bandwidth   (FLOP/byte)
//
// T is not validated (the seed does not either): T = 0 gives +Inf rates.
func Synthesis(out *SynthOut, in *SynthIn) {
	n := len(in.WeightBytes)
	out.resize(n)
	for i := 0; i < n; i++ {
		w, t := in.WeightBytes[i], in.TargetLatency[i]
		bw := w / t
		flops := in.Ops[i] / (t * in.Efficiency[i])
		out.RequiredBandwidth[i] = bw
		out.RequiredFLOPS[i] = flops
		out.RequiredMemory[i] = w
		out.ComputeMemoryRatio[i] = flops / bw
	}
}

// SynthIn holds the input columns of Synthesis.
type SynthIn struct {
	WeightBytes   []float64 // W at the precision
	Ops           []float64 // FLOP per unit of work (WorkloadOps)
	TargetLatency []float64 // s
	Efficiency    []float64
}

// SynthOut holds the output columns of Synthesis.
type SynthOut struct {
	RequiredBandwidth  []float64 // bytes/s
	RequiredFLOPS      []float64 // FLOP/s
	RequiredMemory     []float64 // bytes
	ComputeMemoryRatio []float64 // FLOP/byte
}

func (o *SynthOut) resize(n int) {
	for _, p := range []*[]float64{&o.RequiredBandwidth, &o.RequiredFLOPS, &o.RequiredMemory, &o.ComputeMemoryRatio} {
		*p = grow(*p, n)
	}
}
