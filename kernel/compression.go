package kernel

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CompressionMethod is how a model is compressed.
type CompressionMethod uint8

const (
	// Quantization stores weights in fewer bits.
	Quantization CompressionMethod = iota
	// Pruning removes a fraction of the weights.
	Pruning
	// OtherCompression is any other method: no size change, no accuracy change, no speedup.
	OtherCompression
)

var compressionMethodNames = [...]string{"quantization", "pruning", "other"}

// String returns "quantization", "pruning" or "other".
func (m CompressionMethod) String() string {
	return enumName(m, compressionMethodNames[:], "CompressionMethod")
}

// ParseCompressionMethod parses a method name (case-insensitive).
func ParseCompressionMethod(s string) (CompressionMethod, error) {
	return parseEnum[CompressionMethod](s, strings.ToLower(strings.TrimSpace(s)), compressionMethodNames[:], "compression method")
}

// SparsityType is the pattern of pruned weights.
type SparsityType uint8

const (
	// Unstructured pruning removes individual weights (the seed's default).
	Unstructured SparsityType = iota
	// Structured pruning removes whole channels, heads or blocks.
	Structured
	// NMSparsity keeps N of every M weights (2:4 on NVIDIA sparse tensor cores).
	NMSparsity
)

var sparsityNames = [...]string{"unstructured", "structured", "n_m"}

// String returns "unstructured", "structured" or "n_m".
func (t SparsityType) String() string { return enumName(t, sparsityNames[:], "SparsityType") }

