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
		got := NCCLAllReduce(c.m, c.n, c.bus, c.nvlink, false)
		if math.Abs(got-c.want) > 1e-12*c.want || (c.want == 0) != (got == 0) {
			t.Errorf("%s: NCCLAllReduce = %.4g µs, want %.4g", c.name, got*1e6, c.want*1e6)
		}
	}
	// The LL128 choice above is 34.6 µs: 2.4× the 14.5 µs of the bus bandwidth plus the
	// 6 µs NCCL was once charged for any message.
	if got := NCCLAllReduce(mb2, 4, 370e9, true, false) * 1e6; math.Abs(got-34.64) > 0.01 {
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
		// qa27: 9 ranks, 8 on the first node and 1 on the second, whose one NIC carries the
		// whole ring: min(1·24, 8/7·230) = 24 GB/s (was 8 NICs' 192); 7 intra steps, 1 network.
		{"one rank on the last node", 1, 9, 24e9, (7*intraHop + 1*interHop) / 8},
		// 12 ranks: 4 on the second node: min(4·24, 8/7·230) = 96 GB/s.
		{"four on the last node", 1, 12, 96e9, (10*intraHop + 1*interHop) / 11},
		// stride 2, k = 4, 10 ranks: 4, 4, 2: min(2·24, 4/3·230) = 48 GB/s over 3 nodes.
		{"two on the last of three", 2, 10, 48e9, (7*intraHop + 2*interHop) / 9},
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

// TestNVLSAllReduce: NCCL's NVLS all-reduce by hand from NCCL v2.20.5's constants (23 µs
// once; n channels of link/(n+1) each; 5/6 of that as algorithm bandwidth). 8 GiB over
// the 8 H200 of one NVSwitch node at the catalog's 370 GB/s NVLink 4 bus bandwidth:
//
//	algbw = 5/6 · 8/9 · 370 GB/s = 274.07 GB/s
//	T     = 23 µs + 8 589 934 592 B / 274.07 GB/s = 23 µs + 31 341.65 µs = 31 364.65 µs
//	busbw = 8 589 934 592 B / T · 2·7/8 = 479.28 GB/s
//
// against the ring's 8.4 + 14 · 3.4 µs + 14/8 · m / 370 GB/s = 40 684.1 µs (369.5 GB/s).
func TestNVLSAllReduce(t *testing.T) {
	const m = 8 << 30
	got := NVLSAllReduce(m, 8, 370e9)
	relClose(t, "NVLS 8 GiB over 8", got*1e6, 31364.65, 1e-6)
	relClose(t, "NVLS busbw", m/got*1.75*1e-9, 479.28, 1e-5)
	ring := CollectiveTime(CollAllReduce, m, 8, 370e9, NCCLHopNVLinkS)
	relClose(t, "ring 8 GiB over 8", ring*1e6, 40684.1, 1e-6)
	if NVLSAllReduce(m, 1, 370e9) != 0 || NVLSAllReduce(0, 8, 370e9) != 0 {
		t.Error("one rank or nothing to send must cost 0")
	}
}

// TestNVLSAllReduceRun: NVLS as its pipeline runs it, by hand from NCCL v2.20.5's
// constants (16 channels, 8 heads on 8 GPUs, chunks of 128/64/32/16 KiB, three pipelined
// warp groups) at the H200's 370 GB/s, algbw 5/6 · 8/9 · 370 = 274.074 GB/s:
//
//	chunk thresholds, 16 · 8 = 128 concurrent chunks:
//	  128 KiB from 64 · 128 · 128 KiB = 1 GiB; 64 KiB from 8 · 128 · 64 KiB = 64 MiB;
//	  32 KiB from 2 · 128 · 32 KiB = 8 MiB; 16 KiB below
//	8 GiB:  L = 128 · 128 KiB = 16 MiB; T = 23 + (8192 + 2·16) MiB / 274.074 GB/s
//	        = 23 + 31 464.08 = 31 487.08 µs, busbw 8 GiB / T · 7/4 = 477.41 GB/s
//	16 MiB: L = 128 · 32 KiB = 4 MiB;  T = 23 + 24 MiB / 274.074 GB/s = 114.82 µs
//	8 MiB:  L = 4 MiB;                 T = 23 + 16 MiB / 274.074 GB/s = 84.21 µs
//	1 MiB:  L = 128 · 16 KiB = 2 MiB > m; T = 23 + 3 · 1 MiB / 274.074 GB/s = 34.48 µs
//
// (the tuner's formula, NVLSAllReduce: 31 364.65, 84.21, 53.61 and 26.83 µs).
func TestNVLSAllReduceRun(t *testing.T) {
	for _, c := range []struct{ m, chunk float64 }{
		{1 << 30, 128 << 10}, {1<<30 - 1, 64 << 10}, {64 << 20, 64 << 10}, {64<<20 - 1, 32 << 10},
		{8 << 20, 32 << 10}, {8<<20 - 1, 16 << 10}, {1024, 16 << 10},
	} {
		if got := NVLSChunkBytes(c.m, 8); got != c.chunk {
			t.Errorf("NVLSChunkBytes(%g, 8) = %g, want %g", c.m, got, c.chunk)
		}
	}
	// Four heads: 64 concurrent chunks, so 128 KiB from 512 MiB.
	if got := NVLSChunkBytes(512<<20, 4); got != 128<<10 {
		t.Errorf("NVLSChunkBytes(512 MiB, 4) = %g, want 128 KiB", got)
	}
	for _, c := range []struct {
		name    string
		m, want float64 // µs
	}{
		{"8 GiB", 8 << 30, 31487.08}, {"16 MiB", 16 << 20, 114.82}, {"8 MiB", 8 << 20, 84.21}, {"1 MiB", 1 << 20, 34.48},
	} {
		relClose(t, "NVLS run "+c.name, NVLSAllReduceRun(c.m, 8, 370e9)*1e6, c.want, 1e-4)
		if !(NVLSAllReduceRun(c.m, 8, 370e9) > NVLSAllReduce(c.m, 8, 370e9)) {
			t.Errorf("%s: the pipeline's run must cost more than the tuner's formula", c.name)
		}
	}
	relClose(t, "NVLS run busbw 8 GiB", float64(8<<30)/NVLSAllReduceRun(8<<30, 8, 370e9)*1.75*1e-9, 477.41, 1e-4)
	if NVLSAllReduceRun(1<<20, 1, 370e9) != 0 || NVLSAllReduceRun(0, 8, 370e9) != 0 {
		t.Error("one rank or nothing to send must cost 0")
	}
	// The ramp: algorithm bandwidth never falls as the message grows across the sizes of
	// a sweep, and approaches the tuner's 274.07 GB/s.
	prev := 0.0
	for m := 1024.0; m <= 8<<30; m *= 2 {
		bw := m / NVLSAllReduceRun(m, 8, 370e9)
		if bw < prev {
			t.Errorf("%g B: algbw %g below %g at half the size", m, bw, prev)
		}
		prev = bw
	}
}

// TestNVLSChoice: where NCCL's conditions enable NVLS and its tuner's times prefer it.
// Off without a reducing switch and at two ranks (ncclNvlsInit: gpuCount <= 2); at three
// the ring wins every size (22 µs of latency against 23, and 4/3 · m/B against
// 4/3 · 6/5 · m/B); at four the bandwidth terms are equal (3/2 · m/B both) and NVLS wins
// by its latency, 8.4 + 6 · 3.4 − 23 = 5.8 µs, at any size; from five ranks on it wins
// on bandwidth too. Among NCCLAllReduce's protocols at eight ranks LL keeps the small
// messages — 15 µs + 7/4 · m / 87.7 GB/s beats 23 µs + m / 274.07 GB/s below
// 8 µs / (1.75/87.7e9 − 1/274.07e9) = 490.6 kB — and NVLS takes the larger; over PCIe
// (no NVLink) there is no NVLS.
func TestNVLSChoice(t *testing.T) {
	const bus, hop = 370e9, NCCLHopNVLinkS
	ring := func(m, n float64) float64 { return CollectiveTime(CollAllReduce, m, n, bus, hop) }
	for _, m := range []float64{1024, 1 << 20, 1 << 30} {
		if got := RingOrNVLSAllReduce(m, 8, bus, hop, false); got != ring(m, 8) {
			t.Errorf("no NVLS switch, %g B: %g, want the ring's %g", m, got, ring(m, 8))
		}
		for _, n := range []float64{2, 3} {
			if got := RingOrNVLSAllReduce(m, n, bus, hop, true); got != ring(m, n) {
				t.Errorf("%g ranks, %g B: %g, want the ring's %g", n, m, got, ring(m, n))
			}
		}
		// Four ranks: the tuner prefers NVLS by 5.8 µs of latency; it then runs with its
		// pipeline's fill, 2 · min(m, L) · 5/4 · 6/5 / B (L = 16 · 4 · chunk).
		fill := 3 * min(m, 16*4*NVLSChunkBytes(m, 4)) / bus
		relClose(t, "four ranks: NVLS by 5.8 µs of latency less its fill", (ring(m, 4)-RingOrNVLSAllReduce(m, 4, bus, hop, true))*1e6, 5.8-fill*1e6, 1e-6)
		if got, want := RingOrNVLSAllReduce(m, 8, bus, hop, true), NVLSAllReduceRun(m, 8, bus); got != want || !(NVLSAllReduce(m, 8, bus) < ring(m, 8)) {
			t.Errorf("eight ranks, %g B: %g, want NVLS's run %g (the tuner's formula below the ring's %g)", m, got, want, ring(m, 8))
		}
	}
	crossover := 8e-6 / (1.75/87.7e9 - 1/(5.0/6*8/9*bus))
	relClose(t, "LL/NVLS crossover", crossover/1e3, 490.6, 1e-3)
	for _, c := range []struct {
		m    float64
		nvls bool // NVLS chosen
	}{{16384, false}, {0.95 * crossover, false}, {1.05 * crossover, true}, {1 << 26, true}} {
		got := NCCLAllReduce(c.m, 8, bus, true, true)
		rings := NCCLAllReduce(c.m, 8, bus, true, false)
		if nv := NVLSAllReduce(c.m, 8, bus); c.nvls && (got != NVLSAllReduceRun(c.m, 8, bus) || !(nv < rings)) || !c.nvls && got != rings {
			t.Errorf("%g B over 8: %g µs (rings %g, NVLS %g), NVLS chosen want %v", c.m, got*1e6, rings*1e6, nv*1e6, c.nvls)
		}
	}
	if got, want := NCCLAllReduce(1<<26, 8, 20e9, false, true), NCCLAllReduce(1<<26, 8, 20e9, false, false); got != want {
		t.Errorf("PCIe: %g, want the rings' %g", got, want)
	}
}

// TestNVLSInTrainingStep: a GPT layer's tensor-parallel all-reduces at tp 8 inside an
// NVSwitch node run NVLS: 2048 tokens × h 8192 × 2 bytes = 32 MiB a message, over the
// harness's 230 GB/s link, ring 8.4 + 14 · 3.4 µs + 7/4 · m / 230 GB/s against NVLS
// 23 µs + m / (5/6 · 8/9 · 230 GB/s) in NCCL's tuner, which runs with its pipeline's
// fill (NVLSAllReduceRun: 32 KiB chunks below 64 MiB, L = 16 · 8 · 32 KiB = 4 MiB,
// 2 · 4 MiB more through the link), two in the forward of a layer. Sequence parallelism
// (all-gathers and reduce-scatters) and tp 2 keep the ring; a data-parallel all-reduce
// inside the node takes NVLS, one across two nodes does not.
func TestNVLSInTrainingStep(t *testing.T) {
	base := gpt(8192, 64, 8)
	base.N, base.tp = 8, 8
	withNVLS := base
	withNVLS.nvls = true
	o := runStep(base, withNVLS)
	const m = 2048 * 8192 * 2
	ring := 8.4e-6 + 14*3.4e-6 + 1.75*m/230e9
	nvls := 23e-6 + (m+2*4<<20)*9/(8*5.0/6*230e9)
	relClose(t, "forward TP all-reduces saved", (o.LayerFwd[0]-o.LayerFwd[1])*1e6, 2*(ring-nvls)*1e6, 1e-9)
	same := func(name string, a, b gptStep) {
		t.Helper()
		o := runStep(a, b)
		if o.Step[0] != o.Step[1] {
			t.Errorf("%s: step %g with NVLS, want the ring's %g", name, o.Step[1], o.Step[0])
		}
	}
	sp, spN := base, withNVLS
	sp.sp, spN.sp = true, true
	same("sequence parallel", sp, spN)
	two, twoN := base, withNVLS
	two.N, two.tp, twoN.N, twoN.tp = 2, 2, 2, 2
	same("tp 2", two, twoN)
	dp := gpt(4096, 32, 4)
	dp.N, dp.B = 8, 8
	dpN := dp
	dpN.nvls = true
	o = runStep(dp, dpN)
	if !(o.DPComm[1] < o.DPComm[0]) {
		t.Errorf("dp 8 in one node: DP comm %g with NVLS, want below the ring's %g", o.DPComm[1], o.DPComm[0])
	}
	across, acrossN := base, withNVLS
	across.N, acrossN.N, across.B, acrossN.B = 16, 16, 2, 2
	o = runStep(across, acrossN)
	if o.DPComm[0] != o.DPComm[1] || !(o.DPComm[0] > 0) {
		t.Errorf("dp 2 across nodes: DP comm %g with NVLS, want the ring's %g (> 0)", o.DPComm[1], o.DPComm[0])
	}
}

// TestAllToAllLinkLastNode: an all-to-all whose last node holds fewer of the group's ranks
// sends more of that rank's bytes off its node (qa27). 9 ranks on nodes of 8 (NIC 24 GB/s,
// scale-up 230 GB/s): the lone rank sends 8/9 of its m bytes over its NIC, time 8/9·m/24
// GB/s, so bus = (n − 1)/n · m / time = 24 GB/s (was 8 / max(1/24, 7/230) = 192 GB/s, the
// full node's ranks' share); 16 ranks on two full nodes keep 8 / max(8/24, 7/230) = 24 GB/s.
func TestAllToAllLinkLastNode(t *testing.T) {
	const intra, inter = 230e9, 24e9
	for _, tc := range []struct{ size, want float64 }{{9, 24e9}, {16, 15.0 / (8 / inter)}, {12, 11 / math.Max(8/inter, 7/intra)}} {
		if bus, _ := AllToAllLink(1, tc.size, 8, intra, 3.4e-6, inter, 14e-6); math.Abs(bus/tc.want-1) > 1e-12 {
			t.Errorf("%g ranks: bus %g, want %g", tc.size, bus, tc.want)
		}
	}
}
