package sweep

import (
	"github.com/mlsysim/mlsysim/kernel"
)

// The weight-streaming study: layer-by-layer inference on a device that keeps the
// KV cache in its own memory and streams the weights in over its host link
// (kernel.WeightStreaming; the seed models wafer-scale parts such as the CS-3, and
// evaluates any device the same way).
func init() {
	register(&Study{
		Name:      "weight-streaming",
		Doc:       "wafer-scale inference with weights streamed in per layer: throughput, injection vs compute time, on-chip KV fit (physics.md §6.4)",
		Objective: Objective{Column: "tokens_per_s"},
		Params: []Param{
			modelParam, hardwareParam, precisionParam, effParam, seqParam, batchParam,
			{Name: "phase", Kind: KindEnum, Default: "decode", Enum: []string{"decode", "prefill"},
				Doc: "decode: one token per sequence per pass; prefill: seq_len tokens per sequence"},
		},
		Columns: []Column{
			{Name: "tokens_per_s", Unit: "1/s", Doc: "tokens / (layer time · layers), layer time = max(compute, injection); 0 when the KV cache does not fit"},
			{Name: "layer_compute_ms", Unit: "ms", Doc: "FLOPs of one layer / (peak · efficiency) + dispatch"},
			{Name: "layer_injection_ms", Unit: "ms", Doc: "one layer's weights / host-link bandwidth (100 GB/s when the device states none)"},
			{Name: "optimal_batch", Doc: "decode batch at which compute hides the weight streaming: max(1, ⌊t_inj · peak · η / (2 · P/L)⌋)"},
			{Name: "kv_required_gb", Unit: "GB", Doc: "1.1 × the KV cache (2·L·H_kv·d per token): the on-chip working set"},
			{Name: "onchip_memory_gb", Unit: "GB", Doc: "the device's memory that holds the KV cache"},
			{Name: "onchip_utilization", Doc: "KV working set / on-chip memory (capped at 1 when it fits; 1 for a device with none)"},
			{Name: "bottleneck", Type: Enum, Labels: []string{"Compute-Bound", "Interconnect-Bandwidth-Bound"},
				Doc: "Compute-Bound when a layer's compute time ≥ its injection time, else Interconnect-Bandwidth-Bound"},
			wallPass(6, "streaming", "the KV working set fits in on-chip memory"),
			wallSlack(6, "streaming", "1 − KV working set / on-chip memory"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: transformersOnly("weight streaming"),
		newEval: func(p *Plan) evaluator {
			return &streamEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated()), pagedKV: pagedKVPerToken(p.Models), calibrated: p.Calibrated()}
		},
	})
}

type streamEval struct {
	st         *Study
	m          *modelTable
	h          *hwTable
	pagedKV    []float64
	calibrated bool
	in         kernel.StreamIn
	out        kernel.StreamOut
}

func (e *streamEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	in := &e.in
	in.Params = gatherF(in.Params, mc, e.m.params)
	in.Layers = gatherF(in.Layers, mc, e.m.layers)
	in.KVElemsPerToken = gatherF(in.KVElemsPerToken, mc, e.pagedKV)
	in.Bytes = bytesOf(in.Bytes, prec)
	in.PeakFLOPS = peaksOf(in.PeakFLOPS, e.h, hc, prec)
	in.MemCapacity = gatherF(in.MemCapacity, hc, e.h.capacity)
	in.HostBandwidth = gatherF(in.HostBandwidth, hc, e.h.hostBW)
	in.DispatchTax = gatherF(in.DispatchTax, hc, e.h.dispatch)
	in.SeqLen, in.Batch, in.Efficiency = c.get("seq_len"), c.get("batch_size"), c.get("efficiency")
	// Enum order decode, prefill: the code is the prefill flag.
	in.Prefill = boolsOf(in.Prefill, c.get("phase"))

	kernel.WeightStreaming(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("tokens_per_s"), out.Throughput)
	scaleInto(w.f("layer_compute_ms"), out.LayerComputeTime, 1e3)
	scaleInto(w.f("layer_injection_ms"), out.LayerInjectionTime, 1e3)
	copy(w.f("optimal_batch"), out.OptimalBatch)
	scaleInto(w.f("kv_required_gb"), out.RequiredBytes, 1e-9)
	scaleInto(w.f("onchip_memory_gb"), in.MemCapacity, 1e-9)
	copy(w.f("onchip_utilization"), out.Utilization)
	copy(w.b("wall_6_streaming_pass"), out.Feasible)
	copy(w.b("feasible"), out.Feasible)
	slack, bn, feas := w.f("wall_6_streaming_slack"), w.c("bottleneck"), w.b("feasible")
	reason, binding := w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		slack[k] = 1 - out.Utilization[k]
		bn[k], binding[k] = 1, wallStreaming
		if out.ComputeBound[k] {
			bn[k] = 0
			if out.Feasible[k] {
				binding[k] = wallCompute
			}
		}
		reason[k] = reasonNone
		switch {
		case !out.Feasible[k]:
			reason[k] = reasonOOM
		case e.calibrated && e.m.exceedsContext(int(mc[k]), in.SeqLen[k]):
			// Sequences longer than the model's context window (the seed has no such check).
			feas[k], reason[k] = false, reasonContext
		}
	}
}
