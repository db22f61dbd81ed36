package kernel

import (
	"testing"
)

// nodePoint is one SingleNode evaluation: model, accelerator and execution knobs.
type nodePoint struct {
	m                         testModel
	h                         testHW
	prec                      Precision
	batch, eff                float64
	training, recompute, lora bool
	zero, dp, seq             float64
}

// node is the seed's Engine.solve defaults (physics.md §5.1): batch 1, fp16, η 0.5,
// inference, seq 2048, ZeRO 0, dp 1.
func node(m testModel, h testHW) nodePoint {
	return nodePoint{m: m, h: h, prec: FP16, batch: 1, eff: 0.5, dp: 1, seq: 2048}
}

// nodeColumns gathers points into SingleNode's input columns, as the sweep does.
func nodeColumns(pts ...nodePoint) *NodeIn {
	in := &NodeIn{}
	for _, p := range pts {
		in.Ops = append(in.Ops, p.m.ops())
		in.WeightBytes = append(in.WeightBytes, p.m.weightBytes(p.prec))
		in.Params = append(in.Params, p.m.params)
		in.Layers = append(in.Layers, p.m.layers)
		in.Hidden = append(in.Hidden, p.m.hidden)
		in.Heads = append(in.Heads, p.m.heads)
		in.Bytes = append(in.Bytes, p.prec.Bytes())
		in.IsTransformer = append(in.IsTransformer, p.m.isTransformer())
		in.Training = append(in.Training, p.training)
		in.Recompute = append(in.Recompute, p.recompute)
		in.LoRA = append(in.LoRA, p.lora)
		in.ZeROStage = append(in.ZeROStage, p.zero)
		in.DPSize = append(in.DPSize, p.dp)
		in.SeqLen = append(in.SeqLen, p.seq)
		in.Batch = append(in.Batch, p.batch)
		in.Efficiency = append(in.Efficiency, p.eff)
		in.PeakFLOPS = append(in.PeakFLOPS, p.h.peakFor(p.prec))
		in.MemCapacity = append(in.MemCapacity, p.h.capacity)
		in.MemBandwidth = append(in.MemBandwidth, p.h.bw)
		in.SRAMCapacity = append(in.SRAMCapacity, p.h.sramCap)
		in.SRAMBandwidth = append(in.SRAMBandwidth, p.h.sramBW)
		in.FlashBandwidth = append(in.FlashBandwidth, p.h.flashBW)
		in.HostBandwidth = append(in.HostBandwidth, p.h.host)
		in.DispatchTax = append(in.DispatchTax, p.h.dispatch)
		in.TDP = append(in.TDP, p.h.tdp)
	}
	return in
}

// runNode evaluates the points in one call.
func runNode(pts ...nodePoint) *NodeOut {
	out := &NodeOut{}
	SingleNode(out, nodeColumns(pts...))
	return out
}

