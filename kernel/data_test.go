package kernel

import (
	"math"
	"testing"
)

func TestDataIngestion(t *testing.T) {
	// H100: storage 7 GB/s, PCIe Gen5 host link 64 GB/s (physics.md §2.5); A100 has no storage tier.
	in := &DataIn{
		Demand:                []float64{5e9, 10e9, 10e9, 1e9, 64e9, 3e9},
		StorageBandwidth:      []float64{7e9, 7e9, 0, 0, 64e9, 100e9},
		InterconnectBandwidth: []float64{64e9, 64e9, 32e9, 0, 64e9, 2e9},
	}
	var out DataOut
	DataIngestion(&out, in)
	inf := math.Inf(1)
	checkScalars(t, []scalarCase{
		// §9.1 Profile B: supply = the slower stated path.
		{"H100 supply", out.Supply[0], 7e9, 0, 0},
		{"H100 utilization", out.Utilization[0], 5.0 / 7, tightRel, 0},
		{"H100 margin", out.Margin[0], 2e9, tightRel, 0},
		{"H100 stalled utilization", out.Utilization[1], 10.0 / 7, tightRel, 0},
		{"H100 negative margin", out.Margin[1], -3e9, tightRel, 0},
		// A100 without storage: Profile B uses the 32 GB/s link (Profile A would supply 0).
		{"A100 supply", out.Supply[2], 32e9, 0, 0},
		// §14: supply 0 → utilisation +Inf, stalled.
		{"no path supply", out.Supply[3], 0, 0, 0},
		{"no path utilization", out.Utilization[3], inf, 0, 0},
		// A tie goes to storage, listed first.
		{"tie supply", out.Supply[4], 64e9, 0, 0},
		{"tie utilization", out.Utilization[4], 1, 0, 0},
		{"slow link supply", out.Supply[5], 2e9, 0, 0},
	})
	want := []struct {
		path    DataPath
		stalled bool
	}{
		{PathStorage, false}, {PathStorage, true}, {PathInterconnect, false}, {PathUnknown, true},
		{PathStorage, false}, {PathInterconnect, true},
	}
	for i, w := range want {
		if out.Path[i] != w.path || out.Stalled[i] != w.stalled {
			t.Errorf("point %d: path %v, stalled %v; want %v, %v", i, out.Path[i], out.Stalled[i], w.path, w.stalled)
		}
	}
}

func TestTransformation(t *testing.T) {
	in := &TransformIn{
		Batch:           []float64{256, 256, 1, 0},
		SampleBytes:     []float64{150e3, 150e3, 1e6, 1e6},
		CPUThroughput:   []float64{1e9, 10e9, 1e9, 1e9},
		AcceleratorStep: []float64{0.020, 0.020, 0, 0},
	}
	var out TransformOut
	Transformation(&out, in)
	checkScalars(t, []scalarCase{
		// §9.2: 256·150 kB at 1 GB/s = 38.4 ms > 20 ms → CPU-bound, accelerator busy 20/38.4.
		{"CPU-bound transform", out.TransformTime[0], 0.0384, tightRel, 0},
		{"CPU-bound step", out.StepTime[0], 0.0384, tightRel, 0},
		{"CPU-bound utilization", out.Utilization[0], 0.020 / 0.0384, tightRel, 0},
		{"CPU-bound slowdown", out.Slowdown[0], 1.92, tightRel, 0},
		{"fed utilization", out.Utilization[1], 1, 0, 0},
		{"fed slowdown", out.Slowdown[1], 1, 0, 0},
		// §9.2: t_acc = 0 → slowdown +Inf; t_step = 0 → utilisation 0.
		{"no accelerator time slowdown", out.Slowdown[2], math.Inf(1), 0, 0},
		{"no accelerator time utilization", out.Utilization[2], 0, 0, 0},
		{"nothing at all utilization", out.Utilization[3], 0, 0, 0},
	})
	for i, want := range []bool{true, false, true, false} {
		if out.Bottleneck[i] != want {
			t.Errorf("point %d: bottleneck %v, want %v", i, out.Bottleneck[i], want)
		}
	}
}

func TestDataDoesNotAllocate(t *testing.T) {
	din := &DataIn{Demand: []float64{1e9}, StorageBandwidth: []float64{7e9}, InterconnectBandwidth: []float64{64e9}}
	tin := &TransformIn{Batch: []float64{32}, SampleBytes: []float64{1e5}, CPUThroughput: []float64{1e9},
		AcceleratorStep: []float64{0.01}}
	var dout DataOut
	var tout TransformOut
	DataIngestion(&dout, din)
	Transformation(&tout, tin)
	if allocs := testing.AllocsPerRun(20, func() { DataIngestion(&dout, din); Transformation(&tout, tin) }); allocs != 0 {
		t.Errorf("DataIngestion and Transformation allocate %g times per call once their outputs are sized", allocs)
	}
}
