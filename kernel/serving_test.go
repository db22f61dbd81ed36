package kernel

import (
	"math"
	"testing"
)

// servePoint is one Serving evaluation.
type servePoint struct {
	m                              testModel
	h                              testHW
	prec                           Precision
	seq, batch, cached, chunk, eff float64
}

// serve is the seed's ServingModel defaults (physics.md §6.1): batch 1, fp16, η 0.5,
// no prefix cache, no chunking.
func serve(m testModel, h testHW, seq float64) servePoint {
	return servePoint{m: m, h: h, prec: FP16, seq: seq, batch: 1, eff: 0.5}
}

// serveColumns gathers points into Serving's input columns, as the sweep does.
func serveColumns(pts ...servePoint) *ServeIn {
	in := &ServeIn{}
	for _, p := range pts {
		in.Params = append(in.Params, p.m.params)
		in.Layers = append(in.Layers, p.m.layers)
		in.AttnCoef = append(in.AttnCoef, p.m.attnCoef())
		in.KVElemsPerToken = append(in.KVElemsPerToken, p.m.kvElems())
		in.Bytes = append(in.Bytes, p.prec.Bytes())
		in.SeqLen = append(in.SeqLen, p.seq)
		in.Batch = append(in.Batch, p.batch)
		in.CachedPrefix = append(in.CachedPrefix, p.cached)
		in.ChunkTokens = append(in.ChunkTokens, p.chunk)
		in.Efficiency = append(in.Efficiency, p.eff)
		in.PeakFLOPS = append(in.PeakFLOPS, p.h.peakFor(p.prec))
		in.MemBandwidth = append(in.MemBandwidth, p.h.bw)
		in.MemCapacity = append(in.MemCapacity, p.h.capacity)
		in.DispatchTax = append(in.DispatchTax, p.h.dispatch)
	}
	return in
}

func runServe(pts ...servePoint) *ServeOut {
	out := &ServeOut{}
	Serving(out, serveColumns(pts...))
	return out
}

// llamaPrefillS is the G4-derivation prefill of Llama3_8B on H100 at η 0.5 for n new
// tokens attending s: (2·8.03e9·n + 4·32·32·128·n·s)/(989e12·0.5), in seconds.
func llamaPrefillS(n, s float64) float64 {
	return (2*8.03e9*n + 4*32*32*128*n*s) / (989e12 * 0.5)
}

func TestServingG4(t *testing.T) {
	out := runServe(serve(llama3_8B, h100, 2048))
	// physics.md §13.1 G4: Llama3_8B, H100, S 2048, B 1, fp16, η 0.5.
	if !out.Feasible[0] {
		t.Error("G4: infeasible, want feasible")
	}
	checkScalars(t, []scalarCase{
		{"G4 TTFT", out.TTFT[0], 70.97037058756726e-3, tightRel, 0},
		{"G4 ITL", out.ITL[0], 5.194159837611941e-3, tightRel, 0},
		{"G4 KV", out.KVBytes[0], 0.268435456e9, tightRel, 0},
		{"G4 weights", out.WeightBytes[0], 16.06e9, tightRel, 0},
		{"G4 total", out.TotalBytes[0], 16.328435456e9, tightRel, 0},
		{"G4 utilization", out.MemUtilization[0], 0.1900880068540573, tightRel, 0},
		// Derived: one sequence decodes 1/ITL tokens per second; not chunked → 1 chunk, no chunk time.
		{"G4 tokens/s", out.TokensPerS[0], 1 / 5.194159837611941e-3, tightRel, 0},
		{"G4 chunks", out.Chunks[0], 1, 0, 0},
		{"G4 chunk time", out.ChunkTime[0], 0, 0, 0},
	})
}

