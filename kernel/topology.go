package kernel

import (
	"math"
	"strings"
)

// TopologyKind is a network topology.
type TopologyKind uint8

const (
	// FatTree is a non-blocking folded Clos (the seed's default).
	FatTree TopologyKind = iota
	// Ring connects each node to two neighbours.
	Ring
	// Torus3D is a three-dimensional torus.
	Torus3D
	// Dragonfly is a group-based topology with global links between groups.
	Dragonfly
)

var topologyNames = [...]string{"fat_tree", "ring", "torus_3d", "dragonfly"}

// String returns the seed's name: "fat_tree", "ring", "torus_3d" or "dragonfly".
func (t TopologyKind) String() string { return enumName(t, topologyNames[:], "TopologyKind") }

// ParseTopology parses a topology name, case-insensitively; "-" reads as "_", so the
// catalog's "fat-tree" is fat_tree.
func ParseTopology(s string) (TopologyKind, error) {
	return parseEnum[TopologyKind](s, strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"), topologyNames[:], "topology")
}

// Topology is the bandwidth a network topology delivers to each node and across its
// bisection (physics.md §7.4, TopologyModel; Wall 10). For N nodes on links of
// bandwidth β_link with oversubscription r:
//
//	bisection fraction f = 1 (fat tree) | 0.85 (dragonfly) | 2/max(N, 1) (ring) | 2·N^(−1/3) (3-D torus)
//	effective bandwidth  = β_link·f/r
//	bisection bandwidth  = β_link·f·N/2/r      (in fat-tree-normalised link equivalents)
//	average hops         = 4 (fat tree) | 3 (dragonfly) | N/4 (ring) | 0.75·N^(1/3) (3-D torus)
//
// N^(1/3) is math.Cbrt, exact for cubes (the seed's N ** (−1/3) can be 1 ulp off).
// The seed treats an unknown name like a fat tree; ParseTopology rejects it instead.
// Preconditions: N ≥ 1, r > 0.
func Topology(out *TopoOut, in *TopoIn) {
	n := len(in.Kind)
	out.resize(n)
	for i := 0; i < n; i++ {
		nodes := in.Nodes[i]
		frac, hops := 1.0, float64(FatTreeHops)
		switch in.Kind[i] {
		case Ring:
			frac, hops = 2/math.Max(nodes, 1), nodes/4
		case Torus3D:
			frac, hops = 2/math.Cbrt(nodes), 0.75*math.Cbrt(nodes)
		case Dragonfly:
			frac, hops = DragonflyBisectionFraction, DragonflyHops
		}
		eff := in.LinkBandwidth[i] * frac / in.Oversubscription[i]
		out.BisectionFraction[i] = frac
		out.EffectiveBandwidth[i] = eff
		out.BisectionBandwidth[i] = eff * nodes / 2
		out.AverageHops[i] = hops
	}
}

// Constants of the topology model (physics.md §7.4).
const (
	DragonflyBisectionFraction = 0.85
	FatTreeHops                = 4
	DragonflyHops              = 3
)

// TopoIn holds the input columns of Topology.
type TopoIn struct {
	Kind             []TopologyKind
	Nodes            []float64
	LinkBandwidth    []float64 // bytes/s
	Oversubscription []float64
}

// TopoOut holds the output columns of Topology; bandwidths in bytes/s.
type TopoOut struct {
	EffectiveBandwidth, BisectionBandwidth []float64
	BisectionFraction                      []float64
	AverageHops                            []float64
}

func (o *TopoOut) resize(n int) {
	for _, p := range []*[]float64{&o.EffectiveBandwidth, &o.BisectionBandwidth, &o.BisectionFraction, &o.AverageHops} {
		*p = grow(*p, n)
	}
}
