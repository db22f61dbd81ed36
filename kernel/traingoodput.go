package kernel

import "math"

// The calibrated profile's whole-run reliability term (docs/PHYSICS.md §18.1): the share of a
// training job's elapsed time that trains, once node failures, restarts, the work redone
// since the last checkpoint and the blocking checkpoint writes are counted. The seed's
// reliability model (FleetReliability, §18) is left as the seed had it; this one is what
// the fleet study's goodput column uses under calibrated.
//
// Sources, none of them a validation case's own (testdata/validation/README.md, "failures,
// restarts and checkpoints"):
//   - the node failure rate and the restart overhead: Kokolis et al. 2024, "Revisiting
//     Reliability in Large-Scale Machine Learning Research Clusters" (Meta FAIR,
//     arXiv:2410.21680, HPCA 2025): RSC-1 (16K A100 in 8-GPU nodes) fails 6.50 times per
//     1,000 node-days over jobs of more than 128 GPUs, the rate from which the paper projects
//     a 1.8 h MTTF at 16,384 GPUs; restart overhead u0 of 5–20 min, 5 min where the paper's
//     expected ETTR is compared with measured jobs;
//   - the checkpoint size: mixed-precision Adam keeps 16-bit weights, FP32 master weights and
//     two FP32 moments (Rajbhandari et al. 2020, ZeRO, §3.1: K = 12 bytes of optimizer state
//     per parameter), 14 bytes a parameter; the gradients are not saved;
//   - the write bandwidth: NVIDIA DGX SuperPOD Reference Architecture (DGX H100,
//     RA-11333-001 V11, 2023-09-22), Table 6, the "Good" level Table 5 assigns to natural
//     language processing: 30 GB/s of aggregate write for 4 scalable units of 32 nodes; the
//     same document: checkpoints "are typically written synchronously that blocks forward
//     progress";
//   - the interval and the waste: Young 1974 ("A first order approximation to the optimum
//     checkpoint interval", CACM 17(9)) and the first-order waste of Daly 2006 ("A higher
//     order estimate of the optimum checkpoint interval for restart dumps", FGCS 22(3)).
const (
	// NodeFailuresPer1000NodeDays is Kokolis et al.'s r_f for RSC-1 (8-GPU A100 nodes).
	NodeFailuresPer1000NodeDays = 6.5
	// RestartOverheadS is Kokolis et al.'s u0 where their E[ETTR] meets measured jobs: 5 min.
	RestartOverheadS = 300.0
	// CheckpointWriteBytesPerSPerNode is the DGX SuperPOD RA's 30 GB/s over 128 nodes.
	CheckpointWriteBytesPerSPerNode = 30e9 / 128
	// CheckpointBytesPerParamMixedAdam is 2 (16-bit weights) + 4 (FP32 master) + 8 (two FP32
	// moments); CheckpointBytesPerParamMixedAdamBF16Moments keeps the moments in BF16.
	CheckpointBytesPerParamMixedAdam            = 14.0
	CheckpointBytesPerParamMixedAdamBF16Moments = 10.0
)

// GoodputIn is one training job's reliability inputs, in SI units.
type GoodputIn struct {
	Nodes              float64 // nodes the job holds
	FailuresPerNodeS   float64 // failures per node-second (r_f); 0: the job never fails
	CheckpointBytes    float64 // bytes one checkpoint writes
	WriteBytesPerSNode float64 // write bandwidth to shared storage per node
	RestartS           float64 // time from a failure's restart to training again (u0)
	IntervalS          float64 // checkpoint interval; 0: Young's optimum √(2·δ·M)
	WorkS              float64 // the job's useful work J; 0: unknown (a run that never ends)
}

// GoodputOut is the job's reliability outcome; times in seconds.
type GoodputOut struct {
	MTBF       float64 // M = 1/(nodes·r_f); +Inf when r_f is 0
	WriteS     float64 // δ = checkpoint bytes / (nodes · per-node bandwidth)
	IntervalS  float64 // τ used; 0 when the job never fails and no interval is given
	WriteShare float64 // share of the time spent writing: δ/τ, or ⌊J/τ⌋·δ/J (0 when τ > J)
	ReworkS    float64 // expected work redone per failure: τ/2, or (⌊J/τ⌋·τ²/2 + r²/2)/J
	Goodput    float64 // max(0, 1 − WriteShare − (ReworkS + u0)/M)
}

// TrainingGoodput is the share of a job's elapsed time that trains (docs/PHYSICS.md §18.1):
//
//	M = 1/(nodes · r_f),  δ = bytes/(nodes · b_w),  τ = interval or √(2·δ·M)
//	J unknown (0):  goodput = max(0, 1 − δ/τ − (τ/2 + u0)/M)
//	J known:        n = ⌊J/τ⌋, r = J − n·τ,  L = (n·τ²/2 + r²/2)/J
//	                goodput = max(0, 1 − n·δ/J − (L + u0)/M)
//
// Each failure costs the restart u0 and the work done since the last checkpoint: a failure
// at a point t uniform over the job's J seconds of work redoes t − τ·⌊t/τ⌋, L on average
// (τ/2 when J ≫ τ, J/2 when τ > J); the job writes one checkpoint after each full interval
// of work, n in all (none when τ > J). When J is a multiple of τ the two forms agree. A job
// that never fails (r_f = 0) writes no checkpoints unless an interval is given.
// Preconditions: nodes > 0, bandwidth > 0, the rest ≥ 0.
func TrainingGoodput(in GoodputIn) GoodputOut {
	var o GoodputOut
	o.WriteS = in.CheckpointBytes / (in.Nodes * in.WriteBytesPerSNode)
	o.MTBF = math.Inf(1)
	if in.FailuresPerNodeS > 0 {
		o.MTBF = 1 / (in.Nodes * in.FailuresPerNodeS)
	}
	o.IntervalS = in.IntervalS
	if o.IntervalS == 0 && in.FailuresPerNodeS > 0 {
		o.IntervalS = YoungInterval(o.WriteS, o.MTBF)
	}
	tau, work := o.IntervalS, in.WorkS
	switch {
	case tau <= 0: // no interval (δ 0 at Young's, or a job that never fails): no writes, no rework
	case work <= 0: // a run of unknown length: the steady-state rates
		o.WriteShare, o.ReworkS = o.WriteS/tau, tau/2
	default:
		n := math.Floor(work / tau)
		// Keep n·τ ≤ J < (n+1)·τ where J/τ rounds across an integer.
		if n > 0 && n*tau > work {
			n--
		} else if (n+1)*tau <= work {
			n++
		}
		r := work - n*tau
		o.WriteShare, o.ReworkS = n*o.WriteS/work, (n*tau*tau/2+r*r/2)/work
	}
	waste := o.WriteShare
	if in.FailuresPerNodeS > 0 {
		waste += (o.ReworkS + in.RestartS) / o.MTBF
	}
	o.Goodput = math.Max(0, 1-waste)
	return o
}
