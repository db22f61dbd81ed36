package kernel

import (
	"math"
	"strings"
)

// KernelKind is the kind of work whose achievable MFU Efficiency estimates.
type KernelKind uint8

const (
	// KernelFFN is a dense matrix multiply (the seed's default workload_type "ffn").
	KernelFFN KernelKind = iota
	// KernelAttention is self-attention, with or without FlashAttention.
	KernelAttention
	// KernelConv is a convolution.
	KernelConv
	// KernelOther is any other workload type.
	KernelOther
)

var kernelKindNames = [...]string{"ffn", "attention", "conv", "other"}

// String returns "ffn", "attention", "conv" or "other".
func (k KernelKind) String() string { return enumName(k, kernelKindNames[:], "KernelKind") }

// ParseKernelKind parses a workload type name (case-insensitive).
func ParseKernelKind(s string) (KernelKind, error) {
	return parseEnum[KernelKind](s, strings.ToLower(strings.TrimSpace(s)), kernelKindNames[:], "workload type")
}

// Efficiency is the achievable MFU of one kind of kernel (physics.md §5.3,
// EfficiencyModel; Wall 3). With s = η / 0.5 (the efficiency relative to the default):
//
//	attention, FlashAttention:  η' = min(0.75·s, 0.85)
//	attention, plain:           η' = 0.30·s
//	ffn:                        η' = min(0.50·s, 0.60)
//	conv:                       η' = min(0.40·s, 0.55)     (0.40 = (0.30 + 0.50)/2)
//	other:                      η' = 0.30·s
//	η' clamped to [0, 1];  achievable FLOP/s = F·η'
//	occupancy loss = 1 − min(1.1·η, 1)
//	memory stall   = max(0, (1 − η') − occupancy loss)
//
// η is not validated (the seed accepts η = 2 and clamps η').
func Efficiency(out *EfficiencyOut, in *EfficiencyIn) {
	n := len(in.Kind)
	out.resize(n)
	for i := 0; i < n; i++ {
		eta := in.Efficiency[i]
		s := eta / DefaultComputeEfficiency
		var mfu float64
		switch in.Kind[i] {
		case KernelAttention:
			mfu = MfuLow * s
			if in.FlashAttention[i] {
				mfu = math.Min(MfuFlashAttention*s, MfuFlashAttentionCap)
			}
		case KernelFFN:
			mfu = math.Min(MfuHigh*s, MfuFFNCap)
		case KernelConv:
			mfu = math.Min((MfuLow+MfuHigh)/2*s, MfuConvCap)
		default:
			mfu = MfuLow * s
		}
		mfu = clamp01(mfu)
		occupancy := 1 - math.Min(eta*SMOccupancyHeadroom, 1)

		out.MFU[i] = mfu
		out.AchievableFLOPS[i] = in.PeakFLOPS[i] * mfu
		out.OccupancyLoss[i] = occupancy
		out.MemoryStall[i] = math.Max(0, (1-mfu)-occupancy)
	}
}

// Constants of the efficiency model (physics.md §5.3, §10; engine/calibration.py).
const (
	// DefaultComputeEfficiency is DEFAULT_COMPUTE_EFFICIENCY, the η the MFU table is quoted at.
	DefaultComputeEfficiency = 0.50
	// MfuLow and MfuHigh are Literature.Training MfuLow / MfuHigh.
	MfuLow  = 0.30
	MfuHigh = 0.50
	// MfuFlashAttention and MfuFlashAttentionCap are MFU_FLASH_ATTENTION / MFU_FLASH_ATTENTION_CAP.
	MfuFlashAttention    = 0.75
	MfuFlashAttentionCap = 0.85
	// MfuFFNCap and MfuConvCap are MFU_FFN_CAP and MFU_CONV_CAP.
	MfuFFNCap  = 0.60
	MfuConvCap = 0.55
	// SMOccupancyHeadroom is SM_OCCUPANCY_HEADROOM (Profile B's HFU_MFU_RATIO, the same 1.1).
	SMOccupancyHeadroom = 1.1
)

// EfficiencyIn holds the input columns of Efficiency.
type EfficiencyIn struct {
	Kind           []KernelKind
	FlashAttention []bool // read for KernelAttention only
	Efficiency     []float64
	PeakFLOPS      []float64 // at the run's precision
}

// EfficiencyOut holds the output columns of Efficiency.
type EfficiencyOut struct {
	MFU                        []float64 // η', achievable fraction of peak
	AchievableFLOPS            []float64 // FLOP/s
	OccupancyLoss, MemoryStall []float64 // fractions of peak
}

func (o *EfficiencyOut) resize(n int) {
	for _, p := range []*[]float64{&o.MFU, &o.AchievableFLOPS, &o.OccupancyLoss, &o.MemoryStall} {
		*p = grow(*p, n)
	}
}
