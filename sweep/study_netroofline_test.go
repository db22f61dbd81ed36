package sweep

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestNetworkRooflineStudy reproduces physics.md §13.4 NetworkRoofline(Llama3_8B,
// Research_256, fp16): CI 1.5 FLOP/B, ridge 2.025472e7, t_comp 3.806e-4 ms,
// t_net 2569.6 ms → network-bound, MFU 7.4057e-8 (to the digits published).
func TestNetworkRooflineStudy(t *testing.T) {
	st, _ := StudyByName("network-roofline")
	p, err := NewPlan(catalog.MustDefault(), st, []Axis{axis1("model", "Llama3_8B", "t"), axis1("cluster", "Research_256", "t")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row, err := EvalPoint(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		col       string
		want, tol float64
	}{
		{"intensity_flop_per_byte", 1.5, 1e-12},
		{"ridge_flop_per_byte", 2.025472e7, 1e-12},
		{"compute_ms", 3.806e-4, 5e-4},
		{"network_ms", 2569.6, 1e-12},
		{"mfu", 7.4057e-8, 5e-5},
	} {
		got := row[c.col].(float64)
		if math.Abs(got-c.want) > c.tol*c.want {
			t.Errorf("%s = %v, want %v", c.col, got, c.want)
		}
	}
	if row["bottleneck"] != "Network" || row["binding_wall"] != "14 Communication" || row["hardware"] != "H100" {
		t.Errorf("bottleneck %v, binding %v, hardware %v; want Network, 14 Communication, H100", row["bottleneck"], row["binding_wall"], row["hardware"])
	}
}

// TestReferenceHardwareIsH100 is golden G9 (physics.md §13.1): the scaling model's
// reference hardware rate equals the catalog's H100 peak.
func TestReferenceHardwareIsH100(t *testing.T) {
	h, err := catalog.MustDefault().HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	if h.PeakFLOPS != kernel.ReferenceHardwareFLOPS {
		t.Errorf("H100 peak %v ≠ kernel.ReferenceHardwareFLOPS %v", h.PeakFLOPS, kernel.ReferenceHardwareFLOPS)
	}
}
