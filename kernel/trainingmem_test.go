package kernel

import (
	"math"
	"testing"
)

// trainPoint is one TrainingMemory evaluation.
type trainPoint struct {
	m                                 testModel
	h                                 testHW
	prec                              Precision
	opt                               float64
	strategy                          Recompute
	batch, seq, tp, pp, dp, ep        float64
	zero, ga, trainable, commFraction float64
}

// train is the seed's TrainingMemoryModel defaults (physics.md §7.1): fp16, adam,
// selective, tp = pp = dp = ep = 1, ZeRO 0, one accumulation step, everything trainable,
// 5 % gradient bucket.
func train(m testModel, h testHW, batch, seq float64) trainPoint {
	return trainPoint{m: m, h: h, prec: FP16, opt: OptimizerBytesAdam, strategy: RecomputeSelective,
		batch: batch, seq: seq, tp: 1, pp: 1, dp: 1, ep: 1, ga: 1, trainable: 1,
		commFraction: DefaultCommBufferFraction}
}

// trainColumns gathers points into TrainingMemory's input columns. Like the sweep, it
// gives a model without heads 32 (the seed would raise for strategy none).
func trainColumns(pts ...trainPoint) *TrainMemIn {
	in := &TrainMemIn{}
	for _, p := range pts {
		heads := p.m.heads
		if heads == 0 {
			heads = DefaultHeads
		}
		in.Params = append(in.Params, p.m.params)
		in.Layers = append(in.Layers, p.m.layers)
		in.Hidden = append(in.Hidden, p.m.hidden)
		in.Heads = append(in.Heads, heads)
		in.Bytes = append(in.Bytes, p.prec.Bytes())
		in.OptimizerBytes = append(in.OptimizerBytes, p.opt)
		in.Recompute = append(in.Recompute, p.strategy)
		in.Batch = append(in.Batch, p.batch)
		in.SeqLen = append(in.SeqLen, p.seq)
		in.TP = append(in.TP, p.tp)
		in.PP = append(in.PP, p.pp)
		in.DP = append(in.DP, p.dp)
		in.EP = append(in.EP, p.ep)
		in.ZeROStage = append(in.ZeROStage, p.zero)
		in.GradAccum = append(in.GradAccum, p.ga)
		in.TrainableFraction = append(in.TrainableFraction, p.trainable)
		in.CommBufferFraction = append(in.CommBufferFraction, p.commFraction)
		in.MemCapacity = append(in.MemCapacity, p.h.capacity)
	}
	return in
}

func runTrain(pts ...trainPoint) *TrainMemOut {
	out := &TrainMemOut{}
	TrainingMemory(out, trainColumns(pts...))
	return out
}

func TestTrainingMemoryG3(t *testing.T) {
	out := runTrain(train(llama3_8B, h100, 8, 1024))
	// physics.md §13.1 G3: Llama3_8B, H100, batch 8, seq 1024, fp16, selective.
	if out.Feasible[0] {
		t.Error("G3: feasible, want infeasible")
	}
	checkScalars(t, []scalarCase{
		{"G3 weights", out.Weights[0], 16.06e9, tightRel, 0},
		{"G3 gradients", out.Gradients[0], 16.06e9, tightRel, 0},
		{"G3 optimizer", out.Optimizer[0], 96.36e9, tightRel, 0},
		{"G3 activations", out.Activations[0], 36.507222016e9, tightRel, 0},
		{"G3 buffers", out.Buffers[0], 0.803e9, tightRel, 0},
		{"G3 total", out.Total[0], 165.790222016e9, tightRel, 0},
		{"G3 utilization", out.Utilization[0], 1.9300522051751614, tightRel, 0},
		// §7.1: mb = max(1, ceil(8/(1·1))).
		{"G3 microbatch", out.Microbatch[0], 8, 0, 0},
	})
}