func TestSingleNodeGoldens(t *testing.T) {
	g1 := node(resNet50, a100)
	g7b := node(resNet50, a100)
	g7b.batch = 32
	out := runNode(g1, g7b)

	// physics.md §13.1 G1 (ResNet50, A100, B 1, fp16, η 0.5) and G7 (same call, Profile C fields).
	if !out.Feasible[0] || out.Bottleneck[0] != Compute || !out.OverheadDominated[0] {
		t.Errorf("G1: feasible %v, bottleneck %v, overhead_dominated %v; want true, Compute, true (G1, G7)",
			out.Feasible[0], out.Bottleneck[0], out.OverheadDominated[0])
	}
	checkScalars(t, []scalarCase{
		{"G1 latency", out.Latency[0], 0.5675641025641026e-3, tightRel, 0},
		{"G1 throughput", out.Throughput[0], 1761.915518409758, tightRel, 0},
		{"G1 footprint", out.Footprint[0], 0.0512e9, tightRel, 0},
		{"G1 intensity", out.Intensity[0], 145.5965909090909, tightRel, 0},
		// G1 derivation: t_comp = 8.2e9/(312e12·0.5); t_mem = 51.2e6·1.1/2039e9;
		// overhead = 0.015 ms (A100 dispatch) + 50 layers · 0.01 ms.
		{"G1 t_comp", out.ComputeTime[0], 8.2e9 / 156e12, tightRel, 0},
		{"G1 t_mem", out.MemoryTime[0], 56.32e6 / 2039e9, tightRel, 0},
		{"G1 overhead", out.OverheadTime[0], 0.515e-3, tightRel, 0},
		{"G1 F_eff", out.EffectiveFLOPS[0], 156e12, tightRel, 0},
		{"G1 BW_eff = HBM", out.EffectiveBandwidth[0], 2039e9, tightRel, 0},
		{"G1 no spill", out.SpillBytes[0], 0, 0, 0},
		// G7: mfu, hfu == mfu, energy = 400 W·(0.3 + 0.7·mfu)·latency.
		{"G7 mfu", out.MFU[0], 0.046306754009487236, tightRel, 0},
		{"G7 hfu == mfu", out.HFU[0], out.MFU[0], 0, 0},
		{"G7 energy", out.Energy[0], 0.07546666666666667, tightRel, 0},

		// G7b: B 32 → intensity 32·8.2e9 / (51.2e6·4.2).
		{"G7b intensity", out.Intensity[1], 1220.2380952380952, tightRel, 0},
		// Derived from §5.1 steps 7–10: t_comp = 32·8.2e9/156e12 dominates; + 0.515 ms.
		{"G7b latency", out.Latency[1], 32*8.2e9/156e12 + 0.515e-3, tightRel, 0},
		{"G7b throughput", out.Throughput[1], 32 / (32*8.2e9/156e12 + 0.515e-3), tightRel, 0},
	})
	if out.OverheadDominated[1] || out.Bottleneck[1] != Compute {
		t.Errorf("G7b: overhead_dominated %v, bottleneck %v; want false (1.68 ms of compute > 0.515 ms), Compute",
			out.OverheadDominated[1], out.Bottleneck[1])
	}
}

// physics.md §13.4 Sensitivity baseline: Llama3_8B on H100, B 1, fp16 → 5.60343 ms, memory-bound.
// The 0.33 ms of overhead exceeds the 0.03 ms of compute but not the 5.27 ms of memory time,
// so the step is not overhead-dominated.
func TestSingleNodeMemoryBound(t *testing.T) {
	out := runNode(node(llama3_8B, h100))
	tMem := 16.06e9 * 1.1 / 3.35e12
	checkScalars(t, []scalarCase{
		{"t_mem", out.MemoryTime[0], tMem, tightRel, 0},
		{"t_comp", out.ComputeTime[0], 1.606e10 / 494.5e12, tightRel, 0},
		{"latency = t_mem + 0.01 ms + 32·0.01 ms", out.Latency[0], tMem + 0.33e-3, tightRel, 0},
		{"§13.4 baseline 5.60343 ms", out.Latency[0], 5.60343e-3, 0, 5e-9},
		{"intensity = ops/traffic", out.Intensity[0], 1.606e10 / (16.06e9 * 1.1), tightRel, 0},
	})
	if out.Bottleneck[0] != Memory || out.OverheadDominated[0] || !out.Feasible[0] {
		t.Errorf("bottleneck %v, overhead_dominated %v, feasible %v; want Memory, false, true",
			out.Bottleneck[0], out.OverheadDominated[0], out.Feasible[0])
	}
}

