package audit

import (
	"fmt"
	"strings"
)

// CPUPeak is a CPU's peak floating-point rate derived from what detection read:
// physical cores × clock × FLOP per cycle per core. It is an upper bound: it assumes
// every core issues its full vector width of fused multiply-adds on every pipe every
// cycle at the stated clock (docs/PHYSICS.md §32).
type CPUPeak struct {
	FP32FLOPS       float64 `json:"fp32_flops"`
	FP64FLOPS       float64 `json:"fp64_flops"`
	FP32PerCycle    float64 `json:"fp32_flop_per_cycle_per_core"`
	Unit            string  `json:"vector_unit"` // what one core has, in words
	Derivation      string  `json:"derivation"`
	Source          string  `json:"source"`
	ClockSource     string  `json:"clock_source"`
	UpperBoundNotes string  `json:"caveat"`
}

// vectorUnit is one SIMD level's FP32 throughput per core per cycle: lanes × 2 (a
// fused multiply-add is two FLOPs) × FMA pipes, or lanes × (one add + one multiply
// pipe) where there is no FMA. FP64 has half the lanes.
type vectorUnit struct {
	fp32PerCycle float64
	words        string
	source       string
}

// vectorUnits by SIMD level (CPU.SIMD).
var vectorUnits = map[string]vectorUnit{
	"avx512f": {16 * 2 * 2, "AVX-512: 16 FP32 lanes × 2 (FMA) × 2 FMA pipes",
		"Intel 64 and IA-32 Architectures Optimization Reference Manual, Skylake Server microarchitecture (two 512-bit FMA units on Xeon Scalable parts that have two); AMD Software Optimization Guide for the Zen 5 microarchitecture (pub. 58455: two 512-bit FMA pipes)"},
	"avx2+fma": {8 * 2 * 2, "AVX2: 8 FP32 lanes × 2 (FMA) × 2 FMA pipes",
		"Intel 64 and IA-32 Architectures Optimization Reference Manual, Haswell microarchitecture (two 256-bit FMA units, ports 0 and 1); AMD Software Optimization Guide for Family 17h/19h (two 256-bit FMA pipes, Zen 2 and Zen 3)"},
	"avx": {8 * 2, "AVX: 8 FP32 lanes × (1 add + 1 multiply pipe), no FMA",
		"Intel 64 and IA-32 Architectures Optimization Reference Manual, Sandy Bridge microarchitecture (one 256-bit add and one 256-bit multiply per cycle)"},
	"sse2": {4 * 2, "SSE2: 4 FP32 lanes × (1 add + 1 multiply pipe)",
		"Intel 64 and IA-32 Architectures Optimization Reference Manual (one 128-bit add and one 128-bit multiply per cycle on pre-AVX cores)"},
	"asimd": {4 * 2 * 2, "NEON: 4 FP32 lanes × 2 (FMA) × 2 FP pipes",
		"Arm Neoverse N1 Software Optimization Guide (two 128-bit ASIMD/FP pipes, each issuing FMLA every cycle)"},
}

// zen4 executes AVX-512 on 256-bit datapaths: AMD family 25 (19h) with avx512f.
var zen4 = vectorUnit{8 * 2 * 2, "AVX-512 on 256-bit datapaths (AMD family 19h, Zen 4): 8 FP32 lanes × 2 (FMA) × 2 FMA pipes",
	"AMD Software Optimization Guide for Family 19h processors (pub. 56665: 512-bit instructions execute as two 256-bit halves on Zen 4)"}

// fourPipeArm are Arm cores with four 128-bit FP pipes.
var fourPipeArm = vectorUnit{4 * 2 * 4, "NEON: 4 FP32 lanes × 2 (FMA) × 4 FP pipes",
	"Arm Neoverse V1 and V2 Software Optimization Guides (four 128-bit ASIMD/FP pipes)"}

// DeriveCPUPeak derives the CPU's peak; ok is false when the core count, clock or
// vector unit is unknown.
func DeriveCPUPeak(c CPU) (p CPUPeak, ok bool) {
	u, known := vectorUnits[c.SIMD]
	if !known || c.Cores <= 0 || c.ClockHz <= 0 {
		return CPUPeak{}, false
	}
	switch {
	case c.SIMD == "avx512f" && c.Vendor == "AuthenticAMD" && c.Family == 25:
		u = zen4
	case c.SIMD == "asimd" && (strings.Contains(c.Model, "Neoverse V1") || strings.Contains(c.Model, "Neoverse V2")):
		u = fourPipeArm
	}
	fp32 := float64(c.Cores) * c.ClockHz * u.fp32PerCycle
	return CPUPeak{
		FP32FLOPS: fp32, FP64FLOPS: fp32 / 2, FP32PerCycle: u.fp32PerCycle, Unit: u.words,
		Derivation: fmt.Sprintf("%d cores × %.4g GHz × %g FP32 FLOP/cycle (%s); FP64 half", c.Cores, c.ClockHz/1e9, u.fp32PerCycle, u.words),
		Source:     u.source, ClockSource: c.ClockSource,
		UpperBoundNotes: "an upper bound at this clock: every core issuing full-width FMAs on every pipe each cycle; " +
			"parts with one FMA pipe or AVX clock offsets deliver less, a turbo above the clock read more",
	}, true
}