// physics.md §13.2 test_solver_invariants: ZeRO totals are non-increasing over stages 0..3
// and the components sum to the total.
func TestTrainingMemoryZeRO(t *testing.T) {
	var pts []trainPoint
	for z := 0.0; z <= 3; z++ {
		p := train(llama3_8B, h100, 64, 1024)
		p.dp, p.zero = 8, z
		pts = append(pts, p)
	}
	out := runTrain(pts...)
	// batch 64 over dp 8 → mb 8, so activations are G3's; stage k shards one more component by 8.
	w, g, o := 16.06e9, 16.06e9, 96.36e9
	want := [][3]float64{{w, g, o}, {w, g, o / 8}, {w, g / 8, o / 8}, {w / 8, g / 8, o / 8}}
	for z, c := range want {
		checkScalars(t, []scalarCase{
			{"weights", out.Weights[z], c[0], tightRel, 0},
			{"gradients", out.Gradients[z], c[1], tightRel, 0},
			{"optimizer", out.Optimizer[z], c[2], tightRel, 0},
			{"activations = G3", out.Activations[z], 36.507222016e9, tightRel, 0},
			// The gradient bucket follows the (sharded) gradients.
			{"buffers", out.Buffers[z], 0.05 * c[1], tightRel, 0},
		})
	}

	models := []testModel{llama3_8B, llama3_70B, mixtral, deepSeekV3, gpt4}
	for _, m := range models {
		for _, dp := range []float64{1, 2, 8, 64} {
			for _, s := range []Recompute{RecomputeSelective, RecomputeFull, RecomputeNone} {
				for _, pp := range []float64{1, 4} {
					var stages []trainPoint
					for z := 0.0; z <= 3; z++ {
						p := train(m, h100, 256, 2048)
						p.dp, p.zero, p.strategy, p.pp = dp, z, s, pp
						stages = append(stages, p)
					}
					out := runTrain(stages...)
					for z := range stages {
						sum := out.Weights[z] + out.Gradients[z] + out.Optimizer[z] + out.Activations[z] + out.Buffers[z]
						if !withinTol(out.Total[z], sum, tightRel, 0) {
							t.Errorf("%s dp %g %v pp %g ZeRO-%d: total %g B ≠ sum of components %g B",
								m.name, dp, s, pp, z, out.Total[z], sum)
						}
						if z > 0 && !(out.Total[z] <= out.Total[z-1]) {
							t.Errorf("%s dp %g %v pp %g: ZeRO-%d total %g B > ZeRO-%d's %g B",
								m.name, dp, s, pp, z, out.Total[z], z-1, out.Total[z-1])
						}
					}
				}
			}
		}
	}
}

