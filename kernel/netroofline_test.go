package kernel

import "testing"

// physics.md §2.5 Research_256: 32 DGX H100 nodes (256 H100) on Ethernet_100G
// (100 Gbit/s = 12.5 GB/s), oversubscription 1.
const (
	research256Accelerators = 256
	ethernet100GBytesPerS   = 12.5e9
)

func TestNetworkRoofline(t *testing.T) {
	in := &NetRoofIn{
		Params: []float64{8.03e9, 8.03e9, 25.6e6}, Bytes: []float64{2, 2, 2},
		PeakFLOPS:    []float64{989e12, 989e12, 989e12},
		Accelerators: []float64{research256Accelerators, research256Accelerators, 1},
		// A 1 PB/s fabric: the network no longer binds.
		FabricBandwidth:  []float64{ethernet100GBytesPerS, ethernet100GBytesPerS, 1e15},
		Oversubscription: []float64{1, 4, 1},
		Efficiency:       []float64{0.5, 0.5, 0.5},
	}
	var out NetRoofOut
	NetworkRoofline(&out, in)

	fleet := 989e12 * 256.0
	checkScalars(t, []scalarCase{
		// physics.md §13.4 NetworkRoofline(Llama3_8B, Research_256, fp16): CI 1.5 flop/B; ridge
		// 2.025472e7 flop/B; t_comp 3.806e-4 ms; t_net 2569.6 ms → "Network"; mfu 7.4057e-8.
		{"§13.4 CI", out.Intensity[0], 1.5, tightRel, 0},
		{"§13.4 ridge", out.Ridge[0], 2.025472e7, tightRel, 0},
		{"§13.4 t_comp ms", out.ComputeTime[0] * 1e3, 3.806e-4, 0, 5e-8},
		{"§13.4 t_net ms", out.NetworkTime[0] * 1e3, 2569.6, tightRel, 0},
		{"§13.4 mfu", out.MFU[0], 7.4057e-8, 0, 5e-13},
		// Exact forms: t_comp = 6P/(F_fleet·η), t_net = 2Pb/BW, mfu = 6P/t_net/F_fleet.
		{"t_comp exact", out.ComputeTime[0], 6 * 8.03e9 / (fleet * 0.5), tightRel, 0},
		{"latency = t_net", out.Latency[0], 2569.6e-3, tightRel, 0},
		{"mfu exact", out.MFU[0], 6 * 8.03e9 / 2.5696 / fleet, tightRel, 0},
		{"hfu = mfu", out.HFU[0], out.MFU[0], 0, 0},
		{"sync bytes", out.SyncBytes[0], 2 * 8.03e9 * 2, tightRel, 0},
		{"F_fleet·η", out.EffectiveFLOPS[0], fleet * 0.5, tightRel, 0},
		{"throughput", out.Throughput[0], 1 / 2.5696, tightRel, 0},
		// §5.2: BW_bis = fabric / oversubscription, so 4:1 takes 4× longer and the ridge is 4× higher.
		{"4:1 t_net", out.NetworkTime[1], 4 * 2.5696, tightRel, 0},
		{"4:1 ridge", out.Ridge[1], 4 * 2.025472e7, tightRel, 0},
		// One GPU on a fast fabric: compute-bound at MFU = η.
		{"compute-bound mfu", out.MFU[2], 0.5, tightRel, 0},
	})
	if !out.NetworkBound[0] || !out.NetworkBound[1] || out.NetworkBound[2] {
		t.Errorf("network-bound %v, want [true true false] (§13.4 \"Network\")", out.NetworkBound)
	}
}

func TestNetworkRooflineDoesNotAllocate(t *testing.T) {
	in := &NetRoofIn{Params: []float64{8.03e9}, Bytes: []float64{2}, PeakFLOPS: []float64{989e12},
		Accelerators: []float64{256}, FabricBandwidth: []float64{12.5e9}, Oversubscription: []float64{1},
		Efficiency: []float64{0.5}}
	var out NetRoofOut
	NetworkRoofline(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { NetworkRoofline(&out, in) }); allocs != 0 {
		t.Errorf("NetworkRoofline allocates %g times per call once its outputs are sized", allocs)
	}
}
