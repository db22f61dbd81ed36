package sweep

import (
	"fmt"
	"slices"

	"github.com/mlsysim/mlsysim/kernel"
)

// TPLinkNotes says, for each accelerator of the plan that a tensor-parallel point (tp
// above 1) runs on without a scale-up link, which link its tensor-parallel exchanges
// cross and at what rate (newHWTable's rule): the host link where the entry states one
// (a PCIe card's own generation and lanes, issue #15), else the 64 GB/s PCIe Gen5 x16
// fallback, which stands for no link the catalog knows. An accelerator with a scale-up
// link (NVLink, Infinity Fabric, ICI, …) runs its exchanges over it and needs no note.
// Under the seed profile the links are the registry's (catalog.Hardware.SeedLinks).
func (p *Plan) TPLinkNotes() []string {
	v := p.valuesOf("tp")
	if v == nil || !slices.ContainsFunc(v.Nums, func(x float64) bool { return x > 1 }) {
		return nil
	}
	var notes []string
	for _, h := range p.Hardware {
		host, up := h.HostLink, h.ScaleUp
		if !p.Calibrated() {
			host, up = h.SeedLinks()
		}
		switch {
		case up != nil:
			continue
		case host != nil:
			notes = append(notes, fmt.Sprintf("%s has no scale-up link: tensor parallelism (tp above 1) exchanges over its host link, %s, at %.4g GB/s per direction (catalog %s)",
				h.Key, host.Name, host.PerDirectionBytesPerS()/1e9, h.File))
		case !p.Calibrated() && (h.HostLink != nil || h.ScaleUp != nil):
			// The catalog states a link the MLSys·im registry lacked: "states neither" was
			// false of the T4's PCIe Gen3 host link.
			notes = append(notes, fmt.Sprintf("%s has no link under the seed profile (the MLSys·im registry's entry states none; the catalog's, which --profile calibrated uses, was added since): tensor parallelism (tp above 1) is priced at the %.4g GB/s PCIe Gen5 x16 fallback (catalog %s)",
				h.Key, kernel.OffloadFallbackBytesPerS/1e9, h.File))
		default:
			notes = append(notes, fmt.Sprintf("%s states neither a scale-up nor a host link: tensor parallelism (tp above 1) is priced at the %.4g GB/s PCIe Gen5 x16 fallback, a link the part may not have (catalog %s)",
				h.Key, kernel.OffloadFallbackBytesPerS/1e9, h.File))
		}
	}
	return notes
}
