package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/kernel"
)

var synthResourceLabels = []string{"bandwidth", "flops", "memory"}

// The synthesis study: the inverse roofline (kernel.Synthesis, wall 22): the HBM
// bandwidth, peak FLOP/s and memory one batch-1 inference needs to finish within
// a target latency, and whether a given device has them.
func init() {
	register(&Study{
		Name:      "synthesis",
		Doc:       "inverse roofline: bandwidth, FLOP/s and memory a target latency needs, against a device's (physics.md §5.5)",
		Objective: Objective{Column: "wall_22_synthesis_slack"},
		Params: []Param{
			modelParam, hardwareParam,
			{Name: "target_latency_ms", Kind: KindFloat, Min: MinMS, Max: MaxMS, Unit: "ms", Doc: "latency of one batch-1 inference to reach"},
			precisionParam, effParam,
		},
		Columns: []Column{
			{Name: "required_bandwidth_gb_per_s", Unit: "GB/s", Doc: "weights / target: stream the weights once"},
			{Name: "required_tflops", Unit: "TFLOP/s", Doc: "FLOPs / (target · efficiency): the peak the target needs"},
			{Name: "required_memory_gb", Unit: "GB", Doc: "the weights at the precision"},
			{Name: "compute_memory_ratio_flop_per_byte", Unit: "FLOP/byte", Doc: "required FLOP/s / required bandwidth"},
			{Name: "bandwidth_gb_per_s", Unit: "GB/s", Doc: "the device's HBM bandwidth"},
			{Name: "peak_tflops", Unit: "TFLOP/s", Doc: "the device's peak at the precision"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "the device's memory"},
			{Name: "bandwidth_headroom", Doc: "device / required bandwidth (≥ 1 meets the target)"},
			{Name: "flops_headroom", Doc: "device peak / required FLOP/s"},
			{Name: "memory_headroom", Doc: "device memory / required memory"},
			{Name: "binding_resource", Type: Enum, Labels: synthResourceLabels, Doc: "the resource with the least headroom (a tie to the first in column order)"},
			wallPass(22, "synthesis", "the device meets every requirement: each headroom ≥ 1"),
			wallSlack(22, "synthesis", "1 − max(required / available) over bandwidth, FLOP/s and memory"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				f := familyCode[m.Family]
				if kernel.WeightBytes(f, m.Parameters, m.ModelSizeBytes, 1) <= 0 ||
					kernel.WorkloadOps(f, m.InferenceFLOPs, m.Parameters, m.ActiveParameters, float64(m.DenoisingSteps)) <= 0 {
					return fmt.Errorf("synthesis needs the weights and FLOPs of %s, which its catalog entry does not state", m.Key)
				}
			}
			return nil
		},
		newEval: func(p *Plan) evaluator {
			return &synthesisEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated())}
		},
	})
}

type synthesisEval struct {
	st    *Study
	m     *modelTable
	h     *hwTable
	peak  []float64
	bytes []float64
	in    kernel.SynthIn
	out   kernel.SynthOut
}

func (e *synthesisEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	in := &e.in
	e.bytes = bytesOf(e.bytes, prec)
	in.WeightBytes = grow(in.WeightBytes, n)
	in.Ops = grow(in.Ops, n)
	for k := 0; k < n; k++ {
		m := int(mc[k])
		f := e.m.family[m]
		in.Ops[k] = kernel.WorkloadOps(f, e.m.inferenceFLOPs[m], e.m.params[m], e.m.active[m], e.m.steps[m])
		in.WeightBytes[k] = kernel.WeightBytes(f, e.m.params[m], e.m.modelSize[m], e.bytes[k])
	}
	in.TargetLatency = grow(in.TargetLatency, n)
	scaleInto(in.TargetLatency, c.get("target_latency_ms"), 1e-3)
	in.Efficiency = c.get("efficiency")
	kernel.Synthesis(&e.out, in)

	out := &e.out
	e.peak = peaksOf(e.peak, e.h, hc, prec)
	w := outs{e.st, o}
	scaleInto(w.f("required_bandwidth_gb_per_s"), out.RequiredBandwidth, 1e-9)
	scaleInto(w.f("required_tflops"), out.RequiredFLOPS, 1e-12)
	scaleInto(w.f("required_memory_gb"), out.RequiredMemory, 1e-9)
	copy(w.f("compute_memory_ratio_flop_per_byte"), out.ComputeMemoryRatio)
	scaleInto(w.f("peak_tflops"), e.peak, 1e-12)
	bw, mem := w.f("bandwidth_gb_per_s"), w.f("memory_capacity_gb")
	hb, hf, hm := w.f("bandwidth_headroom"), w.f("flops_headroom"), w.f("memory_headroom")
	res, pass, slack := w.c("binding_resource"), w.b("wall_22_synthesis_pass"), w.f("wall_22_synthesis_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		h := int(hc[k])
		bw[k], mem[k] = e.h.bandwidth[h]*1e-9, e.h.capacity[h]*1e-9
		head := [...]float64{
			e.h.bandwidth[h] / out.RequiredBandwidth[k],
			e.peak[k] / out.RequiredFLOPS[k],
			e.h.capacity[h] / out.RequiredMemory[k],
		}
		hb[k], hf[k], hm[k] = head[0], head[1], head[2]
		r := 0
		for i := 1; i < len(head); i++ {
			if head[i] < head[r] {
				r = i
			}
		}
		res[k] = uint8(r)
		pass[k] = head[r] >= 1
		slack[k] = 1 - 1/head[r]
		feas[k], reason[k] = pass[k], reasonNone
		// A missed target is wall 22; a met one is bound by the tightest resource's wall.
		switch {
		case !pass[k]:
			reason[k], binding[k] = reasonUnreachable, wallSynthesis
		case r == 1:
			binding[k] = wallCompute
		default:
			binding[k] = wallMemory
		}
	}
}
