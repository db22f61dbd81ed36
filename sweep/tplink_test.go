package sweep

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// TestTPLinkPCIeOnly: tensor parallelism on a PCIe-only part runs at its own PCIe rate,
// not the generic 64 GB/s fallback (issue #15). The T4 is a PCIe Gen3 x16 card (NVIDIA
// T4 product brief): 8 GT/s × 16 lanes × 128/130 ÷ 8 = 15.75 GB/s per direction. Serving
// Llama3_8B in FP16 at tp 2, a decode step all-reduces batch × 4096 × 2 bytes twice in
// each of 32 layers; a ring of 2 moves 2·(2−1)/2 = 1 message per rank. Between batch 64
// and 128 only the message grows, by 64 × 4096 × 2 = 524,288 bytes, so the exchange time
// grows by 32 × 2 × 524,288 / 15.75e9 s = 2.13044 ms (latency terms cancel). Under the
// seed profile the registry's T4 has no link and the step keeps the seed's 64 GB/s:
// 32 × 2 × 524,288 / 64e9 s = 0.524288 ms.
func TestTPLinkPCIeOnly(t *testing.T) {
	comm := func(profile string, batch string) float64 {
		row := evalOne(t, "version: 1\nstudy: serve\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  hardware: [T4]\n"+
			"  precision: [fp16]\n  tp: 2\n  batch_size: "+batch+"\n  seq_len: 512\n")
		return row["tp_comm_ms"].(float64)
	}
	for _, tc := range []struct {
		profile string
		want    float64
	}{
		{"calibrated", 32 * 2 * 524288 / 15.75e9 * 1e3},
		{"seed", 32 * 2 * 524288 / 64e9 * 1e3},
	} {
		got := comm(tc.profile, "128") - comm(tc.profile, "64")
		if math.Abs(got-tc.want) > 1e-9*tc.want {
			t.Errorf("%s: tp_comm_ms grows by %v ms from batch 64 to 128, want %v", tc.profile, got, tc.want)
		}
	}
}

// TestHWTableLinks: the link tensor parallelism crosses, per accelerator and profile. A
// scale-up link's per-direction rate (MI250X: 8 Infinity Fabric links × 100 GB/s send +
// receive = 800 GB/s, 400 per direction; H100 NVLink 900 / 2 = 450), else the host link
// (T4 PCIe Gen3 x16, 15.75), else the 64 GB/s fallback (Jetson Orin Nano: no link). The
// seed sees the registry's links only: the MI250X and T4 links added for issue #15 are
// not there, so both fall back to 64 GB/s, and the H100 keeps its NVLink.
func TestHWTableLinks(t *testing.T) {
	cat := catalog.MustDefault()
	var hs []*catalog.Hardware
	keys := []string{"T4", "MI250X", "H100", "JetsonOrinNano"}
	for _, k := range keys {
		h, err := cat.HardwareByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	for _, tc := range []struct {
		seed         bool
		tp, host, up []float64
		scaleBusOfT4 float64
	}{
		{false, []float64{15.75e9, 400e9, 450e9, 64e9}, []float64{15.75e9, 0, 64e9, 0}, []float64{0, 1, 1, 0}, 15.75e9},
		{true, []float64{64e9, 64e9, 450e9, 64e9}, []float64{0, 0, 64e9, 0}, []float64{0, 0, 1, 0}, 64e9},
	} {
		tab := newHWTable(hs, tc.seed)
		for i, k := range keys {
			if tab.tpBW[i] != tc.tp[i] || tab.hostBW[i] != tc.host[i] || tab.scaleUp[i] != tc.up[i] {
				t.Errorf("seed %v, %s: tp link %v, host %v, scale-up %v; want %v, %v, %v", tc.seed, k,
					tab.tpBW[i], tab.hostBW[i], tab.scaleUp[i], tc.tp[i], tc.host[i], tc.up[i])
			}
		}
		if tab.scaleBus[0] != tc.scaleBusOfT4 {
			t.Errorf("seed %v: T4 exchanges at %v B/s calibrated, want %v (no bus measurement: the link's rate)", tc.seed, tab.scaleBus[0], tc.scaleBusOfT4)
		}
	}
}

// TestTPLinkNotes: eval, serve and grids say which link tensor parallelism crosses where
// it is not a scale-up link, and say nothing at tp 1 or on a scale-up link.
func TestTPLinkNotes(t *testing.T) {
	notes := func(src string) []string { return mustPlan(t, src).TPLinkNotes() }
	got := notes("version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  hardware: [T4, H100, JetsonOrinNano, MI250X]\n  tp: [1, 2]\n")
	if len(got) != 2 || !strings.Contains(got[0], "T4 has no scale-up link") || !strings.Contains(got[0], "PCIe Gen3 x16, at 15.75 GB/s per direction") ||
		!strings.Contains(got[0], "cloud.yaml:") || !strings.Contains(got[1], "JetsonOrinNano states neither a scale-up nor a host link") ||
		!strings.Contains(got[1], "64 GB/s PCIe Gen5 x16 fallback") {
		t.Errorf("calibrated notes: %q", got)
	}
	// The seed sees the registry's links: the T4 and MI250X have none there, though their
	// catalog entries state one (qa27: the note said the T4 "states neither"), and the
	// JetsonOrinNano has none anywhere.
	got = notes("version: 1\nstudy: serve\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [T4, MI250X, JetsonOrinNano]\n  tp: [2]\n")
	if len(got) != 3 || !strings.Contains(got[0], "T4 has no link under the seed profile") || !strings.Contains(got[1], "MI250X has no link under the seed profile") ||
		!strings.Contains(got[2], "JetsonOrinNano states neither") || strings.Contains(got[0]+got[1], "states neither") {
		t.Errorf("seed notes: %q", got)
	}
	if got := notes("version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  hardware: [T4]\n  tp: [1]\n"); got != nil {
		t.Errorf("tp 1: %q", got)
	}
}
