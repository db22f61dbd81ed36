package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/kernel"
)

// The topology study: the bandwidth a network shape delivers per node and across
// its bisection (kernel.Topology, wall 10), on a catalog fabric's links.
func init() {
	register(&Study{
		Name:      "topology",
		Doc:       "bandwidth by network shape: bisection fraction, per-node and bisection bandwidth, hops (physics.md §7.4)",
		Objective: Objective{Column: "effective_bandwidth_gb_per_s"},
		Params: []Param{
			{Name: "fabric", Kind: KindFabric, Doc: "catalog fabric key (mlsysim zoo fabrics): link bandwidth and oversubscription"},
			{Name: "topology", Kind: KindEnum, Default: "fat_tree",
				Enum: enumNames(kernel.FatTree, kernel.Ring, kernel.Torus3D, kernel.Dragonfly),
				Doc:  "network shape (the seed's default fat_tree; every catalog fabric is a fat tree)"},
			{Name: "nodes", Kind: KindInt, Default: "64", Min: 1, Doc: "nodes on the network (the seed's num_nodes)"},
		},
		Columns: []Column{
			{Name: "link_gb_per_s", Unit: "GB/s", Doc: "the fabric's link bandwidth"},
			{Name: "oversubscription", Doc: "the fabric's oversubscription"},
			{Name: "bisection_fraction", Doc: "β: 1 (fat tree), 0.85 (dragonfly), 2/N (ring), 2·N^(−1/3) (3-D torus)"},
			{Name: "effective_bandwidth_gb_per_s", Unit: "GB/s", Doc: "per node: link · β / oversubscription"},
			{Name: "bisection_bandwidth_gb_per_s", Unit: "GB/s", Doc: "effective bandwidth · N / 2 (fat-tree-normalised link equivalents)"},
			{Name: "average_hops", Doc: "4 (fat tree), 3 (dragonfly), N/4 (ring), 0.75·N^(1/3) (3-D torus)"},
			wallSlack(10, "locality", "effective / link bandwidth = β / oversubscription (above 1 for rings and tori under 8 nodes, as in the seed)"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, f := range p.Fabrics {
				if f == nil {
					return fmt.Errorf("the topology study needs a catalog fabric key, not %q (which keeps a cluster's own fabric)", DefaultFabric)
				}
			}
			return nil
		},
		newEval: newTopologyEval,
	})
}

type topologyEval struct {
	st       *Study
	bw, over []float64 // per fabric code
	in       kernel.TopoIn
	out      kernel.TopoOut
}

func newTopologyEval(p *Plan) evaluator {
	e := &topologyEval{st: p.Study}
	for _, f := range p.Fabrics {
		e.bw = append(e.bw, f.BytesPerS)
		e.over = append(e.over, f.Oversubscription)
	}
	return e
}

func (e *topologyEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	fc, kind := c.get("fabric"), c.get("topology")
	in := &e.in
	in.Kind = grow(in.Kind, n)
	for k := 0; k < n; k++ {
		// Enum order matches kernel.TopologyKind.
		in.Kind[k] = kernel.TopologyKind(kind[k])
	}
	in.Nodes = c.get("nodes")
	in.LinkBandwidth = gatherF(in.LinkBandwidth, fc, e.bw)
	in.Oversubscription = gatherF(in.Oversubscription, fc, e.over)
	kernel.Topology(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("link_gb_per_s"), in.LinkBandwidth, 1e-9)
	copy(w.f("oversubscription"), in.Oversubscription)
	copy(w.f("bisection_fraction"), out.BisectionFraction)
	scaleInto(w.f("effective_bandwidth_gb_per_s"), out.EffectiveBandwidth, 1e-9)
	scaleInto(w.f("bisection_bandwidth_gb_per_s"), out.BisectionBandwidth, 1e-9)
	copy(w.f("average_hops"), out.AverageHops)
	divInto(w.f("wall_10_locality_slack"), out.EffectiveBandwidth, in.LinkBandwidth)
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		feas[k], reason[k], binding[k] = true, reasonNone, wallNone
		// The shape binds when it delivers less than a full link per node.
		if out.EffectiveBandwidth[k] < in.LinkBandwidth[k] {
			binding[k] = wallLocality
		}
	}
}
