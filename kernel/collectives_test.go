package kernel

import (
	"math"
	"testing"
)

func TestCollectives(t *testing.T) {
	const (
		m     = 1e9    // bytes
		beta  = 50e9   // bytes/s
		alpha = 500e-9 // s
	)
	// physics.md §13.2 hierarchical: 8e9 B, 4 nodes × 8, 300e9 / 25e9 B/s, 500 ns / 5 µs.
	// Worked out by hand:
	//   intra RS = AG = 7/8·8e9/300e9 + 7·500e-9 = 7/300 + 3.5e-6 s
	//   inter ring on 1e9 B over 4 nodes = 2·3/4·1e9/25e9 + 2·3·5e-6 = 0.06 + 3e-5 s
	//   total = 14/300 + 7e-6 + 0.06003 = 0.1067036666… s (spec author: 0.106704 s)
	// With g = 1 it is a flat ring of 8e9 B over 4 nodes: 1.5·0.32 + 3e-5 = 0.48003 s.
	hier := HierarchicalAllReduce(8e9, 4, 8, 300e9, 25e9, NVLinkLatencyS, InfiniBandNDRLatencyS)
	hierFlat := HierarchicalAllReduce(8e9, 4, 1, 300e9, 25e9, NVLinkLatencyS, InfiniBandNDRLatencyS)

	checkScalars(t, []scalarCase{
		// §13.2 test_formulas F11–F13: 1e9 B, N 8, 50e9 B/s, 500 ns.
		{"ring F11", RingAllReduce(m, 8, beta, alpha), 0.035007, tightRel, 0},
		{"tree F12", TreeAllReduce(m, 8, beta, alpha), 0.120003, tightRel, 0},
		{"all-to-all F13", AllToAll(m, 8, beta, alpha), 0.0175035, tightRel, 0},
		// §13.3 docstring: ring 1 GB on 8 GPUs at 50 GB/s ≈ 35 ms.
		{"ring docstring", RingAllReduce(m, 8, beta, alpha), 35e-3, 0, 0.5e-3},

		// §3.2 tree depth is ⌈log2 N⌉: N 6 → 3 levels, N 9 → 4, N 2 → 1.
		{"tree N 6", TreeAllReduce(m, 6, beta, alpha), 2*3*0.02 + 2*3*alpha, tightRel, 0},
		{"tree N 9", TreeAllReduce(m, 9, beta, alpha), 2*4*0.02 + 2*4*alpha, tightRel, 0},
		{"tree N 2", TreeAllReduce(m, 2, beta, alpha), 2*0.02 + 2*alpha, tightRel, 0},

		// §3.2 double binary tree: 1.2·2·3·500e-9 + 1.05·2·7/8·0.02 = 3.6e-6 + 0.03675.
		{"double binary tree N 8", DoubleBinaryTreeAllReduce(m, 8, beta, alpha), 0.0367536, tightRel, 0},
		// fractional log2: log2 6 = 2.584962500721156.
		{"double binary tree N 6", DoubleBinaryTreeAllReduce(m, 6, beta, alpha),
			1.2*2*2.584962500721156*alpha + 1.05*2*5.0/6*0.02, tightRel, 0},

		{"point-to-point", PointToPoint(m, beta, alpha), 0.02 + 500e-9, tightRel, 0},

		{"hierarchical exact", hier, 14.0/300 + 7e-6 + 0.06003, tightRel, 0},
		{"hierarchical published", hier, 0.106704, 0, 5e-7},
		{"hierarchical g 1", hierFlat, 0.48003, tightRel, 0},
		{"hierarchical one node", HierarchicalAllReduce(8e9, 1, 8, 300e9, 25e9, NVLinkLatencyS, InfiniBandNDRLatencyS),
			14.0/300 + 7e-6, tightRel, 0},

		// §13.1 G5 golden DP term: ring(16.06e9/8 B, 8, 450 GB/s, 500 ns) = 7.813944444444444 ms.
		{"G5 DP all-reduce", RingAllReduce(16.06e9/8, 8, 450e9, NVLinkLatencyS), 7.813944444444444e-3, tightRel, 0},
		// G5 golden TP term: ring(128·2048·4096·2 B, 8, 450 GB/s, 500 ns)·4·32 = 1069.8656381155556 ms.
		{"G5 TP all-reduces", 4 * 32 * RingAllReduce(128*2048*4096*2, 8, 450e9, NVLinkLatencyS), 1069.8656381155556e-3, tightRel, 0},

		// §3.2 crossovers: α·β = 500e-9·50e9 = 25 000 B; N·α·β/log2 N = 8·25 000/3.
		{"alpha-beta crossover", AlphaBetaCrossover(alpha, beta), 25000, tightRel, 0},
		{"ring-tree crossover", RingTreeCrossover(8, alpha, beta), 200000.0 / 3, tightRel, 0},

		// §3.2 oversubscription 1/((1−f) + f·r).
		{"oversubscription half at 3:1", OversubscriptionEfficiency(0.5, 3), 0.5, tightRel, 0},
		{"oversubscription none crossing", OversubscriptionEfficiency(0, 4), 1, tightRel, 0},
		{"oversubscription all crossing", OversubscriptionEfficiency(1, 4), 0.25, tightRel, 0},

		// §3.2: a single participant exchanges nothing.
		{"ring N 1", RingAllReduce(m, 1, beta, alpha), 0, 0, 0},
		{"tree N 1", TreeAllReduce(m, 1, beta, alpha), 0, 0, 0},
		{"double binary tree N 1", DoubleBinaryTreeAllReduce(m, 1, beta, alpha), 0, 0, 0},
		{"all-to-all N 1", AllToAll(m, 1, beta, alpha), 0, 0, 0},
		{"ring-tree crossover N 1", RingTreeCrossover(1, alpha, beta), 0, 0, 0},
	})

	if !(hier > 0 && hier < hierFlat) {
		t.Errorf("hierarchical %g s: want > 0 and < the g = 1 value %g s (§13.2)", hier, hierFlat)
	}
	if tree, ring := TreeAllReduce(m, 8, beta, alpha), RingAllReduce(m, 8, beta, alpha); tree <= ring {
		t.Errorf("tree %g s ≤ ring %g s at 1 GB on 8 (§13.2 F12 wants tree > ring)", tree, ring)
	}
}