func TestTrainingMemoryParallelism(t *testing.T) {
	pp2 := train(llama3_8B, h100, 8, 1024)
	pp2.pp = 2
	pp3 := train(llama3_8B, h100, 8, 1024)
	pp3.pp = 3
	tp8 := train(llama3_70B, h100, 8, 1024)
	tp8.tp = 8
	ep8 := train(mixtral, h100, 8, 1024)
	ep8.ep = 8
	ga := train(llama3_8B, h100, 64, 1024)
	ga.dp, ga.ga = 2, 4
	odd := train(llama3_8B, h100, 3, 1024)
	odd.dp = 2
	tiny := train(llama3_8B, h100, 1, 1024)
	tiny.dp = 8
	out := runTrain(pp2, pp3, tp8, ep8, ga, odd, tiny)

	checkScalars(t, []scalarCase{
		// §7.1 pp 2: half the parameters and ceil(32/2) = 16 layers per stage, plus the
		// 2·mb·S·h·b boundary buffer (one send, one receive) next to the 5 % bucket.
		{"pp 2 weights", out.Weights[0], 8.03e9, tightRel, 0},
		{"pp 2 activations", out.Activations[0], 16 * 34 * 1024 * 8 * 4096.0, tightRel, 0},
		{"pp 2 buffers", out.Buffers[0], 0.05*8.03e9 + 2*8*1024*4096*2.0, tightRel, 0},
		// pp 3: ceil(32/3) = 11 layers on a stage.
		{"pp 3 activations", out.Activations[1], 11 * 34 * 1024 * 8 * 4096.0, tightRel, 0},
		{"pp 3 buffers", out.Buffers[1], 0.05*8.03e9/3*2 + 2*8*1024*4096*2.0, tightRel, 0},
		// tp 8 shards the parameters (shards = tp·pp·ep); activations are not divided (Profile B).
		{"tp 8 weights", out.Weights[2], 70.6e9 / 8 * 2, tightRel, 0},
		{"tp 8 optimizer", out.Optimizer[2], 70.6e9 / 8 * 12, tightRel, 0},
		{"tp 8 activations", out.Activations[2], 80 * 34 * 1024 * 8 * 8192.0, tightRel, 0},
		// ep 8 shards MoE parameters the same way.
		{"ep 8 weights", out.Weights[3], 46.7e9 / 8 * 2, tightRel, 0},
		// mb = ceil(64/(2·4)) = 8; ceil(3/2) = 2; max(1, ceil(1/8)) = 1.
		{"accumulation microbatch", out.Microbatch[4], 8, 0, 0},
		{"odd microbatch", out.Microbatch[5], 2, 0, 0},
		{"microbatch floor 1", out.Microbatch[6], 1, 0, 0},
		{"microbatch 1 activations", out.Activations[6], 32 * 34 * 1024 * 4096.0, tightRel, 0},
	})
	// pp 1 has no boundary buffer: G3's buffers are only the bucket.
	if g3 := runTrain(train(llama3_8B, h100, 8, 1024)); g3.Buffers[0] != 0.05*g3.Gradients[0] {
		t.Errorf("pp 1 buffers %g B, want only the 5 %% bucket %g B", g3.Buffers[0], 0.05*g3.Gradients[0])
	}
}

func TestTrainingMemoryOptimizerAndStrategy(t *testing.T) {
	sgd := train(llama3_8B, h100, 8, 1024)
	sgd.opt, sgd.trainable = OptimizerBytesSGD, 0.01
	none := train(llama3_8B, h100, 8, 1024)
	none.opt = 0
	full := train(llama3_8B, h100, 8, 1024)
	full.strategy = RecomputeFull
	keep := train(llama3_8B, h100, 8, 1024)
	keep.strategy = RecomputeNone
	noCap := train(llama3_8B, testHW{name: "no memory"}, 8, 1024)
	fits := train(llama3_8B, h100, 1, 1024)
	fits.opt, fits.trainable = OptimizerBytesSGD, 0.01
	out := runTrain(sgd, none, full, keep, noCap, fits)

	checkScalars(t, []scalarCase{
		// §7.1: gradients and optimizer count trainable parameters only; sgd 4 B each.
		{"sgd weights (all)", out.Weights[0], 16.06e9, tightRel, 0},
		{"sgd gradients", out.Gradients[0], 8.03e9 * 0.01 * 2, tightRel, 0},
		{"sgd optimizer", out.Optimizer[0], 8.03e9 * 0.01 * 4, tightRel, 0},
		{"no optimizer state", out.Optimizer[1], 0, 0, 0},
		// §3.4: full keeps 2·S·B·h per layer; none adds the 5·heads·S²·B attention scores.
		{"full activations", out.Activations[2], 32 * 2 * 1024 * 8 * 4096.0, tightRel, 0},
		{"none activations", out.Activations[3], 32 * (34*1024*8*4096 + 5*32*1024*1024*8.0), tightRel, 0},
		// §7.1: utilisation is +Inf on a device without memory.
		{"zero capacity utilization", out.Utilization[4], math.Inf(1), 0, 0},
		// 16.06e9 + 0.1606e9 + 0.3212e9 + 32·34·1024·4096 + 0.05·0.1606e9 fits 80 GiB.
		{"fits total", out.Total[5], 16.06e9 + 0.1606e9 + 0.3212e9 + 32*34*1024*4096.0 + 0.05*0.1606e9, tightRel, 0},
	})
	if out.Feasible[4] || !out.Feasible[5] {
		t.Errorf("feasible: zero capacity %v, small SGD run %v; want false, true", out.Feasible[4], out.Feasible[5])
	}
	if !(out.Activations[2] < out.Activations[0] && out.Activations[0] < out.Activations[3]) {
		t.Errorf("activations not ordered full < selective < none: %g, %g, %g",
			out.Activations[2], out.Activations[0], out.Activations[3])
	}
}

