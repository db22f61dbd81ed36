package kernel

import (
	"reflect"
	"strings"
	"testing"
)

// Registry fixtures shared by the column-model tests. The kernel imports nothing of
// ours, so the catalog values are restated here in SI units from physics.md §2.5 and,
// for devices and models §2.5 does not list, from the extracted registry
// (/work/shared/reference/registry/registry-{hardware,models}.csv).

const gib = 1 << 30

// testHW is one accelerator as the sweep gathers it into input columns.
type testHW struct {
	name                     string
	peak                     float64 // FLOP/s: the default (dense fp16) rate
	rates                    map[Precision]float64
	capacity, bw             float64 // HBM bytes, bytes/s
	sramCap, sramBW, flashBW float64 // 0 = tier absent
	host, dispatch, tdp      float64 // bytes/s (0 = no host link), s, W (0 = not stated)
}

// peakFor is the seed's rate choice (physics.md §1.2): the precision's own rate if the
// device states one, else the default peak.
func (h testHW) peakFor(p Precision) float64 {
	if r, ok := h.rates[p]; ok {
		return r
	}
	return h.peak
}

var (
	// physics.md §2.5 H100 (@034a583b). fp32_cuda is not a precision key, so fp32 falls back to peak.
	h100 = testHW{name: "H100", peak: 989e12, rates: map[Precision]float64{TF32: 494e12, FP8: 1979e12, INT8: 1979e12},
		capacity: 80 * gib, bw: 3.35e12, host: 64e9, dispatch: 0.01e-3, tdp: 700}
	// physics.md §2.5 A100 (@087dd538): dispatch tax 0.015 ms.
	a100 = testHW{name: "A100", peak: 312e12, rates: map[Precision]float64{FP32: 19.5e12, TF32: 156e12, INT8: 624e12},
		capacity: 80 * gib, bw: 2039e9, host: 32e9, dispatch: 0.015e-3, tdp: 400}
	// physics.md §2.5 Cerebras_CS3: the host link (SwarmX/MemoryX 1.2 TB/s) is far slower than its memory.
	cs3 = testHW{name: "Cerebras_CS3", peak: 125e15, capacity: 44 * gib, bw: 21e15, host: 1.2e12,
		dispatch: 0.001e-3, tdp: 23000}
	// registry-hardware.csv ESP32_S3: 4 MB memory at 0.08 GB/s, 532 480 B SRAM at 0.96 GB/s,
	// flash at 0.08 GB/s, int8 2.4 GOPS, dispatch 1 ms, 0.4 W.
	esp32S3 = testHW{name: "ESP32_S3", peak: 0.0005e12, rates: map[Precision]float64{INT8: 0.0024e12},
		capacity: 4e6, bw: 0.08e9, sramCap: 532480, sramBW: 0.96e9, flashBW: 0.08e9, dispatch: 1e-3, tdp: 0.4}
	// registry-hardware.csv Graphcore_GC200: 900 MB at 45 000 GB/s, no host link, no TDP.
	gc200 = testHW{name: "Graphcore_GC200", peak: 250e12, capacity: 900e6, bw: 45000e9, dispatch: 0.001e-3}
)

// testModel is one workload as the sweep gathers it; 0 means "not stated".
type testModel struct {
	name                           string
	family                         Family
	params, active, flops          float64 // flops: stated inference FLOPs per unit of work
	layers, hidden, heads, kvHeads float64
	kvLoraRank, ropeDim            float64
	steps, modelSize               float64
}

func (m testModel) isTransformer() bool { return m.family == Transformer || m.family == MoE }
func (m testModel) ops() float64 {
	return WorkloadOps(m.family, m.flops, m.params, m.active, m.steps)
}
func (m testModel) weightBytes(p Precision) float64 {
	return WeightBytes(m.family, m.params, m.modelSize, p.Bytes())
}
func (m testModel) kvElems() float64 {
	return KVElemsPerToken(m.layers, m.heads, m.kvHeads, m.hidden, m.kvLoraRank, m.ropeDim)
}
func (m testModel) attnCoef() float64 { return AttentionFLOPsCoef(m.layers, m.heads, m.hidden) }

