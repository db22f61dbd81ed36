package sweep

import "github.com/mlsysim/mlsysim/kernel"

// The efficiency study: the achievable MFU of one kind of kernel on a device
// (kernel.Efficiency, wall 3): what software leaves of the peak.
func init() {
	register(&Study{
		Name:      "efficiency",
		Doc:       "achievable MFU by kind of kernel (ffn, attention with or without FlashAttention, conv): achievable FLOP/s, occupancy loss, memory stall (physics.md §5.3)",
		Objective: Objective{Column: "achievable_tflops"},
		Params: []Param{
			hardwareParam, precisionParam,
			{Name: "workload_type", Kind: KindEnum, Default: "ffn",
				Enum: enumNames(kernel.KernelFFN, kernel.KernelAttention, kernel.KernelConv, kernel.KernelOther),
				Doc:  "kind of kernel: ffn (dense matmul), attention, conv, other"},
			{Name: "flash_attention", Kind: KindBool, Default: "false", Doc: "attention runs as FlashAttention (read for attention only)"},
			effParam,
		},
		Columns: []Column{
			{Name: "mfu", Doc: "achievable fraction of peak η': ffn min(0.5·s, 0.6), attention 0.3·s (flash min(0.75·s, 0.85)), conv min(0.4·s, 0.55), other 0.3·s; s = efficiency / 0.5"},
			{Name: "achievable_tflops", Unit: "TFLOP/s", Doc: "peak × MFU"},
			{Name: "peak_tflops", Unit: "TFLOP/s", Doc: "peak at the precision"},
			{Name: "occupancy_loss", Doc: "1 − min(1.1 · efficiency, 1): share of peak lost to SM occupancy"},
			{Name: "memory_stall", Doc: "max(0, 1 − MFU − occupancy loss): share of peak lost to memory stalls"},
			wallSlack(3, "software", "MFU: 1 − the share of peak software loses (occupancy, stalls, framework)"),
			colBindingWall,
			colFeasible, colReason,
		},
		newEval: func(p *Plan) evaluator {
			return &efficiencyEval{st: p.Study, h: newHWTable(p.Hardware, !p.Calibrated())}
		},
	})
}

type efficiencyEval struct {
	st  *Study
	h   *hwTable
	in  kernel.EfficiencyIn
	out kernel.EfficiencyOut
}

func (e *efficiencyEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	kind := c.get("workload_type")
	in := &e.in
	in.Kind = grow(in.Kind, n)
	for k := 0; k < n; k++ {
		// Enum order matches kernel.KernelKind.
		in.Kind[k] = kernel.KernelKind(kind[k])
	}
	in.FlashAttention = boolsOf(in.FlashAttention, c.get("flash_attention"))
	in.Efficiency = c.get("efficiency")
	in.PeakFLOPS = peaksOf(in.PeakFLOPS, e.h, c.get("hardware"), c.get("precision"))
	kernel.Efficiency(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("mfu"), out.MFU)
	scaleInto(w.f("achievable_tflops"), out.AchievableFLOPS, 1e-12)
	scaleInto(w.f("peak_tflops"), in.PeakFLOPS, 1e-12)
	copy(w.f("occupancy_loss"), out.OccupancyLoss)
	copy(w.f("memory_stall"), out.MemoryStall)
	copy(w.f("wall_3_software_slack"), out.MFU)
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		feas[k], reason[k], binding[k] = true, reasonNone, wallSoftware
	}
}
