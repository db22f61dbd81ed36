package kernel

import (
	"math"
	"testing"
)

// The small layers the CNN tests count by hand: a 1×1 convolution of 2 to 3 channels on
// 4 output pixels (8 input elements, 12 outputs) followed by batch norm and ReLU, by a
// ReLU alone (AlexNet's kind), by nothing (the logits), or by a ReLU and a max pool to
// one pixel (3 pooled outputs).
var (
	tinyBNReLU = ConvShape{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 1, BN: true, ReLU: true}
	tinyReLU   = ConvShape{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 1, ReLU: true}
	tinyLinear = ConvShape{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 1}
	tinyPooled = ConvShape{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 1, ReLU: true, PoolPixels: 1}
)

// TestCNNStep prices small layers whose times follow by hand from CNNStep's formulas
// (rate 1 FLOP/s, 1 byte/s, 1-byte elements, no SM count): tinyBNReLU is m = 4, n = 3,
// k = 2: 48 FLOPs, reads 8 input elements and 6 weights, writes 12 outputs.
func TestCNNStep(t *testing.T) {
	relu, plain, linear, pooled := tinyBNReLU, tinyReLU, tinyLinear, tinyPooled
	add := relu
	add.ReLU, add.Add = false, true
	shortcut := relu
	shortcut.ReLU, shortcut.Shortcut = false, true
	pooledBN := relu
	pooledBN.PoolPixels = 1
	// Grouped: 2 to 4 channels in 2 groups on 4 pixels: k = 1, n = 4, 32 FLOPs, 4 weights.
	grouped := ConvShape{Pixels: 4, In: 2, Out: 4, Taps: 1, InElems: 8, Count: 1, Groups: 2}
	// Depthwise 3×3 on 2 channels: k = 9, n = 2, 144 FLOPs, 18 weights.
	depthwise := ConvShape{Pixels: 4, In: 2, Out: 2, Taps: 9, InElems: 8, Count: 1, Groups: 2}
	for _, tc := range []struct {
		name            string
		layers          []ConvShape
		exec            CNNExecution
		training        bool
		comp, mem, busy float64
	}{
		// max(48, 14) + 12 = 60; batch norm 2 + ReLU 2 accesses of 12 elements = 48.
		{"eager inference", []ConvShape{relu}, CNNEager, false, 48, 14 + 12 + 48, 60 + 48},
		// The epilogue also reads the residual (12); nothing else: max(48, 14 + 24).
		{"graph inference with add", []ConvShape{add}, CNNGraph, false, 48, 38, 48},
		// Eager add after batch norm: 2 + 3 accesses of 12 = 60.
		{"eager inference with add", []ConvShape{add}, CNNEager, false, 48, 26 + 60, 60 + 60},
		// Layer 1: forward 60 + wgrad max(48, 8 + 12) + 6 = 54 (no dgrad for the input).
		// Layer 2: + dgrad max(48, 12 + 6) + 8 = 56. Elementwise: batch norm 3 + 5 and
		// ReLU 2 + 3 = 13 accesses of 12 elements per layer.
		{"eager training", []ConvShape{relu, relu}, CNNEager, true, 48*2 + 48*3, (26 + 26) + (26 + 26 + 18 + 8) + 2*13*12, 114 + 170 + 2*13*12},
		// The first layer's batch norm and ReLU are applied by the second convolution as
		// it loads its input: no forward pass, the two-pass backward (5); the last layer
		// keeps one fused pass forward (2) and the backward (5): 5 + 7 accesses of 12.
		{"fused training", []ConvShape{relu, relu}, CNNFusedBNAct, true, 48 * 5, 130 + (5+7)*12, 284 + (5+7)*12},
		// Inference: the first layer's pass is the next convolution's load (0), the last
		// layer's is one fused pass (2).
		{"fused inference", []ConvShape{relu, relu}, CNNFusedBNAct, false, 48 * 2, 26 + 26 + 2*12, 120 + 2*12},
		// A residual add (last layer): fused pass 2, residual read 1, backward 5, its
		// gradient written (1) and read back by the other branch's dgrad (1): 10 of 12;
		// the projection shortcut before it is applied inside the add's pass (0 + 5).
		{"fused training, add", []ConvShape{shortcut, add}, CNNFusedBNAct, true, 48 * 5, 130 + (5+10)*12, 284 + (5+10)*12},
		// A batch norm before a max pool keeps its forward pass: 7 accesses of 12 and the
		// pool's 30 + 48 bytes (as "pool training" below), though layers follow it.
		{"fused training, pool", []ConvShape{pooledBN, relu}, CNNFusedBNAct, true, 48 * 5, 130 + (7+7)*12 + 30 + 48, 284 + (7+7)*12 + 30 + 48},
		// No batch norm (AlexNet): the ReLU alone is 2 accesses of 12; graph runs it in
		// the epilogue; a linear layer (the logits) has no pass at all.
		{"relu only", []ConvShape{plain}, CNNEager, false, 48, 26 + 24, 60 + 24},
		{"relu only graph", []ConvShape{plain}, CNNGraph, false, 48, 26, 48},
		{"linear", []ConvShape{linear}, CNNEager, false, 48, 26, 60},
		// A max pool to 1 pixel (3 outputs): forward reads 12 and writes 3.
		{"pool inference", []ConvShape{pooled}, CNNEager, false, 48, 26 + 24 + 15, 60 + 24 + 15},
		// Training: forward 60 + wgrad 54; ReLU 5 × 12; the pool forward 15, backward
		// 3 + 12, and its 3 int64 indices written and read (48 bytes).
		{"pool training", []ConvShape{pooled}, CNNEager, true, 96, 26 + 26 + 60 + 30 + 48, 114 + 60 + 30 + 48},
		// max(32, 8 + 4) + 16 written.
		{"grouped", []ConvShape{grouped}, CNNEager, false, 32, 12 + 16, 48},
		// max(144, 8 + 18) + 8.
		{"depthwise", []ConvShape{depthwise}, CNNEager, false, 144, 26 + 8, 152},
		// Count repeats a layer: three copies cost three times one.
		{"count", []ConvShape{{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 3, BN: true, ReLU: true}}, CNNEager, false, 3 * 48, 3 * 74, 3 * 108},
	} {
		comp, mem, busy := CNNStep(tc.layers, tc.exec, 1, tc.training, 1, 1, 0, 1)
		if comp != tc.comp || mem != tc.mem || busy != tc.busy {
			t.Errorf("%s: compute %g, memory %g, busy %g; want %g, %g, %g", tc.name, comp, mem, busy, tc.comp, tc.mem, tc.busy)
		}
	}
}

