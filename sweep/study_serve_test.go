package sweep

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestServeCalibrated: the serve study wires the calibrated physics with the catalog's
// measured H100 attributes (BabelStream Triad 2.97 TB/s; FP8 matmul efficiency 0.709 when
// efficiency is 0). Llama3_8B FP8, batch 4096, S 256: the step's FLOPs at 1979 TFLOP/s ·
// 0.709 outlast its bytes, so ITL is that plus 32 layers × 4 matmul kernels and compute
// binds; the seed runs at η 0.5 and stays memory-bound.
func TestServeCalibrated(t *testing.T) {
	eval := func(profile string) map[string]any {
		return evalOne(t, "version: 1\nstudy: serve\nprofile: "+profile+
			"\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp8]\n  batch_size: 4096\n  seq_len: 256\n")
	}
	cal, seed := eval("calibrated"), eval("seed")
	cat := catalog.MustDefault()
	m, err := cat.ModelByKey("Llama3_8B")
	if err != nil {
		t.Fatal(err)
	}
	h, err := cat.HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	peak, _ := h.PeakFor("fp8")
	eff, ok := h.GEMMEfficiencyFor("fp8")
	if !ok || eff != 0.709 || h.AchievableBandwidth() != 2.97e12 {
		t.Fatalf("catalog H100: fp8 efficiency %v (%v), bandwidth %v", eff, ok, h.AchievableBandwidth())
	}
	coef := kernel.AttentionFLOPsCoef(float64(m.Layers), float64(m.Heads), float64(m.HiddenDim))
	flops := (2*m.Parameters + coef*256) * 4096 / (peak * eff)
	kv := kernel.KVElemsPerToken(32, 32, 8, 4096, 0, 0) * 256 * 4096
	if bytes := (m.Parameters + kv) / 2.97e12; !(flops > bytes) {
		t.Fatalf("the fixture should be compute-bound: %v vs %v", flops, bytes)
	}
	want := (flops + float64(m.Layers)*kernel.GEMMsPerLayer*kernel.GEMMKernelS) * 1e3
	if got := cal["itl_ms"].(float64); math.Abs(got-want) > 1e-9*want {
		t.Errorf("calibrated itl_ms %v, want %v", got, want)
	}
	if cal["efficiency_used"] != 0.709 || seed["efficiency_used"] != 0.5 {
		t.Errorf("efficiency used: calibrated %v, seed %v; want 0.709, 0.5", cal["efficiency_used"], seed["efficiency_used"])
	}
	if cal["binding_wall"] != "1 Compute" || seed["binding_wall"] != "2 Memory" {
		t.Errorf("binding wall calibrated %v, seed %v; want 1 Compute, 2 Memory", cal["binding_wall"], seed["binding_wall"])
	}
}