var (
	// physics.md §2.5 models (language.yaml @087dd538, vision.yaml @35a61438).
	llama3_8B = testModel{name: "Llama3_8B", family: Transformer, params: 8.03e9, flops: 1.606e10,
		layers: 32, hidden: 4096, heads: 32, kvHeads: 8}
	llama3_70B = testModel{name: "Llama3_70B", family: Transformer, params: 70.6e9, flops: 1.412e11,
		layers: 80, hidden: 8192, heads: 64, kvHeads: 8}
	llama3_405B = testModel{name: "Llama3_405B", family: Transformer, params: 405e9, flops: 8.1e11,
		layers: 126, hidden: 16384, heads: 128, kvHeads: 8}
	resNet50 = testModel{name: "ResNet50", family: CNN, params: 25.6e6, flops: 8.2e9, layers: 50}
	// Mixtral with the catalog correction kv_heads 8 (catalog/data/models/language.yaml).
	mixtral = testModel{name: "Mixtral_8x7B", family: MoE, params: 46.7e9, active: 12.9e9, flops: 2.58e10,
		layers: 32, hidden: 4096, heads: 32, kvHeads: 8}
	mixtralUpstream = func() testModel { m := mixtral; m.kvHeads = 0; return m }()
	// DeepSeek-V3 with the catalog correction heads 128 (upstream 56); MLA rank 512 + rope 64.
	deepSeekV3 = testModel{name: "DeepSeek_V3", family: MoE, params: 671e9, active: 37e9, flops: 7.4e10,
		layers: 61, hidden: 7168, heads: 128, kvLoraRank: 512, ropeDim: 64}
	deepSeekV3Upstream = func() testModel { m := deepSeekV3; m.heads = 56; return m }()
	gpt4               = testModel{name: "GPT4", family: MoE, params: 1.76e12, active: 2.8e11, flops: 5.6e11,
		layers: 120, hidden: 16384, heads: 128}
	// registry-models.csv: StableDiffusion_v1_5 (860 M, 2e10 FLOP per step, 50 steps),
	// DS_CNN (200 k parameters, 2e7 FLOP per input), DLRM (model_size 100 GB, no parameter count),
	// Mamba_130M (SSM, 2.6e8 FLOP per token).
	stableDiffusion = testModel{name: "StableDiffusion_v1_5", family: Diffusion, params: 860e6, flops: 2e10, steps: 50}
	dsCNN           = testModel{name: "DS_CNN", family: CNN, params: 200e3, flops: 2e7}
	dlrm            = testModel{name: "DLRM", family: Generic, modelSize: 100e9}
	mamba130M       = testModel{name: "Mamba_130M", family: SSM, params: 130e6, flops: 2.6e8, layers: 24, hidden: 768}
)

// checkRowMatches reports every output column in which row i of a batched call differs
// from row 0 of a one-point call; batch and single point to the same *…Out struct type,
// whose exported fields are all slices (an unexported memo is working state). The kernels
// compute each row alone, so the match is exact.
func checkRowMatches(t *testing.T, label string, batch any, i int, single any) {
	t.Helper()
	bv, sv := reflect.ValueOf(batch).Elem(), reflect.ValueOf(single).Elem()
	for f := 0; f < bv.NumField(); f++ {
		if !bv.Type().Field(f).IsExported() {
			continue
		}
		got, want := bv.Field(f).Index(i).Interface(), sv.Field(f).Index(0).Interface()
		if got != want {
			t.Errorf("%s: %s row %d of the batch = %v, alone = %v", label, bv.Type().Field(f).Name, i, got, want)
		}
	}
}

