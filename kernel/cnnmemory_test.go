package kernel

import "testing"

// TestCNNFeatureMaps counts small layer lists by hand. A 1×1 convolution from 2 to 3
// channels on 4 output pixels (input 8 elements) writes 12 elements.
func TestCNNFeatureMaps(t *testing.T) {
	relu, plain, linear, pooled := tinyBNReLU, tinyReLU, tinyLinear, tinyPooled
	bn := relu
	bn.ReLU = false
	shortcut := bn
	shortcut.Shortcut = true
	// A depthwise 3×3 on 3 channels: grouping changes the weights, not the maps.
	depthwise := ConvShape{Pixels: 4, In: 3, Out: 3, Taps: 9, InElems: 12, Count: 1, Groups: 3, BN: true, ReLU: true}
	add := relu
	add.Add = true
	wide := ConvShape{Pixels: 4, In: 3, Out: 6, Taps: 9, InElems: 12, Count: 2, BN: true, ReLU: true, Add: true}
	// One input channel on 4 pixels, pooled to 2: the pool's 12 in + 6 out outgrow the
	// convolution's 4 in + 12 out.
	narrow := ConvShape{Pixels: 4, In: 1, Out: 3, Taps: 1, InElems: 4, Count: 1, ReLU: true, PoolPixels: 2}
	for _, tc := range []struct {
		name                  string
		layers                []ConvShape
		exec                  CNNExecution
		stored, live, indices float64
	}{
		{"none", nil, CNNEager, 0, 0, 0},
		// Without batch norm the ReLU works in place on the convolution's output: one
		// 12-element tensor kept, one written; a linear layer keeps nothing of its own.
		{"conv relu", []ConvShape{plain}, CNNEager, 8 + 12, 8 + 12, 0},
		{"linear", []ConvShape{linear}, CNNEager, 8, 8 + 12, 0},
		// A pool to 1 pixel keeps its 3 outputs and 3 indices.
		{"conv relu pool", []ConvShape{pooled}, CNNEager, 8 + 12 + 3, 8 + 12, 3},
		{"pool outgrows the convolution", []ConvShape{narrow}, CNNEager, 4 + 12 + 6, 12 + 6, 6},
		// Stored: the input 8, the convolution's 12 and the ReLU's 12. Live: 8 + 2·12.
		{"conv bn relu", []ConvShape{relu}, CNNEager, 8 + 12 + 12, 8 + 2*12, 0},
		// A projection shortcut's batch norm keeps only the convolution output (its
		// saved input); its own output goes to the add, which saves nothing.
		{"projection shortcut", []ConvShape{shortcut}, CNNEager, 8 + 12, 8 + 2*12, 0},
		// A linear bottleneck's normalised output is the next layer's input: kept.
		{"linear bottleneck", []ConvShape{bn}, CNNEager, 8 + 12 + 12, 8 + 2*12, 0},
		{"depthwise", []ConvShape{depthwise}, CNNEager, 12 + 12 + 12, 12 + 2*12, 0},
		// Graph inference writes one output per layer; the add holds its 12-element stream.
		{"graph with add", []ConvShape{add}, CNNGraph, 8 + 24, 8 + 12 + 12, 0},
		// Only the first layer's input counts (later inputs are earlier ReLU outputs);
		// count repeats the stored maps, not the live peak. Second layer: 2 × 2 × 24
		// stored; live: max(8 + 24, 12 + 48) + the largest add output 24.
		{"two layers", []ConvShape{relu, wide}, CNNEager, 8 + 24 + 2*2*24, 12 + 48 + 24, 0},
		{"two layers fused", []ConvShape{relu, wide}, CNNFusedBNAct, 8 + 24 + 2*2*24, 12 + 48 + 24, 0},
		{"two layers graph", []ConvShape{relu, wide}, CNNGraph, 8 + 24 + 2*2*24, 12 + 24 + 24, 0},
	} {
		stored, live, indices := CNNFeatureMaps(tc.layers, tc.exec)
		if stored != tc.stored || live != tc.live || indices != tc.indices {
			t.Errorf("%s: stored %g, live %g, indices %g; want %g, %g, %g", tc.name, stored, live, indices, tc.stored, tc.live, tc.indices)
		}
	}
}

