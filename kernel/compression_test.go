package kernel

import (
	"math"
	"testing"
)

// compPt is one Compression evaluation of a model on a device.
type compPt struct {
	m        testModel
	h        testHW
	method   CompressionMethod
	bits     float64
	sparsity float64
	pattern  SparsityType
	base     Precision
	ops      float64 // 0 = the model's
}

func quant(m testModel, h testHW, bits float64, base Precision) compPt {
	return compPt{m: m, h: h, method: Quantization, bits: bits, base: base}
}

func prune(m testModel, h testHW, s float64, pattern SparsityType) compPt {
	return compPt{m: m, h: h, method: Pruning, sparsity: s, pattern: pattern, base: FP32}
}

// rateAt is the device's precision_flops entry at CompressionRateKey(bits), 0 if not listed.
func (h testHW) rateAt(bits float64) float64 {
	for p, r := range h.rates {
		if p.String() == CompressionRateKey(int(bits)) {
			return r
		}
	}
	return 0
}

func compColumns(pts ...compPt) *CompressIn {
	in := &CompressIn{}
	for _, p := range pts {
		ops := p.ops
		if ops == 0 {
			ops = p.m.ops()
		}
		_, nm8 := p.h.rates[INT8]
		_, nmF8 := p.h.rates[FP8]
		_, nmT := p.h.rates[TF32]
		in.Method = append(in.Method, p.method)
		in.TargetBits = append(in.TargetBits, p.bits)
		in.Sparsity = append(in.Sparsity, p.sparsity)
		in.SparsityType = append(in.SparsityType, p.pattern)
		in.BaselineBytes = append(in.BaselineBytes, p.base.Bytes())
		in.BaselineWeightBytes = append(in.BaselineWeightBytes, p.m.weightBytes(p.base))
		in.Ops = append(in.Ops, ops)
		in.PeakFLOPS = append(in.PeakFLOPS, p.h.peak)
		in.MemBandwidth = append(in.MemBandwidth, p.h.bw)
		in.LowPrecisionFLOPS = append(in.LowPrecisionFLOPS, p.h.rateAt(p.bits))
		in.NMSparseSupport = append(in.NMSparseSupport, nm8 || nmF8 || nmT)
	}
	return in
}

func runComp(pts ...compPt) *CompressOut {
	out := &CompressOut{}
	Compression(out, compColumns(pts...))
	return out
}

func TestCompressionQuantization(t *testing.T) {
	out := runComp(
		quant(llama3_8B, h100, 16, FP32), quant(llama3_8B, h100, 8, FP32), quant(llama3_8B, h100, 4, FP32),
		quant(llama3_8B, h100, 4, FP16), quant(llama3_8B, h100, 8, FP16), quant(llama3_8B, h100, 4, BF16),
		quant(llama3_8B, h100, 6, FP32), quant(llama3_8B, h100, 12, FP32), quant(llama3_8B, h100, 3, FP32),
	)
	checkScalars(t, []scalarCase{
		// physics.md §13.2 test_solver_suite: default (fp32) ratios 2/4/8 for 16/8/4 bits.
		{"§13.2 fp32→16 ratio", out.Ratio[0], 2, tightRel, 0},
		{"§13.2 fp32→8 ratio", out.Ratio[1], 4, tightRel, 0},
		{"§13.2 fp32→4 ratio", out.Ratio[2], 8, tightRel, 0},
		// §13.2 (Profile C baseline_precision): fp16 baseline INT4 4.0 & 75 %, INT8 2.0 & 50 %.
		{"§13.2 fp16→4 ratio", out.Ratio[3], 4, tightRel, 0},
		{"§13.2 fp16→4 savings", out.MemorySavings[3], 0.75, tightRel, 0},
		{"§13.2 fp16→8 ratio", out.Ratio[4], 2, tightRel, 0},
		{"§13.2 fp16→8 savings", out.MemorySavings[4], 0.50, tightRel, 0},
		// §13.2: Llama3-8B/H100 INT4 speedup 4.0 (fp16 baseline) / 8.0 (fp32): decode is memory-bound.
		{"§13.2 fp16→4 speedup", out.Speedup[3], 4, tightRel, 0},
		{"§13.2 fp32→4 speedup", out.Speedup[2], 8, tightRel, 0},
		// §13.2: a bf16 baseline is the fp16 one.
		{"§13.2 bf16 = fp16 ratio", out.Ratio[5], out.Ratio[3], 0, 0},
		{"§13.2 bf16 = fp16 size", out.CompressedBytes[5], out.CompressedBytes[3], 0, 0},
		// §9.3: sizes against the fp32 original.
		{"original fp32", out.OriginalBytes[0], 32.12e9, tightRel, 0},
		{"compressed int4", out.CompressedBytes[2], 32.12e9 / 8, tightRel, 0},
		// §9.3 accuracy deltas: ≥ 16 bits 0; 8 bits the FP8 −0.002 (§14 item 12); 4–15 −0.025; < 4 −0.05.
		{"Δ 16", out.AccuracyDelta[0], 0, 0, 0},
		{"Δ 8", out.AccuracyDelta[1], -0.002, 0, 0},
		{"Δ 4", out.AccuracyDelta[2], -0.025, 0, 0},
		{"Δ 6", out.AccuracyDelta[6], -0.025, 0, 0},
		{"Δ 12", out.AccuracyDelta[7], -0.025, 0, 0},
		{"Δ 3", out.AccuracyDelta[8], -0.05, 0, 0},
	})
	// §9.3 hardware support: ≥ 16 bits always; int8 is an H100 rate; int4, int6, fp12, int3 are not.
	for i, want := range []bool{true, true, false, false, true, false, false, false, false} {
		if out.HardwareSupported[i] != want {
			t.Errorf("point %d: hardware supported %v, want %v", i, out.HardwareSupported[i], want)
		}
	}
	// §13.2: an unknown baseline precision is refused where the plan is read.
	if _, err := ParsePrecision("fp12"); err == nil {
		t.Error(`ParsePrecision("fp12"): no error`)
	}
}

