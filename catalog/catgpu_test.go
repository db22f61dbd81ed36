package catalog

import (
	"math"
	"testing"
)

// TestCatgpuEntries holds the L40S and A100_40GB entries (issue #10/#15, catgpu round) to
// the arithmetic of their sources, each number worked by hand from the source named in the
// entry's field_sources, so a mistyped transcription fails here:
//
//	L40S gemm:      269.15 TFLOP/s measured BF16 (torch-performance-test-data) / 362.05 peak = 0.7434 → 0.743
//	L40S link:      PCIe Gen4 x16: 16 GT/s × 16 lanes × 128/130 ÷ 8 = 31.51 GB/s per direction
//	L40S SMs:       18,176 CUDA cores / 128 per Ada SM = 142
//	L40S stream:    830 GB/s (gpu-stream triad, L40) of 864 GB/s = 0.961
//	A100_40GB:      1,358 GB/s (gpu-stream triad, A100 40GB) of 1,555 GB/s = 0.873; the A100's
//	                0.869 BF16 matmul efficiency, 312 TFLOP/s peak and 108 SMs carried over
func TestCatgpuEntries(t *testing.T) {
	c := MustDefault()
	near := func(what string, got, want, rel float64) {
		t.Helper()
		if math.Abs(got-want) > rel*math.Abs(want) {
			t.Errorf("%s = %.6g, want %.6g (±%.2g relative)", what, got, want, rel)
		}
	}
	l40s, err := c.HardwareByKey("L40S")
	if err != nil {
		t.Fatal(err)
	}
	rate, eff, ok := l40s.MeasuredMatmul("bf16")
	if !ok {
		t.Fatal("L40S: no measured bf16 matmul")
	}
	near("L40S bf16 matmul rate (FLOP/s)", rate, 269.15e12, 0.002)
	near("L40S bf16 efficiency", eff, 269.15/362.05, 0.002)
	if _, _, ok := l40s.MeasuredMatmul("fp8"); ok {
		t.Error("L40S: an fp8 matmul efficiency, but no source measured one")
	}
	near("L40S PCIe Gen4 x16 per direction (B/s)", l40s.HostLink.PerDirectionBytesPerS(), 16e9*16*128/130/8, 0.001)
	if l40s.ScaleUp != nil {
		t.Error("L40S: a scale-up link, but the card has no NVLink")
	}
	if l40s.SMCount != 18176/128 {
		t.Errorf("L40S: %d SMs, want 18176/128 = 142", l40s.SMCount)
	}
	near("L40S streaming share of the datasheet", l40s.AchievableBandwidth()/l40s.MemBandwidthBytesPerS, 830.0/864, 0.001)
	if !l40s.Unsupported("fp4") || l40s.Unsupported("fp8") {
		t.Error("L40S: Ada has FP8 tensor cores and no FP4")
	}
	fp8, _ := l40s.PeakFor("fp8")
	near("L40S fp8 peak (dense: NVIDIA's 1,466 with sparsity, halved)", fp8, 1466e12/2, 1e-9)

	a40, err := c.HardwareByKey("A100_40GB")
	if err != nil {
		t.Fatal(err)
	}
	a80, err := c.HardwareByKey("A100")
	if err != nil {
		t.Fatal(err)
	}
	near("A100_40GB streaming share of 1,555 GB/s", a40.AchievableBandwidth()/1555e9, 1358.0/1555, 0.002)
	// L2 load rates (RRZE gpu-l2-cache): the median of a100_80.txt's rows at 2–20 MB,
	// 5,415.1 GB/s, and of l40.txt's at 2–90 MB, 5,215.8 GB/s, as catalogued to 3 figures.
	near("A100 L2 bandwidth (B/s)", a80.L2BandwidthBytesPerS, 5415.1e9, 0.001)
	near("L40S L2 bandwidth (B/s)", l40s.L2BandwidthBytesPerS, 5215.8e9, 0.001)
	if a40.MemCapacityBytes != 40*(1<<30) {
		t.Errorf("A100_40GB: %.4g bytes, want 40 GiB", a40.MemCapacityBytes)
	}
	_, e40, ok40 := a40.MeasuredMatmul("bf16")
	_, e80, _ := a80.MeasuredMatmul("bf16")
	if !ok40 || e40 != e80 || a40.PeakFLOPS != a80.PeakFLOPS || a40.SMCount != a80.SMCount {
		t.Errorf("A100_40GB: matmul %v/%v, peak %g, %d SMs; want the A100's (same GA100 die, clock and 400 W)", e40, ok40, a40.PeakFLOPS, a40.SMCount)
	}
	// The two A100s have the same tensor cores, so they refuse and accept the same formats:
	// no FP8 arithmetic, yet an fp8 inference point is a weight-only format dequantised to the
	// 16-bit peak (TestTrainingNeedsTheFormatsRate refuses fp8 training), and fp4 is refused
	// for want of a stated rate (sweep.precisionRefused).
	for _, p := range []string{"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4", "fp4"} {
		if a40.Unsupported(p) != a80.Unsupported(p) || a40.StatesRate(p) != a80.StatesRate(p) {
			t.Errorf("A100_40GB and A100 disagree on %s: unsupported %v/%v, states a rate %v/%v (same GA100 tensor cores)",
				p, a40.Unsupported(p), a80.Unsupported(p), a40.StatesRate(p), a80.StatesRate(p))
		}
	}
}