// TestSingleNodeCNNMemory: under calibrated a CNN's footprint adds batch × stored
// elements × bytes for training and batch × live × bytes for inference; without a layer
// list, or under seed, the footprint stays the seed's and says it counts no activations.
func TestSingleNodeCNNMemory(t *testing.T) {
	layers := []ConvShape{{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 1, BN: true, ReLU: true}} // stored 32, live 32 (eager)
	pooledLayers := []ConvShape{layers[0]}
	pooledLayers[0].PoolPixels = 1
	const w, params, batch, e = 1000.0, 500.0, 10.0, 2.0
	for _, tc := range []struct {
		name       string
		calibrated bool
		conv       []ConvShape
		training   bool
		footprint  float64
		act        float64
		known      bool
	}{
		{"calibrated training", true, layers, true, 2*w + AdamBytesPerParam*params + batch*32*e, batch * 32 * e, true},
		{"calibrated inference", true, layers, false, w + batch*32*e, batch * 32 * e, true},
		// A max pool to 1 pixel: 3 more stored elements and 3 int64 indices per sample.
		{"calibrated training with a pool", true, pooledLayers, true, 2*w + AdamBytesPerParam*params + batch*(35*e+3*8), batch * (35*e + 3*8), true},
		{"no layer list", true, nil, true, 2*w + AdamBytesPerParam*params, 0, false},
		{"seed training", false, layers, true, 2*w + AdamBytesPerParam*params, 0, false},
		{"seed inference", false, layers, false, w, 0, false},
	} {
		in := NodeIn{Ops: []float64{1e9}, WeightBytes: []float64{w}, Params: []float64{params}, Layers: []float64{2},
			Hidden: []float64{0}, Heads: []float64{0}, Bytes: []float64{e}, IsTransformer: []bool{false},
			Training: []bool{tc.training}, Recompute: []bool{false}, LoRA: []bool{false}, ZeROStage: []float64{0},
			DPSize: []float64{1}, SeqLen: []float64{1}, Batch: []float64{batch}, Efficiency: []float64{0.5},
			PeakFLOPS: []float64{1e12}, MemCapacity: []float64{1e9}, MemBandwidth: []float64{1e11}, SRAMCapacity: []float64{0},
			SRAMBandwidth: []float64{0}, FlashBandwidth: []float64{0}, HostBandwidth: []float64{0}, DispatchTax: []float64{0},
			TDP: []float64{0}, Calibrated: tc.calibrated}
		if tc.calibrated {
			in.Conv, in.CNNExec, in.MatmulRate = [][]ConvShape{tc.conv}, []float64{float64(CNNEager)}, []float64{0}
			in.SMs, in.StreamBandwidth = []float64{0}, []float64{1e11}
		}
		var out NodeOut
		SingleNode(&out, &in)
		if out.Footprint[0] != tc.footprint || out.Activations[0] != tc.act || out.ActivationsKnown[0] != tc.known {
			t.Errorf("%s: footprint %g, activations %g, known %v; want %g, %g, %v", tc.name,
				out.Footprint[0], out.Activations[0], out.ActivationsKnown[0], tc.footprint, tc.act, tc.known)
		}
	}
}

// TestCNNMapsMemo: the memo answers as CNNFeatureMaps does when the list, its length or
// the execution changes between calls (other contents at the same length, a sub-slice
// from the second layer, the same first layer with fewer layers, another execution, back
// to the first), not only when they repeat.
func TestCNNMapsMemo(t *testing.T) {
	a := []ConvShape{
		{Pixels: 4, In: 2, Out: 3, Taps: 1, InElems: 8, Count: 1, BN: true, ReLU: true},
		{Pixels: 4, In: 3, Out: 6, Taps: 9, InElems: 12, Count: 2, BN: true, ReLU: true, Add: true},
		{Pixels: 4, In: 1, Out: 3, Taps: 1, InElems: 4, Count: 1, ReLU: true, PoolPixels: 2},
	}
	b := []ConvShape{a[1], a[2], a[0]}
	var c cnnMaps
	for k, call := range []struct {
		layers []ConvShape
		exec   CNNExecution
	}{{a, CNNEager}, {a, CNNEager}, {b, CNNEager}, {a[1:], CNNEager}, {a, CNNEager}, {a[:2], CNNEager},
		{a, CNNGraph}, {a, CNNEager}, {nil, CNNEager}, {a, CNNFusedBNAct}} {
		s, l, i := c.of(call.layers, call.exec)
		ws, wl, wi := CNNFeatureMaps(call.layers, call.exec)
		if s != ws || l != wl || i != wi {
			t.Errorf("call %d: memo %v %v %v, CNNFeatureMaps %v %v %v", k, s, l, i, ws, wl, wi)
		}
	}
}
