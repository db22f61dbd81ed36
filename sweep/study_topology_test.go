package sweep

import (
	"fmt"
	"testing"
)

func topologyPoint(fabric, topo string, nodes int) string {
	return fmt.Sprintf("version: 1\nstudy: topology\naxes:\n  fabric: [%s]\n  topology: [%s]\n  nodes: %d\n", fabric, topo, nodes)
}

// physics.md §13.4: Topology(50 GB/s link, N 64), here on Ethernet_400G (400 Gb/s = 50 GB/s,
// oversubscription 1).
func TestTopologyVectors(t *testing.T) {
	cases := []struct {
		topo                 string
		beta, eff, bis, hops float64
		wall                 string
	}{
		{"fat_tree", 1, 50, 1600, 4, ""},
		{"ring", 1.0 / 32, 1.5625, 50, 16, "10 Locality"},
		{"torus_3d", 0.5, 25, 800, 3, "10 Locality"},
		{"dragonfly", 0.85, 42.5, 1360, 3, "10 Locality"},
	}
	for _, c := range cases {
		row := evalOne(t, topologyPoint("Ethernet_400G", c.topo, 64))
		checkGolden(t, row, []golden{
			{"link_gb_per_s", 50, 0}, {"oversubscription", 1, 0},
			{"bisection_fraction", c.beta, 1e-15}, {"effective_bandwidth_gb_per_s", c.eff, 1e-15},
			{"bisection_bandwidth_gb_per_s", c.bis, 1e-15}, {"average_hops", c.hops, 1e-15},
			{"wall_10_locality_slack", c.beta, 1e-15},
		})
		checkInfeasible(t, row, "", c.wall)
	}
	// §13.2: ring β = 2/N for N ∈ {8, 64, 256}.
	for _, n := range []int{8, 64, 256} {
		checkGolden(t, evalOne(t, topologyPoint("InfiniBand_NDR", "ring", n)), []golden{{"bisection_fraction", 2 / float64(n), 1e-15}})
	}
	checkRefused(t, topologyPoint("default", "ring", 8), "needs a catalog fabric")
}

func TestTopologyGrid(t *testing.T) {
	rows := checkStudyGrid(t, `version: 1
study: topology
axes:
  fabric: [Ethernet_10G, InfiniBand_NDR]
  topology: all
  nodes: [1, 2, 8, 27, 64, 1000]
`)
	for _, r := range rows {
		if r["feasible"] != true {
			t.Fatalf("point %v infeasible: topology has no failure mode", r["point_id"])
		}
	}
}
