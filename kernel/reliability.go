package kernel

import "math"

// YoungInterval is Young's optimal checkpoint interval in seconds for a
// checkpoint that takes checkpointS seconds on a system with mean time between
// failures mtbfS seconds (physics.md §3.7):
//
//	τ = sqrt(2·δ·MTBF)
//
// Daly's +δ correction is deliberately not applied, as in the reference.
func YoungInterval(checkpointS, mtbfS float64) float64 {
	return math.Sqrt(2 * checkpointS * mtbfS)
}

// ClusterMTBF is the MTBF of n independent components scaled by a correlation
// factor (1 = independent), in the unit of componentMTBF (physics.md §3.7):
//
//	MTBF_cluster = MTBF_component / n · correlation
//
// Preconditions: n > 0.
func ClusterMTBF(componentMTBF, n, correlation float64) float64 {
	return componentMTBF / n * correlation
}

// NodeMTBF is the MTBF of a node that fails when any of its GPUs, NICs or PSUs
// fails (a series system; physics.md §3.7), in the unit of the MTBF arguments
// (hours in the reference):
//
//	1/MTBF_node = n_gpu/MTBF_gpu + n_nic/MTBF_nic + n_psu/MTBF_psu
//
// A part with count 0 adds no failure rate (its MTBF is then not read, and may
// be 0); a node with no parts never fails (+Inf). Preconditions: counts ≥ 0 and
// the MTBF of every part with a positive count > 0.
func NodeMTBF(nGPU, mtbfGPU, nNIC, mtbfNIC, nPSU, mtbfPSU float64) float64 {
	var rate float64
	if nGPU > 0 {
		rate += nGPU / mtbfGPU
	}
	if nNIC > 0 {
		rate += nNIC / mtbfNIC
	}
	if nPSU > 0 {
		rate += nPSU / mtbfPSU
	}
	return 1 / rate
}

// FailureProbability is the probability of at least one failure within t for
// exponentially distributed failures with mean mtbf (same unit as t;
// physics.md §3.7):
//
//	P = 1 − e^(−t/MTBF)
//
// Preconditions: t ≥ 0, mtbf > 0.
func FailureProbability(t, mtbf float64) float64 {
	return -math.Expm1(-t / mtbf)
}

// StackedAvailability is the availability of k redundant replicas of
// availability a, any one of which suffices (physics.md §3.7):
//
//	A_sys = 1 − (1 − a)^k
//
// Preconditions: a in [0, 1], k ≥ 0 (k = 0 gives 0).
func StackedAvailability(a float64, k int) float64 {
	return 1 - math.Pow(1-a, float64(k))
}
