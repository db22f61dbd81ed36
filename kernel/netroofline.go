package kernel

// NetworkRoofline is the fleet-scale roofline of data-parallel training, with the
// network in the place of memory (physics.md §5.2, NetworkRooflineModel):
//
//	F_fleet = F · N                       (F at the run's precision, N accelerators)
//	BW_bis  = fabric bandwidth / oversubscription
//	sync    = 2·P·b   bytes               (a ring all-reduce moves ≈ 2× the gradients)
//	ops     = 6·P     FLOP                (one training sample, forward + backward)
//	CI      = ops / sync;   ridge = F_fleet / BW_bis           (FLOP/byte)
//	t_comp  = ops / (F_fleet·η);   t_net = sync / BW_bis
//	latency = max(t_comp, t_net);  network-bound iff t_net > t_comp (a tie is compute)
//	MFU     = min(ops / latency / F_fleet, 1);  throughput = 1 / latency
//
// HFU equals MFU: the model executes exactly its 6·P FLOPs (Profile C's rule; the
// seed's Profile B reports min(1.1·MFU, 1), see docs/PHYSICS.md). Preconditions:
// P > 0 (the seed raises without a parameter count), N, F, bandwidth > 0.
func NetworkRoofline(out *NetRoofOut, in *NetRoofIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		p := in.Params[i]
		fleet := in.PeakFLOPS[i] * in.Accelerators[i]
		bis := in.FabricBandwidth[i] / in.Oversubscription[i]
		sync := 2 * p * in.Bytes[i]
		ops := TrainingFLOPs(p, 1)
		tComp := ops / (fleet * in.Efficiency[i])
		tNet := sync / bis
		latency := max(tComp, tNet)
		mfu := min(ops/latency/fleet, 1)

		out.Latency[i] = latency
		out.ComputeTime[i] = tComp
		out.NetworkTime[i] = tNet
		out.Intensity[i] = ops / sync
		out.Ridge[i] = fleet / bis
		out.SyncBytes[i] = sync
		out.EffectiveFLOPS[i] = fleet * in.Efficiency[i]
		out.BisectionBandwidth[i] = bis
		out.MFU[i] = mfu
		out.HFU[i] = mfu
		out.Throughput[i] = 1 / latency
		out.NetworkBound[i] = tNet > tComp
	}
}

// NetRoofIn holds the input columns of NetworkRoofline.
type NetRoofIn struct {
	Params           []float64
	Bytes            []float64 // bytes per element of the precision
	PeakFLOPS        []float64 // per accelerator, at the precision
	Accelerators     []float64 // N in the fleet
	FabricBandwidth  []float64 // bytes/s
	Oversubscription []float64 // ≥ 1
	Efficiency       []float64
}

// NetRoofOut holds the output columns of NetworkRoofline; times in s.
type NetRoofOut struct {
	Latency, ComputeTime, NetworkTime []float64
	Intensity, Ridge                  []float64 // FLOP/byte
	SyncBytes                         []float64 // the seed's memory_footprint
	EffectiveFLOPS                    []float64 // F_fleet · η
	BisectionBandwidth                []float64 // bytes/s
	MFU, HFU                          []float64
	Throughput                        []float64 // samples/s
	NetworkBound                      []bool    // the seed's bottleneck "Network" (else "Compute")
}

func (o *NetRoofOut) resize(n int) {
	for _, p := range []*[]float64{&o.Latency, &o.ComputeTime, &o.NetworkTime, &o.Intensity, &o.Ridge,
		&o.SyncBytes, &o.EffectiveFLOPS, &o.BisectionBandwidth, &o.MFU, &o.HFU, &o.Throughput} {
		*p = grow(*p, n)
	}
	o.NetworkBound = grow(o.NetworkBound, n)
}