// physics.md §13.2 test_solver_invariants: fp32 > fp16 > fp8 > int4.
func TestTrainingMemoryPrecisionOrder(t *testing.T) {
	precs := []Precision{FP32, FP16, FP8, INT4}
	var pts []trainPoint
	for _, pr := range precs {
		p := train(llama3_8B, h100, 8, 1024)
		p.prec = pr
		pts = append(pts, p)
	}
	out := runTrain(pts...)
	for i := 1; i < len(precs); i++ {
		if !(out.Total[i] < out.Total[i-1]) {
			t.Errorf("%v total %g B not below %v's %g B", precs[i], out.Total[i], precs[i-1], out.Total[i-1])
		}
	}
}

func TestTrainingMemoryColumnsIndependent(t *testing.T) {
	z3 := train(llama3_70B, h100, 1024, 4096)
	z3.dp, z3.zero, z3.tp, z3.pp = 16, 3, 8, 4
	moe := train(mixtral, a100, 64, 2048)
	moe.ep, moe.strategy = 8, RecomputeNone
	lora := train(llama3_8B, h100, 16, 2048)
	lora.trainable, lora.opt, lora.prec = 0.002, OptimizerBytesSGD, BF16
	pts := []trainPoint{train(llama3_8B, h100, 8, 1024), z3, moe, lora, train(deepSeekV3, h100, 1, 4096)}
	batch := runTrain(pts...)
	for i, p := range pts {
		checkRowMatches(t, p.m.name+" on "+p.h.name, batch, i, runTrain(p))
	}
}

func TestTrainingMemoryDoesNotAllocate(t *testing.T) {
	pp := train(llama3_70B, h100, 64, 4096)
	pp.pp, pp.dp, pp.zero = 4, 4, 2
	in := trainColumns(train(llama3_8B, h100, 8, 1024), pp)
	var out TrainMemOut
	TrainingMemory(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { TrainingMemory(&out, in) }); allocs != 0 {
		t.Errorf("TrainingMemory allocates %g times per call once its outputs are sized", allocs)
	}
}

