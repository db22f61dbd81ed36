package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func relClose(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("%s = %.16g, want %.16g (rel tol %g)", name, got, want, tol)
	}
}

// g5Node evaluates the node step of golden G5: Llama3_8B (P 8.03e9, 32 layers,
// h 4096, 32 heads, 1.606e10 FLOP/token) training on one H100 (989 TFLOP/s,
// 80 GiB, 3.35 TB/s, PCIe Gen5 64 GB/s, dispatch 0.01 ms, 700 W), local batch
// 128, seq 2048, fp16, η 0.45, ZeRO-1 over dp 8 (physics.md §13.1 G5).
func g5Node(lb float64) (*NodeOut, *NodeIn) {
	one := func(v float64) []float64 { return []float64{v} }
	in := &NodeIn{Ops: one(1.606e10), WeightBytes: one(8.03e9 * 2), Params: one(8.03e9), Layers: one(32),
		Hidden: one(4096), Heads: one(32), Bytes: one(2), IsTransformer: []bool{true}, Training: []bool{true},
		Recompute: []bool{false}, LoRA: []bool{false}, ZeROStage: one(1), DPSize: one(8), SeqLen: one(2048),
		Batch: one(lb), Efficiency: one(0.45), PeakFLOPS: one(989e12), MemCapacity: one(80 << 30),
		MemBandwidth: one(3.35e12), SRAMCapacity: one(0), SRAMBandwidth: one(0), FlashBandwidth: one(0),
		HostBandwidth: one(64e9), DispatchTax: one(0.01e-3), TDP: one(700)}
	var out NodeOut
	SingleNode(&out, in)
	return &out, in
}

func g5In(node *NodeOut) *DistIn {
	one := func(v float64) []float64 { return []float64{v} }
	return &DistIn{NodeLatency: node.Latency, NodeThroughput: node.Throughput, WeightBytes: one(16.06e9),
		Layers: one(32), Hidden: one(4096), ExpertsPerToken: one(0), Bytes: one(2), Batch: one(1024), SeqLen: one(2048),
		// Research_256: 32 × DGX_H100 (8 GPUs, NVLink 900 GB/s total → 450 GB/s per direction), Ethernet_100G 12.5 GB/s, 50 µs.
		Accelerators: one(256), PerNode: one(8), IntraBW: one(450e9), FabricBW: one(12.5e9), FabricLatency: one(50e-6),
		Oversubscription: one(1), TP: one(8), PP: one(4), EP: one(1), Microbatches: one(16), VirtualStages: one(1),
		GradAccum: one(1), Congestion: one(1), Straggler: one(1), Imbalance: one(1), OverlapEfficiency: one(0.85),
		Overlap: []bool{false}, LoRA: []bool{false}}
}

// TestDistributedG5 reproduces golden G5 (physics.md §13.1, test_golden_regressions.py).
func TestDistributedG5(t *testing.T) {
	node, _ := g5Node(128) // lb = 1024 // dp 8
	relClose(t, "node latency ms", node.Latency[0]*1e3, 3463.9075, 1e-12)
	var out DistOut
	Distributed(&out, g5In(node))
	if !out.Valid[0] || out.DP[0] != 8 || out.LocalBatch[0] != 128 {
		t.Fatalf("valid %v dp %v lb %v, want true 8 128", out.Valid[0], out.DP[0], out.LocalBatch[0])
	}
	const tol = 1e-9
	relClose(t, "step ms", out.Step[0]*1e3, 5088.519845717895, tol)
	relClose(t, "comm ms", out.Comm[0]*1e3, 1077.67958256, tol)
	relClose(t, "dp ms", out.DPComm[0]*1e3, 7.813944444444444, tol)
	relClose(t, "tp ms", out.TPComm[0]*1e3, 1069.8656381155556, tol)
	relClose(t, "bubble ms", out.Bubble[0]*1e3, 546.9327631578948, tol)
	relClose(t, "throughput", out.Throughput[0], 6439.59363302376, tol)
	relClose(t, "scaling efficiency", out.ScalingEfficiency[0], 0.6807298792231218, tol)
	relClose(t, "bubble fraction", out.BubbleFraction[0], 3.0/19, tol)
}