// TestCNNStepScales checks the batch and the hardware enter as they should: twice the
// batch of a compute-bound layer takes twice the time, twice the rate half.
func TestCNNStepScales(t *testing.T) {
	l := []ConvShape{{Pixels: 3136, In: 256, Out: 256, Taps: 9, InElems: 256 * 3136, Count: 1, BN: true, ReLU: true}}
	_, _, one := CNNStep(l, CNNGraph, 64, false, 2, 1e12, 0, 1e15)
	_, _, two := CNNStep(l, CNNGraph, 128, false, 2, 1e12, 0, 1e15)
	_, _, fast := CNNStep(l, CNNGraph, 64, false, 2, 2e12, 0, 1e15)
	near(t, "batch 128 against 64", two, 2*one)
	near(t, "double rate", fast, one/2)
}

// TestCNNStepGroupedWaves: a convolution in 3 groups of 256×128 outputs is 3 tiles, on 2
// SMs two waves with 3 of 4 slots used (the time of 4/3 of its FLOPs); a depthwise
// convolution runs outside the tiles, at its FLOPs alone (rate 1, bandwidth unbounded).
func TestCNNStepGroupedWaves(t *testing.T) {
	grouped := ConvShape{Pixels: 256, In: 384, Out: 384, Taps: 1, InElems: 384 * 256, Count: 1, Groups: 3}
	depthwise := ConvShape{Pixels: 256, In: 384, Out: 384, Taps: 9, InElems: 384 * 256, Count: 1, Groups: 384}
	for _, tc := range []struct {
		name  string
		l     ConvShape
		flops float64
		q     float64
	}{
		{"grouped", grouped, 2 * 256 * 384 * 128, 0.75},
		{"depthwise", depthwise, 2 * 256 * 384 * 9, 1},
	} {
		comp, _, _ := CNNStep([]ConvShape{tc.l}, CNNGraph, 1, false, 1, 1, 2, math.Inf(1))
		near(t, tc.name, comp, tc.flops/tc.q)
	}
}

