package kernel

import "testing"

func runStream(prefill []bool, pts ...[4]float64) *StreamOut {
	// pts: seq, batch, capacity, host link
	in := &StreamIn{}
	for i, p := range pts {
		in.Params = append(in.Params, llama3_8B.params)
		in.Layers = append(in.Layers, llama3_8B.layers)
		in.KVElemsPerToken = append(in.KVElemsPerToken, llama3_8B.kvElems())
		in.Bytes = append(in.Bytes, 2)
		in.SeqLen = append(in.SeqLen, p[0])
		in.Batch = append(in.Batch, p[1])
		in.Prefill = append(in.Prefill, prefill[i])
		in.Efficiency = append(in.Efficiency, 0.5)
		in.PeakFLOPS = append(in.PeakFLOPS, cs3.peak)
		in.MemCapacity = append(in.MemCapacity, p[2])
		in.HostBandwidth = append(in.HostBandwidth, p[3])
		in.DispatchTax = append(in.DispatchTax, cs3.dispatch)
	}
	out := &StreamOut{}
	WeightStreaming(out, in)
	return out
}

func TestWeightStreaming(t *testing.T) {
	c, link := cs3.capacity, cs3.host
	out := runStream([]bool{false, false, true, false, false},
		[4]float64{512, 1, c, link},    // §13.4
		[4]float64{8192, 512, c, link}, // §13.2: too much KV for the wafer
		[4]float64{512, 1, c, link},    // prefill
		[4]float64{512, 1, c, 0},       // no host link stated: 100 GB/s
		[4]float64{512, 1, 0, link},    // no on-chip memory
	)
	const kvTok = 2 * 32 * 8 * 128 * 2 // bytes per token
	layerW := 8.03e9 / 32 * 2
	tInj := layerW / 1.2e12
	tComp := 2*8.03e9/32/62.5e15 + 0.001e-3
	prefillComp := (2*8.03e9/32*512+2*8*128*512*512.0)/62.5e15 + 0.001e-3
	checkScalars(t, []scalarCase{
		// physics.md §13.4 WeightStreaming(Llama3_8B, CS-3, S 512, B 1, decode): required 0.07382 GB
		// (util 0.0015625); t_inj 0.418229 ms; t_comp 0.0010080 ms → "Interconnect-Bandwidth-Bound";
		// 74.7198 tok/s; B_opt 52 083.
		{"§13.4 required GB", out.RequiredBytes[0] / 1e9, 0.07382, 0, 5e-6},
		{"§13.4 utilization", out.Utilization[0], 0.0015625, tightRel, 0},
		{"§13.4 t_inj ms", out.LayerInjectionTime[0] * 1e3, 0.418229, 0, 5e-7},
		{"§13.4 t_comp ms", out.LayerComputeTime[0] * 1e3, 0.0010080, 0, 5e-8},
		{"§13.4 tok/s", out.Throughput[0], 74.7198, 0, 5e-5},
		{"§13.4 B_opt", out.OptimalBatch[0], 52083, 0, 0},
		// Exact forms (§6.4).
		{"required exact", out.RequiredBytes[0], 1.1 * 512 * kvTok, tightRel, 0},
		{"t_inj exact", out.LayerInjectionTime[0], tInj, tightRel, 0},
		{"t_comp exact", out.LayerComputeTime[0], tComp, tightRel, 0},
		{"tok/s exact", out.Throughput[0], 1 / (tInj * 32), tightRel, 0},
		// §13.2 (test_memory_utilization_is_a_unit_free_ratio): S 8192 × B 512 is infeasible,
		// throughput 0, utilisation = 1.1·KV/capacity (not capped at 1).
		{"§13.2 infeasible throughput", out.Throughput[1], 0, 0, 0},
		{"§13.2 unit-free utilization", out.Utilization[1], 1.1 * 8192 * 512 * kvTok / (44 * gib), tightRel, 0},
		// §6.4 prefill: 2·p·S·B + 2·H_kv·d·S²·B per layer (KV heads in the attention term), B·S tokens.
		{"prefill t_comp", out.LayerComputeTime[2], prefillComp, tightRel, 0},
		// Still below the 0.418 ms of streaming: B·S tokens per 32 layer injections.
		{"prefill tok/s", out.Throughput[2], 512 / (tInj * 32), tightRel, 0},
		// §6.4 / §10 FALLBACK_INTERCONNECT_BANDWIDTH_GB_S: 100 GB/s when no link is stated.
		{"fallback t_inj", out.LayerInjectionTime[3], layerW / 100e9, tightRel, 0},
		// §6.4: capacity 0 → utilisation 1, and the KV does not fit.
		{"no memory utilization", out.Utilization[4], 1, 0, 0},
		{"no memory throughput", out.Throughput[4], 0, 0, 0},
	})
	wantFeasible := []bool{true, false, true, true, false}
	wantCompute := []bool{false, false, false, false, false}
	for i := range wantFeasible {
		if out.Feasible[i] != wantFeasible[i] || out.ComputeBound[i] != wantCompute[i] {
			t.Errorf("point %d: feasible %v, compute-bound %v; want %v, %v", i, out.Feasible[i], out.ComputeBound[i],
				wantFeasible[i], wantCompute[i])
		}
	}
	// B_opt is the largest decode batch whose FLOPs (dispatch aside) take no longer than the streaming.
	perSample := 2 * 8.03e9 / 32 / 62.5e15
	if b := out.OptimalBatch[0]; !(b*perSample <= tInj && (b+1)*perSample > tInj) {
		t.Errorf("B_opt %g: %g s of compute at B_opt, %g at B_opt + 1, streaming %g s", b, b*perSample, (b+1)*perSample, tInj)
	}
	big := runStream([]bool{false}, [4]float64{512, 60000, c, link})
	if !big.ComputeBound[0] {
		t.Error("decode batch 60 000 (> B_opt): not compute-bound")
	}
}

func TestWeightStreamingDoesNotAllocate(t *testing.T) {
	in := &StreamIn{Params: []float64{8.03e9}, Layers: []float64{32}, KVElemsPerToken: []float64{65536},
		Bytes: []float64{2}, SeqLen: []float64{512}, Batch: []float64{1}, Prefill: []bool{true},
		Efficiency: []float64{0.5}, PeakFLOPS: []float64{125e15}, MemCapacity: []float64{44 * gib},
		HostBandwidth: []float64{1.2e12}, DispatchTax: []float64{1e-6}}
	var out StreamOut
	WeightStreaming(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { WeightStreaming(&out, in) }); allocs != 0 {
		t.Errorf("WeightStreaming allocates %g times per call once its outputs are sized", allocs)
	}
}
