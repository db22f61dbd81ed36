package sweep

import (
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// vendorNoArithmetic is what the vendors' documents say, written out here rather than
// read from the catalog, so that an entry losing its unsupported_precisions (or a rule
// that stops reading it) fails: the V100's Tensor Cores take FP16 inputs only (NVIDIA
// Tesla V100 GPU Architecture whitepaper, "Volta Tensor Cores"); Turing's add INT8 and
// INT4 (NVIDIA Turing GPU Architecture whitepaper, "Turing Tensor Cores"); TF32 and BF16
// arrive with the A100 (NVIDIA A100 Tensor Core GPU Architecture whitepaper, "A100
// Tensor Cores"); the TPU v1's matrix unit multiplies 8- and 16-bit integers only (Jouppi et
// al. 2017, §2); the Coral Edge TPU runs fully 8-bit quantised models only (Coral,
// "TensorFlow models on the Edge TPU", Compatibility overview); the Groq chip's matrix
// unit has FP16 and int8 modes (Abts et al., ISCA 2022); CDNA 2 Matrix Cores (MI250X)
// have FP16, BF16 and INT8 and no TF32, which arrives with CDNA 3 (ROCm, "AMD Instinct
// MI300 series microarchitecture"); d-Matrix's Corsair computes in MX block formats only.
var vendorNoArithmetic = map[string][]string{
	"V100":      {"tf32", "bf16"},
	"V100_PCIe": {"tf32", "bf16"},
	"T4":        {"tf32", "bf16"},
	"TPUv1":     {"fp32", "tf32", "fp16", "bf16", "fp8"},
	"Coral":     {"fp32", "tf32", "fp16", "bf16", "fp8"},
	"Groq_LPU":  {"tf32", "bf16"},
	"MI250X":    {"tf32"},
	// Graphcore IPU Programmer's Guide §2: IEEE single or half precision only.
	"Graphcore_GC200": {"tf32", "bf16"},
	// Corsair computes in OCP MX block formats (MXINT16/8/4), no IEEE floating point
	// (Chips and Cheese, SC24 coverage: an industry report, not the vendor's brief).
	"DMatrix_Corsair": {"fp32", "tf32", "fp16", "bf16", "fp8"},
}

// TestPrecisionSupportTable: every catalog accelerator × every precision, both
// profiles. Calibrated: PrecisionPath (eval, serve, plans) and the grids' table
// (precisionUnsupported, trainUnsupported) refuse exactly the formats the entry lists in
// unsupported_precisions, plus fp4 without an fp4 rate. Seed: only the fp4 rule; the
// registry had no such list, so bf16 on a V100 keeps the registry's answer.
func TestPrecisionSupportTable(t *testing.T) {
	cat := testCatalog()
	for key, want := range vendorNoArithmetic {
		h, err := cat.HardwareByKey(key)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.UnsupportedPrecisions, want) {
			t.Errorf("%s unsupported_precisions %v, want %v (its vendor's architecture whitepaper)", key, h.UnsupportedPrecisions, want)
		}
	}
	for _, profile := range Profiles {
		seed := profile == Profiles[1]
		tab := newHWTable(cat.Hardware, seed)
		for hi, h := range cat.Hardware {
			for _, q := range kernel.Precisions {
				p := q.String()
				listed := slices.Contains(h.UnsupportedPrecisions, p)
				fp4 := q == kernel.FP4 && !h.SeedView().StatesRate(p)
				if !seed {
					fp4 = q == kernel.FP4 && !h.StatesRate(p)
				}
				want := fp4 || listed && !seed
				err := PrecisionPath(cat, h.Key, p, profile)
				if (err != nil) != want {
					t.Errorf("%s: PrecisionPath(%s, %s) = %v, want refused %v", profile, h.Key, p, err, want)
				}
				if got := tab.precisionUnsupported(float64(q), hi); got != want {
					t.Errorf("%s: grid table %s at %s unsupported %v, want %v", profile, h.Key, p, got, want)
				}
				if want && !tab.trainUnsupported(float64(q), hi) {
					t.Errorf("%s: grid table trains %s at %s, which PrecisionPath refuses", profile, h.Key, p)
				}
				if listed && (h.StatesRate(p) || h.GEMMEfficiency[p] > 0) {
					t.Errorf("%s lists %s unsupported and states a rate or efficiency for it", h.Key, p)
				}
				if listed && !seed {
					msg := err.Error()
					for _, w := range []string{h.Key, "no " + p + " arithmetic", "unsupported_precisions", "precisions it supports: " + strings.Join(Supported(h), ", ")} {
						if !strings.Contains(msg, w) {
							t.Errorf("%s %s: message lacks %q: %s", h.Key, p, w, msg)
						}
					}
					if slices.Contains(Supported(h), p) || len(Supported(h)) == 0 {
						t.Errorf("%s supports %v: want some format listed and %s not", h.Key, Supported(h), p)
					}
				}
			}
		}
	}
	if got := Supported(mustHW(t, cat, "V100")); !slices.Equal(got, []string{"fp32", "fp16"}) {
		t.Errorf("V100 supports %v, want [fp32 fp16] (its stated fp32 rate and the FP16 tensor peak)", got)
	}
	if got := Supported(mustHW(t, cat, "TPUv1")); !slices.Equal(got, []string{"int8"}) {
		t.Errorf("TPUv1 supports %v, want [int8] (its stated int8 rate alone)", got)
	}
	if got := Supported(mustHW(t, cat, "T4")); !slices.Equal(got, []string{"fp32", "fp16", "int8", "int4"}) {
		t.Errorf("T4 supports %v, want [fp32 fp16 int8 int4]", got)
	}
	if got := Supported(mustHW(t, cat, "Coral")); !slices.Equal(got, []string{"int8"}) {
		t.Errorf("Coral supports %v, want [int8] (its stated int8 rate alone)", got)
	}
	if got := Supported(mustHW(t, cat, "Groq_LPU")); !slices.Equal(got, []string{"fp16", "int8"}) {
		t.Errorf("Groq_LPU supports %v, want [fp16 int8] (its matrix unit's two modes)", got)
	}
}

