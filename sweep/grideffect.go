package sweep

import (
	"fmt"
	"strings"
)

// EffectNotes names the grid spec's parameters that change nothing at any point of the
// plan: the grid's side of PlanFile.CheckEffect (docs/PLAN.md, "Keys that change
// nothing"). A grid is a cross product, so a parameter read at some points and not at
// others is fine; one read at none makes every row look as if it answered a question
// the spec asked. Such a parameter is noted with its spec line, not refused: grids
// that sweep it on purpose (benchmarks of the evaluator's reuse) still run. Today that
// is efficiency in the calibrated fleet study when every model is a transformer and
// every accelerator has a measured matmul rate at every precision: the training step
// runs its GEMMs at that rate (docs/PHYSICS.md §35), as a plan's hardware.efficiency.
func (p *Plan) EffectNotes() []string {
	if p.Spec == nil || p.Study.Name != "fleet" || !p.Calibrated() {
		return nil
	}
	line := 0
	for _, group := range [][]specAxis{p.Spec.Fixed, p.Spec.Axes} {
		for _, a := range group {
			if a.name == "efficiency" {
				line = a.line
			}
		}
	}
	if line == 0 {
		return nil
	}
	for _, m := range p.Models {
		if !m.Family.IsTransformer() {
			return nil
		}
	}
	var precisions []string
	for _, v := range p.Values {
		if v.Param.Name == "precision" {
			for i := range v.Nums {
				precisions = append(precisions, v.text(i))
			}
		}
	}
	var accels []string
	for _, cl := range p.Clusters {
		n, err := p.Catalog.NodeByKey(cl.Node)
		if err != nil {
			return nil
		}
		h, err := p.Catalog.HardwareByKey(n.Accelerator)
		if err != nil {
			return nil
		}
		for _, prec := range precisions {
			peak, _ := h.PeakFor(prec)
			if _, measured := h.GEMMEfficiencyFor(prec); !measured || !(peak > 0) {
				return nil
			}
		}
		accels = append(accels, h.Key)
	}
	return []string{fmt.Sprintf("%s:%d: efficiency changes nothing at any point of this grid: under the calibrated profile the fleet's transformer training step runs its GEMMs at the measured matmul rate of %s at %s (docs/PHYSICS.md §35), not efficiency × peak, so its rows repeat one another; drop it, or use --profile seed",
		p.Spec.File, line, strings.Join(dedupeStrings(accels), ", "), strings.Join(precisions, ", "))}
}

func dedupeStrings(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
