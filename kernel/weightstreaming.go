package kernel

import "math"

// WeightStreaming is layer-by-layer inference on a wafer-scale device that keeps the
// KV cache on chip and streams the weights in over its host link (physics.md §6.4,
// WeightStreamingModel; Wall 6):
//
//	KV       = kv·S·b·B               (kv = 2·L·H_kv·d elements per token)
//	required = 1.1·KV                 (10 % working-set headroom)
//	feasible = required ≤ on-chip capacity;  utilisation = required/capacity (1 if capacity = 0)
//	p = P/L parameters per layer;  t_inj = p·b / BW_link   (BW_link 100 GB/s when unstated)
//	decode : FLOP per layer = 2·p·B
//	prefill: FLOP per layer = 2·p·S·B + 2·H_kv·d·S²·B     (= kv/L · S²·B)
//	t_comp = FLOP per layer/(F·η) + dispatch
//	layer time = max(t_comp, t_inj): compute-bound iff t_comp ≥ t_inj, else interconnect-bound
//	throughput = tokens/(layer time · L), tokens = B·S (prefill) or B (decode); 0 if infeasible
//	B_opt = max(1, ⌊t_inj·F·η/(2·p)⌋)  (the decode batch at which compute hides the streaming)
//	reported utilisation = min(utilisation, 1) if feasible, else utilisation
//
// The prefill attention term counts KV heads, not query heads, as the seed does
// (§14 item 8). The utilisation is a plain bytes/bytes ratio: Profile B divided
// decimal GB by GiB without reducing the units (7.4 % high); Profile C fixed it
// (test_memory_utilization_is_a_unit_free_ratio) and we follow the fix.
// Preconditions: L > 0, F·η > 0.
func WeightStreaming(out *StreamOut, in *StreamIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		layers, b, s, batch := in.Layers[i], in.Bytes[i], in.SeqLen[i], in.Batch[i]
		kvElems := in.KVElemsPerToken[i]
		required := WaferKVHeadroom * kvElems * s * b * batch
		capacity := in.MemCapacity[i]
		feasible := required <= capacity
		util := 1.0
		if capacity != 0 {
			util = required / capacity
		}
		if feasible {
			util = math.Min(util, 1)
		}

		layerParams := in.Params[i] / layers
		link := in.HostBandwidth[i]
		if link == 0 {
			link = FallbackInterconnectBytesPerS
		}
		tInj := layerParams * b / link
		rate := in.PeakFLOPS[i] * in.Efficiency[i]
		flops := 2 * layerParams * batch
		tokens := batch
		if in.Prefill[i] {
			flops = 2*layerParams*s*batch + kvElems/layers*s*s*batch
			tokens = batch * s
		}
		tComp := flops/rate + in.DispatchTax[i]
		layerTime := math.Max(tComp, tInj)
		tps := 0.0
		if feasible {
			tps = tokens / (layerTime * layers)
		}

		out.Throughput[i] = tps
		out.LayerComputeTime[i] = tComp
		out.LayerInjectionTime[i] = tInj
		out.OptimalBatch[i] = math.Max(1, math.Floor(tInj*rate/(2*layerParams)))
		out.Utilization[i] = util
		out.RequiredBytes[i] = required
		out.ComputeBound[i] = tComp >= tInj
		out.Feasible[i] = feasible
	}
}

// Constants of the weight-streaming model (physics.md §6.4, §10).
const (
	// WaferKVHeadroom: the on-chip working set is the KV cache plus 10 %.
	WaferKVHeadroom = 1.1
	// FallbackInterconnectBytesPerS is FALLBACK_INTERCONNECT_BANDWIDTH_GB_S = 100 GB/s.
	FallbackInterconnectBytesPerS = 100e9
)

// StreamIn holds the input columns of WeightStreaming.
type StreamIn struct {
	Params          []float64
	Layers          []float64 // > 0
	KVElemsPerToken []float64 // 2·L·H_kv·d: KVElemsPerToken(L, H, H_kv, h, 0, 0)
	Bytes           []float64
	SeqLen, Batch   []float64
	Prefill         []bool // false = decode (the seed's default phase)
	Efficiency      []float64
	PeakFLOPS       []float64
	MemCapacity     []float64 // on-chip memory, bytes
	HostBandwidth   []float64 // weight-streaming link, bytes/s (0 = 100 GB/s)
	DispatchTax     []float64 // s
}

// StreamOut holds the output columns of WeightStreaming; times in s.
type StreamOut struct {
	Throughput                           []float64 // tokens/s, 0 when infeasible
	LayerComputeTime, LayerInjectionTime []float64
	OptimalBatch                         []float64
	Utilization                          []float64 // on-chip memory, a fraction
	RequiredBytes                        []float64 // 1.1 · KV
	ComputeBound                         []bool    // "Compute-Bound", else "Interconnect-Bandwidth-Bound"
	Feasible                             []bool
}

func (o *StreamOut) resize(n int) {
	for _, p := range []*[]float64{&o.Throughput, &o.LayerComputeTime, &o.LayerInjectionTime, &o.OptimalBatch,
		&o.Utilization, &o.RequiredBytes} {
		*p = grow(*p, n)
	}
	o.ComputeBound = grow(o.ComputeBound, n)
	o.Feasible = grow(o.Feasible, n)
}
