package kernel

import "testing"

// Kernel-only throughput on batches of 64K points (the sweep's batch size).
// Run: go test -run=^$ -bench=. -benchtime=2s ./kernel/

const benchN = 1 << 16

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func BenchmarkServing(b *testing.B) {
	in := &ServeIn{
		Params: fill(benchN, 8.03e9), Layers: fill(benchN, 32), AttnCoef: fill(benchN, AttentionFLOPsCoef(32, 32, 4096)),
		KVElemsPerToken: fill(benchN, KVElemsPerToken(32, 32, 8, 4096, 0, 0)), Bytes: fill(benchN, 2),
		SeqLen: make([]float64, benchN), Batch: make([]float64, benchN), CachedPrefix: fill(benchN, 0),
		ChunkTokens: make([]float64, benchN), Efficiency: fill(benchN, 0.5), PeakFLOPS: fill(benchN, 989e12),
		MemBandwidth: fill(benchN, 3.35e12), MemCapacity: fill(benchN, 80<<30), DispatchTax: fill(benchN, 1e-5),
		// The layer's shape and the SMs, as the sweep gathers them: each matmul timed on its own.
		Hidden: fill(benchN, 4096), Heads: fill(benchN, 32), KVHeads: fill(benchN, 8), FFN: fill(benchN, 14336),
		UpMatrices: fill(benchN, 2), Vocab: fill(benchN, 128256), SMs: fill(benchN, 132),
		Calibrated: true, // the default profile's path
	}
	for i := range in.SeqLen {
		in.SeqLen[i] = float64(int(1024) << (i % 6))
		in.Batch[i] = float64(1 + i%256)
		in.ChunkTokens[i] = float64((i % 3) * 512)
	}
	var out ServeOut
	Serving(&out, in)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Serving(&out, in)
	}
	b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkServingStores writes Serving's output columns from one input column and
// computes nothing: the memory floor under BenchmarkServing (BENCHMARKS.md), which on a
// shared machine is a large part of its time.
func BenchmarkServingStores(b *testing.B) {
	seq := fill(benchN, 2048)
	var out ServeOut
	out.resize(benchN)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		for i, v := range seq {
			out.TTFT[i], out.ITL[i], out.KVBytes[i], out.WeightBytes[i] = v, v, v, v
			out.TotalBytes[i], out.MemUtilization[i], out.TokensPerS[i], out.Chunks[i] = v, v, v, v
			out.ChunkTime[i], out.TPComm[i], out.PPComm[i], out.Accelerators[i] = v, v, v, v
			out.PowerW[i], out.EnergyPerToken[i] = v, v
			out.Feasible[i], out.ComputeBound[i] = v > 0, v > 1
		}
	}
	b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkSingleNode(b *testing.B) {
	in := &NodeIn{
		Ops: fill(benchN, 1.606e10), WeightBytes: fill(benchN, 16.06e9), Params: fill(benchN, 8.03e9),
		Layers: fill(benchN, 32), Hidden: fill(benchN, 4096), Heads: fill(benchN, 32), Bytes: fill(benchN, 2),
		IsTransformer: make([]bool, benchN), Training: make([]bool, benchN), Recompute: make([]bool, benchN),
		LoRA: make([]bool, benchN), ZeROStage: fill(benchN, 0), DPSize: fill(benchN, 1), SeqLen: fill(benchN, 2048),
		Batch: make([]float64, benchN), Efficiency: fill(benchN, 0.5), PeakFLOPS: fill(benchN, 989e12),
		MemCapacity: fill(benchN, 80<<30), MemBandwidth: fill(benchN, 3.35e12), SRAMCapacity: fill(benchN, 0),
		SRAMBandwidth: fill(benchN, 0), FlashBandwidth: fill(benchN, 0), HostBandwidth: fill(benchN, 64e9),
		DispatchTax: fill(benchN, 1e-5), TDP: fill(benchN, 700),
	}
	for i := range in.Batch {
		in.Batch[i] = float64(1 + i%4096)
		in.IsTransformer[i] = true
		in.Training[i] = i%2 == 1
	}
	var out NodeOut
	SingleNode(&out, in)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		SingleNode(&out, in)
	}
	b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkTrainingMemory(b *testing.B) {
	in := &TrainMemIn{
		Params: fill(benchN, 70.6e9), Layers: fill(benchN, 80), Hidden: fill(benchN, 8192), Heads: fill(benchN, 64),
		Bytes: fill(benchN, 2), OptimizerBytes: fill(benchN, OptimizerBytesAdam), Recompute: make([]Recompute, benchN),
		Batch: fill(benchN, 1024), SeqLen: fill(benchN, 4096), TP: make([]float64, benchN), PP: make([]float64, benchN),
		DP: fill(benchN, 64), EP: fill(benchN, 1), ZeROStage: make([]float64, benchN), GradAccum: fill(benchN, 1),
		TrainableFraction: fill(benchN, 1), CommBufferFraction: fill(benchN, 0.05), MemCapacity: fill(benchN, 80<<30),
	}
	for i := range in.TP {
		in.TP[i] = float64(int(1) << (i % 4))
		in.PP[i] = float64(int(1) << (i % 5))
		in.ZeROStage[i] = float64(i % 4)
		in.Recompute[i] = Recompute(i % 3)
	}
	var out TrainMemOut
	TrainingMemory(&out, in)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		TrainingMemory(&out, in)
	}
	b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkCNNStep is the calibrated CNN path's cost per point: ResNet-50's 24 layer