// physics.md §13.1 G5 derivation: the DistributedModel's node step is Engine.solve training
// Llama3_8B on one H100 with the local batch 1024/dp 8 = 128, seq 2048, fp16, η 0.45, ZeRO-1
// over dp 8, no recomputation. The footprint does not fit, so memory streams over the H100's
// host link (PCIe Gen5, 64 GB/s).
func TestSingleNodeG5OffloadStep(t *testing.T) {
	p := node(llama3_8B, h100)
	p.batch, p.eff, p.training, p.zero, p.dp = 128, 0.45, true, 1, 8
	out := runNode(p)

	// §2.1 training_memory with strategy "none" (no recomputation), ZeRO-1 shards Adam over 8.
	act := 32 * (34*2048*128*4096 + 5*32*2048*2048*128.0)
	footprint := 16.06e9 + 16.06e9 + 96.36e9/8 + act
	if out.Feasible[0] || out.Bottleneck[0] != Memory {
		t.Errorf("G5 node: feasible %v, bottleneck %v; want false, Memory", out.Feasible[0], out.Bottleneck[0])
	}
	checkScalars(t, []scalarCase{
		// G5 derivation: 16.06e9·(1 + 0.1·128)/64e9 = 3462.9375 ms + 0.01 + 32·0.01·3 = 3463.9075 ms.
		{"G5 node latency", out.Latency[0], 3463.9075e-3, tightRel, 0},
		{"G5 node t_mem", out.MemoryTime[0], 3462.9375e-3, tightRel, 0},
		{"G5 node overhead", out.OverheadTime[0], 0.97e-3, tightRel, 0},
		{"G5 offload bandwidth = H100 host link", out.EffectiveBandwidth[0], 64e9, tightRel, 0},
		{"G5 footprint", out.Footprint[0], footprint, tightRel, 0},
		{"G5 spill", out.SpillBytes[0], footprint - 80*gib, tightRel, 0},
		// §5.1 step 7: training runs 3× the forward FLOPs: 1.606e10·3·128/(989e12·0.45).
		{"G5 t_comp", out.ComputeTime[0], 1.606e10 * 3 * 128 / (989e12 * 0.45), tightRel, 0},
		// §5.1 steps 12–13: no recomputation, so HFU = MFU; energy = 700·(0.3 + 0.7·mfu)·latency.
		{"G5 mfu", out.MFU[0], 1.606e10 * 3 * 128 / 3463.9075e-3 / 989e12, tightRel, 0},
		{"G5 hfu == mfu", out.HFU[0], out.MFU[0], 0, 0},
		{"G5 energy", out.Energy[0], 700 * (0.3 + 0.7*out.MFU[0]) * 3463.9075e-3, tightRel, 0},
	})
}

// §5.1 step 6: the bandwidth the memory time uses, by tier.
func TestSingleNodeMemoryTiers(t *testing.T) {
	sram := node(dsCNN, esp32S3) // int8: 200 kB ≤ 532 480 B of SRAM
	sram.prec = INT8
	edge := node(testModel{name: "SRAM-sized", family: CNN, params: 532480, flops: 2e7}, esp32S3)
	edge.prec = INT8              // W = 532 480 B = SRAM capacity exactly: still SRAM (W ≤ capacity)
	flash := node(dsCNN, esp32S3) // fp32: 800 kB > SRAM, the device has flash
	flash.prec = FP32
	noHost := node(llama3_8B, gc200)   // 16.06 GB > 0.9 GB, no host link stated
	slowHost := node(llama3_405B, cs3) // 810 GB > 44 GiB, host link 1.2 TB/s ≪ 21 PB/s
	out := runNode(sram, edge, flash, noHost, slowHost)

	sramLatency := 2e7/1.2e9 + 1e-3 + 0.01e-3
	sramMFU := 2e7 / sramLatency / 2.4e9
	checkScalars(t, []scalarCase{
		// SRAM: BW_eff = 0.96 GB/s; t_mem = 200e3·1.1/0.96e9; int8 rate 2.4 GOPS.
		{"SRAM bandwidth", out.EffectiveBandwidth[0], 0.96e9, tightRel, 0},
		{"SRAM t_mem", out.MemoryTime[0], 220e3 / 0.96e9, tightRel, 0},
		{"SRAM t_comp", out.ComputeTime[0], 2e7 / 1.2e9, tightRel, 0},
		// latency = t_comp + 1 ms dispatch + 1 layer (unstated → 1) · 0.01 ms.
		{"SRAM latency", out.Latency[0], sramLatency, tightRel, 0},
		{"SRAM mfu", out.MFU[0], sramMFU, tightRel, 0},
		{"SRAM energy", out.Energy[0], 0.4 * (0.3 + 0.7*sramMFU) * sramLatency, tightRel, 0},
		{"SRAM boundary", out.EffectiveBandwidth[1], 0.96e9, tightRel, 0},

		// Flash: W does not fit SRAM and the device has flash: 0.08 GB/s; no fp32 rate, so the
		// default 0.5 TFLOP/s · η 0.5 = 2.5e8 FLOP/s.
		{"flash bandwidth", out.EffectiveBandwidth[2], 0.08e9, tightRel, 0},
		{"flash t_mem", out.MemoryTime[2], 880e3 / 0.08e9, tightRel, 0},
		{"flash t_comp", out.ComputeTime[2], 2e7 / 2.5e8, tightRel, 0},
		{"flash footprint", out.Footprint[2], 800e3, tightRel, 0},

		// Offload without a host link: min(45 TB/s, 64 GB/s fallback); spill = 16.06e9 − 0.9e9.
		{"no host link bandwidth", out.EffectiveBandwidth[3], 64e9, tightRel, 0},
		{"no host link spill", out.SpillBytes[3], 15.16e9, tightRel, 0},
		{"no host link t_mem", out.MemoryTime[3], 16.06e9 * 1.1 / 64e9, tightRel, 0},
		{"no host link latency", out.Latency[3], 16.06e9*1.1/64e9 + 0.001e-3 + 32*0.01e-3, tightRel, 0},
		// No TDP stated: energy 0 J.
		{"no TDP energy", out.Energy[3], 0, 0, 0},

		// Offload over a stated link: min(21 PB/s, 1.2 TB/s).
		{"CS-3 offload bandwidth", out.EffectiveBandwidth[4], 1.2e12, tightRel, 0},
		{"CS-3 spill", out.SpillBytes[4], 810e9 - 44*gib, tightRel, 0},
	})
	for i, want := range []bool{true, true, true, false, false} {
		if out.Feasible[i] != want {
			t.Errorf("tier case %d: feasible %v, want %v", i, out.Feasible[i], want)
		}
	}
	if out.Bottleneck[3] != Memory {
		t.Errorf("offload: bottleneck %v, want Memory", out.Bottleneck[3])
	}
}