// Ring moves less data than a tree (2(N−1)/N < 2⌈log2 N⌉) but pays more
// latency steps (2(N−1) ≥ 2⌈log2 N⌉), so it wins for large messages and loses
// for empty ones.
func TestRingVersusTree(t *testing.T) {
	for n := 2.0; n <= 4096; n++ {
		if r, tr := RingAllReduce(1e10, n, 50e9, 5e-6), TreeAllReduce(1e10, n, 50e9, 5e-6); r > tr {
			t.Fatalf("N %g, 10 GB: ring %g s > tree %g s", n, r, tr)
		}
		if r, tr := RingAllReduce(0, n, 50e9, 5e-6), TreeAllReduce(0, n, 50e9, 5e-6); tr > r {
			t.Fatalf("N %g, 0 B: tree %g s > ring %g s", n, tr, r)
		}
	}
}

// Every collective grows with the message and is at least its latency part.
func TestCollectivesMonotoneInSize(t *testing.T) {
	fns := map[string]func(m, n, beta, alpha float64) float64{
		"ring": RingAllReduce, "tree": TreeAllReduce, "dbt": DoubleBinaryTreeAllReduce, "a2a": AllToAll,
	}
	for name, f := range fns {
		for _, n := range []float64{2, 3, 8, 100} {
			prev := f(0, n, 25e9, 5e-6)
			if prev <= 0 || math.IsNaN(prev) {
				t.Errorf("%s N %g: empty message costs %g s, want > 0", name, n, prev)
			}
			for m := 1.0; m <= 1e12; m *= 10 {
				cur := f(m, n, 25e9, 5e-6)
				if cur <= prev {
					t.Errorf("%s N %g: %g B costs %g s, not more than %g s", name, n, m, cur, prev)
				}
				prev = cur
			}
		}
	}
}

// TestMeasuredAllReduce: the ring's bandwidth term plus a measured latency of lat2 at two
// ranks and perRank for each further rank; nothing to exchange at one rank.
func TestMeasuredAllReduce(t *testing.T) {
	for _, c := range []struct{ m, n, want float64 }{
		{1e6, 1, 0},
		{0, 2, 8.7e-6},
		{1e6, 2, 1e6/450e9 + 8.7e-6},
		{1e6, 8, 1.75*1e6/450e9 + 8.7e-6 + 6*0.52e-6},
	} {
		if got := MeasuredAllReduce(c.m, c.n, 450e9, 8.7e-6, 0.52e-6); math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("MeasuredAllReduce(%g, %g) = %g, want %g", c.m, c.n, got, c.want)
		}
	}
}

