package sweep

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestServeCalibratedComputeFloor: the serve study wires the calibrated profile's decode
// compute floor (kernel.Serving ComputeFloor). Llama3_8B fp8 on H100, batch 4096, S 256:
// the step's FLOPs, (2·8.03e9 + coef·256)·4096 / (1979e12 · 0.5), outlast its bytes, so the
// calibrated ITL is that plus the layer tax and compute binds; the seed stays memory-bound.
func TestServeCalibratedComputeFloor(t *testing.T) {
	eval := func(profile string) map[string]any {
		return evalOne(t, "version: 1\nstudy: serve\nprofile: "+profile+
			"\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp8]\n  batch_size: 4096\n  seq_len: 256\n")
	}
	cal, seed := eval("calibrated"), eval("seed")
	m, err := catalog.MustDefault().ModelByKey("Llama3_8B")
	if err != nil {
		t.Fatal(err)
	}
	h, err := catalog.MustDefault().HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	peak, ok := h.PeakFor("fp8")
	if !ok {
		t.Fatal("H100 states no fp8 rate")
	}
	coef := kernel.AttentionFLOPsCoef(float64(m.Layers), float64(m.Heads), float64(m.HiddenDim))
	flops := (2*m.Parameters + coef*256) * 4096 / (peak * 0.5)
	want := (flops + float64(m.Layers)*kernel.LayerTaxS) * 1e3
	if got := cal["itl_ms"].(float64); math.Abs(got-want) > 1e-9*want {
		t.Errorf("calibrated itl_ms %v, want %v", got, want)
	}
	if cal["binding_wall"] != "1 Compute" || seed["binding_wall"] != "2 Memory" {
		t.Errorf("binding wall calibrated %v, seed %v; want 1 Compute, 2 Memory", cal["binding_wall"], seed["binding_wall"])
	}
	if !(seed["itl_ms"].(float64) < cal["itl_ms"].(float64)) {
		t.Errorf("seed ITL %v should be the memory-only step, below %v", seed["itl_ms"], cal["itl_ms"])
	}
}