// TestCNNStepGEMVSplitsK: AlexNet's fc6 (9216 → 4096) at batch 1 in FP32 on an A100
// (19.5 TFLOP/s, 1.555 TB/s, 108 SMs) is a GEMV. By hand: 16-row tiles of 16×128 give
// 32 tiles, one per SM on 32 of 108, so the FLOPs alone take 75.5 MFLOP / (19.5 TFLOP/s ·
// 4096/(108·2048)) = 209 µs; split-K over ⌊108/32⌋ = 3 slices (k/64 = 144 allows more)
// cuts that to 70 µs, below the 97 µs of its 151 MB of weights, so the layer streams its
// weights: (weights + input + 3 slices' FP32 partials written and read + output) / BW.
// Before split-K it ran one 256×128 tile per 128 columns, 16 SMs: 3.3 ms.
func TestCNNStepGEMVSplitsK(t *testing.T) {
	fc := ConvShape{Pixels: 1, In: 9216, Out: 4096, Taps: 1, InElems: 9216, Count: 1}
	const bw = 1.555e12
	weights, input, output := 9216.0*4096*4, 9216.0*4, 4096.0*4
	partials := 2 * 3 * 4096.0 * SplitKPartialBytes
	comp, mem, busy := CNNStep([]ConvShape{fc}, CNNEager, 1, false, 4, 19.5e12, 108, bw)
	near(t, "busy", busy, (weights+input+partials+output)/bw)
	near(t, "memory", mem, (weights+input+partials+output)/bw)
	near(t, "compute", comp, 2*9216*4096/(19.5e12*3*4096/(108*16*128)))
}

// TestCNNGraphOverhead: a graph engine's inference pays the dispatch tax plus KernelS per
// fused kernel — one per convolution (Count) and one per max pool — not the framework's
// per-layer tax; eager inference and graph training keep LayerTaxS per catalog layer.
// Two counted layers: tinyBNReLU twice (2 kernels) and tinyPooled once (2 kernels).
func TestCNNGraphOverhead(t *testing.T) {
	twice := tinyBNReLU
	twice.Count = 2
	layers := []ConvShape{twice, tinyPooled}
	if got := CNNGraphKernels(layers); got != 4 {
		t.Fatalf("CNNGraphKernels = %g, want 4 (2 convolutions, 1 convolution + its pool)", got)
	}
	const dispatch, catalogLayers = 1e-3, 7.0
	for _, tc := range []struct {
		name     string
		exec     CNNExecution
		training bool
		overhead float64
	}{
		{"graph inference", CNNGraph, false, dispatch + 4*KernelS},
		{"eager inference", CNNEager, false, dispatch + catalogLayers*LayerTaxS},
		{"graph training", CNNGraph, true, dispatch + 3*catalogLayers*LayerTaxS},
	} {
		in := NodeIn{Ops: []float64{1e9}, WeightBytes: []float64{1000}, Params: []float64{500}, Layers: []float64{catalogLayers},
			Hidden: []float64{0}, Heads: []float64{0}, Bytes: []float64{1}, IsTransformer: []bool{false},
			Training: []bool{tc.training}, Recompute: []bool{false}, LoRA: []bool{false}, ZeROStage: []float64{0},
			DPSize: []float64{1}, SeqLen: []float64{1}, Batch: []float64{1}, Efficiency: []float64{0.5},
			PeakFLOPS: []float64{1e12}, MemCapacity: []float64{1e9}, MemBandwidth: []float64{1e11}, SRAMCapacity: []float64{0},
			SRAMBandwidth: []float64{0}, FlashBandwidth: []float64{0}, HostBandwidth: []float64{0}, DispatchTax: []float64{dispatch},
			TDP: []float64{0}, Calibrated: true, Conv: [][]ConvShape{layers}, CNNExec: []float64{float64(tc.exec)},
			MatmulRate: []float64{0}, SMs: []float64{0}, StreamBandwidth: []float64{1e11}}
		var out NodeOut
		SingleNode(&out, &in)
		if math.Abs(out.OverheadTime[0]-tc.overhead) > 1e-15 {
			t.Errorf("%s: overhead %g s, want %g", tc.name, out.OverheadTime[0], tc.overhead)
		}
	}
}