// Profile C's rule (physics.md §5.1 step 12): with recomputation the step executes 4× the
// forward FLOPs, MFU counts the model's 3× and HFU the 4×; energy follows HFU, which equals
// the seed's energy because the seed's MFU counted the executed 4×.
func TestSingleNodeRecomputation(t *testing.T) {
	plain := node(resNet50, a100)
	plain.batch, plain.training = 64, true
	re := plain
	re.recompute = true
	llm := node(llama3_8B, h100)
	llm.training, llm.recompute = true, true
	out := runNode(plain, re, llm)

	// ResNet-50 at B 64: t_comp = 8.2e9·k·64/156e12 (k = 3 or 4) dominates the 0.2 ms of
	// memory time; overhead = 0.015 ms + 50·0.01 ms·3.
	overhead := 0.015e-3 + 1.5e-3
	lat3 := 8.2e9*3*64/156e12 + overhead
	lat4 := 8.2e9*4*64/156e12 + overhead
	mfu4 := 8.2e9 * 3 * 64 / lat4 / 312e12
	checkScalars(t, []scalarCase{
		{"no recompute latency", out.Latency[0], lat3, tightRel, 0},
		{"no recompute hfu == mfu", out.HFU[0], out.MFU[0], 0, 0},
		{"no recompute mfu", out.MFU[0], 8.2e9 * 3 * 64 / lat3 / 312e12, tightRel, 0},
		{"recompute latency (4×)", out.Latency[1], lat4, tightRel, 0},
		{"recompute mfu (3×)", out.MFU[1], mfu4, tightRel, 0},
		{"recompute hfu = 4/3·mfu", out.HFU[1], 4.0 / 3 * out.MFU[1], tightRel, 0},
		{"recompute energy uses hfu", out.Energy[1], 400 * (0.3 + 0.7*4.0/3*mfu4) * lat4, tightRel, 0},
		// Golden G8 (physics.md §13.1, audit B3): non-transformer training memory is
		// weights + gradients + Adam, 25.6e6 · (2 + 2 + 12) B = 0.4096 GB.
		{"ResNet50 training footprint (G8)", out.Footprint[1], 0.4096e9, tightRel, 0},
		{"Llama3_8B hfu = 4/3·mfu", out.HFU[2], 4.0 / 3 * out.MFU[2], tightRel, 0},
		// §2.1: recomputation keeps selective activations: 32·34·2048·1·4096 B.
		{"Llama3_8B selective footprint", out.Footprint[2], 16.06e9 + 16.06e9 + 96.36e9 + 32*34*2048*4096.0, tightRel, 0},
	})
}