// TestTrainingMemoryHybridShard: under hybrid sharding ZeRO shards over the group, not
// all of dp. A 70B model on tp 1, pp 1, dp 16 at ZeRO-3 with groups of 8 keeps 1/8 of
// its BF16 weights (17.5 GB), FP32 gradients (35 GB) and Adam state (105 GB) per rank,
// twice ZeRO-3 over all 16; with ep 2 the expert half shards over 8/2 = 4 ranks.
func TestTrainingMemoryHybridShard(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	in := func(shard, ep, expertParams, cp float64) *TrainMemIn {
		return &TrainMemIn{Params: one(70e9), Layers: one(80), Hidden: one(8192), Heads: one(64), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeFull}, Batch: one(16), SeqLen: one(4096),
			TP: one(1), PP: one(1), DP: one(16), EP: one(ep), ZeROStage: one(3), GradAccum: one(1), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(8), FFN: one(28672), Vocab: one(0),
			ExpertParams: one(expertParams), CP: one(cp), VirtualStages: one(1), InFlight: one(1), DPShard: one(shard), Gated: []bool{true},
			SeqParallel: []bool{false}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None}}
	}
	for _, tc := range []struct {
		name                     string
		shard, ep, expert, cp    float64
		weights, grads, optState float64
	}{
		{"groups of 8", 8, 1, 0, 1, 17.5e9, 35e9, 105e9},
		{"all 16", 0, 1, 0, 1, 8.75e9, 17.5e9, 52.5e9},
		{"dp_shard = dp", 16, 1, 0, 1, 8.75e9, 17.5e9, 52.5e9},
		// 35e9 dense over 8 ranks, 35e9/ep 2 experts over 4: 2·(35/8 + 17.5/4) GB of weights.
		{"experts over dp_shard / ep", 8, 2, 35e9, 1, 2 * (35e9/8 + 17.5e9/4), 4 * (35e9/8 + 17.5e9/4), 12 * (35e9/8 + 17.5e9/4)},
		// Context parallelism: the 2 CP ranks of each dp rank hold the same weights, so
		// ZeRO shards over dp·cp = 32 ranks (Megatron-Core's intra_dp_cp_group): 70e9·2/32.
		{"all 16 × cp 2", 0, 1, 0, 2, 4.375e9, 8.75e9, 26.25e9},
		{"groups of 8 × cp 2", 8, 1, 0, 2, 8.75e9, 17.5e9, 52.5e9},
		// Experts over 8·2/ep 2 = 8 ranks, dense over 16: 2·(35/16 + 17.5/8) GB.
		{"experts over dp_shard·cp / ep", 8, 2, 35e9, 2, 2 * (35e9/16 + 17.5e9/8), 4 * (35e9/16 + 17.5e9/8), 12 * (35e9/16 + 17.5e9/8)},
	} {
		out := &TrainMemOut{}
		TrainingMemory(out, in(tc.shard, tc.ep, tc.expert, tc.cp))
		relClose(t, tc.name+" weights", out.Weights[0], tc.weights, 1e-12)
		relClose(t, tc.name+" gradients", out.Gradients[0], tc.grads, 1e-12)
		relClose(t, tc.name+" optimizer", out.Optimizer[0], tc.optState, 1e-12)
	}
}

// TestTrainingMemoryPlainMoETopK: a plain MoE model (no Arch, or the zero Arch) keeps
// the MLP intermediates of each of its top-k routed experts for the backward, as the
// structured path does (archActivations; Megatron-Core MoE runs each routed copy of a
// token through its expert's own up/gate GEMMs). Mixtral 8x7B's shape (h 4096, 32
// heads, 8 K/V heads, gated ffn 14336, 32 layers, top-2) at s = 4096, mb 1, tp 2 with
// SP, FlashAttention and selective recomputation: the second expert adds, per layer,
// 4096 tokens · 2 B · (2 + 1)·14336 / tp 2 = 176,160,768 B, × 32 layers =
// 5,637,144,576 B over the top-1 count, and its routed copy of each token, the input its
// first GEMM saves (MoEExpertInputs: at etp = tp a rank keeps the rows its expert-TP
// group routes, 4096 · 2/2 · 4096 · 2 B = 33,554,432 B a layer, 1,073,741,824 B over 32),
// 6,710,886,400 B in all. Full recomputation keeps only the layer input whatever k is;
// keeping linear outputs drops each expert's activation output, so the second expert adds
// 4096 · 2 · 2·14336 / 2 · 32 = 3,758,096,384 B and its input copy, 4,831,838,208 B.
// A model with no routing (top-k 0) keeps one MLP and no routed copy: 1,073,741,824 B
// below top-1.
func TestTrainingMemoryPlainMoETopK(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	act := func(topk float64, arch *Arch, r Recompute) float64 {
		in := &TrainMemIn{Params: one(46.7e9), Layers: one(32), Hidden: one(4096), Heads: one(32), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{r}, Batch: one(1), SeqLen: one(4096),
			TP: one(2), PP: one(1), DP: one(1), EP: one(1), ZeROStage: one(0), GradAccum: one(1), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(8), FFN: one(14336), Vocab: one(32000),
			ExpertParams: one(45.1e9), CP: one(1), VirtualStages: one(1), InFlight: one(1), DPShard: one(0), Gated: []bool{true},
			SeqParallel: []bool{true}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None},
			Arch: []*Arch{arch}, TopK: one(topk)}
		out := &TrainMemOut{}
		TrainingMemory(out, in)
		return out.Activations[0]
	}
	for _, tc := range []struct {
		name  string
		arch  *Arch
		r     Recompute
		extra float64
	}{
		{"nil arch, selective", nil, RecomputeSelective, 6710886400},
		{"zero arch, selective", &Arch{}, RecomputeSelective, 6710886400},
		{"nil arch, linear outputs", nil, RecomputeLinearOutputs, 4831838208},
		{"nil arch, full", nil, RecomputeFull, 0},
	} {
		top1, top2 := act(1, tc.arch, tc.r), act(2, tc.arch, tc.r)
		if got := top2 - top1; got != tc.extra {
			t.Errorf("%s: top-2 keeps %v B more than top-1, want %v", tc.name, got, tc.extra)
		}
		// No routing (top-k 0) counts one MLP, as top-1 does, and no routed copy.
		copies := 1073741824.0
		if tc.r == RecomputeFull {
			copies = 0
		}
		if dense := act(0, tc.arch, tc.r); top1-dense != copies {
			t.Errorf("%s: top-k 0 keeps %v B, want top-1's %v less %v", tc.name, dense, top1, copies)
		}
	}
}

