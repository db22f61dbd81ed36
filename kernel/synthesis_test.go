package kernel

import (
	"math"
	"testing"
)

func TestSynthesis(t *testing.T) {
	in := &SynthIn{
		WeightBytes:   []float64{resNet50.weightBytes(FP16), llama3_8B.weightBytes(FP16), 51.2e6},
		Ops:           []float64{resNet50.ops(), llama3_8B.ops(), 8.2e9},
		TargetLatency: []float64{0.010, 0.005, 0},
		Efficiency:    []float64{0.5, 0.5, 0.5},
	}
	var out SynthOut
	Synthesis(&out, in)
	checkScalars(t, []scalarCase{
		// physics.md §13.4 Synthesis(ResNet50, 10 ms, fp16): required_bw 5.12 GB/s; required_flops
		// 1.64 TFLOP/s; ratio 320.3125 flop/B; memory 0.0512 GB.
		{"§13.4 required bandwidth", out.RequiredBandwidth[0], 5.12e9, tightRel, 0},
		{"§13.4 required FLOP/s", out.RequiredFLOPS[0], 1.64e12, tightRel, 0},
		{"§13.4 ratio", out.ComputeMemoryRatio[0], 320.3125, tightRel, 0},
		{"§13.4 memory", out.RequiredMemory[0], 0.0512e9, tightRel, 0},
		// §5.5 for Llama3_8B at 5 ms: 16.06e9/0.005 and 1.606e10/(0.005·0.5).
		{"Llama bandwidth", out.RequiredBandwidth[1], 3.212e12, tightRel, 0},
		{"Llama FLOP/s", out.RequiredFLOPS[1], 6.424e12, tightRel, 0},
		// §5.5: T is not validated; T = 0 asks for infinite rates.
		{"T 0 bandwidth", out.RequiredBandwidth[2], math.Inf(1), 0, 0},
	})
	// Invariant: a device meeting exactly these rates runs the point in T (the roofline's max).
	tComp := in.Ops[1] / (out.RequiredFLOPS[1] * in.Efficiency[1])
	tMem := in.WeightBytes[1] / out.RequiredBandwidth[1]
	checkScalars(t, []scalarCase{
		{"inverse: t_comp = T", tComp, 0.005, tightRel, 0},
		{"inverse: t_mem = T", tMem, 0.005, tightRel, 0},
	})
}

func TestSynthesisDoesNotAllocate(t *testing.T) {
	in := &SynthIn{WeightBytes: []float64{51.2e6}, Ops: []float64{8.2e9}, TargetLatency: []float64{0.01},
		Efficiency: []float64{0.5}}
	var out SynthOut
	Synthesis(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Synthesis(&out, in) }); allocs != 0 {
		t.Errorf("Synthesis allocates %g times per call once its outputs are sized", allocs)
	}
}
