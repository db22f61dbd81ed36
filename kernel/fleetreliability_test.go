package kernel

import (
	"math"
	"testing"
)

func TestFleetReliability(t *testing.T) {
	// physics.md §2.5 Research_256: 32 DGX H100 nodes, 8 GPUs, 8 NICs, 2 PSUs each.
	in := &FleetRelIn{
		Nodes: []float64{32, 1, 32}, GPUsPerNode: []float64{8, 8, 8}, NICsPerNode: []float64{8, 8, 8},
		PSUsPerNode: []float64{2, 2, 2}, JobDuration: []float64{336 * 3600, 336 * 3600, 0},
		CheckpointTime: []float64{DefaultCheckpointS, DefaultCheckpointS, 0},
		RecoveryTime:   []float64{DefaultRecoveryS, DefaultRecoveryS, DefaultRecoveryS},
	}
	var out FleetRelOut
	FleetReliability(&out, in)

	node := 1 / (8/50000.0 + 8/150000.0 + 2/100000.0) // hours
	fleet := node / 32
	checkScalars(t, []scalarCase{
		// physics.md §13.4 Reliability(Research_256, 336 h): node MTBF 4285.714 h; fleet 133.929 h;
		// P_fail 0.918634; τ 7606.39 s; goodput 0.991490; expected failures 2.5088.
		{"§13.4 node MTBF h", out.NodeMTBF[0] / 3600, 4285.714, 0, 5e-4},
		{"§13.4 fleet MTBF h", out.FleetMTBF[0] / 3600, 133.929, 0, 5e-4},
		{"§13.4 P_fail", out.FailureProbability[0], 0.918634, 0, 5e-7},
		{"§13.4 τ s", out.CheckpointInterval[0], 7606.39, 0, 5e-3},
		{"§13.4 goodput", out.Goodput[0], 0.991490, 0, 5e-7},
		{"§13.4 expected failures", out.ExpectedFailures[0], 2.5088, 0, 5e-5},
		// Exact forms (§7.6).
		{"node MTBF exact", out.NodeMTBF[0], node * 3600, tightRel, 0},
		{"P_fail exact", out.FailureProbability[0], 1 - math.Exp(-336/fleet), tightRel, 0},
		{"τ exact", out.CheckpointInterval[0], math.Sqrt(2 * 60 * fleet * 3600), tightRel, 0},
		{"goodput exact", out.Goodput[0], 1 - 60/math.Sqrt(2*60*fleet*3600) - 300/(fleet*3600), tightRel, 0},
		// One node: the fleet MTBF is the node's (MTBF divides by nodes, not GPUs; §14 item 20).
		{"one node fleet", out.FleetMTBF[1], node * 3600, tightRel, 0},
		// §7.6: τ = 0 (instant checkpoints) → goodput 0, as the seed guards the division.
		{"δ 0 τ", out.CheckpointInterval[2], 0, 0, 0},
		{"δ 0 goodput", out.Goodput[2], 0, 0, 0},
		{"no job, no failures", out.FailureProbability[2], 0, 0, 0},
	})
}

func TestFleetReliabilityDoesNotAllocate(t *testing.T) {
	in := &FleetRelIn{Nodes: []float64{32}, GPUsPerNode: []float64{8}, NICsPerNode: []float64{8},
		PSUsPerNode: []float64{2}, JobDuration: []float64{3600}, CheckpointTime: []float64{60}, RecoveryTime: []float64{300}}
	var out FleetRelOut
	FleetReliability(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { FleetReliability(&out, in) }); allocs != 0 {
		t.Errorf("FleetReliability allocates %g times per call once its outputs are sized", allocs)
	}
}
