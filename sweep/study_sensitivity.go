package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

var sensParamLabels = enumNames(kernel.SensPeakFLOPS, kernel.SensMemoryBandwidth, kernel.SensMemoryCapacity)

// The sensitivity study: which hardware parameter binds a single-node inference
// point (kernel.Sensitivity, wall 21): the relative latency change when the peak
// FLOP/s, the HBM bandwidth or the HBM capacity grows by perturbation_pct.
func init() {
	register(&Study{
		Name:      "sensitivity",
		Doc:       "which hardware parameter binds: relative latency change per +x % of peak FLOP/s, HBM bandwidth, HBM capacity (physics.md §5.4)",
		Objective: Objective{Column: "baseline_latency_ms", Minimize: true},
		Params: []Param{
			modelParam, hardwareParam, precisionParam, effParam,
			{Name: "batch_size", Kind: KindInt, Default: "1", Min: 1, Doc: "samples per inference step (the seed evaluates batch 1)"},
			{Name: "perturbation_pct", Kind: KindFloat, Default: "10", Min: MinPercent, Max: MaxPercent, Unit: "%", Doc: "growth of each parameter, in percent"},
		},
		Columns: []Column{
			{Name: "baseline_latency_ms", Unit: "ms", Doc: "single-node inference latency (the node study's latency_ms)"},
			{Name: "sensitivity_peak_flops", Doc: "(latency with peak FLOP/s × (1 + pct/100) − baseline) / baseline"},
			{Name: "sensitivity_memory_bandwidth", Doc: "the same for the HBM bandwidth"},
			{Name: "sensitivity_memory_capacity", Doc: "the same for the HBM capacity"},
			{Name: "binding_parameter", Type: Enum, Labels: sensParamLabels,
				Doc: "argmax |sensitivity| (a tie to the first in column order); memory_capacity when the baseline does not fit"},
			wallSlack(21, "sensitivity", "1 − |binding sensitivity| / (1 − 1/(1 + pct/100)): 1 − the share of the latency the binding parameter controls (0 when it controls all of it)"),
			colBindingWall,
			colFeasible, colReason,
		},
		newEval: func(p *Plan) evaluator {
			return &sensitivityEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated()), calibrated: p.Calibrated()}
		},
	})
}

type sensitivityEval struct {
	st         *Study
	m          *modelTable
	h          *hwTable
	calibrated bool
	in         kernel.SensIn
	out        kernel.SensOut
	s          kernel.SensScratch
}

func (e *sensitivityEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	nd := &e.in.Node
	nd.Bytes = bytesOf(nd.Bytes, prec)
	nd.Ops = grow(nd.Ops, n)
	nd.WeightBytes = grow(nd.WeightBytes, n)
	nd.IsTransformer = grow(nd.IsTransformer, n)
	for k := 0; k < n; k++ {
		m := int(mc[k])
		f := e.m.family[m]
		nd.Ops[k] = kernel.WorkloadOps(f, e.m.inferenceFLOPs[m], e.m.params[m], e.m.active[m], e.m.steps[m])
		nd.WeightBytes[k] = kernel.WeightBytes(f, e.m.params[m], e.m.modelSize[m], nd.Bytes[k])
		nd.IsTransformer[k] = e.m.isTransformer[m]
	}
	nd.PeakFLOPS = peaksOf(nd.PeakFLOPS, e.h, hc, prec)
	nd.Params = gatherF(nd.Params, mc, e.m.params)
	nd.Layers = gatherF(nd.Layers, mc, e.m.layers)
	nd.Hidden = gatherF(nd.Hidden, mc, e.m.hidden)
	nd.Heads = gatherF(nd.Heads, mc, e.m.heads)
	nd.MemCapacity = gatherF(nd.MemCapacity, hc, e.h.capacity)
	nd.MemBandwidth = gatherF(nd.MemBandwidth, hc, e.h.bandwidth)
	nd.SRAMCapacity = gatherF(nd.SRAMCapacity, hc, e.h.sramCap)
	nd.SRAMBandwidth = gatherF(nd.SRAMBandwidth, hc, e.h.sramBW)
	nd.FlashBandwidth = gatherF(nd.FlashBandwidth, hc, e.h.flashBW)
	nd.HostBandwidth = gatherF(nd.HostBandwidth, hc, e.h.hostBW)
	nd.DispatchTax = gatherF(nd.DispatchTax, hc, e.h.dispatch)
	nd.TDP = gatherF(nd.TDP, hc, e.h.tdp)
	// Inference: the training-memory inputs take the node study's defaults.
	nd.Training = boolsOf(nd.Training, c.getOr("training", 0))
	nd.Recompute = boolsOf(nd.Recompute, c.getOr("activation_recomputation", 0))
	nd.LoRA = boolsOf(nd.LoRA, c.getOr("lora", 0))
	nd.ZeROStage = c.getOr("zero_stage", 0)
	nd.DPSize = c.getOr("dp_size", 1)
	nd.SeqLen = c.getOr("seq_len", 2048)
	nd.Batch, nd.Efficiency = c.get("batch_size"), c.get("efficiency")
	// Under calibrated the baseline is the node study's point: a CNN that lists its
	// convolutions is priced layer by layer (eager, the node study's default) and its
	// footprint counts the live feature maps (docs/PHYSICS.md §36, §37).
	nd.Calibrated = e.calibrated
	if e.calibrated {
		gatherCNN(nd, e.m, e.h, mc, hc, prec, c.getOr("cnn_execution", float64(kernel.CNNEager)))
	}
	pct := c.get("perturbation_pct")
	e.in.PerturbationPct = pct
	kernel.Sensitivity(&e.out, &e.in, &e.s)

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("baseline_latency_ms"), out.BaselineLatency, 1e3)
	copy(w.f("sensitivity_peak_flops"), out.PeakFLOPS)
	copy(w.f("sensitivity_memory_bandwidth"), out.MemoryBandwidth)
	copy(w.f("sensitivity_memory_capacity"), out.MemoryCapacity)
	bp, slack := w.c("binding_parameter"), w.f("wall_21_sensitivity_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		bp[k] = uint8(out.Binding[k])
		s := [...]float64{out.PeakFLOPS[k], out.MemoryBandwidth[k], out.MemoryCapacity[k]}[out.Binding[k]]
		// A latency entirely bound by x changes by 1/f − 1 when x grows by f.
		f := 1 + pct[k]/100
		slack[k] = 1 - math.Abs(s)/(1-1/f)
		feas[k], reason[k] = out.Feasible[k], reasonNone
		// The binding parameter names its wall; nothing moving the latency leaves fixed overhead.
		switch {
		case !out.Feasible[k]:
			reason[k], binding[k] = reasonOOM, wallMemory
		case s == 0:
			binding[k] = wallSoftware
		case out.Binding[k] == kernel.SensPeakFLOPS:
			binding[k] = wallCompute
		default:
			binding[k] = wallMemory
		}
	}
}
