package kernel

import "math"

// Distributed is the 3D/4D-parallel training step (physics.md §7.2, seed Profile B;
// Wall 14). The caller first evaluates the per-accelerator step with SingleNode
// (training, local batch lb = max(1, B // dp), ZeRO over dp) and passes its
// latency and throughput in. Then, with dp = N / (tp·pp·ep):
//
//	grad  = weight bytes / tp  (× 0.01 with LoRA)
//	T_dp  = hierarchical all-reduce over ceil(dp/g) nodes of g if g > 1 and dp > g,
//	        a ring over dp inside a node (β = intra-node per direction, α = 500 ns) if dp ≤ g,
//	        a ring over the fabric if g = 1 (Profile C's fix; B used the intra-node rate)
//	T_tp  = ring(lb·S·h·b, tp) · 4 · L        (2 forward + 2 backward all-reduces per layer;
//	        intra-node link if tp ≤ g, else the fabric)
//	T_ep  = all_to_all(lb·S·h·b·k·γ, ep) over the fabric        (k experts per token, γ imbalance)
//	T_bub = node latency · (pp − 1)/(V·M + pp − 1)               (pp > 1)
//	T_dp, T_tp, T_ep ×= congestion;  T_dp /= gradient accumulation
//	step  = node + T_dp·(1 − overlap eff if overlapped) + T_tp + T_ep + T_bub, × straggler (> 1)
//	scaling efficiency = node / step;  fleet throughput = N · node throughput · scaling efficiency
//
// The fabric rate is bandwidth / oversubscription. Points whose split does not
// divide N are marked invalid (Valid false) and get zero times.
func Distributed(out *DistOut, in *DistIn) {
	n := len(in.NodeLatency)
	out.resize(n)
	for i := 0; i < n; i++ {
		tp, pp, ep := in.TP[i], in.PP[i], in.EP[i]
		total := in.Accelerators[i]
		dp, ok := DataParallel(total, tp, pp, ep)
		if !ok {
			out.invalid(i)
			continue
		}
		apn := in.PerNode[i]
		b := in.Bytes[i]
		seq := in.SeqLen[i]
		lb := LocalBatch(in.Batch[i], dp)
		h := in.Hidden[i]
		if h == 0 {
			h = DefaultHidden
		}
		intra := in.IntraBW[i]
		fabric := in.FabricBW[i] / in.Oversubscription[i]
		alphaInter := in.FabricLatency[i]
		if alphaInter == 0 {
			alphaInter = InfiniBandNDRLatencyS
		}

		grad := in.WeightBytes[i] / tp
		if in.LoRA[i] {
			grad *= LoRAGradientShare
		}
		var tDP, tTP, tEP float64
		if dp > 1 {
			switch {
			case apn <= 1:
				// One accelerator per node: the ring crosses the fabric (the seed's
				// Profile B used the intra-node rate here; Profile C fixed it).
				tDP = RingAllReduce(grad, dp, fabric, alphaInter)
			case dp > apn:
				tDP = HierarchicalAllReduce(grad, math.Ceil(dp/apn), apn, intra, fabric, NVLinkLatencyS, alphaInter)
			default:
				tDP = RingAllReduce(grad, dp, intra, NVLinkLatencyS)
			}
		}
		act := lb * seq * h * b
		if tp > 1 {
			layers := in.Layers[i]
			if layers == 0 {
				layers = 1
			}
			beta, alpha := intra, NVLinkLatencyS
			if tp > apn {
				beta, alpha = fabric, alphaInter
			}
			tTP = RingAllReduce(act, tp, beta, alpha) * TPAllReducesPerLayer * layers
		}
		if ep > 1 {
			k := in.ExpertsPerToken[i]
			if k == 0 {
				k = 1
			}
			tEP = AllToAll(act*k*in.Imbalance[i], ep, fabric, alphaInter)
		}
		node := in.NodeLatency[i]
		bubbleFrac, tBubble := 0.0, 0.0
		if pp > 1 {
			bubbleFrac = PipelineBubble(pp, in.Microbatches[i], in.VirtualStages[i])
			tBubble = node * bubbleFrac
		}
		c := in.Congestion[i]
		tDP, tTP, tEP = tDP*c, tTP*c, tEP*c
		tDP /= in.GradAccum[i]
		comm := tDP + tTP + tEP
		step := node + comm + tBubble
		if in.Overlap[i] {
			step = node + tDP*(1-in.OverlapEfficiency[i]) + tTP + tEP + tBubble
		}
		if s := in.Straggler[i]; s > 1 {
			step *= s
		}
		eff := node / step

		out.Valid[i] = true
		out.DP[i] = dp
		out.LocalBatch[i] = lb
		out.DPComm[i] = tDP
		out.TPComm[i] = tTP
		out.EPComm[i] = tEP
		out.Comm[i] = comm
		out.Bubble[i] = tBubble
		out.BubbleFraction[i] = bubbleFrac
		out.Step[i] = step
		out.ScalingEfficiency[i] = eff
		out.Throughput[i] = total * in.NodeThroughput[i] * eff
	}
}