// physics.md §6.1 notes: chunk 512 on S 4096 → 8 chunks; S 4097 → 9 chunks and the longest
// chunk exceeds the average; chunking never lowers TTFT.
func TestServingChunkedPrefill(t *testing.T) {
	const dispatch = 0.01e-3 // H100 dispatch tax
	even := serve(llama3_8B, h100, 4096)
	even.chunk = 512
	odd := serve(llama3_8B, h100, 4097)
	odd.chunk = 512
	big := serve(llama3_8B, h100, 300) // a chunk larger than the prompt: one chunk of n tokens
	big.chunk = 512
	out := runServe(even, odd, serve(llama3_8B, h100, 4096), serve(llama3_8B, h100, 4097), big, serve(llama3_8B, h100, 300))

	checkScalars(t, []scalarCase{
		{"S 4096 chunks", out.Chunks[0], 8, 0, 0},
		{"S 4097 chunks", out.Chunks[1], 9, 0, 0},
		// §6.1: TTFT = t_pc + dispatch·chunks, so chunking adds dispatch·(chunks − 1).
		{"S 4096 TTFT", out.TTFT[0], llamaPrefillS(4096, 4096) + 8*dispatch, tightRel, 0},
		{"S 4096 chunked − single", out.TTFT[0] - out.TTFT[2], 7 * dispatch, tightRel, 0},
		{"S 4097 chunked − single", out.TTFT[1] - out.TTFT[3], 8 * dispatch, tightRel, 0},
		// A full chunk: (2·P·512 + coef·512·S)/(F·η) + dispatch.
		{"S 4096 chunk time", out.ChunkTime[0], llamaPrefillS(512, 4096) + dispatch, tightRel, 0},
		{"S 4097 chunk time", out.ChunkTime[1], llamaPrefillS(512, 4097) + dispatch, tightRel, 0},
		// Eight equal chunks: the longest equals the average (chunk times sum to TTFT).
		{"S 4096 max = average", out.ChunkTime[0], out.TTFT[0] / 8, tightRel, 0},
		// c > n: one chunk of n = 300 tokens, TTFT unchanged.
		{"oversized chunk count", out.Chunks[4], 1, 0, 0},
		{"oversized chunk time", out.ChunkTime[4], llamaPrefillS(300, 300) + dispatch, tightRel, 0},
		{"oversized chunk TTFT", out.TTFT[4], out.TTFT[5], tightRel, 0},
	})
	// The ninth chunk holds one token, so the longest chunk exceeds the mean of nine.
	if !(out.ChunkTime[1] > out.TTFT[1]/9) {
		t.Errorf("S 4097: max chunk %g s not above the average %g s", out.ChunkTime[1], out.TTFT[1]/9)
	}
	for i := 0; i < 2; i++ {
		if !(out.TTFT[i] >= out.TTFT[i+2]) {
			t.Errorf("case %d: chunked TTFT %g s < single-pass %g s", i, out.TTFT[i], out.TTFT[i+2])
		}
	}
	// Decode does not depend on how the prompt was prefilled.
	if out.ITL[0] != out.ITL[2] || out.KVBytes[1] != out.KVBytes[3] {
		t.Error("chunking changed ITL or the KV cache")
	}
}