// entries ({k, in, out, size, stride, n} as in the catalog), a training step (forward,
// dgrad and wgrad per layer) on an A100.
func BenchmarkCNNStep(b *testing.B) {
	var layers []ConvShape
	for _, l := range [][6]float64{{7, 3, 64, 112, 2, 1}, {1, 64, 64, 56, 1, 1}, {1, 256, 64, 56, 1, 2}, {3, 64, 64, 56, 1, 3},
		{1, 64, 256, 56, 1, 3}, {1, 64, 256, 56, 1, 1}, {1, 256, 128, 56, 1, 1}, {3, 128, 128, 28, 2, 1},
		{1, 512, 128, 28, 1, 3}, {3, 128, 128, 28, 1, 3}, {1, 128, 512, 28, 1, 4}, {1, 256, 512, 28, 2, 1},
		{1, 512, 256, 28, 1, 1}, {3, 256, 256, 14, 2, 1}, {1, 1024, 256, 14, 1, 5}, {3, 256, 256, 14, 1, 5},
		{1, 256, 1024, 14, 1, 6}, {1, 512, 1024, 14, 2, 1}, {1, 1024, 512, 14, 1, 1}, {3, 512, 512, 7, 2, 1},
		{1, 2048, 512, 7, 1, 2}, {3, 512, 512, 7, 1, 2}, {1, 512, 2048, 7, 1, 3}, {1, 1024, 2048, 7, 2, 1}} {
		inSide := l[3] * l[4]
		layers = append(layers, ConvShape{Pixels: l[3] * l[3], In: l[1], Out: l[2], Taps: l[0] * l[0],
			InElems: l[1] * inSide * inSide, Count: l[5], BN: true, ReLU: true})
	}
	var sink float64
	for i := 0; i < b.N; i++ {
		_, _, busy := CNNStep(layers, CNNEager, float64(1+i%256), true, 2, 271e12, 108, 1.7e12)
		sink += busy
	}
	if sink <= 0 {
		b.Fatal("no time")
	}
}

// BenchmarkTrainingStepDualPipe is one calibrated step of DeepSeek-V3's own layout
// (PP 16 × EP 64 over 2,048 GPUs, DualPipe, 120 microbatches, no TP): the cost of a
// DualPipe point, which the fleet study pays once per group of points sharing a step.
func BenchmarkTrainingStepDualPipe(b *testing.B) {
	in, out := dsv3Step([]*Arch{&dsv3}, 61, 1)
	in.TP[0], in.PP[0], in.Microbatches[0], in.Batch[0], in.Accelerators[0] = 1, 16, 120, 15360, 2048
	in.DualPipe = []bool{true}
	TrainingStep(out, in)
	if !out.Valid[0] {
		b.Fatalf("invalid: reason %d", out.Reason[0])
	}
	for b.Loop() {
		TrainingStep(out, in)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