func TestWorkloadOps(t *testing.T) {
	checkScalars(t, []scalarCase{
		// physics.md §2.1 lower(): stated inference FLOPs win for every family.
		{"Llama3_8B stated", llama3_8B.ops(), 1.606e10, tightRel, 0},
		{"ResNet50 stated", resNet50.ops(), 8.2e9, tightRel, 0},
		{"Mamba stated", mamba130M.ops(), 2.6e8, tightRel, 0},
		// §2.1: dense and SSM default to 2·P; the registry's Llama3_8B figure is exactly that.
		{"dense default 2·P", WorkloadOps(Transformer, 0, 8.03e9, 0, 0), 2 * 8.03e9, tightRel, 0},
		{"generic default 2·P", WorkloadOps(Generic, 0, 270e3, 0, 0), 540e3, tightRel, 0},
		{"SSM default 2·P", WorkloadOps(SSM, 0, 130e6, 0, 0), 2.6e8, tightRel, 0},
		// §2.1 MoE: 2·active parameters, not total (Mixtral 2·12.9e9 = 2.58e10, GPT4 5.6e11,
		// DeepSeek-V3 7.4e10, all equal to the registry's stated figures).
		{"Mixtral 2·active", WorkloadOps(MoE, 0, 46.7e9, 12.9e9, 0), 2.58e10, tightRel, 0},
		{"GPT4 2·active", WorkloadOps(MoE, 0, 1.76e12, 2.8e11, 0), 5.6e11, tightRel, 0},
		{"DeepSeek_V3 2·active", WorkloadOps(MoE, 0, 671e9, 37e9, 0), 7.4e10, tightRel, 0},
		{"Mixtral stated = 2·active", mixtral.ops(), 2 * mixtral.active, tightRel, 0},
		// §2.1 diffusion: (stated or 2·P) × denoising steps: 2e10·50; 2·860e6·50.
		{"diffusion stated × steps", stableDiffusion.ops(), 1e12, tightRel, 0},
		{"diffusion 2·P × steps", WorkloadOps(Diffusion, 0, 860e6, 0, 50), 2 * 860e6 * 50, tightRel, 0},
		{"diffusion without steps", WorkloadOps(Diffusion, 2e10, 860e6, 0, 0), 2e10, tightRel, 0},
		// §2.1: a CNN must state its FLOPs; the kernel counts none rather than guess 2·P.
		{"CNN unstated", WorkloadOps(CNN, 0, 25.6e6, 0, 0), 0, 0, 0},
		// §2.1: a generic workload with only a model size has no default FLOPs.
		{"DLRM size only", dlrm.ops(), 0, 0, 0},
	})
}

func TestWeightBytes(t *testing.T) {
	checkScalars(t, []scalarCase{
		// physics.md §13.1 G1: ResNet-50 fp16 = 25.6e6·2 = 51.2 MB.
		{"ResNet50 fp16", resNet50.weightBytes(FP16), 51.2e6, tightRel, 0},
		// §13.1 G3/G4: Llama3-8B fp16 = 16.06 GB.
		{"Llama3_8B fp16", llama3_8B.weightBytes(FP16), 16.06e9, tightRel, 0},
		// §2.1 MoE: weight bytes count every expert (total P), not the active ones: 46.7e9·2.
		{"Mixtral total params", mixtral.weightBytes(FP16), 93.4e9, tightRel, 0},
		{"DeepSeek_V3 fp8", deepSeekV3.weightBytes(FP8), 671e9, tightRel, 0},
		// §2.1: diffusion, CNN and SSM always P·b.
		{"StableDiffusion fp16", stableDiffusion.weightBytes(FP16), 1.72e9, tightRel, 0},
		{"Mamba int4", mamba130M.weightBytes(INT4), 65e6, tightRel, 0},
		// §2.1: a generic workload without a parameter count uses its model size (DLRM 100 GB).
		{"DLRM model size", dlrm.weightBytes(FP16), 100e9, tightRel, 0},
		// ... but a stated parameter count wins over the model size.
		{"generic with params", WeightBytes(Generic, 1e6, 5e9, 2), 2e6, tightRel, 0},
	})
	// physics.md §13.2 test_solver_invariants: fp32 > fp16 > fp8 > int4 sizes.
	for _, m := range []testModel{llama3_8B, mixtral, resNet50, stableDiffusion} {
		prev := m.weightBytes(FP32)
		for _, p := range []Precision{FP16, FP8, INT4} {
			w := m.weightBytes(p)
			if !(w < prev) {
				t.Errorf("%s: %v weights %g B not below the wider precision's %g B", m.name, p, w, prev)
			}
			prev = w
		}
	}
}

