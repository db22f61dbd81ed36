package kernel

import "testing"

func TestEfficiency(t *testing.T) {
	kinds := []KernelKind{KernelAttention, KernelAttention, KernelFFN, KernelConv, KernelOther,
		KernelFFN, KernelAttention, KernelConv, KernelAttention}
	flash := []bool{false, true, false, false, false, false, true, false, true}
	eta := []float64{0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 2.0}
	in := &EfficiencyIn{Kind: kinds, FlashAttention: flash, Efficiency: eta, PeakFLOPS: fill(len(kinds), 989e12)}
	var out EfficiencyOut
	Efficiency(&out, in)

	checkScalars(t, []scalarCase{
		// physics.md §13.4 Efficiency(η 0.5): attention 0.30 (flash 0.75), ffn 0.50, conv 0.40;
		// occupancy_loss 0.45; memory_stall 0.25 / 0 / 0.05 / 0.15 (attention, flash, ffn, conv).
		{"§13.4 attention", out.MFU[0], 0.30, tightRel, 0},
		{"§13.4 flash", out.MFU[1], 0.75, tightRel, 0},
		{"§13.4 ffn", out.MFU[2], 0.50, tightRel, 0},
		{"§13.4 conv", out.MFU[3], 0.40, tightRel, 0},
		{"§13.4 occupancy loss", out.OccupancyLoss[0], 0.45, tightRel, 0},
		{"§13.4 stall attention", out.MemoryStall[0], 0.25, tightRel, 0},
		{"§13.4 stall flash", out.MemoryStall[1], 0, 0, 0},
		{"§13.4 stall ffn", out.MemoryStall[2], 0.05, tightRel, 0},
		{"§13.4 stall conv", out.MemoryStall[3], 0.15, tightRel, 0},
		// §5.3: other = 0.30·s.
		{"other", out.MFU[4], 0.30, tightRel, 0},
		{"achievable", out.AchievableFLOPS[2], 989e12 * 0.5, tightRel, 0},
		// §5.3 caps at η 1 (s = 2): ffn min(1.0, 0.60), flash min(1.5, 0.85), conv min(0.8, 0.55).
		{"ffn cap", out.MFU[5], MfuFFNCap, tightRel, 0},
		{"flash cap", out.MFU[6], MfuFlashAttentionCap, tightRel, 0},
		{"conv cap", out.MFU[7], MfuConvCap, tightRel, 0},
		{"occupancy at η 1", out.OccupancyLoss[5], 0, 0, 0},
		{"stall at η 1", out.MemoryStall[5], 0.40, tightRel, 0},
		// §5.3: η is not validated; η = 2 keeps the caps.
		{"η 2 flash", out.MFU[8], MfuFlashAttentionCap, tightRel, 0},
	})
}

func TestParseKernelKind(t *testing.T) {
	for _, k := range []KernelKind{KernelFFN, KernelAttention, KernelConv, KernelOther} {
		if got, err := ParseKernelKind(" " + k.String() + " "); err != nil || got != k {
			t.Errorf("ParseKernelKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKernelKind("matmul"); err == nil {
		t.Error("ParseKernelKind(matmul): no error")
	}
}

func TestEfficiencyDoesNotAllocate(t *testing.T) {
	in := &EfficiencyIn{Kind: []KernelKind{KernelAttention, KernelConv}, FlashAttention: []bool{true, false},
		Efficiency: []float64{0.5, 0.4}, PeakFLOPS: []float64{989e12, 312e12}}
	var out EfficiencyOut
	Efficiency(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Efficiency(&out, in) }); allocs != 0 {
		t.Errorf("Efficiency allocates %g times per call once its outputs are sized", allocs)
	}
}