func TestServingCacheShapes(t *testing.T) {
	prefix := serve(llama3_8B, h100, 2048)
	prefix.cached = 1536
	batched := serve(llama3_8B, h100, 2048)
	batched.batch = 4
	out := runServe(
		serve(deepSeekV3, h100, 4096), serve(deepSeekV3Upstream, h100, 4096),
		serve(mixtral, h100, 2048), serve(mixtralUpstream, h100, 2048),
		prefix, batched,
	)
	checkScalars(t, []scalarCase{
		// §2.1 MLA: 61·(512 + 64)·4096·1·2 B, and it does not depend on heads.
		{"DeepSeek_V3 MLA KV", out.KVBytes[0], 287834112, tightRel, 0},
		{"DeepSeek_V3 upstream heads KV", out.KVBytes[1], 287834112, tightRel, 0},
		// 671e9·2 B of weights: infeasible on 80 GiB, reported with its utilisation.
		{"DeepSeek_V3 utilization", out.MemUtilization[0], (1.342e12 + 287834112) / (80 * gib), tightRel, 0},
		// §6.1 prefill uses total parameters also for MoE (as the seed); H·d = 7168 either way.
		{"DeepSeek_V3 TTFT", out.TTFT[0], (2*671e9*4096+4*61*7168*4096*4096.0)/494.5e12 + 0.01e-3, tightRel, 0},
		{"DeepSeek_V3 TTFT, upstream heads", out.TTFT[1], out.TTFT[0], tightRel, 0},
		// Mixtral with 8 KV heads: 2·32·8·128·2048·2; the registry's MHA default is 4× that.
		{"Mixtral KV", out.KVBytes[2], 268435456, tightRel, 0},
		{"Mixtral upstream KV", out.KVBytes[3], 4 * 268435456, tightRel, 0},
		{"Mixtral TTFT (total P)", out.TTFT[2], (2*46.7e9*2048+4*32*32*128*2048*2048.0)/494.5e12 + 0.01e-3, tightRel, 0},
		// ITL streams all 93.4 GB of experts plus the KV cache: (93.4e9 + KV)/3.35e12 + 32·0.01 ms.
		{"Mixtral ITL", out.ITL[2], (93.4e9+268435456)/3.35e12 + 0.32e-3, tightRel, 0},

		// §6.1 prefix cache: only n = 2048 − 1536 new tokens are prefilled, each attending all 2048;
		// the KV cache still holds the full context.
		{"prefix TTFT", out.TTFT[4], llamaPrefillS(512, 2048) + 0.01e-3, tightRel, 0},
		{"prefix KV", out.KVBytes[4], 0.268435456e9, tightRel, 0},
		{"prefix ITL = G4", out.ITL[4], 5.194159837611941e-3, tightRel, 0},

		// B 4: prefill and KV scale with B, the weights do not.
		{"B 4 TTFT", out.TTFT[5], 4*llamaPrefillS(2048, 2048) + 0.01e-3, tightRel, 0},
		{"B 4 KV", out.KVBytes[5], 4 * 0.268435456e9, tightRel, 0},
		{"B 4 ITL", out.ITL[5], (16.06e9+4*0.268435456e9)/3.35e12 + 0.32e-3, tightRel, 0},
		{"B 4 tokens/s", out.TokensPerS[5], 4 / ((16.06e9+4*0.268435456e9)/3.35e12 + 0.32e-3), tightRel, 0},
	})
	for i, want := range []bool{false, false, false, false, true, true} {
		if out.Feasible[i] != want {
			t.Errorf("case %d: feasible %v, want %v", i, out.Feasible[i], want)
		}
	}
}

// physics.md §13.2 test_solver_invariants: fp32 > fp16 > fp8 > int4 memory.
func TestServingPrecisionOrder(t *testing.T) {
	precs := []Precision{FP32, FP16, FP8, INT4}
	var pts []servePoint
	for _, pr := range precs {
		p := serve(llama3_8B, h100, 2048)
		p.prec = pr
		pts = append(pts, p)
	}
	out := runServe(pts...)
	for i := 1; i < len(precs); i++ {
		if !(out.TotalBytes[i] < out.TotalBytes[i-1]) || !(out.KVBytes[i] < out.KVBytes[i-1]) {
			t.Errorf("%v: total %g B, KV %g B not below %v's %g B, %g B", precs[i],
				out.TotalBytes[i], out.KVBytes[i], precs[i-1], out.TotalBytes[i-1], out.KVBytes[i-1])
		}
	}
}

