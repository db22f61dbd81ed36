package kernel

import "testing"

// runSens evaluates Sensitivity with a 10 % perturbation (the seed's default) on the points.
func runSens(pts ...nodePoint) *SensOut {
	in := &SensIn{Node: *nodeColumns(pts...), PerturbationPct: fill(len(pts), DefaultPerturbationPct)}
	out := &SensOut{}
	Sensitivity(out, in, &SensScratch{})
	return out
}

func TestSensitivity(t *testing.T) {
	tiny := node(dsCNN, esp32S3)
	tiny.prec = INT8
	out := runSens(node(llama3_8B, h100), node(llama3_70B, h100), node(resNet50, a100), tiny)

	t0 := 16.06e9*1.1/3.35e12 + 0.33e-3
	g1 := 0.5675641025641026e-3
	checkScalars(t, []scalarCase{
		// physics.md §13.4 Sensitivity(Llama3_8B, H100, fp16): baseline 5.60343 ms; bandwidth −0.085555;
		// peak_flops 0; capacity 0 → memory_bandwidth.
		{"§13.4 baseline ms", out.BaselineLatency[0] * 1e3, 5.60343, 0, 5e-6},
		{"§13.4 bandwidth", out.MemoryBandwidth[0], -0.085555, 0, 5e-7},
		{"§13.4 peak_flops", out.PeakFLOPS[0], 0, 0, 0},
		{"§13.4 capacity", out.MemoryCapacity[0], 0, 0, 0},
		// Exact: t_mem scales by 1/1.1, the 0.33 ms of overhead does not.
		{"bandwidth exact", out.MemoryBandwidth[0], (16.06e9*1.1/3.685e12 + 0.33e-3 - t0) / t0, tightRel, 0},
		// Llama3_70B (141.2 GB) does not fit 80 GiB even at +10 %: offload over 64 GB/s, which no
		// perturbation moves.
		{"70B peak", out.PeakFLOPS[1], 0, 0, 0},
		{"70B bandwidth", out.MemoryBandwidth[1], 0, 0, 0},
		{"70B capacity", out.MemoryCapacity[1], 0, 0, 0},
		// G1 (ResNet50, A100) is compute-bound: t_comp 8.2e9/156e12 shrinks by 1/1.1.
		{"G1 baseline", out.BaselineLatency[2], g1, tightRel, 0},
		{"G1 peak", out.PeakFLOPS[2], (8.2e9/156e12/1.1 + 0.515e-3 - g1) / g1, tightRel, 0},
		{"G1 bandwidth", out.MemoryBandwidth[2], 0, 0, 0},
		// physics.md §5.4 (test_tiny_hardware_sensitivity_preserves_memory_hierarchy): DS-CNN's
		// 200 kB of int8 weights sit in the ESP32-S3's SRAM, so the HBM bandwidth does not matter.
		{"SRAM kept: bandwidth", out.MemoryBandwidth[3], 0, 0, 0},
	})
	want := []struct {
		binding  SensParam
		feasible bool
	}{
		{SensMemoryBandwidth, true}, // §13.2 Sensitivity (C): Llama3-8B/H100 → memory_bandwidth
		{SensMemoryCapacity, false}, // §13.2 Sensitivity (C): Llama3-70B/H100 → infeasible, memory_capacity
		{SensPeakFLOPS, true},
		{SensPeakFLOPS, true},
	}
	for i, w := range want {
		if out.Binding[i] != w.binding || out.Feasible[i] != w.feasible {
			t.Errorf("point %d: binding %v, feasible %v; want %v, %v", i, out.Binding[i], out.Feasible[i],
				w.binding, w.feasible)
		}
	}
	if out.PeakFLOPS[3] >= 0 {
		t.Errorf("ESP32-S3: peak sensitivity %g, want < 0 (compute-bound)", out.PeakFLOPS[3])
	}
}

// With no perturbation nothing moves and the tie goes to the first key, peak_flops (§5.4).
func TestSensitivityTies(t *testing.T) {
	in := &SensIn{Node: *nodeColumns(node(llama3_8B, h100)), PerturbationPct: []float64{0}}
	var out SensOut
	Sensitivity(&out, in, &SensScratch{})
	if out.Binding[0] != SensPeakFLOPS || out.MemoryBandwidth[0] != 0 {
		t.Errorf("0 %%: binding %v, bandwidth %g; want peak_flops, 0", out.Binding[0], out.MemoryBandwidth[0])
	}
}

// A model just over capacity: +10 % capacity makes it fit and the latency collapses, but the
// baseline is infeasible, so the binding is memory capacity either way.
func TestSensitivityCapacityCliff(t *testing.T) {
	h := h100
	h.capacity = 15e9 // 16.06e9 of weights: fits at 16.5e9
	out := runSens(node(llama3_8B, h))
	if out.Feasible[0] || out.Binding[0] != SensMemoryCapacity || !(out.MemoryCapacity[0] < -0.9) {
		t.Errorf("feasible %v, binding %v, capacity sensitivity %g; want false, memory_capacity, < −0.9",
			out.Feasible[0], out.Binding[0], out.MemoryCapacity[0])
	}
}

func TestSensitivityColumnsIndependent(t *testing.T) {
	pts := []nodePoint{node(llama3_8B, h100), node(llama3_70B, h100), node(resNet50, a100), node(mixtral, a100)}
	batch := runSens(pts...)
	for i, p := range pts {
		checkRowMatches(t, p.m.name+" on "+p.h.name, batch, i, runSens(p))
	}
}

func TestSensitivityDoesNotAllocate(t *testing.T) {
	in := &SensIn{Node: *nodeColumns(node(llama3_8B, h100), node(resNet50, a100)), PerturbationPct: []float64{10, 5}}
	var out SensOut
	var s SensScratch
	Sensitivity(&out, in, &s)
	if allocs := testing.AllocsPerRun(20, func() { Sensitivity(&out, in, &s) }); allocs != 0 {
		t.Errorf("Sensitivity allocates %g times per call once its outputs and scratch are sized", allocs)
	}
}