func TestDistributedVariants(t *testing.T) {
	node, _ := g5Node(128)
	base := g5In(node)
	var ref DistOut
	Distributed(&ref, base)

	t.Run("split that does not divide is invalid", func(t *testing.T) {
		in := g5In(node)
		in.TP[0] = 3 // 256 / 3 (seed test: tp_size=3 on 256 GPUs raises)
		var out DistOut
		Distributed(&out, in)
		if out.Valid[0] || out.Step[0] != 0 {
			t.Errorf("tp 3 on 256: valid %v step %v, want invalid and 0", out.Valid[0], out.Step[0])
		}
	})
	t.Run("overlap hides 85 % of the DP all-reduce", func(t *testing.T) {
		in := g5In(node)
		in.Overlap[0] = true
		var out DistOut
		Distributed(&out, in)
		want := ref.Step[0] - ref.DPComm[0]*0.85
		relClose(t, "step", out.Step[0], want, 1e-12)
		relClose(t, "comm (not discounted)", out.Comm[0], ref.Comm[0], 1e-12)
	})
	t.Run("gradient accumulation divides DP only", func(t *testing.T) {
		in := g5In(node)
		in.GradAccum[0] = 4
		var out DistOut
		Distributed(&out, in)
		relClose(t, "dp", out.DPComm[0], ref.DPComm[0]/4, 1e-12)
		relClose(t, "tp", out.TPComm[0], ref.TPComm[0], 1e-12)
	})
	t.Run("straggler scales the step", func(t *testing.T) {
		in := g5In(node)
		in.Straggler[0] = 1.1
		var out DistOut
		Distributed(&out, in)
		relClose(t, "step", out.Step[0], ref.Step[0]*1.1, 1e-12)
	})
	t.Run("dp beyond a node goes hierarchical", func(t *testing.T) {
		in := g5In(node)
		in.TP[0], in.PP[0] = 1, 1 // dp 256 over 32 nodes of 8
		var out DistOut
		Distributed(&out, in)
		want := HierarchicalAllReduce(16.06e9, 32, 8, 450e9, 12.5e9, NVLinkLatencyS, 50e-6)
		relClose(t, "dp", out.DPComm[0], want, 1e-12)
		if out.TPComm[0] != 0 || out.Bubble[0] != 0 {
			t.Errorf("tp %v bubble %v, want 0 without tp/pp", out.TPComm[0], out.Bubble[0])
		}
	})
	t.Run("tp beyond a node uses the fabric", func(t *testing.T) {
		in := g5In(node)
		in.TP[0], in.PP[0] = 16, 1
		var out DistOut
		Distributed(&out, in)
		want := RingAllReduce(64*2048*4096*2, 16, 12.5e9, 50e-6) * 4 * 32 // dp 16 → local batch 64
		relClose(t, "tp", out.TPComm[0], want, 1e-12)
	})
	t.Run("expert parallel all-to-all with top-k and imbalance", func(t *testing.T) {
		in := g5In(node)
		in.TP[0], in.PP[0], in.EP[0], in.ExpertsPerToken[0], in.Imbalance[0] = 1, 1, 8, 2, 1.5
		var out DistOut
		Distributed(&out, in)
		want := AllToAll(32*2048*4096*2*2*1.5, 8, 12.5e9, 50e-6) // dp 32 → local batch 32; physics.md §7.2 EP term
		relClose(t, "ep", out.EPComm[0], want, 1e-12)
	})
}

// TestSustainabilityEconomicsG6 reproduces goldens G6a and G6b (physics.md §13.1):
// Research_256 (256 H100 at 700 W), 1 day, utilisation 0.45, US_Avg grid
// (429 gCO2e/kWh, WUE 1.8) with the fleet's fallback PUE 1.12, 0.12 USD/kWh.
// G6b implies a unit cost of 25,000 USD per H100; this test passes that value
// explicitly (the catalog keeps the registry's 30,000 USD with its source).
func TestSustainabilityEconomicsG6(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	var s SustainOut
	Sustainability(&s, &SustainIn{Accelerators: one(256), TDP: one(700), Utilization: one(0.45), Days: one(1),
		PUE: one(1.12), CarbonGPerKWh: one(429), WUE: one(1.8), EmbodiedKg: one(0)})
	const tol = 1e-12
	relClose(t, "it energy kWh", s.ITEnergyKWh[0], 2644.992, tol)
	relClose(t, "energy kWh", s.EnergyKWh[0], 2962.39104, tol)
	relClose(t, "carbon kg", s.CarbonKg[0], 1270.86575616, tol)
	relClose(t, "water L", s.WaterL[0], 5332.303872, tol)

	var e EconOut
	Economics(&e, &EconIn{Accelerators: one(256), UnitCostUSD: one(25000), InfraMultiplier: one(1),
		AmortizationYears: one(3), Days: one(1), EnergyKWh: s.EnergyKWh, PriceUSDPerKWh: one(0.12),
		CarbonKg: s.CarbonKg, CarbonTaxUSDPerT: one(0)})
	relClose(t, "capex", e.CapexUSD[0], 5844.748858447489, tol)
	relClose(t, "energy cost", e.EnergyCostUSD[0], 355.48692480000005, tol)
	relClose(t, "maintenance", e.MaintenanceUSD[0], 876.7123287671233, tol)
	relClose(t, "opex", e.OpexUSD[0], 1232.1992535671234, tol)
	relClose(t, "tco", e.TCOUSD[0], 7076.948112014612, tol)
}

