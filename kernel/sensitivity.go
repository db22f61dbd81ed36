package kernel

import "math"

// SensParam is a hardware parameter whose perturbation Sensitivity measures.
type SensParam uint8

const (
	// SensPeakFLOPS perturbs the peak FLOP/s (every precision's rate alike).
	SensPeakFLOPS SensParam = iota
	// SensMemoryBandwidth perturbs the HBM bandwidth.
	SensMemoryBandwidth
	// SensMemoryCapacity perturbs the HBM capacity.
	SensMemoryCapacity
)

var sensParamNames = [...]string{"peak_flops", "memory_bandwidth", "memory_capacity"}

// String returns the seed's key: "peak_flops", "memory_bandwidth" or "memory_capacity".
func (p SensParam) String() string { return enumName(p, sensParamNames[:], "SensParam") }

// Sensitivity is the relative latency change of a SingleNode point when one
// hardware parameter grows by pct percent (physics.md §5.4, SensitivitySolver;
// Wall 21):
//
//	t0 = SingleNode latency;  f = 1 + pct/100
//	sens[k] = (SingleNode latency with parameter k × f − t0) / t0    (0 if t0 ≤ 0)
//	    k = peak FLOP/s, HBM bandwidth, HBM capacity (SRAM and flash are kept); the
//	    measured matmul rate and streaming bandwidth of the calibrated CNN step, where
//	    given, grow with the peak and the bandwidth
//	binding = argmax_k |sens[k]|, ties to the first in that order
//	feasible = the baseline fits;  binding = memory capacity when it does not
//
// The feasibility flag and the infeasible-baseline rule are Profile C's: on the
// offload path no 10 % perturbation moves the latency and Profile B's argmax picked
// peak FLOP/s by the tie. The seed evaluates batch 1 inference; the kernel
// evaluates whatever in.Node holds. Each perturbation runs SingleNode on a copy of
// the input columns that shares every column but the perturbed one, which is
// written into s.
func Sensitivity(out *SensOut, in *SensIn, s *SensScratch) {
	n := len(in.PerturbationPct)
	out.resize(n)
	SingleNode(&s.base, &in.Node)

	// In SensParam order: the output column and the perturbed input column.
	sens := [...][]float64{out.PeakFLOPS, out.MemoryBandwidth, out.MemoryCapacity}
	for k := range sens {
		s.node = in.Node
		col := [...]*[]float64{&s.node.PeakFLOPS, &s.node.MemBandwidth, &s.node.MemCapacity}[k]
		s.col = scaleBy(s.col, (*col)[:n], in.PerturbationPct)
		*col = s.col
		// The calibrated CNN step reads measured rates beside the datasheet's: a faster
		// chip raises both.
		if twin := [...]*[]float64{&s.node.MatmulRate, &s.node.StreamBandwidth, nil}[k]; twin != nil && len(*twin) > 0 {
			s.twin = scaleBy(s.twin, (*twin)[:n], in.PerturbationPct)
			*twin = s.twin
		}
		SingleNode(&s.pert, &s.node)
		for i := 0; i < n; i++ {
			sens[k][i] = 0
			if t0 := s.base.Latency[i]; t0 > 0 {
				sens[k][i] = (s.pert.Latency[i] - t0) / t0
			}
		}
	}
	s.node = NodeIn{} // do not keep the caller's columns alive

	for i := 0; i < n; i++ {
		binding, best := SensPeakFLOPS, math.Abs(out.PeakFLOPS[i])
		if v := math.Abs(out.MemoryBandwidth[i]); v > best {
			binding, best = SensMemoryBandwidth, v
		}
		if v := math.Abs(out.MemoryCapacity[i]); v > best {
			binding = SensMemoryCapacity
		}
		feasible := s.base.Feasible[i]
		if !feasible {
			binding = SensMemoryCapacity
		}
		out.BaselineLatency[i] = s.base.Latency[i]
		out.Binding[i] = binding
		out.Feasible[i] = feasible
	}
}

// scaleBy writes v · (1 + pct/100) into dst, grown to len(v).
func scaleBy(dst, v, pct []float64) []float64 {
	dst = grow(dst, len(v))
	for i, x := range v {
		dst[i] = x * (1 + pct[i]/100)
	}
	return dst
}

// DefaultPerturbationPct is the seed's perturbation_pct default.
const DefaultPerturbationPct = 10.0

// SensIn holds the input columns of Sensitivity: a SingleNode input and the size
// of the perturbation.
type SensIn struct {
	Node            NodeIn
	PerturbationPct []float64 // percent, e.g. 10
}

// SensOut holds the output columns of Sensitivity.
type SensOut struct {
	BaselineLatency                            []float64 // s
	PeakFLOPS, MemoryBandwidth, MemoryCapacity []float64 // relative latency change
	Binding                                    []SensParam
	Feasible                                   []bool
}

// SensScratch is Sensitivity's working storage; reuse one across calls so that
// Sensitivity does not allocate once it is sized.
type SensScratch struct {
	node       NodeIn
	col, twin  []float64
	base, pert NodeOut
}

func (o *SensOut) resize(n int) {
	for _, p := range []*[]float64{&o.BaselineLatency, &o.PeakFLOPS, &o.MemoryBandwidth, &o.MemoryCapacity} {
		*p = grow(*p, n)
	}
	o.Binding = grow(o.Binding, n)
	o.Feasible = grow(o.Feasible, n)
}