func TestTransformerShape(t *testing.T) {
	checkScalars(t, []scalarCase{
		// physics.md §2.1: d = h // H (integer division), with h = 4096 and H = 32 by default.
		{"Llama3_8B head dim", HeadDim(4096, 32), 128, 0, 0},
		{"defaults", HeadDim(0, 0), 128, 0, 0},
		{"DeepSeek_V3 head dim 7168//128", HeadDim(7168, 128), 56, 0, 0},
		{"floor division 4096//48", HeadDim(4096, 48), 85, 0, 0},

		// §2.1 GQA: 2·L·H_kv·d = 2·32·8·128 (G4's KV 0.268435456 GB = 65536·2048·2).
		{"Llama3_8B KV/token", llama3_8B.kvElems(), 65536, 0, 0},
		// H_kv defaults to H (MHA): Mixtral as the registry had it, 2·32·32·128 — 4× the corrected value.
		{"Mixtral upstream KV/token", mixtralUpstream.kvElems(), 262144, 0, 0},
		{"Mixtral corrected KV/token", mixtral.kvElems(), 65536, 0, 0},
		// §2.1 defaults h 4096, H 32 when a transformer omits them: 2·L·32·128.
		{"shape defaults", KVElemsPerToken(2, 0, 0, 0, 0, 0), 2 * 2 * 32 * 128, 0, 0},
		// §2.1 MLA: L·(r_kv + r_rope), no factor 2, whatever the heads: 61·(512 + 64).
		{"DeepSeek_V3 MLA", deepSeekV3.kvElems(), 61 * 576, 0, 0},
		{"DeepSeek_V3 MLA, upstream heads", deepSeekV3Upstream.kvElems(), 61 * 576, 0, 0},
		// MLA needs both fields; with only one the GQA/MHA formula applies (2·61·128·56).
		{"rank without rope", KVElemsPerToken(61, 128, 0, 7168, 512, 0), 2 * 61 * 128 * 56, 0, 0},
		// §3.5 consistency: elements × S × B × b equals MLACacheBytes / KVCacheBytes.
		{"MLA = MLACacheBytes", deepSeekV3.kvElems() * 4096 * 2, MLACacheBytes(61, 512, 64, 4096, 1, 2), tightRel, 0},
		{"GQA = KVCacheBytes", llama3_8B.kvElems() * 2048 * 2, KVCacheBytes(32, 8, 128, 2048, 1, 2), tightRel, 0},

		// §6.1 prefill attention 4·L·H·d: G4 derivation 4·32·32·128.
		{"Llama3_8B attention coef", llama3_8B.attnCoef(), 4 * 32 * 32 * 128, 0, 0},
		// Layers default to 1 (Lm = layers or 1).
		{"attention coef without layers", AttentionFLOPsCoef(0, 32, 4096), 4 * 32 * 128, 0, 0},
		// H·d = 7168 for both 56 and 128 heads, so the DeepSeek heads correction leaves prefill unchanged.
		{"DeepSeek_V3 attention coef", deepSeekV3.attnCoef(), 4 * 61 * 7168, 0, 0},
		{"DeepSeek_V3 upstream attention coef", deepSeekV3Upstream.attnCoef(), 4 * 61 * 7168, 0, 0},
	})
}

func TestPrecisionBytes(t *testing.T) {
	// physics.md §1.2 map, plus fp4 (ours: 4 bits, like int4).
	want := map[Precision]float64{FP32: 4, TF32: 4, FP16: 2, BF16: 2, FP8: 1, INT8: 1, INT4: 0.5, FP4: 0.5}
	if len(want) != len(Precisions) {
		t.Fatalf("Precisions has %d entries, the table %d", len(Precisions), len(want))
	}
	for _, p := range Precisions {
		if got := p.Bytes(); got != want[p] {
			t.Errorf("%v.Bytes() = %g, want %g", p, got, want[p])
		}
		got, err := ParsePrecision(strings.ToUpper(p.String()))
		if err != nil || got != p {
			t.Errorf("ParsePrecision(%q) = %v, %v; want %v", strings.ToUpper(p.String()), got, err, p)
		}
	}
	// §1.2 Profile B: an unknown precision is an error (not a silent fp16), naming the valid keys.
	_, err := ParsePrecision("fp12")
	if err == nil {
		t.Fatal(`ParsePrecision("fp12"): no error`)
	}
	for _, s := range []string{"fp12", "fp32", "int4", "fp4"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}