// A compute-bound workload (10 TFLOP over 1 GB of weights, far above the H100's ridge) gains only
// what the device's low-precision rate gives (§9.3).
func TestCompressionComputeBound(t *testing.T) {
	heavy := testModel{name: "heavy", family: Generic, modelSize: 1e9}
	at := func(h testHW, bits float64) compPt {
		p := quant(heavy, h, bits, FP32)
		p.ops = 1e13
		return p
	}
	out := runComp(at(h100, 8), at(h100, 4), at(a100, 8), at(h100, 16))
	checkScalars(t, []scalarCase{
		{"H100 int8: 1979/989", out.Speedup[0], 1979.0 / 989, tightRel, 0},
		{"H100 int4: no rate", out.Speedup[1], 1, 0, 0},
		{"A100 int8: 624/312", out.Speedup[2], 2, tightRel, 0},
		{"H100 fp16: not listed", out.Speedup[3], 1, 0, 0},
		{"model size, not P·b", out.OriginalBytes[0], 1e9, 0, 0},
	})
}

func TestCompressionPruning(t *testing.T) {
	other := prune(resNet50, h100, 0.5, Unstructured)
	other.method = OtherCompression
	out := runComp(
		prune(resNet50, h100, 0.5, Structured), prune(resNet50, h100, 0.5, NMSparsity),
		prune(resNet50, h100, 0.7, NMSparsity), prune(resNet50, h100, 0.9, Unstructured),
		prune(resNet50, h100, 1.0, Unstructured), prune(resNet50, esp32S3, 0.52, NMSparsity), other,
	)
	checkScalars(t, []scalarCase{
		// §9.3: ratio 1/(1 − s); Δ −0.001 up to s = 0.5, then −0.01·e^(2s).
		{"structured ratio", out.Ratio[0], 2, tightRel, 0},
		{"structured speedup", out.Speedup[0], 2, tightRel, 0},
		{"s 0.5 Δ", out.AccuracyDelta[0], -0.001, 0, 0},
		{"2:4 speedup", out.Speedup[1], 2, 0, 0},
		{"N:M off 2:4 speedup", out.Speedup[2], 1, 0, 0},
		{"s 0.7 Δ", out.AccuracyDelta[2], -0.01 * math.Exp(1.4), tightRel, 0},
		{"unstructured ratio", out.Ratio[3], 10, tightRel, 0},
		{"unstructured speedup", out.Speedup[3], 1, 0, 0},
		{"unstructured savings", out.MemorySavings[3], 0.9, tightRel, 0},
		// §13.2: sparsity 1.0 → ratio 100 and a compressed size above 0.
		{"§13.2 s 1 ratio", out.Ratio[4], 100, 0, 0},
		{"§13.2 s 1 size", out.CompressedBytes[4], 102.4e6 / 100, tightRel, 0},
		{"within 0.05 of 2:4", out.Speedup[5], 2, 0, 0},
		// Other methods change nothing.
		{"other ratio", out.Ratio[6], 1, 0, 0},
		{"other Δ", out.AccuracyDelta[6], 0, 0, 0},
		{"other savings", out.MemorySavings[6], 0, 0, 0},
	})
	// Structured always; N:M with int8/fp8/tf32 rates (H100 yes, ESP32-S3 int8 yes); unstructured never.
	for i, want := range []bool{true, true, true, false, false, true, true} {
		if out.HardwareSupported[i] != want {
			t.Errorf("point %d: hardware supported %v, want %v", i, out.HardwareSupported[i], want)
		}
	}
}

