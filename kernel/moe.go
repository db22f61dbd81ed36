package kernel

import "math"

// MoERouting is the cost of routing tokens to experts (physics.md §7.3,
// MoERoutingModel; Wall 14 composite). With top-k routing and imbalance γ ≥ 1:
//
//	k      = max(1, experts per token)
//	E_eff  = min(experts, k·γ);  multiplier = E_eff/k
//	P_eff  = active parameters · multiplier
//	payload = B·S·h·b·k·multiplier            bytes (h = 4096 when unstated)
//	routed  = (ep − 1)/ep if ep > 1, else 0
//	dispatch bytes = payload · routed          (tokens leaving their device)
//	all-to-all     = AllToAll(payload, ep, fabric BW/oversubscription, fabric α)
//	                 if a fabric is given and ep > 1, else not computed (NaN)
//
// The cap min(experts, k·γ) is this model's; Distributed multiplies its EP volume by
// the raw γ (§14 item 7). Preconditions: experts ≥ 1, γ ≥ 1, ep ≥ 1.
func MoERouting(out *MoEOut, in *MoEIn) {
	n := len(in.Experts)
	out.resize(n)
	for i := 0; i < n; i++ {
		k := math.Max(1, in.ExpertsPerToken[i])
		gamma := in.Imbalance[i]
		eff := math.Min(in.Experts[i], k*gamma)
		mult := eff / k
		h := in.Hidden[i]
		if h == 0 {
			h = DefaultHidden
		}
		payload := in.Batch[i] * in.SeqLen[i] * h * in.Bytes[i] * k * mult
		ep := in.EPSize[i]
		routed := 0.0
		if ep > 1 {
			routed = (ep - 1) / ep
		}
		a2a := math.NaN()
		if bw := in.FabricBandwidth[i]; bw > 0 && ep > 1 {
			alpha := in.FabricLatency[i]
			if alpha == 0 {
				alpha = InfiniBandNDRLatencyS
			}
			a2a = AllToAll(payload, ep, bw/in.Oversubscription[i], alpha)
		}

		out.EffectiveExperts[i] = eff
		out.EffectiveParams[i] = in.ActiveParams[i] * mult
		out.Multiplier[i] = mult
		out.PayloadBytes[i] = payload
		out.DispatchBytes[i] = payload * routed
		out.AllToAll[i] = a2a
	}
}

// MoEIn holds the input columns of MoERouting.
type MoEIn struct {
	Experts, ExpertsPerToken []float64 // total experts, top-k (0 = 1)
	ActiveParams             []float64
	Hidden                   []float64 // 0 = 4096
	Bytes                    []float64
	Batch, SeqLen            []float64
	EPSize                   []float64
	Imbalance                []float64 // routing imbalance γ ≥ 1
	FabricBandwidth          []float64 // bytes/s, 0 = no fleet given
	FabricLatency            []float64 // s, 0 = 5 µs (InfiniBand NDR)
	Oversubscription         []float64 // ≥ 1, read only with a fabric
}

// MoEOut holds the output columns of MoERouting.
type MoEOut struct {
	EffectiveExperts, EffectiveParams, Multiplier []float64
	PayloadBytes                                  []float64 // all routed activations
	DispatchBytes                                 []float64 // the share that leaves its device
	AllToAll                                      []float64 // s; NaN when not computed
}

func (o *MoEOut) resize(n int) {
	for _, p := range []*[]float64{&o.EffectiveExperts, &o.EffectiveParams, &o.Multiplier, &o.PayloadBytes,
		&o.DispatchBytes, &o.AllToAll} {
		*p = grow(*p, n)
	}
}
