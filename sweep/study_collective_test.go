package sweep

import "testing"

// TestCollectiveStudy: an all-reduce of 8 GiB over one DGX A100 node (8 ranks on NVLink 3
// at the catalog's measured 230 GB/s bus bandwidth, NCCL's 8.4 µs base and 3.4 µs per
// NVLink step) and over two (k = 8 ranks per node: min(8 × 24 GB/s HDR, 8/7 × 230) =
// 192 GB/s, the 30 ring steps at the mean of 14 NVLink hops and one 14 µs network hop); more ranks than the nodes
// hold is infeasible. A node with fewer NICs than accelerators shares them: Vela's
// eight A100 behind one 400 Gb/s link run the two-node ring at min(8 × 50/8 GB/s,
// 8/7 × 230) = 50 GB/s, where one NIC per GPU would give 8 × 50 = 400 → 262.9 GB/s; a
// fabric override keeps the node's NIC count (800 Gb/s: 8 × 100/8 = 100 GB/s).
func TestCollectiveStudy(t *testing.T) {
	const m = 8 << 30
	one := 8.4e-6 + 14*3.4e-6 + 14.0/8*m/230e9
	two := 8.4e-6 + 30*(14*3.4e-6+14e-6)/15 + 30.0/16*m/192e9 // 30 steps at the mean hop
	vela := 8.4e-6 + 30*(14*3.4e-6+14e-6)/15 + 30.0/16*m/50e9
	vela800 := 8.4e-6 + 30*(14*3.4e-6+14e-6)/15 + 30.0/16*m/100e9
	for _, tc := range []struct {
		cluster, fabric, nodes, ranks string
		t, bus, link                  float64
	}{
		{"Training_1K_A100", "default", "1", "0", one, m / one * 1.75, 230},
		{"Training_1K_A100", "default", "2", "0", two, m / two * 30 / 16, 192},
		{"Vela_A100_128", "default", "2", "0", vela, m / vela * 30 / 16, 50},
		{"Vela_A100_128", "Ethernet_800G", "2", "0", vela800, m / vela800 * 30 / 16, 100},
	} {
		row := evalOne(t, "version: 1\nstudy: collective\naxes:\n  cluster: "+tc.cluster+"\n  fabric: "+tc.fabric+"\n  nodes: "+tc.nodes+"\n  message_bytes: 8589934592\n  ranks: "+tc.ranks+"\n")
		checkGolden(t, row, []golden{{"time_us", tc.t * 1e6, 1e-12}, {"busbw_gb_per_s", tc.bus * 1e-9, 1e-12}, {"link_bus_gb_per_s", tc.link, 1e-12}})
		checkInfeasible(t, row, "", "14 Communication")
	}
	// An all-to-all over the two nodes: each rank sends 8/16 of its buffer off its node at
	// its own NIC's 24 GB/s and 7/16 over NVLink beside it, so bus = 15 / max(8/24e9,
	// 7/230e9) = 45 GB/s (the ring's 192 GB/s was 4.3 times too fast), and the time is
	// 15/16 · m / 45 GB/s, (n − 1)/n · algbw as its busbw.
	a2a := 8.4e-6 + 15*(14*3.4e-6+14e-6)/15 + 15.0/16*m/(15/(8/24e9))
	row := evalOne(t, "version: 1\nstudy: collective\naxes:\n  cluster: Training_1K_A100\n  nodes: 2\n  collective: all_to_all\n  message_bytes: 8589934592\n")
	checkGolden(t, row, []golden{{"time_us", a2a * 1e6, 1e-12}, {"busbw_gb_per_s", m / a2a * 15 / 16 * 1e-9, 1e-12}, {"link_bus_gb_per_s", 45, 1e-12}})
	row = evalOne(t, "version: 1\nstudy: collective\naxes:\n  cluster: Training_1K_A100\n  nodes: 1\n  ranks: 16\n")
	checkInfeasible(t, row, "over_accelerator_limit", "14 Communication")
}

// TestCollectiveStudyNVLS: calibrated, an all-reduce inside one NVSwitch node of H200
// runs NCCL's NVLS (chosen by kernel.NVLSAllReduce, timed by kernel.NVLSAllReduceRun; by
// hand in kernel.TestNVLSAllReduceRun: 8 GiB over 8 at the H200's 370 GB/s, 23 µs +
// (m + 2 · 16 MiB) / (5/6 · 8/9 · 370 GB/s) = 31 487.08 µs, busbw 477.41 GB/s). The ring stays where NCCL would keep it: two ranks, an all-gather, a ring
// across two nodes (NVLS Tree is not priced), a DGX A100 (no reducing switch), the
// Kempner 4-GPU H100 board (nvls: false) and the seed profile.
func TestCollectiveStudyNVLS(t *testing.T) {
	const m = 8 << 30
	spec := func(extra string) string {
		return "version: 1\nstudy: collective\n" + extra + "axes:\n  cluster: Azure_ND_H200_v5\n  nodes: 1\n  message_bytes: 8589934592\n"
	}
	row := evalOne(t, spec(""))
	checkGolden(t, row, []golden{{"time_us", 31487.08, 1e-6}, {"busbw_gb_per_s", 477.41, 1e-5}, {"link_bus_gb_per_s", 370, 1e-12}})
	if row["algorithm"] != "nvls" {
		t.Errorf("H200 node, 8 GiB all-reduce: algorithm %v, want nvls", row["algorithm"])
	}
	ring8 := 8.4e-6 + 14*3.4e-6 + 14.0/8*m/370e9
	for _, tc := range []struct {
		name, src string
		t         float64
	}{
		{"seed profile", spec("profile: seed\n"), ring8},
		{"two ranks", spec("") + "  ranks: 2\n", 8.4e-6 + 2*3.4e-6 + m/370e9},
		{"all-gather", spec("") + "  collective: all_gather\n", 8.4e-6 + 7*3.4e-6 + 7.0/8*m/370e9},
		{"DGX A100", "version: 1\nstudy: collective\naxes:\n  cluster: Training_1K_A100\n  nodes: 1\n  message_bytes: 8589934592\n", 8.4e-6 + 14*3.4e-6 + 14.0/8*m/230e9},
		{"Kempner 4-GPU board", "version: 1\nstudy: collective\naxes:\n  cluster: Kempner_H100_384\n  nodes: 1\n  message_bytes: 8589934592\n", 8.4e-6 + 6*3.4e-6 + 6.0/4*m/370e9},
	} {
		row := evalOne(t, tc.src)
		checkGolden(t, row, []golden{{"time_us", tc.t * 1e6, 1e-12}})
		if row["algorithm"] != "ring" {
			t.Errorf("%s: algorithm %v, want ring", tc.name, row["algorithm"])
		}
	}
	// Across two VMs NCCL runs NVLS Tree, which is not priced: the ring over both nodes.
	row = evalOne(t, "version: 1\nstudy: collective\naxes:\n  cluster: Azure_ND_H200_v5\n  nodes: 2\n  message_bytes: 8589934592\n")
	if row["algorithm"] != "ring" {
		t.Errorf("two nodes: algorithm %v, want ring", row["algorithm"])
	}
}
