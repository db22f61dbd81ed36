package kernel

import "math"

// Scaling is the compute-optimal model size and token count for a training budget
// (physics.md §7.8, ScalingModel; Wall 11; Hoffmann et al. 2022, "Chinchilla"):
//
//	target P given:  D = C / (6·P)
//	otherwise:       P = √(C / (6·20)),  D = 20·P
//	tokens per parameter = D/P (0 if P = 0)
//
// C is in FLOP; GPUDaysFLOPs converts a budget stated in GPU-days.
func Scaling(out *ScalingOut, in *ScalingIn) {
	n := len(in.ComputeFLOPs)
	out.resize(n)
	for i := 0; i < n; i++ {
		c, p := in.ComputeFLOPs[i], in.TargetParams[i]
		var d float64
		if p > 0 {
			d = c / TrainingFLOPs(p, 1)
		} else {
			p = math.Sqrt(c / TrainingFLOPs(ChinchillaTokensPerParam, 1))
			d = ChinchillaTokensPerParam * p
		}
		ratio := 0.0
		if p != 0 {
			ratio = d / p
		}
		out.Params[i] = p
		out.Tokens[i] = d
		out.TokensPerParam[i] = ratio
	}
}

// GPUDaysFLOPs is the seed's conversion of a budget in GPU-days to FLOP: the
// reference GPU (989 TFLOP/s, the H100 fp16 peak) at a sustained 40 % MFU.
func GPUDaysFLOPs(days float64) float64 {
	return days * 86400 * ReferenceHardwareFLOPS * ReferenceMFUSustained
}

// Constants of the scaling model (physics.md §7.8, §10).
const (
	// ChinchillaTokensPerParam: the compute-optimal 20 tokens per parameter.
	ChinchillaTokensPerParam = 20
	// ReferenceHardwareFLOPS is REFERENCE_HARDWARE_TFLOPS = 989 (G9: the H100 peak).
	ReferenceHardwareFLOPS = 989e12
	// ReferenceMFUSustained is REFERENCE_MFU_SUSTAINED.
	ReferenceMFUSustained = 0.40
)

// ScalingIn holds the input columns of Scaling.
type ScalingIn struct {
	ComputeFLOPs []float64 // training budget C, FLOP
	TargetParams []float64 // 0 = choose the compute-optimal size
}

// ScalingOut holds the output columns of Scaling.
type ScalingOut struct {
	Params, Tokens, TokensPerParam []float64
}

func (o *ScalingOut) resize(n int) {
	for _, p := range []*[]float64{&o.Params, &o.Tokens, &o.TokensPerParam} {
		*p = grow(*p, n)
	}
}