// TestTrainingMemoryMoEImbalance: with expert parallelism the busiest rank (the step's
// moe_imbalance γ) receives γ times the mean routed tokens and keeps their MLP
// intermediates. Mixtral's shape at s 4096, tp 2 with SP, selective, ep 8 and γ 1.5:
// the routed experts keep 1.5 · 2 = 3 passes a token where balanced routing keeps 2,
// so one more expert's 4096 · 2 · 3·14336 / 2 · 32 = 5,637,144,576 B and one more routed
// copy of each token, 4096 · 4096 · 2 · 32 = 1,073,741,824 B (MoEExpertInputs at etp = tp):
// 6,710,886,400 B; without expert parallelism every expert is local and γ changes nothing.
func TestTrainingMemoryMoEImbalance(t *testing.T) {
	one := func(v float64) []float64 { return []float64{v} }
	act := func(ep, gamma float64) float64 {
		in := &TrainMemIn{Params: one(46.7e9), Layers: one(32), Hidden: one(4096), Heads: one(32), Bytes: one(2),
			OptimizerBytes: one(OptimizerBytesAdam), Recompute: []Recompute{RecomputeSelective}, Batch: one(8), SeqLen: one(4096),
			TP: one(2), PP: one(1), DP: one(8), EP: one(ep), ZeROStage: one(1), GradAccum: one(1), TrainableFraction: one(1),
			CommBufferFraction: one(0), MemCapacity: one(80e9), Calibrated: true, KVHeads: one(8), FFN: one(14336), Vocab: one(32000),
			ExpertParams: one(45.1e9), CP: one(1), VirtualStages: one(1), InFlight: one(1), DPShard: one(0), Gated: []bool{true},
			SeqParallel: []bool{true}, Flash: []bool{true}, FP32Grads: []bool{true}, FP8: []FP8Recipe{FP8None},
			TopK: one(2), Imbalance: one(gamma)}
		out := &TrainMemOut{}
		TrainingMemory(out, in)
		return out.Activations[0]
	}
	if got := act(8, 1.5) - act(8, 1); got != 6710886400 {
		t.Errorf("γ 1.5 at ep 8 keeps %v B more than balanced routing, want 6,710,886,400", got)
	}
	if a, b := act(1, 1.5), act(1, 1); a != b {
		t.Errorf("without expert parallelism γ 1.5 keeps %v B, balanced %v B: want the same", a, b)
	}
}
