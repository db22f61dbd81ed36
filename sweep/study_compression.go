package sweep

import (
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

// maxCompressionBits bounds target_bitwidth so that the low-precision rate of
// every bit width can be looked up from a per-device table.
const maxCompressionBits = 64

func enumNames[T fmt.Stringer](vs ...T) []string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.String()
	}
	return names
}

var guardrailLabels = enumNames(kernel.GuardrailNone, kernel.GuardrailModelSize, kernel.GuardrailQuality,
	kernel.GuardrailSpeedup, kernel.GuardrailHardwareSupport)

// The compression study: size, accuracy and speed of a quantized or pruned model
// on a device (kernel.Compression), checked against the seed's candidate
// guardrails (kernel.CompressionBinding).
func init() {
	register(&Study{
		Name:      "compression",
		Doc:       "quantization and pruning: compressed size, accuracy delta, speedup and hardware support, with size/quality/speed guardrails (physics.md §9.3)",
		Objective: Objective{Column: "compressed_gb", Minimize: true},
		// require_hardware_support is a guardrail the user sets on the trade-off, not a
		// format refused before it: wall 13's verdict, binding_constraint hardware_support.
		wallReasons: []uint8{reasonUnsupported},
		Params: []Param{
			modelParam, hardwareParam,
			{Name: "method", Kind: KindEnum, Default: "quantization",
				Enum: enumNames(kernel.Quantization, kernel.Pruning, kernel.OtherCompression),
				Doc:  "quantization (target_bitwidth), pruning (sparsity, sparsity_type) or other (no change)"},
			{Name: "target_bitwidth", Kind: KindInt, Default: "8", Min: 1, Max: maxCompressionBits, Unit: "bits", Doc: "bits per weight after quantization"},
			{Name: "sparsity", Kind: KindFloat, Default: "0", Min: 0, Max: 1, Doc: "share of weights pruned"},
			{Name: "sparsity_type", Kind: KindEnum, Default: "unstructured",
				Enum: enumNames(kernel.Unstructured, kernel.Structured, kernel.NMSparsity),
				Doc:  "pruning pattern: unstructured, structured (channels, heads) or n_m (2:4 on sparse tensor cores)"},
			{Name: "baseline_precision", Kind: KindEnum, Default: "fp32", Enum: precisionNames(),
				Doc: "precision of the uncompressed weights (fp32 in the seed's Profile B)"},
			{Name: "size_limit_gb", Kind: KindFloat, Default: "0", Min: 0, Max: MaxGB, Unit: "GB", Doc: "guardrail: largest compressed size; 0 sets none"},
			{Name: "max_accuracy_drop", Kind: KindFloat, Default: "1", Min: 0, Max: 1, Doc: "guardrail: largest |accuracy delta| as a fraction (1 sets none in practice)"},
			{Name: "min_speedup", Kind: KindFloat, Default: "0", Min: 0, Max: MaxMultiplier, Doc: "guardrail: smallest inference speedup; 0 sets none"},
			{Name: "require_hardware_support", Kind: KindBool, Default: "false", Doc: "guardrail: the device must run the compressed format natively"},
		},
		Columns: []Column{
			{Name: "original_gb", Unit: "GB", Doc: "weights at the baseline precision"},
			{Name: "compressed_gb", Unit: "GB", Doc: "original / compression ratio"},
			{Name: "compression_ratio", Doc: "8·baseline bytes / bits (quantization), 1/(1 − sparsity) (pruning; 100 at sparsity 1)"},
			{Name: "accuracy_delta", Doc: "signed accuracy change as a fraction (−0.002 = 0.2 points lost; calibrated medians)"},
			{Name: "memory_savings", Doc: "1 − 1/ratio (a fraction; the seed prints %)"},
			{Name: "speedup", Doc: "inference speedup: the ratio when memory-bound, the low-precision rate over peak when compute-bound (quantization); ratio, 2 or 1 by pattern (pruning)"},
			{Name: "hardware_supported", Type: Bool, Doc: "the device runs the format: ≥ 16 bits or a listed rate at that width; structured; N:M with int8/fp8/tf32 rates; never unstructured"},
			{Name: "binding_constraint", Type: Enum, Labels: guardrailLabels, Doc: "first violated guardrail in the seed's order (none when feasible)"},
			wallPass(13, "fidelity", "|accuracy delta| ≤ max_accuracy_drop"),
			wallSlack(13, "fidelity", "1 − |accuracy delta| / max_accuracy_drop"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if kernel.WeightBytes(familyCode[m.Family], m.Parameters, m.ModelSizeBytes, 1) <= 0 {
					return fmt.Errorf("compression needs the model's weights, but %s states neither parameters nor a model size", m.Key)
				}
			}
			return nil
		},
		newEval: newCompressionEval,
	})
}