// TestPlacementReference reproduces the §13.4 placement table (Research_256,
// 30 days, utilisation 1, unit cost 30,000 USD, carbon tax 100 USD/t).
func TestPlacementReference(t *testing.T) {
	regions := []struct {
		name                   string
		ci, pue, wue           float64
		kWh, tco, tons, object float64
	}{
		// The fleet has no datacenter, so the seed's PUE is the region's (all 1.12 / 1.06 / 1.12).
		{"US_Avg", 429, 1.12, 1.8, 144506.88, 259313.43, 61.993, 265512.77},
		{"Quebec", 20, 1.06, 0, 136765.44, 258384.46, 2.735, 258657.99},
		{"Iowa", 680, 1.12, 1.8, 144506.88, 259313.43, 98.265, 269139.90},
	}
	for _, r := range regions {
		one := func(v float64) []float64 { return []float64{v} }
		var s SustainOut
		Sustainability(&s, &SustainIn{Accelerators: one(256), TDP: one(700), Utilization: one(1), Days: one(30),
			PUE: one(r.pue), CarbonGPerKWh: one(r.ci), WUE: one(r.wue), EmbodiedKg: one(0)})
		var e EconOut
		Economics(&e, &EconIn{Accelerators: one(256), UnitCostUSD: one(30000), InfraMultiplier: one(1),
			AmortizationYears: one(3), Days: one(30), EnergyKWh: s.EnergyKWh, PriceUSDPerKWh: one(0.12),
			CarbonKg: s.CarbonKg, CarbonTaxUSDPerT: one(100)})
		// §13.4 prints 2 decimals (USD, kWh) and 3 (tons): compare to half a unit of the last digit.
		if math.Abs(s.EnergyKWh[0]-r.kWh) > 0.005 || math.Abs(e.TCOUSD[0]-r.tco) > 0.005 ||
			math.Abs(s.CarbonKg[0]/1000-r.tons) > 0.0005 || math.Abs(e.ObjectiveUSD[0]-r.object) > 0.005 {
			t.Errorf("%s: kWh %.2f tco %.2f t %.3f objective %.2f, want %v %v %v %v", r.name,
				s.EnergyKWh[0], e.TCOUSD[0], s.CarbonKg[0]/1000, e.ObjectiveUSD[0], r.kWh, r.tco, r.tons, r.object)
		}
	}
}

// One accelerator per node: the DP ring crosses the fabric (Profile C, test
// test_dp_ring_crosses_fabric_when_each_node_holds_one_rank; physics.md §7.2).
func TestDistributedOnePerNodeRingUsesFabric(t *testing.T) {
	node, _ := g5Node(128)
	in := g5In(node)
	in.PerNode[0], in.TP[0], in.PP[0], in.Accelerators[0] = 1, 1, 1, 8
	var out DistOut
	Distributed(&out, in)
	want := RingAllReduce(16.06e9, 8, 12.5e9, 50e-6)
	relClose(t, "dp over fabric", out.DPComm[0], want, 1e-12)
}

// TestDataParallel: dp = N / (tp·pp·ep) when the split divides N; the
// divisibility test agrees with math.Mod on whole numbers up to 2^52.
func TestDataParallel(t *testing.T) {
	for _, c := range []struct {
		n, tp, pp, ep, dp float64
		ok                bool
	}{
		{256, 8, 4, 1, 8, true},
		{256, 8, 4, 8, 1, true},
		{256, 3, 1, 1, 0, false},
		{8, 16, 1, 1, 0, false},
		{1 << 52, 1 << 20, 4, 1, 1 << 30, true},
		{1<<52 - 2, 1 << 20, 1, 1, 0, false},
	} {
		dp, ok := DataParallel(c.n, c.tp, c.pp, c.ep)
		if dp != c.dp || ok != c.ok {
			t.Errorf("DataParallel(%g, %g, %g, %g) = %g, %v; want %g, %v", c.n, c.tp, c.pp, c.ep, dp, ok, c.dp, c.ok)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		g := float64(1 + rng.Int64N(1<<20))
		n := float64(1 + rng.Int64N(1<<52))
		if rng.IntN(2) == 0 {
			n = g * float64(1+rng.Int64N(1<<30)) // divisible
		}
		_, ok := DataParallel(n, g, 1, 1)
		if want := g <= n && math.Mod(n, g) == 0; ok != want {
			t.Fatalf("DataParallel(%g, %g): ok %v, math.Mod says %v", n, g, ok, want)
		}
	}
}