// TestCNNTrainingPaysOptimizerPass: a calibrated CNN's training step adds, after its
// layers, the optimizer's pass over the model states its footprint counts — §35's
// mixed-precision Adam traffic, OptimizerPassBytes = 48 bytes per parameter plus the
// b-byte weights written back — at the streaming bandwidth; inference pays none. By
// hand: 500 parameters · (48 + 2) bytes = 25,000 bytes at 1e11 B/s = 250 ns, added to
// both the memory time and the step.
func TestCNNTrainingPaysOptimizerPass(t *testing.T) {
	layers := []ConvShape{tinyBNReLU, tinyPooled}
	const streamBW, params, e = 1e11, 500.0, 2.0
	for _, training := range []bool{false, true} {
		in := NodeIn{Ops: []float64{1e9}, WeightBytes: []float64{params * e}, Params: []float64{params}, Layers: []float64{2},
			Hidden: []float64{0}, Heads: []float64{0}, Bytes: []float64{e}, IsTransformer: []bool{false},
			Training: []bool{training}, Recompute: []bool{false}, LoRA: []bool{false}, ZeROStage: []float64{0},
			DPSize: []float64{1}, SeqLen: []float64{1}, Batch: []float64{4}, Efficiency: []float64{0.5},
			PeakFLOPS: []float64{1e12}, MemCapacity: []float64{1e9}, MemBandwidth: []float64{2e11}, SRAMCapacity: []float64{0},
			SRAMBandwidth: []float64{0}, FlashBandwidth: []float64{0}, HostBandwidth: []float64{0}, DispatchTax: []float64{0},
			TDP: []float64{0}, Calibrated: true, Conv: [][]ConvShape{layers}, CNNExec: []float64{float64(CNNFusedBNAct)},
			MatmulRate: []float64{0}, SMs: []float64{0}, StreamBandwidth: []float64{streamBW}}
		var out NodeOut
		SingleNode(&out, &in)
		_, mem, busy := CNNStep(layers, CNNFusedBNAct, 4, training, e, 0.5e12, 0, streamBW)
		opt := 0.0
		if training {
			opt = 250e-9
		}
		if got := out.Latency[0] - out.OverheadTime[0]; math.Abs(got-(busy+opt)) > 1e-15 {
			t.Errorf("training %v: busy %g s, want the layers' %g + optimizer %g", training, got, busy, opt)
		}
		if math.Abs(out.MemoryTime[0]-(mem+opt)) > 1e-15 {
			t.Errorf("training %v: memory time %g s, want %g + %g", training, out.MemoryTime[0], mem, opt)
		}
	}
}