// TestNCCLAllReduce: the fastest of NCCL's ring protocols, by hand from the constants of
// NVIDIA/nccl v2.20.3 src/graph/tuning.cc (Ring base 6.6/14/8.4 µs for LL/LL128/Simple;
// per step 0.6/1.9/3.4 µs over NVLink, 1.0/–/5.7 µs over PCIe; LL at a quarter of the bus,
// at most 87.7 GB/s; LL128 at 0.92 of it, NVLink only). A 128-token prompt of a 70B
// (8192 × 2 bytes a token) at four H100 takes LL128; a decode step's few kilobytes at two
// ranks take LL; a 2048-token prompt at four A100 takes Simple; over PCIe LL128 is never
// chosen, although it would be faster at four ranks and 2 MB.
func TestNCCLAllReduce(t *testing.T) {
	const mb2, mb32 = 128 * 8192 * 2, 2048 * 8192 * 2
	for _, c := range []struct {
		name      string
		m, n, bus float64
		nvlink    bool
		want      float64
	}{
		{"one rank", mb2, 1, 370e9, true, 0},
		{"nothing to send", 0, 4, 370e9, true, 0},
		{"2 MB over 4 H100: LL128", mb2, 4, 370e9, true, 14e-6 + 6*1.9e-6 + 1.5*mb2/(0.92*370e9)},
		{"16 KiB over 2 H100: LL", 16384, 2, 370e9, true, 6.6e-6 + 2*0.6e-6 + 16384/87.7e9},
		{"32 MB over 4 A100: Simple", mb32, 4, 230e9, true, 8.4e-6 + 6*3.4e-6 + 1.5*mb32/230e9},
		{"2 MB over 4 PCIe GPUs: Simple, no LL128", mb2, 4, 20e9, false, 8.4e-6 + 6*5.7e-6 + 1.5*mb2/20e9},
		{"1 KiB over 2 PCIe GPUs: LL", 1024, 2, 20e9, false, 6.6e-6 + 2*1.0e-6 + 1024/(20e9/4)},
	} {
		got := NCCLAllReduce(c.m, c.n, c.bus, c.nvlink)
		if math.Abs(got-c.want) > 1e-12*c.want || (c.want == 0) != (got == 0) {
			t.Errorf("%s: NCCLAllReduce = %.4g µs, want %.4g", c.name, got*1e6, c.want*1e6)
		}
	}
	// The LL128 choice above is 34.6 µs: 2.4× the 14.5 µs of the bus bandwidth plus the
	// 6 µs NCCL was once charged for any message.
	if got := NCCLAllReduce(mb2, 4, 370e9, true) * 1e6; math.Abs(got-34.64) > 0.01 {
		t.Errorf("2 MB over 4 H100 = %.3f µs, want 34.64", got)
	}
}

// TestGroupLink places rings on nodes of 8: inside a node the scale-up link; across
// nodes with k ranks per node min(k·NIC, k/(k−1)·scale-up) and the hops averaged over
// the ring's steps (docs/PHYSICS.md §35).
func TestGroupLink(t *testing.T) {
	const intra, intraHop, inter, interHop = 230e9, 3.4e-6, 24e9, 14e-6
	for _, tc := range []struct {
		name             string
		stride, size     float64
		wantBus, wantHop float64
	}{
		{"one rank", 1, 1, intra, intraHop},
		{"a node", 1, 8, intra, intraHop},
		// 16 ranks on 2 nodes, k = 8: min(8·24, 8/7·230) = 192 GB/s; 14 intra steps, 1 network.
		{"two nodes", 1, 16, 192e9, (14*intraHop + 1*interHop) / 15},
		// stride 8: one rank per node, k = 1: the NIC alone, every step on the network.
		{"one per node", 8, 4, inter, interHop},
		// k = 2: min(48, 2·230) = 48 GB/s over 4 nodes.
		{"two per node", 4, 8, 48e9, (4*intraHop + 3*interHop) / 7},
	} {
		bus, hop := GroupLink(tc.stride, tc.size, 8, intra, intraHop, inter, interHop)
		if bus != tc.wantBus || math.Abs(hop-tc.wantHop) > 1e-18 {
			t.Errorf("%s: bus %g, hop %g; want %g, %g", tc.name, bus, hop, tc.wantBus, tc.wantHop)
		}
	}
}

// TestBusBandwidthFactor: nccl-tests' busbw factors (doc/PERFORMANCE.md).
func TestBusBandwidthFactor(t *testing.T) {
	for _, tc := range []struct {
		c    Collective
		n    float64
		want float64
	}{{CollAllReduce, 8, 1.75}, {CollAllGather, 8, 0.875}, {CollReduceScatter, 4, 0.75}, {CollAllToAll, 2, 0.5}, {CollAllReduce, 1, 0}} {
		if got := BusBandwidthFactor(tc.c, tc.n); got != tc.want {
			t.Errorf("BusBandwidthFactor(%d, %g) = %g, want %g", tc.c, tc.n, got, tc.want)
		}
	}
}