func TestServingColumnsIndependent(t *testing.T) {
	chunked := serve(llama3_8B, h100, 4097)
	chunked.chunk = 512
	prefix := serve(llama3_70B, h100, 8192)
	prefix.cached, prefix.batch = 4096, 8
	fp8 := serve(mixtral, h100, 2048)
	fp8.prec = FP8
	pts := []servePoint{serve(llama3_8B, h100, 2048), chunked, serve(deepSeekV3, h100, 4096), prefix, fp8,
		serve(gpt4, a100, 1024)}
	batch := runServe(pts...)
	for i, p := range pts {
		checkRowMatches(t, p.m.name+" on "+p.h.name, batch, i, runServe(p))
	}
}

func TestServingDoesNotAllocate(t *testing.T) {
	chunked := serve(llama3_8B, h100, 4097)
	chunked.chunk = 512
	in := serveColumns(serve(llama3_8B, h100, 2048), chunked, serve(deepSeekV3, h100, 4096))
	var out ServeOut
	Serving(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Serving(&out, in) }); allocs != 0 {
		t.Errorf("Serving allocates %g times per call once its outputs are sized", allocs)
	}
}

// TestServingTensorParallel: Llama3_70B (70.6e9 params, 80 layers, h 8192, 64 heads,
// 8 KV heads) at fp16 does not fit one H100 but fits two; with tp = 2 each holds half the
// weights and KV cache, the math halves, and every layer adds two activation all-reduces
// per forward pass over the 450 GB/s per-direction NVLink (Megatron-LM §3).
func TestServingTensorParallel(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	in := func(tp float64) *ServeIn {
		return &ServeIn{Params: one(70.6e9), Layers: one(80), AttnCoef: one(AttentionFLOPsCoef(80, 64, 8192)),
			KVElemsPerToken: one(KVElemsPerToken(80, 64, 8, 8192, 0, 0)), Bytes: one(2), SeqLen: one(2048), Batch: one(4),
			CachedPrefix: one(0), ChunkTokens: one(0), Efficiency: one(0.5), PeakFLOPS: one(989e12),
			MemBandwidth: one(3.35e12), MemCapacity: one(80 << 30), DispatchTax: one(0.01e-3),
			TP: one(tp), TPBandwidth: one(450e9), Hidden: one(8192)}
	}
	var single, pair ServeOut
	Serving(&single, in(1))
	Serving(&pair, in(2))
	if single.Feasible[0] || !pair.Feasible[0] {
		t.Fatalf("feasible at tp 1: %v, tp 2: %v; want false, true (141.2 GB of weights vs 85.9 GB per H100)", single.Feasible[0], pair.Feasible[0])
	}
	kv := KVElemsPerToken(80, 64, 8, 8192, 0, 0) * 2048 * 4 * 2
	comm := 2 * 80 * RingAllReduce(4*8192*2, 2, 450e9, NVLinkLatencyS)
	wantITL := (70.6e9*2+kv)/2/3.35e12 + 80*LayerTaxS + comm
	if math.Abs(pair.ITL[0]-wantITL) > 1e-12*wantITL || math.Abs(pair.TPComm[0]-comm) > 1e-12*comm {
		t.Errorf("tp 2: ITL %v (comm %v), want %v (comm %v)", pair.ITL[0], pair.TPComm[0], wantITL, comm)
	}
	prefillComm := 2 * 80 * RingAllReduce(2048*4*8192*2, 2, 450e9, NVLinkLatencyS)
	wantTTFT := (2*70.6e9*2048*4+AttentionFLOPsCoef(80, 64, 8192)*2048*2048*4)/(989e12*0.5*2) + prefillComm + 0.01e-3
	if math.Abs(pair.TTFT[0]-wantTTFT) > 1e-12*wantTTFT {
		t.Errorf("tp 2: TTFT %v, want %v", pair.TTFT[0], wantTTFT)
	}
	if single.TPComm[0] != 0 || pair.WeightBytes[0] != single.WeightBytes[0] {
		t.Errorf("tp 1 has no TP comm (%v); weight bytes are per replica (%v vs %v)", single.TPComm[0], pair.WeightBytes[0], single.WeightBytes[0])
	}
}