// physics.md §9.3 (test_compression_candidates): {FP32, FP16, INT8} on ResNet-50/H100 → FP32
// dominated, FP16 frontier and best (|Δ| 0 beats INT8's 0.002).
func TestCompressionCandidates(t *testing.T) {
	out := runComp(quant(resNet50, h100, 32, FP32), quant(resNet50, h100, 16, FP32), quant(resNet50, h100, 8, FP32))
	frontier := make([]bool, 3)
	feasible := make([]bool, 3)
	for i := range feasible {
		g := CompressionBinding(out.CompressedBytes[i], math.Inf(1), out.AccuracyDelta[i], math.Inf(1), out.Speedup[i], 0,
			false, out.HardwareSupported[i])
		feasible[i] = g == GuardrailNone
	}
	CompressionPareto(frontier, out.CompressedBytes, out.Speedup, out.AccuracyDelta)
	if frontier[0] || !frontier[1] || !frontier[2] {
		t.Errorf("frontier %v, want [false true true]", frontier)
	}
	if best := BestCompression(feasible, frontier, out.CompressedBytes, out.Speedup, out.AccuracyDelta); best != 1 {
		t.Errorf("best %d, want 1 (FP16)", best)
	}
	// A 0.1 % quality budget rules INT8 out (|Δ| = 0.2 %).
	if g := CompressionBinding(out.CompressedBytes[2], math.Inf(1), out.AccuracyDelta[2], 0.001, out.Speedup[2], 0,
		false, true); g != GuardrailQuality {
		t.Errorf("INT8 with a 0.1 %% budget: %v, want quality", g)
	}
	if BestCompression([]bool{false, false, false}, frontier, out.CompressedBytes, out.Speedup, out.AccuracyDelta) != -1 {
		t.Error("no feasible candidate: best is not −1")
	}
}

// physics.md §9.3: violations are reported in the order model_size, quality, speedup, hardware_support.
func TestCompressionBinding(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		size, limit, delta, drop, speed, minSpeed float64
		require, supported                        bool
		want                                      CompressionGuardrail
	}{
		{10, inf, -0.002, inf, 4, 0, false, false, GuardrailNone},
		{10, 5, -0.5, 0.01, 0.5, 2, true, false, GuardrailModelSize},
		{10, 20, -0.5, 0.01, 0.5, 2, true, false, GuardrailQuality},
		{10, 20, -0.005, 0.01, 0.5, 2, true, false, GuardrailSpeedup},
		{10, 20, -0.005, 0.01, 2, 2, true, false, GuardrailHardwareSupport},
		{10, 10, 0.01, 0.01, 2, 2, true, true, GuardrailNone},
	}
	for i, c := range cases {
		if g := CompressionBinding(c.size, c.limit, c.delta, c.drop, c.speed, c.minSpeed, c.require, c.supported); g != c.want {
			t.Errorf("case %d: %v, want %v", i, g, c.want)
		}
	}
	if GuardrailHardwareSupport.String() != "hardware_support" || GuardrailNone.String() != "none" {
		t.Error("guardrail names differ from the seed's binding_constraint values")
	}
}

func TestCompressionDominates(t *testing.T) {
	if !CompressionDominates(1, 2, 0, 2, 2, 0) || CompressionDominates(1, 2, 0, 1, 2, 0) ||
		CompressionDominates(1, 4, -0.002, 2, 2, 0) {
		t.Error("dominance: smaller wins, equal does not dominate, a quality loss blocks dominance")
	}
}

func TestParseCompression(t *testing.T) {
	for s, want := range map[string]SparsityType{"unstructured": Unstructured, "Structured": Structured, "2:4": NMSparsity,
		"2-4": NMSparsity, "nm": NMSparsity, "N:M": NMSparsity, "n_m": NMSparsity} {
		if got, err := ParseSparsityType(s); err != nil || got != want {
			t.Errorf("ParseSparsityType(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseSparsityType("block"); err == nil {
		t.Error("ParseSparsityType(block): no error")
	}
	for _, m := range []CompressionMethod{Quantization, Pruning, OtherCompression} {
		if got, err := ParseCompressionMethod(m.String()); err != nil || got != m {
			t.Errorf("ParseCompressionMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseCompressionMethod("distil"); err == nil {
		t.Error("ParseCompressionMethod(distil): no error")
	}
	for bits, want := range map[int]string{4: "int4", 8: "int8", 16: "fp16", 32: "fp32"} {
		if got := CompressionRateKey(bits); got != want {
			t.Errorf("CompressionRateKey(%d) = %q, want %q", bits, got, want)
		}
	}
}

func TestCompressionDoesNotAllocate(t *testing.T) {
	in := compColumns(quant(llama3_8B, h100, 4, FP16), prune(resNet50, h100, 0.5, NMSparsity))
	var out CompressOut
	Compression(&out, in)
	frontier := make([]bool, 2)
	if allocs := testing.AllocsPerRun(20, func() {
		Compression(&out, in)
		CompressionPareto(frontier, out.CompressedBytes, out.Speedup, out.AccuracyDelta)
	}); allocs != 0 {
		t.Errorf("Compression allocates %g times per call once its outputs are sized", allocs)
	}
}