func mustHW(t *testing.T, cat *catalog.Catalog, key string) *catalog.Hardware {
	t.Helper()
	h, err := cat.HardwareByKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestBF16OnV100Grids: bf16 on a V100 or a T4 is unsupported_by_hardware in every grid
// study that names an accelerator, under calibrated; the seed keeps the registry's
// verdict (never unsupported_by_hardware for it). fp16 on the same accelerator runs.
func TestBF16OnV100Grids(t *testing.T) {
	for _, profile := range Profiles {
		for _, tc := range []struct{ study, more string }{
			{"node", ""},
			{"node", "  training: [true]\n"},
			{"serve", ""},
			{"batching", ""},
			{"serve-sla", ""},
			{"train-memory", "  dp: [1]\n"},
		} {
			for _, hw := range []string{"V100", "T4"} {
				for _, prec := range []string{"bf16", "tf32", "fp16"} {
					row := evalOne(t, "version: 1\nstudy: "+tc.study+"\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  hardware: ["+hw+"]\n  precision: ["+prec+"]\n"+tc.more)
					got := row["infeasible_reason"]
					refused := profile == Profiles[0] && prec != "fp16"
					switch {
					case refused && (got != "unsupported_by_hardware" || row["feasible"] != false):
						t.Errorf("%s %s %q on %s at %s: feasible %v, reason %v; want unsupported_by_hardware", profile, tc.study, tc.more, hw, prec, row["feasible"], got)
					case !refused && got == "unsupported_by_hardware" && !(prec == "tf32" && strings.Contains(tc.more, "training") || tc.study == "train-memory" && prec == "tf32"):
						// (tf32 training was already refused in both profiles: the entries state
						// rates and none for tf32, TrainingPrecisionPath.)
						t.Errorf("%s %s %q on %s at %s: unsupported_by_hardware, want the registry's verdict", profile, tc.study, tc.more, hw, prec)
					}
				}
			}
		}
	}
}
