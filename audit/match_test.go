package audit

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// Names as nvidia-smi, /proc/cpuinfo and sysctl print them.
func TestMatchDevice(t *testing.T) {
	cat := catalog.MustDefault()
	const mib = 1 << 20
	for _, c := range []struct {
		kind      Kind
		name      string
		memMiB    float64
		key       string
		conf      Confidence
		reasonHas string
	}{
		{NvidiaGPU, "NVIDIA H100 80GB HBM3", 81559, "H100", ExactKey, "spells the catalog key H100"},
		{NvidiaGPU, "NVIDIA H100 PCIe", 81559, "H100", ExactKey, "pcie are not in the key"}, // a variant: say so
		{NvidiaGPU, "Tesla V100-PCIE-16GB", 16384, "V100_PCIe", ExactKey, "V100_PCIe"},      // the longer key wins
		{NvidiaGPU, "Tesla V100-SXM2-32GB", 32768, "V100", ExactKey, "sxm2"},
		// The 40GB part spells A100_40GB around "sxm4" (the key's parts are name tokens, in
		// order); before that entry it matched the 80 GB A100.
		{NvidiaGPU, "NVIDIA A100-SXM4-40GB", 40960, "A100_40GB", ExactKey, "the words sxm4 are not in the key"},
		{NvidiaGPU, "NVIDIA A100-PCIE-40GB", 40960, "A100_40GB", ExactKey, "pcie"},
		{NvidiaGPU, "NVIDIA A100-SXM4-80GB", 81920, "A100", ExactKey, "the words sxm4 are not in the key"},
		{NvidiaGPU, "NVIDIA L40S", 49152, "L40S", ExactKey, "spells the catalog key L40S"},
		{NvidiaGPU, "Tesla T4", 15360, "T4", ExactKey, "T4"},
		{NvidiaGPU, "NVIDIA B200", 183359, "B200", ExactKey, "B200"},
		// Not an A100: "a10g" shares no model word with any entry. 22.49 GiB is nearer
		// T4's 16 GiB (ln 22.49/16 = 0.341) than the V100s' 32 GiB (ln 32/22.49 = 0.353).
		{NvidiaGPU, "NVIDIA A10G", 23028, "T4", FamilyFallback, "nearest in memory"},
		// 24 GiB: ln(32/24) = 0.288 beats ln(24/16) = 0.405; V100 and V100_PCIe tie, V100 sorts first.
		{NvidiaGPU, "NVIDIA GeForce RTX 4090", 24564, "V100", FamilyFallback, "nearest in memory"},
		// The catalog holds the GB200 chip (the 72-GPU rack is the node GB200_NVL72 of it).
		{NvidiaGPU, "NVIDIA GB200", 189471, "GB200", ExactKey, "spells the catalog key GB200"},
		{AppleGPU, "Apple M3 Max", 131072, "MacBookM3Max", NameSimilarity, "m3, max"},
		{AppleGPU, "Apple M2 Pro", 32768, "AppleM2", ExactKey, "pro"},
		{AppleGPU, "Apple M1", 16384, "MacBookM3Max", FamilyFallback, "Apple"},
		{CPUKind, "AMD EPYC", 24000, "ReferenceCPU", FamilyFallback, "lists no CPUs"},
		{CPUKind, "Intel(R) Xeon(R) Platinum 8480+", 1 << 20, "ReferenceCPU", FamilyFallback, "lists no CPUs"},
		// A SoC's CPU is not its GPU, whose entry the name spells.
		{CPUKind, "Apple M3 Max", 131072, "ReferenceCPU", FamilyFallback, "lists no CPUs"},
		{CPUKind, "Apple M2", 16384, "ReferenceCPU", FamilyFallback, "lists no CPUs"},
	} {
		m, err := MatchDevice(cat, Device{Kind: c.kind, Name: c.name, MemoryBytes: c.memMiB * mib})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.Key != c.key || m.Confidence != c.conf || !strings.Contains(m.Reason, c.reasonHas) {
			t.Errorf("%s → %s (%s: %s), want %s (%s, reason with %q)", c.name, m.Key, m.Confidence, m.Reason, c.key, c.conf, c.reasonHas)
		}
		if (m.Confidence == FamilyFallback) != (m.FellBackTo == m.Key) || m.Name == "" {
			t.Errorf("%s: fell back to %q, key %s, name %q", c.name, m.FellBackTo, m.Key, m.Name)
		}
		if m.Confidence == NameSimilarity && !(m.Similarity >= minSimilarity && m.Similarity <= 1) {
			t.Errorf("%s: similarity %v", c.name, m.Similarity)
		}
	}
}

