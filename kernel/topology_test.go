package kernel

import (
	"fmt"
	"testing"
)

func runTopo(kinds []TopologyKind, nodes []float64, link float64) *TopoOut {
	in := &TopoIn{Kind: kinds, Nodes: nodes, LinkBandwidth: fill(len(kinds), link), Oversubscription: fill(len(kinds), 1)}
	out := &TopoOut{}
	Topology(out, in)
	return out
}

func TestTopology(t *testing.T) {
	kinds := []TopologyKind{FatTree, Ring, Torus3D, Dragonfly}
	out := runTopo(kinds, []float64{64, 64, 64, 64}, 50e9)
	// physics.md §13.4 Topology(50 GB/s link, N 64): fat_tree eff 50, bisection 1600 GB/s, hops 4;
	// ring β 1/32, eff 1.5625, bisection 50, hops 16; torus β 0.5, eff 25, bisection 800, hops 3.0;
	// dragonfly eff 42.5, bisection 1360, hops 3.
	want := []struct{ frac, eff, bis, hops float64 }{
		{1, 50e9, 1600e9, 4},
		{1.0 / 32, 1.5625e9, 50e9, 16},
		{0.5, 25e9, 800e9, 3},
		{0.85, 42.5e9, 1360e9, 3},
	}
	for i, w := range want {
		k := kinds[i].String()
		checkScalars(t, []scalarCase{
			{"§13.4 " + k + " β", out.BisectionFraction[i], w.frac, tightRel, 0},
			{"§13.4 " + k + " effective", out.EffectiveBandwidth[i], w.eff, tightRel, 0},
			{"§13.4 " + k + " bisection", out.BisectionBandwidth[i], w.bis, tightRel, 0},
			{"§13.4 " + k + " hops", out.AverageHops[i], w.hops, tightRel, 0},
		})
	}

	// physics.md §13.2 test_solver_suite: ring β = 2/N for N ∈ {8, 64, 256}; fat tree 1.0;
	// torus 2·64^(−1/3) = 0.5.
	ns := []float64{8, 64, 256}
	ring := runTopo([]TopologyKind{Ring, Ring, Ring}, ns, 50e9)
	for i, n := range ns {
		checkScalars(t, []scalarCase{{fmt.Sprintf("§13.2 ring β N %g", n), ring.BisectionFraction[i], 2 / n, tightRel, 0}})
	}

	// Oversubscription divides both bandwidths; a ring of 1 node keeps β = 2 (2/max(N, 1)).
	in := &TopoIn{Kind: []TopologyKind{FatTree, Ring}, Nodes: []float64{64, 1}, LinkBandwidth: []float64{50e9, 50e9},
		Oversubscription: []float64{4, 1}}
	var o TopoOut
	Topology(&o, in)
	checkScalars(t, []scalarCase{
		{"4:1 effective", o.EffectiveBandwidth[0], 12.5e9, tightRel, 0},
		{"4:1 bisection", o.BisectionBandwidth[0], 400e9, tightRel, 0},
		{"ring N 1 β", o.BisectionFraction[1], 2, tightRel, 0},
	})
}

func TestParseTopology(t *testing.T) {
	for s, want := range map[string]TopologyKind{"fat_tree": FatTree, "fat-tree": FatTree, "Ring": Ring,
		"torus_3d": Torus3D, "torus-3d": Torus3D, "DRAGONFLY": Dragonfly} {
		if got, err := ParseTopology(s); err != nil || got != want {
			t.Errorf("ParseTopology(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseTopology("hypercube"); err == nil {
		t.Error("ParseTopology(hypercube): no error")
	}
}

func TestTopologyDoesNotAllocate(t *testing.T) {
	in := &TopoIn{Kind: []TopologyKind{Torus3D, Ring}, Nodes: []float64{512, 8}, LinkBandwidth: []float64{50e9, 25e9},
		Oversubscription: []float64{1, 2}}
	var out TopoOut
	Topology(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Topology(&out, in) }); allocs != 0 {
		t.Errorf("Topology allocates %g times per call once its outputs are sized", allocs)
	}
}