type compressionEval struct {
	st    *Study
	m     *modelTable
	ops   []float64 // per model code
	peak  []float64 // per hardware code: default peak
	bw    []float64
	nm    []bool
	rates []float64 // per hardware code · (maxCompressionBits+1) + bits
	in    kernel.CompressIn
	out   kernel.CompressOut
}

func newCompressionEval(p *Plan) evaluator {
	e := &compressionEval{st: p.Study, m: newModelTable(p.Models)}
	for i := range p.Models {
		e.ops = append(e.ops, kernel.WorkloadOps(e.m.family[i], e.m.inferenceFLOPs[i], e.m.params[i], e.m.active[i], e.m.steps[i]))
	}
	for _, h := range p.Hardware {
		if !p.Calibrated() {
			h = h.SeedView() // the registry's numbers (newHWTable)
		}
		e.peak = append(e.peak, h.PeakFLOPS)
		e.bw = append(e.bw, h.MemBandwidthBytesPerS)
		e.nm = append(e.nm, h.StatesRate("int8") || h.StatesRate("fp8") || h.StatesRate("tf32"))
		for bits := 0; bits <= maxCompressionBits; bits++ {
			e.rates = append(e.rates, h.Rates[kernel.CompressionRateKey(bits)])
		}
	}
	return e
}

func (e *compressionEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, hc := c.get("model"), c.get("hardware")
	method, pattern, bits := c.get("method"), c.get("sparsity_type"), c.get("target_bitwidth")
	in := &e.in
	in.Method = grow(in.Method, n)
	in.SparsityType = grow(in.SparsityType, n)
	in.NMSparseSupport = grow(in.NMSparseSupport, n)
	for _, s := range []*[]float64{&in.BaselineWeightBytes, &in.Ops, &in.PeakFLOPS, &in.MemBandwidth, &in.LowPrecisionFLOPS} {
		*s = grow(*s, n)
	}
	in.BaselineBytes = bytesOf(in.BaselineBytes, c.get("baseline_precision"))
	in.TargetBits, in.Sparsity = bits, c.get("sparsity")
	for k := 0; k < n; k++ {
		m, h := int(mc[k]), int(hc[k])
		// Enum orders match the kernel's CompressionMethod and SparsityType.
		in.Method[k] = kernel.CompressionMethod(method[k])
		in.SparsityType[k] = kernel.SparsityType(pattern[k])
		in.BaselineWeightBytes[k] = kernel.WeightBytes(e.m.family[m], e.m.params[m], e.m.modelSize[m], in.BaselineBytes[k])
		in.Ops[k] = e.ops[m]
		in.PeakFLOPS[k], in.MemBandwidth[k], in.NMSparseSupport[k] = e.peak[h], e.bw[h], e.nm[h]
		in.LowPrecisionFLOPS[k] = e.rates[h*(maxCompressionBits+1)+int(bits[k])]
	}

	kernel.Compression(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("original_gb"), out.OriginalBytes, 1e-9)
	scaleInto(w.f("compressed_gb"), out.CompressedBytes, 1e-9)
	copy(w.f("compression_ratio"), out.Ratio)
	copy(w.f("accuracy_delta"), out.AccuracyDelta)
	copy(w.f("memory_savings"), out.MemorySavings)
	copy(w.f("speedup"), out.Speedup)
	copy(w.b("hardware_supported"), out.HardwareSupported)
	limit, maxDrop, minSpeed, require := c.get("size_limit_gb"), c.get("max_accuracy_drop"), c.get("min_speedup"), c.get("require_hardware_support")
	bc, pass, slack := w.c("binding_constraint"), w.b("wall_13_fidelity_pass"), w.f("wall_13_fidelity_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	guardReason := [...]uint8{reasonNone, reasonSizeLimit, reasonAccuracyDrop, reasonSpeedupLow, reasonUnsupported}
	for k := 0; k < n; k++ {
		sizeLimit := math.Inf(1)
		if limit[k] > 0 {
			sizeLimit = limit[k] * 1e9
		}
		g := kernel.CompressionBinding(out.CompressedBytes[k], sizeLimit, out.AccuracyDelta[k], maxDrop[k],
			out.Speedup[k], minSpeed[k], require[k] != 0, out.HardwareSupported[k])
		bc[k] = uint8(g)
		drop := math.Abs(out.AccuracyDelta[k])
		pass[k] = drop <= maxDrop[k]
		switch {
		case maxDrop[k] > 0:
			slack[k] = 1 - drop/maxDrop[k]
		case drop == 0:
			slack[k] = 1
		default:
			slack[k] = math.Inf(-1)
		}
		feas[k], reason[k], binding[k] = g == kernel.GuardrailNone, guardReason[g], wallNone
		if !feas[k] {
			// Every guardrail is part of the compression trade-off, wall 13.
			binding[k] = wallFidelity
		}
	}
}