// §2.1 training_memory: LoRA shrinks gradients and optimizer state, ZeRO stages shard more
// and more; neither may grow the footprint.
func TestSingleNodeTrainingFootprint(t *testing.T) {
	base := node(llama3_8B, h100)
	base.training, base.dp = true, 8
	lora := base
	lora.lora = true
	pts := []nodePoint{base, lora}
	for z := 1.0; z <= 3; z++ {
		p := base
		p.zero = z
		pts = append(pts, p)
	}
	headless := base
	headless.m.heads = 0
	resLoRA := node(resNet50, a100)
	resLoRA.training, resLoRA.lora = true, true
	pts = append(pts, headless, resLoRA)
	out := runNode(pts...)

	act := 32 * (34*2048*4096 + 5*32*2048*2048.0) // strategy "none", B 1
	frac := 2 * 16 * 4096 * 4 * 32 / 8.03e9       // LoRA r 16 on Q, K, V, O of 32 layers
	checkScalars(t, []scalarCase{
		{"full fine-tune", out.Footprint[0], 16.06e9 + 16.06e9 + 96.36e9 + act, tightRel, 0},
		{"LoRA", out.Footprint[1], 16.06e9 + 16.06e9*frac + 96.36e9*frac + act, tightRel, 0},
		{"ZeRO-1", out.Footprint[2], 16.06e9 + 16.06e9 + 96.36e9/8 + act, tightRel, 0},
		{"ZeRO-2", out.Footprint[3], 16.06e9 + 16.06e9/8 + 96.36e9/8 + act, tightRel, 0},
		{"ZeRO-3", out.Footprint[4], (16.06e9+16.06e9+96.36e9)/8 + act, tightRel, 0},
		// Ours: a transformer without heads uses 32 for the S² term where the seed raises.
		{"heads default 32", out.Footprint[5], out.Footprint[0], tightRel, 0},
		// §2.1 non-transformer LoRA fallback 1.1·W.
		{"ResNet50 LoRA", out.Footprint[6], 1.1 * 51.2e6, tightRel, 0},
	})
	if !(out.Footprint[1] <= out.Footprint[0]) {
		t.Errorf("LoRA footprint %g > full %g", out.Footprint[1], out.Footprint[0])
	}
	byStage := []float64{out.Footprint[0], out.Footprint[2], out.Footprint[3], out.Footprint[4]}
	for z := 1; z < len(byStage); z++ {
		if !(byStage[z] <= byStage[z-1]) {
			t.Errorf("ZeRO-%d footprint %g exceeds ZeRO-%d's %g", z, byStage[z], z-1, byStage[z-1])
		}
	}
}

// physics.md §13.2 test_solver_invariants: fp32 > fp16 > fp8 > int4 footprints.
func TestSingleNodePrecisionOrder(t *testing.T) {
	precs := []Precision{FP32, FP16, FP8, INT4}
	for _, training := range []bool{false, true} {
		var pts []nodePoint
		for _, pr := range precs {
			p := node(llama3_8B, h100)
			p.prec, p.training = pr, training
			pts = append(pts, p)
		}
		out := runNode(pts...)
		for i := 1; i < len(precs); i++ {
			if !(out.Footprint[i] < out.Footprint[i-1]) {
				t.Errorf("training %v: %v footprint %g not below %v's %g",
					training, precs[i], out.Footprint[i], precs[i-1], out.Footprint[i-1])
			}
		}
	}
}

// Each row depends only on its own inputs: a batch equals one call per point.
func TestSingleNodeColumnsIndependent(t *testing.T) {
	g5 := node(llama3_8B, h100)
	g5.batch, g5.eff, g5.training, g5.zero, g5.dp = 128, 0.45, true, 1, 8
	g7b := node(resNet50, a100)
	g7b.batch = 32
	sram := node(dsCNN, esp32S3)
	sram.prec = INT8
	re := node(resNet50, a100)
	re.training, re.recompute, re.batch = true, true, 64
	lora := node(mixtral, h100)
	lora.training, lora.lora, lora.zero, lora.dp = true, true, 3, 64
	pts := []nodePoint{node(resNet50, a100), g5, g7b, sram, node(llama3_8B, gc200), re, lora, node(stableDiffusion, h100)}

	batch := runNode(pts...)
	for i, p := range pts {
		checkRowMatches(t, p.m.name+" on "+p.h.name, batch, i, runNode(p))
	}
}

func TestSingleNodeDoesNotAllocate(t *testing.T) {
	in := nodeColumns(node(resNet50, a100), node(llama3_8B, gc200), node(dsCNN, esp32S3))
	in.Training[1], in.Recompute[1] = true, true
	var out NodeOut
	SingleNode(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { SingleNode(&out, in) }); allocs != 0 {
		t.Errorf("SingleNode allocates %g times per call once its outputs are sized", allocs)
	}
}
