package sweep

import "github.com/mlsysim/mlsysim/kernel"

var dataPathLabels = enumNames(kernel.PathStorage, kernel.PathInterconnect, kernel.PathUnknown)

// The data study: whether a device's storage and host link supply the data a
// training job consumes (kernel.DataIngestion, wall 8) and whether CPU
// preprocessing keeps pace with the accelerator step (kernel.Transformation,
// wall 9).
func init() {
	register(&Study{
		Name:      "data",
		Doc:       "feeding the accelerator: storage/host-link supply against the data rate, CPU preprocessing against the step (physics.md §9.1, §9.2)",
		Objective: Objective{Column: "accelerator_utilization"},
		Params: []Param{
			hardwareParam,
			{Name: "data_rate_gb_per_s", Kind: KindFloat, Default: "0", Min: 0, Max: MaxGBPerSecond, Unit: "GB/s",
				Doc: "data the workload reads; 0 uses what the step consumes: batch_size · sample_size_mb / accelerator_step_ms"},
			{Name: "storage_gb_per_s", Kind: KindFloat, Default: "0", Min: 0, Max: MaxGBPerSecond, Unit: "GB/s",
				Doc: "storage bandwidth feeding the device; 0 uses the device's (most catalog devices state none, leaving the host link)"},
			{Name: "batch_size", Kind: KindInt, Default: "256", Min: 1, Doc: "samples per accelerator step"},
			{Name: "sample_size_mb", Kind: KindFloat, Default: "0.15", Min: 0, Max: MaxGB, Unit: "MB", Doc: "bytes per sample to read and transform (decimal MB)"},
			{Name: "cpu_throughput_gb_per_s", Kind: KindFloat, Default: "2", Min: MinGBPerSecond, Max: MaxGBPerSecond, Unit: "GB/s", Doc: "bytes per second the host CPUs preprocess"},
			{Name: "accelerator_step_ms", Kind: KindFloat, Default: "20", Min: MinMS, Max: MaxMS, Unit: "ms", Doc: "accelerator time per step"},
		},
		Columns: []Column{
			{Name: "demand_gb_per_s", Unit: "GB/s", Doc: "data rate the supply must meet"},
			{Name: "supply_gb_per_s", Unit: "GB/s", Doc: "the slower of the stated paths: storage, host link (0 when the device states neither)"},
			{Name: "ingestion_path", Type: Enum, Labels: dataPathLabels, Doc: "the path that sets the supply (a tie is Storage)"},
			{Name: "ingestion_utilization", Doc: "demand / supply (+Inf without a supply)"},
			{Name: "ingestion_margin_gb_per_s", Unit: "GB/s", Doc: "supply − demand"},
			{Name: "stalled", Type: Bool, Doc: "demand exceeds supply"},
			{Name: "transform_ms", Unit: "ms", Doc: "batch_size · sample size / CPU throughput"},
			{Name: "step_ms", Unit: "ms", Doc: "max(transform, accelerator step)"},
			{Name: "accelerator_utilization", Doc: "accelerator step / step"},
			{Name: "slowdown", Doc: "step / accelerator step"},
			{Name: "preprocessing_bottleneck", Type: Bool, Doc: "preprocessing outlasts the accelerator step"},
			wallPass(8, "ingestion", "the supply meets the demand"),
			wallSlack(8, "ingestion", "1 − demand / supply"),
			wallPass(9, "transformation", "preprocessing keeps pace with the accelerator step"),
			wallSlack(9, "transformation", "1 − transform time / accelerator step"),
			colBindingWall,
			colFeasible, colReason,
		},
		newEval: newDataEval,
	})
}

type dataEval struct {
	st                    *Study
	storage, interconnect []float64 // per hardware code, bytes/s
	ing                   kernel.DataIn
	ingO                  kernel.DataOut
	tr                    kernel.TransformIn
	trO                   kernel.TransformOut
}

func newDataEval(p *Plan) evaluator {
	e := &dataEval{st: p.Study}
	for _, h := range p.Hardware {
		link := 0.0
		if h.HostLink != nil {
			link = h.HostLink.BytesPerS
		}
		e.storage = append(e.storage, h.StorageBandwidthBytesPerS)
		e.interconnect = append(e.interconnect, link)
	}
	return e
}

func (e *dataEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	hc, rate, batch := c.get("hardware"), c.get("data_rate_gb_per_s"), c.get("batch_size")

	tr := &e.tr
	tr.Batch = batch
	tr.SampleBytes = grow(tr.SampleBytes, n)
	tr.CPUThroughput = grow(tr.CPUThroughput, n)
	tr.AcceleratorStep = grow(tr.AcceleratorStep, n)
	scaleInto(tr.SampleBytes, c.get("sample_size_mb"), 1e6)
	scaleInto(tr.CPUThroughput, c.get("cpu_throughput_gb_per_s"), 1e9)
	scaleInto(tr.AcceleratorStep, c.get("accelerator_step_ms"), 1e-3)
	kernel.Transformation(&e.trO, tr)

	in := &e.ing
	in.Demand = grow(in.Demand, n)
	for k := 0; k < n; k++ {
		in.Demand[k] = rate[k] * 1e9
		if rate[k] == 0 {
			in.Demand[k] = batch[k] * tr.SampleBytes[k] / tr.AcceleratorStep[k]
		}
	}
	in.StorageBandwidth = gatherF(in.StorageBandwidth, hc, e.storage)
	for k, v := range c.get("storage_gb_per_s") {
		if v > 0 {
			in.StorageBandwidth[k] = v * 1e9
		}
	}
	in.InterconnectBandwidth = gatherF(in.InterconnectBandwidth, hc, e.interconnect)
	kernel.DataIngestion(&e.ingO, in)

	ing, t := &e.ingO, &e.trO
	w := outs{e.st, o}
	scaleInto(w.f("demand_gb_per_s"), in.Demand, 1e-9)
	scaleInto(w.f("supply_gb_per_s"), ing.Supply, 1e-9)
	copy(w.f("ingestion_utilization"), ing.Utilization)
	scaleInto(w.f("ingestion_margin_gb_per_s"), ing.Margin, 1e-9)
	copy(w.b("stalled"), ing.Stalled)
	scaleInto(w.f("transform_ms"), t.TransformTime, 1e3)
	scaleInto(w.f("step_ms"), t.StepTime, 1e3)
	copy(w.f("accelerator_utilization"), t.Utilization)
	copy(w.f("slowdown"), t.Slowdown)
	copy(w.b("preprocessing_bottleneck"), t.Bottleneck)
	path, p8, s8, p9, s9 := w.c("ingestion_path"), w.b("wall_8_ingestion_pass"), w.f("wall_8_ingestion_slack"),
		w.b("wall_9_transformation_pass"), w.f("wall_9_transformation_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		path[k] = uint8(ing.Path[k])
		p8[k], p9[k] = !ing.Stalled[k], !t.Bottleneck[k]
		s8[k] = 1 - ing.Utilization[k]
		s9[k] = 1 - t.TransformTime[k]/tr.AcceleratorStep[k]
		switch {
		case !p8[k]:
			feas[k], reason[k], binding[k] = false, reasonStalled, wallIngestion
		case !p9[k]:
			feas[k], reason[k], binding[k] = false, reasonPreprocessing, wallTransformation
		default:
			// The tighter of the two binds.
			feas[k], reason[k], binding[k] = true, reasonNone, wallIngestion
			if s9[k] < s8[k] {
				binding[k] = wallTransformation
			}
		}
	}
}