// DataParallel is dp = N / (tp·pp·ep); ok is false when the split does not divide
// the accelerators (the seed raises for that). For whole numbers below 2^53 the
// quotient is exact when the split divides and never whole otherwise, so the
// test needs no math.Mod (a tenth of the fleet study's evaluation).
func DataParallel(accelerators, tp, pp, ep float64) (dp float64, ok bool) {
	g := tp * pp * ep
	dp = accelerators / g
	if g > accelerators || dp != math.Trunc(dp) || dp*g != accelerators {
		return 0, false
	}
	return dp, true
}

// LocalBatch is the per-replica batch max(1, B // dp).
func LocalBatch(batch, dp float64) float64 { return math.Max(1, math.Floor(batch/dp)) }

// Constants of the distributed model (physics.md §10).
const (
	// TPAllReducesPerLayer: 2 forward + 2 backward activation all-reduces (seed audit 2026-09-15).
	TPAllReducesPerLayer = 4
	// LoRAGradientShare: LoRA synchronises ≈ 1 % of the gradient volume.
	LoRAGradientShare = 0.01
	// DefaultOverlapEfficiency is DEFAULT_OVERLAP_EFFICIENCY.
	DefaultOverlapEfficiency = 0.85
)

// DistIn holds the input columns of Distributed.
type DistIn struct {
	NodeLatency, NodeThroughput []float64 // from SingleNode on the local batch (s, samples/s)
	WeightBytes                 []float64 // model weights at the precision
	Layers, Hidden              []float64
	ExpertsPerToken             []float64 // MoE top-k (0 = 1)
	Bytes                       []float64
	Batch, SeqLen               []float64 // global batch (samples), tokens
	Accelerators, PerNode       []float64 // N, accelerators per node g
	IntraBW                     []float64 // per-direction intra-node bytes/s
	FabricBW, FabricLatency     []float64 // bytes/s per accelerator NIC, s (0 = 5 µs)
	Oversubscription            []float64
	TP, PP, EP                  []float64
	Microbatches, VirtualStages []float64
	GradAccum                   []float64
	Congestion, Straggler       []float64
	Imbalance                   []float64 // MoE routing imbalance γ ≥ 1
	OverlapEfficiency           []float64
	Overlap, LoRA               []bool
}

// DistOut holds the output columns of Distributed; times in seconds.
type DistOut struct {
	Valid                         []bool
	DP, LocalBatch                []float64
	DPComm, TPComm, EPComm, Comm  []float64
	Bubble, BubbleFraction, Step  []float64
	ScalingEfficiency, Throughput []float64
}

func (o *DistOut) resize(n int) {
	for _, p := range []*[]float64{&o.DP, &o.LocalBatch, &o.DPComm, &o.TPComm, &o.EPComm, &o.Comm, &o.Bubble,
		&o.BubbleFraction, &o.Step, &o.ScalingEfficiency, &o.Throughput} {
		*p = grow(*p, n)
	}
	o.Valid = grow(o.Valid, n)
}

func (o *DistOut) invalid(i int) {
	o.Valid[i] = false
	o.DP[i], o.LocalBatch[i], o.DPComm[i], o.TPComm[i], o.EPComm[i], o.Comm[i] = 0, 0, 0, 0, 0, 0
	o.Bubble[i], o.BubbleFraction[i], o.Step[i], o.ScalingEfficiency[i], o.Throughput[i] = 0, 0, 0, 0, 0
}