// An entry written by an earlier audit and loaded with --catalog is the device's own.
func TestMatchOwnEntry(t *testing.T) {
	cat := catalog.MustDefault().Clone()
	if _, err := cat.AddUserYAML("mine.yaml", []byte(`{key: Local_AMD_EPYC, peak: 268 GFLOP/s, memory: {capacity: 24 GiB, bandwidth: 25 GB/s}, source: {kind: measurement, ref: audit}}`)); err != nil {
		t.Fatal(err)
	}
	m, err := MatchDevice(cat, Device{Kind: CPUKind, Name: "AMD EPYC"})
	if err != nil || m.Key != "Local_AMD_EPYC" || m.Confidence != ExactKey || !strings.Contains(m.Reason, "own entry") {
		t.Errorf("%+v, %v", m, err)
	}
}

func TestNameHelpers(t *testing.T) {
	if got := splitCamel("MacBookM3Max"); got != "Mac Book M3 Max" {
		t.Errorf("splitCamel = %q", got)
	}
	if got := significant(nameTokens("NVIDIA H100 80GB HBM3 NVIDIA")); strings.Join(got, " ") != "h100" {
		t.Errorf("significant = %q", got)
	}
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3":           "Local_NVIDIA_H100_80GB_HBM3",
		"Intel(R) Xeon(R) Platinum 8480+": "Local_Intel_Xeon_Platinum_8480",
		"AMD EPYC":                        "Local_AMD_EPYC",
		"":                                "Local_cpu",
	} {
		if got := LocalKey(Device{Kind: CPUKind, Name: name}); got != want {
			t.Errorf("LocalKey(%q) = %q, want %q", name, got, want)
		}
	}
	if got := LocalKey(Device{Kind: AppleGPU, Name: "Apple M3 Max"}); got != "Local_Apple_M3_Max_GPU" {
		t.Errorf("Apple GPU key %q: the CPU has the same name", got)
	}
}

// Peaks worked out by hand: cores × clock × lanes × 2 (FMA) × pipes.
func TestDeriveCPUPeak(t *testing.T) {
	for _, c := range []struct {
		name string
		cpu  CPU
		want float64 // FP32 FLOP/s
	}{
		{"Xeon AVX-512, 2 FMA units", CPU{Vendor: "GenuineIntel", Family: 6, SIMD: "avx512f", Cores: 4, ClockHz: 3.8e9}, 4 * 3.8e9 * 16 * 2 * 2},
		{"Zen 5 AVX-512", CPU{Vendor: "AuthenticAMD", Family: 26, SIMD: "avx512f", Cores: 2, ClockHz: 2.096e9}, 2 * 2.096e9 * 16 * 2 * 2},
		{"Zen 4 runs AVX-512 on 256-bit halves", CPU{Vendor: "AuthenticAMD", Family: 25, SIMD: "avx512f", Cores: 16, ClockHz: 4.5e9}, 16 * 4.5e9 * 8 * 2 * 2},
		{"Haswell-class AVX2 + FMA", CPU{SIMD: "avx2+fma", Cores: 8, ClockHz: 2.3e9}, 8 * 2.3e9 * 8 * 2 * 2},
		{"Sandy Bridge AVX: add + multiply", CPU{SIMD: "avx", Cores: 4, ClockHz: 3e9}, 4 * 3e9 * 8 * 2},
		{"SSE2", CPU{SIMD: "sse2", Cores: 2, ClockHz: 2e9}, 2 * 2e9 * 4 * 2},
		{"Neoverse N1: 2 NEON pipes", CPU{SIMD: "asimd", Model: "Arm Neoverse N1", Cores: 64, ClockHz: 2.5e9}, 64 * 2.5e9 * 4 * 2 * 2},
		{"Neoverse V2: 4 NEON pipes", CPU{SIMD: "asimd", Model: "Arm Neoverse V2", Cores: 72, ClockHz: 3.1e9}, 72 * 3.1e9 * 4 * 2 * 4},
	} {
		p, ok := DeriveCPUPeak(c.cpu)
		if !ok || math.Abs(p.FP32FLOPS-c.want) > 1e-9*c.want || p.FP64FLOPS != p.FP32FLOPS/2 {
			t.Errorf("%s: %g FP32, %g FP64 (ok %v), want %g and half", c.name, p.FP32FLOPS, p.FP64FLOPS, ok, c.want)
		}
		if p.Source == "" || p.Derivation == "" {
			t.Errorf("%s: no derivation or source", c.name)
		}
	}
	for _, cpu := range []CPU{{SIMD: "", Cores: 4, ClockHz: 3e9}, {SIMD: "avx2+fma", Cores: 4}, {SIMD: "avx2+fma", ClockHz: 3e9}} {
		if _, ok := DeriveCPUPeak(cpu); ok {
			t.Errorf("%+v: derived a peak without SIMD unit, clock or cores", cpu)
		}
	}
}
