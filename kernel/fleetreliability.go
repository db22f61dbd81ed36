package kernel

import "math"

// FleetReliability is the failure exposure of a training job on a fleet of nodes
// (physics.md §7.6, ReliabilityModel; Wall 15), on the formulas of reliability.go:
//
//	MTBF_node  = NodeMTBF(g GPUs × 50 000 h, NICs × 150 000 h, PSUs × 100 000 h)
//	MTBF_fleet = MTBF_node / nodes                       (independent failures)
//	P_fail     = 1 − e^(−T_job/MTBF_fleet);  expected failures = T_job/MTBF_fleet
//	τ          = √(2·δ·MTBF_fleet)                       (Young; δ = checkpoint time)
//	goodput    = max(0, 1 − δ/τ − recovery/MTBF_fleet)   (0 if τ or MTBF_fleet is 0)
//
// The fleet's own stated MTBF is not used, and the fleet MTBF divides by nodes, not
// accelerators (§14 item 20). Inside, everything is in seconds.
func FleetReliability(out *FleetRelOut, in *FleetRelIn) {
	const hour = 3600.0
	n := len(in.Nodes)
	out.resize(n)
	for i := 0; i < n; i++ {
		node := NodeMTBF(in.GPUsPerNode[i], GPUMTTFHours*hour, in.NICsPerNode[i], NICMTTFHours*hour,
			in.PSUsPerNode[i], PSUMTTFHours*hour)
		fleet := ClusterMTBF(node, in.Nodes[i], 1)
		job, delta := in.JobDuration[i], in.CheckpointTime[i]
		tau := YoungInterval(delta, fleet)
		goodput := 0.0
		if tau > 0 && fleet > 0 {
			goodput = math.Max(0, 1-delta/tau-in.RecoveryTime[i]/fleet)
		}
		out.NodeMTBF[i] = node
		out.FleetMTBF[i] = fleet
		out.FailureProbability[i] = FailureProbability(job, fleet)
		out.CheckpointInterval[i] = tau
		out.ExpectedFailures[i] = job / fleet
		out.Goodput[i] = goodput
	}
}

// Component lifetimes and defaults of the reliability model (physics.md §2.5, §7.6, §10;
// systems/reliability.py).
const (
	GPUMTTFHours = 50_000.0
	NICMTTFHours = 150_000.0
	PSUMTTFHours = 100_000.0
	// DefaultCheckpointS and DefaultRecoveryS are the seed's checkpoint_time_s and avg_recovery_time_s.
	DefaultCheckpointS = 60.0
	DefaultRecoveryS   = 300.0
)

// FleetRelIn holds the input columns of FleetReliability.
type FleetRelIn struct {
	Nodes                    []float64 // nodes in the fleet (fleet.count)
	GPUsPerNode, NICsPerNode []float64
	PSUsPerNode              []float64 // 2 in the seed's Node default
	JobDuration              []float64 // s
	CheckpointTime           []float64 // s to write one checkpoint (δ)
	RecoveryTime             []float64 // s lost per failure
}

// FleetRelOut holds the output columns of FleetReliability; times in s.
type FleetRelOut struct {
	NodeMTBF, FleetMTBF                  []float64
	FailureProbability, ExpectedFailures []float64
	CheckpointInterval                   []float64 // Young's optimum τ
	Goodput                              []float64 // useful fraction of wall-clock time
}

func (o *FleetRelOut) resize(n int) {
	for _, p := range []*[]float64{&o.NodeMTBF, &o.FleetMTBF, &o.FailureProbability, &o.ExpectedFailures,
		&o.CheckpointInterval, &o.Goodput} {
		*p = grow(*p, n)
	}
}