// ParseSparsityType parses a sparsity pattern as the seed normalises it: lower case,
// ":" and "-" read as "_", and "2_4", "nm" and "n_m" all mean N:M.
func ParseSparsityType(s string) (SparsityType, error) {
	l := strings.NewReplacer(":", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch l {
	case "2_4", "nm":
		l = "n_m"
	}
	for i, n := range sparsityNames {
		if n == l {
			return SparsityType(i), nil
		}
	}
	return 0, fmt.Errorf("sparsity type %q is not supported; valid: unstructured, structured, n_m (or 2:4)", s)
}

// CompressionRateKey is the precision_flops key the seed looks up for a quantized
// speedup and for hardware support: "int{bits}" up to 8 bits, else "fp{bits}".
func CompressionRateKey(bits int) string {
	if bits <= 8 {
		return "int" + strconv.Itoa(bits)
	}
	return "fp" + strconv.Itoa(bits)
}

// Compression is the size, accuracy and speed of a compressed model (physics.md §9.3,
// CompressionModel.solve; Wall 13). The baseline is b_base bytes per weight (fp32 in
// Profile B; Profile C's baseline_precision is the BaselineBytes column):
//
//	original = weights at b_base
//	quantization to n bits:
//	    ratio = 8·b_base / n
//	    Δacc  = 0 (n ≥ 16) | −0.002 (n = 8) | −0.025 (4 ≤ n < 16) | −0.05 (n < 4)
//	    speedup = ratio if Roofline(ops, original, raw peak, HBM BW) is memory-bound,
//	            else min(rate at n bits / raw peak, ratio) if the device lists that rate, else 1
//	pruning at sparsity s:
//	    ratio = 1/(1 − s) (100 at s = 1)
//	    Δacc  = −0.001 (s ≤ 0.5) | −0.01·e^(2s)
//	    speedup = ratio (structured) | 2 if |s − 0.5| < 0.05 else 1 (N:M) | 1 (unstructured)
//	other methods: ratio 1, Δacc 0, speedup 1
//	compressed = original/ratio;  memory savings = 1 − 1/ratio   (a fraction; the seed reports %)
//	hardware supported: quantization n ≥ 16 or the rate is listed; structured pruning; N:M
//	    pruning when the device lists int8, fp8 or tf32 rates; never unstructured; other methods
//
// The roofline uses the device's default peak and no efficiency, and 8-bit quantization
// takes the FP8 accuracy delta even for INT8 (§14 item 12), as the seed does.
// Preconditions: n ≥ 1, s in [0, 1].
func Compression(out *CompressOut, in *CompressIn) {
	n := len(in.Method)
	out.resize(n)
	for i := 0; i < n; i++ {
		original := in.BaselineWeightBytes[i]
		ratio, delta, speedup := 1.0, 0.0, 1.0
		supported := true
		switch in.Method[i] {
		case Quantization:
			bits := in.TargetBits[i]
			ratio = 8 * in.BaselineBytes[i] / bits
			switch {
			case bits >= 16:
			case bits == 8:
				delta = QuantAccuracyDeltaFP8
			case bits >= 4:
				delta = QuantAccuracyDeltaINT4
			default:
				delta = QuantAccuracyDeltaSubINT4
			}
			peak, rate := in.PeakFLOPS[i], in.LowPrecisionFLOPS[i]
			_, _, bn, _ := Roofline(in.Ops[i], original, peak, in.MemBandwidth[i])
			switch {
			case bn == Memory:
				speedup = ratio
			case rate > 0:
				speedup = math.Min(rate/peak, ratio)
			}
			supported = bits >= 16 || rate > 0
		case Pruning:
			s := in.Sparsity[i]
			ratio = PruningFullSparsityRatio
			if s < 1 {
				ratio = 1 / (1 - s)
			}
			delta = PruningMildDelta
			if s > PruningAccuracyThreshold {
				delta = -PruningSteepCoefficient * math.Exp(PruningSteepExponent*s)
			}
			switch in.SparsityType[i] {
			case Structured:
				speedup = ratio
			case NMSparsity:
				if math.Abs(s-NMSparsity24) < NMSparsityTolerance {
					speedup = NMSparseSpeedup
				}
				supported = in.NMSparseSupport[i]
			default:
				supported = false
			}
		}
		out.OriginalBytes[i] = original
		out.CompressedBytes[i] = original / ratio
		out.Ratio[i] = ratio
		out.AccuracyDelta[i] = delta
		out.MemorySavings[i] = 1 - 1/ratio
		out.Speedup[i] = speedup
		out.HardwareSupported[i] = supported
	}
}

// Constants of the compression model (physics.md §9.3; engine/calibration.py). The
// seed's QUANT_ACCURACY_DELTA_INT8 (−0.005) is not used by its solve, so not here.
const (
	QuantAccuracyDeltaFP8     = -0.002 // QUANT_ACCURACY_DELTA_FP8 (median FP8 loss)
	QuantAccuracyDeltaINT4    = -0.025 // QUANT_ACCURACY_DELTA_INT4
	QuantAccuracyDeltaSubINT4 = -0.050 // QUANT_ACCURACY_DELTA_SUB_INT4
	PruningAccuracyThreshold  = 0.5    // PRUNING_ACCURACY_THRESHOLD
	PruningMildDelta          = -0.001 // PRUNING_MILD_DELTA
	PruningSteepCoefficient   = 0.01   // PRUNING_STEEP_COEFFICIENT
	PruningSteepExponent      = 2.0    // PRUNING_STEEP_EXPONENT
	// PruningFullSparsityRatio is the ratio the seed reports for sparsity 1.
	PruningFullSparsityRatio = 100.0
	// NMSparsity24, NMSparsityTolerance, NMSparseSpeedup: 2:4 sparsity (s within 0.05
	// of 0.5) runs twice as fast on sparse tensor cores.
	NMSparsity24        = 0.5
	NMSparsityTolerance = 0.05
	NMSparseSpeedup     = 2.0
	// DefaultBaselineBytes is Profile B's fp32 baseline.
	DefaultBaselineBytes = 4
)

// CompressIn holds the input columns of Compression.
type CompressIn struct {
	Method              []CompressionMethod
	TargetBits          []float64 // quantization only, ≥ 1
	Sparsity            []float64 // pruning only, in [0, 1]
	SparsityType        []SparsityType
	BaselineBytes       []float64 // bytes per weight before compression (DefaultBaselineBytes)
	BaselineWeightBytes []float64 // WeightBytes at the baseline precision
	Ops                 []float64 // FLOP per unit of work (WorkloadOps)
	PeakFLOPS           []float64 // the device's default peak, not the precision's
	MemBandwidth        []float64
	LowPrecisionFLOPS   []float64 // rate at CompressionRateKey(bits), 0 = not listed
	NMSparseSupport     []bool    // the device lists an int8, fp8 or tf32 rate
}

// CompressOut holds the output columns of Compression.
type CompressOut struct {
	OriginalBytes, CompressedBytes []float64
	Ratio                          []float64
	AccuracyDelta                  []float64 // signed fraction (−0.002 = 0.2 points lost)
	MemorySavings                  []float64 // fraction of the original size saved
	Speedup                        []float64
	HardwareSupported              []bool
}

func (o *CompressOut) resize(n int) {
	for _, p := range []*[]float64{&o.OriginalBytes, &o.CompressedBytes, &o.Ratio, &o.AccuracyDelta,
		&o.MemorySavings, &o.Speedup} {
		*p = grow(*p, n)
	}
	o.HardwareSupported = grow(o.HardwareSupported, n)
}

// CompressionGuardrail is the first guardrail a compression candidate violates.
type CompressionGuardrail uint8

const (
	GuardrailNone CompressionGuardrail = iota
	GuardrailModelSize
	GuardrailQuality
	GuardrailSpeedup
	GuardrailHardwareSupport
)

var guardrailNames = [...]string{"none", "model_size", "quality", "speedup", "hardware_support"}

// String returns the seed's binding_constraint: "none", "model_size", "quality",
// "speedup" or "hardware_support".
func (g CompressionGuardrail) String() string {
	return enumName(g, guardrailNames[:], "CompressionGuardrail")
}

// CompressionBinding is the binding guardrail of one candidate (physics.md §9.3,
// CompressionModel.candidate), checked in the seed's order: compressed size above the
// limit, |Δacc| above the allowed drop, speedup below the minimum, then hardware
// support when required. GuardrailNone means the candidate is feasible. Pass +Inf,
// +Inf and 0 for limits that are not set.
func CompressionBinding(compressedBytes, sizeLimit, delta, maxDrop, speedup, minSpeedup float64,
	requireSupport, supported bool) CompressionGuardrail {
	switch {
	case compressedBytes > sizeLimit:
		return GuardrailModelSize
	case math.Abs(delta) > maxDrop:
		return GuardrailQuality
	case speedup < minSpeedup:
		return GuardrailSpeedup
	case requireSupport && !supported:
		return GuardrailHardwareSupport
	}
	return GuardrailNone
}

// CompressionDominates reports whether candidate x dominates y (physics.md §9.3,
// sweep): no larger, no slower, no less accurate, and strictly better in one.
func CompressionDominates(sizeX, speedX, deltaX, sizeY, speedY, deltaY float64) bool {
	qx, qy := 1+deltaX, 1+deltaY
	return sizeX <= sizeY && speedX >= speedY && qx >= qy &&
		(sizeX < sizeY || speedX > speedY || qx > qy)
}

// CompressionPareto marks frontier[i] true when no other candidate dominates
// candidate i (the seed's pareto_status "frontier", else "dominated"). O(n²).
func CompressionPareto(frontier []bool, size, speedup, delta []float64) {
	for i := range frontier {
		frontier[i] = true
		for j := range frontier {
			if j != i && CompressionDominates(size[j], speedup[j], delta[j], size[i], speedup[i], delta[i]) {
				frontier[i] = false
				break
			}
		}
	}
}

// BestCompression is the index of the seed's recommended candidate: among feasible
// frontier candidates, the least |Δacc|, then the least size/max(speedup, 1e-9); the
// first wins a tie. It returns −1 when no candidate qualifies.
func BestCompression(feasible, frontier []bool, size, speedup, delta []float64) int {
	best := -1
	var bestQ, bestS float64
	for i := range feasible {
		if !feasible[i] || !frontier[i] {
			continue
		}
		q, s := math.Abs(delta[i]), size[i]/math.Max(speedup[i], 1e-9)
		if best < 0 || q < bestQ || (q == bestQ && s < bestS) {
			best, bestQ, bestS = i, q, s
		}
	}
	return best
}
