package kernel

import (
	"math"
	"testing"
)

// moePt: experts, top-k, active params, hidden, batch, seq, ep, γ, fabric bytes/s.
type moePt struct{ experts, k, active, hidden, batch, seq, ep, gamma, fabric float64 }

func runMoE(pts ...moePt) *MoEOut {
	in := &MoEIn{}
	for _, p := range pts {
		in.Experts = append(in.Experts, p.experts)
		in.ExpertsPerToken = append(in.ExpertsPerToken, p.k)
		in.ActiveParams = append(in.ActiveParams, p.active)
		in.Hidden = append(in.Hidden, p.hidden)
		in.Bytes = append(in.Bytes, 2)
		in.Batch = append(in.Batch, p.batch)
		in.SeqLen = append(in.SeqLen, p.seq)
		in.EPSize = append(in.EPSize, p.ep)
		in.Imbalance = append(in.Imbalance, p.gamma)
		in.FabricBandwidth = append(in.FabricBandwidth, p.fabric)
		in.FabricLatency = append(in.FabricLatency, 0)
		in.Oversubscription = append(in.Oversubscription, 1)
	}
	out := &MoEOut{}
	MoERouting(out, in)
	return out
}

func TestMoERouting(t *testing.T) {
	// Mixtral_8x7B (physics.md §2.5: 8 experts, top-2, 12.9e9 active, h 4096), batch 8, seq 2048,
	// on InfiniBand NDR (400 Gbit/s = 50 GB/s, α 5 µs).
	const ndr = 50e9
	mix := moePt{8, 2, 12.9e9, 4096, 8, 2048, 8, 1, ndr}
	skew := mix
	skew.gamma = 1.5
	capped := mix
	capped.gamma = 10
	noFleet := mix
	noFleet.fabric = 0
	oneRank := mix
	oneRank.ep = 1
	defaults := moePt{16, 0, 2.8e11, 0, 1, 128, 4, 1, ndr} // k 0 → 1, h 0 → 4096
	out := runMoE(mix, skew, capped, noFleet, oneRank, defaults)

	payload := 8 * 2048 * 4096 * 2 * 2.0 // B·S·h·b·k
	checkScalars(t, []scalarCase{
		// §7.3 balanced routing: E_eff = k, multiplier 1.
		{"balanced experts", out.EffectiveExperts[0], 2, 0, 0},
		{"balanced multiplier", out.Multiplier[0], 1, 0, 0},
		{"balanced params", out.EffectiveParams[0], 12.9e9, tightRel, 0},
		{"payload", out.PayloadBytes[0], payload, tightRel, 0},
		{"dispatch (ep−1)/ep", out.DispatchBytes[0], payload * 7 / 8, tightRel, 0},
		{"all-to-all", out.AllToAll[0], AllToAll(payload, 8, ndr, InfiniBandNDRLatencyS), tightRel, 0},
		{"all-to-all by hand", out.AllToAll[0], 7.0/8*payload/ndr + 7*5e-6, tightRel, 0},
		// γ 1.5: E_eff = min(8, 3) = 3, multiplier 1.5 on parameters and payload.
		{"skew experts", out.EffectiveExperts[1], 3, tightRel, 0},
		{"skew params", out.EffectiveParams[1], 1.5 * 12.9e9, tightRel, 0},
		{"skew payload", out.PayloadBytes[1], 1.5 * payload, tightRel, 0},
		// γ 10: capped at all 8 experts, multiplier 4 (Distributed would use the raw 10, §14 item 7).
		{"capped experts", out.EffectiveExperts[2], 8, 0, 0},
		{"capped multiplier", out.Multiplier[2], 4, 0, 0},
		// No fleet, or one EP rank: the seed reports no all-to-all (None → NaN).
		{"no fleet all-to-all", out.AllToAll[3], math.NaN(), 0, 0},
		{"no fleet dispatch", out.DispatchBytes[3], payload * 7 / 8, tightRel, 0},
		{"ep 1 all-to-all", out.AllToAll[4], math.NaN(), 0, 0},
		{"ep 1 dispatch", out.DispatchBytes[4], 0, 0, 0},
		// k 0 counts as 1, h 0 as 4096.
		{"defaults payload", out.PayloadBytes[5], 128 * 4096 * 2.0, tightRel, 0},
		{"defaults multiplier", out.Multiplier[5], 1, 0, 0},
	})
}

// Invariants over a grid: 1 ≤ multiplier ≤ experts/k, dispatch ≤ payload, and more imbalance
// never routes less.
func TestMoERoutingInvariants(t *testing.T) {
	var pts []moePt
	gammas := []float64{1, 1.2, 2, 4, 100}
	for _, ek := range [][2]float64{{8, 2}, {16, 2}, {256, 8}} {
		for _, ep := range []float64{1, 2, 8, 64} {
			for _, g := range gammas {
				pts = append(pts, moePt{ek[0], ek[1], 37e9, 7168, 4, 4096, ep, g, 50e9})
			}
		}
	}
	out := runMoE(pts...)
	for i, p := range pts {
		if m := out.Multiplier[i]; m < 1 || m > p.experts/p.k || out.DispatchBytes[i] > out.PayloadBytes[i] {
			t.Errorf("%+v: multiplier %g, dispatch %g, payload %g", p, m, out.DispatchBytes[i], out.PayloadBytes[i])
		}
		if i%len(gammas) > 0 && out.PayloadBytes[i] < out.PayloadBytes[i-1] {
			t.Errorf("%+v: payload %g below %g at lower γ", p, out.PayloadBytes[i], out.PayloadBytes[i-1])
		}
	}
}

func TestMoERoutingDoesNotAllocate(t *testing.T) {
	in := &MoEIn{Experts: []float64{8}, ExpertsPerToken: []float64{2}, ActiveParams: []float64{12.9e9},
		Hidden: []float64{4096}, Bytes: []float64{2}, Batch: []float64{8}, SeqLen: []float64{2048},
		EPSize: []float64{8}, Imbalance: []float64{1.3}, FabricBandwidth: []float64{50e9},
		FabricLatency: []float64{5e-6}, Oversubscription: []float64{2}}
	var out MoEOut
	MoERouting(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { MoERouting(&out, in) }); allocs != 0 {
		t.Errorf("MoERouting allocates %g times per call once its outputs are sized", allocs)
	}
}
