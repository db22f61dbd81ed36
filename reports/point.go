package reports

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/figures"
)

// PointRoofline draws one evaluated node-study row (what eval shows) on its
// accelerator's roofline: the memory slope at the catalog's bandwidth and a
// roof per precision the catalog states, the point's own precision at the
// peak it used. name labels the point ("Llama3_8B on H100").
func PointRoofline(h *catalog.Hardware, name string, row map[string]any) (*figures.Figure, error) {
	ai, _ := row["arithmetic_intensity_flop_per_byte"].(float64)
	mfu, _ := row["mfu"].(float64)
	peak, _ := row["peak_flops_tflops"].(float64)
	precision, _ := row["precision"].(string)
	if !(ai > 0) || !(mfu > 0) || !(peak > 0) || math.IsInf(ai, 0) {
		return nil, fmt.Errorf("the point has no place on a roofline (arithmetic intensity %g, MFU %g)", ai, mfu)
	}
	roofs := MergeRoof(nil, precision, peak*1e12)
	for _, p := range slices.Sorted(maps.Keys(h.Rates)) {
		if p != precision {
			roofs = MergeRoof(roofs, p, h.Rates[p])
		}
	}
	dev := figures.Device{Name: h.Key, BytesPerS: h.MemBandwidthBytesPerS, Roofs: roofs}
	d := figures.Data{X: []float64{ai}, Y: []float64{mfu * peak * 1e12}, Color: []string{name}}
	caption := []string{fmt.Sprintf("mlsysim eval %s · %s · batch %v · profile %v", name, precision, row["batch_size"], row["profile"]),
		fmt.Sprintf("attained = MFU %.3g × peak %s; ceilings from the catalog (%s)", mfu, figures.SIUnit(peak*1e12, "FLOP/s"), h.Name)}
	return figures.Roofline([]figures.Device{dev}, d, figures.Options{Title: "Roofline: " + name, Caption: caption,
		X: figures.Axis{Name: "arithmetic intensity", Unit: "FLOP/byte"}, Y: figures.Axis{Name: "attained", Unit: "FLOP/s"}})
}
